"""What the base layout shows on every page about the person's accounts."""

from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from consent.selectors import message_account_ids
from consent.sql import SENTINEL_INT, CompiledQuery, count_of
from programs.selectors import unread_messages

# Every page's header asks it: compiled once a day (the in-force grants depend on the date), not per request.
UNREAD_MESSAGES = CompiledQuery(
    lambda today, user_id: unread_messages(
        user=user_id, account_ids=message_account_ids(user=user_id, today=today)
    ).values("pk"),
    wrap=count_of,
    user_id=SENTINEL_INT,
)


def unread_message_count(*, user_id: int) -> int:
    return UNREAD_MESSAGES.rows(timezone.localdate(), user_id=user_id)[0][0]


def unread_messages_count(request):
    """The header's count of unread messages from TRA, across the accounts whose messages the person reads.
    Lazy: counted (one query) only when a page's header shows it, never for the admin's pages."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    is_verified = getattr(user, "is_verified", None)
    if is_verified is None or not is_verified():
        return {}
    return {"unread_messages_count": SimpleLazyObject(lambda: unread_message_count(user_id=user.pk))}
