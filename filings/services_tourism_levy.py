"""Writes of tourism levy returns: filing and amending an establishment's return (AT317).

`tourism_levy_return_submit` and `tourism_levy_return_amend` are the one door for the web form, the nil return
and the XML upload: each checks the period (the establishment's frequency, its opening and closure) and the
establishment named, computes with filings.tourism_levy.levy_compute, stores the return and its amounts by
reason, and hands the rest (certification, filer, confirmation number, access log, e-mail) to
filings/skeleton/submission.py with the definition (filings/definitions/tourism_levy.py). One original per
account and period is the database's (`tourism_levy_return_one_original_per_period`): a race's loser is told
`TourismLevyAlreadyFiled`, carrying the winner's return.
"""

from __future__ import annotations

import re
from datetime import date
from typing import cast

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.actors import Actor
from filings.definitions.tourism_levy import TOURISM_LEVY_RETURN
from filings.models import TourismLevyExemption, TourismLevyReturn
from filings.periods import Period
from filings.skeleton import submission
from filings.skeleton.errors import AlreadyFiled, FiguresInvalid, period_already_filed
from filings.tourism_levy import LevyComputation, LevyError, LevyInput, levy_compute, period_kind_on
from programs.models import ProgramAccount

DEFINITION = TOURISM_LEVY_RETURN
ESTABLISHMENT = "establishment"  # the field naming the establishment's account number

NOT_A_TOURISM_LEVY_ACCOUNT = _("Account %(number)s does not file tourism levy returns.")
WRONG_FREQUENCY = _(
    "%(period)s is a %(kind)s period, but this establishment files %(frequency)s returns for it: "
    "choose the %(frequency)s period."
)
PERIOD_NOT_ENDED = _("The period %(period)s has not ended yet. You can file its return from %(first_day)s.")
BEFORE_OPENING = _(
    "No return is owed for %(period)s: the establishment opened on %(effective)s, after the period ended."
)
AFTER_CLOSURE = _("No return is owed for %(period)s: the establishment closed on %(closed)s.")
PERIOD_REFUSALS = submission.PeriodRefusals(
    not_ended=PERIOD_NOT_ENDED, before_account=BEFORE_OPENING, after_closure=AFTER_CLOSURE
)
OTHER_ESTABLISHMENT = _(
    "%(number)s is the account of another establishment (%(name)s). File its return from its own account; "
    "this return is for %(this)s."
)
NOT_THIS_ESTABLISHMENT = _("Enter this establishment's account number, %(this)s.")
ALREADY_FILED = _(
    "A tourism levy return for %(period)s was already filed (confirmation number %(confirmation)s). "
    "You can file an amended return instead."
)
AMENDED_MEANWHILE = _(
    "The return for %(period)s was amended after you started this amendment. Nothing new was stored: review "
    "the latest version and amend it again if needed."
)


class TourismLevyAlreadyFiled(AlreadyFiled[TourismLevyReturn]):
    def __init__(self, existing: TourismLevyReturn):
        super().__init__(existing, period_already_filed(existing, ALREADY_FILED))


TourismLevyInvalid = FiguresInvalid  # the figures refused, by the form's field


def period_check(*, account: ProgramAccount, period: Period, today: date) -> None:
    """ValidationError unless `account` owes a return for `period` that may be filed `today`: a tourism levy
    account, the kind of period its frequency says, ended, neither before the establishment opened (its
    effective date) nor after it closed."""
    if account.program.code != DEFINITION.program:
        raise ValidationError(
            NOT_A_TOURISM_LEVY_ACCOUNT % {"number": account.number}, code="not_tourism_levy"
        )
    frequency = period_kind_on(account, period.start)
    if period.kind is not frequency:
        raise ValidationError(
            WRONG_FREQUENCY % {"period": period.label, "kind": period.kind, "frequency": frequency},
            code="wrong_frequency",
        )
    submission.period_open_check(account=account, period=period, today=today, refusals=PERIOD_REFUSALS)


def _digits(number: str) -> str:
    return re.sub(r"\D", "", number)


def establishment_error(*, account: ProgramAccount, establishment: str | None) -> str | None:
    """Why the establishment named is not this account's (another establishment of the same operator, or any
    other number), or None. None named: the page's own account (a nil return's button names none)."""
    if establishment is None or _digits(establishment) == _digits(account.number):
        return None
    other = (
        ProgramAccount.objects.filter(taxpayer_id=account.taxpayer_id, program_id=account.program_id)
        .exclude(pk=account.pk)
        .filter(number__in=[establishment.strip(), _format(_digits(establishment))])
        .first()
    )
    if other is not None:
        return str(
            OTHER_ESTABLISHMENT % {"number": other.number, "name": other.display_name, "this": account.number}
        )
    return str(NOT_THIS_ESTABLISHMENT % {"this": account.number})


def _format(digits: str) -> str:
    return f"{digits[:9]}-{digits[9:11]}-{digits[11:]}" if len(digits) == 14 else digits


def tourism_levy_preview(
    *,
    account: ProgramAccount,
    period: Period,
    levy_input: LevyInput,
    establishment: str | None = None,
    today: date | None = None,
) -> LevyComputation:
    """Check and compute without storing (the review page, the live figures, validate-only uploads): raises
    ValidationError for the period and TourismLevyInvalid for the figures, as the submission would."""
    period_check(account=account, period=period, today=today or timezone.localdate())
    return _compute(account=account, period=period, levy_input=levy_input, establishment=establishment)


def _compute(
    *, account: ProgramAccount, period: Period, levy_input: LevyInput, establishment: str | None
) -> LevyComputation:
    errors: dict[str, str] = {}
    wrong = establishment_error(account=account, establishment=establishment)
    if wrong:
        errors[ESTABLISHMENT] = wrong
    try:
        computation = levy_compute(period=period, levy_input=levy_input)
    except LevyError as error:
        errors.update(error.errors)
    if errors:
        raise TourismLevyInvalid(errors)
    return computation


def _stored(
    *,
    account: ProgramAccount,
    computation: LevyComputation,
    kind: str,
    version: int,
    amends: TourismLevyReturn | None,
    certified_name: str,
    certified_capacity: str,
    actor: Actor,
) -> TourismLevyReturn:
    period = computation.period
    filer = submission.filer(actor, definition=DEFINITION)

    def store(confirmation_number: str) -> TourismLevyReturn:
        tax_return = TourismLevyReturn(
            account=account,
            period_kind=period.kind.value,
            period_start=period.start,
            period_end=period.end,
            kind=kind,
            version=version,
            amends=amends,
            due_on=DEFINITION.due_on(period),
            **submission.filing_columns(
                confirmation_number=confirmation_number,
                filer=filer,
                actor=actor,
                certified_name=certified_name,
                certified_capacity=certified_capacity,
            ),
            gross_revenue=computation.gross_revenue,
            exempt_total=computation.exempt_total,
            taxable=computation.taxable,
            rate_value=computation.rate_value,
            rate_effective_from=computation.rate_effective_from,
            levy=computation.levy,
            levy_collected=computation.levy_collected,
            levy_kept=computation.levy_kept,
            amount_payable=computation.amount_payable,
        )
        tax_return.full_clean(validate_unique=False, validate_constraints=False)  # the database's, race-free
        tax_return.save()
        TourismLevyExemption.objects.bulk_create(
            TourismLevyExemption(tax_return=tax_return, reason=line.reason, amount=line.amount)
            for line in computation.exemptions
        )
        return tax_return

    return submission.stored_with_fresh_confirmation(
        store, definition=DEFINITION, dated=period.start, constraint=DEFINITION.confirmation_constraint
    )


@transaction.atomic
def tourism_levy_return_submit(
    *,
    account: ProgramAccount,
    period: Period,
    levy_input: LevyInput,
    certified_name: str,
    certified_capacity: str,
    actor: Actor,
    establishment: str | None = None,
) -> TourismLevyReturn:
    """File the original return of the establishment `account` for `period`, by `actor`. A gross revenue and
    levy collected of zero: a nil return. Raises ValidationError (period, certification), TourismLevyInvalid
    (figures, establishment) or TourismLevyAlreadyFiled."""
    period_check(account=account, period=period, today=timezone.localdate())
    submission.certification_check(
        definition=DEFINITION, certified_name=certified_name, certified_capacity=certified_capacity
    )
    computation = _compute(account=account, period=period, levy_input=levy_input, establishment=establishment)
    originals = TourismLevyReturn.objects.filter(
        account=account, period_start=period.start, kind=TourismLevyReturn.Kind.ORIGINAL
    )
    existing = originals.first()
    if existing is not None:
        raise TourismLevyAlreadyFiled(existing)
    try:
        tax_return = _stored(
            account=account,
            computation=computation,
            kind=TourismLevyReturn.Kind.ORIGINAL,
            version=1,
            amends=None,
            certified_name=certified_name,
            certified_capacity=certified_capacity,
            actor=actor,
        )
    except IntegrityError as error:  # another request filed this period between our check and our insert
        if submission.violated_constraint(error) not in (
            "tourism_levy_return_one_original_per_period",
            "tourism_levy_return_unique_version",
        ):
            raise
        raise TourismLevyAlreadyFiled(originals.get()) from error
    submission.filing_record(definition=DEFINITION, filing=tax_return, actor=actor)
    return tax_return


@transaction.atomic
def tourism_levy_return_amend(
    *,
    original: TourismLevyReturn,
    levy_input: LevyInput,
    certified_name: str,
    certified_capacity: str,
    actor: Actor,
    replaces_version: int | None = None,
    establishment: str | None = None,
) -> TourismLevyReturn:
    """File an amended return for the period of `original` (any version): the whole corrected return, a new
    version. Refused with AMENDED_MEANWHILE when the latest version is no longer `replaces_version`."""
    if original.amends is not None:
        original = cast(TourismLevyReturn, original.amends)  # "self" in PeriodFiling: the same model
    account, period = original.account, original.period
    submission.certification_check(
        definition=DEFINITION, certified_name=certified_name, certified_capacity=certified_capacity
    )
    computation = _compute(account=account, period=period, levy_input=levy_input, establishment=establishment)
    latest = TourismLevyReturn.objects.filter(account=account, period_start=period.start).aggregate(
        latest=Max("version")
    )["latest"]
    meanwhile = ValidationError(AMENDED_MEANWHILE % {"period": period.label}, code="amended_meanwhile")
    if replaces_version is not None and replaces_version != latest:
        raise meanwhile
    try:
        tax_return = _stored(
            account=account,
            computation=computation,
            kind=TourismLevyReturn.Kind.AMENDED,
            version=latest + 1,
            amends=original,
            certified_name=certified_name,
            certified_capacity=certified_capacity,
            actor=actor,
        )
    except IntegrityError as error:
        if submission.violated_constraint(error) != "tourism_levy_return_unique_version":
            raise
        raise meanwhile from error
    submission.filing_record(definition=DEFINITION, filing=tax_return, actor=actor, amended=True)
    return tax_return
