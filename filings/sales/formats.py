"""The marked-fuel file formats as data (docs/marked-fuel-files.md): one column set per record type, the limits a
file is refused past, and every message a seller reads about a file or a row, in plain language.

Row messages are templates with `{value}` (what the row said, or the row number it repeats) and are rendered in
SQL (ingestion_sql.py), so a file with a million rejected rows costs one statement, not a million formats."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from filings.sales.models import RecordType


class FileRefused(Exception):
    """A whole-file problem: `message` is what the seller reads; nothing of the file is stored."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# Every record type starts with the account and the month: a file is for one account and one month.
COMMON = ("account_number", "month")
COLUMNS: dict[str, tuple[str, ...]] = {
    RecordType.SALES: (
        *COMMON,
        "record",
        "sale_date",
        "invoice_number",
        "line",
        "exemption_number",
        "fuel",
        "litres",
        "bflo_number",
    ),
    RecordType.MOVEMENTS: (
        *COMMON,
        "record",
        "movement",
        "movement_date",
        "bflo_number",
        "fuel",
        "litres",
        "counterparty_name",
        "counterparty_number",
        "jurisdiction",
        "document_number",
    ),
    RecordType.INVENTORY: (*COMMON, "count", "bflo_number", "fuel", "litres"),
}
# A header row names its record type.
RECORD_TYPE_BY_HEADER = {columns: record_type for record_type, columns in COLUMNS.items()}

MAX_FILE_BYTES = 256 * 1024 * 1024  # a million-row sales month is about 90 MB
MAX_ROWS = 2_000_000
MAX_TEXT = {
    "invoice_number": 30,
    "document_number": 30,
    "counterparty_name": 200,
    "counterparty_number": 30,
    "jurisdiction": 30,
}

# File-level refusals: nothing in the file is read further or stored.
FILE_EMPTY = _("The file is empty.")
FILE_NO_ROWS = _("The file has a header row but no records after it.")
FILE_FORMAT = _(
    "“%(name)s” is neither a CSV file (.csv) nor an XML file (.xml). Send the records as one of the formats "
    "in the marked-fuel file guide."
)
FILE_TOO_BIG = _(
    "The file is larger than %(max)s MB: nothing was read. Split the month into several files of at most "
    "%(max)s MB."
)
FILE_TOO_MANY_ROWS = _(
    "The file has more than %(max)s records: nothing was read. Split the month into several files."
)
FILE_NOT_UTF8 = _(
    "Line %(line)s: the file is not UTF-8 text. Save it as “CSV UTF-8” (or XML in UTF-8) and send it again."
)
FILE_HEADER = _(
    "Line 1 must be the header row of one record type, exactly: %(headers)s. This file's first line is: "
    "%(found)s"
)
FILE_ALREADY_RECEIVED = _(
    "This file was already received on %(day)s (%(name)s, ingestion %(id)s): nothing was added. To correct "
    "a sale, send amendment or void records."
)
FILE_OTHER_ACCOUNT = _(
    "The file is for account %(found)s, not %(account)s: nothing was read. Send it to that account's portal "
    "or inbox."
)
FILE_MONTH = _("The file's month must be given as YYYY-MM (like 2026-10); this file says “%(found)s”.")
FILE_FAILED = _(
    "TRACS could not finish processing this file: nothing was stored. Send it again; if it fails again, "
    "contact TRA with the file name and the time."
)
FILE_TRUNCATED = _("Line %(line)s: the file ends inside a quoted value: it looks cut short. Send it again.")

# Row-level problems: (field, code) -> message; `{value}` is filled in by SQL.
ROW_MESSAGES: dict[str, object] = {
    "field_count": _("The row has {value} values; the header has %(expected)s."),
    "required": _("This value is required."),
    "other_account": _("The row is for account {value}, not this file's account."),
    "other_month": _("The row is for month {value}, not this file's month."),
    "record_unknown": _("“{value}” is not a record kind: use sale, amendment or void."),
    "movement_unknown": _("“{value}” is not a movement: use acquisition, import, disposition or export."),
    "count_unknown": _("“{value}” is not an inventory count: use opening or closing."),
    "date_format": _("“{value}” is not a date: enter it as YYYY-MM-DD, like 2026-10-31."),
    "date_outside_month": _("{value} is not in the month of this file."),
    "line_format": _("“{value}” is not a line number: enter a whole number from 1."),
    "too_long": _("The value is too long (“{value}”)."),
    "number_format": _(
        "“{value}” is not an exemption number: an AFFB number is F and 7 digits (F1234567), a TEFU certificate "
        "T and 7 digits (T1234567)."
    ),
    "unknown": _("{value} is not in the exemption registry. Check the number on the certificate."),
    "not_yet_valid": _("{value} was not valid yet on the sale date."),
    "lapsed": _("The AFFB eligibility of {value} had ended on the sale date (it was not renewed)."),
    "suspended": _("{value} was suspended on the sale date."),
    "cancelled": _("{value} was cancelled on the sale date."),
    "not_for_marked_fuel": _(
        "{value} is a carbon levy exemption certificate: it does not allow buying marked fuel (a TEFU "
        "certificate or an AFFB number does)."
    ),
    "fuel_unknown": _("“{value}” is not a fuel: use marked_gasoline or marked_diesel."),
    "litres_format": _("“{value}” is not a number of litres: use digits with up to 3 decimals, like 1250.5."),
    "litres_positive": _("Litres must be more than zero (this row says {value})."),
    "litres_negative": _("Litres cannot be negative (this row says {value})."),
    "bflo_not_yours": _("{value} is not one of this account's bulk fuel locations (BFLOs)."),
    "jurisdiction_required": _(
        "An import or export names the province, state or country it comes from or goes to."
    ),
    "jurisdiction_not_allowed": _(
        "Leave the jurisdiction empty for an acquisition or disposition inside Alberta."
    ),
    "duplicate_in_file": _("The same record is on row {value} of this file."),
    "already_reported": _(
        "This sale (invoice and line) is already reported: send an amendment or void to change it."
    ),
    "movement_already_reported": _(
        "This document, location and fuel are already reported: send an amendment or void to change it."
    ),
    "movement_record_unknown": _("“{value}” is not a record kind: use movement, amendment or void."),
    "movement_not_found": _(
        "No reported movement has this kind, document number, BFLO and fuel: an amendment or void names a "
        "movement reported before."
    ),
    "movement_voided": _("This movement is voided: it cannot be changed any more."),
    "count_already_reported": _("This count is already reported for this location, fuel and month."),
    "sale_not_found": _(
        "No reported sale has this invoice number and line: an amendment or void names a sale reported before."
    ),
    "sale_voided": _("This sale is voided: it cannot be changed any more."),
    "correction_invalid": _(
        "This row corrects no rejected sale of this account that is still to correct (rejected row {value})."
    ),
}


def row_messages(*, record_type: str) -> dict[str, str]:
    """The row messages as plain strings in the active language, for SQL to render."""
    expected = len(COLUMNS[record_type])
    return {
        code: str(message).replace("%(expected)s", str(expected)) for code, message in ROW_MESSAGES.items()
    }


FILE_CSV = _("Line %(line)s: the file cannot be read as CSV (%(detail)s). Check the quotes on that line.")
MAX_WEB_ROWS = 500  # a web submission is typed by hand
