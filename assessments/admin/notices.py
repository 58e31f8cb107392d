"""Notices in Django admin, read-only: staff download a notice's PDF from its page; every opening is written to
the access log. Who opened a notice in the portal, and when first, is shown under it."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.admin import (
    StaffReadLoggedAdmin,
)
from accounts.models import AccessLogEntry
from accounts.services import access_log_record
from assessments.models import (
    Notice,
    NoticeRead,
)
from tracs.actors import actor_from_request
from tracs.admin import ReadOnlyAdmin, ReadOnlyInline


class NoticeReadInline(ReadOnlyInline):
    model = NoticeRead
    fields = ["user", "capacity", "opened_at"]
    readonly_fields = fields


@admin.register(Notice)
class NoticeAdmin(ReadOnlyAdmin, StaffReadLoggedAdmin):
    list_display = ["reference", "kind", "account", "period_end", "issued_on", "size", "pdf_link"]
    list_filter = ["kind"]
    search_fields = ["reference", "account__number", "account__taxpayer__legal_name"]
    list_select_related = ["account"]
    date_hierarchy = "issued_on"
    inlines = [NoticeReadInline]
    readonly_fields = [field.name for field in Notice._meta.fields] + ["pdf_link"]

    def staff_read_target(self, obj):
        return obj.account.number, obj.account.on_behalf_of

    @admin.display(description=_("PDF"))
    def pdf_link(self, obj):
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:assessments_notice_pdf", args=[obj.pk]), gettext("Download")
        )

    def get_urls(self):
        return [
            path(
                "<int:notice_id>/pdf/",
                self.admin_site.admin_view(self.pdf_view),
                name="assessments_notice_pdf",
            ),
            *super().get_urls(),
        ]

    def pdf_view(self, request, notice_id: int):
        if not self.has_view_permission(request):
            raise PermissionDenied
        notice = Notice.objects.select_related("account__taxpayer").filter(pk=notice_id).first()
        if notice is None:
            raise Http404
        access_log_record(
            actor=actor_from_request(request),
            kind=AccessLogEntry.Kind.READ,
            action="notice PDF opened in staff administration",
            account_number=notice.account.number,
            on_behalf_of=notice.account.on_behalf_of,
            capacity="staff",
            detail=notice.reference,
        )
        response = FileResponse(
            default_storage.open(notice.pdf.name, "rb"),
            content_type="application/pdf",
            filename=f"{notice.reference}.pdf",
        )
        response["Cache-Control"] = "private, no-store"
        return response
