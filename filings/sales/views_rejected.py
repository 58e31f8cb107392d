"""Rejected Sales (seed 002; issue 15, item 5): every sale the ingestion rejected for the TEFS account, with its
reason and its correction (linked to the sale that corrected it, or to the page that corrects it), filtered by
month reported, reason and whether it is corrected (a GET form: no JavaScript needed), 50 to a page, and the same
selection as an Excel workbook. Through consent.access.account_view with REPORT_FUEL and the seller gate, like
every /marked-fuel/ page; the reads are filings.sales.rejected_report's."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from consent.access import AccountRequest, account_view
from consent.privileges import Privilege
from filings.sales import rejected_report
from filings.sales.views_sellers import sellers_only

PAGE_SIZE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _query(request: AccountRequest) -> str:
    """The filters of the request, to carry on to the pagination and the export."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@account_view(Privilege.REPORT_FUEL)
@sellers_only
@require_GET
def marked_fuel_rejected(request: AccountRequest) -> HttpResponse:
    form = rejected_report.RejectedFilterForm(request.GET or None, account=request.account)
    context = {
        "form": form,
        "waiting": rejected_report.waiting(account=request.account),
        "query": _query(request),
        "reason_labels": rejected_report.REASON_LABELS,
    }
    if form.is_bound and not form.is_valid():
        return render(request, "filings/marked_fuel/rejected_list.html", context, status=400)
    if not form.is_bound:
        form.cleaned_data = {}
    page = Paginator(form.rows(), PAGE_SIZE).get_page(request.GET.get("page"))
    for row in page.object_list:
        row.reason_label = rejected_report.reason_label(row.reason_code or "")
    context["page_obj"] = page
    return render(request, "filings/marked_fuel/rejected_list.html", context)


@account_view(Privilege.REPORT_FUEL)
@sellers_only
@require_GET
def marked_fuel_rejected_xlsx(request: AccountRequest) -> HttpResponse | FileResponse:
    """The selection of the page's filters as an Excel workbook; filters that are not valid go back to the page,
    which says why beside each one."""
    account = request.account
    form = rejected_report.RejectedFilterForm(request.GET, account=account)
    if not form.is_valid():
        return redirect(
            f"{reverse('marked_fuel_rejected', kwargs={'number': account.number})}?{_query(request)}"
        )
    title = f"Rejected sales of account {account.number}: {account.taxpayer.legal_name}"
    workbook = rejected_report.excel(account=account, rows=form.rows(), title=title)
    return FileResponse(
        workbook,
        as_attachment=True,
        filename=rejected_report.excel_file_name(account=account, month=form.cleaned_data.get("month") or ""),
        content_type=XLSX,
    )
