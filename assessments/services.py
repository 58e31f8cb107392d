"""Writes of assessments: assessing and reassessing returns, and posting to the ledger.

The ledger is append-only (assessments/models.py): `ledger_post` is the one door for every kind of transaction
(an assessment's tax here; penalties, interest, payments, refunds, transfers and write-offs from the services
that decide them), `ledger_reverse` the one way to correct one. Postings of one account are serialized by a
transaction-scoped PostgreSQL advisory lock on the account, so ids grow in commit order within an account and
`ledger_check` sees no posting half-way.

`assessment_make` assesses a received return (the first assessment of its period, or, for an amended return
filed after the period was assessed, its reassessment); `reassessment_make` reassesses a return already
assessed. Each runs in one transaction: the return's status and processed date follow (filings.status, the
assessments app calling down), the assessment and its lines are stored, the change in tax is posted, the
access log is written, and the notice is rendered by a Celery job once the transaction commits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q, Sum
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import AccessLogEntry, User
from accounts.services import access_log_record
from assessments import rules, selectors
from assessments.computation import Recomputation, recompute
from assessments.models import Assessment, AssessmentLine, LedgerTransaction, Notice, NoticeRead
from filings import selectors as filing_selectors
from filings import status as filing_status
from filings.models import FuelTaxReturn
from programs import money
from programs.models import ProgramAccount

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

Status = FuelTaxReturn.Status
Kind = LedgerTransaction.Kind

# One namespace of advisory locks for the ledger (the first key); the second key is the account id.
LEDGER_LOCK_NAMESPACE = 6_001

NOT_RECEIVED = _(
    "Return %(number)s is “%(status)s”: only a received return (or one in review) can be assessed. "
    "To assess it again, reassess it."
)
NOT_ASSESSED = _(
    "Return %(number)s is “%(status)s”: only an assessed return can be reassessed. Assess it first."
)
LATER_VERSION = _(
    "Return %(number)s is version %(version)s; version %(latest)s of %(period)s was filed since. Assess the latest version."
)
REASON_REQUIRED = _("Give the reason for the reassessment: it is kept with the assessment.")
AMOUNT_NOT_DECIMAL = _("An amount must be a Decimal in dollars and cents.")
AMOUNT_PRECISION = _("An amount has at most two decimal places (cents); nothing is rounded silently.")
AMOUNT_SIGN = _("A %(kind)s is always a %(side)s.")
DESCRIPTION_REQUIRED = _("A transaction needs a description.")
REVERSAL_NEEDS_ORIGINAL = _("A reversal names the transaction it corrects.")
REVERSAL_OTHER_ACCOUNT = _("A reversal corrects a transaction of the same account and period.")
REVERSAL_AMOUNT = _("A reversal carries the opposite amount of the transaction it corrects.")
ALREADY_REVERSED = _("Transaction %(id)s was already reversed.")
NOT_A_REVERSAL = _("Only a reversal names a transaction it reverses.")
ALREADY_POSTED = _("A %(kind)s for %(source)s was already posted (transaction %(id)s).")

# Which side each kind is always on (the kinds not listed go both ways); the database checks it too.
# Keyed by the kind as stored (a TextChoices member is its str value): a caller passes either.
DEBIT_ONLY: dict[str, StrOrPromise] = {Kind.PENALTY: _("debit"), Kind.REFUND_ISSUED: _("debit")}
CREDIT_ONLY: dict[str, StrOrPromise] = {Kind.PAYMENT: _("credit"), Kind.CLAIM_CREDIT: _("credit")}


class AssessmentRefused(ValidationError):
    """The return cannot be assessed (or reassessed) as asked; nothing was written."""


class LedgerPostingRefused(ValidationError):
    """The transaction is not acceptable; nothing was written."""


class AlreadyPosted(LedgerPostingRefused):
    """The same source was already posted (a job run twice): `existing` is that transaction."""

    def __init__(self, existing: LedgerTransaction):
        self.existing = existing
        super().__init__(
            ALREADY_POSTED
            % {
                "kind": existing.get_kind_display().lower(),
                "source": existing.source_reference,
                "id": existing.pk,
            },
            code="already_posted",
        )


# --- The ledger ------------------------------------------------------------------------------------------


def ledger_lock(*, account: ProgramAccount) -> None:
    """Serialize ledger work on one account until the current transaction ends."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LEDGER_LOCK_NAMESPACE, account.pk])


def _violated_constraint(error: IntegrityError) -> str:
    diag = getattr(error.__cause__, "diag", None)
    return getattr(diag, "constraint_name", "") or ""


def _check_amount(*, kind: str, amount: Decimal) -> None:
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise LedgerPostingRefused(AMOUNT_NOT_DECIMAL, code="amount_not_decimal")
    if money.cents(amount) != amount:
        raise LedgerPostingRefused(AMOUNT_PRECISION, code="amount_precision")
    if abs(amount) > money.MAX_MONEY:
        raise LedgerPostingRefused(money.TOO_LARGE, code="amount_too_large")
    label = str(Kind(kind).label).lower()
    if kind in DEBIT_ONLY and amount <= 0:
        raise LedgerPostingRefused(
            AMOUNT_SIGN % {"kind": label, "side": DEBIT_ONLY[kind]}, code="amount_sign"
        )
    if kind in CREDIT_ONLY and amount >= 0:
        raise LedgerPostingRefused(
            AMOUNT_SIGN % {"kind": label, "side": CREDIT_ONLY[kind]}, code="amount_sign"
        )


def _check_reversal(
    *,
    kind: str,
    amount: Decimal,
    account: ProgramAccount,
    period_end: date,
    reverses: LedgerTransaction | None,
) -> None:
    if kind != Kind.REVERSAL:
        if reverses is not None:
            raise LedgerPostingRefused(NOT_A_REVERSAL, code="not_a_reversal")
        return
    if reverses is None:
        raise LedgerPostingRefused(REVERSAL_NEEDS_ORIGINAL, code="reversal_needs_original")
    if reverses.account_id != account.pk or reverses.period_end != period_end:
        raise LedgerPostingRefused(REVERSAL_OTHER_ACCOUNT, code="reversal_other_account")
    if amount != -reverses.amount:
        raise LedgerPostingRefused(REVERSAL_AMOUNT, code="reversal_amount")
    if LedgerTransaction.objects.filter(reverses=reverses).exists():
        raise LedgerPostingRefused(ALREADY_REVERSED % {"id": reverses.pk}, code="already_reversed")


@transaction.atomic
def ledger_post(
    *,
    account: ProgramAccount,
    period_end: date,
    kind: str,
    amount: Decimal,
    description: str,
    processed_on: date | None = None,
    effective_on: date | None = None,
    source_reference: str = "",
    reverses: LedgerTransaction | None = None,
    posted_by: User | None = None,
    request: HttpRequest | None = None,
) -> LedgerTransaction:
    """Append one transaction to the account's ledger. `amount`: debit (owing more) positive, credit negative,
    in cents exactly. `processed_on` defaults to today in Alberta, `effective_on` to `processed_on`.

    Refused with LedgerPostingRefused (nothing written): an amount that is not a Decimal in cents, on the wrong
    side for its kind, a reversal that does not exactly undo one transaction of the same account and period.
    A `source_reference` already posted for this kind raises AlreadyPosted carrying that transaction (a job
    run twice posts once)."""
    if kind not in Kind.values:
        raise LedgerPostingRefused(f"unknown kind {kind!r}", code="kind")
    _check_amount(kind=kind, amount=amount)
    if not description.strip():
        raise LedgerPostingRefused(DESCRIPTION_REQUIRED, code="description_required")
    ledger_lock(account=account)
    _check_reversal(kind=kind, amount=amount, account=account, period_end=period_end, reverses=reverses)
    if source_reference:
        existing = LedgerTransaction.objects.filter(kind=kind, source_reference=source_reference).first()
        if existing is not None:
            raise AlreadyPosted(existing)
    processed_on = processed_on or timezone.localdate()
    entry = LedgerTransaction(
        account=account,
        period_end=period_end,
        kind=kind,
        amount=amount,
        processed_on=processed_on,
        effective_on=effective_on or processed_on,
        description=description.strip(),
        source_reference=source_reference,
        reverses=reverses,
        posted_at=timezone.now(),
        posted_by=posted_by,
    )
    entry.full_clean(validate_unique=False, validate_constraints=False)  # the database checks those
    try:
        with transaction.atomic():
            entry.save()
    except IntegrityError as error:
        if _violated_constraint(error) == "ledger_one_posting_per_source":  # raced past the check above
            raise AlreadyPosted(
                LedgerTransaction.objects.get(kind=kind, source_reference=source_reference)
            ) from error
        raise
    access_log_record(
        actor=posted_by,
        kind=AccessLogEntry.Kind.CHANGE,
        action="ledger transaction posted",
        account_number=account.number,
        on_behalf_of=account.on_behalf_of,
        capacity="staff" if posted_by is not None and posted_by.is_staff else "",
        detail=(
            f"{entry.pk} {entry.get_kind_display()} {money.format_money(amount)} period {period_end.isoformat()}"
            f"{' source ' + source_reference if source_reference else ''}"
        ),
        request=request,
    )
    return entry


def ledger_reverse(
    *,
    original: LedgerTransaction,
    description: str,
    posted_by: User | None = None,
    processed_on: date | None = None,
    request: HttpRequest | None = None,
) -> LedgerTransaction:
    """Correct a posted transaction by a new one of the opposite amount (the original stays)."""
    return ledger_post(
        account=original.account,
        period_end=original.period_end,
        kind=Kind.REVERSAL,
        amount=-original.amount,
        description=description,
        processed_on=processed_on,
        effective_on=original.effective_on,
        source_reference=f"reversal-of:{original.pk}",
        reverses=original,
        posted_by=posted_by,
        request=request,
    )


@dataclass(frozen=True)
class LedgerCheck:
    """The proof that the ledger agrees with its balances, for one account at one instant."""

    account_number: str
    transactions: int
    sum_of_transactions: Decimal  # every amount added up one by one, in Python
    balance: Decimal  # the account balance as the pages read it (SQL SUM)
    sum_of_period_balances: Decimal  # the period balances as the pages read them (SQL GROUP BY), added up

    @property
    def ok(self) -> bool:
        return self.sum_of_transactions == self.balance == self.sum_of_period_balances


@transaction.atomic
def ledger_check(*, account: ProgramAccount) -> LedgerCheck:
    """Prove balance = sum of transactions, and that the period balances add up to the account balance, under
    the account's ledger lock (no posting can land between the three readings)."""
    ledger_lock(account=account)
    amounts = list(LedgerTransaction.objects.filter(account=account).values_list("amount", flat=True))
    return LedgerCheck(
        account_number=account.number,
        transactions=len(amounts),
        sum_of_transactions=sum(amounts, start=money.cents(Decimal(0))),
        balance=selectors.account_balance(account=account),
        sum_of_period_balances=selectors.balance_of(selectors.period_balances(account=account)),
    )


# --- Assessments -----------------------------------------------------------------------------------------


def _refuse(message: StrOrPromise, code: str, **params: object) -> AssessmentRefused:
    return AssessmentRefused(message % params if params else message, code=code)


def _current(*, account: ProgramAccount, tax_return: FuelTaxReturn) -> FuelTaxReturn:
    """`tax_return` read again, as it is now, with its lines."""
    current = filing_selectors.return_by_confirmation(
        account=account, confirmation_number=tax_return.confirmation_number
    )
    if current is None:  # the caller holds this return, and a filed return is never deleted
        raise FuelTaxReturn.DoesNotExist(tax_return.confirmation_number)
    return current


def _assess_refusal(
    *,
    current: FuelTaxReturn,
    account: ProgramAccount,
    allowed: tuple[str, ...],
    refusal: StrOrPromise,
    refusal_code: str,
) -> AssessmentRefused | None:
    """Why `current` cannot be (re)assessed now: its status, or a later version of its period."""
    if current.status not in allowed:
        return _refuse(
            refusal,
            refusal_code,
            number=current.confirmation_number,
            status=Status(current.status).label,
        )
    latest = filing_selectors.latest_version(account=account, period=current.period)
    if latest is not None and current.version != latest.version:
        return _refuse(
            LATER_VERSION,
            "later_version",
            number=current.confirmation_number,
            version=current.version,
            latest=latest,
            period=current.period.label,
        )
    return None


@dataclass(frozen=True)
class AssessmentPreview:
    """What (re)assessing a return now would do, or why it would be refused (`refusal`); nothing written."""

    kind: str
    assessed_tax: Decimal
    change: Decimal
    penalty: Decimal
    refusal: str = ""


def assessment_preview(
    *,
    tax_return: FuelTaxReturn,
    reassess: bool = False,
    adjustments: Mapping[tuple[str, str], Decimal | str] | None = None,
) -> AssessmentPreview:
    """What assessment_make (or, with `reassess`, reassessment_make) would do to `tax_return` as things stand:
    the kind, the tax assessed, the change posted to the ledger and a late-filing penalty (a first assessment
    only), or the refusal. Reads only: staff administration shows it on the confirmation page before anything
    is written; the service checks everything again under its lock."""
    account = ProgramAccount.objects.select_related("taxpayer", "program").get(pk=tax_return.account_id)
    current = _current(account=account, tax_return=tax_return)
    allowed, refusal, code = (
        ((Status.ASSESSED, Status.REASSESSED), NOT_ASSESSED, "not_assessed")
        if reassess
        else ((Status.RECEIVED, Status.IN_REVIEW), NOT_RECEIVED, "not_received")
    )
    zero = money.cents(Decimal(0))
    problem = _assess_refusal(
        current=current, account=account, allowed=allowed, refusal=refusal, refusal_code=code
    )
    try:
        if problem is not None:
            raise problem
        recomputation = recompute(tax_return=current, adjustments=adjustments)
    except ValidationError as error:
        return AssessmentPreview(
            kind="", assessed_tax=zero, change=zero, penalty=zero, refusal=" ".join(error.messages)
        )
    assessed_before = Assessment.objects.filter(account=account, period_start=current.period_start).exists()
    standing = _standing_tax(account=account, period_end=current.period_end) if assessed_before else zero
    penalty = zero
    if not assessed_before:
        from assessments import penalties

        found = penalties.penalty_for_return(tax_return=current, account=account)
        penalty = found.amount if found is not None and found.amount > 0 else zero
    return AssessmentPreview(
        kind=Assessment.Kind.REASSESSMENT if assessed_before else Assessment.Kind.ASSESSMENT,
        assessed_tax=recomputation.assessed_tax,
        change=recomputation.assessed_tax - standing,
        penalty=penalty,
    )


def _assess(
    *,
    tax_return: FuelTaxReturn,
    allowed: tuple[str, ...],
    new_status: str,
    refusal: StrOrPromise,
    refusal_code: str,
    by: User | None,
    reason: str,
    adjustments: Mapping[tuple[str, str], Decimal | str] | None,
    request: HttpRequest | None,
) -> Assessment:
    account = ProgramAccount.objects.select_related("taxpayer", "program").get(pk=tax_return.account_id)
    # One assessment of an account at a time: the status read next is current, sequences and postings follow
    # in order. (filing_status_change below locks the return's row and checks the move again.)
    ledger_lock(account=account)
    current = _current(account=account, tax_return=tax_return)
    problem = _assess_refusal(
        current=current, account=account, allowed=allowed, refusal=refusal, refusal_code=refusal_code
    )
    if problem is not None:
        raise problem
    recomputation = recompute(tax_return=current, adjustments=adjustments)
    now = timezone.now()
    today = timezone.localdate(now)
    earlier = Assessment.objects.filter(account=account, period_start=current.period_start)
    previous = earlier.order_by("-sequence").first()
    sequence = previous.sequence + 1 if previous else 1
    # What the period's tax stands at: the last assessment's, unless an objection vacated it (its postings
    # reversed, assessments/decisions.py), when the ledger holds what stood before it.
    standing = (
        _standing_tax(account=account, period_end=current.period_end) if previous else money.cents(Decimal(0))
    )
    assessment = Assessment(
        account=account,
        tax_return=current,
        period_start=current.period_start,
        period_end=current.period_end,
        sequence=sequence,
        kind=Assessment.Kind.ASSESSMENT if sequence == 1 else Assessment.Kind.REASSESSMENT,
        assessed_at=now,
        assessed_on=today,
        assessed_by=by,
        reason=reason.strip(),
        reported_tax=recomputation.reported_tax,
        recomputed_tax=recomputation.recomputed_tax,
        difference=recomputation.difference,
        **rules.tolerance_fields(recomputation),
        assessed_tax=recomputation.assessed_tax,
        previously_assessed_tax=standing,
        change=recomputation.assessed_tax - standing,
        # Tax is payable with the return (the 28th of the following month); once that day has passed, an
        # amount on a notice is payable on the date of the notice. Interest runs from the due date regardless.
        payment_due_on=max(current.due_on, today),
        objection_deadline=rules.objection_deadline(assessed_on=today),
    )
    assessment.full_clean(validate_unique=False, validate_constraints=False)
    assessment.save()  # the unique (account, period, sequence) constraint is the last guard against a twin
    _store_lines(assessment=assessment, recomputation=recomputation)
    try:
        filing_status.filing_status_change(filing=current, status=new_status, by=by, request=request)
    except ValidationError as error:  # pragma: no cover - the status was checked under the row lock above
        raise _refuse(
            refusal, refusal_code, number=current.confirmation_number, status=current.status
        ) from error
    what = "Reassessment" if assessment.is_reassessment else "Assessment"
    ledger_post(
        account=account,
        period_end=current.period_end,
        kind=Kind.ASSESSED_TAX,
        amount=assessment.change,
        description=f"{what} of the return for {current.period.label}",
        processed_on=today,
        effective_on=current.due_on,
        source_reference=selectors.assessment_source(assessment),
        posted_by=by,
        request=request,
    )
    # Whatever else a rule of assessment posts here (a late-filing penalty, issue 6 item 5) carries the same
    # source reference with its own kind: the notice shows the period's ledger up to the last of them.
    if sequence == 1:
        _late_filing_penalty_post(
            assessment=assessment, tax_return=current, account=account, by=by, request=request
        )
    access_log_record(
        actor=by,
        kind=AccessLogEntry.Kind.CHANGE,
        action=f"return {what.lower()}",
        account_number=account.number,
        on_behalf_of=account.on_behalf_of,
        capacity="staff" if by is not None and by.is_staff else "",
        detail=(
            f"{current.confirmation_number} period {current.period.key} sequence {sequence}: reported "
            f"{money.format_money(assessment.reported_tax)}, recomputed {money.format_money(assessment.recomputed_tax)}, "
            f"assessed {money.format_money(assessment.assessed_tax)}"
            f"{' (within tolerance)' if assessment.tolerance_applied else ''}"
        ),
        request=request,
    )
    _schedule_notice(assessment)
    return assessment


def _standing_tax(*, account: ProgramAccount, period_end: date) -> Decimal:
    """The period's assessed tax as the ledger holds it: every return assessment's change, less any reversed
    (a claim's reassessment may post assessed tax to the same month: its source is not a return's)."""
    prefix = "assessment:"  # selectors.assessment_source
    entries = LedgerTransaction.objects.filter(account=account, period_end=period_end).filter(
        Q(kind=Kind.ASSESSED_TAX, source_reference__startswith=prefix)
        | Q(
            kind=Kind.REVERSAL,
            reverses__kind=Kind.ASSESSED_TAX,
            reverses__source_reference__startswith=prefix,
        )
    )
    return money.cents(entries.aggregate(total=Sum("amount"))["total"] or Decimal(0))


def _late_filing_penalty_post(
    *,
    assessment: Assessment,
    tax_return: FuelTaxReturn,
    account: ProgramAccount,
    by: User | None,
    request: HttpRequest | None,
) -> LedgerTransaction | None:
    """Post the late-filing penalty of a return received after its due date (assessments/penalties.py), with
    the assessment's source reference; it bears interest from the day after the date of the assessment."""
    from assessments import penalties

    penalty = penalties.penalty_for_return(tax_return=tax_return, account=account)
    if penalty is None or penalty.amount <= 0:
        return None
    return ledger_post(
        account=account,
        period_end=tax_return.period_end,
        kind=Kind.PENALTY,
        amount=penalty.amount,
        description=penalty.description[:300],
        processed_on=assessment.assessed_on,
        effective_on=assessment.assessed_on,
        source_reference=selectors.assessment_source(assessment),
        posted_by=by,
        request=request,
    )


def _store_lines(*, assessment: Assessment, recomputation: Recomputation) -> None:
    AssessmentLine.objects.bulk_create(
        AssessmentLine(
            assessment=assessment,
            fuel=line.fuel,
            category=line.category,
            litres_reported=line.litres_reported,
            litres_assessed=line.litres_assessed,
            rate_value=line.rate.value,
            rate_effective_from=line.rate.effective_from,
            rate_source=line.rate.source[:500],
            tax_reported=line.tax_reported,
            tax_assessed=line.tax_assessed,
            difference=line.difference,
            reason=line.reason[:500],
        )
        for line in recomputation.lines
    )


def _schedule_notice(assessment: Assessment) -> None:
    from assessments.tasks import notice_render

    assessment_id = assessment.pk
    transaction.on_commit(lambda: notice_render.delay(assessment_id))


@transaction.atomic
def assessment_make(
    *,
    tax_return: FuelTaxReturn,
    by: User | None = None,
    reason: str = "",
    adjustments: Mapping[tuple[str, str], Decimal | str] | None = None,
    request: HttpRequest | None = None,
) -> Assessment:
    """Assess a received return (or one in review): the first assessment of its period, or a reassessment of
    the period when an earlier version was assessed before (an amended return). `by` None: the automatic
    assessment of a clean return. Refused (AssessmentRefused, nothing written): a return not received or in
    review (already assessed: reassess it instead), or one superseded by a later version."""
    return _assess(
        tax_return=tax_return,
        allowed=(Status.RECEIVED, Status.IN_REVIEW),
        new_status=Status.ASSESSED,
        refusal=NOT_RECEIVED,
        refusal_code="not_received",
        by=by,
        reason=reason,
        adjustments=adjustments,
        request=request,
    )


@transaction.atomic
def reassessment_make(
    *,
    tax_return: FuelTaxReturn,
    by: User,
    reason: str,
    adjustments: Mapping[tuple[str, str], Decimal | str] | None = None,
    request: HttpRequest | None = None,
) -> Assessment:
    """Reassess an assessed return: a new assessment of its period (the earlier ones kept), posting the change
    in tax. A reason is required. Refused: a return not yet assessed, or superseded by a later version."""
    if not reason.strip():
        raise AssessmentRefused(REASON_REQUIRED, code="reason_required")
    return _assess(
        tax_return=tax_return,
        allowed=(Status.ASSESSED, Status.REASSESSED),
        new_status=Status.REASSESSED,
        refusal=NOT_ASSESSED,
        refusal_code="not_assessed",
        by=by,
        reason=reason,
        adjustments=adjustments,
        request=request,
    )


def clean_returns_assess(*, limit: int = 500) -> list[int]:
    """Assess every clean return waiting in the queue (the latest version of its period, received, every line
    recomputing to what was reported): the automatic assessment. Each return in its own transaction; a return
    someone assessed meanwhile is skipped. Returns the ids of the assessments made. Safe to run twice: a return
    assessed is no longer received, and the unique (account, period, sequence) constraint stops a twin."""
    made = []
    for tax_return in selectors.returns_to_assess(statuses=(Status.RECEIVED,))[:limit]:
        try:
            if not recompute(tax_return=tax_return).is_clean:
                continue
            made.append(assessment_make(tax_return=tax_return).pk)
        except (AssessmentRefused, IntegrityError):
            continue  # assessed by someone else meanwhile (or superseded): nothing written for this one
        except ValidationError:
            continue  # a rate missing: staff see it in the queue
    return made


# --- Notices ---------------------------------------------------------------------------------------------


def notice_read_record(*, notice: Notice, user: User, capacity: str) -> None:
    """Remember that `user` opened `notice` (the first time only: one row per person and notice; every
    download is in the access log as well)."""
    NoticeRead.objects.bulk_create(
        [NoticeRead(notice=notice, user=user, capacity=capacity, opened_at=timezone.now())],
        ignore_conflicts=True,
    )
