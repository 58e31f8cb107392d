"""The Rejected Sales report of a marked-fuel seller (issue 15, item 5): every sale the ingestion rejected for the
account, whichever door it came through (web, file upload, SFTP), with its reason and its correction if any,
filtered by the month reported, the reason (the code of the row's first problem, the one shown as its reason) and
whether it is corrected yet; the page (filings.sales.views_rejected) and its Excel export read the same queryset.

Set-based: the rows are one query (rejected row, its ingestion and the sale that corrected it joined), the
filter's choices one grouped query each, so the page's query count does not grow with the rows. The export
streams the rows from the database in chunks into an openpyxl write-only workbook spooled to a temporary file:
memory stays bounded whatever the number of rows."""

from __future__ import annotations

import tempfile
from typing import IO, Any, cast

from django import forms
from django.db.models import DateField, QuerySet
from django.db.models.fields.json import KT
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from filings.periods import Period
from filings.sales.formats import COLUMNS, COMMON
from filings.sales.models import RecordType, RejectedRow
from programs.models import ProgramAccount
from programs.spreadsheet import EXCEL_ROWS, write_only_cell

# Short names of the row problems a sale can be rejected for (filings.sales.formats.ROW_MESSAGES holds the full
# message each row shows); a code not named here is shown as the code itself.
REASON_LABELS: dict[str, Any] = {
    "field_count": _("Wrong number of values"),
    "required": _("A value is missing"),
    "other_account": _("Row for another account"),
    "other_month": _("Row for another month"),
    "record_unknown": _("Unknown record kind"),
    "date_format": _("Sale date not readable"),
    "date_outside_month": _("Sale date outside the month"),
    "line_format": _("Line number not readable"),
    "too_long": _("Value too long"),
    "number_format": _("Exemption number not readable"),
    "unknown": _("Number not in the exemption registry"),
    "not_yet_valid": _("Number not valid yet on the sale date"),
    "lapsed": _("AFFB eligibility ended before the sale date"),
    "suspended": _("Number suspended on the sale date"),
    "cancelled": _("Number cancelled on the sale date"),
    "not_for_marked_fuel": _("Certificate does not allow marked fuel"),
    "fuel_unknown": _("Unknown fuel"),
    "litres_format": _("Litres not readable"),
    "litres_positive": _("Litres not more than zero"),
    "litres_negative": _("Negative litres"),
    "bflo_not_yours": _("Not one of this account's BFLOs"),
    "duplicate_in_file": _("Twice in the same file"),
    "already_reported": _("Sale already reported"),
    "sale_not_found": _("Amended or voided sale not found"),
    "sale_voided": _("Sale already voided"),
    "correction_invalid": _("No rejected sale to correct"),
}

ALL, TO_CORRECT, CORRECTED = "", "to-correct", "corrected"
STATUS_CHOICES = [(ALL, _("All")), (TO_CORRECT, _("To correct")), (CORRECTED, _("Corrected"))]
BAD_MONTH = _("Choose a month from the list: no rejected sale of this account was reported in that month.")
BAD_REASON = _("Choose a reason from the list: no rejected sale of this account has that reason.")
BAD_STATUS = _("Choose all, to correct or corrected.")

# A sale's columns as every sales export heads them (this report's, the Sales Summary's: assessments.cycles.exports).
SALE_HEADER = (_("Sale date"), _("Invoice"), _("Line"), _("AFFB or TEFU number"), _("Fuel"), _("Litres"))
EXCEL_HEADER = (
    _("Month reported"),
    _("Received"),
    _("Row"),
    *SALE_HEADER,
    _("BFLO"),
    _("Reason"),
    _("Why it was rejected"),
    _("Corrected by"),
    _("Corrected on"),
)


# A sale's own columns, as the file format names them (the account, month and record kind left out).
SALE_COLUMNS = tuple(column for column in COLUMNS[RecordType.SALES] if column not in (*COMMON, "record"))


def reason_label(code: str) -> str:
    return str(REASON_LABELS.get(code, code))


def _stored(account: ProgramAccount) -> QuerySet[Any]:
    """The account's rejected sales as stored (validate-only answers left out), each with the month it was reported
    for (a web row's month; a file without one, the month it was received) and its reason's code. Typed Any: the
    annotations are filtered on, which django-stubs does not follow through a function's return."""
    return RejectedRow.objects.filter(
        ingestion__account=account, ingestion__record_type=RecordType.SALES, ingestion__validate_only=False
    ).annotate(
        reported=Coalesce("ingestion__month", TruncMonth("ingestion__received_at", output_field=DateField())),
        reason_code=KT("errors__0__code"),
    )


class RejectedFilterForm(forms.Form):
    """The report's filters, sent by GET (no JavaScript needed); the choices are what the account's rejected sales
    hold, so a filter never offers an empty list."""

    month = forms.ChoiceField(
        label=_("Month reported"), required=False, error_messages={"invalid_choice": BAD_MONTH}
    )
    reason = forms.ChoiceField(
        label=_("Reason"), required=False, error_messages={"invalid_choice": BAD_REASON}
    )
    status = forms.ChoiceField(
        label=_("Show"), required=False, choices=STATUS_CHOICES, error_messages={"invalid_choice": BAD_STATUS}
    )

    def __init__(self, data, *, account: ProgramAccount) -> None:
        super().__init__(data)
        stored = _stored(account).order_by()
        months = stored.values_list("reported", flat=True).distinct().order_by("-reported")
        codes = stored.values_list("reason_code", flat=True).distinct()
        # ChoiceFields (declared above): django-stubs types self.fields as plain Fields.
        all_months: list[tuple[str, Any]] = [("", _("All months"))]
        cast(forms.ChoiceField, self.fields["month"]).choices = all_months + [
            (Period.of(month).key, Period.of(month).label) for month in months
        ]
        all_reasons: list[tuple[str, Any]] = [("", _("All reasons"))]
        cast(forms.ChoiceField, self.fields["reason"]).choices = all_reasons + sorted(
            ((code, reason_label(code)) for code in codes if code), key=lambda choice: choice[1]
        )
        self.account = account

    def rows(self) -> QuerySet[RejectedRow]:
        """The rejected sales the valid filters select, the latest received first."""
        rows = _stored(self.account)
        month, reason, status = (self.cleaned_data.get(name) for name in ("month", "reason", "status"))
        if month:
            rows = rows.filter(reported=Period.from_key(month).start)
        if reason:
            rows = rows.filter(reason_code=reason)
        if status == TO_CORRECT:
            rows = rows.filter(corrected_by__isnull=True)
        elif status == CORRECTED:
            rows = rows.filter(corrected_by__isnull=False)
        return rows.select_related("ingestion", "corrected_by").order_by("-ingestion__received_at", "-pk")


def waiting(*, account: ProgramAccount) -> int:
    """How many of the account's rejected sales are still to correct."""
    return _stored(account).filter(corrected_by__isnull=True).count()


def excel_file_name(*, account: ProgramAccount, month: str) -> str:
    return f"rejected-sales-{account.number}{'-' + month if month else ''}.xlsx"


def excel(*, account: ProgramAccount, rows: QuerySet[RejectedRow], title: str) -> IO[bytes]:
    """The rows as an Excel workbook (write-only, in a spooled temporary file, rewound): a title line, the header,
    one line per rejected sale; past Excel's row limit the rows go on in a new sheet with the header again."""
    from openpyxl import Workbook  # loaded by the exports only
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    sheet: Any = None
    used = EXCEL_ROWS

    def new_sheet() -> None:
        nonlocal sheet, used
        sheet = workbook.create_sheet(title=f"Rejected sales {len(workbook.worksheets) + 1}"[:31])
        for column, width in zip(
            "ABCDEFGHIJKLMN", (10, 17, 7, 11, 14, 6, 14, 15, 12, 12, 30, 60, 30, 11), strict=True
        ):
            sheet.column_dimensions[column].width = width
        sheet.append([write_only_cell(sheet, title, font=bold)])
        sheet.append([write_only_cell(sheet, str(name), font=bold) for name in EXCEL_HEADER])
        used = 2

    for row in rows.iterator(chunk_size=2000):
        if used >= EXCEL_ROWS:
            new_sheet()
        values = row.values
        sale = row.corrected_by
        corrected = (
            f"Invoice {sale.invoice_number} line {sale.line}, {sale.exemption_number}, {sale.sale_date:%Y-%m-%d}"
            if sale
            else ""
        )
        sheet.append(
            [
                write_only_cell(sheet, Period.of(row.reported).key),  # type: ignore[attr-defined]
                write_only_cell(
                    sheet,
                    timezone.localtime(row.ingestion.received_at).replace(tzinfo=None),
                    "yyyy-mm-dd hh:mm",
                ),
                write_only_cell(sheet, row.row_number),
                # As sent: a rejected row's values may not be a date or a number at all.
                *(write_only_cell(sheet, str(values.get(column) or "")) for column in SALE_COLUMNS),
                write_only_cell(sheet, reason_label(row.reason_code or "")),  # type: ignore[attr-defined]
                write_only_cell(sheet, row.reason),
                write_only_cell(sheet, corrected),
                write_only_cell(sheet, sale.created_at.date() if sale else None, "yyyy-mm-dd"),
            ]
        )
        used += 1
    if sheet is None:
        new_sheet()
    output = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    workbook.save(output)
    output.seek(0)
    return output
