"""The marked-fuel monthly report's rules of time, as dated data with their sources
(filings/rules/marked_fuel_report.yaml): when a month's report is due, and what a late one costs (nothing is
published for TEFS: the YAML says null, so a late report is shown late and nothing is charged).

Read once and validated at start-up (filings.apps); a malformed file stops the process."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TypeVar

import yaml

from filings.claim_rules import RuleDataError
from filings.periods import DueBasis, DueDateRule, Period

RULES_FILE = Path(__file__).resolve().parent.parent / "rules" / "marked_fuel_report.yaml"


@dataclass(frozen=True)
class DueEntry:
    effective_from: date
    rule: DueDateRule


@dataclass(frozen=True)
class PenaltyEntry:
    effective_from: date
    value: Decimal | None  # dollars per late report; None: no penalty
    source: str


@dataclass(frozen=True)
class ReportRules:
    due: tuple[DueEntry, ...]
    late_filing_penalty: tuple[PenaltyEntry, ...]


E = TypeVar("E", DueEntry, PenaltyEntry)


def _from(entry: object, where: str) -> date:
    day = entry.get("from") if isinstance(entry, dict) else None
    if not isinstance(day, date):
        raise RuleDataError(f"{where}: `from` must be a date, got {day!r}")
    return day


def _increasing(entries: list, where: str) -> None:
    dates = [entry.effective_from for entry in entries]
    if not entries or dates != sorted(dates) or len(set(dates)) != len(dates):
        raise RuleDataError(f"{where}: entries must be given, with strictly increasing dates")


def parse(path: Path) -> ReportRules:
    data = yaml.safe_load(path.read_text())
    try:
        references, due, penalties = data["references"], data["due"], data["late_filing_penalty"]
    except (KeyError, TypeError) as error:
        raise RuleDataError(f"{path.name}: missing {error}") from error
    due_entries = []
    for entry in due:
        where = f"{path.name}: due"
        source = references.get(entry.get("source"))
        if source is None:
            raise RuleDataError(f"{where}: source {entry.get('source')!r} is not in references")
        day = entry.get("day_of_following_month")
        if not isinstance(day, int) or isinstance(day, bool):
            raise RuleDataError(f"{where}: day_of_following_month must be a whole number, got {day!r}")
        try:
            rule = DueDateRule(DueBasis.DAY_OF_FOLLOWING_MONTH, day, source=source)
        except ValueError as error:
            raise RuleDataError(f"{where}: {error}") from error
        due_entries.append(DueEntry(effective_from=_from(entry, where), rule=rule))
    _increasing(due_entries, f"{path.name}: due")
    penalty_entries = []
    for entry in penalties:
        where = f"{path.name}: late_filing_penalty"
        source = references.get(entry.get("source"))
        if source is None:
            raise RuleDataError(f"{where}: source {entry.get('source')!r} is not in references")
        raw = entry.get("value")
        try:
            value = None if raw is None else Decimal(str(raw))
        except InvalidOperation as error:
            raise RuleDataError(f"{where}: value must be an amount or null, got {raw!r}") from error
        if value is not None and value < 0:
            raise RuleDataError(f"{where}: a penalty is not negative, got {raw!r}")
        penalty_entries.append(PenaltyEntry(effective_from=_from(entry, where), value=value, source=source))
    _increasing(penalty_entries, f"{path.name}: late_filing_penalty")
    return ReportRules(due=tuple(due_entries), late_filing_penalty=tuple(penalty_entries))


@functools.cache
def rules() -> ReportRules:
    return parse(RULES_FILE)


def _in_force(entries: tuple[E, ...], day: date) -> E | None:
    found = None
    for entry in entries:
        if entry.effective_from > day:
            break
        found = entry
    return found


def due_rule(period: Period) -> DueDateRule:
    """The due-date rule in force for `period` (by its last day); the earliest one for a period before it."""
    entry = _in_force(rules().due, period.end) or rules().due[0]
    return entry.rule


def due_on(period: Period) -> date:
    """The day the report of `period` is due: June 2026 -> 2026-07-28 (the 28th, moved off a weekend or holiday)."""
    return due_rule(period).due_on(period)


def late_filing_penalty(*, due: date, received_on: date) -> Decimal | None:
    """What a report received on `received_on` after `due` costs, by the rule in force on its due date: None when
    it is on time or when the data say no penalty applies (today's data: none is published)."""
    if received_on <= due:
        return None
    entry = _in_force(rules().late_filing_penalty, due)
    return None if entry is None else entry.value


def validate() -> None:
    rules()
