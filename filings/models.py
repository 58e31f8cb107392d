"""Returns filed through the portal.

Obligations (which months a return is owed for, and when it is due) are not stored: they are computed from the
account's dates by filings.selectors.obligations_for_account, see filings/periods.py.

The database guards the invariants: one ORIGINAL return per account and period (a conditional unique
constraint, so a double click or two people filing at once cannot make two), one row per version, versions
consistent with their kind, volumes and tax never negative, no tax on a tax-out line.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from consent.models import Grant
from filings.periods import Period, days_late
from filings.tax import TAX, LineCategory
from programs.models import ProgramAccount
from programs.rates import fuel_labels


class FuelTaxReturn(models.Model):
    """One version of a monthly fuel tax return. An amendment is a new row linked to the original; no
    version is ever changed by the filer (history is never overwritten)."""

    class Kind(models.TextChoices):
        ORIGINAL = "original", _("Original")
        AMENDED = "amended", _("Amended")

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        IN_REVIEW = "in_review", _("In review")
        ASSESSED = "assessed", _("Assessed")
        REASSESSED = "reassessed", _("Reassessed")

    account = models.ForeignKey(ProgramAccount, on_delete=models.PROTECT, related_name="fuel_tax_returns")
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.ORIGINAL)
    amends = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="amendments",
        help_text=_("The original return this one amends"),
    )
    version = models.PositiveSmallIntegerField(default=1)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.RECEIVED, db_index=True)
    received_at = models.DateTimeField(_("received"))
    due_on = models.DateField(
        _("due date"), help_text=_("Due date of the period's return, by the rule in force when received")
    )
    confirmation_number = models.CharField(_("confirmation number"), max_length=20)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    filed_by_email = models.EmailField(_("filed by (e-mail)"))
    filed_in_capacity = models.CharField(_("filed as"), max_length=16, choices=Grant.Role.choices)
    certified_name = models.CharField(_("certified by"), max_length=200)
    certified_capacity = models.CharField(_("position or title of the certifier"), max_length=200)
    total_tax = models.DecimalField(_("total tax"), max_digits=16, decimal_places=2)

    class Meta:
        ordering = ["-period_start", "-version"]
        verbose_name = _("fuel tax return")
        constraints = [
            models.UniqueConstraint(
                fields=["account", "period_start"],
                condition=Q(kind="original"),
                name="fuel_tax_return_one_original_per_period",
            ),
            models.UniqueConstraint(
                fields=["account", "period_start", "version"], name="fuel_tax_return_unique_version"
            ),
            models.UniqueConstraint(
                fields=["confirmation_number"], name="fuel_tax_return_unique_confirmation_number"
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind="original", amends__isnull=True, version=1)
                    | Q(kind="amended", amends__isnull=False, version__gt=1)
                ),
                name="fuel_tax_return_version_matches_kind",
            ),
            models.CheckConstraint(
                condition=Q(period_start__day=1, period_end__gte=models.F("period_start")),
                name="fuel_tax_return_period",
            ),
            models.CheckConstraint(condition=Q(total_tax__gte=0), name="fuel_tax_return_total_not_negative"),
        ]
        indexes = [models.Index(fields=["account", "period_start"])]

    def __str__(self) -> str:
        return f"{self.confirmation_number} {self.account.number} {self.period.key} v{self.version}"

    @property
    def period(self) -> Period:
        return Period(self.period_start)

    @property
    def is_nil(self) -> bool:
        """A nil return reports no litres at all (a return is owed for every month, activity or not)."""
        return self.total_tax == 0 and not self.lines.exists()

    @property
    def late_days(self) -> int:
        """Days after the due date the return was received (0 if on time), by the date in Edmonton."""
        return days_late(due_on=self.due_on, on=timezone.localtime(self.received_at).date())


class ReturnLine(models.Model):
    """The litres of one fuel in one category (taxable or one tax-out category) on one return, with the rate
    that applied copied in (value and effective date), so the return never changes when a rate does."""

    tax_return = models.ForeignKey(FuelTaxReturn, on_delete=models.CASCADE, related_name="lines")
    fuel = models.CharField(max_length=40)
    category = models.CharField(max_length=20, choices=LineCategory.choices)
    litres = models.DecimalField(max_digits=15, decimal_places=3)
    rate_value = models.DecimalField(
        _("rate ($/L)"),
        max_digits=10,
        decimal_places=6,
        null=True,
        blank=True,
        help_text=_("Empty: the tax was not in force"),
    )
    rate_effective_from = models.DateField(_("rate in force from"))
    tax = models.DecimalField(max_digits=16, decimal_places=2)

    class Meta:
        ordering = ["tax_return", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tax_return", "fuel", "category"], name="return_line_one_per_fuel_and_category"
            ),
            models.CheckConstraint(condition=Q(litres__gte=0), name="return_line_litres_not_negative"),
            models.CheckConstraint(condition=Q(tax__gte=0), name="return_line_tax_not_negative"),
            models.CheckConstraint(
                condition=Q(category="taxable") | Q(tax=0), name="return_line_no_tax_on_tax_out"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.fuel_label}, {self.get_category_display()}: {self.litres} L"

    @property
    def fuel_label(self) -> str:
        return fuel_labels(tax=TAX).get(self.fuel, self.fuel)

    @property
    def category_label(self) -> str:
        return str(self.get_category_display())

    @property
    def is_taxable(self) -> bool:
        return self.category == LineCategory.TAXABLE
