"""A marked-fuel seller checks AFFB/TEFU numbers in a real browser: from the account menu, a valid farmer's number,
then a suspended one and a malformed one; never the holder's name. axe-core checks each page."""

import pytest
from playwright.sync_api import expect

from tests.accounts.factories import PASSWORD, UserFactory
from tests.consent.factories import ProgramAccountFactory, owner_grant
from tests.programs.registry_helpers import registry

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

KEY = "3132333435363738393031323334353637383930"


def test_a_seller_checks_numbers_from_the_account_menu(page, live_server, axe_check, sign_in):
    account = ProgramAccountFactory(program="tefs", taxpayer__legal_name="Counter Fuels Ltd.")
    owner = UserFactory(two_factor=False, email="counter@example.ca")
    owner.totpdevice_set.create(name="Authenticator app", key=KEY, confirmed=True)
    owner_grant(account=account, user=owner)
    registry()
    sign_in(page, live_server, owner.email, PASSWORD, KEY, axe=False)
    page.goto(f"/accounts/{account.number}/")
    page.get_by_role("navigation", name="Account menu").get_by_role(
        "link", name="Check AFFB/TEFU Eligibility"
    ).click()
    axe_check(page)

    page.get_by_label("AFFB or TEFU number").fill("f100 0001")
    page.get_by_label("Date of the sale").fill("2025-06-01")
    page.get_by_role("button", name="Check").click()
    expect(page.get_by_role("heading", name="F1000001 is valid")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Valid: may buy marked fuel")
    expect(page.locator("body")).not_to_contain_text("Prairie Acres Farm")
    axe_check(page)

    page.get_by_label("AFFB or TEFU number").fill("T2000002")
    page.get_by_label("Date of the sale").fill("2025-10-01")
    page.get_by_role("button", name="Check").click()
    expect(page.get_by_role("heading", name="T2000002 is not valid")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("was suspended on that date")
    axe_check(page)

    page.get_by_label("AFFB or TEFU number").fill("12345")
    page.get_by_role("button", name="Check").click()
    expect(page.get_by_role("alert")).to_contain_text("Enter an AFFB number")
    axe_check(page)
