"""What a dye site's two monthly reports compute, and their dated rules of time
(filings/rules/dye_site_reports.yaml): the Dye Stock Report (AT4984) and Litres Dyed during the Month (AT366),
one of each per dye site (programs.models.DyeSite) and month (seed 002, "Eligibility to dye fuel").

- **Dye Stock Report**: the site's dye concentrate in litres: opening inventory + received - used + adjustments
  (a loss or a gain found on a count, with its reason) = the computed closing inventory, which must be the
  closing inventory the site reports (a report that does not add up is refused beside its closing box).
- **Litres Dyed during the Month**: the litres of clear fuel dyed, by fuel (diesel, gasoline), and the dye
  concentrate used to dye them; the concentrate used is compared with the Dye Stock Report of the same site and
  month when one is filed: a difference is shown on the review and kept on the report for TRA, not refused
  (docs/adr/0025-dye-site-reports.md: the two forms are filed apart, in either order, and either may be amended).

Computed once, here, for the web form, its review and the service (filings/services_dye_sites.py).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from django.db import models
from django.utils.translation import gettext_lazy as _

from filings.periods import DueDateRule, Period
from filings.sales import report_rules
from programs import money

RULES_FILE = Path(__file__).resolve().parent / "rules" / "dye_site_reports.yaml"

# The forms' field names, where each refusal is shown.
OPENING = "opening"
RECEIVED = "received"
USED = "used"
ADJUSTMENT = "adjustment"
ADJUSTMENT_REASON = "adjustment_reason"
CLOSING = "closing"
CONCENTRATE_USED = "concentrate_used"
REASON_MAX = 300

ADJUSTMENT_REASON_REQUIRED = _(
    "Say why the inventory was adjusted (a loss, a spill, a count that differed): an adjustment needs its reason."
)
REASON_WITHOUT_ADJUSTMENT = _("Enter the adjustment in litres, or leave its reason empty.")
REASON_TOO_LONG = _("Keep the reason to %(max)d characters.")
CLOSING_NEGATIVE = _(
    "Opening %(opening)s L + received %(received)s L − used %(used)s L + adjustments %(adjustment)s L leaves "
    "%(computed)s L: more concentrate was used than the site had. Check the figures."
)
CLOSING_DOES_NOT_ADD_UP = _(
    "The closing inventory reported (%(closing)s L) does not add up: opening %(opening)s L + received "
    "%(received)s L − used %(used)s L + adjustments %(adjustment)s L = %(computed)s L. Correct the figures, or "
    "report the difference as an adjustment with its reason."
)
CONCENTRATE_REQUIRED = _("Litres were dyed: enter the dye concentrate used to dye them, in litres.")
NOTHING_DYED = _(
    "Dye concentrate was used but no litres dyed are reported: enter the litres of diesel or gasoline dyed."
)


class DyedFuel(models.TextChoices):
    """The clear fuels a site dyes (seed 002: "diesel or gasoline fuel coloured ... of red dye")."""

    DIESEL = "diesel", _("Diesel")
    GASOLINE = "gasoline", _("Gasoline")


@functools.cache
def rules() -> report_rules.ReportRules:
    """The reports' due dates and late penalty, as dated data (the marked-fuel report's file format)."""
    return report_rules.parse(RULES_FILE)


def due_rule(period: Period) -> DueDateRule:
    """The due-date rule in force for `period` (by its last day); the earliest one for a period before it."""
    entry = next((e for e in reversed(rules().due) if e.effective_from <= period.end), rules().due[0])
    return entry.rule


def due_on(period: Period) -> date:
    """The day a site's reports of `period` are due: June 2026 -> Tuesday 2026-07-28; July 2026 -> the 28th of
    August is a Friday -> 2026-08-28; August 2026 -> Monday 2026-09-28 (the 28th, moved off a weekend or
    holiday)."""
    return due_rule(period).due_on(period)


class DyeFiguresError(ValueError):
    """Figures that cannot be taken; `errors` maps each of the form's fields to its message."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(errors.values()))


def _litres(
    raw: Mapping[str, object], errors: dict[str, str], *, signed: tuple[str, ...] = ()
) -> dict[str, Decimal]:
    """Each figure of `raw` read as litres (empty: none); a refusal by field into `errors`."""
    read: dict[str, Decimal] = {}
    for field, value in raw.items():
        try:
            if field in signed:
                read[field] = money.parse_decimal(
                    value, places=money.LITRE_DECIMAL_PLACES, maximum=money.MAX_LITRES, allow_negative=True
                )
            else:
                read[field] = money.parse_litres(value)
        except money.AmountError as error:
            errors[field] = str(error)
    return read


# --- The Dye Stock Report (AT4984) -------------------------------------------------------------------------


@dataclass(frozen=True)
class StockInput:
    """The report's figures as typed (text or Decimals): litres of dye concentrate."""

    opening: Decimal | str
    received: Decimal | str
    used: Decimal | str
    closing: Decimal | str
    adjustment: Decimal | str = ""
    adjustment_reason: str = ""


@dataclass(frozen=True)
class StockComputation:
    period: Period
    opening: Decimal
    received: Decimal
    used: Decimal
    adjustment: Decimal  # a gain (+) or a loss (-) found on the site's count
    adjustment_reason: str
    closing_computed: Decimal
    closing_reported: Decimal

    @property
    def is_nil(self) -> bool:
        """Nothing held, received or used: a nil report."""
        return not (self.opening or self.received or self.used or self.adjustment or self.closing_reported)


def stock_compute(*, period: Period, stock: StockInput) -> StockComputation:
    """The Dye Stock Report of `period`; DyeFiguresError with every refusal, by field.

    Opening 1,200 L + received 800 L − used 950 L + adjustment −15 L (a spill) = 1,035 L computed; a closing of
    1,035 L reported is taken, 1,050 L is refused beside the closing box."""
    errors: dict[str, str] = {}
    figures = _litres(
        {
            OPENING: stock.opening,
            RECEIVED: stock.received,
            USED: stock.used,
            ADJUSTMENT: stock.adjustment,
            CLOSING: stock.closing,
        },
        errors,
        signed=(ADJUSTMENT,),
    )
    reason = (stock.adjustment_reason or "").strip()
    if len(reason) > REASON_MAX:
        errors[ADJUSTMENT_REASON] = str(REASON_TOO_LONG % {"max": REASON_MAX})
    elif figures.get(ADJUSTMENT) and not reason:
        errors[ADJUSTMENT_REASON] = str(ADJUSTMENT_REASON_REQUIRED)
    elif ADJUSTMENT in figures and not figures[ADJUSTMENT] and reason:
        errors[ADJUSTMENT] = str(REASON_WITHOUT_ADJUSTMENT)
    if errors:
        raise DyeFiguresError(errors)
    computed = figures[OPENING] + figures[RECEIVED] - figures[USED] + figures[ADJUSTMENT]
    facts = {
        "opening": money.format_litres(figures[OPENING]),
        "received": money.format_litres(figures[RECEIVED]),
        "used": money.format_litres(figures[USED]),
        "adjustment": money.format_litres(figures[ADJUSTMENT]),
        "computed": money.format_litres(computed),
        "closing": money.format_litres(figures[CLOSING]),
    }
    if computed < 0:
        raise DyeFiguresError({USED: str(CLOSING_NEGATIVE % facts)})
    if computed != figures[CLOSING]:
        raise DyeFiguresError({CLOSING: str(CLOSING_DOES_NOT_ADD_UP % facts)})
    return StockComputation(
        period=period,
        opening=figures[OPENING],
        received=figures[RECEIVED],
        used=figures[USED],
        adjustment=figures[ADJUSTMENT],
        adjustment_reason=reason,
        closing_computed=computed,
        closing_reported=figures[CLOSING],
    )


# --- Litres Dyed during the Month (AT366) ------------------------------------------------------------------


@dataclass(frozen=True)
class DyedInput:
    """The report's figures as typed: litres of clear fuel dyed by fuel (DyedFuel value -> litres), and the
    dye concentrate used."""

    litres: Mapping[str, Decimal | str]
    concentrate_used: Decimal | str


@dataclass(frozen=True)
class DyedLine:
    fuel: str
    litres: Decimal

    @property
    def label(self) -> str:
        return str(DyedFuel(self.fuel).label)


@dataclass(frozen=True)
class DyedComputation:
    period: Period
    lines: tuple[DyedLine, ...]  # every fuel, in DyedFuel's order
    litres_total: Decimal
    concentrate_used: Decimal
    # The concentrate used on the Dye Stock Report of the same site and month (its latest version), when filed.
    stock_report_used: Decimal | None

    @property
    def fuel_lines(self) -> tuple[DyedLine, ...]:
        return self.lines

    @property
    def is_nil(self) -> bool:
        return not (self.litres_total or self.concentrate_used)

    @property
    def concentrate_difference(self) -> Decimal | None:
        """This report's concentrate used less the Dye Stock Report's (None: no stock report to compare)."""
        if self.stock_report_used is None:
            return None
        return self.concentrate_used - self.stock_report_used


def dyed_compute(*, period: Period, dyed: DyedInput, stock_report_used: Decimal | None) -> DyedComputation:
    """Litres Dyed during the Month of `period`; DyeFiguresError with every refusal, by field.

    Diesel 400,000 L + gasoline 150,000 L = 550,000 L dyed with 950 L of concentrate; the Dye Stock Report of the
    month says 950 L used: no difference; it says 900 L: a difference of 50 L, shown and kept."""
    errors: dict[str, str] = {}
    raw: dict[str, object] = {fuel: dyed.litres.get(fuel, "") for fuel in DyedFuel.values}
    raw[CONCENTRATE_USED] = dyed.concentrate_used
    figures = _litres(raw, errors)
    if errors:
        raise DyeFiguresError(errors)
    lines = tuple(DyedLine(fuel=fuel, litres=figures[fuel]) for fuel in DyedFuel.values)
    total = sum((line.litres for line in lines), start=Decimal("0.000"))
    concentrate = figures[CONCENTRATE_USED]
    if total and not concentrate:
        raise DyeFiguresError({CONCENTRATE_USED: str(CONCENTRATE_REQUIRED)})
    if concentrate and not total:
        raise DyeFiguresError({DyedFuel.DIESEL.value: str(NOTHING_DYED)})
    return DyedComputation(
        period=period,
        lines=lines,
        litres_total=total,
        concentrate_used=concentrate,
        stock_report_used=stock_report_used,
    )
