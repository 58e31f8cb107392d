"""Celery jobs of assessments: thin, taking ids, safe to run twice."""

import logging

from celery import shared_task

from assessments import notices, services

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def notice_render(assessment_id: int) -> int:
    """Render and issue the notice of one assessment (unique per assessment: a second run finds it issued)."""
    return notices.notice_render(assessment_id=assessment_id).pk


@shared_task(acks_late=True)
def assess_clean_returns() -> int:
    """Beat job: assess the clean returns of the queue automatically (staff assess the others in admin)."""
    made = services.clean_returns_assess()
    if made:
        logger.info("assessed %d clean return(s) automatically", len(made))
    return len(made)


@shared_task(acks_late=True)
def accrue_interest() -> int:
    """Beat job, daily: post each assessed period's interest through yesterday (cumulative, so safe to run twice
    and to miss a day: the next run catches up)."""
    from assessments import interest

    posted = interest.interest_accrue_all()
    if posted:
        logger.info("posted interest on %d period(s)", posted)
    return posted


from assessments.tasks_reminders import reminders_send  # noqa: E402, F401  (registered with the worker)
