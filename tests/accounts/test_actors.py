"""The actor services take instead of a request (accounts/actors.py, tracs/actors.py): what the access log
records from it."""

import pytest
from django.test import RequestFactory, override_settings

from accounts.actors import Actor, Door
from accounts.models import AccessLogEntry
from accounts.services import access_log_record
from tests.accounts.factories import UserFactory
from tracs.actors import actor_from_request

pytestmark = pytest.mark.django_db


@override_settings(TRACS_PROXY_COUNT=0)
def test_a_page_request_becomes_a_web_actor_with_its_address_and_path():
    user = UserFactory()
    request = RequestFactory().get("/accounts/123/?tab=notices", REMOTE_ADDR="203.0.113.9")
    request.user = user

    actor = actor_from_request(request)

    assert actor == Actor(
        user=user, door=Door.WEB, ip_address="203.0.113.9", path="/accounts/123/?tab=notices"
    )


def test_a_staff_page_request_comes_through_the_admin_door():
    request = RequestFactory().get("/admin/filings/")
    request.user = UserFactory(is_staff=True)

    assert actor_from_request(request).door == Door.ADMIN


def test_the_access_log_records_who_from_where_through_which_door_and_for_whom():
    user = UserFactory()
    actor = Actor(user=user, door=Door.WEB, ip_address="198.51.100.4", path="/p").acting_for(
        capacity="delegate", on_behalf_of="Acme Ltd (BIN 123456789)"
    )

    access_log_record(
        actor=actor, kind=AccessLogEntry.Kind.CHANGE, action="address changed", account_number="1"
    )

    entry = AccessLogEntry.objects.get()
    assert (entry.actor, entry.door, entry.ip_address, entry.path) == (user, "web", "198.51.100.4", "/p")
    assert (entry.capacity, entry.on_behalf_of) == ("delegate", "Acme Ltd (BIN 123456789)")


def test_a_job_is_an_actor_with_no_person_and_its_name_for_a_path():
    access_log_record(
        actor=Actor.job("refund cycle"), kind=AccessLogEntry.Kind.CHANGE, action="refund issued"
    )

    entry = AccessLogEntry.objects.get()
    assert (entry.actor, entry.actor_email, entry.door, entry.path, entry.ip_address) == (
        None,
        "",
        "job",
        "refund cycle",
        None,
    )
