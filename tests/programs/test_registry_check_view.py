"""Check AFFB/TEFU Eligibility: a marked-fuel seller enters a number and a date and reads valid or not valid that
day and for what (marked fuel, carbon levy exemption), never the holder; each check is access-logged; a seller
checking in bulk is asked to wait; only people with REPORT_FUEL on a TEFS account reach it."""

from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccessLogEntry
from consent.privileges import Privilege
from programs.registries import rules, selectors, services
from tests.accounts.factories import UserFactory
from tests.conftest import sign_in
from tests.consent.factories import ProgramAccountFactory, delegate_grant, owner_grant
from tests.programs.registry_helpers import registry

pytestmark = pytest.mark.django_db

HOLDER_DATA = (
    "Prairie Acres Farm",
    "Leduc County Roads",
    "Northern Heating",
    "Old Quarter Farm",
    "RR 2",
    "Lacombe",
    "T4L",
)


@pytest.fixture
def seller():
    return ProgramAccountFactory(program="tefs", taxpayer__legal_name="Counter Fuels Ltd.")


@pytest.fixture
def clerk_user(seller):
    user = UserFactory()
    delegate_grant(account=seller, user=user, privileges=[Privilege.REPORT_FUEL])
    return user


@pytest.fixture
def clerk(clerk_user):
    return sign_in(Client(), clerk_user)


def _check(client, account, number, day):
    return client.post(
        reverse("exemption_check", kwargs={"number": account.number}), {"number": number, "day": day}
    )


@pytest.mark.parametrize(
    ("number", "day", "heading", "outcome", "marked", "levy"),
    [
        # An active AFFB: marked fuel and the levy exemption (the page says the levy no longer applied in 2025).
        ("F1000001", "2025-06-01", "F1000001 is valid", selectors.VALID, True, True),
        # A TEFU with the same holder's carbon levy certificate, in 2018: both.
        ("t200-0001", "2018-06-01", "T2000001 is valid", selectors.VALID, True, True),
        ("T2000002", "2025-10-01", "T2000002 is not valid", selectors.SUSPENDED, False, False),
        ("F1000002", "2025-01-01", "F1000002 is not valid", selectors.CANCELLED, False, False),
        ("F1000001", "2024-02-29", "F1000001 is not valid", selectors.NOT_YET_VALID, False, False),
        ("F1000001", "2027-03-01", "F1000001 is not valid", selectors.LAPSED, False, False),
        ("F7654321", "2025-06-01", "F7654321 is not valid", selectors.UNKNOWN, False, False),
    ],
)
def test_a_check_says_valid_or_not_on_that_date_and_for_what(
    clerk_user, seller, time_machine, number, day, heading, outcome, marked, levy
):
    time_machine.move_to("2027-06-01 12:00 -06:00")  # so that the end of the AFFB's 3 years is in the past
    clerk = sign_in(Client(), clerk_user)
    registry()
    response = _check(clerk, seller, number, day)
    assert response.status_code == 200
    body = response.content.decode()
    result = response.context["result"]
    assert (result.outcome, result.marked_fuel, result.carbon_levy_exempt) == (outcome, marked, levy)
    assert heading in body
    assert result.message in body
    for private in HOLDER_DATA:
        assert private not in body  # never the holder's name or address


def test_the_carbon_levy_exemption_needs_the_levy_in_force_and_the_pairing(clerk, seller):
    registry()
    farmer_2025 = selectors.eligibility_on(number="F1000001", day=date(2025, 1, 1))
    assert farmer_2025.carbon_levy_exempt
    assert not farmer_2025.carbon_levy_in_force
    page = _check(clerk, seller, "F1000001", "2025-01-01").content.decode()
    assert "Not applicable: there was no carbon levy on that date" in page
    heating = selectors.eligibility_on(number="T2000002", day=date(2022, 1, 1))
    assert heating.marked_fuel
    assert not heating.carbon_levy_exempt
    levy_alone = selectors.eligibility_on(number="CL3000001", day=date(2018, 6, 1))
    assert not levy_alone.marked_fuel
    assert levy_alone.carbon_levy_exempt


def test_each_check_is_access_logged_with_the_account_and_the_number(clerk, seller):
    registry()
    _check(clerk, seller, "F1000001", "2025-06-01")
    row = AccessLogEntry.objects.get(action=services.ELIGIBILITY_CHECKED)
    assert row.account_number == seller.number
    assert row.kind == AccessLogEntry.Kind.READ
    assert row.detail == "F1000001 on 2025-06-01: valid, marked fuel, carbon levy exemption"
    assert row.on_behalf_of == seller.on_behalf_of


@pytest.mark.parametrize(
    ("number", "day", "field", "message"),
    [
        ("F12345", "2025-01-01", "number", str(rules.NUMBER_MALFORMED)),
        ("X1234567", "2025-01-01", "number", str(rules.NUMBER_MALFORMED)),
        ("F1000001", "not a date", "day", "Enter a valid date."),
    ],
)
def test_bad_input_is_refused_next_to_its_field_and_not_counted(clerk, seller, number, day, field, message):
    response = _check(clerk, seller, number, day)
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    assert not AccessLogEntry.objects.filter(action=services.ELIGIBILITY_CHECKED).exists()


def test_a_date_after_today_is_refused(clerk, seller):
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = _check(clerk, seller, "F1000001", tomorrow.isoformat())
    expected = str(services.CHECK_DATE_IN_FUTURE % {"today": timezone.localdate().isoformat()})
    assert response.context["form"].errors["day"] == [expected]


def test_a_seller_checking_in_bulk_is_asked_to_wait(clerk, seller, settings):
    settings.TRACS_ELIGIBILITY_CHECKS = 3
    registry()
    for _ in range(3):
        assert _check(clerk, seller, "F1000001", "2025-06-01").status_code == 200
    limited = _check(clerk, seller, "T2000001", "2025-06-01")
    assert limited.status_code == 429
    body = limited.content.decode()
    assert "This account has checked 3 numbers in the last 60 minutes" in body
    assert "Wait 60 minute(s)" in body
    assert "result" not in limited.context  # no answer for the refused check
    assert AccessLogEntry.objects.filter(
        action=services.ELIGIBILITY_REFUSED, account_number=seller.number
    ).exists()
    # Another seller is not affected, and the window slides: an hour later the account checks again.
    other = ProgramAccountFactory(program="tefs")
    owner = UserFactory()
    owner_grant(account=other, user=owner)
    assert _check(sign_in(Client(), owner), other, "F1000001", "2025-06-01").status_code == 200
    AccessLogEntry.objects.filter(action=services.ELIGIBILITY_CHECKED, account_number=seller.number).update(
        occurred_at=timezone.now() - timedelta(minutes=61)
    )
    assert _check(clerk, seller, "F1000001", "2025-06-01").status_code == 200


def test_an_account_that_does_not_sell_marked_fuel_is_told_so(db):
    account = ProgramAccountFactory(program="fuel_tax")
    owner = UserFactory()
    owner_grant(account=account, user=owner)
    client = sign_in(Client(), owner)
    url = reverse("exemption_check", kwargs={"number": account.number})
    page = client.get(url)
    assert page.status_code == 200
    assert "is not a marked fuel (TEFS) account" in page.content.decode()
    assert client.post(url, {"number": "F1000001", "day": "2025-01-01"}).status_code == 400
    assert (
        "Check AFFB/TEFU Eligibility"
        not in client.get(reverse("account_detail", kwargs={"number": account.number})).content.decode()
    )


def test_the_menu_of_a_seller_offers_the_check(clerk, seller):
    page = clerk.get(reverse("exemption_check", kwargs={"number": seller.number}))
    assert page.status_code == 200
    assert 'aria-current="page">Check AFFB/TEFU Eligibility<' in page.content.decode()


def test_a_delegate_without_report_fuel_is_refused_403(seller):
    user = UserFactory()
    delegate_grant(account=seller, user=user, privileges=[Privilege.VIEW_ACCOUNT])
    client = sign_in(Client(), user)
    response = _check(client, seller, "F1000001", "2025-06-01")
    assert response.status_code == 403
    assert not AccessLogEntry.objects.filter(action=services.ELIGIBILITY_CHECKED).exists()


def test_a_person_without_access_to_the_account_gets_404(seller):
    outsider = sign_in(Client(), UserFactory())
    response = _check(outsider, seller, "F1000001", "2025-06-01")
    assert response.status_code == 404
    assert AccessLogEntry.objects.filter(
        kind=AccessLogEntry.Kind.DENIED, account_number=seller.number
    ).exists()
    assert not AccessLogEntry.objects.filter(action=services.ELIGIBILITY_CHECKED).exists()


def test_the_demo_registry_says_what_the_readme_says(db):
    """README, "Check AFFB/TEFU Eligibility": the numbers it names, on the day the demo is loaded."""
    from programs import demo

    today = timezone.localdate()
    demo.seed_registry(today=today)
    demo.seed_registry(today=today)  # idempotent
    outcomes = {
        n: selectors.eligibility_on(number=n, day=today).outcome
        for n in ("F1000001", "T2000001", "CL3000001", "T2000002", "F1000002", "F1000003", "F9999999")
    }
    assert outcomes == {
        "F1000001": "valid",
        "T2000001": "valid",
        "CL3000001": "valid",
        "T2000002": "suspended",
        "F1000002": "cancelled",
        "F1000003": "lapsed",
        "F9999999": "unknown",
    }
    assert selectors.eligibility_on(number="T2000001", day=date(2018, 6, 1)).carbon_levy_exempt
