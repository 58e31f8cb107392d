"""Dated rules of assessment (and, later, of penalties and interest), OpenFisca-style like programs/rates.py.

assessments/rules/*.yaml map each rule's effective dates to values, each citing a source listed under the
file's `references`. `rule_on(rule=..., day=...)` is the one way code asks for a rule's value; a value is a
Decimal (`"20.00"`, `"90"`) or None (`null`: the rule does not apply from that date). Every file is parsed and
validated at start-up (AssessmentsConfig.ready): a malformed file stops the process, loudly.

Several files may add rules (penalties and interest will come in their own file); a rule is defined once.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path

import yaml

RULES_DIR = Path(__file__).resolve().parent / "rules"

ASSESSMENT_TOLERANCE = "assessment_tolerance"
OBJECTION_DAYS = "objection_days"
OBJECTION_EXTENSION_YEARS = "objection_extension_years"


class RuleDataError(Exception):
    """A rules YAML file is malformed; raised at start-up."""


class RuleNotFound(LookupError):
    """No such rule, or no value before `day`."""


@dataclass(frozen=True)
class RuleValue:
    rule: str
    effective_from: date
    value: Decimal | None
    unit: str
    source: str

    @property
    def in_force(self) -> bool:
        return self.value is not None


@dataclass(frozen=True)
class Rule:
    name: str
    label: str
    unit: str
    values: tuple[RuleValue, ...]  # sorted by effective_from


def _parse(path: Path) -> dict[str, Rule]:
    data = yaml.safe_load(path.read_text())
    try:
        references, rules = data["references"], data["rules"]
    except (KeyError, TypeError) as error:
        raise RuleDataError(f"{path.name}: missing {error}") from error
    if not isinstance(references, dict) or not isinstance(rules, dict):
        raise RuleDataError(f"{path.name}: 'references' and 'rules' must be mappings")
    result = {}
    for name, spec in rules.items():
        if not isinstance(spec, dict) or not spec.get("values"):
            raise RuleDataError(f"{path.name}: {name}: 'values' is required")
        unit = spec.get("unit", "")
        rows = []
        for item in spec["values"]:
            effective = item.get("from")
            if not isinstance(effective, date):
                raise RuleDataError(f"{path.name}: {name}: 'from' must be a date, got {effective!r}")
            if item.get("source") not in references:
                raise RuleDataError(
                    f"{path.name}: {name} {effective}: source {item.get('source')!r} is not in references"
                )
            raw = item.get("value")
            if raw is None:
                value = None
            else:
                if not isinstance(raw, str):
                    raise RuleDataError(
                        f"{path.name}: {name} {effective}: write values as quoted decimals, got {raw!r}"
                    )
                try:
                    value = Decimal(raw)
                except InvalidOperation as error:
                    raise RuleDataError(
                        f"{path.name}: {name} {effective}: {raw!r} is not a number"
                    ) from error
                if not value.is_finite() or value < 0:
                    raise RuleDataError(f"{path.name}: {name} {effective}: a value cannot be negative")
            rows.append(
                RuleValue(
                    rule=name,
                    effective_from=effective,
                    value=value,
                    unit=unit,
                    source=" ".join(str(references[item["source"]]).split()),
                )
            )
        dates = [row.effective_from for row in rows]
        if dates != sorted(dates) or len(set(dates)) != len(dates):
            raise RuleDataError(f"{path.name}: {name}: dates must be strictly increasing")
        result[name] = Rule(name=name, label=spec.get("label", name), unit=unit, values=tuple(rows))
    return result


def load(directory: Path = RULES_DIR) -> dict[str, Rule]:
    """Every rule of every YAML file in `directory`; a rule defined in two files is an error."""
    rules: dict[str, Rule] = {}
    for path in sorted(directory.glob("*.yaml")):
        for name, rule in _parse(path).items():
            if name in rules:
                raise RuleDataError(f"{path.name}: rule {name} is already defined in another file")
            rules[name] = rule
    return rules


@functools.cache
def rules() -> dict[str, Rule]:
    return load()


def rule_on(*, rule: str, day: date, table: dict[str, Rule] | None = None) -> RuleValue:
    """The value of `rule` in force on `day` (from the shipped rules, or from `table`, as `load` returns)."""
    try:
        values = (rules() if table is None else table)[rule].values
    except KeyError as error:
        raise RuleNotFound(f"No rule {rule} is defined") from error
    applicable = None
    for row in values:
        if row.effective_from > day:
            break
        applicable = row
    if applicable is None:
        raise RuleNotFound(f"No value of {rule} before {values[0].effective_from.isoformat()}")
    return applicable


def days_on(*, rule: str, day: date) -> int:
    """A rule counted in days (the objection period), in force on `day`; 0 when not in force."""
    return int(rule_on(rule=rule, day=day).value or 0)


def years_after(day: date, years: int) -> date:
    """The same calendar date `years` later; from 29 February to a year without one, the last day of February.

    A year is 12 months, and the Interpretation Act (R.S.C. 1985, c. I-21, s. 28) ends a period of months after
    a day on the day of the last month with the same number, "or, if that month has no day with that number, the
    last day of that month" (the common-law calendar month, Freeman v Reed). Alberta's Interpretation Act (RSA
    2000, c. I-8, s. 22) counts days the same way and has no other rule for a missing 29 February. Of the two
    candidates (28 February or 1 March) it is also the earlier, so TRACS never promises a day that may be late
    (docs/adr/0008-objections-and-waivers.md)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February into a year that has none
        return date(day.year + years, 3, 1) - timedelta(days=1)


def objection_deadline(*, assessed_on: date) -> date:
    """The last day to object to a notice or letter dated `assessed_on`."""
    return assessed_on + timedelta(days=days_on(rule=OBJECTION_DAYS, day=assessed_on))


def objection_extended_deadline(*, assessed_on: date) -> date:
    """The last day to object, with a reason for the extension, to a notice or letter dated `assessed_on`: "1 year
    + 90 days" (AT4762) is the calendar date a year after the notice (`objection_extension_years`), then the
    objection period (`objection_days`): 455 days, or 456 when that year holds a 29 February."""
    years = int(rule_on(rule=OBJECTION_EXTENSION_YEARS, day=assessed_on).value or 0)
    return years_after(assessed_on, years) + timedelta(days=days_on(rule=OBJECTION_DAYS, day=assessed_on))
