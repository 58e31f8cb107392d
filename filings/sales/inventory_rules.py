"""The marked-fuel inventory variance's tolerance (issue 15, item 4) as dated data:
filings/rules/marked_fuel_inventory.yaml, validated at start-up. A location and fuel whose counted closing
inventory differs from the computed one by more than the tolerance in force for the month (a percent of the
computed closing) is flagged, on the seller's Inventory Summary and on the staff's inventory variances alike
(both read filings.sales.inventory_sql, which applies it)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

import yaml

from filings.claim_rules import RuleDataError
from filings.periods import Period

RULES_FILE = Path(__file__).resolve().parent.parent / "rules" / "marked_fuel_inventory.yaml"


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


def validate() -> None:
    tolerances()
