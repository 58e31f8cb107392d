"""What a tourism levy return (AT317) computes, and the levy's dated rules (filings/rules/tourism_levy.yaml).

One return per establishment (each its own account) for every collection period, a month or a calendar quarter
as the account's filing frequency says (programs.models.AccountFrequency), sales or not (a nil return).

The return (shared/DOMAIN.md "Tourism Levy", TRA Information Circular TL-2):
- the **gross revenue** from accommodation: the purchase price, including the fees the purchaser pays (smoking
  or vaping in a non-smoking room, normal cleaning, pets, extra amenities, booking, service or administration
  fees, an online broker's too);
- less the **exempt and excluded amounts by reason** (`reasons()`: stays of 28 days or more, under $30 a day,
  ...; from 2024-10-01 the stays paid through an online broker who remits the levy itself);
- the **taxable purchase price**, and the **levy** on it at the rate in force on the period's first day
  (programs/rates/tourism_levy.yaml: 4%), rounded half up to the cent once for the return;
- the **levy collected**, and the **amount payable**: the levy, except where the COVID-19 abatement let the
  operator keep what was collected (2020-03-01 to 2020-12-31): a period inside it pays $0.00; a period that
  straddles one of its dates reports the levy collected on each side and pays the levy less the part kept.

Computed once, here, for every front door of the return (the web form, its review, an upload, the service).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from pathlib import Path

import yaml
from django.utils.translation import gettext_lazy as _

from filings.periods import DueBasis, DueDateRule, Period, PeriodKind
from programs import money
from programs.models import ProgramAccount
from programs.models_frequency import frequency_on
from programs.rates import RateNotFound, rate_on

TAX = "tourism_levy"
ACCOMMODATION = "accommodation"  # what the rate schedule taxes (its one "fuel")
RULES_FILE = Path(__file__).resolve().parent / "rules" / "tourism_levy.yaml"

# The form's (and the XML's) field names, where each refusal is shown.
GROSS_REVENUE = "gross_revenue"
LEVY_COLLECTED = "levy_collected"
LEVY_KEPT = "levy_collected_abated"
FEES = "fees"  # an upload's fees reported apart from the room charges (the web form's revenue includes them)
EXEMPT_PREFIX = "exempt_"

EXEMPT_MORE_THAN_REVENUE = _(
    "The exempt and excluded amounts (%(exempt)s) are more than the gross revenue (%(gross)s): "
    "check the gross revenue and the amounts by reason."
)
REASON_NOT_YET = _(
    "“%(reason)s” can be reported only for periods ending on or after %(from)s; %(period)s ends before it."
)
UNKNOWN_REASON = _("“%(reason)s” is not a reason for an exempt or excluded amount.")
NO_ABATEMENT = _(
    "The COVID-19 abatement does not apply to %(period)s: report all the levy collected as levy collected."
)
RATE_NOT_ON_FILE = _("No tourism levy rate is on file for %(period)s. Contact TRA to file this return.")


# TL-2: "Monthly filers: return and remittance due the 28th day after the end of the collection period;
# quarterly filers: the 28th day after the end of the calendar quarter", a weekend or holiday moving it.
TOURISM_LEVY_DUE_DATE = DueDateRule(
    DueBasis.DAYS_AFTER_END, 28, source='shared/DOMAIN.md "Tourism Levy" (TRA Information Circular TL-2)'
)


class RuleDataError(Exception):
    """filings/rules/tourism_levy.yaml is malformed; raised at start-up."""


@dataclass(frozen=True)
class Reason:
    """A reason an amount is exempt or excluded from the levy, reportable from `in_force_from`."""

    code: str
    label: str
    in_force_from: date
    source: str

    @property
    def field(self) -> str:
        return f"{EXEMPT_PREFIX}{self.code}"

    def applies_to(self, period: Period) -> bool:
        return period.end >= self.in_force_from


class Overlap(StrEnum):
    NONE = "none"
    WHOLE = "whole"
    PART = "part"


@dataclass(frozen=True)
class Abatement:
    """The days on which operators kept the levy they collected (both included)."""

    start: date
    until: date
    source: str

    def overlap(self, period: Period) -> Overlap:
        """Whether `period` lies outside the abatement, inside it, or across one of its dates.

        Q4 2019 -> none; March 2020 -> whole; Q1 2020 (January to March) -> part; January 2021 -> none."""
        if period.end < self.start or period.start > self.until:
            return Overlap.NONE
        if period.start >= self.start and period.end <= self.until:
            return Overlap.WHOLE
        return Overlap.PART


@dataclass(frozen=True)
class Deferral:
    """A remittance due from `due_from` to `due_until` (both included) could be paid by `payable_by` without
    penalty or interest."""

    due_from: date
    due_until: date
    payable_by: date
    source: str

    def payable_by_for(self, due_on: date) -> date:
        """The last day a remittance due `due_on` could be paid without penalty or interest.

        Due 2020-03-26 -> 2020-03-26 (before the deferral); due 2020-03-27 or 2020-04-28 -> 2020-08-31;
        due 2020-09-28 -> 2020-09-28 (after it)."""
        if self.due_from <= due_on <= self.due_until:
            return max(due_on, self.payable_by)
        return due_on


@dataclass(frozen=True)
class LevyRules:
    reasons: dict[str, Reason]  # in form order
    abatement: Abatement
    deferral: Deferral


def _date(value: object, where: str) -> date:
    if not isinstance(value, date):
        raise RuleDataError(f"tourism_levy.yaml: {where} must be a date, got {value!r}")
    return value


def _source(references: Mapping[str, str], key: object, where: str) -> str:
    if key not in references:
        raise RuleDataError(f"tourism_levy.yaml: {where}: source {key!r} is not in references")
    return references[str(key)]


def rules_parse(data: object) -> LevyRules:
    """The rules of the file's contents; RuleDataError naming what is wrong."""
    try:
        assert isinstance(data, dict)
        references, reasons, abatement, deferral = (
            data["references"],
            data["reasons"],
            data["abatement"],
            data["deferral"],
        )
    except (AssertionError, KeyError) as error:
        raise RuleDataError(f"tourism_levy.yaml: missing {error}") from error
    parsed = {
        code: Reason(
            code=code,
            label=spec["label"],
            in_force_from=_date(spec.get("from"), f"reason {code}"),
            source=_source(references, spec.get("source"), f"reason {code}"),
        )
        for code, spec in reasons.items()
    }
    start, until = _date(abatement.get("from"), "abatement"), _date(abatement.get("until"), "abatement")
    due_from, due_until = (
        _date(deferral.get("due_from"), "deferral"),
        _date(deferral.get("due_until"), "deferral"),
    )
    if until < start or due_until < due_from:
        raise RuleDataError("tourism_levy.yaml: a rule's last day is before its first")
    return LevyRules(
        reasons=parsed,
        abatement=Abatement(start, until, _source(references, abatement.get("source"), "abatement")),
        deferral=Deferral(
            due_from,
            due_until,
            _date(deferral.get("payable_by"), "deferral"),
            _source(references, deferral.get("source"), "deferral"),
        ),
    )


@functools.cache
def rules() -> LevyRules:
    return rules_parse(yaml.safe_load(RULES_FILE.read_text()))


def reasons_for(period: Period) -> list[Reason]:
    """The reasons a return for `period` may report, in form order."""
    return [reason for reason in rules().reasons.values() if reason.applies_to(period)]


def payable_by(due_on: date) -> date:
    """The day a remittance due `due_on` is payable by without penalty or interest (the 2020 deferral)."""
    return rules().deferral.payable_by_for(due_on)


@dataclass(frozen=True)
class LevyInput:
    """A return's figures as submitted: Decimals or the text typed or uploaded (read by programs.money).

    `exempt`: the amount by reason code. `levy_collected`: the levy collected (outside the abatement, or all
    of it in a period wholly inside it); `levy_collected_abated`: in a period across one of the abatement's
    dates, the levy collected on the abatement's side."""

    gross_revenue: Decimal | str
    exempt: Mapping[str, Decimal | str]
    levy_collected: Decimal | str = ""
    levy_collected_abated: Decimal | str = ""
    # The fees the guests paid that `gross_revenue` leaves out (an XML file may report them apart): part of the
    # purchase price (TL-2), so the gross revenue computed is the two together.
    fees: Decimal | str = ""


@dataclass(frozen=True)
class ComputedExemption:
    reason: str
    amount: Decimal

    @property
    def label(self) -> str:
        reason = rules().reasons.get(self.reason)
        return reason.label if reason else self.reason


class LevyFigures:
    """What a computation and a filed return (filings.models.TourismLevyReturn) both say of their figures."""

    gross_revenue: Decimal
    rate_value: Decimal
    levy_collected: Decimal  # outside the abatement
    levy_kept: Decimal  # collected inside the abatement, kept by the operator

    @property
    def levy_collected_total(self) -> Decimal:
        return self.levy_collected + self.levy_kept

    @property
    def is_nil(self) -> bool:
        """No accommodation sold and no levy collected: a nil return."""
        return self.gross_revenue == 0 and self.levy_collected_total == 0

    @property
    def rate_percent(self) -> Decimal:
        return (self.rate_value * 100).normalize()


@dataclass(frozen=True)
class LevyComputation(LevyFigures):
    period: Period
    gross_revenue: Decimal
    exemptions: tuple[ComputedExemption, ...]  # non-zero amounts only, in form order
    exempt_total: Decimal
    taxable: Decimal
    rate_value: Decimal
    rate_effective_from: date
    levy: Decimal
    levy_collected: Decimal  # outside the abatement
    levy_kept: Decimal  # collected inside the abatement, kept by the operator
    abatement: Overlap
    amount_payable: Decimal


class LevyError(ValueError):
    """Figures that cannot be computed; `errors` maps each field (GROSS_REVENUE, `exempt_<reason>`, ...) to its
    message, for the form or the upload's report."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(errors.values()))


def _amounts(levy_input: LevyInput, period: Period) -> tuple[dict[str, Decimal], dict[str, str]]:
    """Every figure read as money (field -> amount) and every refusal (field -> message)."""
    known = rules().reasons
    raw: dict[str, object] = {
        GROSS_REVENUE: levy_input.gross_revenue,
        LEVY_COLLECTED: levy_input.levy_collected,
        LEVY_KEPT: levy_input.levy_collected_abated,
        FEES: levy_input.fees,
    }
    errors: dict[str, str] = {}
    for code, amount in levy_input.exempt.items():
        field = f"{EXEMPT_PREFIX}{code}"
        reason = known.get(code)
        if reason is None:
            errors[field] = str(UNKNOWN_REASON % {"reason": code})
        elif not reason.applies_to(period) and str(amount).strip() not in ("", "0", "0.00"):
            errors[field] = str(
                REASON_NOT_YET
                % {"reason": reason.label, "from": reason.in_force_from.isoformat(), "period": period.label}
            )
        raw[field] = amount
    amounts: dict[str, Decimal] = {}
    for field, value in raw.items():
        if field in errors:
            continue
        try:
            amounts[field] = money.parse_money(value)
        except money.AmountError as error:
            errors[field] = str(error)
    return amounts, errors


def levy_compute(*, period: Period, levy_input: LevyInput) -> LevyComputation:
    """The return of `period` from its figures; LevyError with every refusal, by field.

    $10,000.00 gross, nothing exempt -> taxable $10,000.00, levy 4% = $400.00, payable $400.00.
    $12,000.00 of room charges and $450.00 of fees reported apart -> gross revenue $12,450.00."""
    amounts, errors = _amounts(levy_input, period)
    overlap = rules().abatement.overlap(period)
    if overlap is Overlap.NONE and amounts.get(LEVY_KEPT):
        errors[LEVY_KEPT] = str(NO_ABATEMENT % {"period": period.label})
    order = list(rules().reasons)
    exemptions = tuple(
        ComputedExemption(reason=code, amount=amounts[f"{EXEMPT_PREFIX}{code}"])
        for code in sorted(levy_input.exempt, key=lambda code: order.index(code) if code in order else -1)
        if amounts.get(f"{EXEMPT_PREFIX}{code}")
    )
    exempt_total = sum((line.amount for line in exemptions), start=money.cents(Decimal(0)))
    gross = amounts.get(GROSS_REVENUE)
    if gross is not None and FEES in amounts:
        gross += amounts[FEES]
    if gross is not None and exempt_total > gross:
        errors[GROSS_REVENUE] = str(
            EXEMPT_MORE_THAN_REVENUE
            % {"exempt": money.format_money(exempt_total), "gross": money.format_money(gross)}
        )
    try:
        rate = rate_on(fuel=ACCOMMODATION, day=period.start, tax=TAX)
    except RateNotFound:
        rate = None
    if rate is None or rate.value is None:
        errors.setdefault(GROSS_REVENUE, str(RATE_NOT_ON_FILE % {"period": period.label}))
    if errors:
        raise LevyError(errors)
    assert gross is not None
    assert rate is not None
    assert rate.value is not None
    taxable = gross - exempt_total
    levy = money.cents(taxable * rate.value)
    collected, kept = amounts[LEVY_COLLECTED], amounts[LEVY_KEPT]
    if overlap is Overlap.WHOLE:  # all the levy collected in the period was collected inside the abatement
        collected, kept = money.cents(Decimal(0)), collected + kept
        payable = money.cents(Decimal(0))
    elif overlap is Overlap.PART:
        payable = max(levy - kept, money.cents(Decimal(0)))
    else:
        payable = levy
    return LevyComputation(
        period=period,
        gross_revenue=gross,
        exemptions=exemptions,
        exempt_total=exempt_total,
        taxable=taxable,
        rate_value=rate.value,
        rate_effective_from=rate.effective_from,
        levy=levy,
        levy_collected=collected,
        levy_kept=kept,
        abatement=overlap,
        amount_payable=payable,
    )


# --- Its periods: the account's filing frequency decides them ----------------------------------------------


def period_kind_on(account: ProgramAccount, day: date) -> PeriodKind:
    """The kind of collection period `account` files for on `day`: monthly or quarterly, by its dated
    frequency (programs.models.AccountFrequency; monthly before its first)."""
    return PeriodKind(frequency_on(list(account.frequencies.all()), day))


def period_of(account: ProgramAccount, day: date) -> Period:
    """The collection period of `account` that contains `day`: its month or its quarter."""
    return Period.of(day, period_kind_on(account, day))


def periods_owed(account: ProgramAccount, today: date) -> list[Period]:
    """Every collection period `account` owes a return for by `today`, oldest first: from the period of its
    effective date (the day the establishment opened) to the last one ended, no later than the period in which
    it closed, each a month or a quarter as the frequency in force on its first day says (a frequency changes
    on a quarter's first day, so no quarter is split)."""
    changes = list(account.frequencies.all())
    periods: list[Period] = []
    day = account.effective_date
    while True:
        period = Period.of(day, PeriodKind(frequency_on(changes, day)))
        if not period.has_ended(today=today):
            return periods
        if account.closed_on is not None and period.start > account.closed_on:
            return periods
        periods.append(period)
        day = period.end + timedelta(days=1)
