"""Staff queues of fuel tax returns and of claims (Django admin, behind two-factor).

Returns and claims are read-only here: a filed return or claim is never edited, an amendment is a new version
filed by the taxpayer. Their status moves on with the queue's actions (received -> in review, and back),
each through filings.status.filing_status_change, which logs the change and e-mails the filer and the
account's VIEW_ASSESSMENTS holders; assessed and reassessed are set by the assessments app when it issues a
notice. Opening a return or claim writes a staff READ row to the access log. The marked-fuel monthly reports'
queue (filings/sales/admin_report.py) is built on the same admin and actions."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import F
from django.db.models.functions import TruncDate
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.admin import StaffReadLoggedAdmin, error_text
from filings import claim_rules
from filings.models import Claim, ClaimLine, FuelTaxReturn, ReturnLine
from filings.periods import Period
from filings.sales import admin as sales_admin  # noqa: F401 - registers the marked-fuel records' admin
from filings.sales import (
    admin_inventory,  # noqa: F401 - registers every seller's inventory variances
    admin_sftp,  # noqa: F401 - registers the SFTP keys admin
)
from filings.status import filing_status_change, overdue_for_processing
from programs.models import Program
from tracs.actors import actor_from_request
from tracs.admin import ReadOnlyAdmin, ReadOnlyInline, requires


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


class ProgramFilter(admin.SimpleListFilter):
    title = _("program")
    parameter_name = "program"

    def lookups(self, request, model_admin):
        return [(program.code, program.name) for program in Program.objects.order_by("number")]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        return queryset.filter(account__program__code=self.value())


class OverdueForProcessingFilter(admin.SimpleListFilter):
    """In process past the expected processing date of the service standard in force when received
    (filings/rules/service_standards.yaml)."""

    title = _("processing")
    parameter_name = "processing"
    item = claim_rules.ITEM_RETURN

    def lookups(self, request, model_admin):
        return [("overdue", _("Past the service standard"))]

    def queryset(self, request, queryset):
        if self.value() != "overdue":
            return queryset
        return queryset.filter(overdue_for_processing(item=self.item, today=timezone.localdate()))


class ClaimOverdueForProcessingFilter(OverdueForProcessingFilter):
    item = claim_rules.ITEM_CLAIM


class ReceivedMonthFilter(admin.SimpleListFilter):
    """Claims by the month they were received (a claim has no period of its own: it is filed as needed)."""

    title = _("month received")
    parameter_name = "period"

    def lookups(self, request, model_admin):
        months = Claim.objects.dates("received_at", "month", order="DESC")[:36]
        return [(Period(month).key, Period(month).label) for month in months]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        try:
            period = Period.from_key(self.value())
        except ValueError:
            return queryset.none()
        return queryset.filter(received_at__date__gte=period.start, received_at__date__lte=period.end)


class FilingAdmin(ReadOnlyAdmin, StaffReadLoggedAdmin):
    """A filed return or claim: read-only (it changes only through the status services), staff reads
    logged against its account, with the account and taxpayer columns every queue shows."""

    def staff_read_target(self, obj) -> tuple[str, str]:
        return obj.account.number, obj.account.on_behalf_of

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


class StatusActionsMixin:
    """The queue's actions: move what is selected from one status to the next (or back), one filing at a
    time through filings.status.filing_status_change; anything not in the expected status is left alone and
    named in the message. Only those who assess the kind of filing move it (`has_assess_permission`, set by each
    admin: the assessor's role)."""

    actions = ["move_to_in_review", "move_back_to_received"]

    def _move(self, request, queryset, *, expected: str, to: str) -> None:
        moved, left = [], []
        for filing in queryset.select_related("account__taxpayer", "account__program"):
            if filing.status != expected:
                left.append(filing.confirmation_number)
                continue
            try:
                filing_status_change(filing=filing, status=to, actor=actor_from_request(request))
            except ValidationError as error:  # pragma: no cover - moved meanwhile by another staff member
                left.append(f"{filing.confirmation_number} ({error_text(error)})")
                continue
            moved.append(filing.confirmation_number)
        if moved:
            self.message_user(
                request,
                gettext("Moved to “%(status)s”, the filer and the account's viewers e-mailed: %(numbers)s.")
                % {"status": FuelTaxReturn.Status(to).label, "numbers": ", ".join(moved)},
                messages.SUCCESS,
            )
        if left:
            self.message_user(
                request,
                gettext("Left as they were (not “%(status)s”): %(numbers)s.")
                % {"status": FuelTaxReturn.Status(expected).label, "numbers": ", ".join(left)},
                messages.WARNING,
            )

    @admin.action(description=_("Move to in review (received -> in review)"), permissions=["assess"])
    def move_to_in_review(self, request, queryset):
        self._move(
            request, queryset, expected=FuelTaxReturn.Status.RECEIVED, to=FuelTaxReturn.Status.IN_REVIEW
        )

    @admin.action(description=_("Move back to received (in review -> received)"), permissions=["assess"])
    def move_back_to_received(self, request, queryset):
        self._move(
            request, queryset, expected=FuelTaxReturn.Status.IN_REVIEW, to=FuelTaxReturn.Status.RECEIVED
        )


class ReturnLineInline(ReadOnlyInline):
    model = ReturnLine
    fields = ["fuel", "category", "litres", "rate_value", "rate_effective_from", "tax"]
    readonly_fields = fields


@admin.register(FuelTaxReturn)
class FuelTaxReturnAdmin(StatusActionsMixin, FilingAdmin):
    has_assess_permission = requires("assessments.assess_return")
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
    list_filter = [ProgramFilter, PeriodFilter, "status", LateFilter, OverdueForProcessingFilter, "kind"]
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
        ("status_changed_at", "processed_at"),
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
        "status_changed_at",
        "processed_at",
    ]

    @admin.display(description=_("period"), ordering="period_start")
    def period_label(self, obj):
        return obj.period.key

    @admin.display(description=_("days late"))
    def late_days_display(self, obj):
        return obj.late_days or ""


class ClaimLineInline(ReadOnlyInline):
    model = ClaimLine
    fields = [
        "reason",
        "sector",
        "activity",
        "vehicle_category",
        "fuel",
        "rebranded_to",
        "purchase_date",
        "event_date",
        "document_number",
        "litres",
        "percentage",
        "percentage_from",
        "rate_value",
        "rate_effective_from",
        "refund",
        "deadline",
    ]
    readonly_fields = fields
    # A PROP line has no rebranding or event; another claim's line has no sector, activity or percentage. Each
    # claim shows its own columns, so the lines fit a laptop.
    prop_only = ("sector", "activity", "vehicle_category", "percentage", "percentage_from")
    other_only = ("rebranded_to", "purchase_date", "event_date")

    def get_fields(self, request, obj=None):
        hidden = self.other_only if obj is not None and obj.kind == Claim.Kind.PROP else self.prop_only
        return [field for field in self.fields if field not in hidden]


@admin.register(Claim)
class ClaimAdmin(StatusActionsMixin, FilingAdmin):
    has_assess_permission = requires("assessments.assess_claim")
    list_display = [
        "confirmation_number",
        "account_link",
        "taxpayer",
        "kind",
        "status",
        "received_at",
        "expected_on",
        "total_refund",
        "refund_method",
    ]
    list_filter = [ProgramFilter, "kind", ReceivedMonthFilter, "status", ClaimOverdueForProcessingFilter]
    search_fields = [
        "confirmation_number",
        "account__number",
        "account__taxpayer__legal_name",
        "account__taxpayer__bin",
    ]
    list_select_related = ["account__taxpayer", "account__program"]
    date_hierarchy = "received_at"
    ordering = ["-received_at"]
    inlines = [ClaimLineInline]
    fields = [
        "confirmation_number",
        "account",
        ("kind", "inventory_date"),
        ("period_start", "period_end"),
        "status",
        ("received_at", "expected_on"),
        ("status_changed_at", "processed_at"),
        ("filed_by", "filed_by_email", "filed_in_capacity"),
        ("certified_name", "certified_capacity"),
        ("total_refund", "refund_method"),
    ]
    readonly_fields = [
        "confirmation_number",
        "account",
        "kind",
        "inventory_date",
        "period_start",
        "period_end",
        "status",
        "received_at",
        "expected_on",
        "status_changed_at",
        "processed_at",
        "filed_by",
        "filed_by_email",
        "filed_in_capacity",
        "certified_name",
        "certified_capacity",
        "total_refund",
        "refund_method",
    ]

    @admin.display(description=_("expected processing date"))
    def expected_on(self, obj):
        return claim_rules.expected_processing_on(
            program=obj.account.program.code,
            item=claim_rules.ITEM_CLAIM,
            received_on=timezone.localdate(obj.received_at),
        )


# The marked-fuel monthly reports' queue shares this module's filing admin and status actions: imported once they
# are defined.
from filings import admin_dye_sites  # noqa: E402, F401 - registers the dye sites' reports' admin
from filings.sales import admin_report  # noqa: E402, F401 - registers the marked-fuel reports' admin
