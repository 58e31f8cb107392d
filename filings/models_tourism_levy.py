"""Tourism levy returns (AT317), one per establishment (its own account) and collection period, a month or a
calendar quarter. Registered with the app by filings/models.py, which imports it (callers name it as
filings.models.TourismLevyReturn).

Like a fuel tax return and a marked-fuel report, a PeriodFiling (filings/skeleton/models.py): one original per
account and period (a conditional unique constraint), amendments are new versions linked to it, never changed by
the filer. Its figures are the computation's
(filings/tourism_levy.py), with the rate it applied copied in, so a filed return never changes when a rate or
a rule does; the database checks that they add up.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from filings.periods import Period, PeriodKind
from filings.skeleton.models import PeriodFiling, period_filing_constraints
from filings.tourism_levy import LevyFigures, payable_by, rules
from programs.models import ProgramAccount


def _money(label: str, **kwargs: object) -> models.DecimalField:
    return models.DecimalField(_(label), max_digits=16, decimal_places=2, **kwargs)  # type: ignore[arg-type]


class TourismLevyReturn(LevyFigures, PeriodFiling):
    """One version of an establishment's tourism levy return for a month or a quarter: a PeriodFiling (the
    period, versions and due date a fuel tax return and a marked-fuel report have too), with its period's kind."""

    class PeriodKinds(models.TextChoices):
        MONTHLY = PeriodKind.MONTHLY.value, _("Month")
        QUARTERLY = PeriodKind.QUARTERLY.value, _("Calendar quarter")

    account = models.ForeignKey(ProgramAccount, on_delete=models.PROTECT, related_name="tourism_levy_returns")
    period_kind = models.CharField(_("collection period"), max_length=10, choices=PeriodKinds.choices)
    gross_revenue = _money("gross accommodation revenue")
    exempt_total = _money("exempt and excluded amounts")
    taxable = _money("taxable purchase price")
    rate_value = models.DecimalField(_("levy rate"), max_digits=10, decimal_places=6)
    rate_effective_from = models.DateField(_("rate in force from"))
    levy = _money("levy")
    levy_collected = _money("levy collected")
    levy_kept = _money("levy collected and kept (COVID-19 abatement)", default=Decimal("0.00"))
    amount_payable = _money("amount payable")

    class Meta:
        ordering = ["-period_start", "-version"]
        verbose_name = _("tourism levy return")
        constraints = [
            *period_filing_constraints("tourism_levy_return"),
            models.CheckConstraint(
                condition=Q(
                    gross_revenue__gte=0,
                    exempt_total__gte=0,
                    taxable__gte=0,
                    levy__gte=0,
                    levy_collected__gte=0,
                    levy_kept__gte=0,
                    amount_payable__gte=0,
                ),
                name="tourism_levy_return_amounts_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(taxable=F("gross_revenue") - F("exempt_total")),
                name="tourism_levy_return_taxable_adds_up",
            ),
        ]
        indexes = [models.Index(fields=["account", "period_start"])]

    def __str__(self) -> str:
        return f"{self.confirmation_number} {self.account.number} {self.period.key} v{self.version}"

    @property
    def period(self) -> Period:
        """Its month or quarter (a PeriodFiling's period is a month unless its model says otherwise)."""
        return Period(self.period_start, PeriodKind(self.period_kind))

    @property
    def total_tax(self) -> Decimal:
        """What the return says is payable: the name every return's pages read (File a Return, the status)."""
        return self.amount_payable

    @property
    def abatement(self) -> str:
        """none, whole or part: how the period lies against the COVID-19 abatement (filings.tourism_levy)."""
        return rules().abatement.overlap(self.period).value

    @property
    def payable_by(self) -> date:
        """The last day its remittance could be paid without penalty or interest (the 2020 deferral)."""
        return payable_by(self.due_on)


class TourismLevyExemption(models.Model):
    """One exempt or excluded amount of a return, by reason (filings/rules/tourism_levy.yaml `reasons`)."""

    tax_return = models.ForeignKey(TourismLevyReturn, on_delete=models.CASCADE, related_name="lines")
    reason = models.CharField(_("reason"), max_length=30)
    amount = _money("amount")

    class Meta:
        ordering = ["tax_return", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tax_return", "reason"], name="tourism_levy_exemption_one_per_reason"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="tourism_levy_exemption_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.reason}: {self.amount}"

    @property
    def label(self) -> str:
        reason = rules().reasons.get(self.reason)
        return reason.label if reason else self.reason
