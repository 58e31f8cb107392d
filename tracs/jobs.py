"""The class of every Celery task (tracs/celery.py, `task_cls`): what each task does around its own work, so that
no task module has to remember it.

- A task the beat schedule names records its runs (accounts/scheduled_jobs.py): started, succeeded, failed with
  the error's summary. Staff see them in admin; a job with no success within twice its period alerts.
- A task that reaches its soft time limit (SoftTimeLimitExceeded, raised inside it by the worker: settings
  CELERY_TASK_SOFT_TIME_LIMIT and CELERY_TASK_ANNOTATIONS) gives up cleanly: the exception passes through every
  `transaction.atomic` it is in, which rolls back the work in progress (each job writes one item per transaction,
  so what it finished stays finished and nothing is half done); a database connection left in the middle of a
  statement is closed; it is logged as an ERROR naming the task and the limit and recorded as a failure. A
  scheduled job is then left for its next run (each is safe to run twice and catches up); any other task (a
  notice, a letter, a PDF: one item, and nothing else would make it again) is retried a minute later, at most
  SOFT_LIMIT_RETRIES times.

Failures are recorded here, not from Celery's task_failure signal, because that signal is not sent when a task
run inline propagates its exception (CELERY_TASK_EAGER_PROPAGATES), and a recorded run must not depend on that."""

from __future__ import annotations

import logging
from typing import Any

from celery import Task
from celery.exceptions import SoftTimeLimitExceeded
from django.db import connections
from django.utils import timezone

logger = logging.getLogger(__name__)

SOFT_LIMIT_RETRIES = 2
SOFT_LIMIT_RETRY_SECONDS = 60


def _record(function, **kwargs: Any) -> None:
    """Bookkeeping never fails the job it is about: the database being down is the job's own failure to report."""
    try:
        function(at=timezone.now(), **kwargs)
    except Exception:
        logger.warning("could not record a run of %s", kwargs.get("task"), exc_info=True)


def _close_broken_connections() -> None:
    """A statement interrupted by the limit leaves its connection busy (psycopg cancels only on Ctrl-C): close it,
    so the worker's next task opens a fresh one. Not one inside a transaction the caller holds (a task run inline)."""
    for connection in connections.all(initialized_only=True):
        if (
            connection.connection is not None
            and not connection.in_atomic_block
            and not connection.is_usable()
        ):
            connection.close()


class Job(Task):
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.request.called_directly:  # a plain function call, not a Celery run: nothing to record
            return super().__call__(*args, **kwargs)
        from accounts import scheduled_jobs

        scheduled = scheduled_jobs.is_scheduled_task(self.name)
        if scheduled:
            _record(scheduled_jobs.scheduled_job_started, task=self.name)
        try:
            result = self.run(*args, **kwargs)
        except SoftTimeLimitExceeded as error:
            _close_broken_connections()
            if scheduled:
                _record(scheduled_jobs.scheduled_job_failed, task=self.name, error=error)
            self._soft_limit_reached(error, scheduled=scheduled)
            raise
        except Exception as error:
            if scheduled:
                _record(scheduled_jobs.scheduled_job_failed, task=self.name, error=error)
            raise
        if scheduled:
            _record(scheduled_jobs.scheduled_job_succeeded, task=self.name)
        return result

    def _soft_limit_reached(self, error: SoftTimeLimitExceeded, *, scheduled: bool) -> None:
        limit = self.soft_time_limit or self.app.conf.task_soft_time_limit
        retries = self.request.retries or 0
        if scheduled:
            next_step = "left for its next scheduled run"
        elif retries < SOFT_LIMIT_RETRIES:
            next_step = (
                f"retried in {SOFT_LIMIT_RETRY_SECONDS} s (retry {retries + 1} of {SOFT_LIMIT_RETRIES})"
            )
        else:
            next_step = f"given up after {retries + 1} attempts"
        logger.error(
            "task %s[%s] stopped at its soft time limit (%s s): the work in progress was rolled back; %s",
            self.name,
            self.request.id,
            limit,
            next_step,
        )
        if not scheduled and retries < SOFT_LIMIT_RETRIES:
            raise self.retry(exc=error, countdown=SOFT_LIMIT_RETRY_SECONDS, max_retries=SOFT_LIMIT_RETRIES)
