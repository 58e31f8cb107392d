"""Writes of filings: submitting and amending fuel tax returns.

`return_submit` and `return_amend` are the one door for every front end (web form, nil return, later the XML
upload): each validates, computes the tax with filings.tax.return_compute, stores the return and its lines,
writes the access-log row and queues the confirmation e-mail, all in one transaction.

Exactly one original per account and period is guaranteed by the database (the conditional unique
constraint `fuel_tax_return_one_original_per_period`): the check before the insert gives the friendly answer
in the usual case, and when two requests race past it, the loser's insert fails on the constraint and is
turned into the same `ReturnAlreadyFiled`, carrying the winner's return.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.actors import Actor
from accounts.models import AccessLogEntry, User
from accounts.services import access_log_record, email_queue
from filings.models import FuelTaxReturn, ReturnLine
from filings.periods import Period
from filings.skeleton.errors import AlreadyFiled
from filings.tax import Computation, LineError, LineInput, return_compute
from programs import money
from programs.models import ProgramAccount

FUEL_TAX = "fuel_tax"

NOT_A_FUEL_TAX_ACCOUNT = _("Account %(number)s does not file fuel tax returns.")
NOT_A_PERIOD_END = _("A return covers a calendar month: the period ends on the last day of a month.")
PERIOD_NOT_ENDED = _("The period %(period)s has not ended yet. You can file its return from %(first_day)s.")
PERIOD_BEFORE_ACCOUNT = _("No return is owed for %(period)s: the account's effective date is %(effective)s.")
PERIOD_AFTER_CLOSURE = _("No return is owed for %(period)s: the account closed on %(closed)s.")
ALREADY_FILED = _(
    "A return for %(period)s was already filed (confirmation number %(confirmation)s). You can file an amended return instead."
)
AMENDED_MEANWHILE = _(
    "The return for %(period)s was amended after you started this amendment (perhaps this form was sent twice). "
    "Nothing new was stored: review the latest version and amend it again if needed."
)
CERTIFIED_NAME_REQUIRED = _("Enter the name of the person certifying the return.")
CERTIFIED_CAPACITY_REQUIRED = _("Enter the position or title of the person certifying the return.")

CONFIRMATION_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read over the phone without doubt
CONFIRMATION_LENGTH = 6  # 31**6 = 887 million per month of periods


class ReturnAlreadyFiled(AlreadyFiled[FuelTaxReturn]):
    """An original return exists for this account and period; `existing` is it (show it, offer to amend)."""

    def __init__(self, existing: FuelTaxReturn):
        message = ALREADY_FILED % {
            "period": existing.period.label,
            "confirmation": existing.confirmation_number,
        }
        super().__init__(existing, str(message))


class ReturnLinesInvalid(ValidationError):
    """One or more lines are not acceptable; `errors_by_key` maps `fuel__category` to the message."""

    def __init__(self, errors_by_key: dict[str, str]):
        self.errors_by_key = errors_by_key
        super().__init__(list(errors_by_key.values()))


def confirmation_number_generate(*, period: Period) -> str:
    """`FT-YYYYMM-XXXXXX`: the period, then six random characters that cannot be misread."""
    suffix = "".join(secrets.choice(CONFIRMATION_ALPHABET) for _ in range(CONFIRMATION_LENGTH))
    return f"FT-{period.start:%Y%m}-{suffix}"


def period_check(*, account: ProgramAccount, period: Period, today: date) -> None:
    """Raise ValidationError unless a return is owed for `period` and may be filed `today`
    (the period has ended, and lies between the account's effective date and its closure)."""
    if account.program.code != FUEL_TAX:
        raise ValidationError(NOT_A_FUEL_TAX_ACCOUNT % {"number": account.number}, code="not_fuel_tax")
    if not period.has_ended(today=today):
        raise ValidationError(
            PERIOD_NOT_ENDED % {"period": period.label, "first_day": period.next().start.isoformat()},
            code="period_not_ended",
        )
    if period.end < account.effective_date:
        raise ValidationError(
            PERIOD_BEFORE_ACCOUNT % {"period": period.label, "effective": account.effective_date.isoformat()},
            code="before_account",
        )
    if account.closed_on is not None and period.start > account.closed_on:
        raise ValidationError(
            PERIOD_AFTER_CLOSURE % {"period": period.label, "closed": account.closed_on.isoformat()},
            code="after_closure",
        )


def return_preview(
    *, account: ProgramAccount, period: Period, lines: Iterable[LineInput], today: date | None = None
) -> Computation:
    """Validate and compute without storing: what the review page and the live totals show. Raises
    ValidationError for the period and ReturnLinesInvalid for the lines, as `return_submit` would."""
    period_check(account=account, period=period, today=today or timezone.localdate())
    return _compute(period=period, lines=lines)


def _compute(*, period: Period, lines: Iterable[LineInput]) -> Computation:
    lines = list(lines)
    errors: dict[str, str] = {}
    for line in lines:  # collect every line's error, not only the first
        try:
            return_compute(period_start=period.start, lines=[line])
        except LineError as error:
            errors.setdefault(error.key, error.message)
    if errors:
        raise ReturnLinesInvalid(errors)
    try:
        return return_compute(period_start=period.start, lines=lines)
    except LineError as error:  # a line reported twice
        raise ReturnLinesInvalid({error.key: error.message}) from error


def _certification_check(*, certified_name: str, certified_capacity: str) -> None:
    errors = {}
    if not certified_name.strip():
        errors["certified_name"] = CERTIFIED_NAME_REQUIRED
    if not certified_capacity.strip():
        errors["certified_capacity"] = CERTIFIED_CAPACITY_REQUIRED
    if errors:
        raise ValidationError(errors)


def _store(
    *,
    account: ProgramAccount,
    period: Period,
    computation: Computation,
    kind: str,
    version: int,
    amends: FuelTaxReturn | None,
    certified_name: str,
    certified_capacity: str,
    submitted_by: User,
    capacity: str,
) -> FuelTaxReturn:
    tax_return = FuelTaxReturn(
        account=account,
        period_start=period.start,
        period_end=period.end,
        kind=kind,
        version=version,
        amends=amends,
        received_at=timezone.now(),
        due_on=period.due_on,
        confirmation_number=confirmation_number_generate(period=period),
        filed_by=submitted_by,
        filed_by_email=submitted_by.email,
        filed_in_capacity=capacity,
        certified_name=certified_name.strip(),
        certified_capacity=certified_capacity.strip(),
        total_tax=computation.total,
    )
    tax_return.full_clean(
        validate_unique=False, validate_constraints=False
    )  # the database checks those, race-free
    tax_return.save()
    ReturnLine.objects.bulk_create(
        ReturnLine(
            tax_return=tax_return,
            fuel=line.fuel,
            category=line.category,
            litres=line.litres,
            rate_value=line.rate_value,
            rate_effective_from=line.rate_effective_from,
            tax=line.tax,
        )
        for line in computation.lines
    )
    return tax_return


def _violated_constraint(error: IntegrityError) -> str:
    diag = getattr(error.__cause__, "diag", None)
    return getattr(diag, "constraint_name", "") or ""


def _insert(**kwargs: Any) -> FuelTaxReturn:
    """Store in a savepoint; a clash of random confirmation numbers (about one in 887 million) draws again."""
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return _store(**kwargs)
        except IntegrityError as error:
            if _violated_constraint(error) != "fuel_tax_return_unique_confirmation_number":
                raise
    raise RuntimeError("could not draw a free confirmation number")


def _filer(actor: Actor) -> User:
    """Who files: a person, in the capacity the access policy gave them (actor.capacity)."""
    if actor.user is None:
        raise ValueError("a return is filed by a person: the actor names no user")
    return actor.user


def _record(*, tax_return: FuelTaxReturn, actor: Actor, action: str) -> None:
    account = tax_return.account
    submitted_by = _filer(actor)
    access_log_record(
        actor=actor,
        kind=AccessLogEntry.Kind.CHANGE,
        action=action,
        account_number=account.number,
        on_behalf_of=account.on_behalf_of,
        capacity=actor.capacity,
        detail=(
            f"{tax_return.confirmation_number} period {tax_return.period.key} version {tax_return.version} "
            f"total {money.format_money(tax_return.total_tax)}"
        ),
    )
    kind = "An amended" if tax_return.kind == FuelTaxReturn.Kind.AMENDED else "A"
    received = timezone.localtime(tax_return.received_at)
    email_queue(
        to=[submitted_by.email],
        subject=f"TRACS: fuel tax return received, confirmation number {tax_return.confirmation_number}",
        body=(
            f"{kind} fuel tax return was received by Tax and Revenue Administration.\n\n"
            f"Confirmation number: {tax_return.confirmation_number}\n"
            f"Account: {account.number} ({account.display_name})\n"
            f"Period: {tax_return.period.label}\n"
            f"Received: {received:%Y-%m-%d %H:%M} Mountain Time\n"
            f"Total tax: {money.format_money(tax_return.total_tax)}\n"
            f"Certified by: {tax_return.certified_name}, {tax_return.certified_capacity}\n\n"
            "Sign in to TRACS to see the return and print its confirmation page."
        ),
        purpose="return-confirmation",
    )


@transaction.atomic
def return_submit(
    *,
    account: ProgramAccount,
    period_end: date,
    lines: Iterable[LineInput],
    certified_name: str,
    certified_capacity: str,
    actor: Actor,
) -> FuelTaxReturn:
    """File the original return of `account` for the month ending `period_end`, by `actor` (a person, in the
    capacity the access policy gave them). No lines (or only zeros): a nil return. Raises ValidationError (period, certification), ReturnLinesInvalid (lines) or
    ReturnAlreadyFiled (an original exists: it is attached, to show it and offer an amendment)."""
    period = Period.of(period_end)
    if period.end != period_end:
        raise ValidationError(NOT_A_PERIOD_END, code="not_period_end")
    period_check(account=account, period=period, today=timezone.localdate())
    _certification_check(certified_name=certified_name, certified_capacity=certified_capacity)
    computation = _compute(period=period, lines=lines)
    existing = FuelTaxReturn.objects.filter(
        account=account, period_start=period.start, kind=FuelTaxReturn.Kind.ORIGINAL
    ).first()
    if existing is not None:
        raise ReturnAlreadyFiled(existing)
    try:
        tax_return = _insert(
            account=account,
            period=period,
            computation=computation,
            kind=FuelTaxReturn.Kind.ORIGINAL,
            version=1,
            amends=None,
            certified_name=certified_name,
            certified_capacity=certified_capacity,
            submitted_by=_filer(actor),
            capacity=actor.capacity,
        )
    except IntegrityError as error:
        # Another request filed this period between our check and our insert; it has committed (PostgreSQL
        # made our insert wait for it), so this statement sees it.
        if _violated_constraint(error) not in (
            "fuel_tax_return_one_original_per_period",
            "fuel_tax_return_unique_version",
        ):
            raise
        existing = FuelTaxReturn.objects.get(
            account=account, period_start=period.start, kind=FuelTaxReturn.Kind.ORIGINAL
        )
        raise ReturnAlreadyFiled(existing) from error
    _record(tax_return=tax_return, actor=actor, action="fuel tax return filed")
    return tax_return


@transaction.atomic
def return_amend(
    *,
    original: FuelTaxReturn,
    lines: Iterable[LineInput],
    certified_name: str,
    certified_capacity: str,
    actor: Actor,
    replaces_version: int | None = None,
) -> FuelTaxReturn:
    """File an amended return for the period of `original` (any version of it may be passed): a new version,
    linked to the original, replacing none. The lines are the whole corrected return, not a difference.

    `replaces_version` is the version the filer saw when they started: if another amendment came in since
    (or this very form was submitted twice), the amendment is refused with AMENDED_MEANWHILE rather than
    stacked on a version the filer never saw. Two amendments racing on the same version: the unique
    (account, period, version) constraint lets one through."""
    if original.kind != FuelTaxReturn.Kind.ORIGINAL and original.amends is not None:
        original = original.amends
    account = original.account
    period = original.period
    _certification_check(certified_name=certified_name, certified_capacity=certified_capacity)
    computation = _compute(period=period, lines=lines)
    latest = FuelTaxReturn.objects.filter(account=account, period_start=period.start).aggregate(
        latest=Max("version")
    )["latest"]
    if replaces_version is not None and replaces_version != latest:
        raise ValidationError(AMENDED_MEANWHILE % {"period": period.label}, code="amended_meanwhile")
    try:
        tax_return = _insert(
            account=account,
            period=period,
            computation=computation,
            kind=FuelTaxReturn.Kind.AMENDED,
            version=latest + 1,
            amends=original,
            certified_name=certified_name,
            certified_capacity=certified_capacity,
            submitted_by=_filer(actor),
            capacity=actor.capacity,
        )
    except IntegrityError as error:
        if _violated_constraint(error) != "fuel_tax_return_unique_version":
            raise
        raise ValidationError(
            AMENDED_MEANWHILE % {"period": period.label}, code="amended_meanwhile"
        ) from error
    _record(tax_return=tax_return, actor=actor, action="fuel tax return amended")
    return tax_return
