"""Staff administration of the accounts' documents (issue 4, part 5): read only, with the malware scan's
verdict, and each file downloaded through admin written to the access log."""

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef
from django.http import FileResponse, Http404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.admin import StaffReadLoggedAdmin
from accounts.models import AccessLogEntry
from accounts.services import access_log_record
from programs.models import Document, DocumentFile
from tracs.actors import actor_from_request
from tracs.admin import ReadOnlyAdmin, ReadOnlyInline


class DocumentFileInline(ReadOnlyInline):
    """The files, with the malware scan's verdict: "not scanned" means no scanner looked at the file."""

    model = DocumentFile
    fields = ["position", "download", "content_type", "size", "scan_status", "scan_detail", "sha256"]
    readonly_fields = fields
    verbose_name_plural = _("files")

    @admin.display(description=_("file"))
    def download(self, obj) -> str:
        url = reverse("admin:programs_document_file", args=[obj.document_id, obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.original_name)


class NotScannedFilter(admin.SimpleListFilter):
    title = _("malware scan")
    parameter_name = "scan"

    def lookups(self, request, model_admin):
        return [("not_scanned", _("Has files not scanned")), ("scanned", _("All files scanned, clean"))]

    def queryset(self, request, queryset):
        unscanned = DocumentFile.objects.filter(document=OuterRef("pk")).exclude(
            scan_status=DocumentFile.ScanStatus.CLEAN
        )
        if self.value() == "not_scanned":
            return queryset.filter(Exists(unscanned))
        if self.value() == "scanned":
            return queryset.exclude(Exists(unscanned))
        return queryset


@admin.register(Document)
class DocumentAdmin(ReadOnlyAdmin, StaffReadLoggedAdmin):
    """Documents submitted by accounts' people (Submit Documents) and issued by TRA: read only. Staff
    download a file through admin (each download is written to the access log); the scan column shows
    documents with files no scanner looked at."""

    list_display = [
        "reference_number",
        "account_link",
        "document_type",
        "related_reference",
        "received_at",
        "origin",
        "file_count",
        "scan",
    ]
    list_filter = [
        NotScannedFilter,
        "origin",
        "document_type",
        "account__program",
        ("received_at", admin.DateFieldListFilter),
    ]
    search_fields = [
        "reference_number",
        "related_reference",
        "account__number",
        "account__taxpayer__legal_name",
        "submitted_by_email",
    ]
    list_select_related = ["account__taxpayer"]
    date_hierarchy = "received_at"
    fields = [
        "reference_number", "account_link", "document_type", "related_reference", "description", "origin", "received_at",
        "submitted_by_email", "capacity",
    ]  # fmt: skip
    readonly_fields = fields
    inlines = [DocumentFileInline]

    def get_queryset(self, request):
        unscanned = DocumentFile.objects.filter(document=OuterRef("pk")).exclude(
            scan_status=DocumentFile.ScanStatus.CLEAN
        )
        return (
            super()
            .get_queryset(request)
            .annotate(files_count=Count("files", distinct=True), has_unscanned=Exists(unscanned))
        )

    @admin.display(description=_("account"), ordering="account__number")
    def account_link(self, obj) -> str:
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:programs_programaccount_change", args=[obj.account_id]),
            obj.account.number,
        )

    @admin.display(description=_("files"), ordering="files_count")
    def file_count(self, obj) -> int:
        return obj.files_count

    @admin.display(description=_("malware scan"))
    def scan(self, obj) -> str:
        return gettext("not scanned") if obj.has_unscanned else gettext("clean")

    def get_urls(self):
        return [
            path(
                "<path:object_id>/files/<int:file_id>/",
                self.admin_site.admin_view(self.file_download_view),
                name="programs_document_file",
            ),
            *super().get_urls(),
        ]

    def file_download_view(self, request, object_id, file_id):
        if not self.has_view_permission(request):
            raise PermissionDenied
        document = self.get_object(request, unquote(object_id))
        if document is None:
            raise Http404
        document_file = DocumentFile.objects.filter(document=document, pk=file_id).first()
        if document_file is None:
            raise Http404
        access_log_record(
            actor=actor_from_request(request),
            kind=AccessLogEntry.Kind.READ,
            action="document file downloaded in staff administration",
            account_number=document.account.number,
            on_behalf_of=document.account.on_behalf_of,
            capacity="staff",
            detail=f"{document.reference_number} file {document_file.position}",
        )
        try:
            handle = document_file.file.open("rb")
        except FileNotFoundError:
            raise Http404 from None
        return FileResponse(
            handle,
            as_attachment=True,
            filename=document_file.original_name,
            content_type=document_file.content_type,
        )

    def staff_read_target(self, obj):
        return obj.account.number, obj.account.on_behalf_of
