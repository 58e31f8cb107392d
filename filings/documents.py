"""The confirmation of a return or a claim as a PDF (WeasyPrint), made once by a Celery job and kept.

A filer prints the confirmation page or downloads this PDF; both show the same facts (confirmation number,
receipt date and time, account, certification, lines and totals). Making a PDF takes a few hundred
milliseconds of CPU, so it is done by filings.tasks.confirmation_pdf_render (queued when a claim is filed,
or the first time a return's PDF is asked for), never in the request (ARCHITECTURE.md, "Avoid").
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.utils import timezone

from filings.definitions import definition_of
from filings.models import (
    Claim,
    ClaimLine,
    ConfirmationDocument,
    FuelTaxReturn,
    MarkedFuelReport,
    MarkedFuelReportLine,
    ReturnLine,
)
from tracs.pdf import pdf_from_html

RETURN = "return"
CLAIM = "claim"
MARKED_FUEL_REPORT = "marked_fuel_report"
# Each kind's foreign key on ConfirmationDocument.
TARGETS = {RETURN: "tax_return", CLAIM: "claim", MARKED_FUEL_REPORT: "marked_fuel_report"}
Confirmed = FuelTaxReturn | Claim | MarkedFuelReport


def _filing(*, kind: str, pk: int) -> Confirmed:
    if kind == RETURN:
        return (
            FuelTaxReturn.objects.select_related("account__taxpayer", "account__program", "amends")
            .prefetch_related(Prefetch("lines", queryset=ReturnLine.objects.order_by("id")))
            .get(pk=pk)
        )
    if kind == CLAIM:
        return (
            Claim.objects.select_related("account__taxpayer", "account__program")
            .prefetch_related(Prefetch("lines", queryset=ClaimLine.objects.order_by("id")))
            .get(pk=pk)
        )
    if kind == MARKED_FUEL_REPORT:
        return (
            MarkedFuelReport.objects.select_related("account__taxpayer", "account__program", "amends")
            .prefetch_related(
                Prefetch(
                    "lines",
                    queryset=MarkedFuelReportLine.objects.select_related("location").order_by(
                        "location__number", "fuel"
                    ),
                )
            )
            .get(pk=pk)
        )
    raise ValueError(f"not a kind of filing: {kind!r}")


def confirmation_pdf_render(*, filing: Confirmed) -> bytes:
    html = render_to_string(
        definition_of(filing).pdf_template,
        {
            "filing": filing,
            "is_return": isinstance(filing, FuelTaxReturn),
            "lines": list(filing.lines.all()),
            "printed_at": timezone.localtime(),
        },
    )
    return pdf_from_html(html=html)


def confirmation_document_for(*, kind: str, pk: int) -> ConfirmationDocument | None:
    return ConfirmationDocument.objects.filter(**{f"{TARGETS[kind]}_id": pk}).first()


def confirmation_pdf_store(*, kind: str, pk: int) -> ConfirmationDocument:
    """Make and keep the confirmation PDF of a return or claim. Safe to run twice: the second run finds the
    first's PDF (one per filing, a unique constraint)."""
    existing = confirmation_document_for(kind=kind, pk=pk)
    if existing is not None:
        return existing
    filing = _filing(kind=kind, pk=pk)
    pdf = confirmation_pdf_render(filing=filing)
    target = {TARGETS[kind]: filing}
    try:
        with transaction.atomic():
            return ConfirmationDocument.objects.create(pdf=pdf, **target)
    except IntegrityError:  # another run stored it meanwhile
        document = confirmation_document_for(kind=kind, pk=pk)
        if document is None:  # pragma: no cover - the constraint that failed was another one
            raise
        return document
