"""What the base layout shows on every page about the person's accounts."""

from django.utils.functional import SimpleLazyObject

from consent.selectors import message_account_ids
from programs.selectors import unread_message_count


def unread_messages(request):
    """The header's count of unread messages from TRA, across the accounts whose messages the person reads.
    Lazy: counted (one query) only when a page's header shows it, never for the admin's pages."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    is_verified = getattr(user, "is_verified", None)
    if is_verified is None or not is_verified():
        return {}
    return {
        "unread_messages_count": SimpleLazyObject(
            lambda: unread_message_count(user=user, account_ids=message_account_ids(user=user))
        )
    }
