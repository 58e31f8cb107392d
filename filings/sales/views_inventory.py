"""Inventory Summary (issue 15, item 4): a month's inventory per BFLO and fuel, the computed closing beside the
counted one, the variance in litres and percent flagged past the tolerance (filings.sales.inventory_summary), the
month chosen by a GET form (no JavaScript needed), and the same summary as an Excel workbook. Through
consent.access.account_view with REPORT_FUEL and the seller gate, like every /marked-fuel/ page."""

from __future__ import annotations

from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from consent.access import AccountRequest, account_view
from consent.privileges import Privilege
from filings.periods import Period
from filings.sales import inventory_summary
from filings.sales.forms_entry import MonthForm, months_open
from filings.sales.views_entry import NO_MONTHS
from filings.sales.views_rejected import XLSX
from filings.sales.views_sellers import sellers_only

TEMPLATE = "filings/marked_fuel/inventory_summary.html"


def _month(request: AccountRequest) -> tuple[MonthForm | None, Period | None]:
    """The month asked for (?month=), the latest open month when none is; (form, None) when the month is not one
    of the account's, (None, None) when the account has no month yet."""
    months = months_open(request.account, today=timezone.localdate())
    if not months:
        return None, None
    if "month" not in request.GET:
        return MonthForm(months=months), months[0]
    form = MonthForm(request.GET, months=months)
    return form, form.period if form.is_valid() else None


@account_view(Privilege.REPORT_FUEL)
@sellers_only
@require_GET
def marked_fuel_inventory_summary(request: AccountRequest) -> HttpResponse:
    form, period = _month(request)
    if form is None:
        problems = [str(NO_MONTHS % {"effective": request.account.effective_date})]
        return render(request, TEMPLATE, {"problems": problems})
    if period is None:
        return render(request, TEMPLATE, {"month_form": form}, status=400)
    inventory = inventory_summary.inventory_summary(account=request.account, period=period)
    return render(request, TEMPLATE, {"month_form": form, "inventory": inventory, "period": period})


@account_view(Privilege.REPORT_FUEL)
@sellers_only
@require_GET
def marked_fuel_inventory_summary_xlsx(request: AccountRequest) -> HttpResponse | FileResponse:
    account = request.account
    form, period = _month(request)
    if period is None:
        page = reverse("marked_fuel_inventory_summary", kwargs={"number": account.number})
        return redirect(f"{page}?{request.GET.urlencode()}" if request.GET else page)
    inventory = inventory_summary.inventory_summary(account=account, period=period)
    title = f"Inventory summary of account {account.number} ({account.taxpayer.legal_name}), {period.label}"
    return FileResponse(
        inventory_summary.excel(lines=inventory.lines, tolerance=inventory.tolerance, title=title),
        as_attachment=True,
        filename=f"inventory-summary-{account.number}-{period.key}.xlsx",
        content_type=XLSX,
    )
