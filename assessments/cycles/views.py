"""Sales Summary (issue 15, item 3; seed 002): a marked-fuel seller's claim period chosen from "Claim Amount: Period
End" (a GET form: no JavaScript needed), its sales, litres by fuel, carbon levy rates and refund, and what the
refund cycle did with them (assessments.cycles.selectors); "Generate Excel" (a POST) asks for the workbook, which a
Celery job builds (assessments.cycles.exports); the page shows the job's state (polled by
static/js/sales-summary-excel.js, or reloaded by the page itself without JavaScript) and offers the download once
ready.

Through consent.access.account_view with REPORT_FUEL and the seller gate, like every /marked-fuel/ page: no access
to the account, 404; access without the function, 403. An export is looked up in the account's own, so another
account's export number is a 404 too. The page and the download write their access-log rows there; asking for a
workbook writes its own (the service)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from assessments.cycles import exports, selectors
from assessments.cycles.forms import SalesSummaryForm
from assessments.cycles.models import SalesSummaryExport
from consent.access import AccountRequest, account_view
from consent.privileges import Privilege
from filings.periods import Period
from filings.sales.views_rejected import XLSX
from filings.sales.views_sellers import sellers_only

TEMPLATE = "assessments/sales_summary.html"
REFRESH_SECONDS = 5  # without JavaScript, a page whose workbook is being built reloads itself this often


def _form(request: AccountRequest, data, *, required: bool = False) -> tuple[SalesSummaryForm, Period | None]:
    """The period asked for, or (unless `required`) the latest ended one when none is (the current one for an
    account that has no ended period yet); (form, None) when the period asked for is not one of the account's
    claim periods."""
    today = timezone.localdate()
    periods = selectors.claim_periods(account=request.account, today=today)
    if not required and "period" not in data:
        default = periods[1] if len(periods) > 1 else periods[0]
        form = SalesSummaryForm(periods=periods, today=today, initial={"period": default.start.isoformat()})
        return form, default
    form = SalesSummaryForm(data, periods=periods, today=today)
    return form, form.chosen if form.is_valid() else None


def _export_urls(request: AccountRequest, export: SalesSummaryExport | None) -> dict[str, str]:
    if export is None:
        return {}
    kwargs = {"number": request.account.number, "export_id": export.pk}
    return {
        "status_url": reverse("marked_fuel_sales_summary_excel_status", kwargs=kwargs),
        "download_url": reverse("marked_fuel_sales_summary_excel_download", kwargs=kwargs),
    }


@account_view(Privilege.REPORT_FUEL)
@sellers_only
@require_GET
def marked_fuel_sales_summary(request: AccountRequest) -> HttpResponse:
    form, period = _form(request, request.GET)
    if period is None:
        return render(request, TEMPLATE, {"form": form}, status=400)
    summary = selectors.sales_summary(account=request.account, period=period, today=timezone.localdate())
    context = {
        "form": form,
        "summary": summary,
        "export": summary.export,
        "refresh_seconds": REFRESH_SECONDS,
        "keep_days": settings.TRACS_SALES_SUMMARY_EXPORT_DAYS,
        **_export_urls(request, summary.export),
    }
    response = render(request, TEMPLATE, context)
    response["Cache-Control"] = "private, no-store"
    return response


@account_view(Privilege.REPORT_FUEL)
@sellers_only
@require_POST
def marked_fuel_sales_summary_excel(request: AccountRequest) -> HttpResponse:
    """Generate Excel: asks for the period's workbook (post/redirect/get); asked again while one is being built,
    the page says so and nothing new starts."""
    form, period = _form(request, request.POST, required=True)
    if period is None:
        return render(request, TEMPLATE, {"form": form}, status=400)
    export, created = exports.sales_summary_export_request(
        account=request.account, period=period, actor=request.actor
    )
    if not created:
        messages.info(request, exports.already_building_message(export))
    page = reverse("marked_fuel_sales_summary", kwargs={"number": request.account.number})
    return redirect(f"{page}?period={period.start.isoformat()}#excel")


def _export(request: AccountRequest, export_id: int) -> SalesSummaryExport:
    return get_object_or_404(
        SalesSummaryExport.objects.select_related("account"), pk=export_id, account=request.account
    )


@account_view(
    Privilege.REPORT_FUEL, log_reads=False
)  # polled every few seconds: the page's own read is logged
@sellers_only
@require_GET
def marked_fuel_sales_summary_excel_status(request: AccountRequest, export_id: int) -> JsonResponse:
    export = _export(request, export_id)
    response = JsonResponse(
        {
            "status": export.status,
            "label": str(export.get_status_display()),
            "finished": not export.is_building,
        }
    )
    response["Cache-Control"] = "private, no-store"
    return response


@account_view(Privilege.REPORT_FUEL)
@sellers_only
@require_GET
def marked_fuel_sales_summary_excel_download(
    request: AccountRequest, export_id: int
) -> HttpResponse | FileResponse:
    export = _export(request, export_id)
    if export.status != SalesSummaryExport.Status.READY:
        page = reverse("marked_fuel_sales_summary", kwargs={"number": request.account.number})
        return redirect(f"{page}?period={export.period_start.isoformat()}#excel")
    if not default_storage.exists(export.file.name):
        raise Http404  # deleted under it (the sweep): the page offers to generate it again
    response = FileResponse(
        default_storage.open(export.file.name, "rb"),
        as_attachment=True,
        filename=exports.file_name(export),
        content_type=XLSX,
    )
    response["Cache-Control"] = "private, no-store"
    return response
