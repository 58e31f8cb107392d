"""What the base layout shows on every page about the person's accounts."""

from django.db.models import BooleanField, ExpressionWrapper, Q
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from consent.selectors import message_account_ids
from consent.sql import SENTINEL_INT, SENTINEL_INT_2, CompiledQuery, Pending
from programs.selectors import unread_messages

# No account has this id: the header's count on a page outside any account counts nothing "here".
NO_ACCOUNT = 0


def _unread(today, *, user_id: int, account_id: int):
    return (
        unread_messages(user=user_id, account_ids=message_account_ids(user=user_id, today=today))
        .annotate(here=ExpressionWrapper(Q(account_id=account_id), output_field=BooleanField()))
        .values("pk", "here")
    )


def _counts_of(sql: str) -> str:
    # Both counts from one pass over the unread threads: every account's, and the page's account's.
    return f"SELECT COUNT(*), COUNT(*) FILTER (WHERE counted.here) FROM ({sql}) AS counted"  # noqa: S608 (Django-compiled SQL, values bound apart)


# Every page's header asks it: compiled once a day (the in-force grants depend on the date), not per request.
UNREAD_MESSAGES = CompiledQuery(_unread, wrap=_counts_of, user_id=SENTINEL_INT, account_id=SENTINEL_INT_2)


def unread_message_counts(*, user_id: int, account_id: int = NO_ACCOUNT) -> tuple[int, int]:
    """The person's unread threads from TRA across every account whose messages they read (the header's count),
    and of those, the threads of `account_id` (Account Information's messages panel): one query for both."""
    everywhere, here = UNREAD_MESSAGES.rows(timezone.localdate(), user_id=user_id, account_id=account_id)[0]
    return everywhere, here


def unread_message_counts_queries(*, user_id: int, account_id: int) -> list[Pending]:
    """What unread_message_counts asks, for a page to send with other queries (consent.sql.prefetched)."""
    return [UNREAD_MESSAGES.pending(timezone.localdate(), user_id=user_id, account_id=account_id)]


def unread_message_count(*, user_id: int) -> int:
    return unread_message_counts(user_id=user_id)[0]


def unread_messages_count(request):
    """The header's count of unread messages from TRA, across the accounts whose messages the person reads.
    Lazy: counted (one query) only when a page's header shows it, never for the admin's pages. A page that counted
    it already (Account Information, with its messages panel) puts it in its own context, which comes first."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    is_verified = getattr(user, "is_verified", None)
    if is_verified is None or not is_verified():
        return {}
    return {"unread_messages_count": SimpleLazyObject(lambda: unread_message_count(user_id=user.pk))}
