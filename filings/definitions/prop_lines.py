"""PROP rebate claims (Prescribed Rebate Off-road Percentages; Information Circulars TEFU-2R3 and PROP-1): what a
claim's period and lines accept, the rebate each line earns, and when the program's claims closed.

The data is filings/rules/prop.yaml (the percentages by industry sector, activity and vehicle category, each
dated and sourced; the program's end) and the fuel tax rates (programs/rates/fuel_tax.yaml). A claim covers a
period the claimant chooses: at most 12 months (PROP_PERIODS), ended by the day before the program's end,
never overlapping another PROP claim of the account (also guarded by the database's exclusion constraint
`claim_prop_periods_do_not_overlap`). A line: litres of one clear fuel consumed in the period in one
sector, activity and vehicle category;

    rebate = litres x the prescribed percentage x the fuel tax rate, rounded half up to the cent per line,

its refund per litre (`rate_value`) being the rate x the percentage (42% x $0.09/L = $0.0378/L). The
percentage and the rate must each be one value for the whole period (one in force on its first and its last
day, from the same entry); the claim window (filings/rules/claim_windows.yaml, `prop`) runs from the period's
first day, the oldest fuel it can hold.

The claim service (filings/claims.py) reaches these through filings/definitions/claim_lines.py, like every
kind of claim's lines.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml
from django.utils.translation import gettext_lazy as _

from filings import claim_rules
from filings.claim_rules import RULES_DIR, RuleDataError
from filings.definitions.claim_lines import (
    FUEL_TAX,
    RATE_NOT_ON_FILE,
    ClaimLineInput,
    ComputedClaimLine,
    KindWindow,
    LineRefused,
    _fuel_check,
    _parse_litres,
    _window_check,
)
from filings.definitions.claims import PROP_CLAIM
from filings.models import Claim
from filings.periods import Period
from filings.periods import _same_day_months_later as same_day_months_later
from programs import money
from programs.models import ProgramAccount
from programs.rates import RateNotFound, fuel_labels, rate_on

PROP_FILE = RULES_DIR / "prop.yaml"
PROP_PERIODS = PROP_CLAIM.periods
PROP_LABEL = _("PROP rebate claim")

# Error messages (tests assert on these constants).
PERIOD_REQUIRED = _("Enter the first and the last day of the claim period.")
PERIOD_END_BEFORE_START = _("The last day of the claim period cannot be before its first day.")
PERIOD_TOO_LONG = _(
    "A claim period covers at most 12 months: a period from %(start)s must end before %(limit)s."
)
PERIOD_IN_FUTURE = _("The claim period cannot end after today (%(today)s).")
PROP_ENDED = _(
    "The PROP rebate ended for fuel purchased or used after %(last_day)s (from 12:01 a.m. on %(ended)s): "
    "a claim period must end on or before %(last_day)s."
)
PERIOD_OVERLAPS = _(
    "This period overlaps claim %(confirmation)s of this account (%(start)s to %(end)s): choose a period "
    "that does not overlap another PROP claim."
)
SECTOR_REQUIRED = _("Choose the industry sector.")
ACTIVITY_REQUIRED = _("Choose the activity.")
VEHICLE_CATEGORY_REQUIRED = _("Choose the vehicle category.")
NO_PERCENTAGE = _(
    "No prescribed percentage is set for %(sector)s, %(activity)s, %(vehicle)s in a claim period from %(start)s "
    "to %(end)s, so it cannot be claimed under PROP (fuel without a prescribed percentage was claimed under "
    "the TEFU rebate, with a survey and consumption rates)."
)
PERCENTAGE_CHANGED = _(
    "The prescribed percentage for this activity changed on %(day)s, within the claim period: claim the days "
    "before and from %(day)s in claims of their own."
)
RATE_CHANGED = _(
    "The fuel tax rate on %(fuel)s changed on %(day)s, within the claim period: claim the days before and from "
    "%(day)s in claims of their own."
)
PROP_CLOSED = _(
    "PROP claims can no longer be filed, for two reasons. The PROP rebate ended for fuel purchased or used "
    "after %(last_day)s (from 12:01 a.m. on %(ended)s). And TRA must receive a claim %(rule)s: for the last "
    "fuel that could be claimed, bought on %(last_day)s, that was no later than %(receive_by)s."
)


@dataclass(frozen=True)
class Category:
    """A sector, an activity or a vehicle category of the data, with whether its name is verified."""

    code: str
    label: str
    verified: bool


@dataclass(frozen=True)
class Percentage:
    effective_from: date
    value: Decimal  # percent, e.g. 42
    source: str
    verified: bool


@dataclass(frozen=True)
class PropData:
    fuels: tuple[str, ...]
    ended: date  # no rebate for fuel purchased or used on or after this day
    sectors: dict[str, Category]
    activities: dict[str, Category]
    vehicle_categories: dict[str, Category]
    percentages: dict[tuple[str, str, str], tuple[Percentage, ...]]  # by (sector, activity, vehicle category)

    def percentage_on(
        self, *, sector: str, activity: str, vehicle_category: str, day: date
    ) -> Percentage | None:
        """The percentage in force on `day` (None: none set, not yet in force, or the program had ended)."""
        if day >= self.ended:
            return None
        applicable = None
        for row in self.percentages.get((sector, activity, vehicle_category), ()):
            if row.effective_from > day:
                break
            applicable = row
        return applicable


def _verified(item: dict[str, Any], where: str) -> bool:
    verified = item.get("verified", True)
    if not isinstance(verified, bool):
        raise RuleDataError(f"{where}: verified is true or false")
    return verified


def _categories(data: dict[str, Any], key: str, where: str) -> dict[str, Category]:
    items = data.get(key)
    if not isinstance(items, dict) or not items:
        raise RuleDataError(f"{where}: {key} must list at least one entry")
    return {
        code: Category(
            code=code, label=str(item["label"]), verified=_verified(item, f"{where}: {key}.{code}")
        )
        for code, item in items.items()
    }


def _percentages(
    item: dict[str, Any], references: dict[str, str], where: str, ended: date
) -> tuple[Percentage, ...]:
    rows = []
    for value in item.get("values") or []:
        effective = value.get("from")
        if not isinstance(effective, date) or effective >= ended:
            raise RuleDataError(f"{where}: 'from' must be a date before the program's end, got {effective!r}")
        if value.get("source") not in references:
            raise RuleDataError(f"{where} {effective}: source {value.get('source')!r} is not in references")
        try:
            percent = Decimal(value["value"]) if isinstance(value.get("value"), str) else None
        except InvalidOperation:
            percent = None
        if percent is None or not 0 < percent <= 100:
            raise RuleDataError(f"{where} {effective}: a percentage is a quoted number above 0, at most 100")
        rows.append(Percentage(effective, percent, references[value["source"]], _verified(value, where)))
    dates = [row.effective_from for row in rows]
    if not rows or dates != sorted(dates) or len(set(dates)) != len(dates):
        raise RuleDataError(f"{where}: values must be given, with strictly increasing dates")
    return tuple(rows)


def _parse(path: Path) -> PropData:
    data = yaml.safe_load(path.read_text())
    try:
        references, ended_item, fuels = data["references"], data["ended"], tuple(data["fuels"])
    except (KeyError, TypeError) as error:
        raise RuleDataError(f"{path.name}: missing {error}") from error
    ended = ended_item.get("from")
    if not isinstance(ended, date) or ended_item.get("source") not in references:
        raise RuleDataError(f"{path.name}: ended needs a date and a source in references")
    sectors = _categories(data, "sectors", path.name)
    activities = _categories(data, "activities", path.name)
    vehicle_categories = _categories(data, "vehicle_categories", path.name)
    percentages: dict[tuple[str, str, str], tuple[Percentage, ...]] = {}
    for item in data.get("percentages") or []:
        key = (item.get("sector"), item.get("activity"), item.get("vehicle_category"))
        where = f"{path.name}: {'/'.join(map(str, key))}"
        if key[0] not in sectors or key[1] not in activities or key[2] not in vehicle_categories:
            raise RuleDataError(f"{where}: sector, activity and vehicle category must be listed above")
        if key in percentages:
            raise RuleDataError(f"{where}: given twice")
        percentages[key] = _percentages(item, references, where, ended)
    return PropData(fuels, ended, sectors, activities, vehicle_categories, percentages)


@functools.cache
def prop_data() -> PropData:
    return _parse(PROP_FILE)


def category_label(line: ClaimLineInput | ComputedClaimLine | Any) -> str:
    """How pages name a PROP line's category (a line as typed, computed or stored): "Oil and gas · Hauling crude
    oil, LPG or production fluids · ..."; "" for a line of another kind of claim (no activity)."""
    if not line.activity:
        return ""
    data = prop_data()
    parts = [
        known[code].label if code in known else code
        for code, known in (
            (line.sector, data.sectors),
            (line.activity, data.activities),
            (line.vehicle_category, data.vehicle_categories),
        )
    ]
    return " · ".join(parts)


def prop_fuels() -> list[tuple[str, str]]:
    """(code, label) of the clear fuels a PROP line names."""
    labels = fuel_labels(tax=FUEL_TAX)
    return [(fuel, labels.get(fuel, fuel)) for fuel in prop_data().fuels]


# --- The claim period ---------------------------------------------------------------------------------------


def prop_period_errors(
    *, account: ProgramAccount, period: Period | None, today: date, excluding: int | None = None
) -> dict[str, str]:
    """What is wrong with a PROP claim's period, by the field it is about ({} when nothing): given, at most 12
    months, ended by the program's last day and by today, overlapping no other PROP claim of the account
    (`excluding`: the claim being assessed, which overlaps itself)."""
    if period is None:
        return {"period_start": str(PERIOD_REQUIRED)}
    assert PROP_PERIODS is not None
    try:
        PROP_PERIODS.check(period)
    except ValueError:
        limit = same_day_months_later(period.start, 12)
        return {
            "period_end": str(
                PERIOD_TOO_LONG % {"start": period.start.isoformat(), "limit": limit.isoformat()}
            )
        }
    ended = prop_data().ended
    if period.end >= ended:
        last_day = ended - timedelta(days=1)
        return {
            "period_end": str(PROP_ENDED % {"last_day": last_day.isoformat(), "ended": ended.isoformat()})
        }
    if period.end > today:
        return {"period_end": str(PERIOD_IN_FUTURE % {"today": today.isoformat()})}
    others = Claim.objects.filter(
        account=account, kind=Claim.Kind.PROP, period_start__lte=period.end, period_end__gte=period.start
    )
    if excluding is not None:
        others = others.exclude(pk=excluding)
    other = others.order_by("period_start").first()
    if other is not None:
        assert other.period_start is not None
        assert other.period_end is not None
        return {
            "period_start": str(
                PERIOD_OVERLAPS
                % {
                    "confirmation": other.confirmation_number,
                    "start": other.period_start.isoformat(),
                    "end": other.period_end.isoformat(),
                }
            )
        }
    return {}


# --- A line -------------------------------------------------------------------------------------------------


def _category_check(line: ClaimLineInput, data: PropData) -> tuple[str, str, str]:
    """The labels of the line's sector, activity and vehicle category; LineRefused beside the first missing."""
    for field_name, code, known, message in (
        ("sector", line.sector, data.sectors, SECTOR_REQUIRED),
        ("activity", line.activity, data.activities, ACTIVITY_REQUIRED),
        ("vehicle_category", line.vehicle_category, data.vehicle_categories, VEHICLE_CATEGORY_REQUIRED),
    ):
        if code not in known:
            raise LineRefused(field_name, str(message))
    return (
        data.sectors[line.sector].label,
        data.activities[line.activity].label,
        data.vehicle_categories[line.vehicle_category].label,
    )


def prop_line(line: ClaimLineInput, *, period: Period, today: date) -> ComputedClaimLine:
    """One PROP line computed for `period` (already checked by prop_period_errors); raises LineRefused."""
    data = prop_data()
    sector, activity, vehicle = _category_check(line, data)
    fuel_name = _fuel_check(line, fuels=dict(prop_fuels()))
    litres = _parse_litres(line.litres)
    category = {"sector": line.sector, "activity": line.activity, "vehicle_category": line.vehicle_category}
    first = data.percentage_on(**category, day=period.start)
    last = data.percentage_on(**category, day=period.end)
    if first is None or last is None:
        raise LineRefused(
            "activity",
            str(
                NO_PERCENTAGE
                % {
                    "sector": sector,
                    "activity": activity,
                    "vehicle": vehicle,
                    "start": period.start.isoformat(),
                    "end": period.end.isoformat(),
                }
            ),
        )
    if first != last:
        raise LineRefused("activity", str(PERCENTAGE_CHANGED % {"day": last.effective_from.isoformat()}))
    try:
        rate = rate_on(fuel=line.fuel, day=period.start, tax=FUEL_TAX)
        rate_at_end = rate_on(fuel=line.fuel, day=period.end, tax=FUEL_TAX)
    except RateNotFound as error:
        raise LineRefused(
            "fuel", str(RATE_NOT_ON_FILE % {"fuel": fuel_name, "day": period.start.isoformat()})
        ) from error
    if rate != rate_at_end:
        raise LineRefused(
            "fuel", str(RATE_CHANGED % {"fuel": fuel_name, "day": rate_at_end.effective_from.isoformat()})
        )
    assert rate.value, "PROP ended before any zero fuel tax rate"
    per_litre = rate.value * first.value / 100
    deadline = _window_check(
        reason=claim_rules.prop_reason(),
        label=str(PROP_LABEL),
        purchase=period.start,
        event=None,
        today=today,
    )
    return ComputedClaimLine(
        tax=FUEL_TAX,
        reason="",
        fuel=line.fuel,
        rebranded_to="",
        purchase_date=period.start,
        event_date=None,
        document_number=line.document_number.strip(),
        litres=litres,
        rate_value=per_litre,
        rate_effective_from=max(rate.effective_from, first.effective_from),
        refund=money.line_tax(litres=litres, rate=per_litre),
        deadline=deadline,
        sector=line.sector,
        activity=line.activity,
        vehicle_category=line.vehicle_category,
        percentage=first.value,
        percentage_from=first.effective_from,
    )


def prop_kind_window(*, today: date) -> KindWindow:
    """Whether a PROP claim can be filed on `today`: closed once no fuel bought before the program's end can be
    within the claim window in force today, with both reasons in the refusal."""
    reason = claim_rules.prop_reason()
    window = reason.window_on(today)
    ended = prop_data().ended
    last_day = ended - timedelta(days=1)
    if window is None:  # before the first window: nothing could be claimed yet
        return KindWindow(kind=Claim.Kind.PROP)
    receive_by = window.deadline(last_day)
    if today <= receive_by:
        return KindWindow(kind=Claim.Kind.PROP)
    message = PROP_CLOSED % {
        "last_day": last_day.isoformat(),
        "ended": ended.isoformat(),
        "rule": window.describe(anchor_text=reason.anchor_text(window)),
        "receive_by": receive_by.isoformat(),
    }
    return KindWindow(kind=Claim.Kind.PROP, message=str(message), receive_by=receive_by)
