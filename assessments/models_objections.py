"""Notices of Objection (AT4762) and Requests for a Waiver of Penalties and Interest (AT4764).

Both are filed by the account's people in TRACS and decided by TRA staff (docs/adr/0008). They are about
assessments and charges, so they live in assessments (ARCHITECTURE.md, docs/adr/0014); their tables keep the
names they had when they lived in filings (`db_table`), so the move changed no row. The decision (outcome, who,
when, reasons, the number of the notice of decision) is written by `assessments.objection_filing`, called by the
decision service (assessments/decisions/) in its own transaction.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from consent.models import Grant
from filings.periods import Period
from programs import money
from programs.models import DocumentFile, ProgramAccount

if TYPE_CHECKING:  # assessments.models imports this module at its end: named as strings below
    from assessments.models import LedgerTransaction

MONEY: money.DecimalColumn = {"max_digits": 16, "decimal_places": 2}
# AT4762 and AT4764 both limit the statement of facts and reasons to 2,000 characters.
FACTS_MAX_CHARS = 2000
OBJECTION_REFERENCE_PATTERN = r"^NOO-[0-9]{8}-[A-Z0-9]{6}$"
WAIVER_REFERENCE_PATTERN = r"^WPI-[0-9]{8}-[A-Z0-9]{6}$"


class FiledRequest(models.Model):
    """What an objection and a waiver request share: who filed it and for whom, the statement, the authorized
    representative who signs it, its status and TRA's decision."""

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        IN_REVIEW = "in_review", _("In review")
        DECIDED = "decided", _("Decided")

    account = models.ForeignKey(ProgramAccount, on_delete=models.PROTECT, related_name="+")
    reference_number = models.CharField(_("reference number"), max_length=20, unique=True)
    facts = models.CharField(_("statement of facts and reasons"), max_length=FACTS_MAX_CHARS)
    representative_name = models.CharField(_("authorized representative"), max_length=200)
    representative_position = models.CharField(_("position or title"), max_length=200)
    representative_address = models.CharField(_("address"), max_length=500)
    representative_phone = models.CharField(_("telephone"), max_length=40)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    filed_by_email = models.EmailField(_("filed by (e-mail)"))
    capacity = models.CharField(_("filed as"), max_length=16, choices=Grant.Role.choices)
    received_at = models.DateTimeField(_("received"))
    submission_token = models.UUIDField(
        _("submission token"),
        null=True,
        blank=True,
        help_text=_(
            "Drawn when the wizard was started: the same wizard files once, however often it is sent"
        ),
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.RECEIVED, db_index=True)
    review_started_at = models.DateTimeField(_("review started"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_on = models.DateField(_("date of decision"), null=True, blank=True)
    decision_reasons = models.TextField(_("reasons for the decision"), blank=True)
    decision_notice_reference = models.CharField(_("notice of decision"), max_length=40, blank=True)

    class Meta:
        abstract = True

    @property
    def is_decided(self) -> bool:
        return self.status == self.Status.DECIDED


def _decided_constraint(name: str) -> models.CheckConstraint:
    """Decided <=> an outcome, who, when and the notice number are recorded."""
    decided = (
        ~Q(outcome="")
        & Q(decided_by__isnull=False, decided_at__isnull=False, decided_on__isnull=False)
        & ~Q(decision_notice_reference="")
    )
    undecided = Q(outcome="", decided_at__isnull=True, decision_notice_reference="")
    return models.CheckConstraint(
        condition=(Q(status="decided") & decided) | (~Q(status="decided") & undecided), name=name
    )


class Objection(FiledRequest):
    """A Notice of Objection (AT4762) to a notice of assessment or reassessment (or a letter of assessment), or
    to a letter refusing, disallowing, suspending or cancelling something."""

    class Against(models.TextChoices):
        NOTICE = "notice", _("A notice of assessment or reassessment")
        LETTER = "letter", _("A letter of refusal, disallowance, suspension or cancellation")

    class LetterKind(models.TextChoices):
        REFUSAL = "refusal", _("Refusal")
        DISALLOWANCE = "disallowance", _("Disallowance")
        SUSPENSION = "suspension", _("Suspension")
        CANCELLATION = "cancellation", _("Cancellation")

    class Outcome(models.TextChoices):
        CONFIRMED = "confirmed", _("Confirmed: the assessment stands")
        VARIED = "varied", _("Varied: the period was reassessed")
        VACATED = "vacated", _("Vacated: the assessment was cancelled")

    account = models.ForeignKey(ProgramAccount, on_delete=models.PROTECT, related_name="objections")
    against = models.CharField(_("objection to"), max_length=8, choices=Against.choices)
    # The notice objected to (a notice of assessment or reassessment, or a claim's letter of assessment): the
    # wizard offers only the account's own notices, so every objection to a notice names a real one.
    notice = models.ForeignKey(
        "assessments.Notice",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="objections",
        verbose_name=_("notice objected to"),
    )
    letter_kind = models.CharField(_("kind of letter"), max_length=12, choices=LetterKind.choices, blank=True)
    period_start = models.DateField(_("period start"), null=True, blank=True)
    period_end = models.DateField(_("period end"), null=True, blank=True)
    dated_on = models.DateField(_("date of the notice or letter"))
    amount_in_dispute = models.DecimalField(_("amount in dispute"), **MONEY, null=True, blank=True)
    extension_reason = models.CharField(_("reason for extension"), max_length=FACTS_MAX_CHARS, blank=True)
    outcome = models.CharField(_("decision"), max_length=10, choices=Outcome.choices, blank=True)
    reassessment = models.ForeignKey(
        "assessments.Assessment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("reassessment made"),
        help_text=_("Set when the objection was varied"),
    )
    # A claim's reassessment is a ClaimAssessment, not an Assessment: kept apart from a return's reassessment.
    claim_reassessment = models.ForeignKey(
        "assessments.ClaimAssessment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("claim reassessment made"),
        help_text=_("Set when an objection to a claim's letter of assessment was varied or vacated"),
    )

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("notice of objection")
        verbose_name_plural = _("notices of objection")
        permissions = [("decide_objection", "Can take an objection into review and decide it")]
        db_table = "filings_objection"  # kept from filings: the move changed no row
        indexes = [models.Index(fields=["account", "-received_at"], name="objection_account_received")]
        constraints = [
            models.CheckConstraint(
                condition=Q(reference_number__regex=OBJECTION_REFERENCE_PATTERN),
                name="objection_reference_format",
            ),
            models.CheckConstraint(
                condition=(
                    Q(
                        against="notice",
                        letter_kind="",
                        period_start__isnull=False,
                        period_end__isnull=False,
                        amount_in_dispute__gt=0,
                        notice__isnull=False,
                    )
                )
                | (
                    Q(against="letter", notice__isnull=True, amount_in_dispute__isnull=True)
                    & ~Q(letter_kind="")
                ),
                name="objection_fields_follow_what_is_objected_to",
            ),
            models.CheckConstraint(condition=~Q(facts=""), name="objection_facts_required"),
            models.UniqueConstraint(
                fields=["account", "submission_token"], name="objection_one_per_submission"
            ),
            _decided_constraint("objection_decision_complete"),
        ]

    def __str__(self) -> str:
        return f"{self.reference_number} {self.account.number}"

    @property
    def notice_reference(self) -> str:
        """The number of the notice objected to ("" for a letter)."""
        return self.notice.reference if self.notice is not None else ""

    @property
    def period(self) -> Period | None:
        return Period(self.period_start) if self.period_start else None

    @property
    def subject(self) -> str:
        """What is objected to, in words."""
        if self.against == self.Against.NOTICE:
            return f"Notice {self.notice_reference} of {self.dated_on:%Y-%m-%d}"
        return f"{self.get_letter_kind_display()} letter of {self.dated_on:%Y-%m-%d}"


class WaiverRequest(FiledRequest):
    """A Request for a Waiver of Penalties and Interest (AT4764): the penalty and interest transactions asked
    to be waived, the grounds, and the facts."""

    class Ground(models.TextChoices):
        # The grounds of TRA's information circulars on waivers (FT-9 "Audits, objections, and waivers of
        # penalties and interest"; TTA-6): see docs/adr/0008-objections-and-waivers.md.
        EXTRAORDINARY = (
            "extraordinary",
            _(
                "Extraordinary circumstances beyond my control (for example a natural disaster, a disruption of "
                "services, a serious illness or accident)"
            ),
        )
        TRA_ACTION = (
            "tra_action",
            _("Actions of TRA (for example processing delays, or incorrect information from TRA)"),
        )
        HARDSHIP = "hardship", _("Inability to pay or financial hardship")

    class Outcome(models.TextChoices):
        GRANTED = "granted", _("Granted in full")
        PARTLY_GRANTED = "partly_granted", _("Granted in part")
        REFUSED = "refused", _("Refused")

    account = models.ForeignKey(ProgramAccount, on_delete=models.PROTECT, related_name="waiver_requests")
    charges: models.ManyToManyField[LedgerTransaction, WaiverCharge] = models.ManyToManyField(
        "assessments.LedgerTransaction",
        through="WaiverCharge",
        related_name="waiver_requests",
        verbose_name=_("penalty and interest transactions asked to be waived"),
    )
    amount_requested = models.DecimalField(_("amount asked to be waived"), **MONEY)
    period_ends = ArrayField(models.DateField(), verbose_name=_("periods"))
    grounds = ArrayField(
        models.CharField(max_length=16, choices=Ground.choices), verbose_name=_("grounds for the request")
    )
    outcome = models.CharField(_("decision"), max_length=16, choices=Outcome.choices, blank=True)
    amount_waived = models.DecimalField(_("amount waived"), **MONEY, null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("request for a waiver of penalties and interest")
        verbose_name_plural = _("requests for a waiver of penalties and interest")
        permissions = [("decide_waiver", "Can take a waiver request into review and decide it")]
        db_table = "filings_waiverrequest"  # kept from filings: the move changed no row
        indexes = [models.Index(fields=["account", "-received_at"], name="waiver_account_received")]
        constraints = [
            models.CheckConstraint(
                condition=Q(reference_number__regex=WAIVER_REFERENCE_PATTERN), name="waiver_reference_format"
            ),
            # At least one charge is asked for (a row of WaiverCharge): objection_filing.waiver_request_file
            # files none without; a check constraint cannot see another table.
            models.CheckConstraint(
                condition=Q(amount_requested__gt=0) & ~Q(grounds=[]),
                name="waiver_asks_for_something_on_grounds",
            ),
            models.CheckConstraint(condition=~Q(facts=""), name="waiver_facts_required"),
            models.UniqueConstraint(fields=["account", "submission_token"], name="waiver_one_per_submission"),
            models.CheckConstraint(
                condition=Q(outcome__in=["granted", "partly_granted"], amount_waived__gt=0)
                | Q(outcome__in=["", "refused"], amount_waived__isnull=True),
                name="waiver_amount_follows_outcome",
            ),
            _decided_constraint("waiver_decision_complete"),
        ]

    def __str__(self) -> str:
        return f"{self.reference_number} {self.account.number}"

    @property
    def ground_labels(self) -> list[str]:
        return [str(self.Ground(ground).label) for ground in self.grounds]

    @property
    def transaction_ids(self) -> list[int]:
        """The ids of the charges asked to be waived (prefetch `waiver_charges` to read them without a query)."""
        return sorted(charge.transaction_id for charge in self.waiver_charges.all())

    @property
    def waived_transaction_ids(self) -> list[int]:
        """The ids of the charges the decision waived."""
        return sorted(charge.transaction_id for charge in self.waiver_charges.all() if charge.waived)


class WaiverCharge(models.Model):
    """One penalty or interest charge a waiver request asks to be waived, and whether the decision waived it
    (`waived` is set only by a decision granting the waiver, in full or in part)."""

    waiver_request = models.ForeignKey(WaiverRequest, on_delete=models.CASCADE, related_name="waiver_charges")
    transaction = models.ForeignKey(
        "assessments.LedgerTransaction", on_delete=models.PROTECT, related_name="waiver_charges"
    )
    waived = models.BooleanField(_("waived"), default=False)

    class Meta:
        ordering = ["waiver_request", "transaction"]
        verbose_name = _("charge asked to be waived")
        constraints = [
            models.UniqueConstraint(fields=["waiver_request", "transaction"], name="waiver_charge_once"),
        ]

    def __str__(self) -> str:
        return f"{self.waiver_request_id}: transaction {self.transaction_id}"


class SupportingDocument(models.Model):
    """One document filed with an objection or a waiver request (up to 10 each), with its description. Its
    file was checked and scanned like a Submit Documents file (programs.documents) before it was kept."""

    objection = models.ForeignKey(
        Objection, null=True, blank=True, on_delete=models.CASCADE, related_name="documents"
    )
    waiver_request = models.ForeignKey(
        WaiverRequest, null=True, blank=True, on_delete=models.CASCADE, related_name="documents"
    )
    position = models.PositiveSmallIntegerField()
    description = models.CharField(_("description"), max_length=300)
    file = models.FileField(max_length=300)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(max_length=120)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    sha256 = models.CharField(max_length=64)
    scan_status = models.CharField(_("malware scan"), max_length=12, choices=DocumentFile.ScanStatus.choices)
    scan_detail = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["objection", "waiver_request", "position"]
        verbose_name = _("supporting document")
        db_table = "filings_supportingdocument"  # kept from filings: the move changed no row
        constraints = [
            models.CheckConstraint(
                condition=Q(objection__isnull=False, waiver_request__isnull=True)
                | Q(objection__isnull=True, waiver_request__isnull=False),
                name="supporting_document_of_one_filing",
            ),
            models.UniqueConstraint(
                fields=["objection", "position"],
                condition=Q(objection__isnull=False),
                name="supporting_document_objection_position",
            ),
            models.UniqueConstraint(
                fields=["waiver_request", "position"],
                condition=Q(waiver_request__isnull=False),
                name="supporting_document_waiver_position",
            ),
            models.CheckConstraint(
                condition=Q(position__gte=1, position__lte=10, size__gt=0),
                name="supporting_document_at_most_10",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.original_name}"
