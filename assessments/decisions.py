"""TRA's decisions on Notices of Objection (AT4762) and waiver requests (AT4764), made by staff in admin
(assessments/admin_decisions.py; docs/adr/0008-objections-and-waivers.md).

Each decision is one transaction: the filing's row is locked (assessments.objection_filing), the ledger work
is done here, the decision is recorded on the filing (assessments.objection_filing), the access log is written, and the
notice of decision is rendered by a Celery job once the transaction commits (`decision_notice_issue`, unique per
filing through the notice's source reference "objection:<id>" / "waiver:<id>": safe to run twice). A refusal
writes nothing.

- **Confirm**: the assessment stands; nothing is posted.
- **Vary**: the period is reassessed (services.returns.reassessment_make, from the latest version of its return, with
  the litres staff adjust and the reason): a new assessment, its change posted, its own notice of reassessment.
- **Vacate**: the assessment is cancelled, as if it had never been made: every transaction it posted (its change
  in tax, a late-filing penalty imposed with it) is reversed by a new transaction counting from the same date,
  so the period stands as it did before the assessment and interest on the vacated amounts is recomputed away by
  the next interest run. Only the latest assessment of a period can be vacated (a later reassessment was made
  on top of it: vary that one). The assessment itself stays, as every assessment does; a later reassessment
  starts from the tax that stands on the ledger (assessments/skeleton.py).
- **An objection to a claim's letter of assessment** (its notice's source reference "claim_assessment:<id>")
  is decided on the claim (assessments/claims.py): varied, the claim is reassessed with the staff's decision per
  line (litres allowed, or disallowed, each with a reason); vacated, the claim is allowed as filed: reassessed
  with every line at the litres claimed, none disallowed (refused if a line no longer passes its rules, and
  only for the claim's latest assessment). Either way the new claim assessment posts only the change (a further
  credit, refunded by the refund flow; or a debit) and issues its own letter; its id is recorded on the objection.
- **Grant a waiver** (fully, or partly: a subset of the charges asked for): each chosen penalty or interest
  charge is reversed by a REVERSAL whose source reference names the waiver ("waiver:<id>:<transaction id>"),
  so the balance drops by exactly the amounts waived. Interest forgiven is not charged again: the interest job
  treats those reversals as forgiven, not as interest never charged (assessments/interest.py). A waived penalty
  stops bearing interest from the day of the decision (the reversal counts from then); interest already charged
  on it is waived only if that interest charge is waived too.
- **Refuse a waiver**: nothing is posted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.actors import Actor
from assessments import claims, notices, objection_filing, selectors, selectors_objections
from assessments.interest import WAIVER_SOURCE_PREFIX
from assessments.models import Assessment, ClaimAssessment, LedgerTransaction, Notice
from assessments.models_objections import Objection, WaiverRequest
from assessments.services import ledger, returns
from filings import selectors as filing_selectors
from filings.periods import Period
from programs import money
from programs.models import Address

Kind = LedgerTransaction.Kind
Outcome = Objection.Outcome
WaiverOutcome = WaiverRequest.Outcome

REASONS_REQUIRED = _("Give the reasons for the decision: they are printed on the notice of decision.")
NOT_A_RETURN_NOTICE = _(
    "%(reference)s objects to %(subject)s: only an objection to a notice of assessment or reassessment of a return, "
    "or to a claim's letter of assessment, can be varied or vacated. Confirm it, or decide it outside TRACS."
)
NOT_LATEST_CLAIM_ASSESSMENT = _(
    "The letter of assessment objected to (%(notice)s) was followed by a later reassessment of claim %(number)s: "
    "only the claim's latest assessment can be vacated. Vary the objection instead."
)
CLAIM_LINE_NOT_ALLOWABLE = _(
    "Claim %(number)s cannot be allowed as filed: line %(line)s no longer passes (%(why)s). Vary the objection "
    "instead."
)
WRONG_ADJUSTMENTS = _("%(reference)s objects to %(subject)s: give %(expected)s, not %(given)s.")
NOTICE_NOT_FOUND = _("The notice %(notice)s named by %(reference)s is not a notice of this account.")
NOT_LATEST_ASSESSMENT = _(
    "The assessment objected to (%(notice)s) was followed by a later reassessment of %(period)s: only the latest "
    "assessment of a period can be vacated. Vary the objection instead."
)
UNKNOWN_OUTCOME = _("Choose confirm, vary or vacate.")
WAIVER_NOTHING_CHOSEN = _("Choose at least one of the charges asked for to grant the waiver, or refuse it.")
WAIVER_NOT_ASKED = _("Transaction %(id)s was not asked to be waived in %(reference)s.")
WAIVER_ALREADY_REVERSED = _(
    "Transaction %(id)s (%(kind)s of %(period)s) was already reversed: it cannot be waived. Refuse or grant the others."
)

REFERENCE_PREFIX = {"objection": "ND", "waiver": "WD"}


def decision_notice_reference(*, kind: str, filing_id: int, day: date) -> str:
    """`ND-202611-0000012` (WD for a waiver): the kind, the month of the decision, the filing."""
    return f"{REFERENCE_PREFIX[kind]}-{day:%Y%m}-{filing_id:07d}"


def _reasons(reasons: str) -> str:
    if not reasons.strip():
        raise ValidationError(REASONS_REQUIRED, code="reasons_required")
    return reasons.strip()


def _schedule(kind: str, filing_id: int) -> None:
    from assessments.tasks_decisions import decision_notice_issue

    transaction.on_commit(lambda: decision_notice_issue.delay(kind, filing_id))


# --- Objections -------------------------------------------------------------------------------------------------


CLAIM_SOURCE_PREFIX = "claim_assessment:"


def objected_claim_assessment(*, objection: Objection) -> ClaimAssessment | None:
    """The claim assessment whose letter of assessment `objection` objects to (None: not a claim's letter)."""
    notice = selectors_objections.objected_notice(objection=objection)
    if (
        notice is None
        or notice.kind != Notice.Kind.LETTER_OF_ASSESSMENT
        or not notice.source_reference.startswith(CLAIM_SOURCE_PREFIX)
    ):
        return None
    return (
        ClaimAssessment.objects.filter(
            account=objection.account, pk=int(notice.source_reference.removeprefix(CLAIM_SOURCE_PREFIX))
        )
        .select_related("claim")
        .first()
    )


def _objected_assessment(objection: Objection) -> Assessment:
    notice = selectors_objections.objected_notice(objection=objection)
    if notice is None or notice.assessment is None:
        raise ValidationError(
            NOT_A_RETURN_NOTICE % {"reference": objection.reference_number, "subject": objection.subject},
            code="not_a_return_notice",
        )
    return notice.assessment


def _vacate_check(*, objection: Objection, assessment: Assessment) -> None:
    """Only the latest assessment of a period can be vacated."""
    latest = Assessment.objects.filter(
        account=assessment.account, period_start=assessment.period_start
    ).order_by("-sequence")[0]
    if latest.pk != assessment.pk:
        raise ValidationError(
            NOT_LATEST_ASSESSMENT % {"notice": objection.notice_reference, "period": assessment.period.label},
            code="not_latest",
        )


def _vacate(*, objection: Objection, assessment: Assessment, actor: Actor) -> None:
    _vacate_check(objection=objection, assessment=assessment)
    posted = LedgerTransaction.objects.filter(
        account=assessment.account,
        source_reference=selectors.assessment_source(assessment),
        reversed_by__isnull=True,
    ).exclude(amount=0)
    for entry in posted.order_by("id"):
        ledger.ledger_reverse(
            original=entry,
            description=f"Objection {objection.reference_number} allowed: {entry.kind_label.lower()} of the "
            f"vacated assessment cancelled",
            actor=actor,
        )


def _claim_vacate_check(*, objection: Objection, claim_assessment: ClaimAssessment) -> None:
    """Only the claim's latest assessment can be vacated, and only if every line still passes its rules."""
    claim = claim_assessment.claim
    latest = ClaimAssessment.objects.filter(claim=claim).order_by("-sequence").values_list("pk", flat=True)[0]
    if latest != claim_assessment.pk:
        raise ValidationError(
            NOT_LATEST_CLAIM_ASSESSMENT
            % {"notice": objection.notice_reference, "number": claim.confirmation_number},
            code="not_latest",
        )
    for index, line in enumerate(claims.claim_recompute(claim=claim).lines, start=1):
        if line.disallowed:
            raise ValidationError(
                CLAIM_LINE_NOT_ALLOWABLE
                % {"number": claim.confirmation_number, "line": index, "why": line.reason.strip()},
                code="claim_line_not_allowable",
            )


def _claim_decide(
    *,
    objection: Objection,
    claim_assessment: ClaimAssessment,
    outcome: str,
    actor: Actor,
    reasons: str,
    claim_adjustments: Mapping[int, claims.LineAdjustment] | None,
) -> ClaimAssessment:
    """Vary (the staff's decision per line) or vacate (allowed as filed: no adjustment, every line at the litres
    claimed) an objection to a claim's letter of assessment: a claim reassessment posting only the change."""
    reason = f"Objection {objection.reference_number}: {reasons}"
    if outcome == Outcome.VACATED:
        _claim_vacate_check(objection=objection, claim_assessment=claim_assessment)
        claim_adjustments = None
        reason = f"Objection {objection.reference_number} allowed, the claim allowed as filed: {reasons}"
    return claims.claim_reassessment_make(
        claim=claim_assessment.claim,
        actor=actor,
        reason=reason,
        adjustments=claim_adjustments,
    )


def _refuse_wrong_adjustments(
    *,
    objection: Objection,
    for_claim: bool,
    adjustments: Mapping[tuple[str, str], Decimal | str] | None,
    claim_adjustments: Mapping[int, claims.LineAdjustment] | None,
) -> None:
    """A return's litres for a claim's letter, or a claim's lines for a return's notice: refused, not ignored."""
    given = claim_adjustments if not for_claim else adjustments
    if not given:
        return
    what = {True: _("decisions per claim line"), False: _("litres per line of the return")}
    raise ValidationError(
        WRONG_ADJUSTMENTS
        % {
            "reference": objection.reference_number,
            "subject": objection.subject,
            "expected": what[for_claim],
            "given": what[not for_claim],
        },
        code="wrong_adjustments",
    )


def _objection_check(
    *,
    objection: Objection,
    outcome: str,
    adjustments: Mapping[tuple[str, str], Decimal | str] | None,
    claim_adjustments: Mapping[int, claims.LineAdjustment] | None,
) -> ClaimAssessment | None:
    """What objection_decide refuses before deciding (an unknown outcome, a decided objection, the wrong kind of
    adjustments); the claim assessment objected to when the outcome reassesses a claim."""
    if outcome not in Outcome.values:
        raise ValidationError(UNKNOWN_OUTCOME, code="outcome")
    objection_filing.refuse_if_decided(filing=objection)
    if outcome == Outcome.CONFIRMED:
        return None
    claim_assessment = objected_claim_assessment(objection=objection)
    _refuse_wrong_adjustments(
        objection=objection,
        for_claim=claim_assessment is not None,
        adjustments=adjustments,
        claim_adjustments=claim_adjustments,
    )
    return claim_assessment


@dataclass(frozen=True)
class DecisionPreview:
    """What deciding a filing this way would post (`amount`: positive owing more, negative a credit; None:
    nothing), in words (`effect`), or why it would be refused (`refusal`). Nothing written."""

    amount: Decimal | None
    effect: str
    refusal: str = ""


def _refused(error: ValidationError) -> DecisionPreview:
    return DecisionPreview(amount=None, effect="", refusal=" ".join(error.messages))


def objection_decision_preview(
    *,
    objection: Objection,
    outcome: str,
    reasons: str,
    adjustments: Mapping[tuple[str, str], Decimal | str] | None = None,
    claim_adjustments: Mapping[int, claims.LineAdjustment] | None = None,
) -> DecisionPreview:
    """What objection_decide would do now, for staff to confirm first: the reassessment's change, the postings a
    vacated assessment reverses, or nothing for a confirmation; the refusals objection_decide would raise.
    Reads only; objection_decide checks everything again under its lock."""
    try:
        claim_assessment = _objection_check(
            objection=objection, outcome=outcome, adjustments=adjustments, claim_adjustments=claim_adjustments
        )
        if outcome == Outcome.CONFIRMED:
            return DecisionPreview(amount=None, effect=str(_("The assessment stands: nothing is posted.")))
        if claim_assessment is not None:
            if outcome == Outcome.VACATED:
                _claim_vacate_check(objection=objection, claim_assessment=claim_assessment)
                claim_adjustments = None
            preview = claims.claim_assessment_preview(
                claim=claim_assessment.claim,
                reassess=True,
                adjustments=claim_adjustments,
                reason=f"Objection {objection.reference_number}: {reasons}",
            )
            if preview.refusal:
                return DecisionPreview(amount=None, effect="", refusal=preview.refusal)
            return DecisionPreview(
                amount=-preview.change,
                effect=str(_("The claim is reassessed: refund allowed %(allowed)s."))
                % {"allowed": money.format_money(preview.assessed)},
            )
        assessment = _objected_assessment(objection)
        if outcome == Outcome.VARIED:
            latest_return = filing_selectors.latest_version(
                account=objection.account, period=assessment.period
            )
            return_preview = returns.assessment_preview(
                tax_return=latest_return,
                reassess=True,
                reason=f"Objection {objection.reference_number}: {reasons}",
                adjustments=adjustments,
            )
            if return_preview.refusal:
                return DecisionPreview(amount=None, effect="", refusal=return_preview.refusal)
            return DecisionPreview(
                amount=return_preview.change,
                effect=str(_("The return is reassessed: tax assessed %(tax)s."))
                % {"tax": money.format_signed_money(return_preview.assessed)},
            )
        _vacate_check(objection=objection, assessment=assessment)
    except ValidationError as error:
        return _refused(error)
    posted = LedgerTransaction.objects.filter(
        account=assessment.account,
        source_reference=selectors.assessment_source(assessment),
        reversed_by__isnull=True,
    )
    total = sum((entry.amount for entry in posted), start=money.cents(Decimal(0)))
    return DecisionPreview(
        amount=-total, effect=str(_("The assessment is vacated: what it posted is reversed."))
    )


def waiver_decision_preview(
    *, waiver: WaiverRequest, grant: bool, transaction_ids: Sequence[int]
) -> DecisionPreview:
    """What waiver_decide would do now: the charges reversed (a credit of their sum), or nothing for a refusal;
    the refusals waiver_decide would raise. Reads only."""
    try:
        objection_filing.refuse_if_decided(filing=waiver)
        if not grant:
            return DecisionPreview(amount=None, effect=str(_("Refused: nothing is waived.")))
        entries = _waivable(waiver=waiver, transaction_ids=transaction_ids)
    except ValidationError as error:
        return _refused(error)
    return DecisionPreview(
        amount=-sum((entry.amount for entry in entries), start=money.cents(Decimal(0))),
        effect=str(_("Waived: %(charges)s."))
        % {
            "charges": "; ".join(
                f"{entry.kind_label.lower()} of {Period.of(entry.period_end).label} "
                f"{money.format_money(entry.amount)}"
                for entry in entries
            )
        },
    )


@transaction.atomic
def objection_decide(
    *,
    objection_id: int,
    outcome: str,
    actor: Actor,
    reasons: str,
    adjustments: Mapping[tuple[str, str], Decimal | str] | None = None,
    claim_adjustments: Mapping[int, claims.LineAdjustment] | None = None,
) -> Objection:
    """Decide an objection: confirm, vary (reassess a return with `adjustments`, keyed by (fuel, category); a
    claim with `claim_adjustments`, keyed by claim line id) or vacate. See the module docstring."""
    if outcome not in Outcome.values:
        raise ValidationError(UNKNOWN_OUTCOME, code="outcome")
    reasons = _reasons(reasons)
    objection = objection_filing.objection_lock(objection_id=objection_id)
    reassessment: Assessment | None = None
    claim_reassessment: ClaimAssessment | None = None
    claim_assessment = _objection_check(
        objection=objection, outcome=outcome, adjustments=adjustments, claim_adjustments=claim_adjustments
    )
    if claim_assessment is not None:
        claim_reassessment = _claim_decide(
            objection=objection,
            claim_assessment=claim_assessment,
            outcome=outcome,
            actor=actor,
            reasons=reasons,
            claim_adjustments=claim_adjustments,
        )
    elif outcome == Outcome.VARIED:
        assessment = _objected_assessment(objection)
        latest_return = filing_selectors.latest_version(account=objection.account, period=assessment.period)
        reassessment = returns.reassessment_make(
            tax_return=latest_return,
            actor=actor,
            reason=f"Objection {objection.reference_number}: {reasons}",
            adjustments=adjustments,
        )
    elif outcome == Outcome.VACATED:
        _vacate(objection=objection, assessment=_objected_assessment(objection), actor=actor)
    today = timezone.localdate()
    decided = objection_filing.objection_decision_record(
        objection=objection,
        outcome=outcome,
        actor=actor,
        reasons=reasons,
        notice_reference=decision_notice_reference(kind="objection", filing_id=objection.pk, day=today),
        reassessment=reassessment,
        claim_reassessment=claim_reassessment,
    )
    _schedule("objection", objection.pk)
    return decided


# --- Waiver requests ------------------------------------------------------------------------------------------


def _waivable(*, waiver: WaiverRequest, transaction_ids: Sequence[int]) -> list[LedgerTransaction]:
    chosen = sorted({int(pk) for pk in transaction_ids})
    if not chosen:
        raise ValidationError(WAIVER_NOTHING_CHOSEN, code="nothing_chosen")
    asked = set(waiver.transaction_ids)
    for pk in chosen:
        if pk not in asked:
            raise ValidationError(
                WAIVER_NOT_ASKED % {"id": pk, "reference": waiver.reference_number}, code="not_asked"
            )
    entries = list(
        LedgerTransaction.objects.filter(
            account=waiver.account, pk__in=chosen, kind__in=(Kind.PENALTY, Kind.INTEREST)
        )
        .select_related("account__taxpayer")
        .order_by("id")
    )
    if len(entries) != len(chosen):  # pragma: no cover - the request only names the account's charges
        raise ValidationError(WAIVER_NOT_ASKED % {"id": chosen, "reference": waiver.reference_number})
    for entry in entries:
        if LedgerTransaction.objects.filter(reverses=entry).exists():
            raise ValidationError(
                WAIVER_ALREADY_REVERSED
                % {
                    "id": entry.pk,
                    "kind": entry.kind_label.lower(),
                    "period": Period.of(entry.period_end).label,
                },
                code="already_reversed",
            )
    return entries


def waiver_source(*, waiver: WaiverRequest, entry: LedgerTransaction) -> str:
    """The source reference of a waiver's reversal: assessments/interest.py recognizes interest forgiven by it."""
    return f"{WAIVER_SOURCE_PREFIX}{waiver.pk}:{entry.pk}"


@transaction.atomic
def waiver_decide(
    *,
    waiver_id: int,
    grant: bool,
    actor: Actor,
    reasons: str,
    transaction_ids: Sequence[int] = (),
) -> WaiverRequest:
    """Grant (the charges in `transaction_ids`, all or some of those asked for) or refuse a waiver request."""
    reasons = _reasons(reasons)
    waiver = objection_filing.waiver_request_lock(waiver_id=waiver_id)
    objection_filing.refuse_if_decided(filing=waiver)
    today = timezone.localdate()
    waived: list[LedgerTransaction] = []
    if grant:
        entries = _waivable(waiver=waiver, transaction_ids=transaction_ids)
        for entry in entries:
            ledger.ledger_post(
                account=waiver.account,
                period_end=entry.period_end,
                kind=Kind.REVERSAL,
                amount=-entry.amount,
                description=f"Waiver {waiver.reference_number}: {entry.kind_label.lower()} waived",
                processed_on=today,
                # A penalty stops bearing interest from the decision; interest forgiven never bears any.
                effective_on=today,
                source_reference=waiver_source(waiver=waiver, entry=entry),
                reverses=entry,
                actor=actor,
            )
            waived.append(entry)
    if not waived:
        outcome = WaiverOutcome.REFUSED
    elif {entry.pk for entry in waived} == set(waiver.transaction_ids):
        outcome = WaiverOutcome.GRANTED
    else:
        outcome = WaiverOutcome.PARTLY_GRANTED
    decided = objection_filing.waiver_decision_record(
        waiver=waiver,
        outcome=outcome,
        actor=actor,
        reasons=reasons,
        notice_reference=decision_notice_reference(kind="waiver", filing_id=waiver.pk, day=today),
        waived_transaction_ids=[entry.pk for entry in waived],
        amount_waived=sum((entry.amount for entry in waived), start=money.cents(Decimal(0)))
        if waived
        else None,
    )
    _schedule("waiver", waiver.pk)
    return decided


# --- Notices of decision ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DecisionNotice:
    """What a notice of decision shows (templates/assessments/objection_decision.html, waiver_decision.html)."""

    title: str
    reference: str
    issued_on: date
    filing: Objection | WaiverRequest
    address: Address | None
    period: Period
    period_end: date
    amount: Decimal | None
    objected_notice: Notice | None = None
    reassessment: Assessment | None = None
    claim_reassessment: ClaimAssessment | None = None
    charges: tuple[LedgerTransaction, ...] = ()
    waived: tuple[LedgerTransaction, ...] = ()


def _objection_notice(objection: Objection, address: Address | None) -> tuple[DecisionNotice, str]:
    notice = selectors_objections.objected_notice(objection=objection)
    period = objection.period or Period.of(objection.dated_on)
    amounts = {
        Outcome.CONFIRMED: objection.amount_in_dispute,
        Outcome.VACATED: money.cents(Decimal(0)) if objection.amount_in_dispute is not None else None,
    }
    content = DecisionNotice(
        title=str(Notice.Kind.OBJECTION_DECISION.label),
        reference=objection.decision_notice_reference,
        issued_on=objection.decided_on,
        filing=objection,
        address=address,
        period=period,
        period_end=objection.period_end or period.end,
        amount=amounts.get(objection.outcome),
        objected_notice=notice,
        reassessment=objection.reassessment,
        claim_reassessment=objection.claim_reassessment,
    )
    return content, "assessments/objection_decision.html"


def _waiver_notice(waiver: WaiverRequest, address: Address | None) -> tuple[DecisionNotice, str]:
    listed = selectors_objections.waiver_charges(waiver=waiver)
    charges = tuple(charge.transaction for charge in listed)
    content = DecisionNotice(
        title=str(Notice.Kind.WAIVER_DECISION.label),
        reference=waiver.decision_notice_reference,
        issued_on=waiver.decided_on,
        filing=waiver,
        address=address,
        period=Period.of(min(waiver.period_ends)),
        period_end=max(waiver.period_ends),
        amount=waiver.amount_waived if waiver.amount_waived is not None else money.cents(Decimal(0)),
        charges=charges,
        waived=tuple(charge.transaction for charge in listed if charge.waived),
    )
    return content, "assessments/waiver_decision.html"


def decision_notice_html(*, kind: str, filing: Objection | WaiverRequest) -> tuple[DecisionNotice, str]:
    """What the notice of decision of a decided filing shows, and its HTML, exactly what WeasyPrint prints."""
    address = filing.account.addresses.filter(kind=Address.Kind.MAILING).first()
    builder = _objection_notice if kind == "objection" else _waiver_notice
    content, template = builder(filing, address)
    return content, render_to_string(template, {"notice": content})


@transaction.atomic
def decision_notice_issue(*, kind: str, filing_id: int, actor: Actor) -> Notice | None:
    """Issue the notice of decision of a decided objection (`kind` "objection") or waiver request ("waiver"),
    by `actor` (the job). Safe twice: the filing's row is locked and a notice already issued for it is returned as is."""
    if kind == "objection":
        filing: Objection | WaiverRequest = objection_filing.objection_lock(objection_id=filing_id)
    else:
        filing = objection_filing.waiver_request_lock(waiver_id=filing_id)
    if not filing.is_decided:
        return None
    source = f"{kind}:{filing.pk}"
    existing = Notice.objects.filter(source_reference=source).first()
    if existing is not None:
        return existing
    content, html = decision_notice_html(kind=kind, filing=filing)
    return notices.notice_issue(
        account=filing.account,
        kind=Notice.Kind.OBJECTION_DECISION if kind == "objection" else Notice.Kind.WAIVER_DECISION,
        reference=content.reference,
        source_reference=source,
        period_start=content.period.start,
        period_end=content.period_end,
        issued_on=content.issued_on,
        amount=content.amount,
        html=html,
        actor=actor,
    )
