"""Assessing refund claims: the refund claim's part of the one assessment flow (assessments/skeleton.py),
`CLAIMS`, and its letter of assessment.

`claim_assessment_make` assesses a received claim (or one in review); `claim_reassessment_make` reassesses an
assessed one (a reason required; the earlier assessment kept). Each runs in one transaction under the
account's ledger lock (the skeleton): every line is recomputed, the claim assessment and its lines are stored,
the claim's status and processed date follow, the credit is posted, the access log is written; once the
transaction commits a Celery job issues the letter of assessment (when TRA changed the claim) and another
prepares the refund of the new credit (assessments/refunds.py).

Recomputing a line (assessments/claim_computation.py): as the claim was computed when it was filed, one line
at a time, as of the day TRA received it, with staff's adjustments per line and the tolerance as for returns.

The ledger (signs in assessments/models.py): the first assessment posts CLAIM_CREDIT of minus the refund
allowed (a credit). A reassessment posts only the change: more allowed, a CLAIM_CREDIT of minus the increase;
less allowed, an ASSESSED_TAX debit of the decrease (CLAIM_CREDIT must be a credit by the database's check,
and a partial take-back is not a REVERSAL, which carries the exact opposite of one transaction; the amount
taken back is tax the claimant owes again, which is what assessed tax is). Both with the source reference
"claim_assessment:<id>". Claims have no filing period: the postings go to the month-end of the day TRA
received the claim (in Alberta), so a claim's (re)assessments and refund share one period on the balances page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from functools import partial

from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

from accounts import units
from accounts.actors import Actor
from assessments import rules, skeleton
from assessments.claim_computation import (
    ClaimAssessmentRefused,
    ClaimRecomputation,
    LineAdjustment,
    claim_period_end,
    claim_recompute,
)
from assessments.models import ClaimAssessment, ClaimAssessmentLine, ClaimToAssess, LedgerTransaction, Notice
from assessments.skeleton import REASON_REQUIRED as REASON_REQUIRED  # as the skeleton names it
from assessments.skeleton import (
    AssessmentPreview,
    AssessmentRefused,
    Before,
    Determination,
    NoticeDraft,
    Posting,
)
from filings.models import Claim
from programs import money
from programs.models import Address, ProgramAccount

Status = Claim.Status
Kind = LedgerTransaction.Kind
ZERO = money.cents(Decimal(0))

NOT_RECEIVED = _(
    "Claim %(number)s is “%(status)s”: only a received claim (or one in review) can be assessed. "
    "To assess it again, reassess it."
)
NOT_ASSESSED = _(
    "Claim %(number)s is “%(status)s”: only an assessed claim can be reassessed. Assess it first."
)

LETTER_TEMPLATE = "assessments/claim_letter.html"


# --- Assessing: the claim's part of the one assessment flow (assessments/skeleton.py) ------------------------


def claim_source(assessment: ClaimAssessment) -> str:
    return f"claim_assessment:{assessment.pk}"


def _letter_due(assessment: ClaimAssessment) -> bool:
    """A letter of assessment when TRA changed the claim (beyond the tolerance) or a reassessment changed what
    was allowed before."""
    return assessment.changed_by_tra or (assessment.is_reassessment and assessment.change != 0)


class ClaimDefinition:
    """The refund claim's definition for assessments/skeleton.py (see the module docstring)."""

    noun = "claim"
    refused = ClaimAssessmentRefused
    not_received = NOT_RECEIVED
    not_assessed = NOT_ASSESSED

    def filing_now(self, filing: Claim, *, account: ProgramAccount) -> Claim:
        return Claim.objects.select_related("account__taxpayer", "account__program").get(pk=filing.pk)

    def refusal(self, filing: Claim, *, account: ProgramAccount) -> AssessmentRefused | None:
        return None  # a claim has no versions: its status says it all

    def recompute(
        self, filing: Claim, *, adjustments: Mapping[int, LineAdjustment] | None, reason: str
    ) -> ClaimRecomputation:
        return claim_recompute(claim=filing, adjustments=adjustments, reason=reason)

    def before(self, filing: Claim) -> Before:
        latest = ClaimAssessment.objects.filter(claim=filing).order_by("-sequence").first()
        if latest is None:
            return Before(sequence=0, standing=ZERO)
        return Before(sequence=latest.sequence, standing=latest.allowed)

    def store(self, filing: Claim, determination: Determination[ClaimRecomputation]) -> ClaimAssessment:
        recomputation = determination.recomputation
        assessment = ClaimAssessment(
            account=filing.account,
            claim=filing,
            period_end=claim_period_end(filing),
            sequence=determination.sequence,
            kind=determination.kind,
            assessed_at=determination.assessed_at,
            assessed_on=determination.assessed_on,
            assessed_by=determination.assessed_by,
            reason=determination.reason,
            claimed=recomputation.claimed,
            recomputed=recomputation.recomputed,
            difference=recomputation.difference,
            **recomputation.tolerance_fields(),
            allowed=recomputation.allowed,
            previously_allowed=determination.standing,
            change=determination.change,
            objection_deadline=determination.objection_deadline,
        )
        assessment.full_clean(  # the database checks those, and the keys held
            validate_unique=False, validate_constraints=False, exclude=units.held_relations(assessment)
        )
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
        return assessment

    def change_posting(self, assessment: ClaimAssessment, filing: Claim) -> Posting | None:
        """The credit of the refund allowed (or, on a reassessment, only its change; see the module
        docstring)."""
        if assessment.change == 0:
            return None
        what = "Reassessment" if assessment.is_reassessment else "Assessment"
        if assessment.change > 0:
            kind, description = (
                Kind.CLAIM_CREDIT,
                f"{what} of claim {filing.confirmation_number}: refund allowed",
            )
        else:
            kind, description = (
                Kind.ASSESSED_TAX,
                f"{what} of claim {filing.confirmation_number}: refund allowed reduced",
            )
        return Posting(
            period_end=assessment.period_end,
            kind=kind,
            amount=-assessment.change,
            description=description,
            effective_on=assessment.assessed_on,
            source_reference=claim_source(assessment),
        )

    def rule_postings(self, assessment: ClaimAssessment, filing: Claim) -> list[Posting]:
        return []  # no penalty comes with a claim

    def rule_postings_preview(self, filing: Claim, *, first: bool) -> Decimal:
        return ZERO

    def log_detail(self, assessment: ClaimAssessment, filing: Claim) -> str:
        return (
            f"{filing.confirmation_number} sequence {assessment.sequence}: claimed {money.format_money(assessment.claimed)}, "
            f"recomputed {money.format_money(assessment.recomputed)}, allowed {money.format_money(assessment.allowed)}"
            f"{' (within tolerance)' if assessment.tolerance_applied else ''}"
        )

    def follow_ups(self, assessment: ClaimAssessment) -> list[Callable[[], object]]:
        """The letter of assessment (when due) and the refund of a credit added."""
        from assessments import tasks

        jobs: list[Callable[[], object]] = []
        if _letter_due(assessment):
            jobs.append(partial(tasks.claim_letter_issue.delay, assessment.pk))
        # The automatic marked-fuel refund prepares its refund in the cycle's own transaction (assessments/cycles/).
        if assessment.change > 0 and assessment.claim.kind != Claim.Kind.MARKED_FUEL_REFUND:
            jobs.append(partial(tasks.refund_prepare.delay, assessment.pk))
        return jobs

    def waiting(self, *, limit: int) -> Iterable[Claim]:
        return claims_to_assess(statuses=(Status.RECEIVED,))[:limit]

    # The letter of assessment.

    def for_notice(self, assessment_id: int) -> ClaimAssessment:
        ClaimAssessment.objects.select_for_update().filter(pk=assessment_id).values_list(
            "pk", flat=True
        ).get()
        return (
            ClaimAssessment.objects.select_related("account__taxpayer", "account__program", "claim")
            .prefetch_related("lines")
            .get(pk=assessment_id)
        )

    def notice(self, assessment: ClaimAssessment) -> NoticeDraft:
        return NoticeDraft(
            account=assessment.account,
            kind=Notice.Kind.LETTER_OF_ASSESSMENT,
            reference=letter_reference(assessment),
            period_start=assessment.period_end.replace(day=1),
            period_end=assessment.period_end,
            issued_on=assessment.assessed_on,
            amount=assessment.allowed,
            objection_deadline=assessment.objection_deadline,
            html=partial(letter_html, assessment=assessment),
            source_reference=claim_source(assessment),
        )


CLAIMS = ClaimDefinition()


def claim_assessment_preview(
    *,
    claim: Claim,
    reassess: bool = False,
    adjustments: Mapping[int, LineAdjustment] | None = None,
    reason: str = "",
) -> AssessmentPreview:
    """What claim_assessment_make (or, with `reassess`, claim_reassessment_make) would do now with these
    adjustments: the refund allowed (`assessed`) and the change posted to the ledger (a credit: refunded), or
    the refusal. Reads only: staff confirm it before anything is written; the service checks everything again."""
    return skeleton.assessment_preview(
        definition=CLAIMS, filing=claim, reassess=reassess, reason=reason, adjustments=adjustments
    )


def claim_assessment_make(
    *,
    claim: Claim,
    actor: Actor,
    adjustments: Mapping[int, LineAdjustment] | None = None,
    reason: str = "",
) -> ClaimAssessment:
    """Assess a received claim (or one in review). `actor` a job: the automatic assessment of a clean claim.
    Refused (ClaimAssessmentRefused, nothing written): a claim not received or in review (an assessed one is
    reassessed instead), an adjustment of a line not on the claim, more litres than claimed, no reason."""
    return skeleton.assess(
        definition=CLAIMS, filing=claim, reassess=False, actor=actor, reason=reason, adjustments=adjustments
    )


def claim_reassessment_make(
    *,
    claim: Claim,
    actor: Actor,
    reason: str,
    adjustments: Mapping[int, LineAdjustment] | None = None,
) -> ClaimAssessment:
    """Reassess an assessed claim: a new claim assessment (the earlier kept), recomputed from the claim's lines
    with this reassessment's adjustments, posting only the change in the refund allowed. A reason is required."""
    return skeleton.assess(
        definition=CLAIMS, filing=claim, reassess=True, actor=actor, reason=reason, adjustments=adjustments
    )


def claims_to_assess(
    *, statuses: Sequence[str] = (Status.RECEIVED, Status.IN_REVIEW)
) -> QuerySet[ClaimToAssess]:
    """The claims whose status is one of `statuses`, oldest received first (the staff queue and the job)."""
    return (
        ClaimToAssess.objects.filter(status__in=list(statuses))
        .select_related("account__taxpayer", "account__program")
        .prefetch_related("lines")
        .order_by("received_at", "id")
    )


def clean_claims_assess(*, actor: Actor, limit: int = 500) -> list[int]:
    """Assess every clean received claim automatically (skeleton.clean_filings_assess)."""
    return skeleton.clean_filings_assess(definition=CLAIMS, actor=actor, limit=limit)


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


def claim_letter_issue(*, claim_assessment_id: int, actor: Actor) -> Notice:
    """Issue the letter of assessment of a claim assessment: render, store, record, announce. Safe twice: the
    row lock and the notice's unique source reference (skeleton.notice_issue_once)."""
    return skeleton.notice_issue_once(definition=CLAIMS, assessment_id=claim_assessment_id, actor=actor)
