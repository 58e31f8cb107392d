"""Browser journey of a Notice of Objection and a waiver request (Playwright + Debian Chromium, axe-core on every
page): an owner whose late return was assessed (tax and a late-filing penalty) objects to the notice (an error
first, then a document and the representative), sees the confirmation with its reference number, then asks for
the penalty to be waived."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from assessments.models_objections import Objection, WaiverRequest
from assessments.services.returns import assessment_make
from programs.models import Program
from programs.services.accounts import account_open, taxpayer_create
from tests.accounts.factories import PASSWORD, UserFactory, actor_for
from tests.assessments.factories import acting
from tests.consent.factories import owner_grant
from tests.filings.factories import file_return
from tests.programs.documents_samples import PDF

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def account():
    taxpayer = taxpayer_create(legal_name="Prairie Fuels Ltd.", bin="123123123", actor=actor_for(None))
    from datetime import date

    return account_open(
        taxpayer=taxpayer,
        program=Program.objects.get(code="fuel_tax"),
        effective_date=date(2026, 1, 1),
        actor=actor_for(None),
    )


@pytest.fixture
def owner_in_browser(page: Page, live_server, account, sign_in):
    user = UserFactory(full_name="Olivia Owner")
    owner_grant(account=account, user=user)
    # August 2026, due 2026-09-28, filed today: late, so its assessment posts a late-filing penalty.
    tax_return = file_return(account=account, period="2026-08", user=user, clear_gasoline__taxable="1000")
    assessment_make(tax_return=tax_return, actor=acting())
    sign_in(page, live_server, user.email, PASSWORD, user.totpdevice_set.get().key, axe=False)
    return user


def test_object_to_a_notice_then_ask_for_a_waiver(
    page: Page, live_server, account, owner_in_browser, axe_check, tmp_path
):
    page.goto(f"{live_server.url}/accounts/{account.number}/")
    page.locator(".account-layout__menu").get_by_role("link", name="File a Notice of Objection").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Objections and waiver requests")
    axe_check(page)

    page.locator(".account-layout__main").get_by_role("link", name="File a Notice of Objection").click()
    expect(page.locator(".account-layout__main h2").first).to_have_text("Step 1 of 5: What you object to")
    axe_check(page)
    page.get_by_label("A notice of assessment or reassessment").check()
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("#id_notice_error")).to_have_text("Choose the notice you object to.")
    expect(page.locator("[data-error-summary]")).to_contain_text("Choose the notice you object to.")
    axe_check(page)
    page.get_by_label("Notice objected to").select_option(index=1)
    page.get_by_label("Amount in dispute ($)").fill("25.00")
    page.get_by_role("button", name="Continue").click()

    expect(page.locator(".account-layout__main h2").first).to_have_text("Step 2 of 5: Facts and reasons")
    axe_check(page)
    page.get_by_label("Statement of facts and reasons").fill("The return was mailed before the due date.")
    page.get_by_role("button", name="Continue").click()

    expect(page.locator(".account-layout__main h2").first).to_have_text("Step 3 of 5: Documents")
    axe_check(page)
    receipt = tmp_path / "receipt.pdf"
    receipt.write_bytes(PDF)
    page.locator("#id_file").set_input_files(str(receipt))
    page.get_by_label("Description of the document").fill("Canada Post receipt")
    page.get_by_role("button", name="Add the document").click()
    expect(page.get_by_test_id("staged-document")).to_contain_text("Canada Post receipt")
    axe_check(page)
    page.get_by_role("button", name="Continue").click()

    expect(page.locator(".account-layout__main h2").first).to_have_text(
        "Step 4 of 5: Authorized representative"
    )
    axe_check(page)
    page.get_by_label("Name of the authorized representative").fill("Olivia Owner")
    page.get_by_label("Position or title").fill("President")
    page.get_by_label("Address").fill("10025 Jasper Avenue, Edmonton AB T5J 1S6")
    page.get_by_label("Telephone number").fill("780-555-0101")
    page.get_by_role("button", name="Continue").click()

    expect(page.locator(".account-layout__main h2").first).to_have_text("Step 5 of 5: Review and file")
    expect(page.get_by_test_id("review-document")).to_contain_text("Canada Post receipt")
    axe_check(page)
    assert not Objection.objects.exists()
    page.get_by_role("button", name="File the Notice of Objection").click()

    objection = Objection.objects.get()
    expect(page.get_by_test_id("confirmation")).to_contain_text(objection.reference_number)
    expect(page.get_by_test_id("filing-status")).to_have_text("Received")
    axe_check(page)

    page.goto(f"{live_server.url}/accounts/{account.number}/waivers/new/")
    axe_check(page)
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("[data-error-summary]")).to_contain_text(
        "Choose at least one reason for the request."
    )
    axe_check(page)
    page.get_by_label("Penalty", exact=False).first.check()
    page.get_by_label("Inability to pay or financial hardship").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Statement of facts and reasons").fill("Our bank froze the account in September.")
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Name of the authorized representative").fill("Olivia Owner")
    page.get_by_label("Position or title").fill("President")
    page.get_by_label("Address").fill("10025 Jasper Avenue, Edmonton AB T5J 1S6")
    page.get_by_label("Telephone number").fill("780-555-0101")
    page.get_by_role("button", name="Continue").click()
    axe_check(page)
    page.get_by_role("button", name="File the waiver request").click()
    waiver = WaiverRequest.objects.get()
    expect(page.get_by_test_id("confirmation")).to_contain_text(waiver.reference_number)
    axe_check(page)
    page.goto(f"{live_server.url}/accounts/{account.number}/objections/")
    expect(page.get_by_test_id("objection-row")).to_contain_text(objection.reference_number)
    expect(page.get_by_test_id("waiver-row")).to_contain_text(waiver.reference_number)
    axe_check(page)
