"""Staff queue of fuel tax returns (Django admin, behind two-factor).

Returns are read-only here: a filed return is never edited, an amendment is a new version filed by the
taxpayer, and status changes (in review, assessed) come with the actions that record them and tell the filer.
Opening a return writes a staff READ row to the access log."""

from django.contrib import admin
from django.db.models import F
from django.db.models.functions import TruncDate
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.admin import StaffReadLoggedAdmin
from filings.models import FuelTaxReturn, ReturnLine
from filings.periods import Period


class PeriodFilter(admin.SimpleListFilter):
    title = _("period")
    parameter_name = "period"

    def lookups(self, request, model_admin):
        months = FuelTaxReturn.objects.dates("period_start", "month", order="DESC")[:36]
        return [(Period(month).key, Period(month).label) for month in months]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        try:
            period = Period.from_key(self.value())
        except ValueError:
            return queryset.none()
        return queryset.filter(period_start=period.start)


class LateFilter(admin.SimpleListFilter):
    """Received after the due date, by the date in Alberta (the time zone of the site)."""

    title = _("received late")
    parameter_name = "late"

    def lookups(self, request, model_admin):
        return [("yes", _("Late")), ("no", _("On time"))]

    def queryset(self, request, queryset):
        if self.value() not in ("yes", "no"):
            return queryset
        queryset = queryset.annotate(received_on=TruncDate("received_at"))
        if self.value() == "yes":
            return queryset.filter(received_on__gt=F("due_on"))
        return queryset.filter(received_on__lte=F("due_on"))


class ReturnLineInline(admin.TabularInline):
    model = ReturnLine
    extra = 0
    can_delete = False
    fields = ["fuel", "category", "litres", "rate_value", "rate_effective_from", "tax"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(FuelTaxReturn)
class FuelTaxReturnAdmin(StaffReadLoggedAdmin):
    list_display = [
        "confirmation_number",
        "account_link",
        "taxpayer",
        "period_label",
        "kind",
        "version",
        "status",
        "received_at",
        "due_on",
        "late_days_display",
        "total_tax",
    ]
    list_filter = [PeriodFilter, "status", LateFilter, "kind"]
    search_fields = [
        "confirmation_number",
        "account__number",
        "account__taxpayer__legal_name",
        "account__taxpayer__bin",
    ]
    list_select_related = ["account__taxpayer"]
    date_hierarchy = "received_at"
    ordering = ["-received_at"]
    inlines = [ReturnLineInline]
    fields = [
        "confirmation_number",
        "account",
        ("period_start", "period_end"),
        ("kind", "version", "amends"),
        "status",
        ("received_at", "due_on"),
        ("filed_by", "filed_by_email", "filed_in_capacity"),
        ("certified_name", "certified_capacity"),
        "total_tax",
    ]
    readonly_fields = [
        "confirmation_number",
        "account",
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
        "total_tax",
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def staff_read_target(self, obj) -> tuple[str, str]:
        return obj.account.number, f"{obj.account.taxpayer.legal_name} (BIN {obj.account.taxpayer.bin})"

    @admin.display(description=_("account"), ordering="account__number")
    def account_link(self, obj):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:programs_programaccount_change", args=[obj.account_id]),
            obj.account.number,
        )

    @admin.display(description=_("taxpayer"), ordering="account__taxpayer__legal_name")
    def taxpayer(self, obj):
        return obj.account.taxpayer.legal_name

    @admin.display(description=_("period"), ordering="period_start")
    def period_label(self, obj):
        return obj.period.key

    @admin.display(description=_("days late"))
    def late_days_display(self, obj):
        return obj.late_days or ""
