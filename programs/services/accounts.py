"""Taxpayers and the life of a program account: a BIN, opening (the number is composed from the BIN),
closing, reopening and transfer to another taxpayer. Each writes the account's event history and the
access log in its transaction."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from accounts.actors import Actor
from accounts.models import AccessLogEntry, User
from accounts.services import access_log_record
from programs.models import Address, Program, ProgramAccount, ProgramAccountEvent, Taxpayer

ACCOUNT_ALREADY_CLOSED = _("This account is already closed.")


def _event(*, account: ProgramAccount, kind: str, actor: User | None, detail: str = "") -> None:
    ProgramAccountEvent.objects.create(account=account, kind=kind, actor=actor, detail=detail)


@transaction.atomic
def taxpayer_create(
    *, legal_name: str, bin: str | None = None, kind: str = Taxpayer.Kind.BUSINESS, actor: Actor
) -> Taxpayer:  # noqa: A002
    """A new taxpayer; a BIN is assigned when none is given (registration of a new business)."""
    taxpayer = Taxpayer(legal_name=legal_name, bin=bin or bin_allocate(), kind=kind)
    taxpayer.full_clean()
    taxpayer.save()
    access_log_record(
        actor=actor,
        kind=AccessLogEntry.Kind.CHANGE,
        action="taxpayer created",
        detail=f"{legal_name} BIN {taxpayer.bin}",
    )
    return taxpayer


def bin_allocate() -> str:
    """The next free 9-digit BIN, from a PostgreSQL sequence (no two registrations get the same one)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval('programs_bin_seq')")
        value = cursor.fetchone()[0]
    return f"{value:09d}"


@transaction.atomic
def account_open(
    *,
    taxpayer: Taxpayer,
    program: Program,
    effective_date: date,
    by: User | None = None,
    trade_name: str = "",
    mailing_address: dict[str, Any] | None = None,
    actor: Actor,
) -> ProgramAccount:
    """A new account of `program` for `taxpayer`, numbered from its BIN. `by` is the member of staff the
    account's history names (none for demo data); `actor` how the request reached TRACS."""
    last = (
        ProgramAccount.objects.select_for_update()
        .filter(taxpayer=taxpayer, program=program)
        .order_by("-sequence")
        .first()
    )
    sequence = (last.sequence + 1) if last else 1
    account = ProgramAccount(
        taxpayer=taxpayer,
        program=program,
        sequence=sequence,
        number=ProgramAccount.compose_number(
            bin=taxpayer.bin, program_number=program.number, sequence=sequence
        ),
        trade_name=trade_name,
        effective_date=effective_date,
    )
    account.full_clean()
    account.save()
    if mailing_address:
        address = Address(account=account, kind=Address.Kind.MAILING, **mailing_address)
        address.full_clean()
        address.save()
    _event(account=account, kind="opened", actor=by, detail=f"effective {effective_date.isoformat()}")
    access_log_record(
        actor=actor,
        kind=AccessLogEntry.Kind.CHANGE,
        action="account opened",
        account_number=account.number,
        capacity="staff" if by else "",
    )
    return account


@transaction.atomic
def account_close(
    *, account: ProgramAccount, closed_on: date, by: User, reason: str = "", actor: Actor
) -> ProgramAccount:
    if account.status == ProgramAccount.Status.CLOSED:
        raise ValidationError(ACCOUNT_ALREADY_CLOSED)
    account.status = ProgramAccount.Status.CLOSED
    account.closed_on = closed_on
    account.save(update_fields=["status", "closed_on"])
    _event(
        account=account,
        kind="closed",
        actor=by,
        detail=f"closed on {closed_on.isoformat()}. {reason}".strip(),
    )
    access_log_record(
        actor=actor,
        kind=AccessLogEntry.Kind.CHANGE,
        action="account closed",
        account_number=account.number,
        capacity="staff",
    )
    return account


@transaction.atomic
def account_reopen(*, account: ProgramAccount, by: User, actor: Actor) -> ProgramAccount:
    account.status = ProgramAccount.Status.ACTIVE
    account.closed_on = None
    account.save(update_fields=["status", "closed_on"])
    _event(account=account, kind="reopened", actor=by)
    access_log_record(
        actor=actor,
        kind=AccessLogEntry.Kind.CHANGE,
        action="account reopened",
        account_number=account.number,
        capacity="staff",
    )
    return account


@transaction.atomic
def account_transfer(
    *, account: ProgramAccount, to_taxpayer: Taxpayer, by: User, reason: str = "", actor: Actor
) -> ProgramAccount:
    """Move an account to another taxpayer (sale, amalgamation). The number stays: it names the account, and
    the BIN inside it is the BIN at opening (docs/account-numbers.md). Access is reset by the caller."""
    before = account.taxpayer
    account.taxpayer = to_taxpayer
    account.save(update_fields=["taxpayer"])
    _event(
        account=account,
        kind="transferred",
        actor=by,
        detail=f"from {before} to {to_taxpayer}. {reason}".strip(),
    )
    access_log_record(
        actor=actor,
        kind=AccessLogEntry.Kind.CHANGE,
        action="account transferred",
        account_number=account.number,
        capacity="staff",
    )
    return account
