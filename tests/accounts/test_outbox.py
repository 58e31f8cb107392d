"""The e-mail outbox: queued in the caller's transaction, sent by Celery (eager in tests), never lost when
the mail server is down, and erased once sent (some e-mails carry a PIN)."""

import smtplib

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction

from accounts import services
from accounts.crypto import decrypt
from accounts.models import OutboxEmail
from accounts.tasks import outbox_send_pending

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
    assert email.attempts >= 1
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
