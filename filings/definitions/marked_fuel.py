"""The marked-fuel monthly report as a filing definition (docs/adr/0015, "Adding a return-like program"): a
seller's consumer sales and fuel movements of a month (seed 002, "How to report marked fuel transactions"),
monthly, due by filings/rules/marked_fuel_report.yaml (filings.sales.report_rules), its confirmation number dated
by its month, its confirmation PDF made when it is filed."""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.translation import gettext_lazy as _

from filings import claim_rules
from filings.periods import MONTHLY_PERIODS
from filings.sales import report_rules
from filings.sales.models_report import MarkedFuelReport, MarkedFuelReportLine
from filings.skeleton.definition import DATED_BY_PERIOD, FilingDefinition
from programs import money

TEFS = "tefs"

CERTIFIED_NAME_REQUIRED = _("Enter the name of the person certifying the report.")
CERTIFIED_CAPACITY_REQUIRED = _("Enter the position or title of the person certifying the report.")

EMAIL_BODY = (
    "{article} marked-fuel monthly report was received by Tax and Revenue Administration.\n\n"
    "Confirmation number: {confirmation}\n"
    "Account: {account} ({account_name})\n"
    "Month: {period}\n"
    "Received: {received} Mountain Time\n"
    "Sales reported: {sales}\n"
    "Certified by: {certified_by}\n\n"
    "Sign in to TRACS to see the report and print its confirmation page."
)


def _email_facts(report: MarkedFuelReport) -> Mapping[str, str]:
    return {
        "article": "An amended" if report.kind == MarkedFuelReport.Kind.AMENDED else "A",
        "period": report.period.label,
        "sales": f"{report.sales_count} ({money.format_litres(report.sales_litres)} L)",
    }


def _description(report: MarkedFuelReport) -> str:
    label = f"marked-fuel monthly report for {report.period.label}"
    return f"{label} (version {report.version})" if report.version > 1 else label


def _access_log_detail(report: MarkedFuelReport) -> str:
    return (
        f"{report.confirmation_number} month {report.period.key} version {report.version} "
        f"sales {report.sales_count} litres {money.format_litres(report.sales_litres)}"
    )


def _status_description(report: MarkedFuelReport) -> str:
    """ "Marked-fuel monthly report, June 2026", its version if amended, and "received 3 days late" when it was
    (the late rule is the program's data: filings/rules/marked_fuel_report.yaml)."""
    label = f"Marked-fuel monthly report, {report.period.label}"
    if report.kind == MarkedFuelReport.Kind.AMENDED:
        label = f"Amended marked-fuel report, {report.period.label}, version {report.version}"
    late = report.late_days
    if late:
        label += f" (received {late} day{'s' if late != 1 else ''} late)"
    return label


MARKED_FUEL_REPORT: FilingDefinition[MarkedFuelReport] = FilingDefinition(
    code="marked_fuel_report",
    label=_("marked-fuel monthly report"),
    program=TEFS,
    model=MarkedFuelReport,
    line_model=MarkedFuelReportLine,
    kind=None,
    confirmation_prefix="MF",
    confirmation_dated_by=DATED_BY_PERIOD,
    confirmation_constraint="marked_fuel_report_unique_confirmation_number",
    item=claim_rules.ITEM_RETURN,
    periods=MONTHLY_PERIODS,
    # The latest rule; the service asks report_rules.due_on(period), the rule in force for the month.
    due_date=report_rules.rules().due[-1].rule,
    certified_name_required=CERTIFIED_NAME_REQUIRED,
    certified_capacity_required=CERTIFIED_CAPACITY_REQUIRED,
    email_body=EMAIL_BODY,
    email_facts=_email_facts,
    email_purpose="marked-fuel-report-confirmation",
    access_log_detail=_access_log_detail,
    document_kind="marked_fuel_report",
    document_link="marked_fuel_report",
    line_order=("location__number", "fuel"),
    line_related=("location",),
    confirmation_pdf_on_submit=True,
    form_template="filings/marked_fuel/report_month.html",
    review_template="filings/marked_fuel/report_review.html",
    confirmation_template="filings/marked_fuel/report_confirmation.html",
    pdf_template="filings/marked_fuel/report_pdf.html",
    description=_description,
    assessed=False,
    status_description=_status_description,
)
