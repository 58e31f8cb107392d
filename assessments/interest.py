"""Interest on amounts owing (issue 6, item 5): simple daily interest at the prescribed debit rate.

For each day from the day after the period's due date, the period's unpaid amount bears interest of
unpaid x (the annual debit rate in force that day) / 365, not compounded. An amount counts from the day after
its effective date: the assessed tax from the day after the due date, a payment stops interest the day after it
was received (the day of payment still bears interest), a penalty counts from the day after the assessment
that imposed it when the rule `penalties_bear_interest` says penalties bear interest (both rules are dated
data with their sources in assessments/rules/interest_rates.yaml). Interest never bears interest.

Accrual is cumulative, so it is safe to run twice and to miss days: `interest_accrue` computes the exact
interest of the period from the day after the due date through `through`, rounds it once to the cent, and
posts the difference from the interest already posted for the period as one INTEREST transaction whose source
reference names the account, the period and the through-date (unique: a second run of the same day finds it
posted, or nothing left to post). A day missed is caught up by the next run; crossing a quarter uses each
day's rate; a reassessment that lowers the tax posts a negative difference. Interest forgiven by a waiver
(assessments/decisions/: reversals whose source names the waiver) is not charged again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Min, Q
from django.utils import timezone

from accounts.actors import Actor
from assessments import rules
from assessments.models import LedgerTransaction
from assessments.services import ledger
from programs import money
from programs.models import ProgramAccount

Kind = LedgerTransaction.Kind
DEBIT_RATE = "interest_debit_rate"
PENALTIES_BEAR_INTEREST = "penalties_bear_interest"
DAYS_IN_YEAR = Decimal(365)
ZERO = Decimal(0)
# The source of a waiver's reversal (assessments.decisions.waiver_source): interest it forgave stays forgiven.
WAIVER_SOURCE_PREFIX = "waiver:"


@dataclass(frozen=True)
class Segment:
    """Days `first` through `last` at one principal and one rate."""

    first: date
    last: date
    principal: Decimal
    rate: Decimal  # percent a year
    interest: Decimal  # exact, not rounded

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


@dataclass(frozen=True)
class Accrual:
    due_on: date
    through: date
    segments: tuple[Segment, ...]
    exact: Decimal
    total: Decimal  # exact, rounded to the cent once
    posted_before: Decimal  # interest charged less interest reversed (waived or not)
    to_post: Decimal
    waived: Decimal = ZERO  # interest forgiven by waivers


def _rule_changes(rule: str) -> list[date]:
    return [row.effective_from for row in rules.rules()[rule].values]


def _rate(day: date) -> Decimal:
    try:
        value = rules.rule_on(rule=DEBIT_RATE, day=day).value
    except rules.RuleNotFound:
        return ZERO
    return value if value is not None else ZERO


def _penalties_bear_interest(day: date) -> bool:
    try:
        value = rules.rule_on(rule=PENALTIES_BEAR_INTEREST, day=day).value
    except rules.RuleNotFound:
        return False
    return bool(value)


def _interest_kind(entry: LedgerTransaction) -> str:
    """The kind an amount counts as for interest (a reversal counts as what it reverses)."""
    return entry.reverses.kind if entry.kind == Kind.REVERSAL and entry.reverses is not None else entry.kind


def compute(*, entries: list[LedgerTransaction], due_on: date, through: date) -> list[Segment]:
    """The segments of constant principal and rate from the day after `due_on` through `through`."""
    start = due_on + timedelta(days=1)
    if through < start:
        return []
    bearing = [
        (entry.effective_on + timedelta(days=1), entry.amount, _interest_kind(entry))
        for entry in entries
        if _interest_kind(entry) != Kind.INTEREST
    ]
    breaks = {start, through + timedelta(days=1)}
    breaks.update(day for day, _, _ in bearing if start < day <= through)
    for rule in (DEBIT_RATE, PENALTIES_BEAR_INTEREST):
        breaks.update(day for day in _rule_changes(rule) if start < day <= through)
    points = sorted(breaks)
    segments = []
    for first, following in zip(points, points[1:], strict=False):
        last = following - timedelta(days=1)
        with_penalties = _penalties_bear_interest(first)
        principal = sum(
            (
                amount
                for counts_from, amount, kind in bearing
                if counts_from <= first and (kind != Kind.PENALTY or with_penalties)
            ),
            start=ZERO,
        )
        principal = max(principal, ZERO)
        rate = _rate(first)
        days = (last - first).days + 1
        interest = principal * rate / 100 * days / DAYS_IN_YEAR
        segments.append(Segment(first=first, last=last, principal=principal, rate=rate, interest=interest))
    return segments


def period_due_on(*, account: ProgramAccount, period_end: date) -> date | None:
    """The period's due date, as the assessed tax carries it (its effective date); None if never assessed."""
    return LedgerTransaction.objects.filter(
        account=account, period_end=period_end, kind=Kind.ASSESSED_TAX
    ).aggregate(due=Min("effective_on"))["due"]


def accrual(*, account: ProgramAccount, period_end: date, through: date) -> Accrual | None:
    due_on = period_due_on(account=account, period_end=period_end)
    if due_on is None:
        return None
    entries = list(
        LedgerTransaction.objects.filter(account=account, period_end=period_end).select_related("reverses")
    )
    segments = compute(entries=entries, due_on=due_on, through=through)
    exact = sum((segment.interest for segment in segments), start=ZERO)
    total = money.cents(exact)
    posted = sum((entry.amount for entry in entries if _interest_kind(entry) == Kind.INTEREST), start=ZERO)
    posted = money.cents(posted)
    waived = money.cents(-sum((entry.amount for entry in entries if _is_waived_interest(entry)), start=ZERO))
    return Accrual(
        due_on=due_on,
        through=through,
        segments=tuple(segments),
        exact=exact,
        total=total,
        posted_before=posted,
        # Interest forgiven by a waiver stays forgiven: the period owes its interest less what was waived (never
        # less than nothing), so a waived charge is not posted again, and a later drop in the interest (a
        # reassessment lowering the tax) credits only interest still charged.
        to_post=max(total - waived, ZERO) - posted,
        waived=waived,
    )


def _is_waived_interest(entry: LedgerTransaction) -> bool:
    """A reversal of interest made by a granted waiver (assessments/decisions/ names its source)."""
    return (
        entry.kind == Kind.REVERSAL
        and _interest_kind(entry) == Kind.INTEREST
        and entry.source_reference.startswith(WAIVER_SOURCE_PREFIX)
    )


def interest_source(*, account: ProgramAccount, period_end: date, through: date) -> str:
    return f"interest:{account.pk}:{period_end.isoformat()}:{through.isoformat()}"


@transaction.atomic
def interest_accrue(
    *,
    account: ProgramAccount,
    period_end: date,
    through: date,
    actor: Actor,
    processed_on: date | None = None,
) -> LedgerTransaction | None:
    """Post the period's interest not yet posted, through `through` (one transaction, or None when nothing is
    due). Safe to run twice: the second run finds nothing left to post (or the same source already posted)."""
    ledger.ledger_lock(account=account)
    result = accrual(account=account, period_end=period_end, through=through)
    if result is None or result.to_post == 0:
        return None
    rates = ", ".join(dict.fromkeys(f"{segment.rate.normalize()}%" for segment in result.segments))
    try:
        return ledger.ledger_post(
            account=account,
            period_end=period_end,
            kind=Kind.INTEREST,
            amount=result.to_post,
            description=(
                f"Interest from {(result.due_on + timedelta(days=1)).isoformat()} through "
                f"{through.isoformat()} at {rates} a year (total {money.format_money(result.total)})"
            )[:300],
            processed_on=processed_on or timezone.localdate(),
            effective_on=through,
            source_reference=interest_source(account=account, period_end=period_end, through=through),
            actor=actor,
        )
    except ledger.AlreadyPosted as already:
        return already.existing


def interest_accrue_all(*, actor: Actor, through: date | None = None) -> int:
    """The daily job: accrue every assessed period's interest through `through` (default yesterday, in
    Alberta). Each period in its own transaction. Returns how many transactions were posted."""
    through = through or timezone.localdate() - timedelta(days=1)
    periods = (
        LedgerTransaction.objects.filter(kind=Kind.ASSESSED_TAX)
        .filter(~Q(effective_on__gte=through))
        .values_list("account_id", "period_end")
        .distinct()
        .order_by("account_id", "period_end")
    )
    accounts: dict[int, ProgramAccount] = {}
    posted = 0
    for account_id, period_end in periods:
        account = accounts.get(account_id)
        if account is None:
            account = accounts[account_id] = ProgramAccount.objects.select_related("taxpayer").get(
                pk=account_id
            )
        if interest_accrue(account=account, period_end=period_end, through=through, actor=actor) is not None:
            posted += 1
    return posted
