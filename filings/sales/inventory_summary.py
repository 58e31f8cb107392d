"""The monthly inventory summary of a marked-fuel seller (issue 15, item 4): per BFLO and fuel, opening +
acquisitions + imports - consumer sales - dispositions - exports = computed closing, beside the closing the seller
counted, and the variance (counted less computed) in litres and in percent of the computed closing, flagged past
the tolerance in force for the month (dated data: filings/rules/marked_fuel_inventory.yaml, unverified).

The figures are the monthly report's own (filings.sales.report.month_summary: its SummaryLine computes the
closing and the difference); this module only adds the percent and the flag, and writes the Excel export. A few
queries whatever the number of sales: the totals are grouped by the database."""

from __future__ import annotations

import functools
import tempfile
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO

import yaml
from django.utils.translation import gettext_lazy as _

from filings.claim_rules import RuleDataError
from filings.periods import Period
from filings.sales.report import MonthSummary, SummaryLine, month_summary
from programs.models import ProgramAccount
from programs.spreadsheet import write_only_cell

RULES_FILE = Path(__file__).resolve().parent.parent / "rules" / "marked_fuel_inventory.yaml"
HUNDRED = Decimal(100)
PERCENT_PLACES = Decimal("0.01")


@dataclass(frozen=True)
class Tolerance:
    effective_from: date
    percent: Decimal
    verified: bool
    source: str


def parse(path: Path) -> tuple[Tolerance, ...]:
    data = yaml.safe_load(path.read_text())
    try:
        references, entries = data["references"], data["tolerance"]
    except (KeyError, TypeError) as error:
        raise RuleDataError(f"{path.name}: missing {error}") from error
    tolerances = []
    for entry in entries:
        where = f"{path.name}: tolerance"
        source = references.get(entry.get("source"))
        if source is None:
            raise RuleDataError(f"{where}: source {entry.get('source')!r} is not in references")
        day = entry.get("from")
        if not isinstance(day, date):
            raise RuleDataError(f"{where}: `from` must be a date, got {day!r}")
        try:
            percent = Decimal(str(entry.get("percent")))
        except InvalidOperation as error:
            raise RuleDataError(f"{where}: percent must be a number, got {entry.get('percent')!r}") from error
        if not percent.is_finite() or percent < 0:
            raise RuleDataError(f"{where}: percent must be zero or more, got {entry.get('percent')!r}")
        if not isinstance(entry.get("verified"), bool):
            raise RuleDataError(f"{where}: verified must be true or false")
        tolerances.append(Tolerance(day, percent, entry["verified"], source))
    days = [tolerance.effective_from for tolerance in tolerances]
    if not tolerances or days != sorted(set(days)):
        raise RuleDataError(f"{path.name}: tolerance entries must be given, with strictly increasing dates")
    return tuple(tolerances)


@functools.cache
def tolerances() -> tuple[Tolerance, ...]:
    return parse(RULES_FILE)


def tolerance_for(period: Period) -> Tolerance:
    """The tolerance in force on the month's last day (the earliest one for a month before every entry)."""
    found = tolerances()[0]
    for tolerance in tolerances():
        if tolerance.effective_from > period.end:
            break
        found = tolerance
    return found


@dataclass(frozen=True)
class VarianceLine:
    """A line of the monthly report's summary with its variance in percent and whether it is past tolerance; it
    answers for the line's own figures too, so the month's summary table (includes_summary.html) shows it."""

    line: SummaryLine
    percent: Decimal | None  # of the computed closing; None without a count, or with nothing computed
    flagged: bool

    def __getattr__(self, name: str):
        if name == "line":  # not set yet (a copy being made): no line to ask
            raise AttributeError(name)
        return getattr(self.line, name)


def variance_line(line: SummaryLine, tolerance: Tolerance) -> VarianceLine:
    difference, computed = line.difference, line.closing_computed
    if difference is None:
        return VarianceLine(line, None, False)
    if computed == 0:  # no percent of nothing: any litres counted or missing are past tolerance
        return VarianceLine(line, None, difference != 0)
    percent = (difference * HUNDRED / computed).quantize(PERCENT_PLACES)
    return VarianceLine(line, percent, abs(difference) * HUNDRED > tolerance.percent * abs(computed))


@dataclass(frozen=True)
class InventorySummary:
    summary: MonthSummary
    tolerance: Tolerance
    lines: list[VarianceLine]

    @property
    def flagged(self) -> int:
        return sum(1 for line in self.lines if line.flagged)


def inventory_summary(*, account: ProgramAccount, period: Period) -> InventorySummary:
    summary = month_summary(account=account, period=period)
    tolerance = tolerance_for(period)
    return InventorySummary(summary, tolerance, [variance_line(line, tolerance) for line in summary.lines])


EXCEL_HEADER = (
    _("BFLO"),
    _("Fuel"),
    _("Opening"),
    _("Acquisitions"),
    _("Imports"),
    _("Consumer sales"),
    _("Dispositions"),
    _("Exports"),
    _("Computed closing"),
    _("Counted closing"),
    _("Variance (litres)"),
    _("Variance (%)"),
    _("Past tolerance"),
)
LITRES = "#,##0.000;-#,##0.000"


def excel(*, inventory: InventorySummary, title: str) -> IO[bytes]:
    """The summary as an Excel workbook (write-only, spooled to a temporary file, rewound): litres and percents
    in number cells, a line per BFLO and fuel."""
    from openpyxl import Workbook  # loaded by the exports only
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title="Inventory summary")
    bold = Font(bold=True)
    sheet.append([write_only_cell(sheet, title, font=bold)])
    tolerance = inventory.tolerance
    note = f"Tolerance {tolerance.percent}% of the computed closing{'' if tolerance.verified else ' (unverified)'}"
    sheet.append([write_only_cell(sheet, note)])
    sheet.append([write_only_cell(sheet, str(name), font=bold) for name in EXCEL_HEADER])
    for item in inventory.lines:
        line = item.line
        sheet.append(
            [
                write_only_cell(sheet, line.location.number),
                write_only_cell(sheet, line.fuel_label),
                write_only_cell(sheet, line.opening, LITRES),
                *(
                    write_only_cell(sheet, value, LITRES)
                    for value in (
                        line.acquired,
                        line.imported,
                        line.sold,
                        line.disposed,
                        line.exported,
                        line.closing_computed,
                        line.closing_counted,
                        line.difference,
                    )
                ),
                write_only_cell(sheet, item.percent, "0.00"),
                write_only_cell(sheet, "yes" if item.flagged else "no"),
            ]
        )
    output = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    workbook.save(output)
    output.seek(0)
    return output


def validate() -> None:
    tolerances()
