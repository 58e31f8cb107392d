"""What assessing a tourism levy return computes: its figures recomputed by the levy's own computation
(filings/tourism_levy.py `levy_compute`, the one the form, the review and the service call), with the rate in
force on the period's first day, compared with the amount payable it reported within the assessment tolerance
of its period end (assessments.skeleton.Comparison). Pure: reads the return and the dated data, writes nothing.

Staff may assess other figures than reported (an audit finding): `adjustments` maps a figure of the return's
form (`gross_revenue`, `exempt_<reason>`, `levy_collected`, `levy_collected_abated`) to the amount assessed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError

from assessments import rules
from assessments.computation import ReturnComparison
from filings import tourism_levy
from filings.models import TourismLevyReturn
from filings.periods import Period


@dataclass(frozen=True)
class LevyRecomputation(ReturnComparison):
    """A tourism levy return recomputed: the amount payable reported (`filed`) against the one recomputed."""

    period: Period
    figures: tourism_levy.LevyComputation
    adjusted: bool
    lines: tuple[()] = ()  # the levy has no lines by fuel: its figures are `figures`

    @property
    def is_clean(self) -> bool:
        """Nothing to look at: the figures as reported recompute to the amount payable reported."""
        return not self.adjusted and self.difference == 0


def levy_input_of(tax_return: TourismLevyReturn) -> tourism_levy.LevyInput:
    """The figures the return was filed with, as the computation takes them."""
    return tourism_levy.LevyInput(
        gross_revenue=tax_return.gross_revenue,
        exempt={line.reason: line.amount for line in tax_return.lines.all()},
        levy_collected=tax_return.levy_collected,
        levy_collected_abated=tax_return.levy_kept,
    )


def recompute(
    *, tax_return: TourismLevyReturn, adjustments: Mapping[str, Decimal | str] | None = None
) -> LevyRecomputation:
    """Recompute `tax_return` (as reported, or with the figures staff assess). ValidationError, by the
    computation's words, when the figures cannot be computed (no rate on file, exempt above the revenue).

    $10,000.00 taxable, nothing exempt, $400.00 reported payable -> recomputed 4% x $10,000.00 = $400.00:
    clean. Staff assess gross revenue of $12,000.00 -> $480.00, a difference of $80.00, beyond the $20.00
    tolerance: $480.00 assessed."""
    levy_input = levy_input_of(tax_return)
    changes = dict(adjustments or {})
    if changes:
        exempt = dict(levy_input.exempt)
        for field, amount in changes.items():
            if field.startswith(tourism_levy.EXEMPT_PREFIX):
                exempt[field.removeprefix(tourism_levy.EXEMPT_PREFIX)] = amount
        levy_input = tourism_levy.LevyInput(
            gross_revenue=changes.get(tourism_levy.GROSS_REVENUE, levy_input.gross_revenue),
            exempt=exempt,
            levy_collected=changes.get(tourism_levy.LEVY_COLLECTED, levy_input.levy_collected),
            levy_collected_abated=changes.get(tourism_levy.LEVY_KEPT, levy_input.levy_collected_abated),
        )
    try:
        figures = tourism_levy.levy_compute(period=tax_return.period, levy_input=levy_input)
    except tourism_levy.LevyError as error:
        raise ValidationError(list(error.errors.values()), code="levy_figures") from error
    return LevyRecomputation(
        filed=tax_return.amount_payable,
        recomputed=figures.amount_payable,
        tolerance=rules.rule_on(rule=rules.ASSESSMENT_TOLERANCE, day=tax_return.period_end),
        period=tax_return.period,
        figures=figures,
        adjusted=bool(changes),
    )
