"""The assessor's queue of dye sites' monthly reports (staff administration): the Dye Stock Reports (AT4984) and
Litres Dyed during the Month (AT366), each read only with its lines, staff reads access-logged, moved into review
and back and then processed by the queue's actions, through the skeleton's one status path
(filings.status.filing_status_change). A Litres Dyed report whose concentrate used differed from the month's Dye
Stock Report when filed is found with its filter. Only holders of `filings.process_dyesitereport` (the assessor)
see the actions. Registered by filings/admin.py, whose filing admin and status actions it shares."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.admin import error_text
from filings.admin import FilingAdmin, LateFilter, OverdueForProcessingFilter, StatusActionsMixin
from filings.models_dye_sites import (
    DyeStockAdjustment,
    DyeStockReport,
    LitresDyedLine,
    LitresDyedReport,
)
from filings.sales.models_report import ReportStatus
from filings.status import filing_status_change
from tracs.actors import actor_from_request
from tracs.admin import ReadOnlyInline, requires

FILING_FIELDS = (
    "confirmation_number",
    "account",
    "site",
    "period_start",
    "period_end",
    "kind",
    "version",
    "amends",
    "status",
    "received_at",
    "due_on",
    "filed_by",
    "filed_by_email",
    "filed_in_capacity",
    "certified_name",
    "certified_capacity",
    "status_changed_at",
    "processed_at",
)


class DyeReportAdmin(StatusActionsMixin, FilingAdmin):
    """What both reports' queues share: the columns, filters, search and actions."""

    has_assess_permission = requires("filings.process_dyesitereport")
    actions = ["move_to_in_review", "move_back_to_received", "process_reports"]
    list_filter = ["status", LateFilter, OverdueForProcessingFilter, "kind"]
    search_fields = [
        "confirmation_number",
        "account__number",
        "account__taxpayer__legal_name",
        "site__name",
        "site__location__number",
    ]
    list_select_related = ["account__taxpayer", "site__location"]
    date_hierarchy = "received_at"
    ordering = ["-received_at"]

    @admin.display(description=_("month"), ordering="period_start")
    def period_label(self, obj):
        return obj.period.key

    @admin.action(description=_("Process (in review -> processed)"), permissions=["assess"])
    def process_reports(self, request, queryset):
        actor = actor_from_request(request)
        done, left = [], []
        for report in queryset.select_related("account__taxpayer", "account__program"):
            try:
                filing_status_change(filing=report, status=ReportStatus.PROCESSED, actor=actor)
            except ValidationError as error:
                left.append(f"{report.confirmation_number} ({error_text(error)})")
                continue
            done.append(report.confirmation_number)
        if done:
            self.message_user(
                request,
                gettext("Processed, the filer and the account's viewers e-mailed: %(numbers)s.")
                % {"numbers": ", ".join(done)},
                messages.SUCCESS,
            )
        if left:
            self.message_user(
                request,
                gettext("Left as they were: %(numbers)s.") % {"numbers": "; ".join(left)},
                messages.WARNING,
            )


class DyeStockAdjustmentInline(ReadOnlyInline):
    model = DyeStockAdjustment
    fields = readonly_fields = ("litres", "reason")


@admin.register(DyeStockReport)
class DyeStockReportAdmin(DyeReportAdmin):
    list_display = [
        "confirmation_number",
        "account_link",
        "site",
        "period_label",
        "version",
        "status",
        "received_at",
        "due_on",
        "used",
        "closing_reported",
    ]
    inlines = (DyeStockAdjustmentInline,)
    fields = readonly_fields = (
        *FILING_FIELDS,
        "opening",
        "received",
        "used",
        "adjustment",
        "closing_computed",
        "closing_reported",
    )


class ConcentrateDiffersFilter(admin.SimpleListFilter):
    """The concentrate used differed from the month's Dye Stock Report when filed (or none was filed)."""

    title = _("concentrate used vs the Dye Stock Report")
    parameter_name = "concentrate"

    def lookups(self, request, model_admin):
        return [
            ("differs", _("Differs")),
            ("agrees", _("Agrees")),
            ("no_stock_report", _("No Dye Stock Report when filed")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "differs":
            return queryset.filter(stock_report_used__isnull=False).exclude(
                stock_report_used=F("concentrate_used")
            )
        if self.value() == "agrees":
            return queryset.filter(stock_report_used=F("concentrate_used"))
        if self.value() == "no_stock_report":
            return queryset.filter(stock_report_used__isnull=True)
        return queryset


class LitresDyedLineInline(ReadOnlyInline):
    model = LitresDyedLine
    fields = readonly_fields = ("fuel", "litres")


@admin.register(LitresDyedReport)
class LitresDyedReportAdmin(DyeReportAdmin):
    list_display = [
        "confirmation_number",
        "account_link",
        "site",
        "period_label",
        "version",
        "status",
        "received_at",
        "litres_total",
        "concentrate_used",
    ]  # what the AT4984 said is on the report's page, and its filter finds those that differ: a laptop's width
    list_filter = [*DyeReportAdmin.list_filter, ConcentrateDiffersFilter]
    inlines = [LitresDyedLineInline]
    fields = readonly_fields = (
        *FILING_FIELDS,
        "litres_total",
        "concentrate_used",
        "stock_report_used",
        "concentrate_difference",
    )
