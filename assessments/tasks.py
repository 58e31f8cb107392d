"""Celery jobs of assessments: thin, taking ids, safe to run twice. Each acts as itself (Actor.job, named after
the job) in the access log and on what it posts."""

import logging

from celery import shared_task

from accounts.actors import Actor
from assessments.services import returns

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def notice_render(assessment_id: int) -> int:
    """Render and issue the notice of one assessment (unique per assessment: a second run finds it issued)."""
    return returns.notice_render(assessment_id=assessment_id, actor=Actor.job("notice_render")).pk


@shared_task(acks_late=True)
def assess_clean_returns() -> int:
    """Beat job: assess the clean returns of the queue automatically (staff assess the others in admin)."""
    made = returns.clean_returns_assess(actor=Actor.job("assess_clean_returns"))
    if made:
        logger.info("assessed %d clean return(s) automatically", len(made))
    return len(made)


@shared_task(acks_late=True)
def accrue_interest() -> int:
    """Beat job, daily: post each assessed period's interest through yesterday (cumulative, so safe to run twice
    and to miss a day: the next run catches up)."""
    from assessments import interest

    posted = interest.interest_accrue_all(actor=Actor.job("accrue_interest"))
    if posted:
        logger.info("posted interest on %d period(s)", posted)
    return posted


@shared_task(acks_late=True)
def assess_clean_claims() -> int:
    """Beat job: assess the clean refund claims automatically (staff assess the others in admin)."""
    from assessments import claims

    made = claims.clean_claims_assess(actor=Actor.job("assess_clean_claims"))
    if made:
        logger.info("assessed %d clean claim(s) automatically", len(made))
    return len(made)


@shared_task(acks_late=True)
def claim_letter_issue(claim_assessment_id: int) -> int:
    """Issue the letter of assessment of a claim TRA changed (unique per claim assessment: safe twice)."""
    from assessments import claims

    return claims.claim_letter_issue(
        claim_assessment_id=claim_assessment_id, actor=Actor.job("claim_letter_issue")
    ).pk


@shared_task(acks_late=True)
def refund_prepare(claim_assessment_id: int) -> int | None:
    """Prepare the refund of the credit a claim (re)assessment added. Safe twice: a second refund of the same
    credit is refused (and logged here), as is a credit already gone to amounts owing."""
    from assessments import refunds
    from assessments.models import ClaimAssessment

    try:
        return refunds.refund_prepare(
            claim_assessment=ClaimAssessment(pk=claim_assessment_id), actor=Actor.job("refund_prepare")
        ).pk
    except refunds.RefundRefused as error:
        logger.info("no refund for claim assessment %s: %s", claim_assessment_id, " ".join(error.messages))
        return None


@shared_task(acks_late=True)
def refunds_prepare_missing() -> int:
    """Beat job, daily: prepare the refunds a lost job or a refusal left unprepared (safe twice: one live refund
    per credit)."""
    from assessments import refunds

    prepared = refunds.refunds_prepare_missing(actor=Actor.job("refunds_prepare_missing"))
    if prepared:
        logger.info("prepared %d refund(s) left unprepared", len(prepared))
    return len(prepared)


@shared_task(acks_late=True)
def refunds_issue() -> int:
    """Beat job: issue every approved refund exactly once and close the run's payment files."""
    from assessments import refunds

    run = refunds.refunds_issue(actor=Actor.job("refunds_issue"))
    if run.issued or run.held:
        logger.info(
            "issued %d refund(s), held %d, closed %d file(s)", len(run.issued), len(run.held), len(run.files)
        )
    return len(run.issued)


# The marked-fuel refund cycle's jobs (assessments/cycles/tasks.py), found by Celery through this module.
from assessments.cycles.tasks import refund_cycle_due, refund_cycle_run  # noqa: E402, F401
from assessments.tasks_decisions import decision_notice_issue  # noqa: E402, F401  (registered with the worker)
from assessments.tasks_reminders import reminders_send  # noqa: E402, F401  (registered with the worker)
