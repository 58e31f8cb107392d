"""Scheduled jobs (settings.CELERY_BEAT_SCHEDULE): each one's last start, success and failure, for staff, and an
alert when one has not succeeded within twice its period (issue 12 item 6; docs/operations.md, "Scheduled jobs").

The runs are recorded by the task class every task has (tracs.jobs.Job), for the tasks the beat schedule names
only. `scheduled_jobs_alert_stale` is itself a beat job: it alerts (an ERROR log line, which Sentry reports too,
and an e-mail to TRACS_OPS_ALERT_EMAIL) once per staleness episode; the job's next success ends the episode.
Readiness (/health/ready/) never fails for a stale job: the web keeps serving while a batch is late."""

from __future__ import annotations

import enum
import logging
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from celery.schedules import crontab
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import ScheduledJob
from accounts.services import email_queue
from tracs.log_filters import scrub_text

logger = logging.getLogger(__name__)

STALE_AFTER_PERIODS = 2
ERROR_SUMMARY_LENGTH = 500
# A crontab's period is the longest gap between its runs over at least this long (a weekday-only job's weekend).
CRONTAB_SAMPLE = timedelta(days=8)
CRONTAB_SAMPLE_MAX = timedelta(days=800)  # a yearly job: two of its runs
STALE_SUBJECT = _("TRACS: scheduled job %(name)s has not succeeded since %(since)s")
STALE_BODY = _(
    "The scheduled job %(name)s (task %(task)s) runs every %(period)s and has not succeeded since %(since)s "
    "(checked %(now)s).\n\nLast started: %(started)s\nLast failed: %(failed)s\nLast error: %(error)s\n\n"
    'What to do: docs/operations.md, "Scheduled jobs". Staff administration shows every job\'s state:\n%(url)s\n\n'
    "You get one such e-mail per job until it succeeds again."
)


class Status(enum.StrEnum):
    OK = "ok"
    FAILING = "failing"  # its last run failed; not yet stale
    STALE = "stale"  # no success within twice its period
    UNSCHEDULED = "unscheduled"  # no longer in the beat schedule


def schedule_period(schedule: Any) -> timedelta:
    """The longest time between two runs of a beat entry's schedule: seconds, a timedelta, celery's schedule or
    crontab (sampled with celery's own next-run arithmetic)."""
    if isinstance(schedule, int | float):
        return timedelta(seconds=schedule)
    if isinstance(schedule, timedelta):
        return schedule
    if isinstance(schedule, crontab):
        return _crontab_period(schedule)
    run_every = getattr(schedule, "run_every", None)
    if isinstance(run_every, timedelta):
        return run_every
    raise TypeError(f"a beat schedule of type {type(schedule).__name__} has no period TRACS can tell")


def _crontab_period(schedule: crontab) -> timedelta:
    def next_run(after: datetime) -> datetime:
        start, delta, _now = schedule.remaining_delta(after)
        return start + delta

    # A fixed reference, so the period is the same whenever it is computed.
    origin = datetime(2024, 1, 1, tzinfo=ZoneInfo(settings.TIME_ZONE))
    previous = next_run(origin)
    longest = timedelta(0)
    while previous - origin < CRONTAB_SAMPLE_MAX:
        following = next_run(previous)
        longest = max(longest, following - previous)
        previous = following
        if previous - origin >= CRONTAB_SAMPLE:
            break
    return longest


def beat_tasks() -> dict[str, str]:
    """The beat schedule's entries: name -> task."""
    return {name: str(entry["task"]) for name, entry in settings.CELERY_BEAT_SCHEDULE.items()}


def is_scheduled_task(task: str) -> bool:
    return task in beat_tasks().values()


def scheduled_jobs_sync(
    *, schedule: Mapping[str, Mapping[str, Any]] | None = None, model: type[ScheduledJob] = ScheduledJob
) -> None:
    """One row per beat entry with its task and period; a row whose entry left the schedule loses its period.
    `model` is a migration's historical model after `migrate` (accounts.apps)."""
    schedule = settings.CELERY_BEAT_SCHEDULE if schedule is None else schedule
    wanted = {
        name: (str(entry["task"]), schedule_period(entry["schedule"])) for name, entry in schedule.items()
    }
    with transaction.atomic():
        existing = {job.name: job for job in model.objects.select_for_update()}
        for name, (task, period) in wanted.items():
            job = existing.get(name)
            if job is None:
                model.objects.create(name=name, task=task, period=period)
            elif (job.task, job.period) != (task, period):
                job.task, job.period = task, period
                job.save(update_fields=["task", "period"])
        model.objects.exclude(name__in=wanted).exclude(period=None).update(period=None)


def scheduled_job_started(*, task: str, at: datetime) -> None:
    ScheduledJob.objects.filter(task=task).exclude(period=None).update(last_started_at=at)


def scheduled_job_succeeded(*, task: str, at: datetime) -> None:
    """A success ends the job's staleness episode: the next time it is stale alerts again."""
    jobs = ScheduledJob.objects.filter(task=task).exclude(period=None)
    for name in jobs.filter(stale_alerted_at__isnull=False).values_list("name", flat=True):
        logger.warning("scheduled job %s succeeded again: no longer stale", name)
    jobs.update(last_succeeded_at=at, stale_alerted_at=None)


def scheduled_job_failed(*, task: str, at: datetime, error: BaseException) -> None:
    summary = scrub_text(f"{type(error).__name__}: {error}")[:ERROR_SUMMARY_LENGTH]
    ScheduledJob.objects.filter(task=task).exclude(period=None).update(last_failed_at=at, last_error=summary)


def stale_since(job: ScheduledJob) -> datetime:
    """Where its staleness is counted from: its last success, else when it was first scheduled."""
    return job.last_succeeded_at or job.created_at


def is_stale(job: ScheduledJob, *, now: datetime) -> bool:
    return job.period is not None and now - stale_since(job) > STALE_AFTER_PERIODS * job.period


def scheduled_job_status(job: ScheduledJob, *, now: datetime) -> Status:
    if job.period is None:
        return Status.UNSCHEDULED
    if is_stale(job, now=now):
        return Status.STALE
    if job.last_failed_at and (job.last_succeeded_at is None or job.last_failed_at > job.last_succeeded_at):
        return Status.FAILING
    return Status.OK


def stale_scheduled_jobs(*, now: datetime | None = None) -> list[ScheduledJob]:
    """The scheduled jobs that have not succeeded within twice their period (never run: since scheduled)."""
    now = now or timezone.now()
    return [job for job in ScheduledJob.objects.exclude(period=None) if is_stale(job, now=now)]


def scheduled_jobs_alert_stale(*, now: datetime | None = None) -> list[str]:
    """The beat job: alert on each stale job not yet alerted in this episode. Returns the names alerted."""
    now = now or timezone.now()
    scheduled_jobs_sync()
    alerted = []
    for job in stale_scheduled_jobs(now=now):
        if job.stale_alerted_at is None and _alert(job_id=job.pk, now=now):
            alerted.append(job.name)
    return alerted


@transaction.atomic
def _alert(*, job_id: int, now: datetime) -> bool:
    # Locked and read again: two checks at once (a slow one overtaken by the next) alert once.
    job = ScheduledJob.objects.select_for_update(skip_locked=True).filter(pk=job_id).first()
    if job is None or job.stale_alerted_at is not None or not is_stale(job, now=now):
        return False
    job.stale_alerted_at = now
    job.save(update_fields=["stale_alerted_at"])
    since = stale_since(job)
    logger.error(
        "scheduled job %s is stale: no success since %s (expected every %s)",
        job.name,
        since.isoformat(timespec="seconds"),
        job.period,
    )
    if settings.TRACS_OPS_ALERT_EMAIL:
        _mail(job=job, since=since, now=now, to=settings.TRACS_OPS_ALERT_EMAIL)
    return True


def _mail(*, job: ScheduledJob, since: datetime, now: datetime, to: Iterable[str]) -> None:
    from django.urls import reverse

    def when(moment: datetime | None) -> str:
        return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M %Z") if moment else "never"

    url = settings.TRACS_SITE_URL.rstrip("/") + reverse("admin:accounts_scheduledjob_changelist")
    values = {
        "name": job.name,
        "task": job.task,
        "period": job.period,
        "since": when(since),
        "now": when(now),
        "started": when(job.last_started_at),
        "failed": when(job.last_failed_at),
        "error": job.last_error or "none",
        "url": url,
    }
    email_queue(
        to=to,
        subject=str(STALE_SUBJECT % values),
        body=str(STALE_BODY % values),
        purpose="scheduled-job-stale",
        dedupe_key=f"scheduled-job-stale:{job.name}:{since.isoformat()}",
    )
