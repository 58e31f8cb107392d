"""Sign-up with e-mail verification and password reset (django-allauth), their e-mails through the outbox,
and the rate limits that stop someone from flooding either."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail

from accounts.models import OutboxEmail, User
from tests.accounts.factories import PASSWORD, UserFactory

NEW_PASSWORD = "Another-strong-pass-42"
TOO_MANY = "Too many attempts"


@pytest.fixture
def send_on_commit(django_capture_on_commit_callbacks):
    """Run on-commit hooks, as after a real commit: the outbox schedules its Celery job there (eager in tests)."""

    def run(action):
        with django_capture_on_commit_callbacks(execute=True):
            return action()

    return run


def sign_up(client, email, password=PASSWORD, **extra):
    data = {"full_name": "Jeanne Tremblay", "email": email, "password1": password, "password2": password}
    return client.post("/auth/signup/", data, **extra)


def link_in(message):
    match = re.search(r"http://testserver(/\S+)", message.body)
    assert match, message.body
    return match.group(1)


@pytest.mark.django_db
def test_signup_page_is_served(client):
    response = client.get("/auth/signup/")
    assert response.status_code == 200
    assert b'name="password1"' in response.content


@pytest.mark.django_db
def test_signup_queues_a_verification_email_through_the_outbox(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = sign_up(client, "new.filer@example.ca")
    assert response.status_code == 302
    assert response["Location"] == "/auth/confirm-email/"
    queued = OutboxEmail.objects.get()
    assert queued.to == ["new.filer@example.ca"]
    assert queued.purpose == "account/email/email_confirmation_signup"
    assert queued.status == OutboxEmail.Status.PENDING
    assert b"confirm-email" not in bytes(queued.body_encrypted)  # encrypted at rest
    assert mail.outbox == []  # nothing leaves before the transaction commits
    assert len(callbacks) == 1


@pytest.mark.django_db
def test_verification_email_arrives_and_the_link_verifies_the_address(client, send_on_commit):
    response = send_on_commit(lambda: sign_up(client, "new.filer@example.ca"))
    assert (
        "We have sent an email to you for verification" in client.get(response["Location"]).content.decode()
    )
    user = User.objects.get(email="new.filer@example.ca")
    assert not EmailAddress.objects.get(user=user).verified

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["new.filer@example.ca"]
    assert message.subject.startswith("TRACS: ")
    assert "example.com" not in message.subject + message.body
    assert "TRACS" in message.body
    assert OutboxEmail.objects.get().status == OutboxEmail.Status.SENT

    link = link_in(message)
    assert link.startswith("/auth/confirm-email/")
    page = client.get(link)
    assert page.status_code == 200
    assert "new.filer@example.ca" in page.content.decode()
    response = client.post(link)
    assert response.status_code == 302
    assert EmailAddress.objects.get(user=user).verified


@pytest.mark.django_db
def test_a_new_person_can_sign_in_only_after_verifying(client, send_on_commit):
    send_on_commit(lambda: sign_up(client, "new.filer@example.ca"))
    link = link_in(mail.outbox[0])
    other = type(client)()
    response = other.post("/auth/login/", {"login": "new.filer@example.ca", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/auth/confirm-email/"
    assert "_auth_user_id" not in other.session

    client.post(link)
    response = other.post("/auth/login/", {"login": "new.filer@example.ca", "password": PASSWORD})
    assert response.status_code == 302
    assert other.get("/")["Location"].startswith("/two-factor/setup/")  # and then two-factor set-up


@pytest.mark.django_db
def test_a_wrong_verification_link_says_so(client):
    response = client.get("/auth/confirm-email/not-a-real-key/")
    assert response.status_code == 200
    assert "expired or is invalid" in response.content.decode()


@pytest.mark.django_db
def test_weak_password_is_refused_on_the_form(client):
    response = sign_up(client, "weak@example.ca", password="short")
    assert response.status_code == 200
    assert "at least 12 characters" in response.content.decode()
    assert not User.objects.filter(email="weak@example.ca").exists()


@pytest.mark.django_db
def test_signing_up_with_a_taken_address_creates_nobody_and_tells_the_owner(client, send_on_commit):
    existing = UserFactory()
    response = send_on_commit(lambda: sign_up(client, existing.email))
    assert response.status_code == 302  # the same answer as for a new address: no account enumeration
    assert User.objects.filter(email=existing.email).count() == 1
    assert [m.to for m in mail.outbox] == [[existing.email]]


@pytest.mark.django_db
def test_sixth_signup_from_one_address_within_the_hour_is_refused(client):
    for n in range(5):
        assert sign_up(client, f"filer{n}@example.ca").status_code == 302
    response = sign_up(client, "filer5@example.ca")
    assert response.status_code == 429
    page = response.content.decode()
    assert TOO_MANY in page
    assert 'class="portal-header"' in page
    assert not User.objects.filter(email="filer5@example.ca").exists()
    # Another connection is not affected.
    assert sign_up(type(client)(), "filer6@example.ca", REMOTE_ADDR="203.0.113.9").status_code == 302


@pytest.mark.django_db
def test_password_reset_email_link_sets_a_new_password(client, send_on_commit):
    user = UserFactory()
    response = send_on_commit(lambda: client.post("/auth/password/reset/", {"email": user.email}))
    assert response.status_code == 302
    assert response["Location"] == "/auth/password/reset/done/"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [user.email]
    assert message.subject.startswith("TRACS: ")
    assert (
        OutboxEmail.objects.get(purpose="account/email/password_reset_key").status == OutboxEmail.Status.SENT
    )

    response = client.get(link_in(message))
    assert response.status_code == 302  # allauth moves the key out of the URL into the session
    form_url = response["Location"]
    response = client.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/auth/password/reset/key/done/"

    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    fresh = type(client)()
    assert fresh.post("/auth/login/", {"login": user.email, "password": PASSWORD}).status_code == 200
    assert fresh.post("/auth/login/", {"login": user.email, "password": NEW_PASSWORD}).status_code == 302


@pytest.mark.django_db
def test_a_used_reset_link_does_not_work_twice(client, send_on_commit):
    user = UserFactory()
    send_on_commit(lambda: client.post("/auth/password/reset/", {"email": user.email}))
    link = link_in(mail.outbox[0])
    form_url = client.get(link)["Location"]
    client.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    again = type(client)().get(link, follow=True)
    assert again.status_code == 200
    assert "Bad Token" in again.content.decode()
    assert "The password reset link was invalid" in again.content.decode()


@pytest.mark.django_db
def test_password_reset_for_an_unknown_address_looks_the_same(client, send_on_commit):
    response = send_on_commit(lambda: client.post("/auth/password/reset/", {"email": "nobody@example.ca"}))
    assert response.status_code == 302
    assert response["Location"] == "/auth/password/reset/done/"


@pytest.mark.django_db
def test_password_reset_is_rate_limited_per_address(client):
    user = UserFactory()
    for _ in range(3):
        assert client.post("/auth/password/reset/", {"email": user.email}).status_code == 302
    response = client.post("/auth/password/reset/", {"email": user.email})
    assert response.status_code == 429
    assert TOO_MANY in response.content.decode()
    assert OutboxEmail.objects.count() == 3


@pytest.mark.django_db
def test_password_reset_is_rate_limited_per_connection(client):
    for n in range(5):
        assert client.post("/auth/password/reset/", {"email": f"someone{n}@example.ca"}).status_code == 302
    assert client.post("/auth/password/reset/", {"email": "someone5@example.ca"}).status_code == 429
