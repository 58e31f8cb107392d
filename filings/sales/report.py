"""The marked-fuel monthly report: the month's summary a seller reads before submitting (totals by location and
fuel, the inventory summary comparing the computed closing inventory with the one counted), and its submission
through the filing skeleton (filings/skeleton/submission.py, with MARKED_FUEL_REPORT).

The rows are the ingestion's (filings/sales/models.py), stored by every door through the one ingestion service;
this module only reads them. A report copies the month's figures as they stand when it is filed
(MarkedFuelReportLine), so it never changes afterwards; a later change to the month (an amendment or a void of a
sale, a late movement) is reported by an amended report, a new version, as a fuel tax return's is.

Inventory, per location and fuel (seed 002: "inventory, imports, acquisitions, dispositions and exports"):
opening = the opening count of the month if one was reported (a seller's first month), else the closing count of
the month before (None when neither exists); computed closing = opening + acquisitions + imports - consumer sales
- dispositions - exports; the counted closing is the seller's count of the month, and the difference is counted
less computed.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from functools import partial

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.actors import Actor
from accounts.models import User
from filings.definitions.marked_fuel import MARKED_FUEL_REPORT, TEFS
from filings.periods import Period
from filings.sales import inventory_sql, reconciliation, report_rules
from filings.sales import selectors as sales_selectors
from filings.sales.models_report import MarkedFuelReport, MarkedFuelReportLine
from filings.skeleton import submission
from filings.skeleton.errors import AlreadyFiled
from programs.models import BulkFuelLocation, ProgramAccount

ZERO = Decimal("0.000")

NOT_A_SELLER = _("Account %(number)s does not report marked-fuel sales.")
MONTH_NOT_ENDED = _("%(period)s has not ended yet. You can submit its report from %(first_day)s.")
MONTH_BEFORE_ACCOUNT = _("No report is owed for %(period)s: the account's effective date is %(effective)s.")
MONTH_AFTER_CLOSURE = _("No report is owed for %(period)s: the account closed on %(closed)s.")
MONTH_REFUSALS = submission.PeriodRefusals(
    not_ended=MONTH_NOT_ENDED, before_account=MONTH_BEFORE_ACCOUNT, after_closure=MONTH_AFTER_CLOSURE
)
ALREADY_FILED = _(
    "The report for %(period)s was already submitted (confirmation number %(confirmation)s). "
    "If the month changed since, submit an amended report from the month's page."
)
EXPLANATION_REQUIRED = _(
    "Your acquisitions or dispositions differ from what the other sellers reported for this month (listed above). "
    "Explain the differences to submit the report anyway."
)
FILED_MEANWHILE = _(
    "The report for %(period)s was submitted again after you opened this page (perhaps this form was sent twice). "
    "Nothing new was stored: read the month again and submit it if it still needs amending."
)


class ReportAlreadyFiled(AlreadyFiled[MarkedFuelReport]):
    """A report of this month exists and the filer did not know of it; `existing` is its latest version."""

    def __init__(self, existing: MarkedFuelReport):
        message = ALREADY_FILED % {
            "period": existing.period.label,
            "confirmation": existing.confirmation_number,
        }
        super().__init__(existing, str(message))


# One location and fuel of the month: its figures as filings.sales.inventory_sql computed them, with the location.
SummaryLine = inventory_sql.InventoryLine


@dataclass(frozen=True)
class MonthSummary:
    """What the month's page shows before the report is submitted, and what the report copies."""

    account: ProgramAccount
    period: Period
    lines: list[SummaryLine]
    sales_count: int
    sales_litres: Decimal
    rejected_open: int
    is_first_month: bool
    due_on: date
    warnings: list[str] = field(default_factory=list)


MISSING_OPENING = _(
    "No opening inventory for %(location)s, %(fuel)s: enter it under Inventory (the month's opening count in a "
    "first month, otherwise last month's closing count)."
)
MISSING_CLOSING = _("No closing inventory counted for %(location)s, %(fuel)s: enter it under Inventory.")
REJECTED_OPEN = _(
    "%(count)d rejected sale(s) of this month are not corrected yet: they are not in these totals. Correct them "
    "under Rejected Sales before you submit, or submit an amended report once they are."
)


def month_summary(*, account: ProgramAccount, period: Period) -> MonthSummary:
    """The month's totals by location and fuel and its inventory summary, from the rows as they stand (a few
    queries whatever the number of rows: the lines are one statement, filings.sales.inventory_sql)."""
    month = period.start
    locations = {location.pk: location for location in BulkFuelLocation.objects.filter(account=account)}
    selection = inventory_sql.Selection(period=period, account_id=account.pk)
    lines = [
        replace(line, location=locations[line.bflo_id])
        for line in inventory_sql.inventory_lines(selection).lines
    ]
    warnings: list[str] = []
    for line in lines:
        names = {"location": f"BFLO {line.bflo_number}", "fuel": line.fuel_label.lower()}
        if line.opening is None:
            warnings.append(str(MISSING_OPENING % names))
        if line.closing_counted is None:
            warnings.append(str(MISSING_CLOSING % names))
    # The statement counted the standing sales it summed: no second pass over the month's sales to count them.
    sales_count = sum(line.sales_count for line in lines)
    sales_litres = sum((line.sold for line in lines), ZERO)
    rejected_open = sales_selectors.rejected_sales(account=account).filter(ingestion__month=month).count()
    if rejected_open:
        warnings.append(str(REJECTED_OPEN % {"count": rejected_open}))
    return MonthSummary(
        account=account,
        period=period,
        lines=lines,
        sales_count=sales_count,
        sales_litres=sales_litres,
        rejected_open=rejected_open,
        is_first_month=Period.of(account.effective_date).start == month,
        due_on=report_rules.due_on(period),
        warnings=warnings,
    )


def month_check(*, account: ProgramAccount, period: Period, today: date) -> None:
    """Raise ValidationError unless a report is owed for `period` and may be submitted `today` (the month has
    ended, and lies between the account's effective date and its closure)."""
    if account.program.code != TEFS:
        raise ValidationError(NOT_A_SELLER % {"number": account.number}, code="not_a_seller")
    submission.period_open_check(account=account, period=period, today=today, refusals=MONTH_REFUSALS)


@dataclass(frozen=True)
class MonthStatus:
    """One month on the reports page: owed, reported (its latest version) or overdue."""

    period: Period
    due_on: date
    latest: MarkedFuelReport | None
    today: date

    @property
    def is_reported(self) -> bool:
        return self.latest is not None

    @property
    def is_overdue(self) -> bool:
        return self.latest is None and self.today > self.due_on


def months_for_account(*, account: ProgramAccount, today: date) -> list[MonthStatus]:
    """Every month the account owes a report for, newest first, with its latest version if reported (one query)."""
    periods = MARKED_FUEL_REPORT.periods.owed(  # type: ignore[union-attr]  # the definition is monthly
        effective_date=account.effective_date, closed_on=account.closed_on, today=today
    )
    latest: dict[date, MarkedFuelReport] = {}
    for report in MarkedFuelReport.objects.filter(account=account).order_by("period_start", "version"):
        latest[report.period_start] = report
    return [
        MonthStatus(
            period=period, due_on=report_rules.due_on(period), latest=latest.get(period.start), today=today
        )
        for period in reversed(periods)
    ]


def reports_for_period(*, account: ProgramAccount, period: Period) -> list[MarkedFuelReport]:
    """The month's report versions, original first."""
    return list(
        MarkedFuelReport.objects.filter(account=account, period_start=period.start)
        .select_related("amends")
        .order_by("version")
    )


def report_by_confirmation(*, account: ProgramAccount, confirmation_number: str) -> MarkedFuelReport | None:
    return (
        MarkedFuelReport.objects.filter(account=account, confirmation_number=confirmation_number)
        .select_related("account__taxpayer", "account__program", "amends")
        .first()
    )


def report_lines(*, report: MarkedFuelReport) -> list[MarkedFuelReportLine]:
    return list(report.lines.select_related("location").order_by("location__number", "fuel"))


def _store(
    confirmation_number: str,
    *,
    account: ProgramAccount,
    summary: MonthSummary,
    version: int,
    amends: MarkedFuelReport | None,
    certified_name: str,
    certified_capacity: str,
    submitted_by: User,
    capacity: str,
    differences: list[reconciliation.Difference],
    explanation: str,
) -> MarkedFuelReport:
    period = summary.period
    report = MarkedFuelReport(
        account=account,
        period_start=period.start,
        period_end=period.end,
        kind=MarkedFuelReport.Kind.AMENDED if amends is not None else MarkedFuelReport.Kind.ORIGINAL,
        version=version,
        amends=amends,
        received_at=timezone.now(),
        due_on=summary.due_on,
        confirmation_number=confirmation_number,
        filed_by=submitted_by,
        filed_by_email=submitted_by.email,
        filed_in_capacity=capacity,
        certified_name=certified_name.strip(),
        certified_capacity=certified_capacity.strip(),
        sales_count=summary.sales_count,
        sales_litres=summary.sales_litres,
        rejected_open=summary.rejected_open,
        reconciliation=[difference.as_json() for difference in differences],
        explanation=explanation,
    )
    report.full_clean(validate_unique=False, validate_constraints=False)  # the database checks those
    report.save()
    MarkedFuelReportLine.objects.bulk_create(
        MarkedFuelReportLine(
            report=report,
            location=line.location,
            fuel=line.fuel,
            opening=line.opening or ZERO,
            acquired=line.acquired,
            imported=line.imported,
            sold=line.sold,
            disposed=line.disposed,
            exported=line.exported,
            closing_computed=line.closing_computed,
            closing_counted=line.closing_counted,
        )
        for line in summary.lines
    )
    return report


@transaction.atomic
def marked_fuel_report_submit(
    *,
    account: ProgramAccount,
    period_end: date,
    certified_name: str,
    certified_capacity: str,
    actor: Actor,
    replaces_version: int = 0,
    explanation: str = "",
) -> MarkedFuelReport:
    """Submit the report of the month ending `period_end`: the month's summary as it stands now, certified by
    `actor`. `replaces_version` is the latest version the filer saw (0: none): a first report is the original,
    a later one an amended report (the next version, linked to the original). A form sent twice, or a report
    submitted by someone else meanwhile, stores nothing: ReportAlreadyFiled (the filer knew of no report) or
    ValidationError FILED_MEANWHILE (they were amending an older version). When the month's movements disagree
    with what other TRACS sellers reported (filings.sales.reconciliation), `explanation` is required
    (EXPLANATION_REQUIRED, on the field) and stored with the differences on the version."""
    period = Period.of(period_end)
    if period.end != period_end:
        raise ValidationError(_("A report covers a calendar month."), code="not_period_end")
    month_check(account=account, period=period, today=timezone.localdate())
    submission.certification_check(
        definition=MARKED_FUEL_REPORT, certified_name=certified_name, certified_capacity=certified_capacity
    )
    versions = reports_for_period(account=account, period=period)
    latest = versions[-1] if versions else None
    if (latest.version if latest else 0) != replaces_version:
        if replaces_version == 0 and latest is not None:
            raise ReportAlreadyFiled(latest)
        raise ValidationError(FILED_MEANWHILE % {"period": period.label}, code="filed_meanwhile")
    summary = month_summary(account=account, period=period)
    differences = reconciliation.counterparty_differences(account=account, month=period.start)
    explanation = explanation.strip()
    if not reconciliation.needs_explanation(differences):
        explanation = ""  # nothing to explain: an explanation sent with a matched month is not kept
    elif not explanation:
        raise ValidationError({"explanation": EXPLANATION_REQUIRED})
    store = partial(
        _store,
        account=account,
        summary=summary,
        version=replaces_version + 1,
        amends=versions[0] if versions else None,
        certified_name=certified_name,
        certified_capacity=certified_capacity,
        submitted_by=submission.filer(actor, definition=MARKED_FUEL_REPORT),
        capacity=actor.capacity,
        differences=differences,
        explanation=explanation,
    )
    try:
        report = submission.stored_with_fresh_confirmation(
            store,
            definition=MARKED_FUEL_REPORT,
            dated=period.start,
            constraint=MARKED_FUEL_REPORT.confirmation_constraint,
        )
    except IntegrityError as error:
        # Another request filed this month between our read and our insert (PostgreSQL made ours wait for it).
        if submission.violated_constraint(error) not in (
            "marked_fuel_report_one_original_per_period",
            "marked_fuel_report_unique_version",
        ):
            raise
        if replaces_version == 0:
            raise ReportAlreadyFiled(reports_for_period(account=account, period=period)[-1]) from error
        raise ValidationError(FILED_MEANWHILE % {"period": period.label}, code="filed_meanwhile") from error
    submission.filing_record(
        definition=MARKED_FUEL_REPORT,
        filing=report,
        actor=actor,
        amended=report.kind == MarkedFuelReport.Kind.AMENDED,
    )
    return report
