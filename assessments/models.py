"""Assessments, notices and the ledger.

Nothing here is ever updated or deleted once written: an assessment, its lines, a notice, a read receipt and a
ledger transaction are facts about the past. A reassessment is a new assessment; a correction of the ledger is
a new transaction. The database enforces it: migration 0002 puts a trigger on each of these tables that
refuses UPDATE and DELETE (TRUNCATE, which only a table owner's maintenance does, stays possible).

Amounts are Decimal dollars rounded to the cent by programs.money. Ledger sign: a debit (the taxpayer owes
more: assessed tax, penalty, interest, a refund paid out) is positive; a credit (the taxpayer owes less or is
owed: a payment, a credit claimed, a write-off) is negative. A balance above zero is owing; below zero, a credit.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from filings.models import FuelTaxReturn, TourismLevyReturn
from filings.periods import Period, PeriodKind
from filings.tax import LineCategory
from programs import money
from programs.models import ProgramAccount

MONEY: money.DecimalColumn = {"max_digits": 16, "decimal_places": 2}
LITRES: money.DecimalColumn = {"max_digits": 15, "decimal_places": 3}


class Assessment(models.Model):
    """TRA's determination of the tax of one period of one account, from one version of its return.

    The period's first assessment has sequence 1 (kind ASSESSMENT); each later one is a REASSESSMENT with the
    next sequence, the earlier ones kept. `assessed_tax` is what the period owes in tax after this assessment;
    `change` (assessed tax less what was assessed before) is what it posts to the ledger."""

    class Kind(models.TextChoices):
        ASSESSMENT = "assessment", _("Assessment")
        REASSESSMENT = "reassessment", _("Reassessment")

    account = models.ForeignKey(ProgramAccount, on_delete=models.PROTECT, related_name="assessments")
    # The version of the period's return it was made from: a fuel tax return or a tourism levy return (exactly
    # one: `assessment_of_one_return`). Their figures are a return's alike (tax reported, recomputed, assessed),
    # so they share this table, its notices, ledger postings, objections and waivers.
    tax_return = models.ForeignKey(
        FuelTaxReturn, null=True, blank=True, on_delete=models.PROTECT, related_name="assessments"
    )
    tourism_levy_return = models.ForeignKey(
        TourismLevyReturn, null=True, blank=True, on_delete=models.PROTECT, related_name="assessments"
    )
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    sequence = models.PositiveSmallIntegerField(_("sequence in the period"))
    kind = models.CharField(max_length=12, choices=Kind.choices)
    assessed_at = models.DateTimeField(_("assessed"))
    assessed_on = models.DateField(
        _("date of assessment"), help_text=_("The date of the notice (in Alberta)")
    )
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty: assessed automatically (a clean return)"),
    )
    reason = models.TextField(_("reason"), blank=True)
    reported_tax = models.DecimalField(_("tax reported"), **MONEY)
    recomputed_tax = models.DecimalField(_("tax recomputed"), **MONEY)
    difference = models.DecimalField(_("difference (recomputed less reported)"), **MONEY)
    tolerance = models.DecimalField(_("tolerance applied"), max_digits=10, decimal_places=2)
    tolerance_effective_from = models.DateField(_("tolerance in force from"))
    tolerance_source = models.CharField(_("tolerance source"), max_length=500)
    tolerance_applied = models.BooleanField(
        _("within tolerance"),
        help_text=_("The difference was within the tolerance: neither collected nor refunded"),
    )
    assessed_tax = models.DecimalField(_("tax assessed"), **MONEY)
    previously_assessed_tax = models.DecimalField(_("tax assessed before"), **MONEY)
    change = models.DecimalField(_("change posted to the ledger"), **MONEY)
    payment_due_on = models.DateField(_("payment due date"))
    objection_deadline = models.DateField(_("object by"))

    class Meta:
        ordering = ["-period_start", "-sequence"]
        verbose_name = _("assessment")
        constraints = [
            # One assessment per sequence number of a period: the automatic job and a member of staff (or the
            # job running twice) cannot both assess the same return.
            models.UniqueConstraint(
                fields=["account", "period_start", "sequence"], name="assessment_unique_sequence_per_period"
            ),
            models.CheckConstraint(
                condition=Q(kind="assessment", sequence=1) | Q(kind="reassessment", sequence__gt=1),
                name="assessment_kind_matches_sequence",
            ),
            models.CheckConstraint(
                condition=Q(difference=F("recomputed_tax") - F("reported_tax")),
                name="assessment_difference_is_recomputed_less_reported",
            ),
            models.CheckConstraint(
                condition=(
                    Q(tolerance_applied=True, assessed_tax=F("reported_tax"))
                    | Q(tolerance_applied=False, assessed_tax=F("recomputed_tax"))
                ),
                name="assessment_assessed_tax_follows_tolerance",
            ),
            models.CheckConstraint(
                condition=Q(change=F("assessed_tax") - F("previously_assessed_tax")),
                name="assessment_change_is_assessed_less_before",
            ),
            models.CheckConstraint(
                condition=Q(reported_tax__gte=0, recomputed_tax__gte=0, tolerance__gte=0),
                name="assessment_amounts_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(tax_return__isnull=False, tourism_levy_return__isnull=True)
                | Q(tax_return__isnull=True, tourism_levy_return__isnull=False),
                name="assessment_of_one_return",
            ),
        ]
        indexes = [models.Index(fields=["account", "-assessed_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.sequence} of {self.account.number} {self.period.key}"

    @property
    def period(self) -> Period:
        """Its period: a month, or a calendar quarter (a quarterly tourism levy establishment's)."""
        month = Period(self.period_start)
        return month if self.period_end == month.end else Period(self.period_start, PeriodKind.QUARTERLY)

    @property
    def filing(self) -> FuelTaxReturn | TourismLevyReturn:
        """The return it was made from, whichever program's."""
        if self.tax_return_id is not None:
            return self.tax_return  # type: ignore[return-value]
        return self.tourism_levy_return  # type: ignore[return-value]  # one is set: assessment_of_one_return

    @property
    def is_reassessment(self) -> bool:
        return self.kind == self.Kind.REASSESSMENT


class AssessmentLine(models.Model):
    """One line of an assessment: the litres assessed, the rate applied (value, effective date and source
    copied, so the assessment and its notice never change when a rate does), the tax, and the difference from
    what was reported with its reason."""

    assessment = models.ForeignKey(Assessment, on_delete=models.PROTECT, related_name="lines")
    fuel = models.CharField(max_length=40)
    category = models.CharField(max_length=20, choices=LineCategory.choices)
    litres_reported = models.DecimalField(_("litres reported"), **LITRES)
    litres_assessed = models.DecimalField(_("litres assessed"), **LITRES)
    rate_value = models.DecimalField(
        _("rate ($/L)"),
        max_digits=10,
        decimal_places=6,
        null=True,
        blank=True,
        help_text=_("Empty: not in force"),
    )
    rate_effective_from = models.DateField(_("rate in force from"))
    rate_source = models.CharField(_("rate source"), max_length=500)
    tax_reported = models.DecimalField(_("tax reported"), **MONEY)
    tax_assessed = models.DecimalField(_("tax assessed"), **MONEY)
    difference = models.DecimalField(_("difference"), **MONEY)
    reason = models.CharField(_("reason for the difference"), max_length=500, blank=True)

    class Meta:
        ordering = ["assessment", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "fuel", "category"], name="assessment_line_one_per_fuel_and_category"
            ),
            models.CheckConstraint(
                condition=Q(difference=F("tax_assessed") - F("tax_reported")),
                name="assessment_line_difference",
            ),
            models.CheckConstraint(
                condition=Q(litres_reported__gte=0, litres_assessed__gte=0, tax_assessed__gte=0),
                name="assessment_line_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.fuel} {self.category}: {money.format_signed_money(self.tax_assessed)}"

    @property
    def fuel_label(self) -> str:
        from programs.rates import fuel_labels

        return fuel_labels().get(self.fuel, self.fuel)

    @property
    def category_label(self) -> str:
        return str(self.get_category_display())


class LedgerTransaction(models.Model):
    """One financial transaction of an account, in one period. Append-only (see the module docstring).

    `source_reference` names what caused it ("assessment:12", a payment's reference, "interest:2021-08-15"):
    together with the kind it is unique, so a job that posts and crashes and runs again cannot post the same
    thing twice. `reverses` is set on a REVERSAL, which carries the opposite amount of the transaction it
    corrects; a transaction is reversed at most once."""

    class Kind(models.TextChoices):
        ASSESSED_TAX = "assessed_tax", _("Assessed tax")
        CLAIM_CREDIT = "claim_credit", _("Refund or credit claimed")
        PENALTY = "penalty", _("Penalty")
        INTEREST = "interest", _("Interest")
        PAYMENT = "payment", _("Payment")
        REFUND_ISSUED = "refund_issued", _("Refund issued")
        TRANSFER = "transfer", _("Transfer")
        WRITE_OFF = "write_off", _("Write-off")
        REVERSAL = "reversal", _("Reversal or correction")

    account = models.ForeignKey(ProgramAccount, on_delete=models.PROTECT, related_name="ledger_transactions")
    period_end = models.DateField(_("period end"))
    kind = models.CharField(max_length=16, choices=Kind.choices)
    amount = models.DecimalField(
        _("amount"), **MONEY, help_text=_("Debit (owing more) positive, credit (owing less) negative")
    )
    processed_on = models.DateField(_("processed date"))
    effective_on = models.DateField(
        _("effective date"), help_text=_("The day the amount counts from (for interest)")
    )
    description = models.CharField(_("description"), max_length=300)
    source_reference = models.CharField(_("source reference"), max_length=120, blank=True)
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    posted_at = models.DateTimeField(_("posted"))
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty: posted by the system"),
    )

    class Meta:
        ordering = ["-processed_on", "-id"]
        verbose_name = _("ledger transaction")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "source_reference"],
                condition=~Q(source_reference=""),
                name="ledger_one_posting_per_source",
            ),
            models.CheckConstraint(
                condition=Q(kind="reversal", reverses__isnull=False)
                | (~Q(kind="reversal") & Q(reverses__isnull=True)),
                name="ledger_reversal_names_what_it_reverses",
            ),
            # The sign of each kind (a payment is always a credit, and so on); kinds that go both ways
            # (assessed tax on a reassessment, interest, transfers, write-offs, reversals) are not listed.
            models.CheckConstraint(
                condition=~Q(kind="payment") | Q(amount__lt=0), name="ledger_payment_is_credit"
            ),
            models.CheckConstraint(
                condition=~Q(kind="claim_credit") | Q(amount__lt=0), name="ledger_claim_is_credit"
            ),
            models.CheckConstraint(
                condition=~Q(kind="refund_issued") | Q(amount__gt=0), name="ledger_refund_issued_is_debit"
            ),
            models.CheckConstraint(
                condition=~Q(kind="penalty") | Q(amount__gt=0), name="ledger_penalty_is_debit"
            ),
        ]
        indexes = [
            # The transactions page: newest first within an account (and the reverse, read backwards).
            models.Index(fields=["account", "-processed_on", "-id"], name="ledger_account_processed"),
            # Period balances and the filter by period end, read from the index alone.
            models.Index(fields=["account", "period_end"], include=["amount"], name="ledger_account_period"),
        ]

    def __str__(self) -> str:
        return f"{self.processed_on} {self.account.number} {self.get_kind_display()} {money.format_signed_money(self.amount)}"

    @property
    def is_credit(self) -> bool:
        return self.amount < 0

    @property
    def kind_label(self) -> str:
        """The kind's label (cheaper than get_kind_display, which rebuilds the choices on every call: the pages
        show thousands of these)."""
        return str(self.Kind(self.kind).label)


class LedgerMonth(models.Model):
    """What an account's ledger moved in one month of processed dates: the sum of the amounts of the transactions
    processed in that month, and how many there are. Derived data, kept by the database (ADR 0017): triggers on
    the ledger (migration 0011) add each inserted statement's rows to their months in the same transaction,
    whoever inserts them (ledger_post, a COPY, bulk_create), and take away rows deleted or changed where the
    append-only trigger is disabled by the table's owner. The balance at a month's end is the sum of its own and
    every earlier month's `net`; the Account Information chart reads 24 of them and one opening sum from this
    table (one row per month of the account's life), never the ledger's rows. `ledger_check` proves it equals the
    ledger's own sums."""

    account = models.ForeignKey(ProgramAccount, on_delete=models.PROTECT, related_name="ledger_months")
    month = models.DateField(_("month"), help_text=_("The first day of the month of the processed dates"))
    # Two digits more than a transaction: a month's sum of amounts that each fit MONEY.
    net = models.DecimalField(_("net movement"), max_digits=18, decimal_places=2)
    transactions = models.PositiveIntegerField(_("transactions"))

    class Meta:
        ordering = ["account", "month"]
        verbose_name = _("ledger month")
        constraints = [
            models.UniqueConstraint(fields=["account", "month"], name="ledger_month_one_per_account_month"),
            models.CheckConstraint(condition=Q(month__day=1), name="ledger_month_is_first_of_month"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.month:%Y-%m}: {money.format_signed_money(self.net)}"


class Notice(models.Model):
    """A notice TRA issues on an account: a PDF rendered once by a Celery job and kept in the default storage,
    created with its file in one insert, never changed.

    Kinds: the notice of assessment or reassessment of a return (`assessment` set, unique per assessment, so a
    job that runs twice finds the notice already issued); the letter of assessment of a claim TRA changed; the
    notice of decision on an objection; the decision on a waiver request. Every kind other than a return's
    notice names what it is about in `source_reference` ("claim_assessment:12", "objection:5", ...), unique, so
    its job is safe to run twice too. `amount` is the figure the notices page shows (tax assessed, refund
    allowed, amount in dispute after the decision, amount waived); `objection_deadline` the last day to object
    to this notice (empty: it cannot be objected to)."""

    class Kind(models.TextChoices):
        ASSESSMENT = "assessment", _("Notice of assessment")
        REASSESSMENT = "reassessment", _("Notice of reassessment")
        LETTER_OF_ASSESSMENT = "claim_letter", _("Letter of assessment")
        OBJECTION_DECISION = "objection", _("Notice of decision (objection)")
        WAIVER_DECISION = "waiver", _("Decision on a waiver request")

    assessment = models.OneToOneField(
        Assessment, null=True, blank=True, on_delete=models.PROTECT, related_name="notice"
    )
    account = models.ForeignKey(ProgramAccount, on_delete=models.PROTECT, related_name="notices")
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    kind = models.CharField(max_length=12, choices=Kind.choices)
    reference = models.CharField(_("notice number"), max_length=40, unique=True)
    source_reference = models.CharField(_("issued for"), max_length=120, blank=True)
    issued_on = models.DateField(_("date of notice"))
    amount = models.DecimalField(_("amount"), **MONEY, null=True, blank=True)
    objection_deadline = models.DateField(_("object by"), null=True, blank=True)
    pdf = models.FileField(_("PDF"), max_length=300)
    sha256 = models.CharField(_("SHA-256 of the PDF"), max_length=64)
    size = models.PositiveIntegerField(_("size (bytes)"))
    rendered_at = models.DateTimeField(_("rendered"))

    class Meta:
        ordering = ["-issued_on", "-id"]
        verbose_name = _("notice")
        indexes = [models.Index(fields=["account", "-issued_on", "-id"], name="notice_account_issued")]
        constraints = [
            models.UniqueConstraint(
                fields=["source_reference"], condition=~Q(source_reference=""), name="notice_one_per_source"
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind__in=["assessment", "reassessment"], assessment__isnull=False)
                    | (~Q(kind__in=["assessment", "reassessment"]) & Q(assessment__isnull=True))
                    & ~Q(source_reference="")
                ),
                name="notice_of_an_assessment_or_of_a_source",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} {self.reference}"

    @property
    def title(self) -> str:
        return str(self.Kind(self.kind).label)

    @property
    def period(self) -> Period:
        return Period(self.period_start)


class NoticeRead(models.Model):
    """Who opened a notice, and when they first did (every download is also in the access log)."""

    notice = models.ForeignKey(Notice, on_delete=models.PROTECT, related_name="reads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    capacity = models.CharField(max_length=16)
    opened_at = models.DateTimeField(_("first opened"))

    class Meta:
        ordering = ["notice", "opened_at"]
        verbose_name = _("notice read")
        constraints = [models.UniqueConstraint(fields=["notice", "user"], name="notice_read_once_per_person")]

    def __str__(self) -> str:
        return f"{self.notice.reference} opened by {self.user} at {self.opened_at:%Y-%m-%d %H:%M}"


class ReturnToAssess(FuelTaxReturn):
    """The staff queue of returns to assess in Django admin (a proxy: the returns are filings' own rows)."""

    class Meta:
        proxy = True
        verbose_name = _("return to assess")
        verbose_name_plural = _("returns to assess (assessment queue)")
        permissions = [
            ("assess_return", "Can assess or reassess a return, and move returns in and out of review")
        ]


class TourismLevyReturnToAssess(TourismLevyReturn):
    """The staff queue of tourism levy returns to assess (a proxy, like ReturnToAssess; the same permission)."""

    class Meta:
        proxy = True
        verbose_name = _("tourism levy return to assess")
        verbose_name_plural = _("tourism levy returns to assess (assessment queue)")


# Claim assessments (assessments/models_claims.py), payments received and refunds (assessments/models_payments.py),
# and Notices of Objection and waiver requests (assessments/models_objections.py): their own modules, registered
# with the app by these imports.
from assessments.cycles.models import CycleClaim, CycleRun, SalesSummaryExport  # noqa: E402, F401
from assessments.models_claims import ClaimAssessment, ClaimAssessmentLine, ClaimToAssess  # noqa: E402, F401
from assessments.models_objections import (  # noqa: E402, F401
    Objection,
    SupportingDocument,
    WaiverCharge,
    WaiverRequest,
)
from assessments.models_payments import Payment, PaymentImport, Refund, RefundPaymentFile  # noqa: E402, F401
