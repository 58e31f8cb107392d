"""Money received and paid out: payments TRA received (assessments/payments.py) and refunds of a claim's credit
with their payment files (assessments/refunds.py, assessments/refund_files.py). Registered with the app by
assessments/models.py, which imports them (callers name them as assessments.models.Payment, ...)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from programs import money
from programs.models import ProgramAccount

MONEY: money.DecimalColumn = {"max_digits": 16, "decimal_places": 2}


# --- Payments received (assessments/payments.py) --------------------------------------------------------------


class PaymentImport(models.Model):
    """One payment file imported by staff (docs/payment-file-format.md): every row validated before any is
    posted, all posted in one transaction or none."""

    filename = models.CharField(_("file name"), max_length=200)
    sha256 = models.CharField(_("SHA-256 of the file"), max_length=64)
    rows = models.PositiveIntegerField(_("rows"))
    recorded = models.PositiveIntegerField(_("payments recorded"))
    already_recorded = models.PositiveIntegerField(_("rows already recorded (skipped)"))
    imported_at = models.DateTimeField(_("imported"))
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-imported_at"]
        verbose_name = _("payment file import")

    def __str__(self) -> str:
        return f"{self.filename} ({self.imported_at:%Y-%m-%d %H:%M})"


class Payment(models.Model):
    """A payment TRA received, recorded by staff (one at a time in admin, or by a payment file). Its reference
    (the bank's or TRA's) is unique: the same payment cannot be recorded twice. It is posted to the ledger as
    PAYMENT credits, oldest owing period first (`payment:<id>:<period end>` source references)."""

    class Method(models.TextChoices):
        ONLINE_BANKING = "online_banking", _("Online banking")
        CHEQUE = "cheque", _("Cheque")
        WIRE = "wire", _("Wire transfer")
        EFT = "eft", _("Electronic funds transfer")
        OTHER = "other", _("Other")

    account = models.ForeignKey(ProgramAccount, on_delete=models.PROTECT, related_name="payments")
    amount = models.DecimalField(_("amount"), **MONEY)
    received_on = models.DateField(_("received date"))
    method = models.CharField(_("method"), max_length=16, choices=Method.choices)
    reference = models.CharField(_("reference"), max_length=60, unique=True)
    payment_import = models.ForeignKey(
        PaymentImport, null=True, blank=True, on_delete=models.PROTECT, related_name="payments"
    )
    recorded_at = models.DateTimeField(_("recorded"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-received_on", "-id"]
        verbose_name = _("payment received")
        verbose_name_plural = _("payments received")
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive")]

    def __str__(self) -> str:
        return f"{self.reference} {self.account.number} {money.format_money(self.amount)} {self.received_on}"


# --- Refunds (assessments/refunds.py) and their payment files (assessments/refund_files.py) -----------------


class RefundPaymentFile(models.Model):
    """The payment file of one run of the refund job, per method: a direct deposit batch or a cheque register
    (docs/refund-payment-files.md). Open while the run assigns refunds to it (a run killed half-way leaves it
    open: the next run goes on filling it); closed at the end of the run, when its content is written once,
    encrypted (it holds bank account numbers), with its count, total and SHA-256."""

    class Kind(models.TextChoices):
        DIRECT_DEPOSIT = "direct_deposit", _("Direct deposit batch")
        CHEQUE = "cheque", _("Cheque register")

    kind = models.CharField(max_length=16, choices=Kind.choices)
    opened_at = models.DateTimeField(_("opened"))
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    count = models.PositiveIntegerField(_("refunds"), default=0)
    total = models.DecimalField(_("total"), **MONEY, default=0)
    content_encrypted = models.BinaryField(null=True, blank=True, editable=False)
    sha256 = models.CharField(_("SHA-256 of the file"), max_length=64, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = _("refund payment file")
        permissions = [
            (
                "download_refundpaymentfile",
                "Can download a refund payment file (bank account numbers in clear)",
            )
        ]
        constraints = [
            # One open file per kind: two runs at once fill the same one (and the next run finds a killed one).
            models.UniqueConstraint(
                fields=["kind"], condition=Q(closed_at__isnull=True), name="refund_file_one_open_per_kind"
            ),
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True) | (Q(content_encrypted__isnull=False) & ~Q(sha256="")),
                name="refund_file_closed_has_content",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.reference}"

    @property
    def reference(self) -> str:
        prefix = "DD" if self.kind == self.Kind.DIRECT_DEPOSIT else "CQ"
        return f"{prefix}-{self.opened_at:%Y%m%d}-{self.pk:06d}"


class Refund(models.Model):
    """A refund of the credit an assessed claim left on the account (assessments/refunds.py).

    The payee is copied when the refund is prepared (the bank account, its number kept encrypted as
    programs.DirectDeposit keeps it, or the mailing address of record), so a later change of banking or
    address does not change a refund already approved. Approved by one member of staff, or by two distinct
    ones above TRACS_REFUND_SECOND_APPROVAL_ABOVE (four eyes); issued once by the refund job (one
    REFUND_ISSUED ledger posting, source "refund:<id>"), in one payment file."""

    class Method(models.TextChoices):
        DIRECT_DEPOSIT = "direct_deposit", _("Direct deposit")
        CHEQUE = "cheque", _("Cheque")

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting approval")
        APPROVED = "approved", _("Approved")
        ISSUED = "issued", _("Issued")
        CANCELLED = "cancelled", _("Cancelled")

    account = models.ForeignKey(ProgramAccount, on_delete=models.PROTECT, related_name="refunds")
    claim_assessment = models.ForeignKey(
        "assessments.ClaimAssessment", on_delete=models.PROTECT, related_name="refunds"
    )
    period_end = models.DateField(_("ledger period end"))
    amount = models.DecimalField(_("amount"), **MONEY)
    method = models.CharField(_("method"), max_length=16, choices=Method.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    payee_name = models.CharField(_("payee"), max_length=200)
    institution_number = models.CharField(_("institution number"), max_length=3, blank=True)
    transit_number = models.CharField(_("transit number"), max_length=5, blank=True)
    bank_account_encrypted = models.BinaryField(null=True, blank=True, editable=False)
    bank_account_last4 = models.CharField(_("account number ends in"), max_length=4, blank=True)
    address_line1 = models.CharField(max_length=200, blank=True)
    address_line2 = models.CharField(max_length=200, blank=True)
    address_city = models.CharField(max_length=100, blank=True)
    address_province = models.CharField(max_length=2, blank=True)
    address_postal_code = models.CharField(max_length=7, blank=True)
    address_country = models.CharField(max_length=2, blank=True)
    needs_second_approval = models.BooleanField(_("needs a second approval"))
    created_at = models.DateTimeField(_("prepared"))
    first_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    first_approved_at = models.DateTimeField(null=True, blank=True)
    # The automatic marked-fuel refund at or below the threshold is approved by TRACS itself, as its own actor
    # (assessments/cycles/): no person, so no first approver; above it, the four eyes apply as to any refund.
    approved_by_system = models.BooleanField(_("approved by TRACS (automatic refund)"), default=False)
    second_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    second_approved_at = models.DateTimeField(null=True, blank=True)
    issued_at = models.DateTimeField(_("issued"), null=True, blank=True)
    payment_file = models.ForeignKey(
        RefundPaymentFile, null=True, blank=True, on_delete=models.PROTECT, related_name="refunds"
    )
    ledger_transaction = models.OneToOneField(
        "assessments.LedgerTransaction",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="refund",
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("refund")
        permissions = [
            ("approve_refund", "Can approve a refund (first or second approval)"),
            ("cancel_refund", "Can cancel a refund not yet issued"),
        ]
        constraints = [
            # A second refund of the same credit: one live refund per claim (re)assessment (a cancelled one
            # no longer counts, so the credit can be refunded once the mistake is put right).
            models.UniqueConstraint(
                fields=["claim_assessment"],
                condition=~Q(status="cancelled"),
                name="refund_one_per_credit",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
            models.CheckConstraint(
                condition=~Q(method="direct_deposit")
                | (Q(bank_account_encrypted__isnull=False) & Q(bank_account_last4__regex=r"^[0-9]{4}$")),
                name="refund_direct_deposit_has_bank_account",
            ),
            models.CheckConstraint(
                condition=~Q(method="cheque") | ~Q(address_line1=""), name="refund_cheque_has_address"
            ),
            models.CheckConstraint(
                condition=Q(second_approved_by__isnull=True)
                | (Q(first_approved_by__isnull=False) & ~Q(second_approved_by=F("first_approved_by"))),
                name="refund_four_eyes_distinct",
            ),
            models.CheckConstraint(
                condition=~Q(status="issued")
                | Q(
                    issued_at__isnull=False,
                    payment_file__isnull=False,
                    ledger_transaction__isnull=False,
                )
                & (Q(first_approved_by__isnull=False) | Q(approved_by_system=True)),
                name="refund_issued_once_in_a_file",
            ),
            models.CheckConstraint(
                condition=Q(approved_by_system=False)
                | Q(
                    needs_second_approval=False,
                    first_approved_by__isnull=True,
                    first_approved_at__isnull=False,
                ),
                name="refund_system_approval_only_below_threshold",
            ),
            models.CheckConstraint(
                condition=~Q(status="issued")
                | Q(needs_second_approval=False)
                | Q(second_approved_by__isnull=False),
                name="refund_issued_with_second_approval",
            ),
            models.CheckConstraint(
                condition=~Q(status="cancelled") | (Q(cancelled_at__isnull=False) & ~Q(cancel_reason="")),
                name="refund_cancelled_with_reason",
            ),
        ]
        indexes = [models.Index(fields=["status", "id"], name="refund_status")]

    def __str__(self) -> str:
        return f"Refund {self.pk} {self.account.number} {money.format_money(self.amount)} ({self.get_status_display()})"

    @property
    def source_reference(self) -> str:
        return f"refund:{self.pk}"

    @property
    def payee_masked(self) -> str:
        """How pages show where the money goes: the last four digits, or the cheque to the address of record."""
        if self.method == self.Method.DIRECT_DEPOSIT:
            return f"direct deposit to the account ending in {self.bank_account_last4}"
        return "cheque to the address of record"
