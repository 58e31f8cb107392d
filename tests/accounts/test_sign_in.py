"""Signing in by e-mail and password: wrong passwords, the django-axes lockout, its cool-off and a staff unlock."""

from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.utils import timezone

from tests.accounts.factories import PASSWORD, UserFactory

WRONG_PASSWORD_MESSAGE = "The email address and/or password you specified are not correct."
LOCKOUT_TITLE = "Too many failed sign-in attempts"


def attempt(client, email, password):
    return client.post("/auth/login/", {"login": email, "password": password})


def fail(client, email, times):
    responses = [attempt(client, email, "Not-the-password-1") for _ in range(times)]
    return responses[-1]


@pytest.mark.django_db
def test_sign_in_page_is_served_to_anonymous_visitors(client):
    response = client.get("/auth/login/")
    assert response.status_code == 200
    assert b'name="login"' in response.content
    assert b'name="password"' in response.content


@pytest.mark.django_db
def test_wrong_password_shows_a_clear_message_on_the_form_and_keeps_the_email(client):
    user = UserFactory()
    response = attempt(client, user.email, "Not-the-password-1")
    assert response.status_code == 200
    page = response.content.decode()
    assert WRONG_PASSWORD_MESSAGE in page
    assert "There is a problem" in page  # the error summary at the top of the form
    assert f'value="{user.email}"' in page
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_unknown_email_gets_the_same_message_as_a_wrong_password(client):
    response = attempt(client, "nobody@example.ca", "Not-the-password-1")
    assert WRONG_PASSWORD_MESSAGE in response.content.decode()


@pytest.mark.django_db
def test_correct_password_leads_to_the_two_factor_step_not_the_portal(client):
    user = UserFactory()
    response = attempt(client, user.email, PASSWORD)
    assert response.status_code == 302
    response = client.get(response["Location"])
    assert response.status_code == 302
    assert response["Location"].startswith("/two-factor/verify/")


@pytest.mark.django_db
def test_four_failures_do_not_lock_the_person_out(client):
    user = UserFactory()
    fail(client, user.email, 4)
    response = attempt(client, user.email, PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


@pytest.mark.django_db
def test_fifth_failure_shows_the_lockout_page(client):
    user = UserFactory()
    response = fail(client, user.email, 5)
    assert response.status_code == 429
    page = response.content.decode()
    assert LOCKOUT_TITLE in page
    assert "Try again in 15 minutes" in page
    assert "Reset my password" in page
    assert 'class="portal-header"' in page  # in the portal's layout, not a bare text response
    assert "Traceback" not in page


@pytest.mark.django_db
def test_lockout_refuses_even_the_right_password(client):
    user = UserFactory()
    fail(client, user.email, 5)
    response = attempt(client, user.email, PASSWORD)
    assert response.status_code == 429
    assert LOCKOUT_TITLE in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_lockout_message_follows_the_configured_cool_off(client, settings):
    settings.AXES_COOLOFF_TIME = timedelta(minutes=30)
    user = UserFactory()
    response = fail(client, user.email, 5)
    assert "Try again in 30 minutes" in response.content.decode()


@pytest.mark.django_db
def test_lockout_is_per_email_another_person_can_still_sign_in(client):
    locked, other = UserFactory(), UserFactory()
    fail(client, locked.email, 5)
    response = attempt(client, other.email, PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(other.pk)


@pytest.mark.django_db
def test_cool_off_ends_the_lockout(client):
    user = UserFactory()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        fail(client, user.email, 5)
    with time_machine.travel(start + timedelta(minutes=16), tick=False):
        response = attempt(client, user.email, PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


@pytest.mark.django_db
def test_trying_during_the_lockout_restarts_the_cool_off_as_the_page_says(client):
    """The page says "try again in 15 minutes" each time it is shown, and that stays true."""
    user = UserFactory()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        fail(client, user.email, 5)
    with time_machine.travel(start + timedelta(minutes=14), tick=False):
        response = attempt(client, user.email, PASSWORD)
        assert response.status_code == 429
        assert "Try again in 15 minutes" in response.content.decode()
    with time_machine.travel(start + timedelta(minutes=28), tick=False):
        assert attempt(client, user.email, PASSWORD).status_code == 429
    with time_machine.travel(start + timedelta(minutes=44), tick=False):
        response = attempt(client, user.email, PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


@pytest.mark.django_db
def test_staff_unlock_lets_the_person_in_again(client):
    """Staff unlock in admin (System: sign-in lockouts > Access attempts > delete), which deletes the attempt rows."""
    user = UserFactory()
    fail(client, user.email, 5)
    attempts = AccessAttempt.objects.filter(username=user.email)
    assert attempts.get().failures_since_start == 5
    attempts.delete()  # what the admin's delete action does
    response = attempt(client, user.email, PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


@pytest.mark.django_db
def test_successful_sign_in_resets_the_failure_count(client):
    user = UserFactory()
    fail(client, user.email, 4)
    assert attempt(client, user.email, PASSWORD).status_code == 302
    client.post("/auth/logout/")
    response = fail(client, user.email, 4)
    assert response.status_code == 200
    assert attempt(client, user.email, PASSWORD).status_code == 302


@pytest.mark.django_db
def test_inactive_person_cannot_sign_in(client):
    user = UserFactory(is_active=False)
    response = attempt(client, user.email, PASSWORD)
    assert "_auth_user_id" not in client.session
    assert response.status_code in {200, 302}
    if response.status_code == 302:
        assert "inactive" in response["Location"]


@pytest.mark.django_db
def test_sign_out_ends_the_session(client):
    user = UserFactory()
    attempt(client, user.email, PASSWORD)
    response = client.post("/auth/logout/")
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
    assert client.get("/").status_code == 302
