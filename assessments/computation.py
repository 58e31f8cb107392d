"""What an assessment computes: every line of a return recomputed from the dated rates, compared with what was
reported, and the assessment tolerance applied. Pure: reads the return and the rate and rule data, writes
nothing (the admin queue shows it, the automatic job uses it to find clean returns, the service stores it).

- Each line: `cents(litres x rate)` with the rate in force on the first day of the period (fuel tax rates change
  on the first of a month: programs/rates/fuel_tax.yaml, as filings.tax does for the return), rounded per line
  by programs.money; $0.00 on a tax-out line and where no tax was in force. The rate applied is copied (value,
  effective date and source) into the assessment line.
- Staff may assess other litres than reported (an audit finding, an objection varied): `adjustments` maps
  (fuel, category) to the litres assessed; a line the return did not report is added.
- Tolerance (assessments/rules/assessment.yaml, `assessment_tolerance`, by the period end): when the
  recomputed tax differs from the reported tax by the tolerance or less, the difference is neither collected
  nor refunded: the tax assessed is the tax reported. Beyond it, the tax assessed is the recomputed tax
  (assessments.skeleton.Comparison, the one comparison every program's assessment makes).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from assessments import rules
from assessments.skeleton import Comparison
from filings.models import FuelTaxReturn
from filings.periods import Period
from filings.tax import TAX, LineCategory, is_allowed
from programs import money
from programs.rates import Rate, RateNotFound, fuel_labels, rate_on

ZERO = money.cents(Decimal(0))

RATE_MISSING = _(
    "No fuel tax rate is on file for %(fuel)s in %(period)s: the return cannot be assessed until one is."
)
ADJUSTMENT_NOT_ALLOWED = _("%(fuel)s cannot be assessed as “%(category)s”.")

REASON_LITRES = "Litres adjusted from {reported} L to {assessed} L."
REASON_RATE = "Rate in force for {period}: ${rate}/L from {since}; the return applied {reported}."
REASON_NOT_IN_FORCE = "No tax was in force on {fuel} in {period}."
REASON_TAX_OUT = "No tax is payable on litres reported as “{category}”."
REASON_ARITHMETIC = "{litres} L x ${rate}/L = {tax}, rounded to the cent; the return reported {reported}."


@dataclass(frozen=True)
class LineResult:
    fuel: str
    category: str
    litres_reported: Decimal
    litres_assessed: Decimal
    rate: Rate
    tax_reported: Decimal
    tax_assessed: Decimal
    reason: str

    @property
    def difference(self) -> Decimal:
        return self.tax_assessed - self.tax_reported

    @property
    def fuel_label(self) -> str:
        return fuel_labels(tax=TAX).get(self.fuel, self.fuel)

    @property
    def category_label(self) -> str:
        return (
            str(LineCategory(self.category).label) if self.category in LineCategory.values else self.category
        )


@dataclass(frozen=True)
class ReturnComparison(Comparison):
    """A return's names for the comparison's figures (every program's return: a fuel tax return, a tourism levy
    return, assessments/tourism_levy.py)."""

    @property
    def reported_tax(self) -> Decimal:
        return self.filed

    @property
    def recomputed_tax(self) -> Decimal:
        return self.recomputed

    @property
    def assessed_tax(self) -> Decimal:
        return self.assessed


@dataclass(frozen=True)
class Recomputation(ReturnComparison):
    """A return recomputed: the tax reported (`filed`) against the tax recomputed from its lines, with the
    tolerance of its period end (assessments.skeleton.Comparison decides which stands)."""

    period: Period
    lines: tuple[LineResult, ...]
    adjusted: bool

    @property
    def is_clean(self) -> bool:
        """Nothing to look at: every line recomputes to what was reported and no litres were adjusted (the
        automatic job assesses these; staff assess the others)."""
        return not self.adjusted and self.difference == 0 and all(line.difference == 0 for line in self.lines)


def _format_rate(value: Decimal | None) -> str:
    return "no rate" if value is None else f"${value.normalize():f}/L"


def _line(
    *, period: Period, fuel: str, category: str, litres_reported: Decimal, litres_assessed: Decimal,
    reported_rate: Decimal | None, tax_reported: Decimal,
) -> LineResult:  # fmt: skip
    label = fuel_labels(tax=TAX).get(fuel, fuel)
    try:
        rate = rate_on(fuel=fuel, day=period.start, tax=TAX)
    except RateNotFound as error:
        raise ValidationError(
            RATE_MISSING % {"fuel": label, "period": period.label}, code="rate_missing"
        ) from error
    taxable = category == LineCategory.TAXABLE
    if taxable and rate.value is not None:
        tax = money.line_tax(litres=litres_assessed, rate=rate.value)
    else:
        tax = ZERO
    reasons = []
    if litres_assessed != litres_reported:
        reasons.append(
            REASON_LITRES.format(
                reported=money.format_litres(litres_reported), assessed=money.format_litres(litres_assessed)
            )
        )
    if tax != tax_reported:
        if not taxable:
            reasons.append(REASON_TAX_OUT.format(category=LineCategory(category).label))
        elif rate.value is None:
            reasons.append(REASON_NOT_IN_FORCE.format(fuel=label, period=period.label))
        elif reported_rate != rate.value and litres_assessed == litres_reported:
            reasons.append(
                REASON_RATE.format(
                    period=period.label,
                    rate=rate.value.normalize(),
                    since=rate.effective_from.isoformat(),
                    reported=_format_rate(reported_rate),
                )
            )
        elif litres_assessed == litres_reported:
            reasons.append(
                REASON_ARITHMETIC.format(
                    litres=money.format_litres(litres_assessed),
                    rate=rate.value.normalize(),
                    tax=money.format_money(tax),
                    reported=money.format_money(tax_reported),
                )
            )
    return LineResult(
        fuel=fuel,
        category=category,
        litres_reported=litres_reported,
        litres_assessed=litres_assessed,
        rate=rate,
        tax_reported=tax_reported,
        tax_assessed=tax,
        reason=" ".join(reasons),
    )


def recompute(
    *, tax_return: FuelTaxReturn, adjustments: Mapping[tuple[str, str], Decimal | str] | None = None
) -> Recomputation:
    """Recompute `tax_return` (its lines as reported, or as adjusted by staff). Raises ValidationError when a
    rate is missing or an adjustment names a fuel and category that do not go together."""
    period = Period(tax_return.period_start)
    adjusted: dict[tuple[str, str], Decimal] = {}
    for (fuel, category), litres in (adjustments or {}).items():
        if not is_allowed(fuel, category):
            raise ValidationError(
                ADJUSTMENT_NOT_ALLOWED % {"fuel": fuel, "category": category}, code="adjustment_not_allowed"
            )
        try:
            adjusted[(fuel, category)] = money.parse_litres(litres)
        except money.AmountError as error:
            raise ValidationError(str(error), code="adjustment_litres") from error
    results = []
    seen = set()
    for line in tax_return.lines.all():
        key = (line.fuel, line.category)
        seen.add(key)
        results.append(
            _line(
                period=period,
                fuel=line.fuel,
                category=line.category,
                litres_reported=line.litres,
                litres_assessed=adjusted.get(key, line.litres),
                reported_rate=line.rate_value,
                tax_reported=line.tax,
            )
        )
    for (fuel, category), litres in adjusted.items():
        if (fuel, category) in seen:
            continue
        results.append(
            _line(
                period=period,
                fuel=fuel,
                category=category,
                litres_reported=Decimal("0.000"),
                litres_assessed=litres,
                reported_rate=None,
                tax_reported=ZERO,
            )
        )
    recomputed = sum((line.tax_assessed for line in results), start=ZERO)
    return Recomputation(
        filed=tax_return.total_tax,
        recomputed=recomputed,
        tolerance=rules.rule_on(rule=rules.ASSESSMENT_TOLERANCE, day=period.end),
        period=period,
        lines=tuple(results),
        adjusted=any(line.litres_assessed != line.litres_reported for line in results),
    )
