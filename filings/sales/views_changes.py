"""The month's accepted sales and fuel movements as they stand, and the amendment or void of one (issue 14, item 6:
"a seller corrects an accepted sale with an explicit amendment or void record naming the sale it changes"; fuel
movements the same way).

Nothing is changed in place: the page sends one amendment or void row, naming the record by its key (a sale's
invoice number and line; a movement's kind, document number, BFLO and fuel), through the one ingestion service
(filings.sales.ingestion.ingestion_rows), as a file's amendment or void row goes. It is checked first in
validate-only mode (the service's answer put next to the boxes, 400), then stored; a record already voided says
so and takes nothing more. Account-scoped through consent.access.account_view with REPORT_FUEL, on marked-fuel
accounts (filings.sales.views_sellers.sellers_only); another account's record is not found (404)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from consent.access import AccountRequest, account_view
from consent.privileges import Privilege
from filings.periods import Period
from filings.sales import corrections, selectors
from filings.sales.forms_entry import MovementChangeForm, RowForm, SaleChangeForm, months_open
from filings.sales.models import Movement, RecordType, Sale
from filings.sales.views_entry import PAGE_SIZE, _ingest, _one_row, _rejected
from filings.sales.views_sellers import sellers_only

AMEND, VOID = "amend", "void"

AMENDED = _("The amendment of invoice %(invoice)s line %(line)s was accepted.")
VOIDED = _("Invoice %(invoice)s line %(line)s was voided.")
MOVEMENT_AMENDED = _("The amendment of %(kind)s %(document)s (BFLO %(bflo)s, %(fuel)s) was accepted.")
MOVEMENT_VOIDED = _("%(kind)s %(document)s (BFLO %(bflo)s, %(fuel)s) was voided.")


def _litres_text(record: Sale | Movement) -> str:
    return f"{record.litres.normalize():f}"


def _month_page(request: AccountRequest, period: Period, *, template: str, records: QuerySet) -> HttpResponse:
    return render(
        request,
        template,
        {
            "period": period,
            "months": months_open(request.account, today=timezone.localdate()),
            "page_obj": Paginator(records, PAGE_SIZE).get_page(request.GET.get("page")),
        },
    )


@account_view(Privilege.REPORT_FUEL)
@sellers_only
@require_GET
def marked_fuel_sales_month(request: AccountRequest, period: Period) -> HttpResponse:
    sales = selectors.sales_for_month(account=request.account, month=period.start)
    return _month_page(
        request,
        period,
        template="filings/marked_fuel/sales_month.html",
        records=sales.order_by("sale_date", "invoice_number", "line"),
    )


@account_view(Privilege.REPORT_FUEL)
@sellers_only
@require_GET
def marked_fuel_movements_month(request: AccountRequest, period: Period) -> HttpResponse:
    movements = selectors.movements_for_month(account=request.account, month=period.start)
    return _month_page(
        request,
        period,
        template="filings/marked_fuel/movements_month.html",
        records=movements.order_by("movement_date", "kind", "document_number", "bflo__number", "fuel"),
    )


@dataclass(frozen=True)
class ChangePage:
    """The amendment or void of one record type: its form (the values an amendment may change), its template, the
    month page it returns to, the columns that name a record, its values as it stands, and what the seller reads
    once it is stored."""

    record_type: str
    form_class: type[RowForm]
    template: str
    month_url_name: str
    names: Callable[[Any], dict[str, str]]
    current: Callable[[Any], dict[str, str]]
    is_void: Callable[[Any], bool]
    stored: Callable[[Any, bool], str]

    def respond(
        self, request: AccountRequest, record: Sale | Movement | None, original_id: int
    ) -> HttpResponse:
        if record is None:
            raise Http404
        period = Period.of(record.month)
        context: dict[str, Any] = {"record": record, "period": period, "original_id": original_id}
        if self.is_void(record):
            return render(request, self.template, context, status=400 if request.method == "POST" else 200)
        step = request.POST.get("step", AMEND) if request.method == "POST" else ""
        data = request.POST if step == AMEND else None
        formset = _one_row(
            request, self.form_class, data=data, initial=None if data is not None else [self.current(record)]
        )
        context["formset"] = formset
        if request.method != "POST":
            return render(request, self.template, context)
        if step == VOID:
            rows = [{"record": "void", **self.names(record)}]
        else:
            if not formset.is_valid() or not formset.rows():
                return render(request, self.template, context, status=400)
            rows = [{"record": "amendment", **self.names(record), **formset.rows()[0]}]
        checked = _ingest(
            request, record_type=self.record_type, period=period, rows=rows, keep_rejected=False
        )
        if checked.validate_only:
            problems = _rejected(checked)
            if step == VOID:
                context["problems"] = [row.reason for row in problems]
            else:
                formset.add_row_errors(problems)
            return render(request, self.template, context, status=400)
        messages.success(request, self.stored(record, step == VOID))
        return redirect(self.month_url_name, number=request.account.number, period=period)


SALE_CHANGE = ChangePage(
    record_type=RecordType.SALES,
    form_class=SaleChangeForm,
    template="filings/marked_fuel/sale_change.html",
    month_url_name="marked_fuel_sales_month",
    names=lambda sale: {"invoice_number": sale.invoice_number, "line": str(sale.line)},
    current=lambda sale: {
        "sale_date": sale.sale_date.isoformat(),
        "exemption_number": sale.exemption_number,
        "fuel": sale.fuel,
        "litres": _litres_text(sale),
        "bflo_number": sale.bflo.number,
    },
    is_void=lambda sale: sale.kind == Sale.Kind.VOID,
    stored=lambda sale, voided: str(
        (VOIDED if voided else AMENDED) % {"invoice": sale.invoice_number, "line": sale.line}
    ),
)
MOVEMENT_CHANGE = ChangePage(
    record_type=RecordType.MOVEMENTS,
    form_class=MovementChangeForm,
    template="filings/marked_fuel/movement_change.html",
    month_url_name="marked_fuel_movements_month",
    names=lambda movement: {
        "movement": movement.kind,
        "document_number": movement.document_number,
        "bflo_number": movement.bflo.number,
        "fuel": movement.fuel,
    },
    current=lambda movement: {
        "movement_date": movement.movement_date.isoformat(),
        "litres": _litres_text(movement),
        "counterparty_name": movement.counterparty_name,
        "counterparty_number": movement.counterparty_number,
        "jurisdiction": movement.jurisdiction,
    },
    is_void=lambda movement: movement.record == Movement.Record.VOID,
    stored=lambda movement, voided: str(
        (MOVEMENT_VOIDED if voided else MOVEMENT_AMENDED)
        % {
            "kind": movement.get_kind_display(),
            "document": movement.document_number,
            "bflo": movement.bflo.number,
            "fuel": str(movement.get_fuel_display()).lower(),
        }
    ),
)


@account_view(Privilege.REPORT_FUEL)
@sellers_only
@require_http_methods(["GET", "POST"])
def marked_fuel_sale_change(request: AccountRequest, sale_id: int) -> HttpResponse:
    """Amend or void an accepted sale by an explicit record naming it (its invoice and line): the sale as it stands
    is its latest amendment, and a void ends it."""
    sale = corrections.sale_for_account(account=request.account, sale_id=sale_id)
    return SALE_CHANGE.respond(request, sale, sale_id)


@account_view(Privilege.REPORT_FUEL)
@sellers_only
@require_http_methods(["GET", "POST"])
def marked_fuel_movement_change(request: AccountRequest, movement_id: int) -> HttpResponse:
    """Amend or void an accepted fuel movement by an explicit record naming it (its kind, document number, BFLO and
    fuel): the movement as it stands is its latest amendment, and a void ends it."""
    movement = corrections.movement_for_account(account=request.account, movement_id=movement_id)
    return MOVEMENT_CHANGE.respond(request, movement, movement_id)
