"""The marked-fuel seller's web pages (seed 002): "Create AFFB/TEFU Sales", "Create Acquisitions and Imports",
"Create Dispositions and Exports", the month's inventory counts, the rejected sales and their correction (the
month's sales and movements, and the amendment or void of one, are filings.sales.views_changes).

Every page is account-scoped through consent.access.account_view with REPORT_FUEL ("Report fuel transactions"),
on open marked-fuel (TEFS) accounts (filings.sales.views_sellers.sellers_only). Every row goes through the one
ingestion service (filings.sales.ingestion.ingestion_rows), as a file's rows do: the web form is one more door.

Sending rows (no JavaScript needed: "Add a row" posts what was typed and shows one more empty row):
1. the rows are checked by the service in validate-only mode: nothing is stored, and each row's problems are put
   next to its boxes (400);
2. with no problem, the rows are stored by the service (accepted together, in one transaction) and the page comes
   back empty with what was stored (post/redirect/get);
3. on the sales page only, a seller whose sales were refused for the registry (a number cancelled on the sale
   date, say) may send them as they are: the service stores the accepted sales and keeps each rejected sale with
   its reason, listed under Rejected Sales, where each is corrected by sending the corrected row again (the
   correction is linked to the rejected sale it corrects).
An accepted sale or movement is changed only by an explicit amendment or void record naming it (views_changes).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from consent.access import AccountRequest, account_view
from consent.privileges import Privilege
from filings.periods import Period
from filings.sales import corrections, ingestion, selectors
from filings.sales.forms_entry import (
    ACQUISITIONS_AND_IMPORTS,
    DISPOSITIONS_AND_EXPORTS,
    NO_ROWS,
    InventoryForm,
    MonthForm,
    MovementRowForm,
    RowForm,
    SaleRowForm,
    location_choices,
    months_open,
    row_formset,
)
from filings.sales.models import Ingestion, InventoryCount, RecordType, RejectedRow
from filings.sales.views_sellers import sellers_only
from programs import money
from programs.models import BulkFuelLocation

ADD, CHECK, KEEP = "add", "check", "keep"
PAGE_SIZE = 50

NO_MONTHS = _("This account has no month to report yet: its effective date is %(effective)s.")
STORED = _("%(count)d row(s) stored for %(period)s.")
KEPT = _(
    "%(accepted)d sale(s) accepted and %(rejected)d rejected sale(s) kept for %(period)s. Each rejected sale is "
    "listed below with its reason: correct it and send it again."
)
CORRECTED = _("The corrected sale was accepted; it replaces rejected row %(row)d of %(received)s.")
COUNTS_STORED = _("%(count)d inventory count(s) stored for %(period)s.")


def _ingest(
    request: AccountRequest, *, record_type: str, period: Period, rows, keep_rejected: bool
) -> Ingestion:
    """One ingestion per submission: all rows stored, or (unless the seller chose to keep the rejected ones) none,
    the ingestion then a check whose rejected rows the form shows beside their lines."""
    return ingestion.ingestion_rows(
        account=request.account,
        record_type=record_type,
        month=period.start,
        rows=rows,
        actor=request.actor,
        only_if_all_accepted=not keep_rejected,
    )


def _rejected(checked: Ingestion) -> list[RejectedRow]:
    return list(selectors.acknowledgement_rows(ingestion=checked))


@dataclass(frozen=True)
class RowsPage:
    """One page of rows (sales, or one pair of movements) on the steps above."""

    record_type: str
    form_class: type[RowForm]
    title: Any
    intro: Any
    url_name: str
    rows: int  # empty rows at first
    keeps_rejected: bool = False
    kinds: tuple = ()
    record: str = ""  # the file's `record` column for the rows of this page: "sale", "movement"

    def form_kwargs(self, request: AccountRequest) -> dict:
        kwargs: dict[str, Any] = {"locations": location_choices(request.account)}
        if self.kinds:
            kwargs["kinds"] = self.kinds
        return kwargs

    def service_rows(self, formset) -> list[dict[str, str]]:
        rows = formset.rows()
        if self.record:
            rows = [{"record": self.record, **row} for row in rows]
        return rows

    def respond(self, request: AccountRequest) -> HttpResponse:
        months = months_open(request.account, today=timezone.localdate())
        if not months:
            return self.render(
                request, None, None, problems=[str(NO_MONTHS % {"effective": request.account.effective_date})]
            )
        if request.method != "POST":
            month = request.GET.get("month")
            initial = {"month": month} if month in {period.key for period in months} else {}
            month_form = MonthForm(months=months, initial=initial)
            formset = row_formset(self.form_class, rows=self.rows, **self.form_kwargs(request))
            return self.render(request, month_form, formset)
        step = request.POST.get("step", CHECK)
        month_form = MonthForm(request.POST, months=months)
        formset = row_formset(
            self.form_class, data=request.POST, rows=0, add=step == ADD, **self.form_kwargs(request)
        )
        if step == ADD:
            return self.render(request, month_form, formset, focus_last=True)
        if not month_form.is_valid() or not formset.is_valid():
            return self.render(request, month_form, formset, status=400)
        period = month_form.period
        rows = self.service_rows(formset)
        if not rows:
            return self.render(request, month_form, formset, problems=[str(NO_ROWS)], status=400)
        keep = step == KEEP and self.keeps_rejected
        stored = _ingest(request, record_type=self.record_type, period=period, rows=rows, keep_rejected=keep)
        if stored.validate_only:
            formset.add_row_errors(_rejected(stored))
            return self.render(request, month_form, formset, status=400, may_keep=self.keeps_rejected)
        return self.stored(request, stored, period)

    def stored(self, request: AccountRequest, stored: Ingestion, period: Period) -> HttpResponse:
        number = request.account.number
        if stored.rows_rejected:
            messages.warning(
                request,
                str(
                    KEPT
                    % {
                        "accepted": stored.rows_accepted,
                        "rejected": stored.rows_rejected,
                        "period": period.label,
                    }
                ),
            )
            return redirect("marked_fuel_rejected", number=number)
        messages.success(request, str(STORED % {"count": stored.rows_accepted, "period": period.label}))
        return redirect(f"{reverse(self.url_name, kwargs={'number': number})}?month={period.key}")

    def render(
        self, request, month_form, formset, *, problems=(), status=200, may_keep=False, focus_last=False
    ):
        return render(
            request,
            "filings/marked_fuel/rows_form.html",
            {
                "page": self,
                "month_form": month_form,
                "formset": formset,
                "problems": list(problems),
                "may_keep": may_keep,
                "focus_last": focus_last,
                "is_sales": self.record_type == RecordType.SALES,
            },
            status=status,
        )


SALES_PAGE = RowsPage(
    record_type=RecordType.SALES,
    form_class=SaleRowForm,
    title=_("Create AFFB/TEFU Sales"),
    intro=_(
        "Enter each sale of marked fuel to an AFFB farmer or a TEFU holder: one row per invoice line. Each sale is "
        "checked against the exemption registry on its sale date. Leave a row empty to skip it."
    ),
    url_name="marked_fuel_sales",
    rows=3,
    keeps_rejected=True,
    record="sale",
)
ACQUISITIONS_PAGE = RowsPage(
    record_type=RecordType.MOVEMENTS,
    form_class=MovementRowForm,
    title=_("Create Acquisitions and Imports"),
    intro=_(
        "Enter the marked fuel received at your locations: bought in Alberta (acquisition) or brought into Alberta "
        "(import, with the jurisdiction it came from). Leave a row empty to skip it."
    ),
    url_name="marked_fuel_acquisitions",
    rows=2,
    kinds=ACQUISITIONS_AND_IMPORTS,
    record="movement",
)
DISPOSITIONS_PAGE = RowsPage(
    record_type=RecordType.MOVEMENTS,
    form_class=MovementRowForm,
    title=_("Create Dispositions and Exports"),
    intro=_(
        "Enter the marked fuel that left your locations other than by consumer sale: sold or transferred in "
        "Alberta (disposition) or taken out of Alberta (export, with the jurisdiction it went to). Leave a row "
        "empty to skip it."
    ),
    url_name="marked_fuel_dispositions",
    rows=2,
    kinds=DISPOSITIONS_AND_EXPORTS,
    record="movement",
)


@account_view(Privilege.REPORT_FUEL)
@sellers_only
@require_http_methods(["GET", "POST"])
def marked_fuel_sales(request: AccountRequest) -> HttpResponse:
    return SALES_PAGE.respond(request)


@account_view(Privilege.REPORT_FUEL)
@sellers_only
@require_http_methods(["GET", "POST"])
def marked_fuel_acquisitions(request: AccountRequest) -> HttpResponse:
    return ACQUISITIONS_PAGE.respond(request)


@account_view(Privilege.REPORT_FUEL)
@sellers_only
@require_http_methods(["GET", "POST"])
def marked_fuel_dispositions(request: AccountRequest) -> HttpResponse:
    return DISPOSITIONS_PAGE.respond(request)


# --- Correcting a rejected sale (Rejected Sales itself is filings.sales.views_rejected) ---------------------


def _one_row(request: AccountRequest, form_class, *, data: QueryDict | None, initial=None):
    return row_formset(
        form_class,
        data=data,
        rows=0 if initial else 1,
        initial=initial,
        locations=location_choices(request.account),
    )


def _sale_values(values: dict) -> dict[str, str]:
    """The boxes of a sale row from a rejected row's values as sent (column -> text)."""
    return {name: str(values.get(name) or "") for name in SaleRowForm.base_fields}


@account_view(Privilege.REPORT_FUEL)
@sellers_only
@require_http_methods(["GET", "POST"])
def marked_fuel_rejected_correct(request: AccountRequest, rejected_id: int) -> HttpResponse:
    """Correct a rejected sale: its row as sent, to change and send again; once accepted, the new sale is linked to
    the rejected one (RejectedRow.corrected_by) and the rejected sale leaves the list."""
    rejected = corrections.rejected_sale_for_account(account=request.account, rejected_id=rejected_id)
    if rejected is None:
        raise Http404
    months = months_open(request.account, today=timezone.localdate())
    context: dict[str, Any] = {"rejected": rejected}
    if rejected.corrected_by_id is not None:
        return render(
            request,
            "filings/marked_fuel/rejected_correct.html",
            context,
            status=400 if request.method == "POST" else 200,
        )
    reported = (
        rejected.ingestion.month or rejected.ingestion.received_at.date()
    )  # a web row always has its month
    month_initial = {"month": Period.of(reported).key}
    if request.method != "POST":
        context["month_form"] = MonthForm(months=months, initial=month_initial)
        context["formset"] = _one_row(
            request, SaleRowForm, data=None, initial=[_sale_values(rejected.values)]
        )
        return render(request, "filings/marked_fuel/rejected_correct.html", context)
    month_form = MonthForm(request.POST, months=months)
    formset = _one_row(request, SaleRowForm, data=request.POST)
    context.update(month_form=month_form, formset=formset)
    if not month_form.is_valid() or not formset.is_valid() or not formset.rows():
        if formset.is_bound and formset.is_valid() and not formset.rows():
            context["problems"] = [str(NO_ROWS)]
        return render(request, "filings/marked_fuel/rejected_correct.html", context, status=400)
    rows = [{"record": "sale", **formset.rows()[0], "corrects_rejected": str(rejected.pk)}]
    period = month_form.period
    checked = _ingest(request, record_type=RecordType.SALES, period=period, rows=rows, keep_rejected=False)
    if checked.validate_only:
        formset.add_row_errors(_rejected(checked))
        return render(request, "filings/marked_fuel/rejected_correct.html", context, status=400)
    received = timezone.localtime(rejected.ingestion.received_at)
    messages.success(
        request, str(CORRECTED % {"row": rejected.row_number, "received": f"{received:%Y-%m-%d %H:%M}"})
    )
    return redirect("marked_fuel_rejected", number=request.account.number)


# --- Inventory counts ------------------------------------------------------------------------------------------


def _inventory_kinds(request: AccountRequest, period: Period) -> list[str]:
    """A seller's first month counts its opening inventory as well; every month its closing inventory."""
    if Period.of(request.account.effective_date) == period:
        return [InventoryCount.Kind.OPENING, InventoryCount.Kind.CLOSING]
    return [InventoryCount.Kind.CLOSING]


@account_view(Privilege.REPORT_FUEL)
@sellers_only
@require_http_methods(["GET", "POST"])
def marked_fuel_inventory(request: AccountRequest) -> HttpResponse:
    """The month's inventory counts per location and fuel: the closing count every month, the opening count too in
    the seller's first month. The month is chosen by a GET form (?month=); the counts are sent with it."""
    months = months_open(request.account, today=timezone.localdate())
    if not months:
        return render(
            request,
            "filings/marked_fuel/inventory.html",
            {"problems": [str(NO_MONTHS % {"effective": request.account.effective_date})]},
        )
    month_form = MonthForm(request.POST if request.method == "POST" else request.GET, months=months)
    if not month_form.is_valid():
        if request.method == "POST":
            return render(
                request, "filings/marked_fuel/inventory.html", {"month_form": month_form}, status=400
            )
        month_form = MonthForm(months=months)
        period = months[0]
    else:
        period = month_form.period
    locations = list(BulkFuelLocation.objects.filter(account=request.account, active=True).order_by("number"))
    counts = list(
        InventoryCount.objects.filter(account=request.account, month=period.start)
        .select_related("bflo")
        .order_by("bflo__number", "fuel", "kind", "revision")
    )
    form = InventoryForm(
        request.POST if request.method == "POST" else None,
        locations=locations,
        kinds=_inventory_kinds(request, period),
        # The latest recount of each (ordered by revision: the last one read stands).
        counted={
            (count.kind, count.bflo.number, count.fuel): money.format_litres(count.litres) for count in counts
        },
    )
    context: dict[str, Any] = {"month_form": month_form, "form": form, "counts": counts, "period": period}
    if request.method != "POST":
        return render(request, "filings/marked_fuel/inventory.html", context)
    if not form.is_valid():  # pragma: no cover - text boxes only: nothing a browser sends is refused here
        return render(request, "filings/marked_fuel/inventory.html", context, status=400)
    rows = form.rows()
    if not rows:
        context["problems"] = [str(NO_ROWS)]
        return render(request, "filings/marked_fuel/inventory.html", context, status=400)
    stored = _ingest(request, record_type=RecordType.INVENTORY, period=period, rows=rows, keep_rejected=False)
    if stored.validate_only:
        form.add_row_errors(_rejected(stored), rows)
        return render(request, "filings/marked_fuel/inventory.html", context, status=400)
    messages.success(request, str(COUNTS_STORED % {"count": stored.rows_accepted, "period": period.label}))
    url = reverse("marked_fuel_inventory", kwargs={"number": request.account.number})
    return redirect(f"{url}?month={period.key}")
