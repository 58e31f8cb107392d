"""Browser journeys of filing (Playwright + Debian Chromium, axe-core on every page): a return with the tax
computed live as the person types, then a nil return in one click and a certification."""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import Page, expect

from filings.models import FuelTaxReturn
from tests.accounts.factories import PASSWORD, UserFactory
from tests.consent.factories import ProgramAccountFactory, owner_grant

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def account():
    """A fuel tax remitter owing returns from January 2021."""
    return ProgramAccountFactory(taxpayer__legal_name="Prairie Fuels Ltd.", effective_date=date(2021, 1, 1))


@pytest.fixture
def owner_in_browser(page: Page, live_server, account, sign_in):
    user = UserFactory(full_name="Olivia Owner")
    owner_grant(account=account, user=user)
    sign_in(page, live_server, user.email, PASSWORD, user.totpdevice_set.get().key, axe=False)
    return user


def test_file_a_return_with_live_totals(page: Page, live_server, account, owner_in_browser, axe_check):
    page.goto(f"{live_server.url}/accounts/{account.number}/returns/")
    axe_check(page)
    page.goto(f"{live_server.url}/accounts/{account.number}/returns/2021-06/file/")
    expect(page.get_by_role("heading", level=1)).to_have_text("File the return for June 2021")
    axe_check(page)

    # A new account: clear gasoline and clear diesel are open, the other fuels behind "Add another fuel" and
    # the other categories of a fuel behind its "Other categories".
    expect(page.get_by_label("Clear gasoline: Taxable sales and removals")).to_be_visible()
    expect(page.get_by_label("Marked diesel: Taxable sales and removals")).to_be_hidden()
    expect(
        page.get_by_label("Clear diesel: Sold for direct export from Alberta in bulk (FT-11)")
    ).to_be_hidden()

    # June 2021: 100,000 L clear gasoline x $0.13 = $13,000.00; 20,000 L marked diesel x $0.04 = $800.00
    page.get_by_label("Clear gasoline: Taxable sales and removals").fill("100,000")
    expect(page.locator('[data-tax-for="clear_gasoline__taxable"]')).to_have_text("$13,000.00")
    page.locator("summary", has_text="Add another fuel").click()
    page.locator("summary", has_text="Marked diesel").click()
    axe_check(page)
    page.get_by_label("Marked diesel: Taxable sales and removals").fill("20000")
    expect(page.locator('[data-tax-for="marked_diesel__taxable"]')).to_have_text("$800.00")
    expect(page.locator("[data-return-total]")).to_have_text("$13,800.00")
    page.locator("summary", has_text="Other categories of Clear diesel").click()
    page.get_by_label("Clear diesel: Sold for direct export from Alberta in bulk (FT-11)").fill("-5")
    expect(page.locator('[data-tax-for="clear_diesel__export_bulk"]')).to_have_text(
        re.compile("cannot be negative")
    )
    page.get_by_label("Clear diesel: Sold for direct export from Alberta in bulk (FT-11)").fill("")
    expect(page.locator("[data-return-total]")).to_have_text("$13,800.00")

    page.get_by_role("button", name="Review the return").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Review the return for June 2021")
    axe_check(page)
    page.get_by_label("Your position or title").fill("Controller")
    page.get_by_role("button", name="Submit the return").click()
    # the declaration was not ticked: the page says so, and nothing is stored
    expect(page.locator("#id_declaration_error")).to_have_text(
        "Tick the box to certify the return before you submit it."
    )
    axe_check(page)
    assert not FuelTaxReturn.objects.exists()
    page.get_by_label("I certify that the information").check()
    page.get_by_label("Your position or title").fill("Controller")
    page.get_by_role("button", name="Submit the return").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Return received")
    axe_check(page)
    tax_return = FuelTaxReturn.objects.get()
    assert str(tax_return.total_tax) == "13800.00"
    expect(page.locator(".pin-display")).to_have_text(tax_return.confirmation_number)
    expect(page.get_by_role("button", name="Print this page")).to_be_visible()

    # The return is listed in process under View Assessment Status, with its confirmation number.
    page.get_by_role("link", name="View Assessment Status").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Assessment Status")
    expect(page.get_by_role("main")).to_contain_text(tax_return.confirmation_number)
    expect(page.get_by_role("main")).to_contain_text("Received")
    axe_check(page)


def test_file_a_nil_return(page: Page, live_server, account, owner_in_browser, axe_check):
    page.goto(f"{live_server.url}/accounts/{account.number}/returns/")
    page.get_by_role("button", name="Nil return March 2021").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("File a nil return for March 2021")
    axe_check(page)
    page.get_by_label("Your position or title").fill("Owner")
    page.get_by_label("I certify that the information").check()
    page.get_by_role("button", name="Submit the nil return").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Return received")
    tax_return = FuelTaxReturn.objects.get()
    assert tax_return.is_nil
    page.get_by_role("link", name="Back to the returns owed").click()
    row = page.get_by_role("row", name=re.compile("March 2021"))
    expect(row).to_contain_text(tax_return.confirmation_number)
    expect(row).to_contain_text("Filed")
    axe_check(page)
