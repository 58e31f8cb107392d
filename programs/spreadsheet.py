"""Text cells of every file people open in a spreadsheet (the transactions' CSV and Excel exports, the refund
payment files): the one guard against formula injection ("CSV injection", OWASP).

Descriptions, names and addresses come from filers and staff. A spreadsheet reads a cell starting with `=`,
`+`, `-` or `@` as a formula, and a leading tab or carriage return can hide such a start (OWASP's list of
triggers); a formula can fetch a web address or run a command when the file is opened. `cell_text` puts an
apostrophe before such text, which the spreadsheet shows as text. The Excel export writes the same text as the
CSV, so both exports say the same and an .xlsx saved again as CSV stays guarded; its cell is also typed text
(openpyxl would otherwise write a string starting with `=` as a formula).

Only text is guarded. Amounts and dates are ours and go into number and date cells, so a credit of -5.00
stays a number a spreadsheet can add.
"""

from __future__ import annotations

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
EXCEL_ROWS = 1_048_576  # Excel's rows per sheet: an export's rows past them go on to a new sheet


def cell_text(value: str) -> str:
    """The text as a spreadsheet cell shows it and never runs it."""
    return f"'{value}" if value.startswith(FORMULA_TRIGGERS) else value


def write_only_cell(sheet, value, number_format: str | None = None, font=None):
    """A cell of an openpyxl write-only sheet: text guarded (`cell_text`) and typed as text whatever it starts
    with (openpyxl would otherwise write a string starting with "=" as a formula); numbers and dates as they are,
    in `number_format` if given."""
    from openpyxl.cell import WriteOnlyCell  # openpyxl is loaded by the exports only, as in assessments.views

    item = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        item.value, item.data_type = cell_text(value), "s"
    if number_format:
        item.number_format = number_format
    if font:
        item.font = font
    return item
