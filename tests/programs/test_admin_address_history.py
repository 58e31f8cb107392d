"""Staff see an account's contact persons, its direct deposit (masked) and the history of changes to its
addresses, contacts and direct deposit in Django admin; staff's own address edits follow the portal's rules
and are kept in the same history."""

import lxml.html
import pytest
from django.urls import reverse

from accounts.models import AccessLogEntry
from programs import validators
from programs.models import AccountChange, Address
from programs.services import addresses as address_services
from programs.services import banking as banking_services
from programs.services import contacts as contact_services
from tests.accounts.factories import UserFactory, actor_for, current_code
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(db):
    return UserFactory(is_staff=True, is_superuser=True, full_name="Sam Staff")


@pytest.fixture
def staff_client(client, staff):
    return sign_in(client, staff)


@pytest.fixture
def account_with_details(account, owner):
    contact_services.contact_add(
        account=account,
        name="Carla Controller",
        phone="780-555-0123 x12",
        by=owner,
        actor=actor_for(owner).acting_for(capacity="owner"),
    )
    address_services.address_update(
        account=account,
        kind="location",
        line1="4410 50 Avenue",
        city="Leduc",
        province="AB",
        postal_code="T9E 6W4",
        by=owner,
        actor=actor_for(owner).acting_for(capacity="owner"),
    )
    banking_services.direct_deposit_set(
        account=account,
        institution_number="001",
        transit_number="12345",
        account_number="9876543210",
        holder_name="Prairie Fuels Ltd.",
        otp_token=current_code(owner.totpdevice_set.get(confirmed=True)),
        by=owner,
        actor=actor_for(owner).acting_for(capacity="owner"),
    )
    return account


def _change_url(account):
    return reverse("admin:programs_programaccount_change", args=[account.pk])


def _form_data(response) -> dict:
    """What the admin change form would submit as it stands (every inline's management form included)."""
    form = lxml.html.fromstring(response.content).get_element_by_id("programaccount_form")
    data: dict[str, list[str]] = {}
    for name, value in form.form_values():
        data.setdefault(name, []).append(value)
    return {name: values if len(values) > 1 else values[0] for name, values in data.items()}


def _address_prefix(data, kind) -> str:
    return next(
        name[: -len("-kind")]
        for name, value in data.items()
        if name.startswith("addresses-") and name.endswith("-kind") and value == kind
    )


def test_the_account_page_shows_contacts_masked_direct_deposit_and_the_history(
    staff_client, account_with_details
):
    response = staff_client.get(_change_url(account_with_details))

    assert response.status_code == 200
    text = response.text
    assert "Carla Controller" in text
    assert "780-555-0123 ext. 12" in text
    assert "ending in 3210" in text
    assert "9876543210" not in text
    assert "History of addresses, contacts and direct deposit" in text
    assert "institution number: 001; transit number: 12345; account number: ending in 3210" in text
    assert "olivia@example.ca" in text  # who made the change


def test_staff_address_edits_follow_the_portal_rules_and_are_kept_in_history(
    staff_client, staff, account_with_details
):
    account = account_with_details
    data = _form_data(staff_client.get(_change_url(account)))
    prefix = _address_prefix(data, "mailing")

    refused = staff_client.post(_change_url(account), {**data, f"{prefix}-postal_code": "W5J 0N3"})
    assert refused.status_code == 200  # admin re-shows the form with the error
    assert str(validators.POSTAL_CODE_FIRST_LETTER) in refused.text
    assert Address.objects.get(account=account, kind="mailing").postal_code == "T5J 0N3"

    mismatch = staff_client.post(_change_url(account), {**data, f"{prefix}-province": "BC"})
    assert "Postal codes in British Columbia start with V" in mismatch.text

    saved = staff_client.post(
        _change_url(account), {**data, f"{prefix}-city": "St. Albert", f"{prefix}-postal_code": "t8n1m3"}
    )
    assert saved.status_code == 302
    mailing = Address.objects.get(account=account, kind="mailing")
    assert (mailing.city, mailing.postal_code) == ("St. Albert", "T8N 1M3")
    change = AccountChange.objects.get(account=account, subject="mailing_address")
    assert (change.action, change.actor, change.capacity) == ("changed", staff, "staff")
    assert (change.before["city"], change.after["city"]) == ("Edmonton", "St. Albert")
    assert AccessLogEntry.objects.filter(
        actor=staff, action="the mailing address was changed", capacity="staff"
    ).exists()


def test_saving_the_account_without_touching_addresses_records_no_address_change(
    staff_client, account_with_details
):
    account = account_with_details
    before = AccountChange.objects.count()
    data = _form_data(staff_client.get(_change_url(account)))

    assert staff_client.post(_change_url(account), data).status_code == 302
    assert AccountChange.objects.count() == before


def test_the_history_has_its_own_read_only_list(staff_client, staff, account_with_details):
    listing = staff_client.get(
        reverse("admin:programs_accountchange_changelist"), {"subject__exact": "direct_deposit"}
    )

    assert listing.status_code == 200
    assert account_with_details.number in listing.text
    assert "Direct deposit" in listing.text
    change = AccountChange.objects.get(subject="direct_deposit")
    detail = staff_client.get(reverse("admin:programs_accountchange_change", args=[change.pk]))
    assert detail.status_code == 200
    assert "ending in 3210" in detail.text
    assert "9876543210" not in detail.text
    assert AccessLogEntry.objects.filter(
        actor=staff,
        kind=AccessLogEntry.Kind.READ,
        capacity="staff",
        account_number=account_with_details.number,
    ).exists()
    assert staff_client.get(reverse("admin:programs_accountchange_add")).status_code == 403
    assert (
        staff_client.post(
            reverse("admin:programs_accountchange_delete", args=[change.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert AccountChange.objects.filter(pk=change.pk).exists()
