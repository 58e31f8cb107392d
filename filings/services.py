"""Writes of filings: submitting and amending fuel tax returns.

`return_submit` and `return_amend` are the one door for every front end (web form, nil return, later the XML
upload): each validates, computes the tax with filings.tax.return_compute, stores the return and its lines,
writes the access-log row and queues the confirmation e-mail, all in one transaction. What every filing does
(certification, filer, confirmation number, record) is filings/skeleton/submission.py's, with the return's
definition (filings/definitions/fuel_tax.py FUEL_TAX_RETURN).

Exactly one original per account and period is guaranteed by the database (the conditional unique
constraint `fuel_tax_return_one_original_per_period`): the check before the insert gives the friendly answer
in the usual case, and when two requests race past it, the loser's insert fails on the constraint and is
turned into the same `ReturnAlreadyFiled`, carrying the winner's return.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from functools import partial
from typing import cast

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.actors import Actor
from accounts.models import User
from filings.definitions.fuel_tax import FUEL_TAX_RETURN
from filings.models import FuelTaxReturn, ReturnLine
from filings.periods import Period
from filings.skeleton import submission
from filings.skeleton.errors import AlreadyFiled
from filings.tax import Computation, LineError, LineInput, return_compute
from programs.models import ProgramAccount

FUEL_TAX = FUEL_TAX_RETURN.program

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
PERIOD_REFUSALS = submission.PeriodRefusals(
    not_ended=PERIOD_NOT_ENDED, before_account=PERIOD_BEFORE_ACCOUNT, after_closure=PERIOD_AFTER_CLOSURE
)
CERTIFIED_NAME_REQUIRED = FUEL_TAX_RETURN.certified_name_required
CERTIFIED_CAPACITY_REQUIRED = FUEL_TAX_RETURN.certified_capacity_required


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


def period_check(*, account: ProgramAccount, period: Period, today: date) -> None:
    """Raise ValidationError unless a return is owed for `period` and may be filed `today`
    (the period has ended, and lies between the account's effective date and its closure)."""
    if account.program.code != FUEL_TAX:
        raise ValidationError(NOT_A_FUEL_TAX_ACCOUNT % {"number": account.number}, code="not_fuel_tax")
    submission.period_open_check(account=account, period=period, today=today, refusals=PERIOD_REFUSALS)


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


def _store(
    confirmation_number: str,
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
        due_on=FUEL_TAX_RETURN.due_on(period),
        confirmation_number=confirmation_number,
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
    ReturnLine.objects.bulk_create(ReturnLine.computed(tax_return, line) for line in computation.lines)
    return tax_return


def _insert(store: Callable[[str], FuelTaxReturn], *, period: Period) -> FuelTaxReturn:
    """`store` in a savepoint, with a confirmation number dated by the period (drawn again on a clash)."""
    return submission.stored_with_fresh_confirmation(
        store,
        definition=FUEL_TAX_RETURN,
        dated=period.start,
        constraint=FUEL_TAX_RETURN.confirmation_constraint,
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
    submission.certification_check(
        definition=FUEL_TAX_RETURN, certified_name=certified_name, certified_capacity=certified_capacity
    )
    computation = _compute(period=period, lines=lines)
    existing = FuelTaxReturn.objects.filter(
        account=account, period_start=period.start, kind=FuelTaxReturn.Kind.ORIGINAL
    ).first()
    if existing is not None:
        raise ReturnAlreadyFiled(existing)
    store = partial(
        _store,
        account=account,
        period=period,
        computation=computation,
        kind=FuelTaxReturn.Kind.ORIGINAL,
        version=1,
        amends=None,
        certified_name=certified_name,
        certified_capacity=certified_capacity,
        submitted_by=submission.filer(actor, definition=FUEL_TAX_RETURN),
        capacity=actor.capacity,
    )
    try:
        tax_return = _insert(store, period=period)
    except IntegrityError as error:
        # Another request filed this period between our check and our insert; it has committed (PostgreSQL
        # made our insert wait for it), so this statement sees it.
        if submission.violated_constraint(error) not in (
            "fuel_tax_return_one_original_per_period",
            "fuel_tax_return_unique_version",
        ):
            raise
        existing = FuelTaxReturn.objects.get(
            account=account, period_start=period.start, kind=FuelTaxReturn.Kind.ORIGINAL
        )
        raise ReturnAlreadyFiled(existing) from error
    submission.filing_record(definition=FUEL_TAX_RETURN, filing=tax_return, actor=actor)
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
        original = cast(FuelTaxReturn, original.amends)  # "self" in PeriodFiling: the same model
    account = original.account
    period = original.period
    submission.certification_check(
        definition=FUEL_TAX_RETURN, certified_name=certified_name, certified_capacity=certified_capacity
    )
    computation = _compute(period=period, lines=lines)
    latest = FuelTaxReturn.objects.filter(account=account, period_start=period.start).aggregate(
        latest=Max("version")
    )["latest"]
    if replaces_version is not None and replaces_version != latest:
        raise ValidationError(AMENDED_MEANWHILE % {"period": period.label}, code="amended_meanwhile")
    store = partial(
        _store,
        account=account,
        period=period,
        computation=computation,
        kind=FuelTaxReturn.Kind.AMENDED,
        version=latest + 1,
        amends=original,
        certified_name=certified_name,
        certified_capacity=certified_capacity,
        submitted_by=submission.filer(actor, definition=FUEL_TAX_RETURN),
        capacity=actor.capacity,
    )
    try:
        tax_return = _insert(store, period=period)
    except IntegrityError as error:
        if submission.violated_constraint(error) != "fuel_tax_return_unique_version":
            raise
        raise ValidationError(
            AMENDED_MEANWHILE % {"period": period.label}, code="amended_meanwhile"
        ) from error
    submission.filing_record(definition=FUEL_TAX_RETURN, filing=tax_return, actor=actor, amended=True)
    return tax_return
