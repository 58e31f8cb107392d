"""The marked-fuel monthly report's pages: the months a seller owes a report for, each month's summary (totals by
location and fuel, the inventory summary comparing computed and counted closing inventory) with its certification,
and the report's confirmation page and PDF.

Account-scoped through consent.access.account_view with FILE_RETURNS ("File returns and claims": the report is
certified and filed like a return), on marked-fuel (TEFS) accounts. Submitting runs the last two steps of the one
step machine (filings.views_steps.FilingSteps.certify: certify -> submit): the figures are not typed here, they are
the month's rows as the ingestion stored them (filings.sales.report.month_summary), read again when it is filed.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from consent.access import AccountRequest, account_view
from consent.privileges import Privilege
from filings import documents
from filings.definitions.marked_fuel import MARKED_FUEL_REPORT
from filings.forms import CertificationForm
from filings.periods import Period
from filings.sales import reconciliation, report
from filings.sales.models_report import MarkedFuelReport
from filings.sales.views_sellers import sellers_only
from filings.views_claims import pdf_response
from filings.views_steps import Certified, FilingSteps

VERSION_FIELD = "replaces_version"

REPORT_DECLARATION = (
    "I certify that the sales and movements of marked fuel reported for this month are, to the best of my "
    "knowledge, correct and complete, and that I am authorized to file this report."
)


class ReportCertificationForm(CertificationForm):
    # Required by the submit service only when the month's movements differ from the counterparties' (its
    # EXPLANATION_REQUIRED lands beside this field); the page shows it only then.
    explanation = forms.CharField(
        label=_("Explain the differences with the other sellers' reports"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["declaration"].label = REPORT_DECLARATION


class ReportSteps(FilingSteps[forms.Form, report.MonthSummary, MarkedFuelReport]):
    """The month's report on the step machine: the review is the month's summary; submitting files it."""

    certification_form = ReportCertificationForm

    def __init__(self, request: AccountRequest, period: Period) -> None:
        super().__init__(request)
        self.period = period
        self.versions = report.reports_for_period(account=request.account, period=period)
        self.computation = report.month_summary(account=request.account, period=period)
        self.differences = reconciliation.counterparty_differences(
            account=request.account, month=period.start
        )

    def lines_form(self, data: QueryDict | None) -> forms.Form:  # pragma: no cover - no lines are typed
        return forms.Form(data)

    def preview(self) -> report.MonthSummary:  # pragma: no cover - the summary is read in __init__
        return report.month_summary(account=self.request.account, period=self.period)

    def replaces_version(self) -> int:
        try:
            return int(self.request.POST.get(VERSION_FIELD, "0"))
        except ValueError:
            return -1  # not a version: refused as sent meanwhile

    def submit(self, certified: Certified) -> MarkedFuelReport:
        return report.marked_fuel_report_submit(
            account=self.request.account,
            period_end=self.period.end,
            certified_name=certified.name,
            certified_capacity=certified.capacity,
            actor=self.request.actor,
            replaces_version=self.replaces_version(),
            # The certification form checked its length; whether one is required is the service's to say.
            explanation=self.request.POST.get("explanation", ""),
        )

    def refused(self, error: ValidationError) -> HttpResponse | None:
        if getattr(error, "code", "") == "filed_meanwhile":
            messages.warning(self.request, error.messages[0])
            return redirect(
                "marked_fuel_report_month", number=self.request.account.number, period=self.period
            )
        return None

    def received_message(self, filing: MarkedFuelReport) -> str:
        return (
            f"Your marked-fuel report for {filing.period.label} was received. "
            f"Confirmation number {filing.confirmation_number}."
        )

    def confirmation(self, filing: MarkedFuelReport) -> HttpResponse:
        return redirect(
            "marked_fuel_report_confirmation",
            number=self.request.account.number,
            report_number=filing.confirmation_number,
        )

    def unavailable(self, message: str) -> HttpResponse:
        return self.render_review(self.certification(), status=400, problem=message)

    def render_form(self, *, status: int = 200) -> HttpResponse:  # pragma: no cover - no lines form
        return self.render_review(self.certification(), status=status)

    def render_review(
        self, certification: CertificationForm, *, status: int = 200, problem: str = ""
    ) -> HttpResponse:
        try:
            report.month_check(account=self.request.account, period=self.period, today=timezone.localdate())
            closed = problem
        except ValidationError as error:
            closed = error.messages[0]
        return render(
            self.request,
            MARKED_FUEL_REPORT.form_template,
            {
                "period": self.period,
                "summary": self.computation,
                "differences": self.differences,
                "needs_explanation": reconciliation.needs_explanation(self.differences),
                "versions": self.versions,
                "latest": self.versions[-1] if self.versions else None,
                "form": certification,
                "closed": closed,
                "version_field": VERSION_FIELD,
            },
            status=status,
        )


@account_view(Privilege.FILE_RETURNS)
@sellers_only
@require_GET
def marked_fuel_reports(request: AccountRequest) -> HttpResponse:
    months = report.months_for_account(account=request.account, today=timezone.localdate())
    return render(
        request,
        "filings/marked_fuel/reports.html",
        {"months": months, "overdue_count": sum(month.is_overdue for month in months)},
    )


@account_view(Privilege.FILE_RETURNS)
@sellers_only
@require_http_methods(["GET", "POST"])
def marked_fuel_report_month(request: AccountRequest, period: Period) -> HttpResponse:
    return ReportSteps(request, period).certify()


def _report_or_404(request: AccountRequest, report_number: str) -> MarkedFuelReport:
    found = report.report_by_confirmation(account=request.account, confirmation_number=report_number)
    if found is None:
        raise Http404
    return found


@account_view(Privilege.FILE_RETURNS)
@sellers_only
@require_GET
def marked_fuel_report_confirmation(request: AccountRequest, report_number: str) -> HttpResponse:
    filed = _report_or_404(request, report_number)
    return render(
        request,
        MARKED_FUEL_REPORT.confirmation_template,
        {"report": filed, "lines": report.report_lines(report=filed)},
    )


@account_view(Privilege.FILE_RETURNS)
@sellers_only
@require_GET
def marked_fuel_report_pdf(request: AccountRequest, report_number: str) -> HttpResponse:
    filed = _report_or_404(request, report_number)
    return pdf_response(
        request, kind=documents.MARKED_FUEL_REPORT, pk=filed.pk, number=filed.confirmation_number
    )
