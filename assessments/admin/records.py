"""What the assessment queues made, read-only in Django admin: assessments of returns and claim assessments,
with their lines, as they are in the database (no update, no delete: a reassessment is a new assessment)."""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.admin import (
    StaffReadLoggedAdmin,
)
from assessments.models import (
    Assessment,
    AssessmentLine,
    ClaimAssessment,
    ClaimAssessmentLine,
)
from tracs.admin import ReadOnlyAdmin, ReadOnlyInline


class AssessmentLineInline(ReadOnlyInline):
    model = AssessmentLine
    fields = [
        "fuel",
        "category",
        "litres_reported",
        "litres_assessed",
        "rate_value",
        "rate_effective_from",
        "tax_reported",
        "tax_assessed",
        "difference",
        "reason",
    ]
    readonly_fields = fields


@admin.register(Assessment)
class AssessmentAdmin(ReadOnlyAdmin, StaffReadLoggedAdmin):
    list_display = [
        "__str__",
        "kind",
        "assessed_at",
        "assessed_by",
        "reported_tax",
        "recomputed_tax",
        "tolerance_applied",
        "assessed_tax",
        "change",
        "notice_link",
    ]
    list_filter = ["kind", "tolerance_applied"]
    search_fields = ["account__number", "account__taxpayer__legal_name", "tax_return__confirmation_number"]
    list_select_related = ["account", "assessed_by", "notice"]
    date_hierarchy = "assessed_at"
    inlines = [AssessmentLineInline]
    readonly_fields = [field.name for field in Assessment._meta.fields] + ["notice_link"]

    def staff_read_target(self, obj):
        return obj.account.number, obj.account.on_behalf_of

    @admin.display(description=_("notice"))
    def notice_link(self, obj):
        notice = getattr(obj, "notice", None)
        if notice is None:
            return gettext("being issued")
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:assessments_notice_pdf", args=[notice.pk]), notice.reference
        )


class ClaimAssessmentLineInline(ReadOnlyInline):
    model = ClaimAssessmentLine
    fields = [
        "fuel",
        "purchase_date",
        "litres_claimed",
        "litres_allowed",
        "rate_claimed",
        "rate_value",
        "rate_effective_from",
        "refund_claimed",
        "refund_allowed",
        "difference",
        "disallowed",
        "reason",
    ]
    readonly_fields = fields


@admin.register(ClaimAssessment)
class ClaimAssessmentAdmin(ReadOnlyAdmin, StaffReadLoggedAdmin):
    list_display = [
        "__str__",
        "kind",
        "assessed_at",
        "assessed_by",
        "claimed",
        "recomputed",
        "allowed",
        "change",
    ]
    list_filter = ["kind", "tolerance_applied"]
    search_fields = ["account__number", "account__taxpayer__legal_name", "claim__confirmation_number"]
    list_select_related = ["account", "claim", "assessed_by"]
    inlines = [ClaimAssessmentLineInline]
    readonly_fields = [field.name for field in ClaimAssessment._meta.fields]

    def staff_read_target(self, obj):
        return obj.account.number, obj.account.on_behalf_of
