"""Each scheduled job's last success is visible to staff, a job that has not succeeded within twice its period
alerts operators once per episode (accounts/scheduled_jobs.py), and a task reaching its soft time limit gives up
cleanly: its work in progress rolled back, logged, recorded, then retried or left for its next run (tracs/jobs.py).
"""

import logging
from datetime import timedelta

import pytest
from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from celery.schedules import crontab
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.db import transaction
from django.utils import timezone

from accounts import scheduled_jobs
from accounts.models import OutboxEmail, ScheduledJob, User
from accounts.services import email_queue
from accounts.tasks import outbox_send_pending, scheduled_jobs_check
from tests.accounts.factories import UserFactory, staff_member
from tests.conftest import sign_in

TEST_JOB = "tests-job"
TEST_TASK = "tests.test_scheduled_jobs.scheduled_test_job"
calls = {"fail": 0, "soft_limit": 0}


@shared_task(name=TEST_TASK)
def scheduled_test_job(outcome: str = "ok") -> str:
    if outcome == "fail":
        raise ValueError("refund of $1,234.56 refused")
    if outcome == "soft_limit":
        with transaction.atomic():
            UserFactory(email="half-done@example.ca")
            raise SoftTimeLimitExceeded()  # as the worker raises it in the task when the soft limit passes
    return "done"


@shared_task(name="tests.test_scheduled_jobs.one_item_task")
def one_item_task() -> str:
    """A notice-like task: one item, stopped by the soft limit the first time only."""
    calls["soft_limit"] += 1
    if calls["soft_limit"] == 1:
        with transaction.atomic():
            UserFactory(email="one-item@example.ca")
            raise SoftTimeLimitExceeded()
    return "made"


@pytest.fixture
def test_job(settings, db):
    settings.CELERY_BEAT_SCHEDULE = {
        **settings.CELERY_BEAT_SCHEDULE,
        TEST_JOB: {"task": TEST_TASK, "schedule": 3600.0},
    }
    # Rows another test's worker process committed (a real Celery worker recording a sweep it ran) would read as
    # stale here: each test starts from the schedule alone.
    ScheduledJob.objects.all().delete()
    scheduled_jobs.scheduled_jobs_sync()
    return ScheduledJob.objects.get(name=TEST_JOB)


@pytest.mark.parametrize(
    ("schedule", "period"),
    [
        (60.0, timedelta(minutes=1)),
        (timedelta(hours=2), timedelta(hours=2)),
        (crontab(hour=1, minute=15), timedelta(days=1)),
        # Weekdays at 9: the weekend's gap, Friday 9:00 to Monday 9:00, is what a run may be late by.
        (crontab(hour=9, minute=0, day_of_week="mon-fri"), timedelta(days=3)),
        (crontab(minute=0, hour=3, day_of_month=1), timedelta(days=31)),
    ],
)
def test_a_jobs_period_is_the_longest_gap_its_schedule_makes(schedule, period):
    assert scheduled_jobs.schedule_period(schedule) == period


@pytest.mark.django_db
def test_every_job_of_the_beat_schedule_is_listed_from_the_start(settings):
    jobs = {job.name: job for job in ScheduledJob.objects.all()}
    assert set(settings.CELERY_BEAT_SCHEDULE) <= set(jobs)
    assert jobs["outbox-send-pending"].period == timedelta(minutes=1)
    assert jobs["assessments-accrue-interest"].period == timedelta(days=1)
    assert jobs["scheduled-jobs-check"].task == "accounts.tasks.scheduled_jobs_check"


def test_a_job_removed_from_the_schedule_keeps_its_history_and_is_never_stale(test_job, settings):
    del settings.CELERY_BEAT_SCHEDULE[TEST_JOB]
    scheduled_jobs.scheduled_jobs_sync()
    test_job.refresh_from_db()
    assert test_job.period is None
    far = timezone.now() + timedelta(days=365)
    assert test_job not in scheduled_jobs.stale_scheduled_jobs(now=far)
    assert scheduled_jobs.scheduled_job_status(test_job, now=far) == scheduled_jobs.Status.UNSCHEDULED


def test_a_scheduled_jobs_runs_are_recorded(test_job):
    scheduled_test_job.apply()
    test_job.refresh_from_db()
    assert test_job.last_started_at is not None
    assert test_job.last_succeeded_at is not None
    assert test_job.last_failed_at is None
    assert scheduled_jobs.scheduled_job_status(test_job, now=timezone.now()) == scheduled_jobs.Status.OK

    with pytest.raises(ValueError, match="refused"):
        scheduled_test_job.apply(args=["fail"])
    test_job.refresh_from_db()
    assert test_job.last_failed_at > test_job.last_succeeded_at
    assert test_job.last_error == "ValueError: refund of [scrubbed] refused"  # staff see no amount either
    assert scheduled_jobs.scheduled_job_status(test_job, now=timezone.now()) == scheduled_jobs.Status.FAILING


def test_a_task_the_schedule_does_not_name_records_nothing(test_job):
    before = list(ScheduledJob.objects.values_list("name", "last_started_at"))
    one_item_task.apply(throw=False)
    assert list(ScheduledJob.objects.values_list("name", "last_started_at")) == before


def test_stale_is_no_success_within_twice_the_period(test_job):
    succeeded = timezone.now()
    ScheduledJob.objects.filter(pk=test_job.pk).update(last_succeeded_at=succeeded)
    assert test_job.name not in names(scheduled_jobs.stale_scheduled_jobs(now=succeeded + timedelta(hours=2)))
    assert test_job.name in names(
        scheduled_jobs.stale_scheduled_jobs(now=succeeded + timedelta(hours=2, seconds=1))
    )


def test_a_job_that_never_succeeded_is_stale_two_periods_after_it_was_scheduled(test_job):
    assert test_job.last_succeeded_at is None
    assert test_job.name not in names(
        scheduled_jobs.stale_scheduled_jobs(now=test_job.created_at + timedelta(hours=1))
    )
    assert test_job.name in names(
        scheduled_jobs.stale_scheduled_jobs(now=test_job.created_at + timedelta(hours=3))
    )


def names(jobs):
    return [job.name for job in jobs]


def test_a_stale_job_alerts_once_per_episode(test_job, settings, caplog, django_capture_on_commit_callbacks):
    settings.TRACS_OPS_ALERT_EMAIL = ["ops@tracs.example"]
    ScheduledJob.objects.exclude(pk=test_job.pk).update(last_succeeded_at=timezone.now() + timedelta(days=30))
    later = timezone.now() + timedelta(hours=3)

    with caplog.at_level(logging.ERROR, logger="accounts.scheduled_jobs"):
        assert scheduled_jobs.scheduled_jobs_alert_stale(now=later) == [TEST_JOB]
    [record] = caplog.records
    assert record.getMessage().startswith(f"scheduled job {TEST_JOB} is stale: no success since ")
    [alert] = OutboxEmail.objects.filter(purpose="scheduled-job-stale")
    assert alert.to == ["ops@tracs.example"]

    # The next checks, minutes or hours later, say nothing more about the same episode.
    assert scheduled_jobs.scheduled_jobs_alert_stale(now=later + timedelta(minutes=5)) == []
    assert scheduled_jobs.scheduled_jobs_alert_stale(now=later + timedelta(hours=5)) == []
    assert OutboxEmail.objects.filter(purpose="scheduled-job-stale").count() == 1

    # A success ends the episode; stale again later is a new one, alerted again.
    scheduled_test_job.apply()
    test_job.refresh_from_db()
    assert test_job.stale_alerted_at is None
    again = test_job.last_succeeded_at + timedelta(hours=2, minutes=1)
    assert scheduled_jobs.scheduled_jobs_alert_stale(now=again) == [TEST_JOB]
    assert OutboxEmail.objects.filter(purpose="scheduled-job-stale").count() == 2


def test_the_check_job_runs_from_the_schedule_and_records_itself(test_job):
    assert scheduled_jobs_check.apply().get() == []  # nothing stale yet
    check = ScheduledJob.objects.get(name="scheduled-jobs-check")
    assert check.last_succeeded_at is not None


def test_the_alert_mail_reaches_the_ops_address(test_job, settings, django_capture_on_commit_callbacks):
    settings.TRACS_OPS_ALERT_EMAIL = ["ops@tracs.example"]
    with django_capture_on_commit_callbacks(execute=True):
        scheduled_jobs.scheduled_jobs_alert_stale(now=timezone.now() + timedelta(hours=3))
    [message] = [m for m in mail.outbox if TEST_JOB in m.subject]
    assert message.to == ["ops@tracs.example"]
    assert message.subject.startswith(f"TRACS: scheduled job {TEST_JOB} has not succeeded since ")
    assert "/admin/accounts/scheduledjob/" in message.body


# --- Staff ------------------------------------------------------------------------------------------------------


def test_the_administrator_sees_each_jobs_state_and_the_stale_ones_named(client, test_job):
    ScheduledJob.objects.exclude(pk=test_job.pk).update(last_succeeded_at=timezone.now())
    ScheduledJob.objects.filter(pk=test_job.pk).update(created_at=timezone.now() - timedelta(hours=3))
    administrator = sign_in(client, staff_member("administrator"))
    response = administrator.get("/admin/accounts/scheduledjob/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "1 scheduled job has not succeeded within twice its period: tests-job." in text
    assert "Stale (no success within twice its period)" in text
    assert text.count(">OK<") >= 1
    assert "Scheduled jobs" in administrator.get("/admin/").content.decode()
    assert "tests-job" in administrator.get("/admin/").content.decode()  # the warning on the front page too


def test_the_scheduled_jobs_page_is_read_only(client, test_job):
    administrator = sign_in(client, staff_member("administrator"))
    assert administrator.get(f"/admin/accounts/scheduledjob/{test_job.pk}/change/").status_code == 200
    assert administrator.post(f"/admin/accounts/scheduledjob/{test_job.pk}/change/", {}).status_code == 403
    assert administrator.get("/admin/accounts/scheduledjob/add/").status_code == 403
    assert (
        administrator.post(f"/admin/accounts/scheduledjob/{test_job.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )


@pytest.mark.parametrize("role", ["auditor", "refund_approver", "registration_officer"])
def test_other_staff_are_refused_the_scheduled_jobs(client, db, role):
    staff = sign_in(client, staff_member(role))
    assert staff.get("/admin/accounts/scheduledjob/").status_code == 403
    assert "scheduled job" not in staff.get("/admin/").content.decode()


# --- Soft time limits -------------------------------------------------------------------------------------------


def test_a_scheduled_job_at_its_soft_limit_rolls_back_is_recorded_and_waits_for_its_next_run(
    test_job, caplog
):
    with caplog.at_level(logging.ERROR, logger="tracs.jobs"), pytest.raises(SoftTimeLimitExceeded):
        scheduled_test_job.apply(args=["soft_limit"])
    assert not User.objects.filter(email="half-done@example.ca").exists()  # nothing half done
    test_job.refresh_from_db()
    assert test_job.last_error == "SoftTimeLimitExceeded: SoftTimeLimitExceeded()"
    assert test_job.last_succeeded_at is None
    [record] = caplog.records
    assert f"task {TEST_TASK}[" in record.getMessage()
    assert record.getMessage().endswith(
        "stopped at its soft time limit (120 s): the work in progress was rolled back; "
        "left for its next scheduled run"
    )


def test_a_one_item_task_at_its_soft_limit_is_retried(db, caplog):
    calls["soft_limit"] = 0
    with caplog.at_level(logging.ERROR, logger="tracs.jobs"):
        result = one_item_task.apply(throw=False)
    assert result.get() == "made"
    assert calls["soft_limit"] == 2
    assert not User.objects.filter(email="one-item@example.ca").exists()
    [record] = caplog.records
    assert record.getMessage().endswith("rolled back; retried in 60 s (retry 1 of 2)")


class MailServerStoppedAnswering(EmailBackend):
    def send_messages(self, messages):
        raise SoftTimeLimitExceeded()


def test_the_outbox_sweep_at_its_soft_limit_stops_and_leaves_the_rest_for_the_next_sweep(settings, db):
    settings.EMAIL_BACKEND = f"{__name__}.MailServerStoppedAnswering"
    first = email_queue(to=["a@example.ca"], subject="s", body="b", purpose="test")
    second = email_queue(to=["b@example.ca"], subject="s", body="b", purpose="test")
    OutboxEmail.objects.filter(pk=second.pk).update(created_at=first.created_at + timedelta(seconds=1))

    with pytest.raises(SoftTimeLimitExceeded):
        outbox_send_pending.apply()

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == OutboxEmail.Status.FAILED  # its attempt recorded, retried after its backoff
    assert first.next_attempt_at is not None
    assert second.status == OutboxEmail.Status.PENDING  # not tried: the next sweep will
    assert second.attempts == 0
    sweep = ScheduledJob.objects.get(name="outbox-send-pending")
    assert sweep.last_error.startswith("SoftTimeLimitExceeded")


# --- For a monitor outside TRACS --------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)  # the checks read the database from a thread of their own
def test_health_jobs_names_the_stale_jobs_and_readiness_ignores_them(client, test_job):
    ScheduledJob.objects.update(last_succeeded_at=timezone.now())
    assert client.get("/health/jobs/").status_code == 200
    ScheduledJob.objects.filter(pk=test_job.pk).update(last_succeeded_at=timezone.now() - timedelta(hours=3))
    response = client.get("/health/jobs/", HTTP_ACCEPT="text/plain")
    assert response.status_code == 503
    assert "stale: tests-job" in response.content.decode()
    assert client.get("/health/ready/").status_code == 200  # a late batch job never makes the portal unready
