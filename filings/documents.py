"""The confirmation of a return or a claim as a PDF (WeasyPrint), made once by a Celery job and kept.

A filer prints the confirmation page or downloads this PDF; both show the same facts (confirmation number,
receipt date and time, account, certification, lines and totals). Making a PDF takes a few hundred
milliseconds of CPU, so it is done by filings.tasks.confirmation_pdf_render (queued when a claim is filed,
or the first time a return's PDF is asked for), never in the request (ARCHITECTURE.md, "Avoid").
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.utils import timezone

from filings.definitions import DEFINITIONS, definition_of
from filings.models import ConfirmationDocument
from filings.skeleton.definition import FilingDefinition
from filings.skeleton.models import Filing, PeriodFiling
from tracs.pdf import pdf_from_html

RETURN = "return"  # filings/definitions' `document_kind`s
CLAIM = "claim"
MARKED_FUEL_REPORT = "marked_fuel_report"


def _definition(kind: str) -> FilingDefinition[Any]:
    """The definition of the filings of a kind of PDF (the four claims share one model and one link)."""
    for definition in DEFINITIONS:
        if definition.document_kind == kind:
            return definition
    raise ValueError(f"not a kind of filing: {kind!r}")


def _filing(*, kind: str, pk: int) -> Filing:
    definition = _definition(kind)
    model: Any = definition.model
    lines: Any = definition.line_model
    related = ["account__taxpayer", "account__program"]
    if issubclass(model, PeriodFiling):  # a version of a period's filing names the one it amends
        related.append("amends")
    lines_read = lines.objects.select_related(*definition.line_related).order_by(*definition.line_order)
    return (
        model.objects.select_related(*related)
        .prefetch_related(Prefetch("lines", queryset=lines_read))
        .get(pk=pk)
    )


def confirmation_pdf_render(*, filing: Filing) -> bytes:
    html = render_to_string(
        definition_of(filing).pdf_template,
        {
            "filing": filing,
            "is_return": definition_of(filing).due_date is not None,
            "lines": list(filing.lines.all()),  # type: ignore[attr-defined]
            "printed_at": timezone.localtime(),
        },
    )
    return pdf_from_html(html=html)


def confirmation_document_for(*, kind: str, pk: int) -> ConfirmationDocument | None:
    return ConfirmationDocument.objects.filter(**{f"{_definition(kind).document_link}_id": pk}).first()


def confirmation_pdf_store(*, kind: str, pk: int) -> ConfirmationDocument:
    """Make and keep the confirmation PDF of a return or claim. Safe to run twice: the second run finds the
    first's PDF (one per filing, a unique constraint)."""
    existing = confirmation_document_for(kind=kind, pk=pk)
    if existing is not None:
        return existing
    filing = _filing(kind=kind, pk=pk)
    pdf = confirmation_pdf_render(filing=filing)
    target = {_definition(kind).document_link: filing}
    try:
        with transaction.atomic():
            return ConfirmationDocument.objects.create(pdf=pdf, **target)
    except IntegrityError:  # another run stored it meanwhile
        document = confirmation_document_for(kind=kind, pk=pk)
        if document is None:  # pragma: no cover - the constraint that failed was another one
            raise
        return document
