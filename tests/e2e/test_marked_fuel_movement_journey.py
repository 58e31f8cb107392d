"""A marked-fuel seller corrects a fuel movement in a real browser: an acquisition entered under Create Acquisitions
and Imports, found under the month's fuel movements, amended (a negative number refused beside its box first),
then voided and gone from the month. axe-core on each page."""

import pytest
from playwright.sync_api import expect

from filings.sales.models import Movement
from tests.accounts.factories import PASSWORD, UserFactory
from tests.consent.factories import owner_grant
from tests.filings.sales_helpers import MONTH, bflo, seller

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

KEY = "3132333435363738393031323334353637383932"


def test_a_seller_amends_then_voids_an_acquisition(page, live_server, axe_check, sign_in):
    account = seller(taxpayer__legal_name="Counter Fuels Ltd.")
    owner = UserFactory(two_factor=False, email="counter-movements@example.ca")
    owner.totpdevice_set.create(name="Authenticator app", key=KEY, confirmed=True)
    owner_grant(account=account, user=owner)
    sign_in(page, live_server, owner.email, PASSWORD, KEY, axe=False)
    page.goto(f"/accounts/{account.number}/")
    page.get_by_role("navigation", name="Account menu").get_by_role(
        "link", name="Create Acquisitions and Imports"
    ).click()
    page.get_by_label("Month reported").select_option(MONTH)
    page.locator("#id_rows-0-movement_date").fill(f"{MONTH}-03")
    page.locator("#id_rows-0-bflo_number").select_option(bflo(account))
    page.locator("#id_rows-0-fuel").select_option("marked_diesel")
    page.locator("#id_rows-0-litres").fill("30000")
    page.locator("#id_rows-0-counterparty_name").fill("Prairie Wholesale Ltd.")
    page.locator("#id_rows-0-counterparty_number").fill("123456789")
    page.locator("#id_rows-0-document_number").fill("BOL-7")
    page.get_by_role("button", name="Submit", exact=True).click()
    expect(page.get_by_text("1 row(s) stored")).to_be_visible()

    page.get_by_role("link", name="The month's fuel movements").click()
    expect(page.get_by_test_id("month-movements").locator("tbody tr")).to_have_count(1)
    axe_check(page)
    page.get_by_role("link", name="Amend or void BOL-7").click()
    expect(page.get_by_role("heading", name="Acquisition BOL-7")).to_be_visible()
    axe_check(page)

    page.locator("#id_rows-0-litres").fill("-5")
    page.get_by_role("button", name="Submit the amendment").click()
    expect(page.locator("#id_rows-0-litres_error")).to_contain_text("more than zero")
    expect(page.get_by_role("alert")).to_contain_text("Row 1, litres")
    axe_check(page)
    page.locator("#id_rows-0-litres").fill("29500")
    page.get_by_role("button", name="Submit the amendment").click()
    expect(page.get_by_text("The amendment of Acquisition BOL-7")).to_be_visible()
    expect(page.get_by_test_id("month-movements")).to_contain_text("Amendment 1")

    page.get_by_role("link", name="Amend or void BOL-7").click()
    page.get_by_role("button", name="Void this movement").click()
    expect(page.get_by_text("No fuel movements are recorded for this month.")).to_be_visible()
    axe_check(page)
    assert list(Movement.objects.order_by("revision").values_list("record", "litres")) == [
        ("movement", 30000),
        ("amendment", 29500),
        ("void", 29500),
    ]
