"""Refund claims as TRA assessed them (assessments/claims.py): each claim's assessments and reassessments, their
lines, and the staff queue of claims to assess. Append-only like the rest of assessments.models (see its
docstring). Registered with the app by assessments/models.py, which imports them (callers name them as
assessments.models.ClaimAssessment, ...)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from filings.models import Claim, ClaimLine
from programs import money
from programs.models import ProgramAccount

if TYPE_CHECKING:  # assessments.models imports this module once Notice is defined
    from assessments.models import Notice

MONEY: money.DecimalColumn = {"max_digits": 16, "decimal_places": 2}
LITRES: money.DecimalColumn = {"max_digits": 15, "decimal_places": 3}


class ClaimAssessment(models.Model):
    """TRA's determination of a refund claim (assessments/claims.py): each line recomputed from the rate in force
    on its date of purchase and the claim windows, possibly adjusted by staff, the tolerance applied. Sequence 1
    is the assessment; each later one a reassessment (the earlier ones kept). `allowed` is the refund allowed
    after this (re)assessment; `change` (allowed less what was allowed before) is the credit it posts.

    The ledger has no period for a claim: its postings go to the month-end of the day TRA received the claim
    (in Alberta), `period_end` here, so every (re)assessment and the refund of one claim share one period."""

    class Kind(models.TextChoices):
        ASSESSMENT = "assessment", _("Assessment")
        REASSESSMENT = "reassessment", _("Reassessment")

    # Not a column: the letter sent for it, put in place by assessments.selectors.claim_assessments_by_claim.
    letter: Notice | None

    account = models.ForeignKey(ProgramAccount, on_delete=models.PROTECT, related_name="claim_assessments")
    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="assessments")
    period_end = models.DateField(_("ledger period end"))
    sequence = models.PositiveSmallIntegerField(_("sequence"))
    kind = models.CharField(max_length=12, choices=Kind.choices)
    assessed_at = models.DateTimeField(_("assessed"))
    assessed_on = models.DateField(_("date of assessment"))
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty: assessed automatically (a clean claim)"),
    )
    reason = models.TextField(_("reason"), blank=True)
    claimed = models.DecimalField(_("refund claimed"), **MONEY)
    recomputed = models.DecimalField(_("refund recomputed"), **MONEY)
    difference = models.DecimalField(_("difference (recomputed less claimed)"), **MONEY)
    tolerance = models.DecimalField(_("tolerance applied"), max_digits=10, decimal_places=2)
    tolerance_effective_from = models.DateField(_("tolerance in force from"))
    tolerance_source = models.CharField(_("tolerance source"), max_length=500)
    tolerance_applied = models.BooleanField(_("within tolerance"))
    allowed = models.DecimalField(_("refund allowed"), **MONEY)
    previously_allowed = models.DecimalField(_("refund allowed before"), **MONEY)
    change = models.DecimalField(_("change posted to the ledger"), **MONEY)
    objection_deadline = models.DateField(_("object by"))

    class Meta:
        ordering = ["-assessed_at", "-sequence"]
        verbose_name = _("claim assessment")
        constraints = [
            models.UniqueConstraint(fields=["claim", "sequence"], name="claim_assessment_unique_sequence"),
            models.CheckConstraint(
                condition=Q(kind="assessment", sequence=1) | Q(kind="reassessment", sequence__gt=1),
                name="claim_assessment_kind_matches_sequence",
            ),
            models.CheckConstraint(
                condition=Q(difference=F("recomputed") - F("claimed")),
                name="claim_assessment_difference",
            ),
            models.CheckConstraint(
                condition=(
                    Q(tolerance_applied=True, allowed=F("claimed"))
                    | Q(tolerance_applied=False, allowed=F("recomputed"))
                ),
                name="claim_assessment_allowed_follows_tolerance",
            ),
            models.CheckConstraint(
                condition=Q(change=F("allowed") - F("previously_allowed")), name="claim_assessment_change"
            ),
            models.CheckConstraint(
                condition=Q(claimed__gte=0, recomputed__gte=0, allowed__gte=0, previously_allowed__gte=0),
                name="claim_assessment_amounts_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.sequence} of claim {self.claim.confirmation_number}"

    @property
    def is_reassessment(self) -> bool:
        return self.kind == self.Kind.REASSESSMENT

    @property
    def changed_by_tra(self) -> bool:
        """TRA allowed other than what was claimed (beyond the tolerance): a letter of assessment is issued."""
        return self.allowed != self.claimed


class ClaimAssessmentLine(models.Model):
    """One claim line as assessed: the litres allowed, the refund per litre in force on the date of purchase
    (copied: value and effective date), the refund allowed, and why it differs from what was claimed."""

    assessment = models.ForeignKey(ClaimAssessment, on_delete=models.PROTECT, related_name="lines")
    claim_line = models.ForeignKey(ClaimLine, on_delete=models.PROTECT, related_name="+")
    fuel = models.CharField(max_length=40)
    purchase_date = models.DateField(_("date of purchase"))
    litres_claimed = models.DecimalField(_("litres claimed"), **LITRES)
    litres_allowed = models.DecimalField(_("litres allowed"), **LITRES)
    rate_claimed = models.DecimalField(_("refund per litre claimed"), max_digits=10, decimal_places=6)
    rate_value = models.DecimalField(
        _("refund per litre applied"), max_digits=10, decimal_places=6, null=True, blank=True
    )
    rate_effective_from = models.DateField(_("rate in force from"), null=True, blank=True)
    refund_claimed = models.DecimalField(_("refund claimed"), **MONEY)
    refund_allowed = models.DecimalField(_("refund allowed"), **MONEY)
    difference = models.DecimalField(_("difference"), **MONEY)
    disallowed = models.BooleanField(_("disallowed"), default=False)
    reason = models.CharField(_("reason for the difference"), max_length=500, blank=True)

    class Meta:
        ordering = ["assessment", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "claim_line"], name="claim_assessment_line_once_per_line"
            ),
            models.CheckConstraint(
                condition=Q(difference=F("refund_allowed") - F("refund_claimed")),
                name="claim_assessment_line_difference",
            ),
            models.CheckConstraint(
                condition=Q(litres_allowed__gte=0, refund_allowed__gte=0),
                name="claim_assessment_line_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(disallowed=False) | Q(refund_allowed=0, litres_allowed=0) & ~Q(reason=""),
                name="claim_assessment_line_disallowed_with_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.fuel} {self.purchase_date}: {money.format_signed_money(self.refund_allowed)}"

    @property
    def fuel_label(self) -> str:
        from programs.rates import fuel_labels

        return fuel_labels(tax=self.assessment.claim.tax).get(self.fuel, self.fuel)


class ClaimToAssess(Claim):
    """The staff queue of claims to assess in Django admin (a proxy: the claims are filings' own rows)."""

    class Meta:
        proxy = True
        verbose_name = _("claim to assess")
        verbose_name_plural = _("claims to assess (claim assessment queue)")
        permissions = [
            ("assess_claim", "Can assess or reassess a claim, and move claims in and out of review")
        ]
