"""Refunds of the credit an assessed claim leaves on an account (issue 6, item 6): prepared, approved (four
eyes above a configured amount), issued exactly once, paid out in a payment file (assessments/refund_files.py).

- **Prepared** (`refund_prepare`, by a Celery job once a claim (re)assessment that added credit commits):
  the amount is the credit that (re)assessment added, but never more than the credit actually on the
  account, less the refunds already prepared and not yet issued (a credit first pays what the account owes;
  with nothing left, no refund). Method: inventory declarations always by cheque (the fuel tax relief seed
  page: "paid by cheque"); otherwise direct deposit when the account has a bank account on file, else a cheque
  to the mailing address of record. The payee is copied in (the bank account number stays encrypted). A
  second live refund of the same credit is refused here and by the database (`refund_one_per_credit`).
- **Approved** (`refund_approve`): a refund is prepared by the system, by nobody; one refund approver (staff
  holding `assessments.approve_refund`, the role of accounts/roles.py) approves it, or, above
  settings.TRACS_REFUND_SECOND_APPROVAL_ABOVE (fixed on the refund when prepared), two distinct ones, both
  holding the role (and the database refuses the same person twice: `refund_four_eyes_distinct`).
- **Cancelled** (`refund_cancel`) by a refund approver (`assessments.cancel_refund`), with a reason, at any
  time before it is issued.
- **Issued** (`refunds_issue`, the beat job): every approved refund, each in one transaction that posts
  REFUND_ISSUED (a debit: the credit leaves the account; source "refund:<id>", unique), marks the refund issued
  and puts it in the run's open payment file of its method; then the run closes its files. A run killed
  anywhere leaves each refund either wholly issued or untouched, and its files open: the next run issues the
  rest into the same files and closes them. A refund whose credit is no longer on the account (a debt posted
  since it was approved) is held, not issued, and reported; staff cancel it or wait.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import units
from accounts.actors import Actor
from accounts.models import AccessLogEntry, User
from accounts.services import access_log_record, email_queue
from assessments import selectors
from assessments.models import ClaimAssessment, LedgerTransaction, Refund, RefundPaymentFile
from assessments.services import ledger
from filings import status as filing_status
from filings.models import Claim
from programs import money
from programs.models import Address, DirectDeposit, ProgramAccount

Status = Refund.Status
Method = Refund.Method
ZERO = money.cents(Decimal(0))
OPEN = (Status.PENDING, Status.APPROVED)

NOT_A_CREDIT = _("The %(what)s of claim %(number)s added no credit: there is nothing to refund.")
NO_CREDIT = _(
    "Account %(number)s has no credit left to refund (balance %(balance)s, refunds not yet issued %(open)s): "
    "the credit went to amounts owing."
)
ALREADY_REFUNDED = _(
    "The credit of claim %(number)s from its %(what)s already has refund %(id)s (%(status)s): a credit is "
    "refunded once."
)
NO_MAILING_ADDRESS = _(
    "Account %(number)s has no mailing address of record, so a cheque cannot be sent. Once the address is "
    "added, the daily refund job prepares the refund."
)
NOT_STAFF = _("Only active TRA staff approve or cancel refunds.")
NOT_APPROVER = _(
    "Only a refund approver approves refunds: %(name)s does not hold the refund approver role, so refund %(id)s "
    "was not approved."
)
NOT_CANCELLER = _(
    "Only a refund approver cancels refunds: %(name)s does not hold the refund approver role, so refund %(id)s "
    "was not cancelled."
)
APPROVE_PERMISSION = "assessments.approve_refund"
CANCEL_PERMISSION = "assessments.cancel_refund"
NOT_PENDING = _("Refund %(id)s is “%(status)s”: only a refund awaiting approval can be approved.")
SAME_APPROVER = _(
    "Refund %(id)s of %(amount)s is above %(threshold)s: it needs a second approval by another "
    "refund approver (you approved it first)."
)
CANCEL_REASON_REQUIRED = _("Give the reason for cancelling the refund.")
NOT_CANCELLABLE = _("Refund %(id)s is “%(status)s”: only a refund not yet issued can be cancelled.")


class RefundRefused(ValidationError):
    """The refund cannot be prepared, approved or cancelled as asked; nothing was written."""


def threshold() -> Decimal:
    """Refunds above this amount need two distinct approvers (settings.TRACS_REFUND_SECOND_APPROVAL_ABOVE)."""
    return money.cents(Decimal(str(settings.TRACS_REFUND_SECOND_APPROVAL_ABOVE)))


def _log(*, refund: Refund, actor: Actor, action: str, detail: str) -> None:
    access_log_record(
        actor=actor,
        kind=AccessLogEntry.Kind.CHANGE,
        action=action,
        account_number=refund.account.number,
        on_behalf_of=refund.account.on_behalf_of,
        capacity=ledger.staff_capacity(actor),
        detail=f"refund {refund.pk} {money.format_money(refund.amount)} {refund.get_method_display()}: {detail}",
    )


def _clean(refund: Refund, *, prepared: bool = False) -> None:
    """full_clean of a refund before it is saved. The database checks the constraints and the foreign keys, so the
    keys held are not queried again (accounts.units.held_relations), nor, once `prepared`, the claim assessment it
    was prepared from (never changed after)."""
    refund.full_clean(
        validate_unique=False,
        validate_constraints=False,
        exclude=units.held_relations(refund, also=["claim_assessment"] if prepared else ()),
    )


def _what(assessment: ClaimAssessment) -> str:
    return "reassessment" if assessment.is_reassessment else "assessment"


def open_refunds_total(*, account: ProgramAccount) -> Decimal:
    total = Refund.objects.filter(account=account, status__in=OPEN).aggregate(total=Sum("amount"))["total"]
    return total if total is not None else ZERO


def _payee(*, refund: Refund, account: ProgramAccount, claim: Claim) -> None:
    """Copy where the money goes: the bank account on file (not for inventory declarations), else the mailing
    address of record."""
    deposit = None
    if claim.kind != Claim.Kind.INVENTORY_DECLARATION:
        deposit = DirectDeposit.objects.filter(account=account).first()
    if deposit is not None:
        refund.method = Method.DIRECT_DEPOSIT
        refund.payee_name = deposit.holder_name
        refund.institution_number = deposit.institution_number
        refund.transit_number = deposit.transit_number
        refund.bank_account_encrypted = bytes(deposit.account_number_encrypted)  # same key: stays encrypted
        refund.bank_account_last4 = deposit.account_number_last4
        return
    address = Address.objects.filter(account=account, kind=Address.Kind.MAILING).first()
    if address is None:
        raise RefundRefused(NO_MAILING_ADDRESS % {"number": account.number}, code="no_mailing_address")
    refund.method = Method.CHEQUE
    refund.payee_name = account.taxpayer.legal_name
    refund.address_line1 = address.line1
    refund.address_line2 = address.line2
    refund.address_city = address.city
    refund.address_province = address.province
    refund.address_postal_code = address.postal_code
    refund.address_country = address.country


def _already_refunded(assessment: ClaimAssessment, existing: Refund) -> RefundRefused:
    return RefundRefused(
        ALREADY_REFUNDED
        % {
            "number": assessment.claim.confirmation_number,
            "what": _what(assessment),
            "id": existing.pk,
            "status": existing.get_status_display(),
        },
        code="already_refunded",
    )


@transaction.atomic
def refund_prepare(*, claim_assessment: ClaimAssessment, actor: Actor) -> Refund:
    """Prepare the refund of the credit `claim_assessment` added (see the module docstring). Refused
    (RefundRefused, nothing written): no credit added, none left on the account, a live refund of this credit
    already, a cheque without a mailing address."""
    assessment = ClaimAssessment.objects.select_related("claim", "account__taxpayer").get(
        pk=claim_assessment.pk
    )
    account = assessment.account
    ledger.ledger_lock(account=account)
    existing = Refund.objects.filter(claim_assessment=assessment).exclude(status=Status.CANCELLED).first()
    if existing is not None:
        raise _already_refunded(assessment, existing)
    number = assessment.claim.confirmation_number
    if assessment.change <= 0:
        raise RefundRefused(NOT_A_CREDIT % {"what": _what(assessment), "number": number}, code="not_a_credit")
    balance = selectors.account_balance(account=account)
    pending = open_refunds_total(account=account)
    available = -balance - pending
    if available <= 0:
        raise RefundRefused(
            NO_CREDIT
            % {
                "number": account.number,
                "balance": money.format_money(balance),
                "open": money.format_money(pending),
            },
            code="no_credit",
        )
    amount = min(assessment.change, available)
    refund = Refund(
        account=account,
        claim_assessment=assessment,
        period_end=assessment.period_end,
        amount=amount,
        needs_second_approval=amount > threshold(),
        created_at=timezone.now(),
    )
    _payee(refund=refund, account=account, claim=assessment.claim)
    _clean(refund)
    try:
        with transaction.atomic():
            refund.save()
    except IntegrityError as error:
        # Raced past the check above: the database keeps one live refund per credit.
        existing = Refund.objects.filter(claim_assessment=assessment).exclude(status=Status.CANCELLED).first()
        if existing is None:
            raise
        raise _already_refunded(assessment, existing) from error
    _log(
        refund=refund,
        actor=actor,
        action="refund prepared",
        detail=f"claim {number}{', needs two approvals' if refund.needs_second_approval else ''}",
    )
    return refund


def _locked(refund: Refund) -> Refund:
    return Refund.objects.select_for_update().select_related("account__taxpayer").get(pk=refund.pk)


def _staff_check(by: User | None) -> None:
    if by is None or not by.is_active or not by.is_staff:
        raise RefundRefused(NOT_STAFF, code="not_staff")


def refund_approve_refusal(*, refund: Refund, by: User | None) -> RefundRefused | None:
    """Why `by` may not approve `refund` as it stands, or None (the confirmation page asks before
    refund_approve, which asks again on the locked row)."""
    if by is None or not by.is_active or not by.is_staff:
        return RefundRefused(NOT_STAFF, code="not_staff")
    # Four eyes means two refund approvers: each approval, the first and the second, needs the role.
    if not by.has_perm(APPROVE_PERMISSION):
        return RefundRefused(NOT_APPROVER % {"name": by.display_name, "id": refund.pk}, code="not_approver")
    if refund.status != Status.PENDING:
        return RefundRefused(
            NOT_PENDING % {"id": refund.pk, "status": refund.get_status_display()}, code="not_pending"
        )
    if refund.first_approved_by_id is not None and refund.first_approved_by_id == by.pk:
        return RefundRefused(
            SAME_APPROVER
            % {
                "id": refund.pk,
                "amount": money.format_money(refund.amount),
                "threshold": money.format_money(threshold()),
            },
            code="same_approver",
        )
    return None


def refund_cancel_refusal(*, refund: Refund, by: User | None) -> RefundRefused | None:
    """Why `by` may not cancel `refund` as it stands, or None."""
    if by is None or not by.is_active or not by.is_staff:
        return RefundRefused(NOT_STAFF, code="not_staff")
    if not by.has_perm(CANCEL_PERMISSION):
        return RefundRefused(NOT_CANCELLER % {"name": by.display_name, "id": refund.pk}, code="not_canceller")
    if refund.status not in OPEN:
        return RefundRefused(
            NOT_CANCELLABLE % {"id": refund.pk, "status": refund.get_status_display()}, code="not_cancellable"
        )
    return None


@transaction.atomic
def refund_approve(*, refund: Refund, actor: Actor) -> Refund:
    """Approve a refund awaiting approval: `actor`'s the first approval (enough at or below the threshold), or
    the second by another refund approver. Refused: not staff, not a refund approver, not awaiting approval, the
    same person twice."""
    by = actor.user
    _staff_check(by)
    refund = _locked(refund)
    refusal = refund_approve_refusal(refund=refund, by=by)
    if refusal is not None:
        raise refusal
    now = timezone.now()
    if refund.first_approved_by_id is None:
        refund.first_approved_by, refund.first_approved_at = by, now
        step = "first approval" if refund.needs_second_approval else "approved"
    else:
        refund.second_approved_by, refund.second_approved_at = by, now
        step = "second approval"
    if not refund.needs_second_approval or refund.second_approved_by_id is not None:
        refund.status = Status.APPROVED
    _clean(refund, prepared=True)
    refund.save()
    _log(refund=refund, actor=actor, action="refund approved", detail=step)
    return refund


SYSTEM_APPROVAL_ABOVE = _(
    "Refund %(id)s of %(amount)s is above %(threshold)s: TRACS does not approve it alone; two refund approvers do."
)
SYSTEM_APPROVAL_BY_PERSON = _("Only TRACS's own jobs approve a refund automatically, never a person.")


@units.service_transaction
def refund_approve_by_system(*, refund: Refund, actor: Actor) -> Refund:
    """Approve a refund awaiting approval as TRACS itself (`actor`: a job, no person), for the automatic
    marked-fuel refund (assessments/cycles/): only at or below the threshold, recorded as such
    (`approved_by_system`, the access log's job). Refused: a person as the actor, a refund above the threshold (the
    four eyes apply), one not awaiting approval."""
    if actor.user is not None:
        raise RefundRefused(SYSTEM_APPROVAL_BY_PERSON, code="system_approval_by_person")
    refund = _locked(refund)
    if refund.status != Status.PENDING:
        raise RefundRefused(
            NOT_PENDING % {"id": refund.pk, "status": refund.get_status_display()}, code="not_pending"
        )
    if refund.needs_second_approval:
        raise RefundRefused(
            SYSTEM_APPROVAL_ABOVE
            % {
                "id": refund.pk,
                "amount": money.format_money(refund.amount),
                "threshold": money.format_money(threshold()),
            },
            code="system_approval_above",
        )
    refund.approved_by_system, refund.first_approved_at = True, timezone.now()
    refund.status = Status.APPROVED
    _clean(refund, prepared=True)
    refund.save()
    _log(refund=refund, actor=actor, action="refund approved", detail="approved by TRACS (automatic refund)")
    return refund


@transaction.atomic
def refund_cancel(*, refund: Refund, actor: Actor, reason: str) -> Refund:
    """Cancel a refund not yet issued (`actor`: a member of staff), with a reason (the credit stays on the
    account)."""
    by = actor.user
    _staff_check(by)
    if not reason.strip():
        raise RefundRefused(CANCEL_REASON_REQUIRED, code="reason_required")
    refund = _locked(refund)
    refusal = refund_cancel_refusal(refund=refund, by=by)
    if refusal is not None:
        raise refusal
    refund.status = Status.CANCELLED
    refund.cancelled_at, refund.cancelled_by, refund.cancel_reason = timezone.now(), by, reason.strip()
    _clean(refund, prepared=True)
    refund.save()
    _log(refund=refund, actor=actor, action="refund cancelled", detail=refund.cancel_reason)
    return refund


def refunds_prepare_missing(*, actor: Actor) -> list[int]:
    """The daily catch-up: prepare the refund of every claim (re)assessment that added credit and has no
    refund at all (its job was lost, or it was refused then: no mailing address yet, the credit owed
    elsewhere). A cancelled refund is not prepared again here: staff cancelled it on purpose. Each in its own
    transaction; refusals write nothing. Returns the ids of the refunds prepared."""
    prepared = []
    waiting = ClaimAssessment.objects.filter(change__gt=0, refunds__isnull=True).order_by("id")
    for assessment in waiting:
        try:
            prepared.append(refund_prepare(claim_assessment=assessment, actor=actor).pk)
        except RefundRefused:
            continue
    return prepared


# --- Issuing ---------------------------------------------------------------------------------------------


FILE_KIND = {
    Method.DIRECT_DEPOSIT: RefundPaymentFile.Kind.DIRECT_DEPOSIT,
    Method.CHEQUE: RefundPaymentFile.Kind.CHEQUE,
}


@dataclass
class IssueRun:
    issued: list[int] = field(default_factory=list)
    held: list[int] = field(default_factory=list)
    files: list[int] = field(default_factory=list)


def _open_file(kind: str) -> RefundPaymentFile:
    """The open payment file of `kind`, locked until the transaction ends (a new one if none is open)."""
    found = RefundPaymentFile.objects.select_for_update().filter(kind=kind, closed_at__isnull=True).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return RefundPaymentFile.objects.create(kind=kind, opened_at=timezone.now())
    except IntegrityError:  # another run opened one meanwhile
        return RefundPaymentFile.objects.select_for_update().get(kind=kind, closed_at__isnull=True)


@units.service_transaction
def refund_issue(*, refund_id: int, actor: Actor) -> str:
    """Issue one approved refund (in one transaction: posting, status, payment file). Returns "issued", "held"
    (its credit is no longer on the account) or "skipped" (not approved: issued or cancelled meanwhile)."""
    refund = Refund.objects.select_for_update().select_related("account__taxpayer").get(pk=refund_id)
    if refund.status != Status.APPROVED:
        return "skipped"
    account = refund.account
    ledger.ledger_lock(account=account)
    if -selectors.account_balance(account=account) < refund.amount:
        return "held"
    payment_file = _open_file(FILE_KIND[refund.method])
    now = timezone.now()
    posting = ledger.ledger_post(
        account=account,
        period_end=refund.period_end,
        kind=LedgerTransaction.Kind.REFUND_ISSUED,
        amount=refund.amount,
        description=f"Refund issued: {refund.payee_masked}",
        processed_on=timezone.localdate(now),
        source_reference=refund.source_reference,
        actor=actor,
    )
    refund.status = Status.ISSUED
    refund.issued_at, refund.payment_file, refund.ledger_transaction = now, payment_file, posting
    refund.save(update_fields=["status", "issued_at", "payment_file", "ledger_transaction"])
    _log(refund=refund, actor=actor, action="refund issued", detail=f"payment file {payment_file.pk}")
    _announce(refund=refund)
    return "issued"


def _announce(*, refund: Refund) -> None:
    """Tell the VIEW_ASSESSMENTS holders a refund was issued, without its amount (an e-mail may be read by
    anyone with the mailbox; the figures stay behind the sign-in). One e-mail per person, once."""
    account = refund.account
    url = settings.TRACS_SITE_URL.rstrip("/") + reverse(
        "assessment_status", kwargs={"number": account.number}
    )
    body = (
        f"A refund was issued for account {account.number} ({account.display_name}).\n\n"
        f"Sign in to TRACS to see it (View Assessment Status, Refunds): {url}\n\n"
        "For your security this e-mail does not include the amount or the bank account."
    )
    for address in filing_status.assessment_viewer_emails(account=account):
        email_queue(
            to=[address],
            subject=f"TRACS: a refund was issued for account {account.number}",
            body=body,
            purpose="refund-issued",
            dedupe_key=f"refund-issued:{refund.pk}:{address.lower()}",
        )


def refunds_issue(*, actor: Actor) -> IssueRun:
    """The beat job: issue every approved refund (oldest first), then close the run's payment files (and any
    a killed run left open). Safe to run twice and after a crash (see the module docstring)."""
    from assessments import refund_files

    run = IssueRun()
    ids = Refund.objects.filter(status=Status.APPROVED).order_by("id").values_list("id", flat=True)
    for refund_id in list(ids):
        outcome = refund_issue(refund_id=refund_id, actor=actor)
        if outcome == "issued":
            run.issued.append(refund_id)
        elif outcome == "held":
            run.held.append(refund_id)
    run.files = refund_files.payment_files_close()
    return run
