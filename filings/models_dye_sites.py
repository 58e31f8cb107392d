"""A dye site's monthly reports (seed 002, "Eligibility to dye fuel"): the Dye Stock Report (AT4984) and Litres
Dyed during the Month (AT366), each a PeriodFiling (filings/skeleton/models.py) filed per site, not per account:
one original per site and month, amendments new versions linked to it, never changed by the filer. Registered
with the app by filings/models.py, which imports it.

Each keeps its figures as computed when filed (filings/dye_sites.py) and the database checks that they add up.
Neither carries tax, so neither is assessed: like the marked-fuel monthly report, TRA takes it into review and
processes it (its statuses and moves are the marked-fuel report's)."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from filings.dye_sites import DyedFuel
from filings.sales.models_report import MarkedFuelReport, ReportStatus
from filings.skeleton.models import PeriodFiling, period_filing_constraints
from programs.models import DyeSite, ProgramAccount


def _litres(label: str, **kwargs: object) -> models.DecimalField:
    return models.DecimalField(_(label), max_digits=16, decimal_places=3, **kwargs)  # type: ignore[arg-type]


class DyeSiteReport(PeriodFiling):
    """What both reports of a site have: the site, and the statuses of a report TRA processes but never assesses."""

    STATUS_TRANSITIONS = {
        ReportStatus.RECEIVED: frozenset({ReportStatus.IN_REVIEW}),
        ReportStatus.IN_REVIEW: frozenset({ReportStatus.RECEIVED, ReportStatus.PROCESSED}),
    }
    PROCESSED_STATUSES = MarkedFuelReport.PROCESSED_STATUSES

    status = models.CharField(
        max_length=12, choices=ReportStatus.choices, default=ReportStatus.RECEIVED, db_index=True
    )

    if TYPE_CHECKING:  # each report has its own foreign keys (their related names differ)
        site: DyeSite
        site_id: int

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.confirmation_number} site {self.site_id} {self.period.key} v{self.version}"


class DyeStockReport(DyeSiteReport):
    """One version of a site's Dye Stock Report (AT4984) for a month: its dye concentrate, in litres."""

    account = models.ForeignKey(ProgramAccount, on_delete=models.PROTECT, related_name="dye_stock_reports")
    site = models.ForeignKey(DyeSite, on_delete=models.PROTECT, related_name="stock_reports")
    opening = _litres("opening inventory")
    received = _litres("dye concentrate received")
    used = _litres("dye concentrate used")
    adjustment = _litres("adjustment", help_text=_("A gain (+) or a loss (-) found on the count"))
    closing_computed = _litres("computed closing inventory")
    closing_reported = _litres("closing inventory reported")

    class Meta:
        ordering = ["-period_start", "-version"]
        verbose_name = _("Dye Stock Report (AT4984)")
        verbose_name_plural = _("Dye Stock Reports (AT4984)")
        permissions = [("process_dyesitereport", "Can process dye sites' monthly reports (AT4984, AT366)")]
        constraints = [
            *period_filing_constraints("dye_stock_report", filed_for=("site",)),
            models.CheckConstraint(
                condition=Q(opening__gte=0, received__gte=0, used__gte=0, closing_reported__gte=0),
                name="dye_stock_report_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(
                    closing_computed=F("opening") + F("received") - F("used") + F("adjustment"),
                    closing_reported=F("closing_computed"),
                ),
                name="dye_stock_report_adds_up",
            ),
        ]

    @property
    def adjustment_reason(self) -> str:
        """The adjustment's reason (its line), "" when nothing was adjusted."""
        line = next(iter(self.lines.all()), None)
        return line.reason if line is not None else ""


class DyeStockAdjustment(models.Model):
    """An adjustment of a Dye Stock Report with its reason: a gain (+) or a loss (-) of concentrate."""

    report = models.ForeignKey(DyeStockReport, on_delete=models.CASCADE, related_name="lines")
    litres = _litres("litres")
    reason = models.CharField(_("reason"), max_length=300)

    class Meta:
        ordering = ["report", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(litres=0) & Q(reason__gt=""), name="dye_stock_adjustment_with_reason"
            )
        ]

    def __str__(self) -> str:
        return f"{self.litres} L: {self.reason}"


class LitresDyedReport(DyeSiteReport):
    """One version of a site's Litres Dyed during the Month (AT366): the clear fuel dyed, by fuel (its lines),
    and the dye concentrate used, beside the Dye Stock Report's figure of the month when one was filed."""

    account = models.ForeignKey(ProgramAccount, on_delete=models.PROTECT, related_name="litres_dyed_reports")
    site = models.ForeignKey(DyeSite, on_delete=models.PROTECT, related_name="litres_dyed_reports")
    litres_total = _litres("litres dyed")
    concentrate_used = _litres("dye concentrate used")
    stock_report_used = _litres(
        "concentrate used on the Dye Stock Report",
        null=True,
        blank=True,
        help_text=_("The Dye Stock Report's figure of the same site and month when this report was filed"),
    )

    class Meta:
        ordering = ["-period_start", "-version"]
        verbose_name = _("Litres Dyed during the Month (AT366)")
        verbose_name_plural = _("Litres Dyed during the Month (AT366)")
        constraints = [
            *period_filing_constraints("litres_dyed_report", filed_for=("site",)),
            models.CheckConstraint(
                condition=Q(litres_total__gte=0, concentrate_used__gte=0),
                name="litres_dyed_report_not_negative",
            ),
        ]

    @property
    def fuel_lines(self) -> list[LitresDyedLine]:
        """The litres dyed by fuel (what the pages read of a report and of a computation alike)."""
        return list(self.lines.all())

    @property
    def concentrate_difference(self) -> Decimal | None:
        """Concentrate used here less on the Dye Stock Report when filed (None: none was filed)."""
        if self.stock_report_used is None:
            return None
        return self.concentrate_used - self.stock_report_used


class LitresDyedLine(models.Model):
    """The litres of one clear fuel dyed in the month."""

    report = models.ForeignKey(LitresDyedReport, on_delete=models.CASCADE, related_name="lines")
    fuel = models.CharField(_("fuel"), max_length=10, choices=DyedFuel.choices)
    litres = _litres("litres dyed")

    class Meta:
        ordering = ["report", "id"]
        constraints = [
            models.UniqueConstraint(fields=["report", "fuel"], name="litres_dyed_line_one_per_fuel"),
            models.CheckConstraint(condition=Q(litres__gte=0), name="litres_dyed_line_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.fuel}: {self.litres}"

    @property
    def label(self) -> str:
        return str(DyedFuel(self.fuel).label)
