"""The biweekly marked-fuel refund cycle's records (assessments/cycles/services.py): each run of the cycle for a
claim period (`CycleRun`) and, per seller and period, what the set-based step computed and what was done with it
(`CycleClaim`). Registered with the app by assessments/models.py, which imports them.

`CycleClaim` is unique per seller and claim period (the database's guard): a run twice, or a rerun of a past
period, computes nothing twice and files, credits and refunds nothing twice."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from programs import money
from programs.models import ProgramAccount

MONEY: money.DecimalColumn = {"max_digits": 16, "decimal_places": 2}
LITRES: money.DecimalColumn = {"max_digits": 15, "decimal_places": 3}


class CycleRun(models.Model):
    """One run of the cycle for one claim period: by the beat the day after the period ends, or by staff (a
    rerun of a past period, which adds only what is not there yet)."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    period_start = models.DateField(_("claim period from"))
    period_end = models.DateField(_("claim period end"))
    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.RUNNING)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty: the scheduled run"),
    )
    sellers = models.PositiveIntegerField(_("sellers with sales"), default=0)
    computed = models.PositiveIntegerField(_("seller totals added by this run"), default=0)
    claims = models.PositiveIntegerField(_("claims filed"), default=0)
    refunds = models.PositiveIntegerField(_("refunds issued"), default=0)
    awaiting_approval = models.PositiveIntegerField(_("refunds awaiting a second approval"), default=0)
    total_claimed = models.DecimalField(_("carbon levy claimed"), **MONEY, default=0)
    total_adjusted = models.DecimalField(_("taken back for sales corrected"), **MONEY, default=0)
    total_refunded = models.DecimalField(_("refunded"), **MONEY, default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-period_start", "-started_at"]
        verbose_name = _("refund cycle run")
        permissions = [("run_refund_cycle", "Can run the marked-fuel refund cycle for a past claim period")]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end=F("period_start") + timedelta(days=13)), name="cycle_run_fourteen_days"
            ),
        ]

    def __str__(self) -> str:
        return f"Refund cycle {self.period_start}..{self.period_end} ({self.started_at:%Y-%m-%d %H:%M})"

    @property
    def duration(self):
        return None if self.finished_at is None else self.finished_at - self.started_at


class CycleClaim(models.Model):
    """One seller's carbon levy for one claim period, as the set-based step computed it, and what followed.

    `levy`: the carbon levy on the AFFB sales processed in the period (standing at its end), each at the rate for
    its fuel on its sale date; `adjustment` (zero or less): the levy refunded in an earlier period on sales an
    amendment or void processed in this one replaced. `lines`: the levy by fuel and rate, the claim's lines."""

    class Status(models.TextChoices):
        COMPUTED = "computed", _("Computed, not yet settled")
        PAID = "paid", _("Claim filed and refund issued")
        AWAITING_APPROVAL = "awaiting_approval", _("Claim filed, refund awaiting a second approval")
        CREDITED = "credited", _("Claim filed, credit kept on the account (nothing left to refund)")
        ADJUSTED = "adjusted", _("No levy: sales corrected taken back")
        NOTHING = "nothing", _("No carbon levy to refund")

    SETTLED = (Status.PAID, Status.AWAITING_APPROVAL, Status.CREDITED, Status.ADJUSTED, Status.NOTHING)

    run = models.ForeignKey(CycleRun, on_delete=models.PROTECT, related_name="cycle_claims")
    account = models.ForeignKey(ProgramAccount, on_delete=models.PROTECT, related_name="cycle_claims")
    period_start = models.DateField(_("claim period from"))
    period_end = models.DateField(_("claim period end"))
    sales = models.PositiveIntegerField(_("AFFB sales counted"))
    litres = models.DecimalField(_("litres"), **LITRES)
    levy = models.DecimalField(_("carbon levy"), **MONEY)
    adjustment = models.DecimalField(_("sales corrected after payment"), **MONEY)
    corrections = models.PositiveIntegerField(_("sales corrected after payment"), default=0)
    lines = models.JSONField(default=list)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.COMPUTED)
    claim = models.OneToOneField(
        "filings.Claim", null=True, blank=True, on_delete=models.PROTECT, related_name="cycle_claim"
    )
    refund = models.OneToOneField(
        "assessments.Refund", null=True, blank=True, on_delete=models.PROTECT, related_name="cycle_claim"
    )
    computed_at = models.DateTimeField(_("computed"))
    settled_at = models.DateTimeField(_("settled"), null=True, blank=True)

    class Meta:
        ordering = ["-period_start", "account"]
        verbose_name = _("refund cycle claim")
        constraints = [
            models.UniqueConstraint(fields=["account", "period_start"], name="cycle_claim_once_per_period"),
            models.CheckConstraint(
                condition=Q(levy__gte=0, adjustment__lte=0), name="cycle_claim_levy_and_adjustment_signs"
            ),
            models.CheckConstraint(
                condition=Q(status="computed") | Q(settled_at__isnull=False), name="cycle_claim_settled_when"
            ),
        ]
        indexes = [models.Index(fields=["status", "period_start"], name="cycle_claim_status")]

    def __str__(self) -> str:
        return (
            f"{self.account.number} {self.period_start}..{self.period_end}: {money.format_money(self.levy)}"
        )


class SalesSummaryExport(models.Model):
    """One "Generate Excel" of a seller's Sales Summary for one claim period (assessments.cycles.exports): asked
    for on the page, built by a Celery job, offered for download once ready, deleted with its file after
    TRACS_SALES_SUMMARY_EXPORT_DAYS by the daily sweep. At most one being built per account and period (the
    database's guard), so asking twice while one is built starts no second job."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Being built")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    BUILDING = (Status.QUEUED, Status.RUNNING)

    account = models.ForeignKey(
        ProgramAccount, on_delete=models.PROTECT, related_name="sales_summary_exports"
    )
    period_start = models.DateField(_("claim period from"))
    period_end = models.DateField(_("claim period end"))
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(_("asked for"))
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    file = models.FileField(_("workbook"), max_length=300, blank=True)
    size = models.BigIntegerField(_("bytes"), default=0)
    rows = models.PositiveIntegerField(_("sales written"), default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("sales summary export")
        constraints = [
            models.UniqueConstraint(
                fields=["account", "period_start"],
                condition=Q(status__in=["queued", "running"]),
                name="sales_summary_export_one_building",
            ),
            models.CheckConstraint(
                condition=~Q(status="ready") | ~Q(file=""), name="sales_summary_export_ready_has_file"
            ),
        ]
        indexes = [
            models.Index(fields=["account", "period_start", "-requested_at"], name="sales_summary_export")
        ]

    def __str__(self) -> str:
        return f"Sales summary {self.period_start}..{self.period_end} of {self.account_id} ({self.status})"

    @property
    def is_building(self) -> bool:
        return self.status in self.BUILDING
