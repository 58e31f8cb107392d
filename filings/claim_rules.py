"""The rules of refund claims, kept as dated data with their sources (filings/rules/*.yaml), OpenFisca-style
like the rates (programs/rates.py):

- **claim windows** (`claim_windows.yaml`): by when TRA must receive a claim, per kind and reason. The window
  in force is chosen by the day the claim is received; its deadline is computed from the line's date of
  purchase or from its event date (theft, contamination, bad debt), by one of three rules.
- **inventory declarations** (`inventory_declarations.yaml`): the refund per litre of fuel held on the day a
  rate fell, the window in which TRA must receive the declaration, and how the refund is paid (cheque).
- **service standards** (`service_standards.yaml`): the days TRA aims to take to process a return or a
  claim, per program, for "View Assessment Status"'s expected processing date.

The files are read once and validated at start-up (filings.apps); a malformed file stops the process rather
than letting a deadline be computed from a typo.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path

import yaml
from django.utils.translation import gettext_lazy as _

RULES_DIR = Path(__file__).resolve().parent / "rules"
CLAIM_WINDOWS_FILE = RULES_DIR / "claim_windows.yaml"
INVENTORY_FILE = RULES_DIR / "inventory_declarations.yaml"
STANDARDS_FILE = RULES_DIR / "service_standards.yaml"

ANCHOR_PURCHASE = "purchase"
ANCHOR_EVENT = "event"
RULE_YEARS_AFTER_END_OF_YEAR = "years_after_end_of_year"
RULE_YEARS_AFTER = "years_after"
RULE_DAYS_AFTER = "days_after"
RULES = (RULE_YEARS_AFTER_END_OF_YEAR, RULE_YEARS_AFTER, RULE_DAYS_AFTER)

# Window groups: the fuel tax refund claim (one window per reason), both carbon levy claims and PROP claims (one
# window each).
FUEL_TAX_REFUND = "fuel_tax_refund"
CARBON_LEVY = "carbon_levy"
PROP = "prop"

RULE_TEXT = {
    RULE_YEARS_AFTER_END_OF_YEAR: _("no later than %(count)s years from the end of the year of %(anchor)s"),
    RULE_YEARS_AFTER: _("within %(count)s year(s) from %(anchor)s"),
    RULE_DAYS_AFTER: _("within %(count)s days after %(anchor)s"),
}
ANCHOR_PURCHASE_TEXT = _("the purchase")


class RuleDataError(Exception):
    """A rules file is malformed; raised at start-up."""


@dataclass(frozen=True)
class Window:
    """One claim window: in force for claims received from `effective_from`."""

    effective_from: date
    anchor: str
    rule: str
    count: int
    source: str

    def deadline(self, anchor_date: date) -> date:
        """The last day TRA may receive the claim (inclusive: "no later than", "within").

        years_after_end_of_year 3: 2021-06-10 -> 2024-12-31; years_after 1: 2024-03-15 -> 2025-03-15 and
        2024-02-29 -> 2025-02-28; days_after 90: 2024-01-10 -> 2024-04-09."""
        if self.rule == RULE_YEARS_AFTER_END_OF_YEAR:
            return date(anchor_date.year + self.count, 12, 31)
        if self.rule == RULE_YEARS_AFTER:
            try:
                return anchor_date.replace(year=anchor_date.year + self.count)
            except ValueError:  # 29 February in a year without one: the last day of February
                return date(anchor_date.year + self.count, 2, 28)
        return anchor_date + timedelta(days=self.count)

    def describe(self, *, anchor_text: str) -> str:
        return str(RULE_TEXT[self.rule] % {"count": self.count, "anchor": anchor_text})


@dataclass(frozen=True)
class Reason:
    """Why a refund is claimed (fuel tax seed page, "Eligibility for a fuel tax rebate or refund"), with its
    windows, oldest first. `code` is "" for the carbon levy, whose claims have no reasons."""

    group: str
    code: str
    label: str
    event_label: str  # what the event date is ("" when every window runs from the purchase)
    windows: tuple[Window, ...]

    @property
    def needs_event_date(self) -> bool:
        return any(window.anchor == ANCHOR_EVENT for window in self.windows)

    def window_on(self, received_on: date) -> Window | None:
        """The window in force for a claim received on `received_on` (None before the first)."""
        applicable = None
        for window in self.windows:
            if window.effective_from > received_on:
                break
            applicable = window
        return applicable

    def anchor_text(self, window: Window) -> str:
        return self.event_label if window.anchor == ANCHOR_EVENT else str(ANCHOR_PURCHASE_TEXT)


def _date(value, where: str) -> date:
    if not isinstance(value, date):
        raise RuleDataError(f"{where}: expected a date, got {value!r}")
    return value


def _windows(items, references: dict, where: str) -> tuple[Window, ...]:
    windows = []
    for item in items:
        if item.get("source") not in references:
            raise RuleDataError(f"{where}: source {item.get('source')!r} is not in references")
        if item.get("anchor") not in (ANCHOR_PURCHASE, ANCHOR_EVENT):
            raise RuleDataError(f"{where}: anchor must be purchase or event, got {item.get('anchor')!r}")
        if item.get("rule") not in RULES:
            raise RuleDataError(f"{where}: rule must be one of {RULES}, got {item.get('rule')!r}")
        count = item.get("count")
        if not isinstance(count, int) or isinstance(count, bool) or count <= 0:
            raise RuleDataError(f"{where}: count must be a positive whole number, got {count!r}")
        windows.append(
            Window(
                effective_from=_date(item.get("from"), where),
                anchor=item["anchor"],
                rule=item["rule"],
                count=count,
                source=references[item["source"]],
            )
        )
    dates = [window.effective_from for window in windows]
    if not windows or dates != sorted(dates) or len(set(dates)) != len(dates):
        raise RuleDataError(f"{where}: windows must be given, with strictly increasing dates")
    return tuple(windows)


def _parse_windows(path: Path) -> dict[str, dict[str, Reason]]:
    data = yaml.safe_load(path.read_text())
    try:
        references, kinds = data["references"], data["kinds"]
    except (KeyError, TypeError) as error:
        raise RuleDataError(f"{path.name}: missing {error}") from error
    groups: dict[str, dict[str, Reason]] = {}
    for group, spec in kinds.items():
        reasons: dict[str, Reason] = {}
        if "reasons" in spec:
            for code, reason in spec["reasons"].items():
                windows = _windows(reason.get("windows") or [], references, f"{path.name}: {group}.{code}")
                event_label = reason.get("event_label", "")
                if any(window.anchor == ANCHOR_EVENT for window in windows) and not event_label:
                    raise RuleDataError(f"{path.name}: {group}.{code}: an event window needs an event_label")
                reasons[code] = Reason(
                    group=group, code=code, label=reason["label"], event_label=event_label, windows=windows
                )
        else:
            windows = _windows(spec.get("windows") or [], references, f"{path.name}: {group}")
            if any(window.anchor == ANCHOR_EVENT for window in windows):
                raise RuleDataError(f"{path.name}: {group}: a claim without reasons runs from the purchase")
            reasons[""] = Reason(group=group, code="", label="", event_label="", windows=windows)
        groups[group] = reasons
    for required in (FUEL_TAX_REFUND, CARBON_LEVY, PROP):
        if required not in groups:
            raise RuleDataError(f"{path.name}: no windows for {required}")
    return groups


@functools.cache
def window_groups() -> dict[str, dict[str, Reason]]:
    return _parse_windows(CLAIM_WINDOWS_FILE)


def refund_reasons() -> dict[str, Reason]:
    """The reasons of a fuel tax refund claim, in the order of the YAML (the form's order)."""
    return dict(window_groups()[FUEL_TAX_REFUND])


def carbon_levy_reason() -> Reason:
    return window_groups()[CARBON_LEVY][""]


def prop_reason() -> Reason:
    return window_groups()[PROP][""]


# --- Inventory declarations ------------------------------------------------------------------------------


@dataclass(frozen=True)
class InventoryDeclaration:
    inventory_date: date
    label: str
    opens_on: date
    receive_by: date
    refund_method: str
    rates: dict[str, Decimal]  # refund in dollars per litre, by fuel
    source: str

    def is_open(self, received_on: date) -> bool:
        return self.opens_on <= received_on <= self.receive_by


def _parse_inventory(path: Path) -> tuple[InventoryDeclaration, ...]:
    data = yaml.safe_load(path.read_text())
    try:
        references, items = data["references"], data["declarations"]
    except (KeyError, TypeError) as error:
        raise RuleDataError(f"{path.name}: missing {error}") from error
    declarations = []
    for item in items:
        where = f"{path.name}: {item.get('inventory_date')}"
        if item.get("source") not in references:
            raise RuleDataError(f"{where}: source {item.get('source')!r} is not in references")
        if item.get("refund_method") not in ("cheque", "direct_deposit"):
            raise RuleDataError(f"{where}: refund_method must be cheque or direct_deposit")
        rates = {}
        for fuel, raw in (item.get("rates") or {}).items():
            if not isinstance(raw, str):
                raise RuleDataError(f"{where}: {fuel}: write values as quoted decimals, got {raw!r}")
            try:
                rates[fuel] = Decimal(raw)
            except InvalidOperation as error:
                raise RuleDataError(f"{where}: {fuel}: {raw!r} is not a number") from error
            if rates[fuel] <= 0:
                raise RuleDataError(f"{where}: {fuel}: a refund per litre must be positive")
        declaration = InventoryDeclaration(
            inventory_date=_date(item.get("inventory_date"), where),
            label=item["label"],
            opens_on=_date(item.get("opens_on"), where),
            receive_by=_date(item.get("receive_by"), where),
            refund_method=item["refund_method"],
            rates=rates,
            source=references[item["source"]],
        )
        if not rates or declaration.receive_by < declaration.opens_on:
            raise RuleDataError(f"{where}: rates are required and receive_by must not precede opens_on")
        declarations.append(declaration)
    dates = [declaration.inventory_date for declaration in declarations]
    if dates != sorted(dates) or len(set(dates)) != len(dates):
        raise RuleDataError(f"{path.name}: inventory dates must be strictly increasing")
    return tuple(declarations)


@functools.cache
def inventory_declarations() -> tuple[InventoryDeclaration, ...]:
    return _parse_inventory(INVENTORY_FILE)


def inventory_declaration_open_on(received_on: date) -> InventoryDeclaration | None:
    """The declaration TRA accepts on `received_on` (None when none is open)."""
    return next((d for d in inventory_declarations() if d.is_open(received_on)), None)


def inventory_declaration_nearest(received_on: date) -> InventoryDeclaration:
    """The declaration to name when none is open: the latest whose window has opened, else the first."""
    opened = [d for d in inventory_declarations() if d.opens_on <= received_on]
    return opened[-1] if opened else inventory_declarations()[0]


# --- Service standards -----------------------------------------------------------------------------------

ITEM_RETURN = "return"
ITEM_CLAIM = "claim"


@dataclass(frozen=True)
class ServiceStandard:
    program: str
    item: str
    effective_from: date
    days: int
    source: str


def _parse_standards(path: Path) -> dict[tuple[str, str], tuple[ServiceStandard, ...]]:
    data = yaml.safe_load(path.read_text())
    try:
        references, standards = data["references"], data["standards"]
    except (KeyError, TypeError) as error:
        raise RuleDataError(f"{path.name}: missing {error}") from error
    result = {}
    for program, items in standards.items():
        for item, entries in items.items():
            where = f"{path.name}: {program}.{item}"
            if item not in (ITEM_RETURN, ITEM_CLAIM):
                raise RuleDataError(f"{where}: items are return or claim")
            rows = []
            for entry in entries:
                if entry.get("source") not in references:
                    raise RuleDataError(f"{where}: source {entry.get('source')!r} is not in references")
                days = entry.get("days")
                if not isinstance(days, int) or isinstance(days, bool) or days <= 0:
                    raise RuleDataError(f"{where}: days must be a positive whole number, got {days!r}")
                rows.append(
                    ServiceStandard(
                        program=program,
                        item=item,
                        effective_from=_date(entry.get("from"), where),
                        days=days,
                        source=references[entry["source"]],
                    )
                )
            dates = [row.effective_from for row in rows]
            if not rows or dates != sorted(dates) or len(set(dates)) != len(dates):
                raise RuleDataError(f"{where}: entries must be given, with strictly increasing dates")
            result[(program, item)] = tuple(rows)
    return result


@functools.cache
def service_standards() -> dict[tuple[str, str], tuple[ServiceStandard, ...]]:
    return _parse_standards(STANDARDS_FILE)


def service_standard_on(*, program: str, item: str, received_on: date) -> ServiceStandard | None:
    applicable = None
    for row in service_standards().get((program, item), ()):
        if row.effective_from > received_on:
            break
        applicable = row
    return applicable


def expected_processing_on(*, program: str, item: str, received_on: date) -> date | None:
    """The day TRA expects to have processed an item received on `received_on`: received + the standard's
    days (calendar days). None when the program has no standard for the item."""
    standard = service_standard_on(program=program, item=item, received_on=received_on)
    return None if standard is None else received_on + timedelta(days=standard.days)


def validate_all() -> None:
    """Read every rules file (start-up): a malformed file raises RuleDataError."""
    window_groups()
    inventory_declarations()
    service_standards()
