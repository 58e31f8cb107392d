"""The Sales Summary's "Generate Excel" (issue 15, item 3; seed 002): a workbook of one seller's claim period, asked
for on the page, built by a Celery job (assessments.cycles.tasks) and offered for download once ready.

- `sales_summary_export_request`: the row (queued) and its job, once: while one is queued or being built for the
  account and period, asking again returns that one and starts nothing (a partial unique constraint guards it
  when two asks meet).
- `sales_summary_export_build`: the job's work, in bounded memory whatever the number of sales: the rows come from
  a server-side cursor (fetched a chunk at a time, the statement is the cycle's own rule:
  assessments.cycles.sql.SALES), into an openpyxl write-only workbook (each row written to a temporary file as it
  comes), one line per sale, past Excel's 1,048,576 rows on a new sheet with the header again; a summary sheet
  first with the period's figures by fuel and rate, as the page shows them. Safe to run twice: only a queued
  export is built (or one whose build a dead worker left running past the job's time limit).
- `sales_summary_exports_expire`: the daily sweep deletes exports (and their files) older than
  TRACS_SALES_SUMMARY_EXPORT_DAYS.
"""

from __future__ import annotations

import logging
import tempfile
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.actors import Actor
from accounts.models import AccessLogEntry
from accounts.services import access_log_record
from assessments.cycles import selectors, sql
from assessments.cycles.models import SalesSummaryExport
from assessments.cycles.services import period_bounds
from filings.definitions import marked_fuel_refund
from filings.periods import Period, PeriodKind
from filings.sales import rejected_report
from filings.sales.models import Fuel
from programs.models import ProgramAccount
from programs.spreadsheet import EXCEL_ROWS, cell_text

logger = logging.getLogger(__name__)

Status = SalesSummaryExport.Status
CHUNK_ROWS = 5_000  # rows fetched from the server-side cursor at a time
STORAGE_DIR = "exports/sales-summary"
# A build a worker died in is taken again after the job's hard time limit (tracs/settings.py, long tasks).
STALE_BUILD = timedelta(minutes=15)
LITRES = "#,##0.000"
DOLLARS = "#,##0.00"
RATE = "0.0000"

DEAD = "not finished in time: its job never ran or its worker stopped"
ALREADY_BUILDING = _(
    "An Excel workbook of this claim period is already being built (asked for %(asked)s): no second one was "
    "started. It is offered here for download once it is ready."
)
SALE_HEADER = (
    *rejected_report.SALE_HEADER,
    _("Carbon levy rate ($/L)"),
    _("Rate in force from"),
    _("Carbon levy"),
    _("Counted as"),
)
SUMMARY_HEADER = (
    _("Fuel"),
    _("Carbon levy rate ($/L)"),
    _("Rate in force from"),
    _("Sales"),
    _("Litres"),
    _("Carbon levy"),
    _("Sales corrected (taken back)"),
    _("Taken back"),
)
COUNTED = _("Sale")
TAKEN_BACK = _("Taken back: corrected after an earlier period paid it")


def _period(export: SalesSummaryExport) -> Period:
    return Period(export.period_start, PeriodKind.BIWEEKLY)


@transaction.atomic
def sales_summary_export_request(
    *, account: ProgramAccount, period: Period, actor: Actor
) -> tuple[SalesSummaryExport, bool]:
    """Ask for the period's Excel: (the export, True) when this asked for a new one and queued its job; (the one
    already queued or being built, False) otherwise, with nothing started."""
    marked_fuel_refund.claim_period_check(period)
    building = SalesSummaryExport.objects.filter(
        account=account, period_start=period.start, status__in=SalesSummaryExport.BUILDING
    )
    existing = building.select_for_update().first()
    if existing is not None and not _dead(existing):
        return existing, False
    if (
        existing is not None
    ):  # its job never ran, or its worker died: it will not finish, and blocks no new ask
        existing.status, existing.error, existing.finished_at = Status.FAILED, DEAD, timezone.now()
        existing.save(update_fields=["status", "error", "finished_at"])
    try:
        with transaction.atomic():  # a savepoint: two asks at the same moment meet the partial unique guard
            export = SalesSummaryExport.objects.create(
                account=account,
                period_start=period.start,
                period_end=period.end,
                requested_by=actor.user if actor.user is not None and actor.user.is_authenticated else None,
                requested_at=timezone.now(),
            )
    except IntegrityError:
        return building.get(), False
    access_log_record(
        actor=actor,
        kind=AccessLogEntry.Kind.CHANGE,
        action="sales summary excel asked for",
        account_number=account.number,
        detail=f"claim period {period.key} ({period.label})",
    )
    transaction.on_commit(lambda: _schedule(export.pk))
    return export, True


def _dead(export: SalesSummaryExport) -> bool:
    return timezone.now() - (export.started_at or export.requested_at) > STALE_BUILD


def already_building_message(export: SalesSummaryExport) -> str:
    asked = timezone.localtime(export.requested_at).strftime("%Y-%m-%d %H:%M")
    return str(ALREADY_BUILDING % {"asked": asked})


def _schedule(export_id: int) -> None:
    from assessments.cycles import tasks

    try:
        tasks.sales_summary_export_build.delay(export_id)
    except (
        Exception
    ):  # a broker that is down must not fail the page: the export stays queued, the sweep ends it
        logger.warning("sales summary export %s: could not queue its job", export_id, exc_info=True)


def _claim(export_id: int) -> SalesSummaryExport | None:
    """Mark the export running, if it is this job's to build (queued, or left running by a dead worker)."""
    with transaction.atomic():
        export = (
            SalesSummaryExport.objects.select_for_update(of=("self",))
            .select_related("account__taxpayer")
            .get(pk=export_id)
        )
        if export.status != Status.QUEUED and not (export.status == Status.RUNNING and _dead(export)):
            return None
        export.status, export.started_at = Status.RUNNING, timezone.now()
        export.save(update_fields=["status", "started_at"])
        return export


def sales_summary_export_build(
    *, export_id: int, rows_per_sheet: int = EXCEL_ROWS, today: date | None = None
) -> str:
    """Build the export's workbook and store it; returns its status (one not this job's is left as it is)."""
    export = _claim(export_id)
    if export is None:
        return SalesSummaryExport.objects.values_list("status", flat=True).get(pk=export_id)
    try:
        with tempfile.TemporaryFile() as output:
            export.rows = workbook_write(
                export=export,
                output=output,
                rows_per_sheet=rows_per_sheet,
                today=today or timezone.localdate(),
            )
            output.seek(0, 2)
            export.size = output.tell()
            output.seek(0)
            name = f"{STORAGE_DIR}/{export.account.number}/{export.pk}-{export.period_start.isoformat()}.xlsx"
            export.file.name = default_storage.save(name, File(output, name=file_name(export)))
    except Exception as error:
        logger.exception("sales summary export %s failed", export_id)
        export.status, export.error, export.finished_at = Status.FAILED, repr(error)[:2000], timezone.now()
        export.save(update_fields=["status", "error", "finished_at"])
        return export.status
    export.status, export.finished_at = Status.READY, timezone.now()
    export.save(update_fields=["status", "finished_at", "file", "size", "rows"])
    return export.status


def file_name(export: SalesSummaryExport) -> str:
    return f"sales-summary-{export.account.number}-{export.period_end.isoformat()}.xlsx"


def workbook_write(
    *, export: SalesSummaryExport, output: Any, rows_per_sheet: int = EXCEL_ROWS, today: date
) -> int:
    """Write the workbook into `output` (a binary file); returns how many sale lines it holds."""
    from openpyxl import Workbook  # loaded by the exports only
    from openpyxl.styles import Font

    account, period = export.account, _period(export)
    summary = selectors.sales_summary(account=account, period=period, today=today)
    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    _summary_sheet(workbook, summary, bold)
    written = _sale_sheets(workbook, account=account, period=period, rows_per_sheet=rows_per_sheet, bold=bold)
    workbook.save(output)
    return written


def _cell(sheet: Any, value: Any, number_format: str | None = None, font: Any = None) -> Any:
    from programs.spreadsheet import write_only_cell

    return write_only_cell(sheet, value, number_format, font)


def _summary_sheet(workbook: Any, summary: selectors.SalesSummary, bold: Any) -> None:
    sheet = workbook.create_sheet(title="Summary")
    for column, width in zip("ABCDEFGH", (18, 20, 16, 10, 16, 14, 16, 14), strict=True):
        sheet.column_dimensions[column].width = width
    account, period = summary.account, summary.period
    title = f"Sales Summary of account {account.number} ({account.taxpayer.legal_name})"
    sheet.append([_cell(sheet, title, font=bold)])
    sheet.append([_cell(sheet, "Claim period"), _cell(sheet, period.start), _cell(sheet, period.end)])
    sheet.append([_cell(sheet, "Claim Amount: Period End"), _cell(sheet, period.end)])
    sheet.append([_cell(sheet, "Status"), _cell(sheet, _status_text(summary))])
    sheet.append([])
    sheet.append([_cell(sheet, str(name), font=bold) for name in SUMMARY_HEADER])
    for line in summary.lines:
        sheet.append(
            [
                _cell(sheet, line.fuel_label),
                _cell(sheet, line.rate, RATE) if line.rate is not None else _cell(sheet, "nil"),
                _cell(sheet, line.rate_from),
                _cell(sheet, line.sales),
                _cell(sheet, line.litres, LITRES),
                _cell(sheet, line.levy, DOLLARS),
                _cell(sheet, line.corrections),
                _cell(sheet, line.taken_back, DOLLARS),
            ]
        )
    sheet.append(
        [
            _cell(sheet, "Total", font=bold),
            None,
            None,
            _cell(sheet, summary.sales, font=bold),
            _cell(sheet, summary.litres, LITRES, font=bold),
            _cell(sheet, summary.levy, DOLLARS, font=bold),
            _cell(sheet, summary.corrections, font=bold),
            _cell(sheet, summary.taken_back, DOLLARS, font=bold),
        ]
    )
    sheet.append(
        [_cell(sheet, "Refund"), None, None, None, None, _cell(sheet, summary.refund, DOLLARS, font=bold)]
    )
    sheet.append([])
    sheet.append(
        [
            _cell(
                sheet,
                "The carbon levy is rounded to the cent per fuel and rate, as the claim's lines are; the sales "
                "sheets round each sale's, so their sum may differ by a few cents.",
            )
        ]
    )


def _status_text(summary: selectors.SalesSummary) -> str:
    cycle_claim = summary.cycle_claim
    if cycle_claim is not None:
        claim = f" (claim {cycle_claim.claim.confirmation_number})" if cycle_claim.claim is not None else ""
        return f"{cycle_claim.get_status_display()}{claim}"
    if summary.run is not None:
        return "The cycle ran: no carbon levy to refund"
    return "Estimate so far: not yet claimed"


def _sale_sheets(
    workbook: Any, *, account: ProgramAccount, period: Period, rows_per_sheet: int, bold: Any
) -> int:
    """One line per sale, streamed from a server-side cursor a chunk at a time (the cursor lives in a
    transaction, so it needs no WITH HOLD copy of the result)."""
    sheet: Any = None
    used = rows_per_sheet
    written = 0
    labels = {value: str(label) for value, label in Fuel.choices}
    counted, taken_back = str(COUNTED), str(TAKEN_BACK)
    starts, ends = period_bounds(period)

    def new_sheet() -> Any:
        made = workbook.create_sheet(title=f"Sales {len(workbook.worksheets)}")
        for column, width in zip("ABCDEFGHIJ", (11, 16, 6, 14, 16, 14, 12, 12, 12, 20), strict=True):
            made.column_dimensions[column].width = width
        made.append([_cell(made, str(name), font=bold) for name in SALE_HEADER])
        return made

    with transaction.atomic(), connection.chunked_cursor() as cursor:
        cursor.execute(sql.SALES, {"account_id": account.pk, "starts": starts, "ends": ends})
        while chunk := cursor.fetchmany(CHUNK_ROWS):
            for sale_date, invoice, line, number, fuel, litres, is_counted, rate_from, rate, levy in chunk:
                if used >= rows_per_sheet:
                    sheet, used = new_sheet(), 1
                sign = 1 if is_counted else -1
                # Plain values (the fastest a write-only sheet takes): text guarded against formulas, numbers
                # and dates typed as they are; nil rates left empty.
                sheet.append(
                    (
                        sale_date,
                        cell_text(invoice),
                        line,
                        cell_text(number),
                        labels.get(fuel, fuel),
                        sign * litres,
                        rate,
                        rate_from,
                        sign * (levy if levy is not None else Decimal(0)),
                        counted if is_counted else taken_back,
                    )
                )
                used += 1
                written += 1
    if sheet is None:
        new_sheet()
    return written


def sales_summary_exports_expire(*, now: datetime | None = None) -> int:
    """Delete the exports asked for more than TRACS_SALES_SUMMARY_EXPORT_DAYS ago, their files first; returns how
    many (safe to run twice)."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.TRACS_SALES_SUMMARY_EXPORT_DAYS)
    deleted = 0
    for export in SalesSummaryExport.objects.filter(requested_at__lt=cutoff).order_by("pk").iterator():
        if export.file:
            default_storage.delete(export.file.name)
        export.delete()
        deleted += 1
    return deleted
