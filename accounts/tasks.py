import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

from accounts import scheduled_jobs, services

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def outbox_send(email_id: int) -> bool:
    """One attempt at once after the commit. A failure is recorded with its next attempt (exponential backoff,
    then the dead-letter status) and the per-minute sweep makes the retries: one backoff, not the task's own
    around the sweep's. Reaching the soft time limit (a mail server that stopped answering) is recorded the same
    way, then raised for tracs.jobs.Job to log."""
    try:
        return services.outbox_send(email_id=email_id)
    except SoftTimeLimitExceeded:
        raise
    except Exception:
        logger.warning(
            "outbox: e-mail %s not sent; the sweep retries it after its backoff", email_id, exc_info=True
        )
        return False


@shared_task(acks_late=True)
def outbox_send_pending() -> int:
    sent = 0
    for email_id in services.outbox_pending_ids():
        try:
            sent += services.outbox_send(email_id=email_id)
        except SoftTimeLimitExceeded:
            raise  # out of time: the rest wait for the next sweep, a minute later
        except Exception:  # noqa: S112 - one failing address must not stop the rest; it waits for its next attempt
            continue
    return sent


@shared_task(acks_late=True)
def scheduled_jobs_check() -> list[str]:
    """Beat job: alert once on each scheduled job that has not succeeded within twice its period."""
    return scheduled_jobs.scheduled_jobs_alert_stale()
