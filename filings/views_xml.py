"""Pages of filing a fuel tax return by XML upload (filings.xml): the same service as the web form
(filings.views) behind a second front door, and the format's public help page with its XSD and sample.

Upload (POST, multipart) -> the whole file is read and checked (filings.xml.validator.xml_return_check: the
schema, then the web form's own service checks) -> with "Validate only", the page lists the errors or says
the file would be accepted, and nothing is kept -> with "Upload for review", the lines found are kept in the
session (not the file: the lines are all that is filed) and the review page shows the computed return ->
the filer certifies -> services.return_submit, exactly as the web form -> the confirmation page. Nothing
is written to the database before the whole file has been read and found valid.

The review runs the last two steps of the web form's ReturnSteps (filings.views), and shares its answers to a
period already filed or no longer open.
"""

from __future__ import annotations

import functools
import secrets
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods

from consent.access import AccountRequest, account_view
from consent.privileges import Privilege
from filings import selectors, services
from filings.forms import CertificationForm
from filings.models import FuelTaxReturn
from filings.periods import Period
from filings.tax import LineCategory, LineInput, categories_for, fuels
from filings.views import (
    ReturnSteps,
    _already_filed,
    _fuel_tax_returns,
    _no_returns,
    _original,
    _unavailable,
)
from filings.views_steps import Certified
from filings.xml import parser as xml_parser
from filings.xml import schema as xml_schema_files
from filings.xml.formats import FUEL_TAX_RETURN_XML, UploadFormat, upload_format_of
from filings.xml.forms import (
    FILE_TOO_LARGE,
    MODE_FIELD,
    UPLOAD_FOR_REVIEW,
    VALIDATE_ONLY,
    XmlUploadForm,
    megabytes,
)

XML_UPLOAD_SESSION_KEY = "filings.xml_upload.%s"  # one pending upload per account in a session
XML_UPLOAD_LIFETIME = timedelta(hours=1)
MULTIPART_ALLOWANCE = 64 * 1024  # the form's other fields and the part headers, around the file itself
NO_PENDING_UPLOAD = _("No uploaded return is waiting for review: upload the file again.")
UPLOAD_EXPIRED = _(
    "The uploaded return was not submitted within an hour, so it was discarded: upload the file again."
)
UPLOAD_REPLACED = _(
    "Another file was uploaded for this account since this page was shown. Check the return below before you submit it."
)


def _xml_upload_limit(upload: UploadFormat | None = None) -> int:
    if upload is not None and upload.max_bytes is not None:
        return min(upload.max_bytes, settings.TRACS_XML_UPLOAD_MAX_BYTES)
    return settings.TRACS_XML_UPLOAD_MAX_BYTES


def _takes_uploads(view):
    """The upload pages of an account whose return's definition names an upload format (its `upload_format`),
    given that format; an account whose returns are filed by web form only is sent to File a Return, one that
    files no returns is told so. Below account_view, which puts request.account in place."""

    @functools.wraps(view)
    def wrapped(request: AccountRequest, *args, **kwargs) -> HttpResponse:
        definition = selectors.return_definition(request.account)
        upload = upload_format_of(definition)
        if upload is None:
            if definition is not None:
                return redirect("returns_owed", number=request.account.number)
            return _no_returns(request)
        return view(request, upload, *args, **kwargs)

    return wrapped


def _xml_help_context() -> dict:
    labels = dict(fuels())
    return {
        "namespace": xml_schema_files.NAMESPACE,
        "xsd_name": xml_schema_files.XSD_NAME,
        "sample_name": xml_schema_files.SAMPLE_NAME,
        "fuel_rows": [
            (fuel, labels[fuel], [(category.value, category.label) for category in categories_for(fuel)])
            for fuel in labels
        ],
        "categories": list(LineCategory.choices),
        "limit": megabytes(_xml_upload_limit()),
        "max_errors": xml_parser.MAX_ERRORS_LISTED,
    }


@require_GET
def xml_help(request: HttpRequest) -> HttpResponse:
    """The XML format of a fuel tax return, element by element, with the XSD and a sample to download.
    Public: software vendors need it without a TRACS account."""
    return render(request, "filings/xml_help.html", _xml_help_context())


def _download(path: Path, filename: str) -> FileResponse:
    response = FileResponse(
        path.open("rb"), as_attachment=True, filename=filename, content_type="application/xml"
    )
    response["Cache-Control"] = "public, max-age=3600"
    return response


@require_GET
def xml_schema_download(request: HttpRequest) -> FileResponse:
    return _download(xml_schema_files.XSD_PATH, xml_schema_files.XSD_NAME)


@require_GET
def xml_sample_download(request: HttpRequest) -> FileResponse:
    return _download(xml_schema_files.SAMPLE_PATH, xml_schema_files.SAMPLE_NAME)


@account_view(Privilege.FILE_RETURNS)
@_takes_uploads
@require_GET
def return_xml_sample(request: AccountRequest, upload: UploadFormat) -> HttpResponse:
    """The format's published sample made out for this account and the next period it files: it uploads as
    it is."""
    period = selectors.period_to_file_next(account=request.account, today=timezone.localdate())
    if period is None:
        return redirect("returns_owed", number=request.account.number)
    content = upload.sample(account_number=request.account.number, period=period)
    response = HttpResponse(content, content_type="application/xml")
    name = upload.sample_name(account_number=request.account.number, period=period)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response


def _render_xml_upload(
    request: AccountRequest, form: XmlUploadForm, upload: UploadFormat, *, status: int = 200, **context
) -> HttpResponse:
    sample_period = selectors.period_to_file_next(account=request.account, today=timezone.localdate())
    return render(
        request,
        "filings/xml_upload.html",
        {
            "form": form,
            "format": upload,
            "validate_only": VALIDATE_ONLY,
            "upload": UPLOAD_FOR_REVIEW,
            "sample_period": sample_period,
            "sample_period_ended": sample_period is not None
            and sample_period.has_ended(today=timezone.localdate()),
            **context,
        },
        status=status,
    )


def _content_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


@account_view(Privilege.FILE_RETURNS)
@_takes_uploads
@csrf_exempt  # only so the size is checked before the body is read: _xml_upload_post checks the CSRF token
@require_http_methods(["GET", "POST"])
def return_xml_upload(request: AccountRequest, upload: UploadFormat) -> HttpResponse:
    """Upload a return in the format the account's return definition names (filings/xml/formats.py)."""
    limit = _xml_upload_limit(upload)
    if request.method == "GET":
        return _render_xml_upload(request, XmlUploadForm(limit=limit), upload)
    # CsrfViewMiddleware would read the whole body (and write a 1 GB file to disk) to find the token; a body
    # larger than the limit is refused from its Content-Length, unread.
    size = _content_length(request)
    if size > limit + MULTIPART_ALLOWANCE:
        form = XmlUploadForm(limit=limit)
        form.errors["file"] = form.error_class(
            [str(FILE_TOO_LARGE % {"size": megabytes(size), "limit": megabytes(limit)})]
        )
        return _render_xml_upload(request, form, upload, status=413)
    return _xml_upload_post(request, upload, limit)


@csrf_protect
def _xml_upload_post(request: AccountRequest, upload: UploadFormat, limit: int) -> HttpResponse:
    form = XmlUploadForm(request.POST, request.FILES, limit=limit)
    mode = VALIDATE_ONLY if request.POST.get(MODE_FIELD) == VALIDATE_ONLY else UPLOAD_FOR_REVIEW
    if not form.is_valid():
        too_large = form.has_error("file", "too_large")
        return _render_xml_upload(request, form, upload, status=413 if too_large else 400, mode=mode)
    file = form.cleaned_data["file"]
    check = upload.check(account=request.account, source=file)
    context = {"check": check, "mode": mode, "filename": file.name, "size": megabytes(file.size)}
    if not check.ok:
        return _render_xml_upload(request, XmlUploadForm(limit=limit), upload, status=400, **context)
    if mode == VALIDATE_ONLY:
        return _render_xml_upload(request, XmlUploadForm(limit=limit), upload, **context)
    request.session[XML_UPLOAD_SESSION_KEY % request.account.number] = {
        "format": upload.code,
        "token": secrets.token_urlsafe(16),
        "period": check.period.key,
        **upload.pending(check),
        "filename": file.name,
        "size": file.size,
        "uploaded_at": timezone.now().isoformat(),
    }
    return redirect(upload.review_url, number=request.account.number)


def pending_xml_upload(request: AccountRequest, upload: UploadFormat) -> dict | None:
    """The upload in `upload`'s format waiting for review in this session, or None (with a message) when there
    is none."""
    key = XML_UPLOAD_SESSION_KEY % request.account.number
    pending = request.session.get(key)
    if pending is None or pending.get("format", upload.code) != upload.code:
        messages.info(request, NO_PENDING_UPLOAD)
        return None
    uploaded_at = datetime.fromisoformat(pending["uploaded_at"])
    if "submitted" not in pending and timezone.now() - uploaded_at > XML_UPLOAD_LIFETIME:
        del request.session[key]
        messages.info(request, UPLOAD_EXPIRED)
        return None
    return pending


@account_view(Privilege.FILE_RETURNS)
@_fuel_tax_returns
@require_http_methods(["GET", "POST"])
def return_xml_review(request: AccountRequest) -> HttpResponse:
    """What the uploaded file will file, computed by the service as for the web form; certify and submit."""
    pending = pending_xml_upload(request, FUEL_TAX_RETURN_XML)
    if pending is None:
        return redirect("return_xml_upload", number=request.account.number)
    period = Period.from_key(pending["period"])
    existing = _original(request, period)
    if (
        existing is not None
    ):  # filed meanwhile, or this very upload submitted twice (double click, back button)
        return _already_filed(request, existing)
    if "submitted" in pending:  # pragma: no cover - a filed return is never deleted
        del request.session[XML_UPLOAD_SESSION_KEY % request.account.number]
        return redirect("return_xml_upload", number=request.account.number)
    lines = [
        LineInput(fuel=fuel, category=category, litres=litres) for fuel, category, litres in pending["lines"]
    ]
    try:
        computation = services.return_preview(account=request.account, period=period, lines=lines)
    except ValidationError as error:  # the rates or the account changed since the upload
        del request.session[XML_UPLOAD_SESSION_KEY % request.account.number]
        return _unavailable(request, period, error.messages[0])
    steps = XmlReturnSteps(request, period, amend_of=None)
    steps.pending, steps.lines, steps.computation = pending, lines, computation
    return steps.certify()


class UploadedSteps:
    """The last two steps of any return uploaded as XML, whose figures are in the session (`pending`): refused
    when another file was uploaded since the review was shown; once filed, a marker left in the session so the
    page sent again lands on the filed return. Mixed into the program's own steps (ReturnSteps, ...)."""

    request: AccountRequest
    pending: dict
    review_url: str

    def before_certify(self) -> HttpResponse | None:
        if self.request.POST.get("upload") != self.pending["token"]:
            messages.warning(self.request, UPLOAD_REPLACED)
            return redirect(self.review_url, number=self.request.account.number)
        return None

    def mark_filed(self, confirmation_number: str) -> None:
        self.request.session[XML_UPLOAD_SESSION_KEY % self.request.account.number] = {
            "format": self.pending.get("format"),
            "token": self.pending["token"],
            "period": self.pending["period"],
            "submitted": confirmation_number,
            "uploaded_at": self.pending["uploaded_at"],
        }


class XmlReturnSteps(UploadedSteps, ReturnSteps):
    """The last two steps of a return uploaded as XML: its lines are in the session (`pending`), not a form."""

    lines: list[LineInput]
    review_url = FUEL_TAX_RETURN_XML.review_url

    def submit(self, certified: Certified) -> FuelTaxReturn:
        return services.return_submit(
            account=self.request.account,
            period_end=self.period.end,
            lines=self.lines,
            certified_name=certified.name,
            certified_capacity=certified.capacity,
            actor=self.request.actor,
        )

    def filed(self, filing: FuelTaxReturn) -> HttpResponse:
        # Kept as a marker, so this page sent again (double click, back button) lands on the filed return.
        self.mark_filed(filing.confirmation_number)
        return super().filed(filing)

    def render_review(self, certification: CertificationForm, *, status: int = 200) -> HttpResponse:
        return render(
            self.request,
            "filings/xml_review.html",
            {
                "period": self.period,
                "computation": self.computation,
                "pending": self.pending,
                "form": certification,
            },
            status=status,
        )
