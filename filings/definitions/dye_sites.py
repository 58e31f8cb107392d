"""A dye site's two monthly reports as filing definitions (docs/adr/0015, "Adding a return-like program";
docs/adr/0025-dye-site-reports.md): the Dye Stock Report (AT4984) and Litres Dyed during the Month (AT366), one
of each per dye site and month (seed 002, "Eligibility to dye fuel"), filed from the account of the business's
marked-fuel sales (Tax Exempt Fuel Sales: its BFLOs are the sites), due by filings/rules/dye_site_reports.yaml,
their confirmation numbers dated by their month, their confirmation PDFs made when filed. Neither carries tax:
View Assessment Status shows them as reports, processed by TRA, never assessed.

Both are filed per site, so they have no `url_prefix` (File a Return lists the account's returns by period): the
sites' page lists the months owed (filings/views_dye_sites.py), and their reminders walk sites
(assessments/reminders.py `dye_site_reminders_send`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.utils.translation import gettext_lazy as _

from filings import claim_rules, dye_sites
from filings.models_dye_sites import (
    DyeStockAdjustment,
    DyeStockReport,
    LitresDyedLine,
    LitresDyedReport,
)
from filings.periods import MONTHLY_PERIODS
from filings.skeleton.definition import DATED_BY_PERIOD, FilingDefinition
from programs import money

TEFS = "tefs"
AMENDED = "amended"

EMAIL_BODY = (
    "{article} {form} was received by Tax and Revenue Administration.\n\n"
    "Confirmation number: {confirmation}\n"
    "Account: {account} ({account_name})\n"
    "Dye site: {site}\n"
    "Month: {period}\n"
    "Received: {received} Mountain Time\n"
    "Certified by: {certified_by}\n\n"
    "Sign in to TRACS to see the report and print its confirmation page."
)


def _email_facts(form: str) -> Callable[[Any], Mapping[str, str]]:
    def facts(report: Any) -> Mapping[str, str]:
        return {
            "article": "An amended" if report.kind == AMENDED else "A",
            "form": form,
            "site": str(report.site),
            "period": report.period.label,
        }

    return facts


def _description(form: str) -> Callable[[Any], str]:
    """ "Dye Stock Report (AT4984) of BFLO 400123 Nisku terminal for June 2026", its version if amended."""

    def described(report: Any) -> str:
        label = f"{form} of {report.site} for {report.period.label}"
        return f"{label} (version {report.version})" if report.version > 1 else label

    return described


def _status_description(form: str) -> Callable[[Any], str]:
    def described(report: Any) -> str:
        label = f"{form}, {report.site}, {report.period.label}"
        if report.kind == AMENDED:
            label += f", version {report.version}"
        late = report.late_days
        if late:
            label += f" (received {late} day{'s' if late != 1 else ''} late)"
        return label

    return described


def _stock_detail(report: DyeStockReport) -> str:
    return (
        f"{report.confirmation_number} site {report.site_id} month {report.period.key} version {report.version} "
        f"used {money.format_litres(report.used)} closing {money.format_litres(report.closing_reported)}"
    )


def _dyed_detail(report: LitresDyedReport) -> str:
    return (
        f"{report.confirmation_number} site {report.site_id} month {report.period.key} version {report.version} "
        f"dyed {money.format_litres(report.litres_total)} concentrate {money.format_litres(report.concentrate_used)}"
    )


STOCK_FORM = "Dye Stock Report (AT4984)"
DYED_FORM = "Litres Dyed during the Month (AT366)"
CERTIFIED_NAME_REQUIRED = _("Enter the name of the person certifying the report.")
CERTIFIED_CAPACITY_REQUIRED = _("Enter the position or title of the person certifying the report.")


def _definition(
    *,
    code: str,
    label: Any,
    form: str,
    model: Any,
    line_model: Any,
    prefix: str,
    detail: Callable[[Any], str],
) -> FilingDefinition[Any]:
    """What the two reports share: a site's monthly report of the account's program, never assessed."""
    return FilingDefinition(
        code=code,
        label=label,
        program=TEFS,
        model=model,
        line_model=line_model,
        kind=None,
        confirmation_prefix=prefix,
        confirmation_dated_by=DATED_BY_PERIOD,
        confirmation_constraint=f"{code}_unique_confirmation_number",
        item=claim_rules.ITEM_RETURN,
        periods=MONTHLY_PERIODS,
        # The latest rule; the service asks dye_sites.due_on(period), the rule in force for the month.
        due_date=dye_sites.rules().due[-1].rule,
        certified_name_required=CERTIFIED_NAME_REQUIRED,
        certified_capacity_required=CERTIFIED_CAPACITY_REQUIRED,
        email_body=EMAIL_BODY,
        email_facts=_email_facts(form),
        email_purpose="dye-site-report-confirmation",
        access_log_detail=detail,
        document_kind=code,
        document_link=code,
        confirmation_pdf_on_submit=True,
        form_template="filings/dye_sites/report_form.html",
        review_template="filings/dye_sites/report_review.html",
        confirmation_template="filings/dye_sites/report_confirmation.html",
        pdf_template=f"filings/dye_sites/{code}_pdf.html",
        description=_description(form),
        assessed=False,
        status_description=_status_description(form),
    )


DYE_STOCK_REPORT: FilingDefinition[DyeStockReport] = _definition(
    code="dye_stock_report",
    label=_("dye stock report"),
    form=STOCK_FORM,
    model=DyeStockReport,
    line_model=DyeStockAdjustment,
    prefix="DS",
    detail=_stock_detail,
)
LITRES_DYED_REPORT: FilingDefinition[LitresDyedReport] = _definition(
    code="litres_dyed_report",
    label=_("litres dyed report"),
    form=DYED_FORM,
    model=LitresDyedReport,
    line_model=LitresDyedLine,
    prefix="LD",
    detail=_dyed_detail,
)
DYE_SITE_REPORTS: tuple[FilingDefinition[Any], ...] = (DYE_STOCK_REPORT, LITRES_DYED_REPORT)
