"""Browser journey of a claim (Playwright + Debian Chromium, axe-core on every page): an owner files a fuel tax
refund claim (a line refused for its window first, then corrected), reviews it, certifies it, downloads its
confirmation PDF, and sees it in process under View Assessment Status."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from filings.models import Claim
from tests.accounts.factories import PASSWORD, UserFactory
from tests.consent.factories import ProgramAccountFactory, owner_grant

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def account():
    return ProgramAccountFactory(taxpayer__legal_name="Prairie Fuels Ltd.")


@pytest.fixture
def owner_in_browser(page: Page, live_server, account, sign_in):
    user = UserFactory(full_name="Olivia Owner")
    owner_grant(account=account, user=user)
    sign_in(page, live_server, user.email, PASSWORD, user.totpdevice_set.get().key, axe=False)
    return user


def test_file_a_claim_and_see_it_on_the_status_list(
    page: Page, live_server, account, owner_in_browser, axe_check
):
    today = timezone.localdate()
    bought = today - timedelta(
        days=30
    )  # clear gasoline at $0.13/L (programs/rates/fuel_tax.yaml, from 2024-04-01)
    too_old = date(2021, 6, 10)  # $0.13/L, but 3 years from the end of 2021 ended 2024-12-31

    page.goto(f"{live_server.url}/accounts/{account.number}/")
    page.get_by_role("link", name="File a Claim").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("File a Claim")
    axe_check(page)
    page.get_by_role("link", name="Fuel tax refund claim").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Fuel tax refund claim")
    axe_check(page)

    line = page.locator("#line-1")
    line.get_by_label("Reason").select_option(label="Fuel exported from Alberta in bulk")
    line.get_by_label("Fuel", exact=True).select_option(label="Clear gasoline")
    line.get_by_label("Date of purchase").fill(too_old.isoformat())
    line.get_by_label("Invoice or document number").fill("BOL-7781")
    line.get_by_label("Litres").fill("1,000")
    page.get_by_role("button", name="Review the claim").click()

    # refused: the reason and the date that applied, next to the date and in the summary
    expect(page.locator("#id_lines-0-purchase_date_error")).to_contain_text("no later than 2024-12-31")
    expect(page.locator("[data-error-summary]")).to_contain_text("Fuel exported from Alberta in bulk")
    axe_check(page)
    assert not Claim.objects.exists()

    page.locator("#line-1").get_by_label("Date of purchase").fill(bought.isoformat())
    page.get_by_role("button", name="Review the claim").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Review the Fuel tax refund claim")
    expect(page.locator("table.data tfoot")).to_contain_text("$130.00")
    axe_check(page)
    page.get_by_label("Your position or title").fill("Controller")
    page.get_by_label("I certify that the information given in this claim").check()
    page.get_by_role("button", name="Submit the claim").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Claim received")
    claim = Claim.objects.get()
    expect(page.locator(".pin-display")).to_have_text(claim.confirmation_number)
    axe_check(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the PDF").click()
    assert download.value.suggested_filename == f"TRACS-confirmation-{claim.confirmation_number}.pdf"

    page.get_by_role("link", name="View Assessment Status").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Assessment Status")
    row = page.get_by_role("row", name=re.compile("Fuel tax refund claim"))
    expect(row).to_contain_text(claim.confirmation_number)
    expect(row).to_contain_text("Received")
    expect(row).to_contain_text((timezone.localdate(claim.received_at) + timedelta(days=60)).isoformat())
    axe_check(page)
