"""What programs shows on Account Information: the unread messages, the documents and the contact persons
panels. consent/panels.py lists them on the page, with the privilege each needs; their templates are in
templates/programs/includes/.

Each panel does a fixed number of queries, whatever the account holds (consent/panels.py, "Cost rules")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import cast

from django.db.models import Count, Window

from consent.sql import (
    SENTINEL_INT,
    SENTINEL_INT_2,
    CompiledQuery,
    Path,
    Pending,
    columns_of,
    count_of,
    instances_of,
)
from programs import selectors
from programs.models import Contact, ProgramAccount

LATEST_MESSAGES = 3
CONTACTS_SHOWN = 5


@dataclass(frozen=True)
class LatestMessage:
    pk: int
    subject: str
    last_from_tra_at: datetime
    is_unread: bool


# Every Account Information request of a person reading messages asks it: compiled once per process (consent.sql,
# ADR 0018), the ORM's building of the read check and the subquery being several times the database's part.
LATEST = CompiledQuery(
    lambda count, account_id, user_id: selectors.latest_messages_for_account(
        account=account_id, user=user_id, count=count
    ),
    account_id=SENTINEL_INT,
    user_id=SENTINEL_INT_2,
)


def messages_queries(account: ProgramAccount, user) -> list[Pending]:
    """What messages_panel asks (the unread count is consent's, with the header's), for the page to send with the
    other panels' (consent.sql.prefetched); so for each panel below."""
    return [LATEST.pending(LATEST_MESSAGES, account_id=account.pk, user_id=user.pk)]


def messages_panel(account: ProgramAccount, user, *, unread: int) -> dict:
    """The person's unread threads of the account (`unread`: counted by consent with the header's own count, one
    query for both, consent/panels.py) and the latest three subjects: one query."""
    latest = [
        LatestMessage(*row) for row in LATEST.rows(LATEST_MESSAGES, account_id=account.pk, user_id=user.pk)
    ]
    return {"unread": unread, "latest": latest}


# Counted on every Account Information request of a person who submits documents: compiled once per process.
DOCUMENTS = CompiledQuery(
    lambda _key, account_id: selectors.documents_for_account(account=account_id).values("pk"),
    wrap=count_of,
    account_id=SENTINEL_INT,
)


def documents_queries(account: ProgramAccount, user) -> list[Pending]:
    return [DOCUMENTS.pending(None, account_id=account.pk)]


def documents_panel(account: ProgramAccount, user) -> dict:
    """How many documents the account has (submitted, and placed by TRA): one query."""
    [(count,)] = DOCUMENTS.rows(None, account_id=account.pk)
    return {"count": count}


CONTACT_PATHS: tuple[Path, ...] = (("", Contact),)
# Every Account Information request reads them: compiled once per process (the count is a window over every
# contact, computed before the LIMIT).
CONTACTS = CompiledQuery(
    lambda shown, account_id: (
        selectors.contacts_for_account(account=account_id)
        .annotate(total=Window(Count("id")))
        .values_list(*columns_of(CONTACT_PATHS), "total")[:shown]
    ),
    account_id=SENTINEL_INT,
)


def contacts_queries(account: ProgramAccount, user) -> list[Pending]:
    return [CONTACTS.pending(CONTACTS_SHOWN, account_id=account.pk)]


def contacts_panel(account: ProgramAccount, user) -> dict:
    """The first contact persons (primary first) and how many there are: one query."""
    rows = CONTACTS.rows(CONTACTS_SHOWN, account_id=account.pk)
    shown = [cast(Contact, instances_of(row[:-1], CONTACT_PATHS)[0]) for row in rows]
    count = rows[0][-1] if rows else 0
    return {"contacts": shown, "count": count, "more": count - len(shown)}
