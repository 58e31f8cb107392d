"""The inventory of sellers' months in one statement (issue 15, item 4): per seller, BFLO and fuel of a month,
opening + acquisitions + imports - consumer sales - dispositions - exports = computed closing, beside the closing
the seller counted; the variance (counted less computed) in litres and in percent of the computed closing, flagged
past the tolerance in force for the month (filings.sales.inventory_rules).

This is the one computation of those figures: the month's page and the report a seller files
(filings.sales.report.month_summary), the seller's Inventory Summary (filings.sales.inventory_summary) and the
staff's inventory variances of every seller (filings/sales/admin_inventory.py) all read it. One seller or every
seller, it is one query: the sales and movements as they stand (the latest revision of each, voids left out, as
filings.sales.selectors reads them) and the latest recount of each inventory count are summed and joined by the
database, filtered, sorted and cut into a page there, with the number of lines matched beside each row
(COUNT(*) OVER ()), so the cost of a page does not grow with the number of sellers read in Python.

Which locations and fuels a month has (as the month's page always listed them): every one with a sale, a
movement or a count in the month; every active location with a closing count the month before (its opening);
and in a seller's first month (its effective date's), every active location in each marked fuel, whose opening
count is asked for. Opening = the month's opening count if one was reported, else the closing count of the
month before (none when neither exists). Percent: none without a count, or with nothing computed (then any
litres counted or missing are past tolerance); rounded half up to the hundredth.
"""

# ruff: noqa: S608  # the f-strings name only our tables and the fragments below; every value is a query parameter

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection, models

from filings.definitions.marked_fuel import TEFS
from filings.periods import Period
from filings.sales.inventory_rules import tolerance_for
from filings.sales.models import Fuel, InventoryCount, Movement, Sale
from filings.sales.models_report import MarkedFuelReport
from programs.models import BulkFuelLocation, Program, ProgramAccount, Taxpayer

FUEL_LABELS = dict(Fuel.choices)


class Order(enum.Enum):
    """How the lines come: a seller's month by location and fuel (as their page lists them), or every seller's
    by the largest variance first (litres either way; lines without a count last)."""

    BY_LOCATION = 'l.number COLLATE "C", v.fuel COLLATE "C"'
    BY_VARIANCE = (
        'ABS(v.difference) DESC NULLS LAST, ABS(v.percent) DESC NULLS LAST, s.number COLLATE "C", '
        'l.number COLLATE "C", v.fuel COLLATE "C"'
    )


@dataclass(frozen=True)
class InventoryLine:
    """One seller, BFLO and fuel of the month, as the statement computed it (report.SummaryLine: the lines of a
    seller's month page, its report and its Inventory Summary)."""

    account_id: int
    account_number: str
    legal_name: str
    bflo_id: int
    bflo_number: str
    fuel: str
    opening: (
        Decimal | None
    )  # None: no opening inventory reported (neither this month's nor last month's count)
    acquired: Decimal
    imported: Decimal
    sold: Decimal
    disposed: Decimal
    exported: Decimal
    closing_computed: Decimal
    closing_counted: Decimal | None  # None: no closing count reported
    difference: Decimal | None  # counted less computed; None without a count
    percent: Decimal | None  # of the computed closing
    flagged: bool
    report_id: int | None  # the month's latest report version, if the seller filed one
    report_confirmation: str
    # The location itself, where a page shows one seller's month (filings.sales.report.month_summary sets it).
    location: BulkFuelLocation | None = None

    @property
    def fuel_label(self) -> str:
        return str(FUEL_LABELS.get(self.fuel, self.fuel))


@dataclass(frozen=True)
class Selection:
    """Which lines of the month: one seller's (`account_id`) or every seller's; one fuel or both; only those past
    tolerance or all."""

    period: Period
    account_id: int | None = None
    fuel: str = ""
    flagged_only: bool = False


def _table(model: type[models.Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


# `sellers`: the TEFS accounts read (one, or all). `sold`, `moved`: the month's sales and movements as they stand,
# summed by seller, BFLO and fuel. `counted`: the latest recount of each count of the month and the month before.
# `keys`: the locations and fuels the month has (the module's docstring). `figures` and `computed`: the line's
# figures and its computed closing; `variances`: the difference, its percent and flag (the tolerance in percent).
_SQL = f"""
WITH sellers AS (
    SELECT a.id, a.number, a.effective_date, t.legal_name
    FROM {_table(ProgramAccount)} a
    JOIN {_table(Program)} p ON p.id = a.program_id AND p.code = %(tefs)s
    JOIN {_table(Taxpayer)} t ON t.id = a.taxpayer_id
    {{one_seller}}
),
sold AS (
    SELECT x.account_id, x.bflo_id, x.fuel, SUM(x.litres) AS litres
    FROM sellers JOIN {_table(Sale)} x ON x.account_id = sellers.id AND x.month = %(month)s
    WHERE x.kind <> %(void_sale)s
      AND NOT EXISTS (
          SELECT 1 FROM {_table(Sale)} later
          WHERE later.account_id = x.account_id AND later.invoice_number = x.invoice_number
            AND later.line = x.line AND later.revision > x.revision
      )
    GROUP BY 1, 2, 3
),
moved AS (
    SELECT x.account_id, x.bflo_id, x.fuel,
           COALESCE(SUM(x.litres) FILTER (WHERE x.kind = %(acquisition)s), 0.000) AS acquired,
           COALESCE(SUM(x.litres) FILTER (WHERE x.kind = %(import)s), 0.000) AS imported,
           COALESCE(SUM(x.litres) FILTER (WHERE x.kind = %(disposition)s), 0.000) AS disposed,
           COALESCE(SUM(x.litres) FILTER (WHERE x.kind = %(export)s), 0.000) AS exported
    FROM sellers JOIN {_table(Movement)} x ON x.account_id = sellers.id AND x.month = %(month)s
    WHERE x.record <> %(void_movement)s
      AND NOT EXISTS (
          SELECT 1 FROM {_table(Movement)} later
          WHERE later.account_id = x.account_id AND later.kind = x.kind
            AND later.document_number = x.document_number AND later.bflo_id = x.bflo_id
            AND later.fuel = x.fuel AND later.revision > x.revision
      )
    GROUP BY 1, 2, 3
),
counted AS (
    SELECT DISTINCT ON (x.account_id, x.month, x.kind, x.bflo_id, x.fuel)
           x.account_id, x.month, x.kind, x.bflo_id, x.fuel, x.litres
    FROM sellers JOIN {_table(InventoryCount)} x
      ON x.account_id = sellers.id AND x.month IN (%(month)s, %(previous)s)
    ORDER BY x.account_id, x.month, x.kind, x.bflo_id, x.fuel, x.revision DESC
),
keys AS (
    SELECT account_id, bflo_id, fuel FROM sold
    UNION SELECT account_id, bflo_id, fuel FROM moved
    UNION SELECT account_id, bflo_id, fuel FROM counted WHERE month = %(month)s
    UNION SELECT c.account_id, c.bflo_id, c.fuel
          FROM counted c JOIN {_table(BulkFuelLocation)} l ON l.id = c.bflo_id AND l.active
          WHERE c.month = %(previous)s AND c.kind = %(closing)s
    UNION SELECT sellers.id, l.id, fuels.fuel
          FROM sellers JOIN {_table(BulkFuelLocation)} l ON l.account_id = sellers.id AND l.active
          CROSS JOIN unnest(%(fuels)s::text[]) AS fuels(fuel)
          WHERE date_trunc('month', sellers.effective_date::timestamp)::date = %(month)s
),
figures AS (
    SELECT k.account_id, k.bflo_id, k.fuel,
           COALESCE(opening.litres, prior.litres) AS opening,
           COALESCE(moved.acquired, 0.000) AS acquired, COALESCE(moved.imported, 0.000) AS imported,
           COALESCE(sold.litres, 0.000) AS sold,
           COALESCE(moved.disposed, 0.000) AS disposed, COALESCE(moved.exported, 0.000) AS exported,
           closing.litres AS closing_counted
    FROM keys k
    LEFT JOIN sold ON sold.account_id = k.account_id AND sold.bflo_id = k.bflo_id AND sold.fuel = k.fuel
    LEFT JOIN moved ON moved.account_id = k.account_id AND moved.bflo_id = k.bflo_id AND moved.fuel = k.fuel
    LEFT JOIN counted opening ON opening.account_id = k.account_id AND opening.bflo_id = k.bflo_id
         AND opening.fuel = k.fuel AND opening.month = %(month)s AND opening.kind = %(opening)s
    LEFT JOIN counted prior ON prior.account_id = k.account_id AND prior.bflo_id = k.bflo_id
         AND prior.fuel = k.fuel AND prior.month = %(previous)s AND prior.kind = %(closing)s
    LEFT JOIN counted closing ON closing.account_id = k.account_id AND closing.bflo_id = k.bflo_id
         AND closing.fuel = k.fuel AND closing.month = %(month)s AND closing.kind = %(closing)s
),
computed AS (
    SELECT f.*,
           COALESCE(f.opening, 0.000) + f.acquired + f.imported - f.sold - f.disposed - f.exported
               AS closing_computed
    FROM figures f
),
variances AS (
    SELECT c.*, c.closing_counted - c.closing_computed AS difference,
           CASE WHEN c.closing_counted IS NULL OR c.closing_computed = 0 THEN NULL
                ELSE ROUND((c.closing_counted - c.closing_computed) * 100 / c.closing_computed, 2) END AS percent,
           CASE WHEN c.closing_counted IS NULL THEN FALSE
                WHEN c.closing_computed = 0 THEN c.closing_counted <> 0
                ELSE ABS(c.closing_counted - c.closing_computed) * 100
                     > %(tolerance)s::numeric * ABS(c.closing_computed) END AS flagged
    FROM computed c
),
reports AS (
    SELECT DISTINCT ON (r.account_id) r.account_id, r.id, r.confirmation_number
    FROM sellers JOIN {_table(MarkedFuelReport)} r ON r.account_id = sellers.id AND r.period_start = %(month)s
    ORDER BY r.account_id, r.version DESC
)
SELECT v.account_id, s.number, s.legal_name, v.bflo_id, l.number, v.fuel, v.opening, v.acquired, v.imported,
       v.sold, v.disposed, v.exported, v.closing_computed, v.closing_counted, v.difference, v.percent, v.flagged,
       reports.id, COALESCE(reports.confirmation_number, ''), COUNT(*) OVER ()
FROM variances v
JOIN sellers s ON s.id = v.account_id
JOIN {_table(BulkFuelLocation)} l ON l.id = v.bflo_id
LEFT JOIN reports ON reports.account_id = v.account_id
WHERE (%(fuel)s = '' OR v.fuel = %(fuel)s) AND (NOT %(flagged_only)s OR v.flagged)
ORDER BY {{order}}
LIMIT %(limit)s OFFSET %(offset)s
"""


def _sql(selection: Selection, order: Order) -> str:
    """The statement for the selection: one seller's is a text of its own (psycopg prepares a statement after a
    few runs and PostgreSQL may then plan it once for any parameters: a seller's page must never be planned as
    every seller's)."""
    one_seller = "WHERE a.id = %(account)s" if selection.account_id is not None else ""
    return _SQL.format(order=order.value, one_seller=one_seller)


def _parameters(selection: Selection, *, limit: int | None, offset: int) -> dict[str, Any]:
    period = selection.period
    return {
        "tefs": TEFS,
        "account": selection.account_id,
        "month": period.start,
        "previous": period.previous().start,
        "void_sale": Sale.Kind.VOID.value,
        "void_movement": Movement.Record.VOID.value,
        "acquisition": Movement.Kind.ACQUISITION.value,
        "import": Movement.Kind.IMPORT.value,
        "disposition": Movement.Kind.DISPOSITION.value,
        "export": Movement.Kind.EXPORT.value,
        "opening": InventoryCount.Kind.OPENING.value,
        "closing": InventoryCount.Kind.CLOSING.value,
        "fuels": list(Fuel.values),
        "tolerance": tolerance_for(period).percent,
        "fuel": selection.fuel,
        "flagged_only": selection.flagged_only,
        "limit": limit,  # NULL: no limit
        "offset": offset,
    }


def _line(row: tuple[Any, ...]) -> InventoryLine:
    return InventoryLine(*row[:-1])


@dataclass(frozen=True)
class Page:
    lines: list[InventoryLine]
    total: int  # the lines the selection matched, on every page (0 when this page is past the last)


def inventory_lines(
    selection: Selection, *, order: Order = Order.BY_LOCATION, limit: int | None = None, offset: int = 0
) -> Page:
    """The selection's lines in `order`, `limit` of them from `offset` (every one when `limit` is None), and how
    many lines it matched in all: one query."""
    with connection.cursor() as cursor:
        cursor.execute(_sql(selection, order), _parameters(selection, limit=limit, offset=offset))
        rows = cursor.fetchall()
    return Page([_line(row) for row in rows], rows[0][-1] if rows else 0)


def inventory_lines_streamed(
    selection: Selection, *, order: Order = Order.BY_VARIANCE, chunk: int = 2000
) -> Iterator[InventoryLine]:
    """Every line of the selection in `order`, read through a server-side cursor `chunk` rows at a time (the
    Excel export of every seller's month: memory bounded by the chunk, not by the number of sellers)."""
    with connection.chunked_cursor() as cursor:
        cursor.execute(_sql(selection, order), _parameters(selection, limit=None, offset=0))
        while rows := cursor.fetchmany(chunk):
            yield from (_line(row) for row in rows)
