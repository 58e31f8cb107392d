"""What a fuel tax return computes: the lines (fuel type x category) and the tax on each.

Categories are the volumes a remitter reports: **taxable** volumes and each **allowable tax-out transaction**
of the fuel tax seed page ("Allowable tax-out transactions": no Alberta fuel tax is payable when ...). Each
category applies only to the fuels the seed page names for it; the form shows exactly those boxes.
Not here yet, because no rate in programs/rates/fuel_tax.yaml covers their fuels: bunker fuel, kerosene,
methanol and condensate sold for non-motive use, and renewable fuel sold to a renewable fuel producer. They
join when their fuels get a rate entry.

Tax is computed once, here, for the web form, the live totals and the service alike: for taxable lines
`cents(litres x rate)` with the rate in force **on the first day of the period** (fuel tax rates change on
the first of a month, DOMAIN.md "Rates"), rounded per line (programs.money), and $0.00 for tax-out lines.
Every line copies the rate (value and effective date) that applied, so a filed return never changes when a
rate does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from filings.periods import Period
from programs import money
from programs.rates import RateNotFound, fuel_labels, rate_on

TAX = "fuel_tax"

RATE_NOT_ON_FILE = _(
    "No fuel tax rate is on file for %(fuel)s in %(period)s. Contact TRA to file this return."
)
RATE_NOT_IN_FORCE = _(
    "Fuel tax on %(fuel)s was not in force in %(period)s; report these litres under a tax-out category or contact TRA."
)
UNKNOWN_LINE = _("%(fuel)s cannot be reported as “%(category)s”.")
DUPLICATE_LINE = _("%(fuel)s, “%(category)s” is reported more than once.")


class LineCategory(models.TextChoices):
    TAXABLE = "taxable", _("Taxable sales and removals")
    FDR_TO_FDR = "fdr_to_fdr", _("Sold to another full direct remitter (FDR)")
    IMPORT_FOR_FDR = "import_for_fdr", _("Imported for delivery to an FDR's terminal or refinery")
    EXEMPT_CONSUMER = "exempt_consumer", _("Sold to an exempt consumer with evidence of eligibility (FT-4)")
    RAILWAY = "railway", _("Sold to a registered railway for use in a locomotive")
    EXPORT_BULK = "export_bulk", _("Sold for direct export from Alberta in bulk (FT-11)")
    ON_RESERVE = "on_reserve", _("Sold to an eligible consumer on reserve (AITE)")
    FOREIGN_CARRIER = (
        "foreign_carrier",
        _("Sold to a foreign commercial carrier on an international flight from Alberta"),
    )


ROAD_FUELS = ("clear_gasoline", "clear_diesel", "marked_gasoline", "marked_diesel")
AVIATION_FUELS = ("aviation_gasoline", "aviation_jet_fuel")

# Which tax-out categories apply to which fuels (fuel tax seed page, "Allowable tax-out transactions";
# "FDRs may also sell marked fuel to another FDR exempt from fuel tax"). None: every fuel.
_APPLIES_TO: dict[str, tuple[str, ...] | None] = {
    LineCategory.TAXABLE: None,
    LineCategory.FDR_TO_FDR: None,
    LineCategory.IMPORT_FOR_FDR: None,
    # "Clear gasoline, clear diesel, propane, or aviation fuel is sold to a consumer eligible to purchase fuel
    # exempt from tax if the purchaser provides evidence of eligibility."
    LineCategory.EXEMPT_CONSUMER: ("clear_gasoline", "clear_diesel", "propane", *AVIATION_FUELS),
    # "Locomotive fuel is sold to a registered railway for use in a railway locomotive."
    LineCategory.RAILWAY: ("locomotive_fuel",),
    LineCategory.EXPORT_BULK: None,
    # "Fuel is sold to an eligible consumer on reserve in Alberta" (AITE covers motive fuel and propane).
    LineCategory.ON_RESERVE: (*ROAD_FUELS, "propane"),
    # "Foreign commercial carriers on international flights originating in Alberta are exempt."
    LineCategory.FOREIGN_CARRIER: AVIATION_FUELS,
}


def fuels() -> list[tuple[str, str]]:
    """(code, label) of every fuel with a fuel tax rate, in the order of programs/rates/fuel_tax.yaml."""
    return list(fuel_labels(tax=TAX).items())


def categories_for(fuel: str) -> list[LineCategory]:
    return [
        category
        for category in LineCategory
        if _APPLIES_TO[category] is None or fuel in _APPLIES_TO[category]
    ]


def line_kinds() -> list[tuple[str, LineCategory]]:
    """Every (fuel, category) a return may report, in form order: by fuel, taxable first."""
    return [(fuel, category) for fuel, _label in fuels() for category in categories_for(fuel)]


def is_allowed(fuel: str, category: str) -> bool:
    return (
        category in LineCategory.values
        and fuel in fuel_labels(tax=TAX)
        and LineCategory(category) in categories_for(fuel)
    )


@dataclass(frozen=True)
class LineInput:
    """One line as submitted: litres as a Decimal or as the text typed or uploaded (parsed by programs.money)."""

    fuel: str
    category: str
    litres: Decimal | str


@dataclass(frozen=True)
class ComputedLine:
    fuel: str
    category: str
    litres: Decimal
    rate_value: Decimal | None  # dollars per litre; None: the tax was not in force
    rate_effective_from: date
    tax: Decimal

    @property
    def is_taxable(self) -> bool:
        return self.category == LineCategory.TAXABLE

    @property
    def fuel_label(self) -> str:
        return fuel_labels(tax=TAX).get(self.fuel, self.fuel)

    @property
    def category_label(self) -> str:
        return str(LineCategory(self.category).label)


@dataclass(frozen=True)
class Computation:
    period_start: date
    lines: tuple[ComputedLine, ...]
    total: Decimal

    @property
    def is_nil(self) -> bool:
        return not self.lines


class LineError(ValueError):
    """A line that cannot be computed; `key` is `fuel__category`, for the form field."""

    def __init__(self, key: str, message: str):
        self.key = key
        self.message = message
        super().__init__(message)


def field_key(fuel: str, category: str) -> str:
    return f"{fuel}__{category}"


def return_compute(*, period_start: date, lines: Iterable[LineInput]) -> Computation:
    """The lines and total of a return for the period starting `period_start`, lines in form order.

    Lines with zero litres are dropped (an empty return is a nil return). Raises LineError for a fuel and
    category that do not go together, negative or over-precise litres, or a rate missing for the period."""
    label = Period.of(period_start).label
    computed = []
    for line in lines:
        key = field_key(line.fuel, line.category)
        if not is_allowed(line.fuel, line.category):
            raise LineError(key, str(UNKNOWN_LINE % {"fuel": line.fuel, "category": line.category}))
        try:
            litres = money.parse_litres(line.litres)
        except money.AmountError as error:
            raise LineError(key, str(error)) from error
        if litres == 0:
            continue
        fuel_name = fuel_labels(tax=TAX)[line.fuel]
        try:
            rate = rate_on(fuel=line.fuel, day=period_start, tax=TAX)
        except RateNotFound as error:
            raise LineError(key, str(RATE_NOT_ON_FILE % {"fuel": fuel_name, "period": label})) from error
        taxable = line.category == LineCategory.TAXABLE
        if taxable and rate.value is None:
            raise LineError(key, str(RATE_NOT_IN_FORCE % {"fuel": fuel_name, "period": label}))
        tax = (
            money.line_tax(litres=litres, rate=rate.value)
            if taxable and rate.value is not None
            else money.cents(Decimal(0))
        )
        computed.append(
            ComputedLine(
                fuel=line.fuel,
                category=line.category,
                litres=litres,
                rate_value=rate.value,
                rate_effective_from=rate.effective_from,
                tax=tax,
            )
        )
    keys = [field_key(line.fuel, line.category) for line in computed]
    duplicates = {key for key in keys if keys.count(key) > 1}
    if duplicates:
        key = sorted(duplicates)[0]
        fuel, category = key.split("__")
        raise LineError(key, str(DUPLICATE_LINE % {"fuel": fuel, "category": category}))
    # One order whatever the front door (web form, XML, API): the form's, by fuel then category.
    order = {field_key(fuel, category): index for index, (fuel, category) in enumerate(line_kinds())}
    computed.sort(key=lambda line: order[field_key(line.fuel, line.category)])
    total = sum((line.tax for line in computed), start=money.cents(Decimal(0)))
    return Computation(period_start=period_start, lines=tuple(computed), total=total)
