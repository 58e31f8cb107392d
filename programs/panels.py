"""What programs shows on Account Information: the unread messages, the documents and the contact persons
panels. consent/panels.py lists them on the page, with the privilege each needs; their templates are in
templates/programs/includes/.

Each panel does a fixed number of queries, whatever the account holds (consent/panels.py, "Cost rules")."""

from __future__ import annotations

from django.db.models import Count, Window

from programs import selectors
from programs.models import ProgramAccount

LATEST_MESSAGES = 3
CONTACTS_SHOWN = 5


def messages_panel(account: ProgramAccount, user) -> dict:
    """Unread threads for this person and the latest three subjects: two queries."""
    unread = selectors.unread_counts_by_account(user=user, account_ids=[account.pk]).get(account.pk, 0)
    latest = selectors.latest_messages_for_account(account=account, user=user, count=LATEST_MESSAGES)
    return {"unread": unread, "latest": latest}


def documents_panel(account: ProgramAccount, user) -> dict:
    """How many documents the account has (submitted, and placed by TRA): one query."""
    return {"count": selectors.documents_for_account(account=account).count()}


def contacts_panel(account: ProgramAccount, user) -> dict:
    """The first contact persons (primary first) and how many there are: one query (the count is a window over
    every contact, computed before the LIMIT)."""
    shown = list(
        selectors.contacts_for_account(account=account).annotate(total=Window(Count("id")))[:CONTACTS_SHOWN]
    )
    count = shown[0].total if shown else 0
    return {"contacts": shown, "count": count, "more": count - len(shown)}
