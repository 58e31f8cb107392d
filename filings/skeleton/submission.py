"""What filing anything does once the program's service has checked and computed it, written once: the
certification, the filer, the confirmation number and the store that survives a clash of it, and the record
(the access log, the confirmation e-mail, the confirmation PDF).

A program's service (filings/services.py `return_submit`, `return_amend`; filings/claims.py `claim_submit`)
checks what only it knows (its period, its lines, a second submission) and stores its own row; it calls these
in its transaction, with its definition (filings/definitions/).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, TypeVar

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.actors import Actor
from accounts.models import AccessLogEntry, User
from accounts.services import access_log_record, email_queue
from filings import tasks
from filings.periods import Period
from filings.skeleton.definition import DATED_BY_PERIOD, EMAIL_SUBJECT, FilingDefinition
from filings.skeleton.models import Filing

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from programs.models import ProgramAccount

T = TypeVar("T")
F = TypeVar("F", bound=Filing)

CONFIRMATION_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read over the phone without doubt
CONFIRMATION_LENGTH = 6  # 31**6 = 887 million a month, per prefix
CONFIRMATION_ATTEMPTS = 5  # five clashes in a row: about one in 887 million to the fifth


def certification_check(
    *, definition: FilingDefinition[F], certified_name: str, certified_capacity: str
) -> None:
    """Raise ValidationError, by field, unless a name and a position were given (in the program's words)."""
    errors = {}
    if not certified_name.strip():
        errors["certified_name"] = definition.certified_name_required
    if not certified_capacity.strip():
        errors["certified_capacity"] = definition.certified_capacity_required
    if errors:
        raise ValidationError(errors)


@dataclass(frozen=True)
class PeriodRefusals:
    """A program's words for a period it cannot take: not ended yet (%(period)s, %(first_day)s), before the
    account's effective date (%(period)s, %(effective)s), after its closure (%(period)s, %(closed)s)."""

    not_ended: StrOrPromise
    before_account: StrOrPromise
    after_closure: StrOrPromise


def period_open_check(
    *, account: ProgramAccount, period: Period, today: date, refusals: PeriodRefusals
) -> None:
    """Raise ValidationError unless a filing is owed for `period` and may be filed `today`: the period has ended,
    and lies between the account's effective date and its closure (codes period_not_ended, before_account,
    after_closure)."""
    span_open_check(
        effective_date=account.effective_date,
        closed_on=account.closed_on,
        period=period,
        today=today,
        refusals=refusals,
    )


def span_open_check(
    *, effective_date: date, closed_on: date | None, period: Period, today: date, refusals: PeriodRefusals
) -> None:
    """`period_open_check` for whatever files from `effective_date` to `closed_on` (an account; a dye site, which
    files per site)."""
    if not period.has_ended(today=today):
        raise ValidationError(
            refusals.not_ended % {"period": period.label, "first_day": period.next().start.isoformat()},
            code="period_not_ended",
        )
    if period.end < effective_date:
        raise ValidationError(
            refusals.before_account % {"period": period.label, "effective": effective_date.isoformat()},
            code="before_account",
        )
    if closed_on is not None and period.start > closed_on:
        raise ValidationError(
            refusals.after_closure % {"period": period.label, "closed": closed_on.isoformat()},
            code="after_closure",
        )


def filer(actor: Actor, *, definition: FilingDefinition[F]) -> User:
    """Who files: a person, in the capacity the access policy gave them (actor.capacity)."""
    if actor.user is None:
        raise ValueError(f"a {definition.item} is filed by a person: the actor names no user")
    return actor.user


def filing_columns(
    *, confirmation_number: str, filer: User, actor: Actor, certified_name: str, certified_capacity: str
) -> dict[str, object]:
    """The columns of filings.skeleton.models.Filing a new filing stores: received now, its number, who filed
    it in what capacity, who certified it."""
    return {
        "received_at": timezone.now(),
        "confirmation_number": confirmation_number,
        "filed_by": filer,
        "filed_by_email": filer.email,
        "filed_in_capacity": actor.capacity,
        "certified_name": certified_name.strip(),
        "certified_capacity": certified_capacity.strip(),
    }


def confirmation_number_new(*, definition: FilingDefinition[F], dated: date) -> str:
    """`<prefix>-YYYYMM-XXXXXX`: the month `dated` (the period's start or the day of receipt, as the definition
    says: `confirmation_dated`), then six random characters that cannot be misread."""
    suffix = "".join(secrets.choice(CONFIRMATION_ALPHABET) for _ in range(CONFIRMATION_LENGTH))
    return f"{definition.confirmation_prefix}-{dated:%Y%m}-{suffix}"


def confirmation_dated(
    *, definition: FilingDefinition[F], period_start: date | None, received_on: date
) -> date:
    """The day whose month a confirmation number carries: the period's start or the day of receipt."""
    if definition.confirmation_dated_by == DATED_BY_PERIOD:
        if period_start is None:
            raise ValueError(f"a {definition.code} is dated by its period: no period given")
        return period_start
    return received_on


def violated_constraint(error: IntegrityError) -> str:
    """The name of the database constraint an insert broke ("" when the driver does not say)."""
    diag = getattr(error.__cause__, "diag", None)
    return getattr(diag, "constraint_name", "") or ""


def stored_with_fresh_confirmation(
    store: Callable[[str], T], *, definition: FilingDefinition[F], dated: date, constraint: str
) -> T:
    """`store(confirmation_number)` in a savepoint; a clash of random confirmation numbers (`constraint`, the
    model's unique constraint on them) draws again, five times at most, then RuntimeError. Any other
    IntegrityError is the caller's (a second submission racing the first)."""
    for _attempt in range(CONFIRMATION_ATTEMPTS):
        try:
            with transaction.atomic():
                return store(confirmation_number_new(definition=definition, dated=dated))
        except IntegrityError as error:
            if violated_constraint(error) != constraint:
                raise
    raise RuntimeError("could not draw a free confirmation number")


def filing_record(*, definition: FilingDefinition[F], filing: F, actor: Actor, amended: bool = False) -> None:
    """What follows a filing stored, in its transaction: the access-log row as `actor`, the confirmation
    e-mail to the filer, and (when the definition says so) the confirmation PDF's job once it commits."""
    filed_by = filer(actor, definition=definition)
    account = filing.account
    access_log_record(
        actor=actor,
        kind=AccessLogEntry.Kind.CHANGE,
        action=definition.access_log_action(amended=amended),
        account_number=account.number,
        on_behalf_of=account.on_behalf_of,
        capacity=actor.capacity,
        detail=definition.access_log_detail(filing),
    )
    received = timezone.localtime(filing.received_at)
    facts = {
        "noun": definition.noun,
        "confirmation": filing.confirmation_number,
        "account": account.number,
        "account_name": account.display_name,
        "received": f"{received:%Y-%m-%d %H:%M}",
        "certified_by": filing.certified_by,
        **definition.email_facts(filing),
    }
    email_queue(
        to=[filed_by.email],
        subject=EMAIL_SUBJECT.format(**facts),
        body=definition.email_body.format(**facts),
        purpose=definition.email_purpose,
    )
    if definition.confirmation_pdf_on_submit:
        kind, pk = definition.document_kind, filing.pk
        transaction.on_commit(lambda: tasks.confirmation_pdf_schedule(kind=kind, pk=pk))
