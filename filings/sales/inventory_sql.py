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

    BY_LOCATION = 'v.bflo_number COLLATE "C", v.fuel COLLATE "C"'
    BY_VARIANCE = (
        'ABS(v.difference) DESC NULLS LAST, ABS(v.percent) DESC NULLS LAST, v.account_number COLLATE "C", '
        'v.bflo_number COLLATE "C", v.fuel COLLATE "C"'
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
    sales_count: int  # the consumer sales summed in `sold` (the month's report counts them)
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
# summed by seller, BFLO and fuel (and kind). `counted`: the latest recount of each count of the month and the
# month before. `facts`: all of them, and a seller's first month's locations, as rows of one shape, so that
# `figures` makes every line in one grouped pass (joining the CTEs instead made PostgreSQL, which cannot estimate
# them, loop over one for each row of another: 2 s for 200 sellers); a line is there when one of its facts opens
# it (the module's docstring). `computed`: its computed closing; `variances`: the difference, its percent and flag
# (the tolerance in percent). `selected`: the lines filtered, with the numbers they sort by. `page`: the selection in
# order, cut to the page, with the number of lines matched (ORDER BY ... LIMIT keeps the page's lines in a top-N
# sort, where numbering every line with ROW_NUMBER() sorted all 20,000 of 5,000 sellers); the sellers' names and the latest report version of the month are looked up for the page's lines
# only. A movement stands when its revision is the MAX of its key's: PostgreSQL then reads the unique index
# backwards, one probe per movement, where for NOT EXISTS it chose the BFLO's index and filtered every movement of
# the location (31 ms of the 46 of a seller's 20 BFLOs, 440 movements; ADR 0028). `sold` counts the sales it sums,
# so the month's report needs no second pass to count them.
_SQL = f"""
WITH sellers AS (
    SELECT a.id, a.effective_date
    FROM {_table(ProgramAccount)} a
    JOIN {_table(Program)} p ON p.id = a.program_id AND p.code = %(tefs)s
    {{one_seller}}
),
sold AS (
    SELECT x.account_id, x.bflo_id, x.fuel, SUM(x.litres) AS litres, COUNT(*) AS sales
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
    SELECT x.account_id, x.bflo_id, x.fuel, x.kind, SUM(x.litres) AS litres
    FROM sellers JOIN {_table(Movement)} x ON x.account_id = sellers.id AND x.month = %(month)s
    WHERE x.record <> %(void_movement)s
      AND x.revision = (
          SELECT MAX(later.revision) FROM {_table(Movement)} later
          WHERE later.account_id = x.account_id AND later.kind = x.kind
            AND later.document_number = x.document_number AND later.bflo_id = x.bflo_id
            AND later.fuel = x.fuel
      )
    GROUP BY 1, 2, 3, 4
),
counted AS (
    SELECT DISTINCT ON (x.account_id, x.month, x.kind, x.bflo_id, x.fuel)
           x.account_id, x.month, x.kind, x.bflo_id, x.fuel, x.litres
    FROM sellers JOIN {_table(InventoryCount)} x
      ON x.account_id = sellers.id AND x.month IN (%(month)s, %(previous)s)
    ORDER BY x.account_id, x.month, x.kind, x.bflo_id, x.fuel, x.revision DESC
),
facts AS (
    SELECT account_id, bflo_id, fuel, 'sold' AS what, litres, sales, TRUE AS keyed FROM sold
    UNION ALL SELECT account_id, bflo_id, fuel, kind, litres, 0, TRUE FROM moved
    UNION ALL SELECT account_id, bflo_id, fuel, kind, litres, 0, TRUE FROM counted WHERE month = %(month)s
    UNION ALL SELECT c.account_id, c.bflo_id, c.fuel, 'before', c.litres, 0, l.active
          FROM counted c JOIN {_table(BulkFuelLocation)} l ON l.id = c.bflo_id
          WHERE c.month = %(previous)s AND c.kind = %(closing)s
    UNION ALL SELECT sellers.id, l.id, fuels.fuel, 'first month', NULL, 0, TRUE
          FROM sellers JOIN {_table(BulkFuelLocation)} l ON l.account_id = sellers.id AND l.active
          CROSS JOIN unnest(%(fuels)s::text[]) AS fuels(fuel)
          WHERE date_trunc('month', sellers.effective_date::timestamp)::date = %(month)s
),
figures AS (
    SELECT account_id, bflo_id, fuel,
           COALESCE(MAX(litres) FILTER (WHERE what = %(opening)s), MAX(litres) FILTER (WHERE what = 'before'))
               AS opening,
           COALESCE(SUM(litres) FILTER (WHERE what = %(acquisition)s), 0.000) AS acquired,
           COALESCE(SUM(litres) FILTER (WHERE what = %(import)s), 0.000) AS imported,
           COALESCE(SUM(litres) FILTER (WHERE what = 'sold'), 0.000) AS sold,
           COALESCE(SUM(sales) FILTER (WHERE what = 'sold'), 0)::integer AS sales_count,
           COALESCE(SUM(litres) FILTER (WHERE what = %(disposition)s), 0.000) AS disposed,
           COALESCE(SUM(litres) FILTER (WHERE what = %(export)s), 0.000) AS exported,
           MAX(litres) FILTER (WHERE what = %(closing)s) AS closing_counted
    FROM facts
    GROUP BY 1, 2, 3
    HAVING bool_or(keyed)  -- an inactive location's closing count last month opens a line only with another fact
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
selected AS (
    SELECT v.*, s.number AS account_number, s.taxpayer_id, l.number AS bflo_number
    FROM variances v
    JOIN {_table(ProgramAccount)} s ON s.id = v.account_id
    JOIN {_table(BulkFuelLocation)} l ON l.id = v.bflo_id
    WHERE (%(fuel)s = '' OR v.fuel = %(fuel)s) AND (NOT %(flagged_only)s OR v.flagged)
),
page AS (
    SELECT v.*, COUNT(*) OVER () AS total FROM selected v
    ORDER BY {{order}}
    LIMIT %(limit)s OFFSET %(offset)s
)
SELECT v.account_id, v.account_number, t.legal_name, v.bflo_id, v.bflo_number, v.fuel, v.opening, v.acquired,
       v.imported, v.sold, v.sales_count, v.disposed, v.exported, v.closing_computed, v.closing_counted, v.difference,
       v.percent, v.flagged, report.id, COALESCE(report.confirmation_number, ''), v.total
FROM page v
JOIN {_table(Taxpayer)} t ON t.id = v.taxpayer_id
LEFT JOIN LATERAL (
    SELECT r.id, r.confirmation_number FROM {_table(MarkedFuelReport)} r
    WHERE r.account_id = v.account_id AND r.period_start = %(month)s
    ORDER BY r.version DESC LIMIT 1
) report ON TRUE
ORDER BY {{order}}
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
