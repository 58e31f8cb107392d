"""Returns filed through the portal.

Obligations (which months a return is owed for, and when it is due) are not stored: they are computed from the
account's dates by filings.selectors.obligations_for_account, see filings/periods.py.

The database guards the invariants: one ORIGINAL return per account and period (a conditional unique
constraint, so a double click or two people filing at once cannot make two), one row per version, versions
consistent with their kind, volumes and tax never negative, no tax on a tax-out line.
"""

import functools
import operator
from datetime import timedelta

from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateRangeField, RangeBoundary, RangeOperators
from django.db import models
from django.db.models import F, Func, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from filings.periods import Period, PeriodKind
from filings.sales.sftp.models import SftpKey  # noqa: F401 - Django finds the model here
from filings.skeleton.models import Filing, PeriodFiling, period_filing_constraints
from filings.tax import TAX, ComputedLine, LineCategory
from programs import money
from programs.models import ProgramAccount
from programs.rates import fuel_labels


class FuelTaxReturn(PeriodFiling):
    """One version of a monthly fuel tax return. An amendment is a new row linked to the original; no
    version is ever changed by the filer (history is never overwritten). Its status, receipt, confirmation
    number, filer and certification are the columns of every filing (filings.skeleton.models.Filing), its
    period, version and due date those of a filing for a period (PeriodFiling)."""

    account = models.ForeignKey(ProgramAccount, on_delete=models.PROTECT, related_name="fuel_tax_returns")
    total_tax = models.DecimalField(_("total tax"), max_digits=16, decimal_places=2)

    class Meta:
        ordering = ["-period_start", "-version"]
        verbose_name = _("fuel tax return")
        constraints = [
            *period_filing_constraints("fuel_tax_return"),
            models.CheckConstraint(condition=Q(total_tax__gte=0), name="fuel_tax_return_total_not_negative"),
        ]
        indexes = [models.Index(fields=["account", "period_start"])]

    def __str__(self) -> str:
        return f"{self.confirmation_number} {self.account.number} {self.period.key} v{self.version}"

    @property
    def is_nil(self) -> bool:
        """A nil return reports no litres at all (a return is owed for every month, activity or not)."""
        return self.total_tax == 0 and not self.lines.exists()


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
        return f"{self.fuel_label}, {self.get_category_display()}: {money.format_litres(self.litres)} L"

    @classmethod
    def computed(cls, tax_return: FuelTaxReturn, line: ComputedLine) -> "ReturnLine":
        """The stored line of `tax_return` for a line filings.tax computed, the rate it applied copied in."""
        return cls(
            tax_return=tax_return,
            fuel=line.fuel,
            category=line.category,
            litres=line.litres,
            rate_value=line.rate_value,
            rate_effective_from=line.rate_effective_from,
            tax=line.tax,
        )

    @property
    def fuel_label(self) -> str:
        return fuel_labels(tax=TAX).get(self.fuel, self.fuel)

    @property
    def category_label(self) -> str:
        return str(self.get_category_display())

    @property
    def is_taxable(self) -> bool:
        return self.category == LineCategory.TAXABLE


class DateRange(Func):
    """daterange(start, end, '[]'): a PROP claim's period, both days included, for its exclusion constraint."""

    function = "DATERANGE"
    output_field = DateRangeField()


class TwelveMonthsAfter(Func):
    """start + 12 months, as PostgreSQL counts them (2012-02-29 -> 2013-02-28): the database's bound of a claim
    period. The claim's rule (filings.periods.PeriodRule, max_months=12) refuses the day before it already; the
    database bound is never the stricter of the two."""

    template = "((%(expressions)s) + interval '12 months')::date"
    output_field = models.DateField()


class Claim(Filing):
    """A refund claim filed through the portal: a fuel tax refund claim (reasons of the fuel tax seed page), a
    carbon levy refund claim (fuel vendor AT5135, Indian or Indian band AT5133) or the fuel tax relief
    inventory declaration. Never changed by the filer; its status moves on as TRA processes it
    (filings.status.filing_status_change).

    Idempotent: the form carries a submission token drawn when the filer opened it, unique per account, so a
    double click, a resubmitted form or the back button stores one claim, and the second attempt is shown the
    first. One inventory declaration per account and rate change (a conditional unique constraint). Its status,
    receipt, confirmation number, filer and certification are the columns of every filing
    (filings.skeleton.models.Filing)."""

    class Kind(models.TextChoices):
        FUEL_TAX_REFUND = "fuel_tax_refund", _("Fuel tax refund claim")
        CARBON_LEVY_VENDOR = "carbon_levy_vendor", _("Carbon levy refund claim, fuel vendor (AT5135)")
        CARBON_LEVY_INDIAN = (
            "carbon_levy_indian",
            _("Carbon levy refund claim, Indian or Indian band (AT5133)"),
        )
        INVENTORY_DECLARATION = "inventory_declaration", _("Fuel tax inventory declaration")
        PROP = "prop", _("PROP rebate claim (Prescribed Rebate Off-road Percentages)")
        # Filed by TRACS itself every 2 weeks for a marked-fuel seller's AFFB sales (assessments/cycles/).
        MARKED_FUEL_REFUND = (
            "marked_fuel_refund",
            _("Marked-fuel carbon levy refund (automatic, every 2 weeks)"),
        )

    class RefundMethod(models.TextChoices):
        DIRECT_DEPOSIT = "direct_deposit", _("Direct deposit")
        CHEQUE = "cheque", _("Cheque")

    account = models.ForeignKey(ProgramAccount, on_delete=models.PROTECT, related_name="claims")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    submission_token = models.UUIDField(
        _("submission token"), help_text=_("Drawn when the form was opened: the same form stores one claim")
    )
    inventory_date = models.DateField(
        _("inventory held on"),
        null=True,
        blank=True,
        help_text=_("Inventory declarations: the day of the rate change"),
    )
    # A PROP claim covers a period the claimant chose (at most 12 months), never overlapping another PROP claim
    # of the account; other claims have none.
    period_start = models.DateField(_("claim period from"), null=True, blank=True)
    period_end = models.DateField(_("claim period to"), null=True, blank=True)
    refund_method = models.CharField(_("refund by"), max_length=16, choices=RefundMethod.choices)
    total_refund = models.DecimalField(_("total refund claimed"), max_digits=16, decimal_places=2)

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("claim")
        constraints = [
            models.UniqueConstraint(fields=["confirmation_number"], name="claim_unique_confirmation_number"),
            models.UniqueConstraint(fields=["account", "submission_token"], name="claim_one_per_submission"),
            models.UniqueConstraint(
                fields=["account", "inventory_date"],
                condition=Q(kind="inventory_declaration"),
                name="claim_one_inventory_declaration_per_rate_change",
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind="inventory_declaration", inventory_date__isnull=False)
                    | (~Q(kind="inventory_declaration") & Q(inventory_date__isnull=True))
                ),
                name="claim_inventory_date_only_on_declarations",
            ),
            models.CheckConstraint(condition=Q(total_refund__gte=0), name="claim_total_not_negative"),
            models.CheckConstraint(
                condition=(
                    Q(
                        kind="prop",
                        period_start__isnull=False,
                        period_end__gte=F("period_start"),
                        period_end__lte=TwelveMonthsAfter(F("period_start")),
                    )
                    # The automatic marked-fuel refund: one 14-day claim period (assessments/cycles/).
                    | Q(
                        kind="marked_fuel_refund",
                        period_start__isnull=False,
                        period_end=F("period_start") + timedelta(days=13),
                    )
                    | (
                        ~Q(kind__in=["prop", "marked_fuel_refund"])
                        & Q(period_start__isnull=True, period_end__isnull=True)
                    )
                ),
                name="claim_period_only_on_prop_and_at_most_12_months",
            ),
            # One automatic marked-fuel refund claim per seller and claim period: a cycle run twice files once.
            models.UniqueConstraint(
                fields=["account", "period_start"],
                condition=Q(kind="marked_fuel_refund"),
                name="claim_one_marked_fuel_refund_per_period",
            ),
            ExclusionConstraint(
                name="claim_prop_periods_do_not_overlap",
                expressions=[
                    ("account", RangeOperators.EQUAL),
                    (
                        DateRange("period_start", "period_end", RangeBoundary(inclusive_upper=True)),
                        RangeOperators.OVERLAPS,
                    ),
                ],
                condition=Q(kind="prop"),
            ),
        ]
        indexes = [models.Index(fields=["account", "received_at"])]

    def __str__(self) -> str:
        return f"{self.confirmation_number} {self.account.number} {self.kind}"

    @property
    def is_carbon_levy(self) -> bool:
        return self.kind in (
            self.Kind.CARBON_LEVY_VENDOR,
            self.Kind.CARBON_LEVY_INDIAN,
            self.Kind.MARKED_FUEL_REFUND,
        )

    @property
    def tax(self) -> str:
        """The tax refunded, as programs.rates names it."""
        return "carbon_levy" if self.is_carbon_levy else TAX

    @property
    def claim_period(self) -> Period | None:
        """A PROP claim's period (a span), a marked-fuel refund's (14 days), else None."""
        if self.period_start is None or self.period_end is None:
            return None
        if self.kind == self.Kind.MARKED_FUEL_REFUND:
            return Period(self.period_start, PeriodKind.BIWEEKLY)
        return Period.span(self.period_start, self.period_end)


class ClaimLine(models.Model):
    """One purchase (or, on an inventory declaration, one fuel held) claimed, with the refund per litre that
    applied copied in (value and effective date) and the deadline of its window, so the claim never changes
    when a rate or a rule does."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="lines")
    reason = models.CharField(_("reason"), max_length=24, blank=True)
    fuel = models.CharField(_("fuel"), max_length=40)
    rebranded_to = models.CharField(_("rebranded to"), max_length=40, blank=True)
    purchase_date = models.DateField(_("date of purchase"))
    event_date = models.DateField(
        _("event date"), null=True, blank=True, help_text=_("Theft, destruction, contamination or bad debt")
    )
    document_number = models.CharField(_("invoice or document number"), max_length=40, blank=True)
    litres = models.DecimalField(max_digits=15, decimal_places=3)
    rate_value = models.DecimalField(_("refund per litre ($/L)"), max_digits=10, decimal_places=6)
    rate_effective_from = models.DateField(_("rate in force from"))
    refund = models.DecimalField(max_digits=16, decimal_places=2)
    deadline = models.DateField(_("to be received no later than"))
    # A PROP line: the industry sector, activity and vehicle category of the fuel consumed, and the prescribed
    # percentage that applied (value and effective date, copied in). Its refund per litre (`rate_value`) is the
    # fuel tax rate x the percentage; its date of purchase is the claim period's first day.
    sector = models.CharField(_("industry sector"), max_length=40, blank=True)
    activity = models.CharField(_("activity"), max_length=60, blank=True)
    vehicle_category = models.CharField(_("vehicle category"), max_length=40, blank=True)
    percentage = models.DecimalField(
        _("prescribed percentage"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    percentage_from = models.DateField(_("percentage in force from"), null=True, blank=True)

    class Meta:
        ordering = ["claim", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(litres__gt=0), name="claim_line_litres_positive"),
            models.CheckConstraint(condition=Q(refund__gte=0), name="claim_line_refund_not_negative"),
            models.CheckConstraint(condition=Q(rate_value__gt=0), name="claim_line_rate_positive"),
            models.CheckConstraint(
                condition=Q(percentage__isnull=True, percentage_from__isnull=True)
                | Q(percentage__gt=0, percentage__lte=100, percentage_from__isnull=False),
                name="claim_line_percentage_in_range_with_its_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.fuel} {self.purchase_date}: {money.format_litres(self.litres)} L"

    @property
    def fuel_label(self) -> str:
        return fuel_labels(tax=self.claim.tax).get(self.fuel, self.fuel)

    @property
    def rebranded_to_label(self) -> str:
        return fuel_labels(tax=TAX).get(self.rebranded_to, self.rebranded_to)

    @property
    def reason_label(self) -> str:
        from filings.claim_rules import refund_reasons

        reason = refund_reasons().get(self.reason)
        return reason.label if reason else ""

    @property
    def prop_category_label(self) -> str:
        """A PROP line's sector, activity and vehicle category, named ("" on other lines)."""
        from filings.definitions.prop_lines import category_label

        return category_label(self)


CONFIRMATION_DOCUMENT_LINKS = (
    "tax_return",
    "claim",
    "marked_fuel_report",
    "tourism_levy_return",
    "dye_stock_report",
    "litres_dyed_report",
)


class ConfirmationDocument(models.Model):
    """The printable confirmation of a return or a claim as a PDF, made once by a Celery job
    (filings.tasks.confirmation_pdf_render) and kept: the download serves these bytes."""

    tax_return = models.OneToOneField(
        FuelTaxReturn, null=True, blank=True, on_delete=models.CASCADE, related_name="confirmation_document"
    )
    claim = models.OneToOneField(
        Claim, null=True, blank=True, on_delete=models.CASCADE, related_name="confirmation_document"
    )
    marked_fuel_report = models.OneToOneField(
        "filings.MarkedFuelReport",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="confirmation_document",
    )
    tourism_levy_return = models.OneToOneField(
        "filings.TourismLevyReturn",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="confirmation_document",
    )
    dye_stock_report = models.OneToOneField(
        "filings.DyeStockReport",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="confirmation_document",
    )
    litres_dyed_report = models.OneToOneField(
        "filings.LitresDyedReport",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="confirmation_document",
    )
    pdf = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now)

    # The link of each kind of filing (a definition's `document_link`): exactly one is set.
    LINKS = CONFIRMATION_DOCUMENT_LINKS

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=functools.reduce(
                    operator.or_,
                    (
                        Q(**{f"{link}__isnull": link != linked for link in CONFIRMATION_DOCUMENT_LINKS})
                        for linked in CONFIRMATION_DOCUMENT_LINKS
                    ),
                ),
                name="confirmation_document_of_one_filing",
            )
        ]

    def __str__(self) -> str:
        filing = next((getattr(self, link) for link in self.LINKS if getattr(self, f"{link}_id")), None)
        return f"confirmation PDF {filing.confirmation_number if filing else ''}"


# Their own modules, registered with the app by these imports: tourism levy returns; marked-fuel sales,
# movements and their ingestion.
from filings.models_dye_sites import (  # noqa: E402, F401
    DyeStockAdjustment,
    DyeStockReport,
    LitresDyedLine,
    LitresDyedReport,
)
from filings.models_tourism_levy import TourismLevyExemption, TourismLevyReturn  # noqa: E402, F401
from filings.sales.models import (  # noqa: E402, F401
    Ingestion,
    InventoryCount,
    InventoryVariance,
    Movement,
    RejectedRow,
    Sale,
)

# The marked-fuel monthly report (filings/sales/models_report.py), registered with the app by this import.
from filings.sales.models_report import MarkedFuelReport, MarkedFuelReportLine  # noqa: E402, F401
