"""Staff administration of marked-fuel records (issue 14, item 10), read only: every seller's sales and fuel
movements with search, inventory counts, the ingestion log (every file or web submission, its door, its counts
and its acknowledgement: the rejected rows, linked) and the rejected rows. Records are changed only by the seller's
amendments and voids, through the ingestion service; staff read them, and each record opened is access-logged."""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.admin import StaffReadLoggedAdmin
from filings.sales.models import Ingestion, InventoryCount, Movement, RejectedRow, Sale
from tracs.admin import AccountNumberColumn, ReadOnlyAdmin


class _SellerRecordAdmin(AccountNumberColumn, ReadOnlyAdmin, StaffReadLoggedAdmin):
    """What the record admins share: read only, access-logged, searchable by the seller."""

    list_select_related = ["account__taxpayer", "bflo"]
    date_hierarchy = "month"
    seller_search = ["account__number", "account__taxpayer__legal_name", "bflo__number"]

    def staff_read_target(self, obj):
        return obj.account.number, obj.account.taxpayer.legal_name

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]


@admin.register(Sale)
class SaleAdmin(_SellerRecordAdmin):
    list_display = [
        "sale_date",
        "account_number",
        "invoice_number",
        "line",
        "kind",
        "revision",
        "exemption_number",
        "fuel",
        "litres",
        "bflo",
    ]
    list_filter = ["kind", "fuel", "exemption_kind", "carbon_levy_exempt"]
    search_fields = [*_SellerRecordAdmin.seller_search, "invoice_number", "exemption_number"]
    list_select_related = [*_SellerRecordAdmin.list_select_related, "corrects"]


@admin.register(Movement)
class MovementAdmin(_SellerRecordAdmin):
    list_display = [
        "movement_date",
        "account_number",
        "kind",
        "record_revision",
        "document_number",
        "fuel",
        "litres",
        "bflo",
        "counterparty_name",
    ]
    list_filter = ["kind", "record", "fuel"]
    search_fields = [
        *_SellerRecordAdmin.seller_search,
        "document_number",
        "counterparty_name",
        "counterparty_number",
    ]

    @admin.display(description=_("record"), ordering="revision")
    def record_revision(self, obj):
        """The movement itself, or its amendment or void with its revision (one column: the list fits a laptop)."""
        label = obj.get_record_display()
        return f"{label} {obj.revision}" if obj.revision else label


@admin.register(InventoryCount)
class InventoryCountAdmin(_SellerRecordAdmin):
    list_display = ["month", "account_number", "kind", "revision", "bflo", "fuel", "litres"]
    list_filter = ["kind", "fuel"]
    search_fields = _SellerRecordAdmin.seller_search


@admin.register(Ingestion)
class IngestionAdmin(AccountNumberColumn, ReadOnlyAdmin, StaffReadLoggedAdmin):
    """The ingestion log."""

    list_display = [
        "received_at",
        "account_number",
        "door",
        "format",
        "record_type",
        "month",
        "file_name",
        "status",
        "rows_read",
        "rows_accepted",
        "rows_rejected",
        "validate_only",
    ]
    list_filter = ["status", "door", "format", "record_type", "validate_only"]
    search_fields = ["account__number", "account__taxpayer__legal_name", "file_name", "sha256"]
    list_select_related = ["account__taxpayer"]
    date_hierarchy = "received_at"

    def staff_read_target(self, obj):
        return obj.account.number, obj.account.taxpayer.legal_name

    def get_readonly_fields(self, request, obj=None):
        return [*(field.name for field in Ingestion._meta.fields), "acknowledgement"]

    @admin.display(description=_("acknowledgement"))
    def acknowledgement(self, obj):
        url = reverse("admin:filings_rejectedrow_changelist") + f"?ingestion__id__exact={obj.pk}"
        return format_html(
            '{} read, {} accepted, {} rejected. <a href="{}">The rejected rows, with their reasons</a>',
            obj.rows_read,
            obj.rows_accepted,
            obj.rows_rejected,
            url,
        )


@admin.register(RejectedRow)
class RejectedRowAdmin(ReadOnlyAdmin, StaffReadLoggedAdmin):
    """Rejected rows: the rejected sales (filter by record type) and what corrected them."""

    list_display = ["row_number", "ingestion", "field", "reason", "corrected_by"]
    list_filter = ["ingestion__record_type", "ingestion__door", "ingestion__validate_only", "field"]
    search_fields = ["ingestion__account__number", "ingestion__file_name", "reason"]
    list_select_related = ["ingestion__account__taxpayer", "corrected_by"]

    def staff_read_target(self, obj):
        return obj.ingestion.account.number, obj.ingestion.account.taxpayer.legal_name

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in RejectedRow._meta.fields]
