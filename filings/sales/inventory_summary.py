"""The monthly inventory summary of a marked-fuel seller (issue 15, item 4): per BFLO and fuel, opening +
acquisitions + imports - consumer sales - dispositions - exports = computed closing, beside the closing the seller
counted, and the variance (counted less computed) in litres and in percent of the computed closing, flagged past
the tolerance in force for the month (dated data: filings/rules/marked_fuel_inventory.yaml, unverified).

The figures are the monthly report's own (filings.sales.report.month_summary, whose lines are the one statement
of filings.sales.inventory_sql, which computes the percent and the flag too); this module adds the tolerance shown
and writes the Excel export, of one seller's month or (staff) of every seller's."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO

from django.utils.translation import gettext_lazy as _

from filings.periods import Period
from filings.sales.inventory_rules import Tolerance, tolerance_for
from filings.sales.inventory_sql import InventoryLine
from filings.sales.report import MonthSummary, SummaryLine, month_summary
from programs.models import ProgramAccount
from programs.spreadsheet import write_only_cell


@dataclass(frozen=True)
class InventorySummary:
    summary: MonthSummary
    tolerance: Tolerance

    @property
    def lines(self) -> list[SummaryLine]:
        return self.summary.lines

    @property
    def flagged(self) -> int:
        return sum(1 for line in self.lines if line.flagged)


def inventory_summary(*, account: ProgramAccount, period: Period) -> InventorySummary:
    return InventorySummary(month_summary(account=account, period=period), tolerance_for(period))


SELLER_HEADER = (_("Account"), _("Seller"))
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


def excel(
    *, lines: Iterable[InventoryLine], tolerance: Tolerance, title: str, sellers: bool = False
) -> IO[bytes]:
    """The summary as an Excel workbook (write-only, spooled to a temporary file, rewound): litres and percents
    in number cells, a line per BFLO and fuel; with `sellers` (staff's export of every seller), each line starts
    with the seller's account number and name."""
    from openpyxl import Workbook  # loaded by the exports only
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title="Inventory summary")
    bold = Font(bold=True)
    sheet.append([write_only_cell(sheet, title, font=bold)])
    note = f"Tolerance {tolerance.percent}% of the computed closing{'' if tolerance.verified else ' (unverified)'}"
    sheet.append([write_only_cell(sheet, note)])
    header = (*SELLER_HEADER, *EXCEL_HEADER) if sellers else EXCEL_HEADER
    sheet.append([write_only_cell(sheet, str(name), font=bold) for name in header])
    for line in lines:
        whose = [line.account_number, line.legal_name] if sellers else []
        sheet.append(
            [
                *(write_only_cell(sheet, text) for text in whose),
                write_only_cell(sheet, line.bflo_number),
                write_only_cell(sheet, line.fuel_label),
                *(
                    write_only_cell(sheet, value, LITRES)
                    for value in (
                        line.opening,
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
                write_only_cell(sheet, line.percent, "0.00"),
                write_only_cell(sheet, "yes" if line.flagged else "no"),
            ]
        )
    output = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    workbook.save(output)
    output.seek(0)
    return output
