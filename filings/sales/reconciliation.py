"""Pre-submission reconciliation of marked-fuel movements between sellers (issue 15, item 6): where the litres a
seller reports acquiring from another TRACS seller disagree with the dispositions that seller reported to them,
and the reverse for the seller's own dispositions, by counterparty (BIN), month and fuel.

Counterparties are matched by BIN: a supplier is another TEFS account whose taxpayer's BIN is the counterparty
number on the seller's acquisition, and the supplier's disposition names the seller's BIN. Each side is the month's
movements as they stand (the latest revision of each, voids left out, as filings.sales.selectors.movements_for_month
reads them), summed by the database; the two sides are one grouped query with a full outer join, so the cost does
not grow with the number of movements. A counterparty that is no TRACS seller has nothing to compare: it is listed
as a note, and asks no explanation.
"""

# ruff: noqa: S608  # the f-string names only tables of our models; every value is a query parameter

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import connection, models

from filings.definitions.marked_fuel import TEFS
from filings.sales.models import Fuel, Movement
from programs.models import Program, ProgramAccount, Taxpayer

ZERO = Decimal("0.000")

# The two directions compared: what the seller reports, and the kind their counterparty reports the same fuel as.
ACQUIRED = Movement.Kind.ACQUISITION
DISPOSED = Movement.Kind.DISPOSITION


@dataclass(frozen=True)
class Difference:
    """One counterparty, fuel and direction of the month where the two sides disagree (or cannot be compared)."""

    direction: str  # the seller's kind: "acquisition" (from a supplier) or "disposition" (to a buyer)
    counterparty_number: str
    counterparty_name: str
    fuel: str
    reported: Decimal  # litres the seller reports
    counterparty_reported: Decimal  # litres the counterparty reports (0 when they report none)
    counterparty_is_seller: bool

    @property
    def difference(self) -> Decimal:
        """The seller's litres less their counterparty's."""
        return self.reported - self.counterparty_reported

    @property
    def fuel_label(self) -> str:
        return str(dict(Fuel.choices).get(self.fuel, self.fuel))

    @property
    def direction_label(self) -> str:
        return str(Movement.Kind(self.direction).label)

    def as_json(self) -> dict[str, Any]:
        """As stored on the report version (litres as strings: JSON has no decimals)."""
        stored = asdict(self)
        stored["reported"] = str(self.reported)
        stored["counterparty_reported"] = str(self.counterparty_reported)
        stored["difference"] = str(self.difference)
        return stored


def _table(model: type[models.Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


# `standing`: the month's acquisitions and dispositions as they stand (no later revision of the same movement;
# not a void), of the seller and of the other accounts naming the seller's BIN. `mine` and `theirs` sum them by
# counterparty BIN and fuel in the seller's direction (a counterparty's disposition is the seller's acquisition).
_SQL = f"""
WITH standing AS (
    SELECT m.account_id, m.kind, m.fuel, m.counterparty_number, m.counterparty_name, m.litres
    FROM {_table(Movement)} m
    WHERE m.month = %(month)s
      AND m.kind IN (%(acquired)s, %(disposed)s)
      AND (m.account_id = %(account)s OR m.counterparty_number = %(bin)s)
      AND m.record <> %(void)s
      AND NOT EXISTS (
          SELECT 1 FROM {_table(Movement)} later
          WHERE later.account_id = m.account_id AND later.kind = m.kind
            AND later.document_number = m.document_number AND later.bflo_id = m.bflo_id
            AND later.fuel = m.fuel AND later.revision > m.revision
      )
),
mine AS (
    SELECT kind AS direction, counterparty_number AS number, fuel,
           MAX(counterparty_name) AS name, SUM(litres) AS litres
    FROM standing WHERE account_id = %(account)s
    GROUP BY kind, counterparty_number, fuel
),
theirs AS (
    SELECT CASE s.kind WHEN %(disposed)s THEN %(acquired)s ELSE %(disposed)s END AS direction,
           t.bin AS number, s.fuel, MAX(t.legal_name) AS name, SUM(s.litres) AS litres
    FROM standing s
    JOIN {_table(ProgramAccount)} a ON a.id = s.account_id
    JOIN {_table(Program)} p ON p.id = a.program_id AND p.code = %(tefs)s
    JOIN {_table(Taxpayer)} t ON t.id = a.taxpayer_id
    WHERE s.account_id <> %(account)s AND s.counterparty_number = %(bin)s
    GROUP BY 1, t.bin, s.fuel
)
SELECT COALESCE(mine.direction, theirs.direction), COALESCE(mine.number, theirs.number),
       COALESCE(mine.name, theirs.name), COALESCE(mine.fuel, theirs.fuel),
       COALESCE(mine.litres, 0), COALESCE(theirs.litres, 0),
       theirs.number IS NOT NULL OR EXISTS (
           SELECT 1 FROM {_table(ProgramAccount)} a
           JOIN {_table(Program)} p ON p.id = a.program_id AND p.code = %(tefs)s
           JOIN {_table(Taxpayer)} t ON t.id = a.taxpayer_id
           WHERE t.bin = mine.number AND a.id <> %(account)s
       )
FROM mine FULL OUTER JOIN theirs
  ON mine.direction = theirs.direction AND mine.number = theirs.number AND mine.fuel = theirs.fuel
WHERE COALESCE(mine.litres, 0) <> COALESCE(theirs.litres, 0)
ORDER BY 1, 2, 4
"""


def counterparty_differences(*, account: ProgramAccount, month: date) -> list[Difference]:
    """The month's acquisitions and dispositions that disagree with what the counterparty reported (one query);
    matched ones are left out. A counterparty that is no TRACS seller comes with `counterparty_is_seller` False."""
    params: dict[str, str | int | date] = {
        "month": month.replace(day=1),
        "account": account.pk,
        "bin": account.taxpayer.bin,
        "acquired": ACQUIRED.value,
        "disposed": DISPOSED.value,
        "void": Movement.Record.VOID.value,
        "tefs": TEFS,
    }
    with connection.cursor() as cursor:
        cursor.execute(_SQL, params)
        rows = cursor.fetchall()
    return [
        Difference(
            direction=direction,
            counterparty_number=number,
            counterparty_name=name,
            fuel=fuel,
            reported=Decimal(reported),
            counterparty_reported=Decimal(theirs),
            counterparty_is_seller=bool(is_seller),
        )
        for direction, number, name, fuel, reported, theirs, is_seller in rows
    ]


def needs_explanation(differences: list[Difference]) -> bool:
    """An explanation is asked when a TRACS counterparty's figures disagree (a non-seller has nothing to compare)."""
    return any(difference.counterparty_is_seller for difference in differences)
