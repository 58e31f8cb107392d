"""The e-mail outbox: queued in the caller's transaction, sent by Celery (eager in tests), never lost when
the mail server is down, and erased once sent (some e-mails carry a PIN)."""

import smtplib
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection, transaction
from django.utils import timezone

from accounts import services
from accounts.crypto import decrypt
from accounts.models import OutboxEmail
from accounts.tasks import outbox_send_pending
from tests.accounts.factories import UserFactory
from tests.conftest import sign_in

SMTP_DOWN = "tests.accounts.test_outbox.SMTPDownBackend"


class SMTPDownBackend(BaseEmailBackend):
    """What Django's SMTP backend raises when the mail server refuses the connection."""

    def send_messages(self, email_messages):
        raise smtplib.SMTPConnectError(421, "mail.example.ca: service not available")


class Rollback(Exception):
    pass


def queue(**overrides):
    fields = {"to": ["filer@example.ca"], "subject": "Your PIN", "body": "PIN: 7Q4K-99XZ", "purpose": "test"}
    return services.email_queue(**(fields | overrides))


@pytest.mark.django_db
def test_queued_email_is_encrypted_and_waits_for_the_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        email = queue()
    email.refresh_from_db()
    assert email.status == OutboxEmail.Status.PENDING
    assert b"7Q4K-99XZ" not in bytes(email.body_encrypted)
    assert decrypt(email.body_encrypted) == "PIN: 7Q4K-99XZ"
    assert decrypt(email.subject_encrypted) == "Your PIN"
    assert len(callbacks) == 1
    assert mail.outbox == []


@pytest.mark.django_db
def test_recipients_are_deduplicated_and_blanks_dropped():
    email = queue(to=["b@example.ca", "", "a@example.ca", "b@example.ca"])
    assert email.to == ["a@example.ca", "b@example.ca"]


@pytest.mark.django_db
def test_email_is_sent_when_the_transaction_commits(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            email = queue()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["filer@example.ca"]
    assert mail.outbox[0].subject == "Your PIN"
    assert mail.outbox[0].body == "PIN: 7Q4K-99XZ"
    email.refresh_from_db()
    assert email.status == OutboxEmail.Status.SENT
    assert email.sent_at is not None
    assert email.attempts == 1


@pytest.mark.django_db
def test_email_is_not_queued_or_sent_if_the_callers_transaction_rolls_back(
    django_capture_on_commit_callbacks,
):
    @transaction.atomic
    def change_that_fails():
        queue()
        raise Rollback

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(Rollback):
        change_that_fails()
    assert callbacks == []
    assert not OutboxEmail.objects.exists()
    assert mail.outbox == []


@pytest.mark.django_db
def test_sent_email_has_its_subject_and_body_erased(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        email = queue()
    email.refresh_from_db()
    assert bytes(email.subject_encrypted) == b""
    assert bytes(email.body_encrypted) == b""
    assert email.to == ["filer@example.ca"]  # who and why stay, for the record
    assert email.purpose == "test"


@pytest.mark.django_db
def test_smtp_down_keeps_the_email_with_the_error_and_the_request_does_not_fail(
    settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = SMTP_DOWN
    with django_capture_on_commit_callbacks(execute=True):
        email = queue()  # the Celery job fails (and retries); the caller never sees the error
    email.refresh_from_db()
    assert email.status == OutboxEmail.Status.FAILED
    assert email.attempts == 1  # one attempt now; the sweep makes the next after its backoff
    assert "SMTPConnectError" in email.last_error
    assert "service not available" in email.last_error
    assert decrypt(email.body_encrypted) == "PIN: 7Q4K-99XZ"  # kept until it is sent
    assert mail.outbox == []


@pytest.mark.django_db
def test_sending_directly_records_each_failed_attempt(settings):
    settings.EMAIL_BACKEND = SMTP_DOWN
    email = queue()
    for attempt in (1, 2):
        with pytest.raises(smtplib.SMTPConnectError):
            services.outbox_send(email_id=email.pk)
        email.refresh_from_db()
        assert email.attempts == attempt
        assert email.status == OutboxEmail.Status.FAILED
        assert "SMTPConnectError" in email.last_error


@pytest.mark.django_db
def test_the_periodic_sweep_sends_what_failed_once_the_mail_server_is_back(
    settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = SMTP_DOWN
    with django_capture_on_commit_callbacks(execute=True):
        failed = queue(to=["first@example.ca"])
    waiting = queue(to=["second@example.ca"])  # never scheduled (say the broker was down)
    assert outbox_send_pending.delay().get() == 0  # still down: nothing sent, nothing lost
    assert OutboxEmail.objects.exclude(status=OutboxEmail.Status.SENT).count() == 2

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):  # both failed ones' backoff is over
        assert outbox_send_pending.delay().get() == 2
    assert sorted(message.to[0] for message in mail.outbox) == ["first@example.ca", "second@example.ca"]
    for email in (failed, waiting):
        email.refresh_from_db()
        assert email.status == OutboxEmail.Status.SENT
        assert email.last_error == ""
        assert bytes(email.body_encrypted) == b""

    assert outbox_send_pending.delay().get() == 0  # nothing is sent twice
    assert len(mail.outbox) == 2


@pytest.mark.django_db
def test_sending_twice_sends_once(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        email = queue()
    assert services.outbox_send(email_id=email.pk) is False
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_the_sweep_is_scheduled_every_minute(settings):
    schedule = settings.CELERY_BEAT_SCHEDULE["outbox-send-pending"]
    assert schedule["task"] == "accounts.tasks.outbox_send_pending"
    assert schedule["schedule"] <= 60


class LockWatchingBackend(BaseEmailBackend):
    """Records, at the moment of sending, how deep in transactions the sender is and the row's status."""

    seen: list[tuple[int, str]] = []

    def send_messages(self, email_messages):
        email = OutboxEmail.objects.order_by("-pk").first()
        LockWatchingBackend.seen.append((len(connection.atomic_blocks), email.status))
        return len(email_messages)


@pytest.mark.django_db
def test_no_transaction_or_row_lock_is_held_while_talking_to_the_mail_server(settings):
    settings.EMAIL_BACKEND = "tests.accounts.test_outbox.LockWatchingBackend"
    LockWatchingBackend.seen = []
    email = queue()
    outside = len(connection.atomic_blocks)  # the test's own transaction
    assert services.outbox_send(email_id=email.pk) is True
    assert LockWatchingBackend.seen == [(outside, OutboxEmail.Status.SENDING)]  # claimed and committed first


@pytest.mark.django_db
def test_a_failure_waits_an_exponential_backoff_and_the_sweep_respects_it(settings):
    settings.EMAIL_BACKEND = SMTP_DOWN
    email = queue()
    start = timezone.now()
    waits = []
    with time_machine.travel(start, tick=False) as clock:
        for _ in range(4):
            assert outbox_send_pending() == 0
            email.refresh_from_db()
            waits.append(round((email.next_attempt_at - timezone.now()).total_seconds()))
            assert services.outbox_pending_ids() == []  # not due: the sweep leaves it alone
            clock.shift(timedelta(seconds=waits[-1] - 1))
            assert services.outbox_pending_ids() == []
            clock.shift(timedelta(seconds=1))
            assert services.outbox_pending_ids() == [email.pk]
    assert waits == [60, 120, 240, 480]
    assert email.attempts == 4
    assert services.outbox_retry_delay(30) == timedelta(hours=1)  # capped


@pytest.mark.django_db
def test_after_the_last_attempt_the_email_is_undeliverable_and_never_retried(settings):
    settings.EMAIL_BACKEND = SMTP_DOWN
    settings.TRACS_OUTBOX_MAX_ATTEMPTS = 3
    email = queue()
    for _ in range(3):
        with pytest.raises(smtplib.SMTPConnectError):
            services.outbox_send(email_id=email.pk)
    email.refresh_from_db()
    assert email.status == OutboxEmail.Status.DEAD
    assert email.attempts == 3
    assert email.next_attempt_at is None
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        assert services.outbox_pending_ids() == []
        assert outbox_send_pending() == 0
        assert services.outbox_send(email_id=email.pk) is False
    assert mail.outbox == []
    assert decrypt(email.body_encrypted) == "PIN: 7Q4K-99XZ"  # kept for staff to act on


@pytest.mark.django_db
def test_a_claim_left_by_a_dead_worker_is_taken_again_after_the_claim_time(settings):
    email = queue()
    now = timezone.now()
    OutboxEmail.objects.filter(pk=email.pk).update(
        status=OutboxEmail.Status.SENDING, claimed_at=now, attempts=1
    )
    assert services.outbox_pending_ids(now=now + timedelta(minutes=1)) == []
    assert services.outbox_send(email_id=email.pk) is False  # someone is sending it
    later = now + timedelta(seconds=settings.TRACS_OUTBOX_CLAIM_SECONDS + 1)
    assert services.outbox_pending_ids(now=later) == [email.pk]
    with time_machine.travel(later):
        assert services.outbox_send(email_id=email.pk) is True
    email.refresh_from_db()
    assert email.status == OutboxEmail.Status.SENT
    assert email.attempts == 2


@pytest.mark.django_db
def test_staff_see_undeliverable_emails_counted_and_filtered_in_admin(client):
    admin_client = sign_in(client, UserFactory(is_staff=True, is_superuser=True))
    queue()
    dead = queue(to=["gone@example.ca"])
    OutboxEmail.objects.filter(pk=dead.pk).update(status=OutboxEmail.Status.DEAD, attempts=10)
    response = admin_client.get("/admin/accounts/outboxemail/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "1 e-mail could not be delivered after every attempt" in text
    assert "?status__exact=dead" in text
    response = admin_client.get("/admin/accounts/outboxemail/?status__exact=dead")
    assert list(response.context["cl"].result_list) == [dead]


def test_smtp_connections_and_tasks_have_time_limits(settings):
    assert settings.EMAIL_TIMEOUT == 30
    assert settings.CELERY_TASK_SOFT_TIME_LIMIT < settings.CELERY_TASK_TIME_LIMIT
    from tracs.celery import app

    render = app.tasks["filings.tasks.confirmation_pdf_render"]
    assert render.soft_time_limit == 600
    assert render.time_limit == 660
    assert app.tasks["accounts.tasks.outbox_send"].soft_time_limit == 120  # the default
    assert app.tasks["accounts.tasks.outbox_send"].time_limit == 180
