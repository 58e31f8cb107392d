"""The daily reminders job (assessments/reminders.py); imported by assessments.tasks so the worker registers it."""

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def reminders_send() -> dict:
    """Beat job, daily: reminders of returns about to fall due and of unopened notices with payment due. Safe
    to run twice (one e-mail per dedupe key) and to miss a day (each reminder's window spans several days)."""
    from assessments import reminders

    sent = reminders.reminders_send()
    if sent.returns or sent.notices:
        logger.info("queued %d return reminder(s) and %d notice reminder(s)", sent.returns, sent.notices)
    return {"returns": sent.returns, "notices": sent.notices}
