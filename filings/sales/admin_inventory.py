"""Inventory variances of every seller in staff administration (issue 15, item 4: "Staff see every seller's
variances in admin"): a month's lines of every marked-fuel seller, per BFLO and fuel, the computed closing beside
the counted one, the variance in litres and percent, flagged past the tolerance in force for the month; the
largest variance first, filtered by month, seller, fuel and "past tolerance only" through a GET form, 50 lines to
a page, each linked to the seller's report of the month in the report queue (filings/sales/admin_report.py); and
the same selection as an Excel workbook.

The lines are the seller's own Inventory Summary's (filings.sales.inventory_sql, one statement for every seller:
filtered, sorted and paged by the database, so a page is one query however many sellers there are). Read only,
for whoever holds `filings.view_inventoryvariance` (docs/staff-roles.md: the assessor, the exemptions officer and
the auditor); each page read and each export writes a READ row to the access log (capacity "staff"), naming the
seller when the page is filtered to one. Registered by filings/admin.py."""

from __future__ import annotations

import math
from datetime import date
from urllib.parse import urlencode

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import AccessLogEntry
from accounts.services import access_log_record
from filings.definitions.marked_fuel import TEFS
from filings.periods import Period
from filings.sales import inventory_sql
from filings.sales.inventory_rules import tolerance_for
from filings.sales.inventory_summary import excel
from filings.sales.models import Fuel, InventoryVariance
from filings.sales.views_rejected import XLSX
from programs.models import ProgramAccount
from tracs.actors import actor_from_request
from tracs.admin import ReadOnlyAdmin

PER_PAGE = 50
TEMPLATE = "admin/filings/inventoryvariance/change_list.html"
MONTH_INVALID = _("Enter a month as YYYY-MM, for example 2026-10.")
NOT_A_SELLER = _("No marked-fuel seller has the account number %(number)s.")


def month_default(today: date) -> Period:
    """The month shown when none is asked for: the last one ended (the month its reports are being filed for)."""
    return Period.of(today).previous()


class VarianceFilterForm(forms.Form):
    month = forms.CharField(
        label=_("Month"),
        help_text=_("YYYY-MM"),
        max_length=7,
        widget=forms.TextInput(attrs={"type": "month", "pattern": r"\d{4}-\d{2}"}),
    )
    seller = forms.CharField(
        label=_("Seller's account number"),
        required=False,
        max_length=40,
        help_text=_("Every seller when left empty."),
    )
    fuel = forms.ChoiceField(label=_("Fuel"), required=False, choices=[("", _("Both fuels")), *Fuel.choices])
    flagged = forms.BooleanField(label=_("Past tolerance only"), required=False)

    def clean_month(self) -> Period:
        try:
            period = Period.from_key(self.cleaned_data["month"].strip())
        except ValueError:
            raise ValidationError(MONTH_INVALID, code="month") from None
        return period

    def clean_seller(self) -> ProgramAccount | None:
        number = self.cleaned_data["seller"].strip()
        if not number:
            return None
        account = (
            ProgramAccount.objects.filter(number=number, program__code=TEFS)
            .select_related("taxpayer")
            .first()
        )
        if account is None:
            raise ValidationError(NOT_A_SELLER % {"number": number}, code="not_a_seller")
        return account

    def selection(self) -> inventory_sql.Selection:
        data = self.cleaned_data
        account = data["seller"]
        return inventory_sql.Selection(
            period=data["month"],
            account_id=account.pk if account else None,
            fuel=data["fuel"],
            flagged_only=data["flagged"],
        )


def _form(request) -> VarianceFilterForm:
    data = request.GET.copy()
    if not data.get("month"):
        data["month"] = month_default(timezone.localdate()).key
    return VarianceFilterForm(data)


def _page_number(request) -> int:
    """?p= (as Django admin's lists say it), from 1; anything else is no page of this list."""
    text = request.GET.get("p", "1")
    if not text.isdigit() or int(text) < 1:
        raise Http404
    return int(text)


def _described(form: VarianceFilterForm) -> str:
    """The selection in words, for the access log."""
    data = form.cleaned_data
    account = data["seller"]
    return ", ".join(
        part
        for part in (
            data["month"].key,
            f"seller {account.number}" if account else gettext("every seller"),
            str(dict(Fuel.choices)[data["fuel"]]) if data["fuel"] else gettext("both fuels"),
            gettext("past tolerance only") if data["flagged"] else "",
        )
        if part
    )


def _log_read(request, form: VarianceFilterForm, *, action: str, detail: str) -> None:
    account = form.cleaned_data["seller"]
    access_log_record(
        actor=actor_from_request(request),
        kind=AccessLogEntry.Kind.READ,
        action=action,
        account_number=account.number if account else "",
        on_behalf_of=account.on_behalf_of if account else "",
        capacity="staff",
        detail=detail,
    )


@admin.register(InventoryVariance)
class InventoryVarianceAdmin(ReadOnlyAdmin):
    """Not a list of stored rows: its list is the page of computed lines below, and it has no record pages."""

    def get_urls(self):
        info = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path("", self.admin_site.admin_view(self.changelist_view), name=f"{info}_changelist"),
            path("excel/", self.admin_site.admin_view(self.excel_view), name=f"{info}_excel"),
        ]

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = _form(request)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Inventory variances of every seller"),
            "form": form,
        }
        if not form.is_valid():
            return TemplateResponse(request, TEMPLATE, context, status=400)
        number = _page_number(request)
        page = inventory_sql.inventory_lines(
            form.selection(),
            order=inventory_sql.Order.BY_VARIANCE,
            limit=PER_PAGE,
            offset=(number - 1) * PER_PAGE,
        )
        if number > 1 and not page.lines:
            raise Http404
        pages = max(1, math.ceil(page.total / PER_PAGE))
        kept = {key: value for key, value in form.data.items() if key != "p"}
        _log_read(
            request,
            form,
            action="inventory variances read in staff administration",
            detail=f"{_described(form)}: page {number}, {len(page.lines)} of {page.total} lines",
        )
        period = form.cleaned_data["month"]
        context |= {
            "period": period,
            "tolerance": tolerance_for(period),
            "lines": page.lines,
            "total": page.total,
            "page_number": number,
            "pages": pages,
            "previous_url": f"?{urlencode({**kept, 'p': number - 1})}" if number > 1 else "",
            "next_url": f"?{urlencode({**kept, 'p': number + 1})}" if number < pages else "",
            "excel_url": f"{reverse('admin:filings_inventoryvariance_excel')}?{urlencode(kept)}",
            "can_open_reports": request.user.has_perm("filings.view_markedfuelreport"),
        }
        return TemplateResponse(request, TEMPLATE, context)

    def excel_view(self, request):
        """The page's selection, every line of it (not only a page), as an Excel workbook."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = _form(request)
        if not form.is_valid():
            page = reverse("admin:filings_inventoryvariance_changelist")
            return HttpResponseRedirect(f"{page}?{request.GET.urlencode()}" if request.GET else page)
        selection = form.selection()
        described = _described(form)
        _log_read(
            request, form, action="inventory variances exported in staff administration", detail=described
        )
        account = form.cleaned_data["seller"]
        period = selection.period
        return FileResponse(
            excel(
                lines=inventory_sql.inventory_lines_streamed(selection),
                tolerance=tolerance_for(period),
                title=gettext("Inventory variances, %(selection)s") % {"selection": described},
                sellers=True,
            ),
            as_attachment=True,
            filename=f"inventory-variances-{period.key}{'-' + account.number if account else ''}.xlsx",
            content_type=XLSX,
        )
