"""The refund cycle's Celery jobs: thin, safe to run twice (assessments/cycles/services.py)."""

from __future__ import annotations

import logging
from datetime import date

from celery import shared_task
from django.utils import timezone

from accounts.actors import Actor
from accounts.models import User
from assessments.cycles import services
from assessments.cycles.models import CycleRun

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def refund_cycle_due() -> int | None:
    """Beat job, daily: the cycle of the last claim period that has ended, once it has a finished run (so the day
    after a period ends it runs, and a missed day is caught up the next). Returns the run's id, or None."""
    period = services.latest_ended_period(today=timezone.localdate())
    if CycleRun.objects.filter(period_start=period.start, status=CycleRun.Status.DONE).exists():
        return None
    try:
        return services.cycle_run(period=period, actor=Actor.job("refund_cycle_due")).pk
    except services.CycleRefused as error:
        logger.info("refund cycle %s not run: %s", period.key, " ".join(error.messages))
        return None


@shared_task(acks_late=True)
def refund_cycle_run(period_start: str, user_id: int) -> int | None:
    """The cycle of a past claim period, started by a member of staff (admin: refund cycle runs)."""
    user = User.objects.get(pk=user_id)
    period = services.claim_period_from_start(date.fromisoformat(period_start))
    try:
        actor = Actor.job("refund_cycle_run", user=user).acting_for(capacity="staff")
        return services.cycle_run(period=period, actor=actor).pk
    except services.CycleRefused as error:
        logger.info("refund cycle %s not run: %s", period_start, " ".join(error.messages))
        return None


@shared_task(acks_late=True)
def sales_summary_export_build(export_id: int) -> str:
    """The Sales Summary's "Generate Excel" (assessments/cycles/exports.py): safe to run twice."""
    from assessments.cycles import exports

    return exports.sales_summary_export_build(export_id=export_id)


@shared_task(acks_late=True)
def sales_summary_exports_expire() -> int:
    """Beat job, daily: the Sales Summary's workbooks past TRACS_SALES_SUMMARY_EXPORT_DAYS deleted."""
    from assessments.cycles import exports

    return exports.sales_summary_exports_expire()
