"""Browser journeys of filing by XML upload (Playwright + Debian Chromium, axe-core on every page): the sample
file downloaded from the help page, uploaded, reviewed, certified and filed; a validate-only of a broken file
listing its errors with their lines and paths."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from filings.models import FuelTaxReturn
from filings.xml.writer import XmlLine, XmlTransaction, return_xml
from tests.accounts.factories import PASSWORD, UserFactory
from tests.consent.factories import ProgramAccountFactory, TaxpayerFactory, owner_grant

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def account():
    """The sample file's account: Prairie Fuels Ltd., fuel tax account 123456789-01-001."""
    taxpayer = TaxpayerFactory(legal_name="Prairie Fuels Ltd.", bin="123456789")
    return ProgramAccountFactory(taxpayer=taxpayer, effective_date=date(2021, 1, 1))


@pytest.fixture
def owner_in_browser(page: Page, live_server, account, sign_in):
    user = UserFactory(full_name="Olivia Owner")
    owner_grant(account=account, user=user)
    sign_in(page, live_server, user.email, PASSWORD, user.totpdevice_set.get().key, axe=False)
    return user


def test_upload_the_sample_review_certify_and_file(
    page: Page, live_server, account, owner_in_browser, axe_check, tmp_path
):
    page.goto(f"{live_server.url}/help/xml/fuel-tax-return/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Fuel tax return: XML format, version 1")
    axe_check(page)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download a sample return").click()
    sample = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(sample)
    assert sample.name == "fuel-tax-return-1-sample.xml"

    page.goto(f"{live_server.url}/accounts/{account.number}/returns/")
    page.get_by_role("link", name="Upload a return (XML)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Upload a return (XML)")
    axe_check(page)
    page.get_by_label("Return file (XML)").set_input_files(sample)
    page.get_by_role("button", name="Upload for review").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Review the return for June 2024")
    axe_check(page)
    expect(page.locator("table.data tfoot")).to_contain_text("$20,300.07")
    expect(
        page.get_by_text("The file's schedule lists 7 transactions; their totals agree with the lines.")
    ).to_be_visible()
    assert not FuelTaxReturn.objects.exists()
    page.get_by_label("Your position or title").fill("Controller")
    page.get_by_label("I certify that the information").check()
    page.get_by_role("button", name="Submit the return").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Return received")
    axe_check(page)
    tax_return = FuelTaxReturn.objects.get()
    assert tax_return.total_tax == Decimal("20300.07")
    assert tax_return.lines.count() == 5
    expect(page.locator(".pin-display")).to_have_text(tax_return.confirmation_number)


def test_validate_only_lists_every_error(
    page: Page, live_server, account, owner_in_browser, axe_check, tmp_path
):
    broken = tmp_path / "june.xml"
    broken.write_bytes(
        return_xml(
            account_number=account.number,
            period="2024-06",
            lines=[
                XmlLine("clear_gasoline", "taxable", "1,000"),
                XmlLine("propane", "taxable", "10"),
                XmlLine("kerosene", "taxable", "5"),
            ],
            transactions=[XmlTransaction("2024-06-31", "INV-1", "BIN 234567891", "propane", "taxable", "10")],
        )
    )
    page.goto(f"{live_server.url}/accounts/{account.number}/returns/upload/")
    page.get_by_label("Return file (XML)").set_input_files(broken)
    page.get_by_role("button", name="Validate only").click()

    expect(page.get_by_role("heading", name="The file has 3 errors")).to_be_visible()
    axe_check(page)
    rows = page.locator("table[data-xml-errors] tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text("11")
    expect(rows.nth(0)).to_contain_text("/FuelTaxReturn/Lines/Line[1]/Litres")
    expect(rows.nth(0)).to_contain_text("“1,000” is not a number of litres")
    expect(rows.nth(1)).to_contain_text("/FuelTaxReturn/Lines/Line[3]/Fuel")
    expect(rows.nth(1)).to_contain_text("Fuel: “kerosene” is not one of the allowed values: clear_gasoline,")
    expect(rows.nth(2)).to_contain_text("/FuelTaxReturn/Schedule/Transaction[1]/Date")
    expect(rows.nth(2)).to_contain_text(re.compile("“2024-06-31” is not a date"))
    # The problem is what the filer reads: its column takes the room, the path wraps at its slashes.
    problem = rows.nth(1).locator("td").nth(2).bounding_box()
    path = rows.nth(1).locator("td").nth(1).bounding_box()
    assert problem["width"] >= 320
    assert problem["width"] > path["width"]
    assert not FuelTaxReturn.objects.exists()
