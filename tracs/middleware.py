"""Request bodies refused from their Content-Length, before anything reads them.

Django reads a body the first time something asks for `request.POST` (CsrfViewMiddleware does, for every POST),
and writes each uploaded file to a temporary file as it arrives: a 200 MB post to the sign-in page would be
received and stored before any form saw it. So every route has a body limit, checked against the Content-Length
header alone: the routes that take files their files' limit plus the multipart overhead, every other route a
small default (settings.TRACS_REQUEST_BODY_MAX_BYTES). The web server in front has its own limit, at least the largest of these (docs/deployment.md).

A body without a Content-Length (chunked) is never read by Django at all, so it needs no check here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

# The form's other fields and each part's headers, around the files themselves.
MULTIPART_ALLOWANCE = 64 * 1024

BODY_TOO_LARGE = _(
    "What you sent is %(size)s; this page accepts at most %(limit)s. Nothing was kept. Go back and try again."
)
FILE_TOO_LARGE = _(
    "What you sent is %(size)s; this page accepts one file of at most %(limit)s at a time. Nothing was kept. "
    "Go back and choose a smaller file."
)
FILES_TOO_LARGE = _(
    "What you sent is %(size)s; this page accepts files of at most %(limit)s each, %(count)s at a time. "
    "Nothing was kept. Go back and send fewer or smaller files."
)


def _document_max_bytes() -> int:
    return settings.TRACS_DOCUMENT_MAX_BYTES


def _payment_file_max_bytes() -> int:
    from assessments.payments import MAX_FILE_BYTES

    return MAX_FILE_BYTES


def _exemption_import_max_bytes() -> int:
    return settings.TRACS_EXEMPTION_IMPORT_MAX_BYTES


def _sales_file_max_bytes() -> int:
    from filings.sales.formats import MAX_FILE_BYTES

    return MAX_FILE_BYTES


def _documents_per_submission() -> int:
    from programs.services.documents import DOCUMENT_MAX_FILES

    return DOCUMENT_MAX_FILES


@dataclass(frozen=True)
class UploadLimit:
    """What one request to an upload route may carry: `files()` files of at most `file_max_bytes()` each."""

    file_max_bytes: Callable[[], int]
    files: Callable[[], int] = lambda: 1

    def body_max_bytes(self) -> int:
        return self.files() * self.file_max_bytes() + MULTIPART_ALLOWANCE

    def message(self, size: int) -> str:
        count = self.files()
        values = {
            "size": filesizeformat(size),
            "limit": filesizeformat(self.file_max_bytes()),
            "count": count,
        }
        return str((FILES_TOO_LARGE if count > 1 else FILE_TOO_LARGE) % values)


# Every route that takes files, by view name (the URL's name, with "admin:" for staff administration).
UPLOAD_LIMITS: dict[str, UploadLimit] = {
    # Submit Documents: several files at once, up to the submission's count.
    "documents_submit_files": UploadLimit(_document_max_bytes, files=_documents_per_submission),
    # Supporting documents of an objection or a waiver request: one at a time.
    "objection_documents": UploadLimit(_document_max_bytes),
    "waiver_documents": UploadLimit(_document_max_bytes),
    # Staff: the signed consent form (AT4931) of a representative's consent, and the bank's payment file.
    "admin:consent_consent_add": UploadLimit(_document_max_bytes),
    "admin:consent_consent_change": UploadLimit(_document_max_bytes),
    "admin:assessments_payment_import": UploadLimit(_payment_file_max_bytes),
    # Staff: the exemption registry's import file (programs/registries/services.py).
    "admin:programs_exemptioncertificate_import": UploadLimit(_exemption_import_max_bytes),
    # A marked-fuel file of sales, movements or inventory (filings.sales.views_upload; filings.sales.formats).
    "sales_file_upload": UploadLimit(_sales_file_max_bytes),
}

# Routes that refuse an oversized body themselves, from its Content-Length and before reading it, so that the
# error shows next to their file field: the XML return upload (filings.views_xml.return_xml_upload, which takes
# TRACS_XML_UPLOAD_MAX_BYTES plus the same allowance).
SIZE_CHECKED_BY_VIEW = frozenset({"return_xml_upload"})


def content_length(request) -> int:
    try:
        return max(0, int(request.META.get("CONTENT_LENGTH") or 0))
    except ValueError:
        return 0  # Django reads no body at all for a Content-Length it cannot parse


class RequestBodyLimitMiddleware:
    """Refuses, with a 413 page in the portal's layout, a request whose declared body is larger than its route
    accepts. It runs as a view hook (the route is known there) and sits before CsrfViewMiddleware, the first
    to read the body."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        size = content_length(request)
        view_name = request.resolver_match.view_name
        if view_name in SIZE_CHECKED_BY_VIEW:
            return None
        upload = UPLOAD_LIMITS.get(view_name)
        limit = upload.body_max_bytes() if upload else settings.TRACS_REQUEST_BODY_MAX_BYTES
        if size <= limit:
            return None
        if upload:
            message = upload.message(size)
        else:
            message = str(BODY_TOO_LARGE % {"size": filesizeformat(size), "limit": filesizeformat(limit)})
        return render(request, "errors/413.html", {"message": message}, status=413)
