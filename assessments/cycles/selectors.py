"""The Sales Summary of a marked-fuel seller (issue 15, item 3; seed 002: "Sales Summary": the seller picks the
period from "Claim Amount: Period End", then "Generate Excel"): for one claim period, the AFFB sales it counts,
their litres by fuel, the carbon levy rate each was refunded at (the rate for its fuel on its sale date: nil
from 2019-05-30) and the refund; then what the cycle did with them (its claim, the claim's assessment, the
refund) or, for a period the cycle has not run yet, the same figures as an estimate so far.

Which sales count is the cycle's own rule, read from the cycle's SQL (assessments.cycles.sql.period_rows: accepted
in the period, standing at its end, corrections of sales paid earlier taken back), so the page always says what
the claim was, or will be, computed from. A fixed number of queries whatever the number of sales: the figures
by fuel and rate are one grouped statement."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Min

from assessments.cycles import sql
from assessments.cycles.models import CycleClaim, CycleRun, SalesSummaryExport
from assessments.cycles.services import period_bounds
from assessments.models import ClaimAssessment
from filings.definitions import marked_fuel_refund
from filings.periods import Period
from filings.sales.models import Fuel, Sale
from programs import money
from programs.models import ProgramAccount

ZERO = money.cents(Decimal(0))
NO_LITRES = Decimal("0.000")


@dataclass(frozen=True)
class SummaryLine:
    """The period's sales of one fuel at one carbon levy rate (a claim line, once claimed)."""

    fuel: str
    rate_from: (
        date | None
    )  # the day the rate took effect; None: no rate at all on the sale date (before 2017)
    rate: Decimal | None  # dollars per litre; None: nil (repealed from 2019-05-30, or none yet)
    sales: int
    litres: Decimal
    levy: Decimal
    corrections: int  # sales refunded in an earlier period and corrected in this one: taken back
    taken_back: Decimal

    @property
    def fuel_label(self) -> str:
        return str(Fuel(self.fuel).label) if self.fuel in Fuel.values else self.fuel


@dataclass(frozen=True)
class SalesSummary:
    account: ProgramAccount
    period: Period
    lines: list[SummaryLine]
    today: date
    cycle_claim: CycleClaim | None  # what the cycle computed and did for this seller and period
    run: CycleRun | None  # the period's finished run, if it ran
    assessment: ClaimAssessment | None
    export: SalesSummaryExport | None  # the latest Excel asked for this period

    @property
    def sales(self) -> int:
        return sum(line.sales for line in self.lines)

    @property
    def litres(self) -> Decimal:
        return sum((line.litres for line in self.lines), NO_LITRES)

    @property
    def levy(self) -> Decimal:
        return sum((line.levy for line in self.lines), ZERO)

    @property
    def taken_back(self) -> Decimal:
        return sum((line.taken_back for line in self.lines), ZERO)

    @property
    def corrections(self) -> int:
        return sum(line.corrections for line in self.lines)

    @property
    def refund(self) -> Decimal:
        """The period's carbon levy less what it takes back (the claim's allowed amount less the adjustment)."""
        return self.levy - self.taken_back

    @property
    def litres_by_fuel(self) -> list[tuple[str, Decimal]]:
        by_fuel: dict[str, Decimal] = {}
        for line in self.lines:
            if line.sales:
                by_fuel[line.fuel_label] = by_fuel.get(line.fuel_label, NO_LITRES) + line.litres
        return list(by_fuel.items())

    @property
    def is_current(self) -> bool:
        """The period has not ended: its figures are the sales so far."""
        return not self.period.has_ended(today=self.today)

    @property
    def is_estimate(self) -> bool:
        """Not claimed yet: the cycle has not run for the period (it runs the day after it ends)."""
        return self.cycle_claim is None and self.run is None

    @property
    def cycle_runs_on(self) -> date:
        return self.period.next().start


def claim_periods(*, account: ProgramAccount, today: date) -> list[Period]:
    """The claim periods the account's Sales Summary offers, newest first: the current one, then each one ended
    since the account's marked-fuel activity started (its effective date or its first sale's month, whichever is
    earlier; not before the first claim periods)."""
    # Sales the account reported before its effective date (a history loaded late) count in their periods too.
    first_sale = Sale.objects.filter(account=account).aggregate(first=Min("month"))[
        "first"
    ]  # (account, month)
    start = min(account.effective_date, first_sale) if first_sale else account.effective_date
    first = max(start, marked_fuel_refund.period_entries()[0].effective_from)
    period = marked_fuel_refund.claim_period_of(today)
    oldest = marked_fuel_refund.claim_period_of(first).start
    periods = []
    while period.start >= oldest:
        periods.append(period)
        period = period.previous()
    return periods


def summary_lines(*, account: ProgramAccount, period: Period) -> list[SummaryLine]:
    """The period's figures by fuel and rate: one grouped statement (assessments.cycles.sql.SUMMARY)."""
    starts, ends = period_bounds(period)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SET LOCAL jit = off"
        )  # as for the cycle's step: planning the JIT cost more than it saved
        cursor.execute(sql.SUMMARY, {"account_id": account.pk, "starts": starts, "ends": ends})
        rows = cursor.fetchall()
    return [
        SummaryLine(
            fuel=fuel,
            rate_from=rate_from,
            rate=rate,
            sales=sales,
            litres=litres,
            levy=money.cents(levy),
            corrections=corrections,
            taken_back=money.cents(taken_back),
        )
        for fuel, rate_from, rate, sales, litres, levy, corrections, taken_back in rows
    ]


def sales_summary(*, account: ProgramAccount, period: Period, today: date) -> SalesSummary:
    """The Sales Summary of one claim period of the account (five queries whatever the number of sales)."""
    cycle_claim = (
        CycleClaim.objects.filter(account=account, period_start=period.start)
        .select_related("claim", "refund", "run")
        .first()
    )
    assessment = None
    if cycle_claim is not None and cycle_claim.claim_id is not None:
        assessment = (
            ClaimAssessment.objects.filter(claim_id=cycle_claim.claim_id).order_by("-sequence").first()
        )
    run = (
        CycleRun.objects.filter(period_start=period.start, status=CycleRun.Status.DONE)
        .order_by("-started_at")
        .first()
    )
    return SalesSummary(
        account=account,
        period=period,
        lines=summary_lines(account=account, period=period),
        today=today,
        cycle_claim=cycle_claim,
        run=run,
        assessment=assessment,
        export=latest_export(account=account, period=period),
    )


def latest_export(*, account: ProgramAccount, period: Period) -> SalesSummaryExport | None:
    return (
        SalesSummaryExport.objects.filter(account=account, period_start=period.start)
        .order_by("-requested_at", "-id")
        .first()
    )
