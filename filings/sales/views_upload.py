"""Marked-fuel files in the portal (issue 14, item 8): the account's files from every door (browser upload and SFTP,
each with its acknowledgement), the upload page, and each file's page, which shows rows read, accepted and rejected
while its Celery job runs (polling the status URL; without JavaScript it refreshes itself) and, once it has ended,
the acknowledgement listing every rejected row with its row number, field and reason, downloadable as CSV.

The file streams to disk as it arrives (Django's upload handlers: a temporary file past FILE_UPLOAD_MAX_MEMORY_SIZE),
then to the one ingestion service (filings.sales.ingestion.ingestion_receive), chunk by chunk; never whole in
memory. A file past the size limit is refused from its Content-Length before a byte is read (tracs.middleware).
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseBase, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from consent.access import AccountRequest, account_view
from consent.privileges import Privilege
from filings.sales import formats, selectors
from filings.sales.forms_upload import SalesFileForm
from filings.sales.ingestion import ingestion_receive
from filings.sales.models import Ingestion
from filings.sales.views_sellers import sellers_only

REJECTED_PER_PAGE = 200
# The page refreshes itself this often while the file is processed (without JavaScript; the script polls faster).
REFRESH_SECONDS = 3


@account_view(Privilege.REPORT_FUEL)
@sellers_only
@require_GET
def sales_files(request: AccountRequest) -> HttpResponse:
    """Every file of the account, newest first, whatever door it came through."""
    page = Paginator(selectors.ingestions_for_account(account=request.account), 50).get_page(
        request.GET.get("page")
    )
    return render(request, "filings/sales/files.html", {"page": page})


@account_view(Privilege.REPORT_FUEL)
@sellers_only
@require_http_methods(["GET", "POST"])
def sales_file_upload(request: AccountRequest) -> HttpResponse:
    form = SalesFileForm(request.POST, request.FILES) if request.method == "POST" else SalesFileForm()
    status = 200
    if request.method == "POST":
        if form.is_valid():
            upload = form.cleaned_data["file"]
            ingestion = ingestion_receive(
                account=request.account,
                door=Ingestion.Door.UPLOAD,
                file_name=upload.name,
                chunks=upload.chunks(),
                actor=request.actor,
                validate_only=form.cleaned_data["validate_only"],
            )
            return redirect("sales_file", number=request.account.number, ingestion_id=ingestion.pk)
        status = 400
    context = {"form": form, "limit_mb": formats.MAX_FILE_BYTES // (1024 * 1024)}
    return render(request, "filings/sales/upload.html", context, status=status)


def _ingestion(request: AccountRequest, ingestion_id: int) -> Ingestion:
    return get_object_or_404(
        Ingestion.objects.select_related("submitted_by"), pk=ingestion_id, account=request.account
    )


@account_view(Privilege.REPORT_FUEL)
@require_GET
def sales_file(request: AccountRequest, ingestion_id: int) -> HttpResponse:
    """The file's progress while it is processed, then its acknowledgement."""
    ingestion = _ingestion(request, ingestion_id)
    progress = selectors.ingestion_progress(ingestion=ingestion)
    context: dict[str, object] = {
        "ingestion": ingestion,
        "progress": progress,
        "status_url": reverse(
            "sales_file_status", kwargs={"number": request.account.number, "ingestion_id": ingestion.pk}
        ),
        "refresh_seconds": REFRESH_SECONDS,
    }
    if progress["finished"]:
        rejected = Paginator(selectors.acknowledgement_rows(ingestion=ingestion), REJECTED_PER_PAGE)
        context["rejected"] = rejected.get_page(request.GET.get("page"))
    response = render(request, "filings/sales/file.html", context)
    response["Cache-Control"] = "private, no-store"
    return response


@account_view(Privilege.REPORT_FUEL, log_reads=False)  # polled every second: the page's own read is logged
@require_GET
def sales_file_status(request: AccountRequest, ingestion_id: int) -> JsonResponse:
    ingestion = _ingestion(request, ingestion_id)
    progress = dict(selectors.ingestion_progress(ingestion=ingestion))
    response = JsonResponse(progress)
    response["Cache-Control"] = "private, no-store"
    return response


@account_view(Privilege.REPORT_FUEL)
@require_GET
def sales_file_acknowledgement(request: AccountRequest, ingestion_id: int) -> HttpResponseBase:
    ingestion = _ingestion(request, ingestion_id)
    if not ingestion.is_finished:
        return redirect("sales_file", number=request.account.number, ingestion_id=ingestion.pk)
    response = StreamingHttpResponse(
        selectors.acknowledgement_csv(ingestion=ingestion), content_type="text/csv"
    )
    name = selectors.acknowledgement_file_name(ingestion=ingestion)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response
