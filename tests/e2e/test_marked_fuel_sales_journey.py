"""A marked-fuel seller enters sales by hand in a real browser (issue 14, "Show"): two sales, a row added without
JavaScript, one sale refused because its AFFB number was cancelled on the sale date (the reason beside its box,
nothing stored), sent anyway so the refused sale is kept under Rejected Sales, the number checked on Check
AFFB/TEFU Eligibility, then the rejected sale corrected and linked to what it corrects. axe-core on each page."""

import pytest
from playwright.sync_api import expect

from filings.sales.models import RejectedRow, Sale
from tests.accounts.factories import PASSWORD, UserFactory
from tests.consent.factories import owner_grant
from tests.filings.sales_helpers import MONTH, bflo, seller
from tests.programs.registry_helpers import registry

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

KEY = "3132333435363738393031323334353637383931"


def _row(page, index: int, *, invoice: str, number: str, litres: str, bflo_number: str) -> None:
    page.locator(f"#id_rows-{index}-sale_date").fill(f"{MONTH}-15")
    page.locator(f"#id_rows-{index}-invoice_number").fill(invoice)
    page.locator(f"#id_rows-{index}-exemption_number").fill(number)
    page.locator(f"#id_rows-{index}-fuel").select_option("marked_diesel")
    page.locator(f"#id_rows-{index}-litres").fill(litres)
    page.locator(f"#id_rows-{index}-bflo_number").select_option(bflo_number)


def test_a_seller_enters_sales_one_rejected_then_corrected(page, live_server, axe_check, sign_in):
    registry()
    account = seller(taxpayer__legal_name="Counter Fuels Ltd.")
    owner = UserFactory(two_factor=False, email="counter-sales@example.ca")
    owner.totpdevice_set.create(name="Authenticator app", key=KEY, confirmed=True)
    owner_grant(account=account, user=owner)
    sign_in(page, live_server, owner.email, PASSWORD, KEY, axe=False)
    page.goto(f"/accounts/{account.number}/")
    menu = page.get_by_role("navigation", name="Account menu")
    menu.get_by_role("link", name="Create AFFB/TEFU Sales").click()
    expect(page.get_by_role("heading", name="Create AFFB/TEFU Sales")).to_be_visible()
    axe_check(page)

    page.get_by_label("Month reported").select_option(MONTH)
    _row(page, 0, invoice="INV-100", number="F1000001", litres="1200", bflo_number=bflo(account, 1))
    _row(page, 1, invoice="INV-101", number="F1000002", litres="800", bflo_number=bflo(account, 2))
    page.get_by_role("button", name="Add a row").click()  # a submit button: the page comes back with one more
    expect(page.locator("[data-row]")).to_have_count(4)
    expect(page.locator("#id_rows-1-exemption_number")).to_have_value("F1000002")
    axe_check(page)

    page.get_by_role("button", name="Submit", exact=True).click()
    expect(page.locator("#id_rows-1-exemption_number_error")).to_contain_text("cancelled")
    expect(page.get_by_role("alert")).to_contain_text("Row 2, affb or tefu number")
    assert not Sale.objects.exists()
    axe_check(page)

    page.get_by_role("button", name="Submit, keeping the rejected sales").click()
    expect(page.get_by_role("heading", name="Rejected Sales")).to_be_visible()
    expect(page.get_by_test_id("rejected-row")).to_have_count(1)
    expect(page.get_by_test_id("rejected-row")).to_contain_text("F1000002")
    assert list(Sale.objects.values_list("invoice_number", flat=True)) == ["INV-100"]
    axe_check(page)

    # The customer's number, checked on the sale date: cancelled; the farmer's other certificate is valid.
    menu.get_by_role("link", name="Check AFFB/TEFU Eligibility").click()
    page.get_by_label("AFFB or TEFU number").fill("F1000002")
    page.get_by_label("Date of the sale").fill(f"{MONTH}-15")
    page.get_by_role("button", name="Check").click()
    expect(page.get_by_role("heading", name="F1000002 is not valid")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text("Old Quarter Farm")
    axe_check(page)

    menu.get_by_role("link", name="Rejected Sales").click()
    page.get_by_role("link", name="Correct row 2").click()
    expect(page.get_by_test_id("rejected-reason")).to_contain_text("cancelled")
    expect(page.locator("#id_rows-0-invoice_number")).to_have_value("INV-101")
    axe_check(page)
    page.locator("#id_rows-0-exemption_number").fill("F1000001")
    page.get_by_role("button", name="Send the corrected sale").click()
    expect(page.get_by_text("No rejected sales are waiting to be corrected.")).to_be_visible()
    expect(page.get_by_test_id("rejected-sales")).to_contain_text("Invoice INV-101 line 1, F1000001")
    axe_check(page)
    corrected = RejectedRow.objects.get(ingestion__validate_only=False)
    assert corrected.corrected_by == Sale.objects.get(invoice_number="INV-101")

    page.goto(f"/accounts/{account.number}/marked-fuel/sales/{MONTH}/")
    expect(page.get_by_test_id("month-sales").locator("tbody tr")).to_have_count(2)
    axe_check(page)
