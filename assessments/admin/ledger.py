"""The ledger in Django admin, read-only (assessments/services/ledger.py is the one door for postings)."""

from __future__ import annotations

from django.contrib import admin

from accounts.admin import (
    StaffReadLoggedAdmin,
)
from assessments.models import (
    LedgerTransaction,
)
from tracs.admin import AccountNumberColumn, ReadOnlyAdmin


@admin.register(LedgerTransaction)
class LedgerTransactionAdmin(AccountNumberColumn, ReadOnlyAdmin, StaffReadLoggedAdmin):
    """The ledger as it is: nothing here can be changed or deleted (a correction is a new transaction, posted
    by the service that decides it)."""

    list_display = [
        "id",
        "account_number",
        "period_end",
        "kind",
        "amount",
        "processed_on",
        "effective_on",
        "description",
        "posted_by",
    ]
    list_filter = ["kind"]
    search_fields = ["account__number", "account__taxpayer__legal_name", "source_reference", "description"]
    list_select_related = ["account", "posted_by"]
    date_hierarchy = "processed_on"
    readonly_fields = [field.name for field in LedgerTransaction._meta.fields]

    def staff_read_target(self, obj):
        return obj.account.number, obj.account.on_behalf_of
