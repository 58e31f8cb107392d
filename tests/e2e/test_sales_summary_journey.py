"""A marked-fuel seller's Sales Summary in a real browser (issue 15, item 3 and "Show"): the seller opens Sales
Summary from the account menu, picks a 2018 claim period from "Claim Amount: Period End" (its cycle ran and paid
the carbon levy), sees its sales by fuel and rate and the claim under View Assessment Status, clicks "Generate
Excel" (the job runs inline, as in the other journeys), downloads the workbook and reads it back with openpyxl: the
same figures. Then a period after the repeal whose workbook is still being built: the page polls the job's state
(static/js/sales-summary-excel.js) and, once the job has built it, offers the download without a reload by hand.
axe-core on each page."""

from __future__ import annotations

from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone
from openpyxl import load_workbook
from playwright.sync_api import expect

from accounts.actors import Actor
from assessments.cycles import exports, services
from assessments.cycles.models import SalesSummaryExport
from tests.accounts.factories import PASSWORD, UserFactory
from tests.assessments.cycle_helpers import JUNE_2019, MARCH_2018, after, during, sale, tefs_seller
from tests.consent.factories import owner_grant

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

KEY = "3132333435363738393031323334353637383932"


def _run(period) -> None:
    with time_machine.travel(after(period), tick=False):
        services.cycle_run(period=period, actor=Actor.job("refund_cycle_due"))


def test_a_seller_reads_a_periods_sales_summary_and_its_excel(
    page, live_server, axe_check, sign_in, tmp_path
):
    account = tefs_seller("Summary Fuels Ltd.")
    sale(account, accepted=during(MARCH_2018, 1), litres="1000")  # diesel: 1,000 x $0.0803 = $80.30
    sale(
        account, accepted=during(MARCH_2018, 5), fuel="marked_gasoline", litres="500.5"
    )  # x $0.0673 = $33.68
    _run(MARCH_2018)
    sale(account, accepted=during(JUNE_2019, 2), litres="700")  # after the repeal: nil
    _run(JUNE_2019)
    owner = UserFactory(two_factor=False, email="summary-owner@example.ca")
    owner.totpdevice_set.create(name="Authenticator app", key=KEY, confirmed=True)
    owner_grant(account=account, user=owner)
    sign_in(page, live_server, owner.email, PASSWORD, KEY, axe=False)

    page.goto(f"/accounts/{account.number}/")
    page.get_by_role("navigation", name="Account menu").get_by_role("link", name="Sales Summary").click()
    expect(page.get_by_role("heading", name="Sales Summary", exact=True)).to_be_visible()
    axe_check(page)

    page.get_by_label("Claim Amount: Period End").select_option(MARCH_2018.start.isoformat())
    page.get_by_role("button", name="Show the period").click()
    expect(page.get_by_test_id("period")).to_have_text("Claim period 2018-03-12 to 2018-03-25")
    expect(page.get_by_test_id("summary-line")).to_have_count(2)
    expect(page.get_by_test_id("summary-line").first).to_contain_text("$0.0803/L")
    expect(page.get_by_test_id("refund")).to_have_text("$113.98")
    expect(page.get_by_test_id("refund-status")).to_contain_text("issued on")
    expect(page.get_by_test_id("estimate")).to_have_count(0)
    axe_check(page)

    page.get_by_test_id("generate-excel").click()
    expect(page.get_by_test_id("excel-state")).to_contain_text("is ready")
    axe_check(page)
    with page.expect_download() as download:
        page.get_by_test_id("excel-download").click()
    assert download.value.suggested_filename == f"sales-summary-{account.number}-2018-03-25.xlsx"
    workbook = tmp_path / download.value.suggested_filename  # openpyxl goes by the name's .xlsx
    download.value.save_as(workbook)
    book = load_workbook(workbook, read_only=True)
    assert book.sheetnames == ["Summary", "Sales 1"]
    sales = list(book["Sales 1"].iter_rows(min_row=2, values_only=True))
    assert [(row[4], Decimal(str(row[5])), Decimal(str(row[8]))) for row in sales] == [
        ("Marked diesel", Decimal("1000"), Decimal("80.3")),
        ("Marked gasoline", Decimal("500.5"), Decimal("33.68")),
    ]
    summary = {row[0]: row for row in book["Summary"].iter_rows(values_only=True) if row and row[0]}
    assert Decimal(str(summary["Refund"][5])) == Decimal("113.98")
    assert Decimal(str(summary["Total"][4])) == Decimal("1500.5")

    page.get_by_test_id("claim-link").click()
    expect(page.get_by_role("heading", name="Assessment Status")).to_be_visible()
    claim = account.cycle_claims.get(period_start=MARCH_2018.start).claim
    expect(page.locator(f"#filing-{claim.confirmation_number}")).to_contain_text(
        "Marked-fuel carbon levy refund"
    )
    axe_check(page)

    # A workbook of June 2019 asked for and queued, not built yet: the page says so and polls its state.
    queued = SalesSummaryExport.objects.create(
        account=account,
        period_start=JUNE_2019.start,
        period_end=JUNE_2019.end,
        requested_by=owner,
        requested_at=timezone.now(),
    )
    page.goto(f"/accounts/{account.number}/marked-fuel/sales-summary/?period={JUNE_2019.start.isoformat()}")
    expect(page.get_by_test_id("excel-state")).to_contain_text("is being built")
    expect(page.get_by_test_id("generate-excel")).to_have_count(0)
    axe_check(page)
    exports.sales_summary_export_build(
        export_id=queued.pk, today=timezone.localdate()
    )  # the job, while the page polls
    expect(page.get_by_test_id("excel-download")).to_be_visible(timeout=15_000)
    expect(page.get_by_test_id("summary-line")).to_contain_text("nil (carbon levy repealed from 2019-05-30)")
    expect(page.get_by_test_id("refund")).to_have_text("$0.00")
    axe_check(page)
