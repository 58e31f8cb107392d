"""Assessing refund claims (issue 6, items 1 and 2 for claims): recompute, record, post, tell.

`claim_assessment_make` assesses a received claim (or one in review); `claim_reassessment_make` reassesses an
assessed one (a reason required; the earlier assessment kept). Each runs in one transaction under the
account's ledger lock: every line is recomputed, the claim assessment and its lines are stored, the claim's
status and processed date follow (filings.status, the assessments app calling down), the credit is posted, the
access log is written; once the transaction commits a Celery job issues the letter of assessment (when TRA
changed the claim) and another prepares the refund of the new credit (assessments/refunds.py).

Recomputing a line: exactly as the claim was computed when it was filed (filings.claims.claim_preview, the one
door for that arithmetic), one line at a time, as of the day TRA received it: the refund per litre in force on
the date of purchase (fuel tax refund: the fuel tax rate, or the difference of two rates for a rebranded fuel;
carbon levy: the levy rate; inventory declaration: the declaration's refund per litre) and the line's claim
window by the day of receipt. A line that no longer passes (its window closed, no rate in force) is
disallowed with the rule's own message. Staff may allow other litres on a line or disallow it, with a reason
(`LineAdjustment`). The tolerance (assessments/rules/assessment.yaml, by the day of receipt) applies as for
returns: a difference of $20.00 or less leaves the refund claimed.

The ledger (signs in assessments/models.py): the first assessment posts CLAIM_CREDIT of minus the refund
allowed (a credit). A reassessment posts only the change: more allowed, a CLAIM_CREDIT of minus the increase;
less allowed, an ASSESSED_TAX debit of the decrease (CLAIM_CREDIT must be a credit by the database's check,
and a partial take-back is not a REVERSAL, which carries the exact opposite of one transaction; the amount
taken back is tax the claimant owes again, which is what assessed tax is). Both with the source reference
"claim_assessment:<id>". Claims have no filing period: the postings go to the month-end of the day TRA
received the claim (in Alberta), so a claim's (re)assessments and refund share one period on the balances page.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import AccessLogEntry, User
from accounts.services import access_log_record
from assessments import rules, services
from assessments.models import ClaimAssessment, ClaimAssessmentLine, LedgerTransaction, Notice
from filings import claims as filing_claims
from filings import status as filing_status
from filings.models import Claim, ClaimLine
from programs import money
from programs.models import Address, ProgramAccount

Status = Claim.Status
Kind = LedgerTransaction.Kind
ZERO = money.cents(Decimal(0))
NO_LITRES = Decimal("0.000")

NOT_RECEIVED = _(
    "Claim %(number)s is “%(status)s”: only a received claim (or one in review) can be assessed. "
    "To assess it again, reassess it."
)
NOT_ASSESSED = _(
    "Claim %(number)s is “%(status)s”: only an assessed claim can be reassessed. Assess it first."
)
REASON_REQUIRED = _("Give the reason for the reassessment: it is kept with the assessment.")
ADJUSTMENT_REASON_REQUIRED = _("Line %(line)s: give the reason for allowing other litres or disallowing it.")
ADJUSTMENT_UNKNOWN_LINE = _("Line %(line)s is not a line of claim %(number)s.")
ADJUSTMENT_LITRES_MORE = _("Line %(line)s: no more litres can be allowed than were claimed (%(litres)s L).")

REASON_LITRES = "Litres allowed {allowed} L of the {claimed} L claimed: {why}"
REASON_DISALLOWED = "Disallowed: {why}"
REASON_RATE = "Refund per litre in force on {day}: ${rate}/L from {since}; the claim applied ${claimed}/L."
REASON_ARITHMETIC = "{litres} L x ${rate}/L = {refund}, rounded to the cent; the claim showed {claimed}."

LETTER_TEMPLATE = "assessments/claim_letter.html"


class ClaimAssessmentRefused(ValidationError):
    """The claim cannot be assessed (or reassessed) as asked; nothing was written."""


@dataclass(frozen=True)
class LineAdjustment:
    """What staff decided about one claim line: other litres allowed (fewer than claimed), or none at all."""

    litres: Decimal | str | None = None
    disallow: bool = False
    reason: str = ""


@dataclass(frozen=True)
class LineResult:
    line: ClaimLine
    litres_allowed: Decimal
    rate_value: Decimal | None
    rate_effective_from: date | None
    refund_allowed: Decimal
    disallowed: bool
    reason: str

    @property
    def difference(self) -> Decimal:
        return self.refund_allowed - self.line.refund

    @property
    def as_claimed(self) -> bool:
        return (
            not self.disallowed
            and self.litres_allowed == self.line.litres
            and self.rate_value == self.line.rate_value
            and self.refund_allowed == self.line.refund
        )


@dataclass(frozen=True)
class ClaimRecomputation:
    claim: Claim
    lines: tuple[LineResult, ...]
    claimed: Decimal
    recomputed: Decimal
    tolerance: rules.RuleValue
    adjusted: bool = field(default=False)

    @property
    def difference(self) -> Decimal:
        return self.recomputed - self.claimed

    @property
    def tolerance_amount(self) -> Decimal:
        return self.tolerance.value if self.tolerance.value is not None else ZERO

    @property
    def within_tolerance(self) -> bool:
        """A difference, but of the tolerance or less: the refund claimed stands ($20.00 within, $20.01 not)."""
        return self.difference != 0 and abs(self.difference) <= self.tolerance_amount

    @property
    def allowed(self) -> Decimal:
        return self.claimed if self.within_tolerance else self.recomputed

    @property
    def is_clean(self) -> bool:
        """Every line recomputes to what was claimed, nothing adjusted: the automatic job assesses these."""
        return not self.adjusted and all(line.as_claimed for line in self.lines) and self.difference == 0


def received_on(claim: Claim) -> date:
    return timezone.localdate(claim.received_at)


def claim_period_end(claim: Claim) -> date:
    """The ledger period of a claim's postings: the month-end of the day TRA received it (in Alberta)."""
    day = received_on(claim)
    return date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])


def _input_of(line: ClaimLine, litres: Decimal) -> filing_claims.ClaimLineInput:
    return filing_claims.ClaimLineInput(
        fuel=line.fuel,
        litres=litres,
        purchase_date=line.purchase_date,
        document_number=line.document_number,
        reason=line.reason,
        event_date=line.event_date,
        rebranded_to=line.rebranded_to,
    )


def _rule_of(*, claim: Claim, line: ClaimLine, litres: Decimal):
    """(the line as filings computes it as of the day of receipt, or None; the message of the rule it fails)."""
    try:
        computed = filing_claims.claim_preview(
            account=claim.account, kind=claim.kind, lines=[_input_of(line, litres)], today=received_on(claim)
        )
    except filing_claims.ClaimLinesInvalid as error:
        return None, " ".join(error.errors_by_line.get(0, {}).values())
    except ValidationError as error:  # the whole claim: e.g. no inventory declaration open that day
        return None, " ".join(error.messages)
    return computed.lines[0], ""


def _line_result(*, claim: Claim, line: ClaimLine, adjustment: LineAdjustment | None) -> LineResult:
    why = (adjustment.reason.strip() if adjustment else "") or ""
    if adjustment is not None and adjustment.disallow:
        return LineResult(line, NO_LITRES, None, None, ZERO, True, REASON_DISALLOWED.format(why=why))
    litres = line.litres
    if adjustment is not None and adjustment.litres is not None:
        litres = money.parse_litres(adjustment.litres)
        if litres == 0:
            return LineResult(line, litres, None, None, ZERO, True, REASON_DISALLOWED.format(why=why))
    computed, failure = _rule_of(claim=claim, line=line, litres=litres)
    if computed is None:
        return LineResult(line, NO_LITRES, None, None, ZERO, True, REASON_DISALLOWED.format(why=failure))
    reasons = []
    if litres != line.litres:
        reasons.append(
            REASON_LITRES.format(
                allowed=money.format_litres(litres), claimed=money.format_litres(line.litres), why=why
            )
        )
    if computed.rate_value != line.rate_value:
        reasons.append(
            REASON_RATE.format(
                day=line.purchase_date.isoformat(),
                rate=computed.rate_value.normalize(),
                since=computed.rate_effective_from.isoformat(),
                claimed=line.rate_value.normalize(),
            )
        )
    elif litres == line.litres and computed.refund != line.refund:
        reasons.append(
            REASON_ARITHMETIC.format(
                litres=money.format_litres(litres),
                rate=computed.rate_value.normalize(),
                refund=money.format_money(computed.refund),
                claimed=money.format_money(line.refund),
            )
        )
    return LineResult(
        line=line,
        litres_allowed=litres,
        rate_value=computed.rate_value,
        rate_effective_from=computed.rate_effective_from,
        refund_allowed=computed.refund,
        disallowed=False,
        reason=" ".join(reasons),
    )


def _adjustments_check(
    *, claim: Claim, lines: list[ClaimLine], adjustments: Mapping[int, LineAdjustment], fallback_reason: str
) -> dict[int, LineAdjustment]:
    by_id = {line.pk: (index, line) for index, line in enumerate(lines, start=1)}
    checked = {}
    for line_id, adjustment in adjustments.items():
        if line_id not in by_id:
            raise ClaimAssessmentRefused(
                ADJUSTMENT_UNKNOWN_LINE % {"line": line_id, "number": claim.confirmation_number},
                code="adjustment_unknown_line",
            )
        index, line = by_id[line_id]
        if not adjustment.disallow and adjustment.litres is None:
            continue
        reason = adjustment.reason.strip() or fallback_reason.strip()
        if not reason:
            raise ClaimAssessmentRefused(
                ADJUSTMENT_REASON_REQUIRED % {"line": index}, code="adjustment_reason"
            )
        if adjustment.litres is not None and not adjustment.disallow:
            try:
                litres = money.parse_litres(adjustment.litres)
            except money.AmountError as error:
                raise ClaimAssessmentRefused(f"Line {index}: {error}", code="adjustment_litres") from error
            if litres > line.litres:
                raise ClaimAssessmentRefused(
                    ADJUSTMENT_LITRES_MORE % {"line": index, "litres": money.format_litres(line.litres)},
                    code="adjustment_litres_more",
                )
        checked[line_id] = LineAdjustment(
            litres=adjustment.litres, disallow=adjustment.disallow, reason=reason
        )
    return checked


def claim_recompute(
    *, claim: Claim, adjustments: Mapping[int, LineAdjustment] | None = None, reason: str = ""
) -> ClaimRecomputation:
    """Recompute `claim` (its lines as claimed, or as adjusted by staff, keyed by claim line id). Pure: reads,
    writes nothing (the admin queue shows it, the automatic job uses it to find clean claims)."""
    lines = list(claim.lines.all())
    checked = _adjustments_check(
        claim=claim, lines=lines, adjustments=adjustments or {}, fallback_reason=reason
    )
    results = tuple(_line_result(claim=claim, line=line, adjustment=checked.get(line.pk)) for line in lines)
    return ClaimRecomputation(
        claim=claim,
        lines=results,
        claimed=claim.total_refund,
        recomputed=sum((line.refund_allowed for line in results), start=ZERO),
        tolerance=rules.rule_on(rule=rules.ASSESSMENT_TOLERANCE, day=received_on(claim)),
        adjusted=bool(checked),
    )


# --- Assessing -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClaimAssessmentPreview:
    """What (re)assessing a claim now would do, or why it would be refused (`refusal`); nothing written."""

    kind: str
    allowed: Decimal
    change: Decimal
    refusal: str = ""


def claim_assessment_preview(
    *,
    claim: Claim,
    reassess: bool = False,
    adjustments: Mapping[int, LineAdjustment] | None = None,
    reason: str = "",
) -> ClaimAssessmentPreview:
    """What claim_assessment_make (or, with `reassess`, claim_reassessment_make) would do now with these
    adjustments: the refund allowed and the change posted to the ledger (a credit: refunded), or the refusal.
    Reads only: staff confirm it before anything is written; the service checks everything again."""
    allowed, refusal, code = (
        ((Status.ASSESSED, Status.REASSESSED), NOT_ASSESSED, "not_assessed")
        if reassess
        else ((Status.RECEIVED, Status.IN_REVIEW), NOT_RECEIVED, "not_received")
    )
    try:
        if claim.status not in allowed:
            raise ClaimAssessmentRefused(
                refusal % {"number": claim.confirmation_number, "status": Status(claim.status).label},
                code=code,
            )
        if reassess and not reason.strip():
            raise ClaimAssessmentRefused(REASON_REQUIRED, code="reason_required")
        recomputation = claim_recompute(claim=claim, adjustments=adjustments, reason=reason)
    except ValidationError as error:
        return ClaimAssessmentPreview(kind="", allowed=ZERO, change=ZERO, refusal=" ".join(error.messages))
    previous = ClaimAssessment.objects.filter(claim=claim).order_by("-sequence").first()
    return ClaimAssessmentPreview(
        kind=ClaimAssessment.Kind.REASSESSMENT if previous else ClaimAssessment.Kind.ASSESSMENT,
        allowed=recomputation.allowed,
        change=recomputation.allowed - (previous.allowed if previous else ZERO),
    )


def _assess(
    *,
    claim: Claim,
    allowed_statuses: tuple[str, ...],
    new_status: str,
    refusal,
    refusal_code: str,
    by: User | None,
    reason: str,
    adjustments: Mapping[int, LineAdjustment] | None,
    request: HttpRequest | None,
) -> ClaimAssessment:
    account = ProgramAccount.objects.select_related("taxpayer", "program").get(pk=claim.account_id)
    # One assessment of an account at a time: the status read next is current and postings follow in order.
    services.ledger_lock(account=account)
    current = Claim.objects.select_related("account__taxpayer", "account__program").get(pk=claim.pk)
    if current.status not in allowed_statuses:
        raise ClaimAssessmentRefused(
            refusal % {"number": current.confirmation_number, "status": Status(current.status).label},
            code=refusal_code,
        )
    recomputation = claim_recompute(claim=current, adjustments=adjustments, reason=reason)
    now = timezone.now()
    today = timezone.localdate(now)
    previous = ClaimAssessment.objects.filter(claim=current).order_by("-sequence").first()
    sequence = previous.sequence + 1 if previous else 1
    previously_allowed = previous.allowed if previous else ZERO
    assessment = ClaimAssessment(
        account=account,
        claim=current,
        period_end=claim_period_end(current),
        sequence=sequence,
        kind=ClaimAssessment.Kind.ASSESSMENT if sequence == 1 else ClaimAssessment.Kind.REASSESSMENT,
        assessed_at=now,
        assessed_on=today,
        assessed_by=by,
        reason=reason.strip(),
        claimed=recomputation.claimed,
        recomputed=recomputation.recomputed,
        difference=recomputation.difference,
        **rules.tolerance_fields(recomputation),
        allowed=recomputation.allowed,
        previously_allowed=previously_allowed,
        change=recomputation.allowed - previously_allowed,
        objection_deadline=rules.objection_deadline(assessed_on=today),
    )
    assessment.full_clean(validate_unique=False, validate_constraints=False)
    assessment.save()  # the unique (claim, sequence) constraint is the last guard against a twin
    ClaimAssessmentLine.objects.bulk_create(
        ClaimAssessmentLine(
            assessment=assessment,
            claim_line=line.line,
            fuel=line.line.fuel,
            purchase_date=line.line.purchase_date,
            litres_claimed=line.line.litres,
            litres_allowed=line.litres_allowed,
            rate_claimed=line.line.rate_value,
            rate_value=line.rate_value,
            rate_effective_from=line.rate_effective_from,
            refund_claimed=line.line.refund,
            refund_allowed=line.refund_allowed,
            difference=line.difference,
            disallowed=line.disallowed,
            reason=line.reason[:500],
        )
        for line in recomputation.lines
    )
    filing_status.filing_status_change(filing=current, status=new_status, by=by, request=request)
    _post_change(assessment=assessment, by=by, request=request)
    what = "reassessment" if assessment.is_reassessment else "assessment"
    access_log_record(
        actor=by,
        kind=AccessLogEntry.Kind.CHANGE,
        action=f"claim {what}",
        account_number=account.number,
        on_behalf_of=account.on_behalf_of,
        capacity="staff" if by is not None and by.is_staff else "",
        detail=(
            f"{current.confirmation_number} sequence {sequence}: claimed {money.format_money(assessment.claimed)}, "
            f"recomputed {money.format_money(assessment.recomputed)}, allowed {money.format_money(assessment.allowed)}"
            f"{' (within tolerance)' if assessment.tolerance_applied else ''}"
        ),
        request=request,
    )
    _schedule_follow_ups(assessment)
    return assessment


def claim_source(assessment: ClaimAssessment) -> str:
    return f"claim_assessment:{assessment.pk}"


def _post_change(*, assessment: ClaimAssessment, by: User | None, request: HttpRequest | None) -> None:
    """The credit of the refund allowed (or, on a reassessment, only its change; see the module docstring)."""
    if assessment.change == 0:
        return
    claim = assessment.claim
    what = "Reassessment" if assessment.is_reassessment else "Assessment"
    if assessment.change > 0:
        kind, description = Kind.CLAIM_CREDIT, f"{what} of claim {claim.confirmation_number}: refund allowed"
    else:
        kind, description = (
            Kind.ASSESSED_TAX,
            f"{what} of claim {claim.confirmation_number}: refund allowed reduced",
        )
    services.ledger_post(
        account=assessment.account,
        period_end=assessment.period_end,
        kind=kind,
        amount=-assessment.change,
        description=description,
        processed_on=assessment.assessed_on,
        effective_on=assessment.assessed_on,
        source_reference=claim_source(assessment),
        posted_by=by,
        request=request,
    )


def _letter_due(assessment: ClaimAssessment) -> bool:
    """A letter of assessment when TRA changed the claim (beyond the tolerance) or a reassessment changed what
    was allowed before."""
    return assessment.changed_by_tra or (assessment.is_reassessment and assessment.change != 0)


def _schedule_follow_ups(assessment: ClaimAssessment) -> None:
    from assessments import tasks

    assessment_id = assessment.pk
    if _letter_due(assessment):
        transaction.on_commit(lambda: tasks.claim_letter_issue.delay(assessment_id))
    if assessment.change > 0:
        transaction.on_commit(lambda: tasks.refund_prepare.delay(assessment_id))


@transaction.atomic
def claim_assessment_make(
    *,
    claim: Claim,
    by: User | None = None,
    adjustments: Mapping[int, LineAdjustment] | None = None,
    reason: str = "",
    request: HttpRequest | None = None,
) -> ClaimAssessment:
    """Assess a received claim (or one in review). `by` None: the automatic assessment of a clean claim.
    Refused (ClaimAssessmentRefused, nothing written): a claim not received or in review (an assessed one is
    reassessed instead), an adjustment of a line not on the claim, more litres than claimed, no reason."""
    return _assess(
        claim=claim,
        allowed_statuses=(Status.RECEIVED, Status.IN_REVIEW),
        new_status=Status.ASSESSED,
        refusal=NOT_RECEIVED,
        refusal_code="not_received",
        by=by,
        reason=reason,
        adjustments=adjustments,
        request=request,
    )


@transaction.atomic
def claim_reassessment_make(
    *,
    claim: Claim,
    by: User,
    reason: str,
    adjustments: Mapping[int, LineAdjustment] | None = None,
    request: HttpRequest | None = None,
) -> ClaimAssessment:
    """Reassess an assessed claim: a new claim assessment (the earlier kept), recomputed from the claim's lines
    with this reassessment's adjustments, posting only the change in the refund allowed. A reason is required."""
    if not reason.strip():
        raise ClaimAssessmentRefused(REASON_REQUIRED, code="reason_required")
    return _assess(
        claim=claim,
        allowed_statuses=(Status.ASSESSED, Status.REASSESSED),
        new_status=Status.REASSESSED,
        refusal=NOT_ASSESSED,
        refusal_code="not_assessed",
        by=by,
        reason=reason,
        adjustments=adjustments,
        request=request,
    )


def claims_to_assess(*, statuses=(Status.RECEIVED, Status.IN_REVIEW)):
    """The claims whose status is one of `statuses`, oldest received first (the staff queue and the job)."""
    from assessments.models import ClaimToAssess

    return (
        ClaimToAssess.objects.filter(status__in=list(statuses))
        .select_related("account__taxpayer", "account__program")
        .prefetch_related("lines")
        .order_by("received_at", "id")
    )


def clean_claims_assess(*, limit: int = 500) -> list[int]:
    """Assess every clean received claim automatically, each in its own transaction; a claim assessed meanwhile
    is skipped. Safe to run twice: an assessed claim is no longer received, and (claim, sequence) is unique."""
    made = []
    for claim in claims_to_assess(statuses=(Status.RECEIVED,))[:limit]:
        try:
            if not claim_recompute(claim=claim).is_clean:
                continue
            made.append(claim_assessment_make(claim=claim).pk)
        except (ClaimAssessmentRefused, IntegrityError):
            continue
    return made


# --- The letter of assessment ----------------------------------------------------------------------------


def letter_reference(assessment: ClaimAssessment) -> str:
    """`LA-202406-0000012`: a letter of assessment, the month the claim was received, the claim assessment."""
    return f"LA-{assessment.period_end:%Y%m}-{assessment.pk:07d}"


def letter_html(*, assessment: ClaimAssessment) -> str:
    account = assessment.account
    return render_to_string(
        LETTER_TEMPLATE,
        {
            "a": assessment,
            "claim": assessment.claim,
            "account": account,
            "reference": letter_reference(assessment),
            "address": account.addresses.filter(kind=Address.Kind.MAILING).first(),
            "objection_days": rules.days_on(rule=rules.OBJECTION_DAYS, day=assessment.assessed_on),
            "objection_extended_deadline": rules.objection_extended_deadline(
                assessed_on=assessment.assessed_on
            ),
        },
    )


@transaction.atomic
def claim_letter_issue(*, claim_assessment_id: int) -> Notice:
    """Issue the letter of assessment of a claim assessment: render, store, record, announce
    (assessments.notices.notice_issue). Safe twice: the row lock and the notice's unique source reference."""
    from assessments import notices

    ClaimAssessment.objects.select_for_update().filter(pk=claim_assessment_id).values_list(
        "pk", flat=True
    ).get()
    source = f"claim_assessment:{claim_assessment_id}"
    existing = Notice.objects.filter(source_reference=source).first()
    if existing is not None:
        return existing
    assessment = (
        ClaimAssessment.objects.select_related("account__taxpayer", "account__program", "claim")
        .prefetch_related("lines")
        .get(pk=claim_assessment_id)
    )
    return notices.notice_issue(
        account=assessment.account,
        kind=Notice.Kind.LETTER_OF_ASSESSMENT,
        reference=letter_reference(assessment),
        period_start=assessment.period_end.replace(day=1),
        period_end=assessment.period_end,
        issued_on=assessment.assessed_on,
        amount=assessment.allowed,
        objection_deadline=assessment.objection_deadline,
        source_reference=source,
        html=letter_html(assessment=assessment),
    )
