"""Reads of a program account's details: addresses, contact persons, direct deposit, the history of their
changes. Each returns what its page needs in a fixed number of queries."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, OuterRef, Prefetch, QuerySet

from accounts.models import User
from programs.models import (
    AccountChange,
    Address,
    Contact,
    DirectDeposit,
    Document,
    DocumentFile,
    Message,
    MessageRead,
    MessageReply,
    Program,
    ProgramAccount,
    Registration,
    RegistrationEvent,
    Taxpayer,
)
from programs.registration_rules import OFFLINE_DEFAULT, OFFLINE_HOW, ONLINE_PROGRAMS

# Ids of program accounts: a collection, or a subquery of them (values_list("account_id")).
AccountIds = Collection[int] | QuerySet[Any, Any]


@dataclass(frozen=True)
class ContactInformation:
    mailing: Address | None
    location: Address | None
    contacts: list[Contact]


def contact_information(*, account: ProgramAccount) -> ContactInformation:
    """The account's mailing address of record, business location and contact persons (primary first):
    two queries whatever the number of contacts."""
    addresses = {address.kind: address for address in Address.objects.filter(account=account)}
    return ContactInformation(
        mailing=addresses.get(Address.Kind.MAILING),
        location=addresses.get(Address.Kind.LOCATION),
        contacts=list(contacts_for_account(account=account)),
    )


def contacts_for_account(*, account: ProgramAccount | int) -> QuerySet[Contact]:
    return Contact.objects.filter(account=account).order_by("-is_primary", "name", "id")


def address_of_kind(*, account: ProgramAccount, kind: str) -> Address | None:
    return Address.objects.filter(account=account, kind=kind).first()


def direct_deposit_for_account(*, account: ProgramAccount) -> DirectDeposit | None:
    return DirectDeposit.objects.filter(account=account).first()


def account_changes(*, account: ProgramAccount) -> QuerySet[AccountChange]:
    """The history of the account's details, newest first, with who made each change."""
    return (
        AccountChange.objects.filter(account=account).select_related("actor").order_by("-occurred_at", "-id")
    )


# --- Messages from TRA ------------------------------------------------------------------------------------


def _read_since_last_from_tra(*, user: User | int) -> Exists:
    """The person has read the thread since TRA last wrote in it."""
    return Exists(
        MessageRead.objects.filter(
            message=OuterRef("pk"), user=user, read_at__gte=OuterRef("last_from_tra_at")
        )
    )


def messages_for_account(*, account: ProgramAccount, user: User | int) -> QuerySet[Message]:
    """The account's messages, newest activity from TRA first, each with `is_unread` (for this person) and
    `reply_count`: one query whatever the number of messages."""
    return (
        Message.objects.filter(account=account)
        .annotate(is_unread=~_read_since_last_from_tra(user=user), reply_count=Count("replies"))
        .order_by("-last_from_tra_at", "-id")
    )


def latest_messages_for_account(
    *, account: ProgramAccount | int, user: User | int, count: int
) -> QuerySet[Message, tuple[Any, ...]]:
    """The account's `count` messages with the newest activity from TRA, newest first, as (id, subject, when TRA
    last wrote, unread by this person) rows: what Account Information's panel shows. The newest are picked from
    the index first (message_account_time), so the read check runs for those alone, not for every message of the
    account (issue 13). `account` and `user` may be ids (consent's compiled query passes sentinels)."""
    newest = Message.objects.filter(account=account).order_by("-last_from_tra_at", "-id").values("pk")[:count]
    return (
        Message.objects.filter(pk__in=newest)
        .annotate(is_unread=~_read_since_last_from_tra(user=user))
        .order_by("-last_from_tra_at", "-id")
        .values_list("pk", "subject", "last_from_tra_at", "is_unread")
    )


def message_for_account(*, account: ProgramAccount, message_id: int) -> Message | None:
    """One message of the account with its thread, or None (another account's message is not found)."""
    return (
        Message.objects.filter(account=account, pk=message_id)
        .prefetch_related(Prefetch("replies", queryset=MessageReply.objects.order_by("created_at", "id")))
        .first()
    )


def unread_messages(*, user: User | int, account_ids: AccountIds) -> QuerySet[Message]:
    """The threads of these accounts the person has not read since TRA last wrote in them (`account_ids` may
    be a subquery; `user` a User or its id)."""
    return Message.objects.filter(account_id__in=account_ids).filter(~_read_since_last_from_tra(user=user))


def unread_message_count(*, user: User | int, account_ids: AccountIds) -> int:
    """How many threads of these accounts the person has not read since TRA last wrote in them: one query."""
    return unread_messages(user=user, account_ids=account_ids).count()


def unread_counts_by_account(*, user: User | int, account_ids: AccountIds) -> dict[int, int]:
    rows = (
        Message.objects.filter(account_id__in=account_ids)
        .filter(~_read_since_last_from_tra(user=user))
        .values("account_id")
        .annotate(unread=Count("id"))
        .order_by()
    )
    return {row["account_id"]: row["unread"] for row in rows}


# --- Documents ----------------------------------------------------------------------------------------------


def documents_for_account(*, account: ProgramAccount | int) -> QuerySet[Document]:
    """The account's documents, newest first, with their files: two queries whatever their number."""
    return (
        Document.objects.filter(account=account)
        .prefetch_related(Prefetch("files", queryset=DocumentFile.objects.order_by("position", "id")))
        .order_by("-received_at", "-id")
    )


def document_for_account(*, account: ProgramAccount, document_id: int) -> Document | None:
    return documents_for_account(account=account).filter(pk=document_id).first()


def document_file_for_account(
    *, account: ProgramAccount, document_id: int, file_id: int
) -> DocumentFile | None:
    return (
        DocumentFile.objects.filter(pk=file_id, document_id=document_id, document__account=account)
        .select_related("document")
        .first()
    )


# --- Online registration ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProgramChoice:
    program: Program
    online: bool
    how: str


def registration_programs() -> list[ProgramChoice]:
    """The Program Name menu: every program, those that register online first, with how the others do."""
    choices = [
        ProgramChoice(
            program=program,
            online=program.code in ONLINE_PROGRAMS,
            how=""
            if program.code in ONLINE_PROGRAMS
            else str(OFFLINE_HOW.get(program.code, OFFLINE_DEFAULT)),
        )
        for program in Program.objects.order_by("number")
    ]
    return sorted(choices, key=lambda choice: not choice.online)


def registrations_for_user(*, user: User) -> QuerySet[Registration]:
    """The person's registrations, newest first, with what the list shows joined (a fixed number of queries)."""
    return (
        Registration.objects.filter(registrant=user)
        .select_related("program", "taxpayer")
        .prefetch_related(Prefetch("accounts", queryset=ProgramAccount.objects.select_related("program")))
        .order_by("-created_at", "-id")
    )


def registration_for_user(*, user: User, pk: int) -> Registration | None:
    """One of the person's own registrations, or None (someone else's is as unknown as a made-up one)."""
    return (
        Registration.objects.filter(registrant=user, pk=pk)
        .select_related("program", "taxpayer")
        .prefetch_related(
            "locations__bflo",
            "contacts",
            Prefetch("events", queryset=RegistrationEvent.objects.order_by("occurred_at", "id")),
            Prefetch("accounts", queryset=ProgramAccount.objects.select_related("program", "taxpayer")),
        )
        .first()
    )


def existing_taxpayer(registration: Registration) -> Taxpayer | None:
    """The taxpayer whose BIN the registrant gave, if TRACS knows it (staff check it is theirs)."""
    return Taxpayer.objects.filter(bin=registration.bin).first() if registration.bin else None
