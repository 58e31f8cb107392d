"""Pages of a dye site's monthly reports: the account's dye sites and their months, filing each report by web
form (and the nil report), amending it, the month's versions of both reports, the confirmation and its PDF.

Every page is the account's (consent.access.account_view with FILE_RETURNS), and only an account with a dye
site approved by TRA has them (`_dye_site_account`: 403 with the reason otherwise); a site is looked up among
the account's own, so another account's site is as unknown as a made-up one (404).

Filing runs the one step machine (filings.views_steps): DyeReportSteps gives the report's form, the service's
preview and submission (filings/services_dye_sites.py) and the definition's templates, the same for both
reports; the nil report runs the last two steps. Nothing here computes: the figures are the service's.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, cast

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from consent.access import AccountRequest, account_view
from consent.privileges import Privilege
from filings import dye_sites, selectors_dye_sites, services_dye_sites
from filings.definitions.dye_sites import DYE_STOCK_REPORT
from filings.dye_sites import DyedFuel, DyedInput, StockInput
from filings.forms import CertificationForm
from filings.forms_dye_sites import FORMS, DyeReportForm
from filings.models_dye_sites import DyeSiteReport, DyeStockReport, LitresDyedReport
from filings.periods import Period
from filings.services_dye_sites import (
    DEFINITIONS_BY_SLUG,
    Computation,
    DyeReportAlreadyFiled,
    DyeReportInvalid,
)
from filings.skeleton.definition import FilingDefinition
from filings.skeleton.errors import AlreadyFiled
from filings.views_claims import pdf_response
from filings.views_steps import Certified, FilingSteps
from programs.models import DyeSite

NO_DYE_SITE = _(
    "Account %(number)s has no dye site approved by TRA: the Dye Stock Report (AT4984) and Litres Dyed during the "
    "Month (AT366) are filed by businesses registered to dye fuel, for each of their sites."
)


class DyeReportConverter:
    """`stock` or `litres-dyed` in a URL <-> the report's definition; anything else is a 404."""

    regex = "stock|litres-dyed"

    def to_python(self, value: str) -> FilingDefinition[Any]:
        return DEFINITIONS_BY_SLUG[value]

    def to_url(self, value: FilingDefinition[Any] | str) -> str:
        if isinstance(value, str):
            return value
        return next(slug for slug, definition in DEFINITIONS_BY_SLUG.items() if definition is value)


def _dye_site_account(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The pages of an account with a dye site; any other account is refused (403) with the reason."""

    @functools.wraps(view)
    def wrapped(request: AccountRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not selectors_dye_sites.has_dye_site(account=request.account):
            raise PermissionDenied(NO_DYE_SITE % {"number": request.account.number})
        return view(request, *args, **kwargs)

    return wrapped


def _site(request: AccountRequest, site_id: int) -> DyeSite:
    site = selectors_dye_sites.dye_site_of(account=request.account, site_id=site_id)
    if site is None:  # another account's site is as unknown as a made-up one
        raise Http404
    return site


def _unavailable(request: AccountRequest, period: Period, message: str) -> HttpResponse:
    return render(
        request, "filings/return_unavailable.html", {"period": period, "message": message}, status=400
    )


def _initial(
    definition: FilingDefinition[Any], report: DyeSiteReport | None, *, site: DyeSite, period: Period
) -> dict[str, object]:
    """What the form shows first: an amendment's version as filed; a new stock report's opening inventory is the
    closing inventory of the site's month before, when it was filed."""
    if report is None:
        if definition is not DYE_STOCK_REPORT:
            return {}
        before = services_dye_sites.latest_version(definition=definition, site=site, period=period.previous())
        return (
            {dye_sites.OPENING: cast(DyeStockReport, before).closing_reported} if before is not None else {}
        )
    if isinstance(report, DyeStockReport):
        return {
            dye_sites.OPENING: report.opening,
            dye_sites.RECEIVED: report.received,
            dye_sites.USED: report.used,
            dye_sites.ADJUSTMENT: report.adjustment or "",
            dye_sites.ADJUSTMENT_REASON: report.adjustment_reason,
            dye_sites.CLOSING: report.closing_reported,
        }
    dyed = cast(LitresDyedReport, report)
    return {
        **{line.fuel: line.litres for line in dyed.lines.all()},
        dye_sites.CONCENTRATE_USED: dyed.concentrate_used,
    }


class DyeReportSteps(FilingSteps[DyeReportForm, Computation, DyeSiteReport]):
    """An original report or (amend_of given) an amendment, of either kind, on the step machine."""

    def __init__(
        self,
        request: AccountRequest,
        definition: FilingDefinition[Any],
        site: DyeSite,
        period: Period,
        *,
        amend_of: DyeSiteReport | None = None,
    ) -> None:
        super().__init__(request)
        self.definition = definition
        self.site = site
        self.period = period
        self.amend_of = amend_of

    def lines_form(self, data: QueryDict | None) -> DyeReportForm:
        initial = _initial(self.definition, self.amend_of, site=self.site, period=self.period)
        return FORMS[self.definition.code](data, initial=initial)

    def _figures(self) -> StockInput | DyedInput:
        return self.form.figures()

    def preview(self) -> Computation:
        return services_dye_sites.dye_report_preview(
            definition=self.definition, site=self.site, period=self.period, figures=self._figures()
        )

    def lines_refused(self, error: ValidationError) -> bool:
        if isinstance(error, DyeReportInvalid):
            self.form.add_service_errors(error.errors_by_field)
            return True
        return False

    def refused(self, error: ValidationError) -> HttpResponse | None:
        if getattr(error, "code", "") == "amended_meanwhile":
            messages.warning(self.request, error.messages[0])
            return self._period_page()
        return None

    def _period_page(self) -> HttpResponse:
        return redirect(
            "dye_site_reports_period",
            number=self.request.account.number,
            site_id=self.site.pk,
            period=self.period,
        )

    def submit(self, certified: Certified) -> DyeSiteReport:
        if self.amend_of is None:
            return services_dye_sites.dye_report_submit(
                definition=self.definition,
                site=self.site,
                period=self.period,
                figures=self._figures(),
                certified_name=certified.name,
                certified_capacity=certified.capacity,
                actor=self.request.actor,
            )
        return services_dye_sites.dye_report_amend(
            definition=self.definition,
            original=self.amend_of,
            replaces_version=self._replaces_version(),
            figures=self._figures(),
            certified_name=certified.name,
            certified_capacity=certified.capacity,
            actor=self.request.actor,
        )

    def _replaces_version(self) -> int | None:
        if self.amend_of is None:
            return None
        try:
            return int(self.request.POST["replaces_version"])
        except (KeyError, ValueError):
            return self.amend_of.version

    def received_message(self, filing: DyeSiteReport) -> str:
        return f"Your {self.definition.described(filing)} was received. Confirmation number {filing.confirmation_number}."

    def confirmation(self, filing: DyeSiteReport) -> HttpResponse:
        return redirect(
            "dye_site_report_confirmation",
            number=self.request.account.number,
            confirmation_number=filing.confirmation_number,
        )

    def already_filed(self, error: AlreadyFiled[DyeSiteReport]) -> HttpResponse:
        messages.warning(self.request, error.message)
        return self._period_page()

    def unavailable(self, message: str) -> HttpResponse:
        return _unavailable(self.request, self.period, message)

    def _context(self) -> dict[str, object]:
        return {
            "definition": self.definition,
            "site": self.site,
            "period": self.period,
            "due_on": dye_sites.due_on(self.period),
            "amend_of": self.amend_of,
            "replaces_version": self._replaces_version(),
            "computation": self.computation,
            "figures_template": f"filings/dye_sites/{self.definition.code}_figures.html",
        }

    def render_form(self, *, status: int = 200) -> HttpResponse:
        return render(
            self.request, self.definition.form_template, {**self._context(), "form": self.form}, status=status
        )

    def render_review(self, certification: CertificationForm, *, status: int = 200) -> HttpResponse:
        context = {**self._context(), "form": certification, "hidden": self.form.hidden_values()}
        return render(self.request, self.definition.review_template, context, status=status)


NIL_FIGURES: dict[str, StockInput | DyedInput] = {
    "dye_stock_report": StockInput(opening="0", received="0", used="0", closing="0"),
    "litres_dyed_report": DyedInput(litres=dict.fromkeys(DyedFuel.values, "0"), concentrate_used="0"),
}


class NilDyeReportSteps(DyeReportSteps):
    """The last two steps only: nothing held, received, used or dyed in the month."""

    def _figures(self) -> StockInput | DyedInput:
        return NIL_FIGURES[self.definition.code]

    def render_review(self, certification: CertificationForm, *, status: int = 200) -> HttpResponse:
        context = {**self._context(), "form": certification}
        return render(self.request, "filings/dye_sites/report_nil.html", context, status=status)


def _not_filed_yet(
    request: AccountRequest, definition: FilingDefinition[Any], site: DyeSite, period: Period
) -> HttpResponse | None:
    """The answer when the month's original is filed already or the month is not owed, else None."""
    existing = definition.model.objects.filter(site=site, period_start=period.start, kind="original").first()
    if existing is not None:
        messages.warning(request, DyeReportAlreadyFiled(existing).message)
        return redirect(
            "dye_site_reports_period", number=request.account.number, site_id=site.pk, period=period
        )
    try:
        services_dye_sites.site_period_check(site=site, period=period, today=timezone.localdate())
    except ValidationError as error:
        return _unavailable(request, period, error.messages[0])
    return None


@account_view(Privilege.FILE_RETURNS)
@_dye_site_account
@require_GET
def dye_sites_list(request: AccountRequest) -> HttpResponse:
    sites = selectors_dye_sites.dye_sites_with_months(account=request.account, today=timezone.localdate())
    return render(request, "filings/dye_sites/sites.html", {"sites": sites})


@account_view(Privilege.FILE_RETURNS)
@_dye_site_account
@require_http_methods(["GET", "POST"])
def dye_site_report_file(
    request: AccountRequest, site_id: int, report: FilingDefinition[Any], period: Period
) -> HttpResponse:
    site = _site(request, site_id)
    return (
        _not_filed_yet(request, report, site, period)
        or DyeReportSteps(request, report, site, period).respond()
    )


@account_view(Privilege.FILE_RETURNS)
@_dye_site_account
@require_http_methods(["GET", "POST"])
def dye_site_report_nil(
    request: AccountRequest, site_id: int, report: FilingDefinition[Any], period: Period
) -> HttpResponse:
    site = _site(request, site_id)
    return (
        _not_filed_yet(request, report, site, period)
        or NilDyeReportSteps(request, report, site, period).certify()
    )


@account_view(Privilege.FILE_RETURNS)
@_dye_site_account
@require_http_methods(["GET", "POST"])
def dye_site_report_amend(
    request: AccountRequest, site_id: int, report: FilingDefinition[Any], period: Period
) -> HttpResponse:
    site = _site(request, site_id)
    latest = services_dye_sites.latest_version(definition=report, site=site, period=period)
    if latest is None:
        return redirect(
            "dye_site_report_file",
            number=request.account.number,
            site_id=site.pk,
            report=report,
            period=period,
        )
    return DyeReportSteps(request, report, site, period, amend_of=latest).respond()


@account_view(Privilege.FILE_RETURNS)
@_dye_site_account
@require_GET
def dye_site_reports_period(request: AccountRequest, site_id: int, period: Period) -> HttpResponse:
    site = _site(request, site_id)
    reports = selectors_dye_sites.month_versions(site=site, period=period)
    context = {"site": site, "period": period, "reports": reports, "due_on": dye_sites.due_on(period)}
    return render(request, "filings/dye_sites/month.html", context)


def _by_confirmation(request: AccountRequest, confirmation_number: str) -> DyeSiteReport:
    report = selectors_dye_sites.report_by_confirmation(
        account=request.account, confirmation_number=confirmation_number
    )
    if report is None:  # another account's confirmation number is as unknown as a made-up one
        raise Http404
    return report


@account_view(Privilege.FILE_RETURNS)
@_dye_site_account
@require_GET
def dye_site_report_confirmation(request: AccountRequest, confirmation_number: str) -> HttpResponse:
    report = _by_confirmation(request, confirmation_number)
    definition = services_dye_sites.definition_of_report(report)
    context = {
        "filing": report,
        "definition": definition,
        "figures_template": f"filings/dye_sites/{definition.code}_figures.html",
    }
    return render(request, definition.confirmation_template, context)


@account_view(Privilege.FILE_RETURNS)
@_dye_site_account
@require_GET
def dye_site_report_confirmation_pdf(request: AccountRequest, confirmation_number: str) -> HttpResponse:
    report = _by_confirmation(request, confirmation_number)
    definition = services_dye_sites.definition_of_report(report)
    return pdf_response(
        request, kind=definition.document_kind, pk=report.pk, number=report.confirmation_number
    )
