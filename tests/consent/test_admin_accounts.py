"""Staff administration of taxpayers and program accounts (Django admin, behind two-factor)."""

from datetime import date

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from accounts.models import AccessLogEntry, Pin
from consent.access import access_for
from consent.models import Grant
from consent.privileges import Privilege
from programs.models import Address, Program, ProgramAccount, Taxpayer
from tests.accounts.factories import UserFactory
from tests.conftest import sign_in
from tests.consent.factories import (
    ConsentFactory,
    ProgramAccountFactory,
    TaxpayerFactory,
    delegate_grant,
    owner_grant,
    representative_grant,
)

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:programs_programaccount_changelist"


@pytest.fixture
def staff(db):
    return UserFactory(is_staff=True, is_superuser=True, full_name="Sam Staff")


@pytest.fixture
def staff_client(client, staff):
    return sign_in(client, staff)


@pytest.fixture
def account(db):
    return ProgramAccountFactory(taxpayer__legal_name="Prairie Fuels Ltd.", trade_name="Prairie Fuels")


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def action(client, name, objects, **data):
    return client.post(
        reverse(CHANGELIST),
        {"action": name, "_selected_action": [o.pk for o in objects], "index": 0, **data},
        follow=True,
    )


def apply(client, name, objects, **data):
    """Submit an action's intermediate page."""
    return client.post(
        reverse(CHANGELIST),
        {"action": name, "_selected_action": [o.pk for o in objects], "apply": "1", **data},
        follow=True,
    )


# --- Reading is logged ---------------------------------------------------------------------------------


def test_opening_an_account_page_writes_a_staff_read_row(staff_client, staff, account):
    response = staff_client.get(reverse("admin:programs_programaccount_change", args=[account.pk]))

    assert response.status_code == 200
    assert account.number in response.text
    row = AccessLogEntry.objects.get(kind=AccessLogEntry.Kind.READ, account_number=account.number)
    assert (row.actor, row.capacity) == (staff, "staff")
    assert row.on_behalf_of == f"Prairie Fuels Ltd. (BIN {account.taxpayer.bin})"
    assert row.path == reverse("admin:programs_programaccount_change", args=[account.pk])


def test_the_account_page_shows_addresses_history_and_who_has_access(staff_client, account):
    owner_grant(account=account, user=UserFactory(full_name="Olivia Owner"))
    delegate_grant(
        account=account, user=UserFactory(full_name="Evan Employee"), privileges=[Privilege.FILE_RETURNS]
    )
    response = staff_client.get(reverse("admin:programs_programaccount_change", args=[account.pk]))
    text = response.text
    assert "10020 100 Street NW" in text
    assert "opened" in text
    assert "Olivia Owner" in text
    assert "Evan Employee" in text
    assert str(Privilege.FILE_RETURNS.label) in text


def test_the_list_filters_by_program_and_status_and_searches_by_bin_and_name(staff_client, account):
    other = ProgramAccountFactory(taxpayer__legal_name="Peace Country Farm Supply", program="tefs")
    url = reverse(CHANGELIST)
    assert account.number in staff_client.get(url, {"q": account.taxpayer.bin}).text
    assert other.number not in staff_client.get(url, {"q": account.taxpayer.bin}).text
    assert other.number in staff_client.get(url, {"q": "Peace Country"}).text
    tefs = Program.objects.get(code="tefs")
    filtered = staff_client.get(url, {"program__id__exact": tefs.pk, "status__exact": "active"}).text
    assert other.number in filtered
    assert account.number not in filtered


def test_opening_a_taxpayer_page_is_logged_and_lists_its_accounts(staff_client, staff, account):
    response = staff_client.get(reverse("admin:programs_taxpayer_change", args=[account.taxpayer.pk]))
    assert account.number in response.text
    assert AccessLogEntry.objects.filter(
        kind=AccessLogEntry.Kind.READ, actor=staff, on_behalf_of__startswith="Prairie Fuels Ltd."
    ).exists()


def test_taxpayers_are_searched_by_name_and_bin(staff_client, account):
    response = staff_client.get(reverse("admin:programs_taxpayer_changelist"), {"q": account.taxpayer.bin})
    assert "Prairie Fuels Ltd." in response.text


# --- Creating ----------------------------------------------------------------------------------------------


def test_staff_create_a_taxpayer_and_a_bin_is_assigned(staff_client, staff):
    response = staff_client.post(
        reverse("admin:programs_taxpayer_add"),
        {"legal_name": "New Co Ltd.", "bin": "", "kind": "business"},
        follow=True,
    )
    assert response.status_code == 200
    taxpayer = Taxpayer.objects.get(legal_name="New Co Ltd.")
    assert len(taxpayer.bin) == 9
    assert taxpayer.bin.isdigit()
    assert AccessLogEntry.objects.filter(actor=staff, action="taxpayer created").exists()


def test_staff_open_an_account_through_the_service(staff_client, staff):
    taxpayer = TaxpayerFactory(legal_name="Bow River Fuels Ltd.")
    ProgramAccountFactory(taxpayer=taxpayer, program="fuel_tax")
    program = Program.objects.get(code="fuel_tax")

    response = staff_client.post(
        reverse("admin:programs_programaccount_add"),
        {
            "taxpayer": taxpayer.pk,
            "program": program.pk,
            "effective_date": "2026-02-01",
            "trade_name": "Bow River Cardlock",
            "line1": "1 Main Street",
            "line2": "",
            "city": "Canmore",
            "province": "AB",
            "postal_code": "T1W 1A1",
        },
        follow=True,
    )

    assert response.status_code == 200, response.text
    account = ProgramAccount.objects.get(trade_name="Bow River Cardlock")
    assert account.number == f"{taxpayer.bin}-01-002"  # the second fuel tax account of this BIN
    assert account.effective_date == date(2026, 2, 1)
    assert Address.objects.get(account=account).city == "Canmore"
    assert list(account.events.values_list("kind", flat=True)) == ["opened"]
    assert account.events.get().actor == staff
    assert AccessLogEntry.objects.filter(
        actor=staff, action="account opened", account_number=account.number, capacity="staff"
    ).exists()


def test_the_taxpayer_is_chosen_by_searching_name_or_bin(staff_client, account):
    response = staff_client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "programs",
            "model_name": "programaccount",
            "field_name": "taxpayer",
            "term": account.taxpayer.bin,
        },
    )
    assert response.status_code == 200
    assert [item["id"] for item in response.json()["results"]] == [str(account.taxpayer.pk)]


def test_an_address_is_complete_or_absent(staff_client):
    taxpayer = TaxpayerFactory()
    response = staff_client.post(
        reverse("admin:programs_programaccount_add"),
        {
            "taxpayer": taxpayer.pk,
            "program": Program.objects.get(code="tefs").pk,
            "effective_date": "2026-02-01",
            "line1": "1 Main Street",
            "province": "AB",
        },
    )
    assert response.status_code == 200
    assert "Complete the mailing address" in response.text
    assert not ProgramAccount.objects.filter(taxpayer=taxpayer).exists()


def test_a_new_account_joins_consents_that_cover_later_accounts(staff_client):
    taxpayer = TaxpayerFactory()
    first = ProgramAccountFactory(taxpayer=taxpayer)
    covering = ConsentFactory(taxpayer=taxpayer, all_accounts=True, covers_future_accounts=True)
    not_covering = ConsentFactory(taxpayer=taxpayer, all_accounts=True, covers_future_accounts=False)
    for consent in (covering, not_covering):
        representative_grant(consent=consent, account=first)

    staff_client.post(
        reverse("admin:programs_programaccount_add"),
        {
            "taxpayer": taxpayer.pk,
            "program": Program.objects.get(code="tefs").pk,
            "effective_date": "2026-02-01",
            "province": "AB",
        },
    )

    new = ProgramAccount.objects.get(taxpayer=taxpayer, program__code="tefs")
    assert access_for(user=covering.representative, account=new).privileges == frozenset(covering.privileges)
    assert access_for(user=not_covering.representative, account=new) is None


# --- Close, reopen -------------------------------------------------------------------------------------------


def test_closing_asks_for_a_date_then_closes_through_the_service(staff_client, staff, account):
    page = action(staff_client, "close_accounts", [account])
    assert page.status_code == 200
    assert "Closed on" in page.text
    assert account.number in page.text
    account.refresh_from_db()
    assert account.status == ProgramAccount.Status.ACTIVE  # nothing yet

    response = apply(
        staff_client, "close_accounts", [account], closed_on="2026-03-31", reason="Sold the business"
    )

    account.refresh_from_db()
    assert (account.status, account.closed_on) == (ProgramAccount.Status.CLOSED, date(2026, 3, 31))
    assert f"Account {account.number} closed on 2026-03-31." in messages_of(response)
    assert account.events.filter(kind="closed", detail__contains="Sold the business").exists()
    assert AccessLogEntry.objects.filter(
        actor=staff, action="account closed", account_number=account.number
    ).exists()


def test_closing_needs_a_valid_date(staff_client, account):
    response = apply(staff_client, "close_accounts", [account], closed_on="31/31/2026")
    assert response.status_code == 200
    assert "Enter a valid date" in response.text
    account.refresh_from_db()
    assert account.status == ProgramAccount.Status.ACTIVE


def test_closing_a_closed_account_says_so(staff_client, account):
    apply(staff_client, "close_accounts", [account], closed_on="2026-03-31")
    response = apply(staff_client, "close_accounts", [account], closed_on="2026-04-30")
    assert f"{account.number}: This account is already closed." in messages_of(response)


def test_reopening(staff_client, staff, account):
    apply(staff_client, "close_accounts", [account], closed_on="2026-03-31")
    response = action(staff_client, "reopen_accounts", [account])
    account.refresh_from_db()
    assert (account.status, account.closed_on) == (ProgramAccount.Status.ACTIVE, None)
    assert "1 account(s) reopened." in messages_of(response)
    assert list(account.events.values_list("kind", flat=True))[:2] == ["reopened", "closed"]


# --- Transfer: every access ends -----------------------------------------------------------------------------


def test_transfer_moves_the_account_and_ends_every_access(
    staff_client, staff, account, django_capture_on_commit_callbacks
):
    buyer = TaxpayerFactory(legal_name="Buyer Energy Inc.")
    olivia, oscar, evan = UserFactory(), UserFactory(), UserFactory()
    owner_grant(account=account, user=olivia)
    owner_grant(account=account, user=oscar)
    delegate_grant(account=account, user=evan)
    consent = ConsentFactory(taxpayer=account.taxpayer, accounts=[account])
    representative_grant(consent=consent, account=account)
    Grant.objects.create(
        account=account,
        role=Grant.Role.DELEGATE,
        status=Grant.Status.PENDING,
        name="Pending",
        email="p@example.ca",
        privileges=["view_account"],
    )
    old_pin = Pin.objects.create(
        purpose=Pin.Purpose.ENROLMENT,
        account_number=account.number,
        reference=f"account:{account.pk}",
        pin_hash="x",
        expires_at="2099-01-01T00:00Z",
    )

    page = action(staff_client, "transfer_accounts", [account])
    assert "Every access to it ends" in page.text
    response = apply(
        staff_client, "transfer_accounts", [account], to_bin=buyer.bin, reason="Sale of the business"
    )

    account.refresh_from_db()
    assert account.taxpayer == buyer
    assert account.number.startswith(account.number[:9])  # the number stays
    assert not Grant.objects.filter(account=account).exclude(status=Grant.Status.REVOKED).exists()
    for person in (olivia, oscar, evan, consent.representative):
        assert access_for(user=person, account=account) is None
    assert Pin.objects.get(pk=old_pin.pk).state == "cancelled"
    assert account.events.filter(kind="transferred").exists()
    assert any("5 access(es) ended" in m for m in messages_of(response))
    # The old taxpayer's consent no longer covers the account that left it.
    from consent.services import consent_covered_accounts

    assert account not in consent_covered_accounts(consent=consent)
    removed = AccessLogEntry.objects.filter(
        actor=staff, account_number=account.number, action__endswith="removed", capacity="staff"
    )
    assert removed.count() == 5


def test_transfer_to_an_unknown_bin_is_refused(staff_client, account):
    response = apply(staff_client, "transfer_accounts", [account], to_bin="999999999", reason="x")
    assert "No taxpayer has this BIN." in response.text
    account.refresh_from_db()
    assert account.taxpayer.legal_name == "Prairie Fuels Ltd."


def test_transfer_to_the_same_taxpayer_changes_nothing(staff_client, account):
    owner_grant(account=account)
    response = apply(staff_client, "transfer_accounts", [account], to_bin=account.taxpayer.bin, reason="x")
    assert f"Account {account.number} already belongs to this taxpayer." in messages_of(response)
    assert Grant.objects.filter(account=account, status=Grant.Status.ACTIVE).count() == 1


def test_accounts_are_never_deleted(staff_client, account):
    response = staff_client.get(reverse("admin:programs_programaccount_delete", args=[account.pk]))
    assert response.status_code == 403


def test_a_closed_account_gets_no_enrolment_pin(staff_client, account):
    apply(staff_client, "close_accounts", [account], closed_on="2026-03-31")
    response = action(staff_client, "issue_enrolment_pin", [account])
    assert f"Account {account.number} is closed; no PIN was issued." in messages_of(response)
    assert not Pin.objects.exists()
