"""Decisions on Notices of Objection: confirm, vary or vacate (a return's assessment, or a claim's letter of
assessment); see the package docstring."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.actors import Actor
from assessments import claims, objection_filing, selectors, selectors_objections
from assessments.decisions.common import (
    CLAIM_LINE_NOT_ALLOWABLE,
    NOT_A_RETURN_NOTICE,
    NOT_LATEST_ASSESSMENT,
    NOT_LATEST_CLAIM_ASSESSMENT,
    UNKNOWN_OUTCOME,
    WRONG_ADJUSTMENTS,
    DecisionPreview,
    decision_notice_reference,
    notice_job_schedule,
    preview_refused,
    reasons_check,
)
from assessments.models import Assessment, ClaimAssessment, LedgerTransaction, Notice
from assessments.models_objections import Objection
from assessments.services import ledger, returns
from programs import money

Kind = LedgerTransaction.Kind
Outcome = Objection.Outcome

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
            latest_return = returns.latest_version_of(assessment)
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
        return preview_refused(error)
    posted = LedgerTransaction.objects.filter(
        account=assessment.account,
        source_reference=selectors.assessment_source(assessment),
        reversed_by__isnull=True,
    )
    total = sum((entry.amount for entry in posted), start=money.cents(Decimal(0)))
    return DecisionPreview(
        amount=-total, effect=str(_("The assessment is vacated: what it posted is reversed."))
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
    reasons = reasons_check(reasons)
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
        latest_return = returns.latest_version_of(assessment)
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
    notice_job_schedule("objection", objection.pk)
    return decided
