"""Dated rates, OpenFisca-style: programs/rates/*.yaml maps effective dates to values, each with a source.

`rate_on(fuel=..., day=..., tax=...)` is the one way code asks for a rate. `null` in the YAML means the tax
is repealed or not yet in force on that day (carbon levy before 2017 and from 2019-05-30); `0` is a zero rate
(fuel tax relief from 2022-04-01). A reinstated rate is a new YAML entry, never a code change.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

import yaml

RATES_DIR = Path(__file__).resolve().parent / "rates"


class RateDataError(Exception):
    """The rate YAML is malformed; raised at start-up."""


class RateNotFound(LookupError):
    """No rate is known for this fuel on this day (unknown fuel, or before the data begins)."""


@dataclass(frozen=True)
class Rate:
    tax: str
    fuel: str
    effective_from: date
    value: Decimal | None  # dollars per litre; None: not in force (repealed or not yet enacted)
    source: str
    # False where the YAML says `verified: false`: a value or date we could not confirm from its source (the
    # source's text says what is not verified). Shown as such, never as fact.
    verified: bool = True

    @property
    def in_force(self) -> bool:
        return self.value is not None


@dataclass(frozen=True)
class Schedule:
    tax: str
    unit: str
    labels: dict[str, str]
    entries: dict[str, tuple[Rate, ...]]  # by fuel, sorted by effective_from


def _parse(path: Path) -> Schedule:
    data = yaml.safe_load(path.read_text())
    try:
        tax, references, fuels = data["tax"], data["references"], data["fuels"]
    except (KeyError, TypeError) as error:
        raise RateDataError(f"{path.name}: missing {error}") from error
    entries: dict[str, tuple[Rate, ...]] = {}
    labels: dict[str, str] = {}
    for fuel, spec in fuels.items():
        rows = []
        for item in spec["values"]:
            effective = item["from"]
            if not isinstance(effective, date):
                raise RateDataError(f"{path.name}: {fuel}: 'from' must be a date, got {effective!r}")
            if item.get("source") not in references:
                raise RateDataError(
                    f"{path.name}: {fuel} {effective}: source {item.get('source')!r} is not in references"
                )
            raw = item.get("value")
            if raw is None:
                value = None
            else:
                if not isinstance(raw, str):
                    raise RateDataError(
                        f"{path.name}: {fuel} {effective}: write values as quoted decimals, got {raw!r}"
                    )
                try:
                    value = Decimal(raw)
                except InvalidOperation as error:
                    raise RateDataError(
                        f"{path.name}: {fuel} {effective}: {raw!r} is not a number"
                    ) from error
                if value < 0:
                    raise RateDataError(f"{path.name}: {fuel} {effective}: a rate cannot be negative")
            verified = item.get("verified", True)
            if not isinstance(verified, bool):
                raise RateDataError(f"{path.name}: {fuel} {effective}: verified is true or false")
            rows.append(
                Rate(
                    tax=tax,
                    fuel=fuel,
                    effective_from=effective,
                    value=value,
                    source=references[item["source"]],
                    verified=verified,
                )
            )
        dates = [row.effective_from for row in rows]
        if dates != sorted(dates) or len(set(dates)) != len(dates):
            raise RateDataError(f"{path.name}: {fuel}: dates must be strictly increasing")
        entries[fuel] = tuple(rows)
        labels[fuel] = spec.get("label", fuel)
    return Schedule(tax=tax, unit=data.get("unit", ""), labels=labels, entries=entries)


@functools.cache
def schedules() -> dict[str, Schedule]:
    result = {}
    for path in sorted(RATES_DIR.glob("*.yaml")):
        schedule = _parse(path)
        result[schedule.tax] = schedule
    return result


def rate_on(*, fuel: str, day: date, tax: str = "fuel_tax") -> Rate:
    """The rate of `tax` on `fuel` in force on `day`."""
    try:
        rows = schedules()[tax].entries[fuel]
    except KeyError as error:
        raise RateNotFound(f"No {tax} rate is defined for {fuel}") from error
    applicable = None
    for row in rows:
        if row.effective_from > day:
            break
        applicable = row
    if applicable is None:
        raise RateNotFound(f"No {tax} rate for {fuel} before {rows[0].effective_from.isoformat()}")
    return applicable


def fuel_labels(*, tax: str = "fuel_tax") -> dict[str, str]:
    return dict(schedules()[tax].labels)
