"""The marked-fuel monthly report (seed 002, "How to report marked fuel transactions"): a seller's consumer sales
and fuel movements of one month, submitted and certified through the filing skeleton (docs/adr/0015), with a
confirmation number and PDF, shown on View Assessment Status.

The sales and movements themselves are the ingestion's rows (filings/sales/models.py), stored as they come in by
every door; the report is the seller's certified statement of a month. It keeps a copy of the month's figures
per location and fuel as they stood when it was filed (`MarkedFuelReportLine`), so a report never changes when a
row is amended or voided later: an amended report is a new version, as a fuel tax return's is.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from filings.sales.models import Fuel
from filings.skeleton.models import PeriodFiling, period_filing_constraints
from programs.models import BulkFuelLocation, ProgramAccount

MARKED_FUELS = Fuel.choices


class ReportStatus(models.TextChoices):
    """Where a report stands as TRA processes it. A report carries no tax, so it is never assessed: the assessor
    takes it into review and processes it, or returns it to the seller with the reason (the seller corrects the
    month and submits an amended report, a new version)."""

    RECEIVED = "received", _("Received")
    IN_REVIEW = "in_review", _("In review")
    PROCESSED = "processed", _("Processed")
    RETURNED = "returned", _("Returned to the seller")


class MarkedFuelReport(PeriodFiling):
    """One version of a seller's monthly report of marked-fuel sales and movements: its period, version and due date
    are those of every filing for a period (filings.skeleton.models.PeriodFiling)."""

    # The moves filings.status.filing_status_change allows for a report, and the statuses that end its processing
    # (the date they were reached is its processed date).
    STATUS_TRANSITIONS: dict[str, frozenset[str]] = {
        ReportStatus.RECEIVED: frozenset({ReportStatus.IN_REVIEW}),
        ReportStatus.IN_REVIEW: frozenset(
            {ReportStatus.RECEIVED, ReportStatus.PROCESSED, ReportStatus.RETURNED}
        ),
    }
    PROCESSED_STATUSES = frozenset({ReportStatus.PROCESSED, ReportStatus.RETURNED})

    account = models.ForeignKey(ProgramAccount, on_delete=models.PROTECT, related_name="marked_fuel_reports")
    status = models.CharField(
        max_length=12, choices=ReportStatus.choices, default=ReportStatus.RECEIVED, db_index=True
    )
    return_reason = models.TextField(
        _("reason returned"),
        blank=True,
        help_text=_("TRA's reason for returning the report, as the seller reads it"),
    )
    sales_count = models.PositiveIntegerField(_("sales reported"))
    sales_litres = models.DecimalField(_("litres sold"), max_digits=16, decimal_places=3)
    rejected_open = models.PositiveIntegerField(
        _("rejected sales not corrected"),
        help_text=_("Rejected sales of the month not yet corrected when filed"),
    )
    # The month's movements that disagreed with what the counterparties reported when it was filed
    # (filings.sales.reconciliation.Difference.as_json), and the seller's explanation of them: a copy, so the
    # report never changes when a counterparty corrects their own month later.
    reconciliation = models.JSONField(
        _("differences with counterparties"),
        default=list,
        blank=True,
        help_text=_("Acquisitions and dispositions that disagreed with the counterparty's report when filed"),
    )
    explanation = models.TextField(
        _("seller's explanation of the differences"),
        blank=True,
        max_length=2000,
    )

    class Meta:
        ordering = ["-period_start", "-version"]
        verbose_name = _("marked-fuel monthly report")
        permissions = [
            ("process_markedfuelreport", "Can process marked-fuel monthly reports (process or return them)")
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="returned", return_reason__gt="")
                | (~Q(status="returned") & Q(return_reason="")),
                name="marked_fuel_report_returned_with_reason",
            ),
            *period_filing_constraints("marked_fuel_report"),
            models.CheckConstraint(
                condition=Q(sales_litres__gte=0), name="marked_fuel_report_litres_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.confirmation_number} {self.account.number} {self.period.key} v{self.version}"


class MarkedFuelReportLine(models.Model):
    """One location and fuel of a report: the month's inventory movement as it stood when the report was filed.
    Computed closing = opening + acquired + imported - sold - disposed - exported; the counted closing is the
    seller's own count (empty when none was reported), and the inventory summary shows the difference."""

    report = models.ForeignKey(MarkedFuelReport, on_delete=models.CASCADE, related_name="lines")
    location = models.ForeignKey(BulkFuelLocation, on_delete=models.PROTECT, related_name="+")
    fuel = models.CharField(_("fuel"), max_length=20, choices=Fuel.choices)
    opening = models.DecimalField(_("opening inventory"), max_digits=16, decimal_places=3)
    acquired = models.DecimalField(_("acquisitions"), max_digits=16, decimal_places=3)
    imported = models.DecimalField(_("imports"), max_digits=16, decimal_places=3)
    sold = models.DecimalField(_("consumer sales"), max_digits=16, decimal_places=3)
    disposed = models.DecimalField(_("dispositions"), max_digits=16, decimal_places=3)
    exported = models.DecimalField(_("exports"), max_digits=16, decimal_places=3)
    closing_computed = models.DecimalField(_("computed closing inventory"), max_digits=16, decimal_places=3)
    closing_counted = models.DecimalField(
        _("counted closing inventory"), max_digits=16, decimal_places=3, null=True, blank=True
    )

    class Meta:
        ordering = ["report", "location__number", "fuel"]
        constraints = [
            models.UniqueConstraint(
                fields=["report", "location", "fuel"], name="marked_fuel_report_line_one_per_location_fuel"
            ),
            models.CheckConstraint(
                condition=Q(
                    acquired__gte=0,
                    imported__gte=0,
                    sold__gte=0,
                    disposed__gte=0,
                    exported__gte=0,
                    opening__gte=0,
                ),
                name="marked_fuel_report_line_movements_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.report_id} {self.location_id} {self.fuel}"

    @property
    def difference(self):
        """Counted less computed closing inventory (None when no count was reported)."""
        if self.closing_counted is None:
            return None
        return self.closing_counted - self.closing_computed
