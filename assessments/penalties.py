"""The late-filing penalty of a fuel tax return (issue 6, item 5), decided from dated data.

A return received after its due date owes the greater of a fixed amount per day late or a percentage of the
tax unpaid, at most a maximum per return (assessments/rules/penalties.yaml, each value with its source, read by
the return's due date). The assessment service posts it to the ledger as a PENALTY in the same transaction as
the assessed tax, with the assessment's source reference (one per kind: posting twice is refused). Only the
first assessment of a period carries the penalty; a reassessment leaves it as it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone

from assessments import rules
from assessments.models import LedgerTransaction
from filings.models import FuelTaxReturn, TourismLevyReturn
from filings.periods import days_late
from programs import money
from programs.models import ProgramAccount

PER_DAY = "late_filing_penalty_per_day"
PERCENT = "late_filing_penalty_percent"
MAXIMUM = "late_filing_penalty_maximum"

# What "the unpaid tax" is made of: the period's tax and credits less what was paid, not earlier penalties or
# interest.
TAX_KINDS = (
    LedgerTransaction.Kind.ASSESSED_TAX,
    LedgerTransaction.Kind.CLAIM_CREDIT,
    LedgerTransaction.Kind.PAYMENT,
    LedgerTransaction.Kind.TRANSFER,
)


@dataclass(frozen=True)
class LateFilingPenalty:
    days_late: int
    unpaid_tax: Decimal
    per_day: Decimal
    percent: Decimal
    maximum: Decimal
    by_days: Decimal  # days late x per day
    by_percent: Decimal  # percent of the unpaid tax, to the cent
    amount: Decimal  # the greater of the two, at most the maximum
    source: str

    @property
    def description(self) -> str:
        return (
            f"Late-filing penalty: {self.days_late} day(s) late; the greater of "
            f"{money.format_money(self.by_days)} ({self.days_late} x {money.format_money(self.per_day)}) "
            f"and {money.format_money(self.by_percent)} ({self.percent.normalize()}% of "
            f"{money.format_money(self.unpaid_tax)} unpaid), at most {money.format_money(self.maximum)}"
        )


def late_filing_penalty(*, due_on: date, received_on: date, unpaid_tax: Decimal) -> LateFilingPenalty | None:
    """The penalty of a return due `due_on` and received `received_on` with `unpaid_tax` unpaid; None when it
    was on time (or no rule is in force for that due date)."""
    late = days_late(due_on=due_on, on=received_on)
    if late <= 0:
        return None
    try:
        per_day = rules.rule_on(rule=PER_DAY, day=due_on)
        percent = rules.rule_on(rule=PERCENT, day=due_on)
        maximum = rules.rule_on(rule=MAXIMUM, day=due_on)
    except rules.RuleNotFound:
        return None
    if per_day.value is None or percent.value is None or maximum.value is None:
        return None
    unpaid = max(money.cents(unpaid_tax), money.cents(Decimal(0)))
    by_days = money.cents(per_day.value * late)
    by_percent = money.cents(unpaid * percent.value / 100)
    amount = min(max(by_days, by_percent), money.cents(maximum.value))
    sources = dict.fromkeys((per_day.source, percent.source, maximum.source))
    return LateFilingPenalty(
        days_late=late,
        unpaid_tax=unpaid,
        per_day=per_day.value,
        percent=percent.value,
        maximum=money.cents(maximum.value),
        by_days=by_days,
        by_percent=by_percent,
        amount=amount,
        source=" | ".join(sources),
    )


def unpaid_tax(*, account: ProgramAccount, period_end: date) -> Decimal:
    """The period's tax less its credits and payments, as posted so far (penalties and interest left out)."""
    total = LedgerTransaction.objects.filter(
        account=account, period_end=period_end, kind__in=TAX_KINDS
    ).aggregate(total=Sum("amount"))["total"]
    return total if total is not None else money.cents(Decimal(0))


def penalty_for_return(*, tax_return: FuelTaxReturn, account: ProgramAccount) -> LateFilingPenalty | None:
    """The late-filing penalty the return carries now (its tax as posted, less what was paid)."""
    return late_filing_penalty(
        due_on=tax_return.due_on,
        received_on=timezone.localtime(tax_return.received_at).date(),
        unpaid_tax=unpaid_tax(account=account, period_end=tax_return.period_end),
    )


# The tourism levy's late-filing penalty (Special Notice Vol. 7 No. 3; assessments/rules/penalties.yaml).
TL_PER_DAY = "tourism_levy_penalty_per_day"
TL_GRACE_DAYS = "tourism_levy_penalty_grace_days"
TL_MINIMUM = "tourism_levy_penalty_minimum"
TL_MAXIMUM = "tourism_levy_penalty_maximum"


@dataclass(frozen=True)
class LevyLateFilingPenalty:
    days_late: int
    unpaid_levy: Decimal
    by_days: Decimal  # days late x per day
    amount: Decimal
    grace_days: int
    minimum: Decimal
    maximum: Decimal
    source: str

    @property
    def description(self) -> str:
        if self.days_late <= self.grace_days:
            return (
                f"Late-filing penalty: {self.days_late} day(s) late, {money.format_money(self.by_days)} "
                f"({self.grace_days} days late or less: the amount per day)"
            )
        return (
            f"Late-filing penalty: {self.days_late} day(s) late; the lesser of {money.format_money(self.by_days)} "
            f"and the levy unpaid at the due date ({money.format_money(self.unpaid_levy)}), at least "
            f"{money.format_money(self.minimum)} and at most {money.format_money(self.maximum)}"
        )


def tourism_levy_late_filing_penalty(
    *, due_on: date, received_on: date, unpaid_levy: Decimal
) -> LevyLateFilingPenalty | None:
    """The penalty of a tourism levy return due `due_on` (the day it could be filed without penalty: the 2020
    deferral moves it) and received `received_on`; None when on time or no rule is in force then.

    3 days late -> 3 x $25.00 = $75.00, whatever is unpaid. 12 days late with $400.00 unpaid -> the lesser of
    12 x $25.00 = $300.00 and $400.00 = $300.00. 12 days late, a nil return -> the lesser is $0.00, the minimum
    $100.00. 60 days late with $5,000.00 unpaid -> $1,500.00, at most $1,000.00."""
    late = days_late(due_on=due_on, on=received_on)
    if late <= 0:
        return None
    found: dict[str, Decimal] = {}
    sources: dict[str, None] = {}
    for name in (TL_PER_DAY, TL_GRACE_DAYS, TL_MINIMUM, TL_MAXIMUM):
        try:
            value = rules.rule_on(rule=name, day=due_on)
        except rules.RuleNotFound:
            return None
        if value.value is None:
            return None
        found[name] = value.value
        sources[value.source] = None
    grace = int(found[TL_GRACE_DAYS])
    minimum, maximum = money.cents(found[TL_MINIMUM]), money.cents(found[TL_MAXIMUM])
    unpaid = max(money.cents(unpaid_levy), money.cents(Decimal(0)))
    by_days = money.cents(found[TL_PER_DAY] * late)
    amount = by_days if late <= grace else min(max(min(by_days, unpaid), minimum), maximum)
    return LevyLateFilingPenalty(
        days_late=late,
        unpaid_levy=unpaid,
        by_days=by_days,
        amount=amount,
        grace_days=grace,
        minimum=minimum,
        maximum=maximum,
        source=" | ".join(sources),
    )


def unpaid_at(*, account: ProgramAccount, period_end: date, day: date) -> Decimal:
    """The period's tax as posted less the credits and payments effective on or before `day` (the levy "unpaid
    at the required filing date")."""
    total = (
        LedgerTransaction.objects.filter(account=account, period_end=period_end, kind__in=TAX_KINDS)
        .exclude(
            kind__in=(LedgerTransaction.Kind.PAYMENT, LedgerTransaction.Kind.TRANSFER), effective_on__gt=day
        )
        .aggregate(total=Sum("amount"))["total"]
    )
    return total if total is not None else money.cents(Decimal(0))


def penalty_for_tourism_levy_return(
    *, tax_return: TourismLevyReturn, account: ProgramAccount
) -> LevyLateFilingPenalty | None:
    """The late-filing penalty a tourism levy return carries now: late after the day it was payable by (its due
    date, or 2020-08-31 under the deferral), on the levy unpaid that day."""
    due = tax_return.payable_by
    return tourism_levy_late_filing_penalty(
        due_on=due,
        received_on=timezone.localtime(tax_return.received_at).date(),
        unpaid_levy=unpaid_at(account=account, period_end=tax_return.period_end, day=due),
    )
