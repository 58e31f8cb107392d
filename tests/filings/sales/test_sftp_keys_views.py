"""The SFTP keys page: an owner of a marked-fuel account registers a key for a person who may report fuel
transactions (errors next to the fields), sees each key and whether it works, and revokes it."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from consent.models import Grant
from filings.sales.sftp import keys
from filings.sales.sftp.models import SftpKey
from tests.conftest import sign_in
from tests.consent.factories import ProgramAccountFactory, owner_grant
from tests.filings.sales.sftp_helpers import key_pair

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    return key_pair(tmp_path_factory.mktemp("keys"))


def url(account, name="sftp_keys", **kwargs):
    return reverse(name, kwargs={"number": account.number, **kwargs})


def test_an_owner_registers_a_key_for_the_clerk_and_sees_it_work(seller, owner, clerk, pair):
    client = sign_in(Client(), owner)
    page = client.get(url(seller))
    assert page.status_code == 200
    body = page.content.decode()
    assert "No keys yet." in body
    assert seller.number in body  # the user name to connect with
    clerk_grant = Grant.objects.get(account=seller, user=clerk)
    assert (clerk_grant.pk, f"{clerk.display_name} (delegate, {clerk.email})") in page.context["form"].fields[
        "person"
    ].choices

    response = client.post(
        url(seller), {"person": clerk_grant.pk, "name": "Accounting server", "public_key": pair.public_text}
    )
    assert response.status_code == 302
    key = SftpKey.objects.get()
    assert (key.person, key.registered_by, key.status) == (clerk, owner, SftpKey.Status.ACTIVE)
    listed = client.get(url(seller)).content.decode()
    assert "Key “Accounting server” registered: it works now." in listed
    assert key.fingerprint in listed
    assert "Does not work" not in listed


def test_errors_are_shown_next_to_the_fields(seller, owner, pair):
    client = sign_in(Client(), owner)
    grant = Grant.objects.get(account=seller, user=owner)
    response = client.post(
        url(seller), {"person": grant.pk, "name": "Laptop", "public_key": "ssh-rsa nonsense"}
    )
    assert response.status_code == 400
    assert response.context["form"].errors["public_key"] == [str(keys.KEY_NOT_READ)]
    client.post(url(seller), {"person": grant.pk, "name": "Laptop", "public_key": pair.public_text})
    again = client.post(url(seller), {"person": grant.pk, "name": "Laptop", "public_key": pair.public_text})
    assert again.status_code == 400
    assert "already registered on this account" in again.content.decode()


def test_with_approval_the_page_says_the_key_waits(seller, owner, pair, settings):
    settings.TRACS_SFTP_KEY_APPROVAL = True
    client = sign_in(Client(), owner)
    grant = Grant.objects.get(account=seller, user=owner)
    response = client.post(
        url(seller), {"person": grant.pk, "name": "Laptop", "public_key": pair.public_text}, follow=True
    )
    assert "it works once TRA approves it" in response.content.decode()
    assert "Waiting for TRA approval" in response.content.decode()


def test_a_key_whose_person_lost_access_is_shown_as_not_working(seller, owner, clerk, pair):
    key = keys.sftp_key_register(
        account=seller, person=clerk, name="Clerk's PC", public_key=pair.public_text, by=owner,
        actor=keys.Actor(user=owner, door=keys.Door.WEB),
    )  # fmt: skip
    Grant.objects.filter(account=seller, user=clerk).update(status=Grant.Status.REVOKED)
    body = sign_in(Client(), owner).get(url(seller)).content.decode()
    assert key.name in body.replace("&#x27;", "'")
    assert "Does not work: this person can no longer report fuel transactions" in body


def test_an_owner_revokes_a_key(seller, owner, pair):
    key = keys.sftp_key_register(
        account=seller, person=owner, name="Laptop", public_key=pair.public_text, by=owner,
        actor=keys.Actor(user=owner, door=keys.Door.WEB),
    )  # fmt: skip
    client = sign_in(Client(), owner)
    response = client.post(url(seller, "sftp_key_revoke", key_id=key.pk), follow=True)
    assert "Key “Laptop” revoked" in response.content.decode()
    key.refresh_from_db()
    assert key.status == SftpKey.Status.REVOKED
    twice = client.post(url(seller, "sftp_key_revoke", key_id=key.pk), follow=True)
    assert "revoked already" in twice.content.decode()


def test_a_key_of_another_account_is_not_found(seller, owner, pair):
    other = ProgramAccountFactory(program="tefs")
    owner_grant(account=other, user=owner)
    key = keys.sftp_key_register(
        account=other, person=owner, name="Laptop", public_key=pair.public_text, by=owner,
        actor=keys.Actor(user=owner, door=keys.Door.WEB),
    )  # fmt: skip
    response = sign_in(Client(), owner).post(url(seller, "sftp_key_revoke", key_id=key.pk))
    assert response.status_code == 404
    key.refresh_from_db()
    assert key.status == SftpKey.Status.ACTIVE


def test_an_account_that_sells_no_marked_fuel_has_no_keys_page(owner):
    fuel_tax = ProgramAccountFactory(program="fuel_tax")
    owner_grant(account=fuel_tax, user=owner)
    client = sign_in(Client(), owner)
    assert "is not a marked fuel (TEFS) account" in client.get(url(fuel_tax)).content.decode()
    assert client.post(url(fuel_tax), {}).status_code == 400
