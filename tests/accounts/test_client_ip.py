"""The client's address behind a reverse proxy (tracs.actors.client_ip): the one function that django-axes,
allauth's rate limits, the access log and PIN attempts all use.

The proxies in front of the portal are trusted by number (PROXY_COUNT): each appends the address it received the
request from to X-Forwarded-For, so the client is the PROXY_COUNT-th address from the right. Anything further
left was written by the client and is never believed; with no proxy trusted the header is ignored altogether."""

import pytest
from django.test import RequestFactory
from django.urls import reverse

from accounts.models import AccessLogEntry, PinAttempt
from tests.accounts.factories import PASSWORD, UserFactory
from tests.accounts.test_sign_in import LOCKOUT_TITLE
from tests.accounts.test_signup_and_reset import TOO_MANY, sign_up
from tests.conftest import sign_in
from tests.consent.factories import ProgramAccountFactory
from tracs.actors import client_ip

LOAD_BALANCER = "10.0.0.2"  # REMOTE_ADDR of every request that came through the proxy
ALICE = "203.0.113.7"
BOB = "198.51.100.9"


@pytest.fixture
def one_proxy(settings):
    settings.TRACS_PROXY_COUNT = 1


def through_proxy(address: str, forged: str = "") -> dict[str, str]:
    """The request's META as the load balancer passes it on: it appends the address it saw to whatever the
    client sent."""
    chain = f"{forged}, {address}" if forged else address
    return {"REMOTE_ADDR": LOAD_BALANCER, "HTTP_X_FORWARDED_FOR": chain}


def address_of(**meta) -> str | None:
    return client_ip(RequestFactory().get("/", **meta))


# --- The rule -----------------------------------------------------------------------------------------


def test_without_a_trusted_proxy_the_connection_is_the_client_whatever_the_header_says(settings):
    settings.TRACS_PROXY_COUNT = 0
    assert address_of(REMOTE_ADDR=ALICE, HTTP_X_FORWARDED_FOR=BOB) == ALICE
    assert address_of(REMOTE_ADDR=ALICE, HTTP_X_REAL_IP=BOB, HTTP_CLIENT_IP=BOB) == ALICE


def test_behind_one_proxy_the_address_it_appended_is_the_client(one_proxy):
    assert address_of(**through_proxy(ALICE)) == ALICE


def test_behind_one_proxy_addresses_the_client_wrote_itself_are_not_believed(one_proxy):
    assert address_of(**through_proxy(ALICE, forged=BOB)) == ALICE
    assert address_of(**through_proxy(ALICE, forged=f"192.0.2.1, {BOB}")) == ALICE


def test_behind_two_proxies_the_client_is_the_second_address_from_the_right(settings):
    settings.TRACS_PROXY_COUNT = 2
    inner_proxy = "10.0.0.3"
    assert (
        address_of(REMOTE_ADDR=LOAD_BALANCER, HTTP_X_FORWARDED_FOR=f"{BOB}, {ALICE}, {inner_proxy}") == ALICE
    )


def test_a_request_that_did_not_come_through_the_proxy_is_known_by_its_connection(one_proxy):
    """A health check from inside the network has no X-Forwarded-For: its own address, not nothing."""
    assert address_of(REMOTE_ADDR="10.0.0.9") == "10.0.0.9"


def test_a_header_that_is_not_an_address_falls_back_to_the_connection(one_proxy):
    assert address_of(REMOTE_ADDR=LOAD_BALANCER, HTTP_X_FORWARDED_FOR="not-an-address") == LOAD_BALANCER


# --- Who it protects: axes lockout and sign-up limits per client, not per proxy ---------------------------


@pytest.mark.django_db
def test_behind_a_proxy_a_lockout_holds_the_client_that_failed_not_everyone(client, one_proxy):
    user = UserFactory()
    for _ in range(5):
        response = client.post(
            "/auth/login/", {"login": user.email, "password": "Not-the-password-1"}, **through_proxy(BOB)
        )
    assert response.status_code == 429
    assert LOCKOUT_TITLE in response.content.decode()

    # The rightful owner, through the same proxy from her own address, still signs in.
    response = type(client)().post(
        "/auth/login/", {"login": user.email, "password": PASSWORD}, **through_proxy(ALICE)
    )
    assert response.status_code == 302
    # The one who failed stays locked out, even with the right password.
    response = type(client)().post(
        "/auth/login/", {"login": user.email, "password": PASSWORD}, **through_proxy(BOB)
    )
    assert response.status_code == 429


@pytest.mark.django_db
def test_a_forged_header_does_not_escape_the_lockout_when_no_proxy_is_trusted(client, settings):
    settings.TRACS_PROXY_COUNT = 0
    user = UserFactory()
    for n in range(5):
        response = client.post(
            "/auth/login/",
            {"login": user.email, "password": "Not-the-password-1"},
            REMOTE_ADDR=BOB,
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n}",
        )
    assert response.status_code == 429
    response = client.post(
        "/auth/login/",
        {"login": user.email, "password": PASSWORD},
        REMOTE_ADDR=BOB,
        HTTP_X_FORWARDED_FOR="192.0.2.99",
    )
    assert response.status_code == 429


@pytest.mark.django_db
def test_behind_a_proxy_sign_ups_are_limited_per_client_not_for_everyone(client, one_proxy):
    for n in range(5):
        assert sign_up(client, f"filer{n}@example.ca", **through_proxy(BOB)).status_code == 302
    response = sign_up(client, "filer5@example.ca", **through_proxy(BOB))
    assert response.status_code == 429
    assert TOO_MANY in response.content.decode()

    assert sign_up(type(client)(), "alice@example.ca", **through_proxy(ALICE)).status_code == 302


@pytest.mark.django_db
def test_a_forged_header_does_not_escape_the_sign_up_limit_when_no_proxy_is_trusted(client, settings):
    settings.TRACS_PROXY_COUNT = 0
    for n in range(5):
        assert (
            sign_up(
                client, f"filer{n}@example.ca", REMOTE_ADDR=BOB, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}"
            ).status_code
            == 302
        )
    response = sign_up(client, "filer5@example.ca", REMOTE_ADDR=BOB, HTTP_X_FORWARDED_FOR="192.0.2.99")
    assert response.status_code == 429


# --- What it records: the access log and PIN attempts name the client ------------------------------------


@pytest.mark.django_db
def test_behind_a_proxy_the_access_log_and_pin_attempts_record_the_client(client, one_proxy):
    person = UserFactory()
    sign_in(client, person)
    account = ProgramAccountFactory()

    client.post(
        reverse("account_enrol"),
        {"account_number": account.number, "pin": "2345-6789-ABCD"},
        **through_proxy(ALICE, forged=BOB),
    )

    assert list(PinAttempt.objects.filter(user=person).values_list("ip_address", flat=True)) == [ALICE]
    denied = AccessLogEntry.objects.get(actor=person, action="PIN entry refused")
    assert denied.ip_address == ALICE
