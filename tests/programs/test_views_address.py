"""View/Update Contact Information: the mailing address of record and the business location.

Every change is kept as history (who, when, before and after), logged, and announced by e-mail to the
account's owners, saying what kind of change and when, never the address itself."""

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccessLogEntry, OutboxEmail
from consent.privileges import Privilege
from programs import validators
from programs.models import AccountChange, Address
from tests.accounts.factories import UserFactory
from tests.consent.factories import MAILING, ProgramAccountFactory, delegate_grant
from tests.programs.conftest import field_errors

pytestmark = pytest.mark.django_db

NEW_MAILING = {
    "line1": "PO Box 1333",
    "line2": "Station Main",
    "city": "Red Deer",
    "province": "AB",
    "postal_code": "t4n6e5",
}


def _url(name, account, **kwargs):
    return reverse(name, kwargs={"number": account.number, **kwargs})


def test_the_page_shows_both_addresses_and_the_links_to_change_them(owner_client, account):
    response = owner_client.get(_url("contact_information", account))

    assert response.status_code == 200
    assert MAILING["line1"] in response.text
    assert "T5J 0N3" in response.text
    assert _url("address_edit", account, kind="mailing") in response.text
    assert _url("address_edit", account, kind="location") in response.text
    assert "Add a business location" in response.text
    assert 'aria-current="page">View/Update Contact Information<' in response.text


def test_owner_changes_the_mailing_address(
    owner_client, owner, co_owner, account, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(_url("address_edit", account, kind="mailing"), NEW_MAILING)

    assert response.status_code == 302
    assert response.url == _url("contact_information", account)
    address = Address.objects.get(account=account, kind=Address.Kind.MAILING)
    assert (address.line1, address.line2, address.city, address.province, address.postal_code) == (
        "PO Box 1333",
        "Station Main",
        "Red Deer",
        "AB",
        "T4N 6E5",
    )
    change = AccountChange.objects.get(account=account)
    assert (change.subject, change.action, change.actor, change.capacity) == (
        "mailing_address",
        "changed",
        owner,
        "owner",
    )
    assert change.before == {
        "line1": MAILING["line1"],
        "line2": "",
        "city": "Edmonton",
        "province": "AB",
        "postal_code": "T5J 0N3",
    }
    assert change.after["postal_code"] == "T4N 6E5"
    log = AccessLogEntry.objects.get(
        kind=AccessLogEntry.Kind.CHANGE, account_number=account.number, actor=owner
    )
    assert (log.action, log.capacity) == ("the mailing address was changed", "owner")

    [email] = mail.outbox
    assert sorted(email.to) == ["olivia@example.ca", "oscar@example.ca"]
    assert account.number in email.subject
    assert "the mailing address was changed" in email.body
    assert timezone.localtime(change.occurred_at).strftime("%Y-%m-%d at %H:%M") in email.body
    for confidential in ["PO Box 1333", "Red Deer", "T4N 6E5", "T5J 0N3", MAILING["line1"], "Prairie Fuels"]:
        assert confidential not in email.body
        assert confidential not in email.subject

    page = owner_client.get(response.url)
    assert "Red Deer" in page.text
    assert "The account&#x27;s owners were told by e-mail." in page.text


def test_a_delegate_with_the_privilege_adds_the_business_location(
    account, owner, co_owner, client_for, django_capture_on_commit_callbacks
):
    evan = UserFactory(email="evan@example.ca")
    delegate_grant(account=account, user=evan, privileges=[Privilege.VIEW_ACCOUNT, Privilege.UPDATE_ADDRESS])

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(evan).post(
            _url("address_edit", account, kind="location"),
            {"line1": "4410 50 Avenue", "city": "Leduc", "province": "AB", "postal_code": "T9E 6W4"},
        )

    assert response.status_code == 302
    assert Address.objects.get(account=account, kind=Address.Kind.LOCATION).city == "Leduc"
    change = AccountChange.objects.get(account=account)
    assert (change.subject, change.action, change.before, change.capacity) == (
        "location_address",
        "added",
        None,
        "delegate",
    )
    [email] = mail.outbox
    assert sorted(email.to) == ["olivia@example.ca", "oscar@example.ca"]  # the owners, not the delegate
    assert "a business location address was added" in email.body
    assert "(delegate)" in email.body


def test_the_change_is_logged_by_the_actor_the_access_check_built(account, client_for, settings):
    """The view passes the service the Actor the access decorator built: the access-log row names the delegate,
    their address and the page, the portal's door, the role they act in and the taxpayer acted for."""
    settings.TRACS_PROXY_COUNT = 0
    evan = UserFactory(email="evan@example.ca")
    delegate_grant(account=account, user=evan, privileges=[Privilege.VIEW_ACCOUNT, Privilege.UPDATE_ADDRESS])
    url = _url("address_edit", account, kind="location")

    client_for(evan).post(
        url,
        {"line1": "4410 50 Avenue", "city": "Leduc", "province": "AB", "postal_code": "T9E 6W4"},
        REMOTE_ADDR="203.0.113.7",
    )

    entry = AccessLogEntry.objects.get(action="a business location address was added")
    assert (entry.actor, entry.ip_address, entry.path, entry.door) == (evan, "203.0.113.7", url, "web")
    assert (entry.capacity, entry.on_behalf_of) == ("delegate", account.on_behalf_of)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"postal_code": "T4N 6E"}, "postal_code", validators.POSTAL_CODE_FORMAT),
        ({"postal_code": "90210"}, "postal_code", validators.POSTAL_CODE_FORMAT),
        ({"postal_code": "T4D 6E5"}, "postal_code", validators.POSTAL_CODE_LETTERS),
        ({"postal_code": "W4N 6E5"}, "postal_code", validators.POSTAL_CODE_FIRST_LETTER),
        (
            {"postal_code": "V6B 1A1"},
            "postal_code",
            validators.POSTAL_CODE_NOT_IN_PROVINCE % {"province": "Alberta", "letters": "T"},
        ),
        ({"province": "XX"}, "province", validators.PROVINCE_UNKNOWN),
        ({"province": ""}, "province", "This field is required."),
        ({"line1": ""}, "line1", "This field is required."),
        ({"city": ""}, "city", "This field is required."),
    ],
)
def test_bad_input_is_shown_next_to_its_field_and_nothing_is_saved(
    owner_client, account, changes, field, message
):
    response = owner_client.post(_url("address_edit", account, kind="mailing"), {**NEW_MAILING, **changes})

    assert response.status_code == 400
    assert field_errors(response, field) == [str(message).replace("'", "&#x27;")]
    assert "There is a problem" in response.text
    kept = {
        name: value
        for name, value in {**NEW_MAILING, **changes}.items()
        if name not in (field, "province") and value
    }
    for value in kept.values():
        assert f'value="{value}"' in response.text  # the rest of what was typed stays on the page
    assert Address.objects.get(account=account, kind=Address.Kind.MAILING).line1 == MAILING["line1"]
    assert not AccountChange.objects.exists()
    assert not OutboxEmail.objects.exists()
    assert not AccessLogEntry.objects.filter(
        kind=AccessLogEntry.Kind.CHANGE, account_number=account.number, actor__isnull=False
    ).exists()


def test_saving_the_same_address_changes_nothing(owner_client, account):
    response = owner_client.post(
        _url("address_edit", account, kind="mailing"), {**MAILING, "postal_code": "t5j0n3"}, follow=True
    )

    assert "Nothing was changed" in response.text
    assert not AccountChange.objects.exists()
    assert not OutboxEmail.objects.exists()


def test_the_form_starts_from_the_address_on_file(owner_client, account):
    response = owner_client.get(_url("address_edit", account, kind="mailing"))

    assert response.status_code == 200
    assert f'value="{MAILING["line1"]}"' in response.text
    assert '<option value="AB" selected>' in response.text
    assert "Change the mailing address" in response.text


def test_an_unknown_kind_of_address_is_not_found(owner_client, account):
    assert owner_client.get(_url("address_edit", account, kind="billing")).status_code == 404


def test_a_delegate_who_may_only_view_sees_the_page_but_cannot_change(account, client_for):
    viewer = UserFactory()
    delegate_grant(account=account, user=viewer, privileges=[Privilege.VIEW_ACCOUNT])
    browser = client_for(viewer)

    page = browser.get(_url("contact_information", account))
    refused = browser.post(_url("address_edit", account, kind="mailing"), NEW_MAILING)

    assert page.status_code == 200
    assert _url("address_edit", account, kind="mailing") not in page.text
    assert "does not include “Update address and contacts”" in page.text
    assert refused.status_code == 403
    assert str(Privilege.UPDATE_ADDRESS.label) in refused.text
    assert Address.objects.get(account=account, kind=Address.Kind.MAILING).city == "Edmonton"
    denied = AccessLogEntry.objects.get(kind=AccessLogEntry.Kind.DENIED, account_number=account.number)
    assert "update_address" in denied.action


def test_someone_without_access_gets_not_found(account, client_for):
    outsider = client_for(UserFactory())
    other_owner_account = ProgramAccountFactory()

    assert outsider.get(_url("contact_information", account)).status_code == 404
    assert outsider.post(_url("address_edit", account, kind="mailing"), NEW_MAILING).status_code == 404
    assert Address.objects.get(account=account, kind=Address.Kind.MAILING).city == "Edmonton"
    assert other_owner_account.number not in outsider.get(_url("contact_information", account)).text
