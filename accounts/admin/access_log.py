"""The access log in staff administration: every read, change and security event, read-only."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from accounts.models import AccessLogEntry
from tracs.admin import ReadOnlyAdmin

# A filter's choice for rows whose value was left blank (e.g. the capacity of a sign-in security event).
BLANK_VALUE = _("None recorded")


class RecordedValuesFilter(admin.AllValuesFieldListFilter):
    """Django's filter by every value recorded, with the blank value named instead of an empty, unnamed link."""

    def choices(self, changelist):
        for choice in super().choices(changelist):
            yield {**choice, "display": BLANK_VALUE} if choice["display"] == "" else choice


@admin.register(AccessLogEntry)
class AccessLogEntryAdmin(ReadOnlyAdmin):
    list_display = [
        "occurred_at",
        "kind",
        "actor_email",
        "capacity",
        "on_behalf_of",
        "account_number",
        "action",
        "ip_address",
    ]
    list_filter = ["kind", ("capacity", RecordedValuesFilter)]
    search_fields = ["actor_email", "account_number", "action", "on_behalf_of"]
    date_hierarchy = "occurred_at"
