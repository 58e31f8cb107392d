"""Reads of the marked-fuel records: an ingestion's progress and acknowledgement, the rejected sales, a month's
sales and movements as they stand (their totals by location and fuel are filings.sales.inventory_sql's)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date
from typing import Any, TypeVar

from django.db.models import Exists, OuterRef, Q, QuerySet

from filings.sales.formats import COLUMNS
from filings.sales.models import Ingestion, Movement, RecordType, RejectedRow, Sale
from programs.models import ProgramAccount

R = TypeVar("R", Sale, Movement)


def ingestion_progress(*, ingestion: Ingestion) -> dict[str, Any]:
    """The job's own state as the upload page polls it (read again from the database)."""
    current = Ingestion.objects.get(pk=ingestion.pk)
    expected = current.rows_expected
    percent = 100 if current.is_finished else min(99, current.rows_read * 100 // max(expected, 1))
    return {
        "status": current.status,
        "status_label": str(current.get_status_display()),
        "rows_expected": expected,
        "rows_read": current.rows_read,
        "rows_accepted": current.rows_accepted,
        "rows_rejected": current.rows_rejected,
        "percent": percent,
        "finished": current.is_finished,
        "refusal": current.refusal,
    }


def acknowledgement_rows(*, ingestion: Ingestion) -> QuerySet[RejectedRow]:
    return RejectedRow.objects.filter(ingestion=ingestion).order_by("row_number")


def _line(values: list[Any]) -> str:
    out = io.StringIO()
    csv.writer(out).writerow(values)
    return out.getvalue()


def acknowledgement_csv(*, ingestion: Ingestion) -> Iterator[str]:
    """The acknowledgement as CSV lines: the file's summary, a blank line, then every rejected row."""
    yield _line(["file", "status", "validate_only", "rows_read", "rows_accepted", "rows_rejected", "message"])
    yield _line(
        [
            ingestion.file_name or ingestion.get_door_display(),
            ingestion.status,
            "yes" if ingestion.validate_only else "no",
            ingestion.rows_read,
            ingestion.rows_accepted,
            ingestion.rows_rejected,
            ingestion.refusal,
        ]
    )
    yield "\r\n"
    yield _line(["row", "field", "reason", "values"])
    columns = COLUMNS.get(ingestion.record_type, ())
    for row in acknowledgement_rows(ingestion=ingestion).iterator(chunk_size=2000):
        reasons = "; ".join(f"{problem['field']}: {problem['reason']}" for problem in row.errors)
        values = ",".join(str(row.values.get(column, "")) for column in columns)
        yield _line([row.row_number, row.field, reasons or row.reason, values])


def acknowledgement_file_name(*, ingestion: Ingestion) -> str:
    base = ingestion.file_name or f"{ingestion.record_type}-{ingestion.month:%Y-%m}"
    return f"{base}.ack.csv"


def ingestions_for_account(*, account: ProgramAccount) -> QuerySet[Ingestion]:
    return (
        Ingestion.objects.filter(account=account)
        .select_related("submitted_by")
        .order_by("-received_at", "-id")
    )


def rejected_sales(*, account: ProgramAccount) -> QuerySet[RejectedRow]:
    """The account's rejected sales still to correct (validate-only runs left out), oldest first."""
    return (
        RejectedRow.objects.filter(
            ingestion__account=account,
            ingestion__record_type=RecordType.SALES,
            ingestion__validate_only=False,
            corrected_by__isnull=True,
        )
        .select_related("ingestion")
        .order_by("ingestion__received_at", "row_number")
    )


def _standing(
    model: type[R], *, account: ProgramAccount, month: date, key: tuple[str, ...], void: Q
) -> QuerySet[R]:
    """The month's records of `model` as they stand: of each record (named by the columns of `key`), its latest
    revision, unless that is a void."""
    later = model._default_manager.filter(
        account=account, revision__gt=OuterRef("revision"), **{column: OuterRef(column) for column in key}
    )
    return (
        model._default_manager.filter(account=account, month=month.replace(day=1))
        .exclude(void)
        .filter(~Exists(later))
        .select_related("bflo")
    )


def sales_for_month(*, account: ProgramAccount, month: date) -> QuerySet[Sale]:
    """The month's sales as they stand: the latest revision of each sale, voided ones left out."""
    return _standing(
        Sale, account=account, month=month, key=("invoice_number", "line"), void=Q(kind=Sale.Kind.VOID)
    )


def movements_for_month(*, account: ProgramAccount, month: date) -> QuerySet[Movement]:
    """The month's fuel movements as they stand: the latest revision of each movement (its kind, document number,
    BFLO and fuel), voided ones left out."""
    return _standing(
        Movement,
        account=account,
        month=month,
        key=("kind", "document_number", "bflo", "fuel"),
        void=Q(record=Movement.Record.VOID),
    )
