"""Sessions end after 15 minutes without activity, as in TRACS; the layout warns before, a keepalive extends,
and a person whose session ended is told why on the sign-in page."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings as django_settings
from django.contrib.sessions.models import Session
from django.utils import timezone

from accounts.middleware import SESSION_ENDED
from tests.accounts.factories import UserFactory
from tests.conftest import sign_in

ENDED = str(SESSION_ENDED)


def html(response):
    return response.content.decode().replace("&#x27;", "'")


@pytest.fixture
def clock():
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


@pytest.fixture
def person(db, client, clock):
    user = UserFactory()
    sign_in(client, user)
    return user


def test_idle_timeout_is_fifteen_minutes():
    assert django_settings.SESSION_COOKIE_AGE == 900
    assert django_settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True


def test_the_layout_carries_the_idle_seconds_for_the_warning(client, person):
    page = html(client.get("/"))
    assert 'data-idle-seconds="900"' in page
    assert 'data-keepalive-url="/session/keepalive/"' in page
    assert 'id="idle-warning"' in page
    assert "Your session is about to end" in page
    assert "Stay signed in" in page


@pytest.mark.django_db
def test_anonymous_pages_have_no_idle_warning(client):
    page = html(client.get("/auth/login/"))
    assert "data-idle-seconds" not in page
    assert 'id="idle-warning"' not in page


def test_activity_within_fifteen_minutes_keeps_the_person_signed_in(client, person, clock):
    for _ in range(3):
        clock.shift(timedelta(minutes=14))
        assert client.get("/").status_code == 200


def test_a_quiet_reader_is_signed_out_fifteen_minutes_after_the_last_page(client, person, clock):
    clock.shift(timedelta(minutes=5))
    assert client.get("/").status_code == 200
    clock.shift(timedelta(minutes=14))  # 19 minutes after signing in, 14 after the last page
    assert client.get("/").status_code == 200
    clock.shift(timedelta(minutes=16))
    assert client.get("/").status_code == 302


def test_fifteen_minutes_idle_ends_the_session_with_a_message(client, person, clock):
    assert client.get("/").status_code == 200
    clock.shift(timedelta(minutes=15, seconds=1))
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/auth/login/?next=/"
    page = html(client.get(response["Location"]))
    assert ENDED in page
    assert "Your session ended after 15 minutes without activity" in page
    # Said once: the next visit to the sign-in page is a plain sign-in page.
    assert ENDED not in html(client.get("/auth/login/"))


def test_a_session_row_gone_while_the_cookie_remains_sends_the_person_to_sign_in(client, person):
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    Session.objects.filter(session_key=cookie).delete()
    response = client.get("/", follow=True)
    assert response.redirect_chain[0] == ("/auth/login/?next=/", 302)
    assert response.status_code == 200
    assert ENDED in html(response)


def test_an_expired_session_row_is_not_honoured(client, person, clock):
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    Session.objects.filter(session_key=cookie).update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get("/two-factor/", follow=True)
    assert response.redirect_chain[0][0] == "/auth/login/?next=/two-factor/"
    assert ENDED in html(response)


def test_a_form_posted_after_the_session_ended_also_says_why(client, person, clock):
    """The common case: someone fills in a long form, steps away, and submits it after 15 minutes."""
    clock.shift(timedelta(minutes=16))
    response = client.post("/two-factor/", follow=True)
    assert response.redirect_chain[0][0] == "/auth/login/?next=/two-factor/"
    assert ENDED in html(response)


@pytest.mark.django_db
def test_a_first_visit_without_any_cookie_has_no_session_message(client):
    response = client.get("/", follow=True)
    assert response.status_code == 200
    assert ENDED not in html(response)


def test_signing_out_is_not_reported_as_a_timeout(client, person):
    client.post("/auth/logout/")
    assert ENDED not in html(client.get("/", follow=True))


def test_keepalive_answers_204_signed_in_and_extends_the_session(client, person, clock):
    clock.shift(timedelta(minutes=14))
    response = client.get("/session/keepalive/")
    assert response.status_code == 204
    assert response.content == b""
    clock.shift(timedelta(minutes=14))  # 28 minutes after the page, 14 after the keepalive
    assert client.get("/").status_code == 200


@pytest.mark.django_db
def test_keepalive_answers_401_to_anonymous_visitors(client):
    assert client.get("/session/keepalive/").status_code == 401


def test_keepalive_answers_401_once_the_session_ended(client, person, clock):
    clock.shift(timedelta(minutes=16))
    assert client.get("/session/keepalive/").status_code == 401


def test_the_session_cookie_is_not_readable_by_scripts_and_not_persistent(client, person):
    response = client.get("/")
    morsel = response.cookies[django_settings.SESSION_COOKIE_NAME]
    assert morsel["httponly"]
    assert morsel["samesite"] == "Lax"
    assert morsel["max-age"] == ""  # a browser-session cookie: closing the browser ends it too
