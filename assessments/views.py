"""Account pages of assessments: View Assessment Status and the notices (VIEW_ASSESSMENTS), View Financial
Transaction Details and View Account Summary Balance (VIEW_ACCOUNT).

Every page is account-scoped through consent.access.account_view (no access: 404; access without the function:
403), which also writes the access-log row of each read. Each page reads a fixed number of queries whatever the
number of rows. The transactions page, its printer-friendly view and its CSV and Excel exports read the same
filter (assessments.forms.TransactionFilterForm) from the same query string, so they hold the same rows.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from assessments import notices, selectors
from assessments.forms import SHOW_LATEST, SHOW_PERIOD, SHOW_RANGE, TransactionFilterForm
from assessments.models import LedgerTransaction
from consent.access import AccountRequest, account_view
from consent.privileges import Privilege
from filings import selectors as filing_selectors
from programs.spreadsheet import cell_text, write_only_cell

PAGE_SIZE = 50
STATUS_PAGE_SIZE = 25
CSV_HEADER = ["Processed date", "Effective date", "Period end", "Transaction", "Description", "Amount"]


# --- Financial transactions ------------------------------------------------------------------------------


class _Filtered:
    """The rows the filter selects: a list (the latest 25) or a queryset (a date range, a period)."""

    def __init__(self, request: AccountRequest):
        self.form = TransactionFilterForm(
            request.GET or None, period_ends=selectors.ledger_period_ends(account=request.account)
        )
        self.valid = not self.form.is_bound or self.form.is_valid()
        data = self.form.cleaned_data if self.form.is_bound and self.valid else {}
        self.show = data.get("show", SHOW_LATEST)
        self.oldest_first = self.form.oldest_first if data else False
        self.rows: list[LedgerTransaction] | None = None
        self.queryset = None
        if not self.valid:
            return
        if self.show == SHOW_LATEST:
            self.rows = selectors.latest_transactions(account=request.account, oldest_first=self.oldest_first)
        else:
            self.queryset = selectors.ledger_transactions(
                account=request.account,
                processed_from=data.get("processed_from") if self.show == SHOW_RANGE else None,
                processed_to=data.get("processed_to") if self.show == SHOW_RANGE else None,
                period_end=data.get("period_end") if self.show == SHOW_PERIOD else None,
                oldest_first=self.oldest_first,
            )

    def all_rows(self) -> Iterable[LedgerTransaction]:
        """Every matching row (the printer-friendly view and the exports), streamed from the database."""
        if self.rows is not None:
            return self.rows
        return self.queryset.iterator(chunk_size=2000)


def _query(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@account_view(Privilege.VIEW_ACCOUNT)
@require_GET
def transactions(request: AccountRequest) -> HttpResponse:
    filtered = _Filtered(request)
    page = None
    if filtered.queryset is not None:
        page = Paginator(filtered.queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": filtered.form,
        "date_fields": [filtered.form["processed_from"], filtered.form["processed_to"]],
        "show": filtered.show,
        "shown": filtered.form.shown(),
        "notes": filtered.form.notes if filtered.form.is_bound and filtered.valid else [],
        "rows": page.object_list if page is not None else filtered.rows,
        "page": page,
        "query": _query(request),
        "oldest_first": filtered.oldest_first,
    }
    return render(request, "assessments/transactions.html", context, status=200 if filtered.valid else 400)


@account_view(Privilege.VIEW_ACCOUNT)
@require_GET
def transactions_print(request: AccountRequest) -> HttpResponse:
    filtered = _Filtered(request)
    if not filtered.valid:
        return redirect(
            f"{reverse('transactions', kwargs={'number': request.account.number})}?{_query(request)}"
        )
    context = {
        "rows": filtered.all_rows(),
        "show": filtered.show,
        "form": filtered.form,
        "printed_at": timezone.localtime(),
        "oldest_first": filtered.oldest_first,
    }
    return render(request, "assessments/transactions_print.html", context)


def _filename(request: AccountRequest, extension: str) -> str:
    return f"transactions-{request.account.number}-{timezone.localdate():%Y%m%d}.{extension}"


def _csv_lines(rows: Iterable[LedgerTransaction]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate(0)
        return text

    writer.writerow(CSV_HEADER)
    yield flush()
    for row in rows:
        writer.writerow(
            [
                row.processed_on.isoformat(),
                row.effective_on.isoformat(),
                row.period_end.isoformat(),
                cell_text(row.kind_label),
                cell_text(row.description),
                f"{row.amount:.2f}",
            ]
        )
        yield flush()


@account_view(Privilege.VIEW_ACCOUNT)
@require_GET
def transactions_csv(request: AccountRequest) -> HttpResponse:
    filtered = _Filtered(request)
    if not filtered.valid:
        return redirect(
            f"{reverse('transactions', kwargs={'number': request.account.number})}?{_query(request)}"
        )
    response = StreamingHttpResponse(_csv_lines(filtered.all_rows()), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename(request, "csv")}"'
    response["Cache-Control"] = "private, no-store"
    return response


@account_view(Privilege.VIEW_ACCOUNT)
@require_GET
def transactions_xlsx(request: AccountRequest) -> HttpResponse:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    filtered = _Filtered(request)
    if not filtered.valid:
        return redirect(
            f"{reverse('transactions', kwargs={'number': request.account.number})}?{_query(request)}"
        )
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title="Transactions")
    sheet.column_dimensions["A"].width = 14
    sheet.column_dimensions["B"].width = 14
    sheet.column_dimensions["C"].width = 12
    sheet.column_dimensions["D"].width = 26
    sheet.column_dimensions["E"].width = 50
    sheet.column_dimensions["F"].width = 16
    bold = Font(bold=True)

    def cell(value, number_format=None, font=None):
        return write_only_cell(sheet, value, number_format, font)

    sheet.append(
        [cell(f"Account {request.account.number}: {request.account.taxpayer.legal_name}", font=bold)]
    )
    sheet.append([cell(title, font=bold) for title in CSV_HEADER])
    for row in filtered.all_rows():
        sheet.append(
            [
                cell(row.processed_on, "yyyy-mm-dd"),
                cell(row.effective_on, "yyyy-mm-dd"),
                cell(row.period_end, "yyyy-mm-dd"),
                cell(row.kind_label),
                cell(row.description),
                # Credits in brackets, as on the page; the cell holds the signed number.
                cell(row.amount, "#,##0.00;(#,##0.00)"),
            ]
        )
    output = io.BytesIO()
    workbook.save(output)
    response = HttpResponse(
        output.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{_filename(request, "xlsx")}"'
    response["Cache-Control"] = "private, no-store"
    return response


# --- Balances ---------------------------------------------------------------------------------------------


@account_view(Privilege.VIEW_ACCOUNT)
@require_GET
def balances(request: AccountRequest) -> HttpResponse:
    periods = selectors.period_balances(account=request.account)
    owing = selectors.owing_of(periods)
    context = {
        "balance": owing.balance,
        "periods": periods,
        "outstanding": {period.period_end for period in owing.outstanding},
        "covered": owing.covered,
        "owing_count": len(owing.outstanding),
    }
    return render(request, "assessments/balances.html", context)


@account_view(Privilege.VIEW_ACCOUNT)
@require_GET
def payment_options(request: AccountRequest) -> HttpResponse:
    """TRACS's Payment Options for one account: whom to pay, the account number to quote, what is owing (by
    period, oldest first: the order a payment is applied in, once the account's credits are counted against
    them), the refunds of its credit on their way, and how to pay."""
    owing = selectors.account_owing(account=request.account)
    context = {
        "balance": owing.balance,
        "owing": owing.outstanding,
        "credit_applied": owing.credit_applied,
        "refunds": selectors.open_refunds(account=request.account),
    }
    return render(request, "assessments/payment_options.html", context)


# --- Assessment status and notices ------------------------------------------------------------------------


def _page_holding(groups: list[filing_selectors.StatusGroup], reference: str) -> int:
    """The page of completed filings holding the filing `reference` names (`?filing=<confirmation number>`, how
    the Sales Summary links to its claim): page 1 when none does, or when it is still in process (listed above
    the pages)."""
    for index, group in enumerate(groups):
        if any(row.reference == reference for row in group.rows):
            return index // STATUS_PAGE_SIZE + 1
    return 1


@account_view(Privilege.VIEW_ASSESSMENTS)
@require_GET
def assessment_status(request: AccountRequest) -> HttpResponse:
    status = filing_selectors.filing_status_for_account(account=request.account)
    returns = [
        row.filing for group in status.in_process + status.completed for row in group.rows if row.is_return
    ]
    by_return = selectors.assessments_by_return(returns=returns)
    claims = [
        row.filing
        for group in status.in_process + status.completed
        for row in group.rows
        if not row.is_return and not row.is_report
    ]
    page_number: str | int | None = request.GET.get("page")
    if page_number is None and "filing" in request.GET:
        page_number = _page_holding(status.completed, request.GET["filing"])
    completed = Paginator(status.completed, STATUS_PAGE_SIZE).get_page(page_number)
    context = {
        "in_process": status.in_process,
        "page": completed,
        "assessments": by_return,
        "claim_assessments": selectors.claim_assessments_by_claim(claims=claims),
        "refunds": selectors.refunds_for_account(account=request.account),
    }
    return render(request, "assessments/assessment_status.html", context)


@account_view(Privilege.VIEW_ASSESSMENTS)
@require_GET
def notice_list(request: AccountRequest) -> HttpResponse:
    notices = selectors.notices_for_account(account=request.account, reader=request.user)
    page = Paginator(notices, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        # Notices still open to objection link to the objection wizard, for people who may file one.
        "may_object": request.access.has(Privilege.FILE_OBJECTIONS),
        "today": timezone.localdate(),
    }
    return render(request, "assessments/notice_list.html", context)


@account_view(Privilege.VIEW_ASSESSMENTS)
@require_GET
def notice_download(request: AccountRequest, notice_id: int) -> FileResponse:
    notice = selectors.notice_for_account(account=request.account, notice_id=notice_id)
    if notice is None:
        raise Http404
    notices.notice_read_record(notice=notice, user=request.user, capacity=request.access.role)
    response = FileResponse(
        default_storage.open(notice.pdf.name, "rb"),
        content_type="application/pdf",
        filename=f"{notice.reference}.pdf",
    )
    response["Cache-Control"] = "private, no-store"
    return response


# --- Payments ---------------------------------------------------------------------------------------------


@require_GET
def payment_instructions(request: HttpRequest) -> HttpResponse:
    """Public: how to pay TRA (online banking, cheque, wire)."""
    return render(request, "assessments/payment_instructions.html")
