"""The marked-fuel inventory and reconciliation pages in a real browser (issue 15, "Show"), axe-core on each page:

1. A seller's Inventory Summary with a variance past tolerance: the month chosen, the flagged line shown, the Excel
   export downloaded and opened with openpyxl; staff (an assessor) find the same line among every seller's
   inventory variances in staff administration, filter to past tolerance only, and download their Excel too.
2. The pre-submission reconciliation before a month is submitted: the differences with the supplier's report
   shown, the report refused without an explanation (beside its field), then submitted with it; staff read the
   differences and the explanation on the report in the queue.
"""

from io import BytesIO
from pathlib import Path

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from openpyxl import load_workbook
from playwright.sync_api import expect

from filings.sales.models_report import MarkedFuelReport
from filings.sales.report import EXPLANATION_REQUIRED
from tests.accounts.factories import PASSWORD, UserFactory, staff_member
from tests.consent.factories import owner_grant
from tests.e2e.test_access_journeys import _admin_axe_check
from tests.filings.sales_helpers import MONTH, bflo, seller
from tests.filings.test_marked_fuel_inventory_summary import recount
from tests.filings.test_marked_fuel_reconciliation import bought, put, sold
from tests.filings.test_marked_fuel_report import a_month
from tests.programs.registry_helpers import registry

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

OWNER_KEY = "3132333435363738393031323334353637383933"
STAFF_KEY = "3132333435363738393031323334353637383934"


def _owner(account, email: str):
    owner = UserFactory(two_factor=False, email=email)
    TOTPDevice.objects.create(user=owner, name="Authenticator app", key=OWNER_KEY, confirmed=True)
    owner_grant(account=account, user=owner)
    return owner


def _assessor(email: str):
    staff = staff_member("assessor", two_factor=False, email=email)
    TOTPDevice.objects.create(user=staff, name="Authenticator app", key=STAFF_KEY, confirmed=True)
    return staff


def _rows(download) -> list[list]:
    workbook = load_workbook(BytesIO(Path(download.value.path()).read_bytes()), read_only=True)
    return [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]


def test_a_variance_past_tolerance_is_flagged_exported_and_seen_by_staff(
    new_page, live_server, sign_in, axe_check
):
    registry()
    account = seller(taxpayer__legal_name="Leaky Fuels Ltd.")
    a_month(account)
    recount(account, "11000")  # 99.5 L short of the 11,099.5 computed: -0.90%, past 0.5%
    owner = _owner(account, "leaky-owner@example.ca")
    page = new_page()
    sign_in(page, live_server, owner.email, PASSWORD, OWNER_KEY, axe=False)
    page.goto(f"/accounts/{account.number}/")
    page.get_by_role("navigation", name="Account menu").get_by_role("link", name="Inventory Summary").click()
    page.get_by_label("Month reported").select_option(MONTH)
    page.get_by_role("button", name="Show the month").click()
    expect(page.get_by_test_id("flagged")).to_contain_text("1 location and fuel is past the tolerance.")
    flagged = page.locator("tr.row--flagged")
    expect(flagged).to_have_count(1)
    expect(flagged).to_contain_text(bflo(account))
    expect(flagged).to_contain_text("-0.90%")
    expect(flagged).to_contain_text("past tolerance")
    axe_check(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Export to Excel").click()
    assert download.value.suggested_filename == f"inventory-summary-{account.number}-{MONTH}.xlsx"
    rows = _rows(download)
    assert rows[3][:2] == [bflo(account), "Marked diesel"]
    assert (rows[3][10], rows[3][12]) == (-99.5, "yes")

    staff = new_page()
    assessor = _assessor("inventory-assessor@gov.ab.ca")
    sign_in(staff, live_server, assessor.email, PASSWORD, STAFF_KEY, axe=False)
    staff.goto(f"{live_server.url}/admin/")
    staff.get_by_role("link", name="Inventory variances (every seller's month)").click()
    staff.get_by_label("Month").fill(MONTH)
    staff.get_by_label("Past tolerance only").check()
    with staff.expect_navigation():
        staff.get_by_role("button", name="Show").click()
    lines = staff.get_by_test_id("variance-line")
    expect(lines).to_have_count(1)
    expect(lines.first).to_contain_text(account.number)
    expect(lines.first).to_contain_text("Leaky Fuels Ltd.")
    expect(lines.first).to_contain_text("past tolerance")
    _admin_axe_check(staff)
    with staff.expect_download() as download:
        staff.get_by_role("link", name="Export to Excel").click()
    assert download.value.suggested_filename == f"inventory-variances-{MONTH}.xlsx"
    rows = _rows(download)
    assert rows[3][:3] == [account.number, "Leaky Fuels Ltd.", bflo(account)]
    assert rows[3][-1] == "yes"
    assert len(rows) == 4  # past tolerance only: the one line


def test_the_reconciliation_is_shown_then_an_explanation_is_required_and_staff_see_it(
    new_page, live_server, sign_in, axe_check
):
    registry()
    buyer = seller(taxpayer__legal_name="Buying Fuels Ltd.")
    supplier = seller(taxpayer__legal_name="Supplying Fuels Ltd.")
    put(buyer, [bought(buyer, supplier, "BOL-1", "30000")])
    put(supplier, [sold(supplier, buyer, "D-1", "29000")])
    owner = _owner(buyer, "buying-owner@example.ca")
    page = new_page()
    sign_in(page, live_server, owner.email, PASSWORD, OWNER_KEY, axe=False)
    page.goto(f"/accounts/{buyer.number}/marked-fuel/reports/{MONTH}/")
    difference = page.get_by_test_id("reconciliation-row")
    expect(difference).to_have_count(1)
    expect(difference).to_contain_text(supplier.taxpayer.bin)
    expect(difference).to_contain_text("30,000")
    expect(difference).to_contain_text("29,000")
    axe_check(page)
    page.locator("#id_certified_name").fill("Olivia Owner")
    page.locator("#id_certified_capacity").fill("President")
    page.locator("#id_declaration").check()
    page.get_by_role("button", name="Submit the report").click()
    expect(page.locator("#id_explanation_error")).to_contain_text(str(EXPLANATION_REQUIRED))
    expect(page.get_by_role("alert").first).to_be_visible()
    axe_check(page)
    assert not MarkedFuelReport.objects.exists()
    page.get_by_label("Explain the differences with the other sellers' reports").fill(
        "1,000 L still in transit at the month's end."
    )
    page.locator("#id_declaration").check()
    page.get_by_role("button", name="Submit the report").click()
    expect(page.get_by_test_id("confirmation-number")).to_be_visible()
    axe_check(page)
    filed = MarkedFuelReport.objects.get()
    assert filed.explanation == "1,000 L still in transit at the month's end."

    staff = new_page()
    assessor = _assessor("reconciliation-assessor@gov.ab.ca")
    sign_in(staff, live_server, assessor.email, PASSWORD, STAFF_KEY, axe=False)
    staff.goto(f"{live_server.url}/admin/filings/markedfuelreport/{filed.pk}/change/")
    expect(staff.locator("#content")).to_contain_text("1,000 L still in transit at the month's end.")
    expect(staff.locator("#content")).to_contain_text("Differences with counterparties when filed")
    expect(staff.locator("#content")).to_contain_text(supplier.taxpayer.bin)
    _admin_axe_check(staff)
