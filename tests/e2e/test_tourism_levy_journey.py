"""Browser journeys of the tourism levy (Playwright + Debian Chromium, axe-core on every page): an operator with two
establishments files each one's return from its own account, by web form (the monthly inn's month with stays of
28 days or more, after a refusal beside its box, and the quarterly motel's quarter) and by XML upload (the demo
operator's inn and chalets, each from the sample made out for it, after a refused file)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import Page, expect

from filings import demo_tourism_levy
from filings.models import TourismLevyReturn
from filings.periods import Period, PeriodKind
from programs.models import ProgramAccount
from tests.accounts.factories import PASSWORD, UserFactory
from tests.consent.factories import owner_grant
from tests.filings.tourism_levy_factories import establishment

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
EDMONTON = ZoneInfo("America/Edmonton")


def _file(page: Page, axe_check, *, heading: str, figures: dict[str, str]) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    axe_check(page)
    for label, value in figures.items():
        page.get_by_label(label).fill(value)
    page.get_by_role("button", name="Review the return").click()


def test_an_operator_files_each_establishments_return_by_web_form(
    page: Page, live_server, sign_in, axe_check
):
    inn = establishment(name="Bow River Inn", opened=date(2021, 1, 1))
    motel = establishment(
        taxpayer=inn.taxpayer, name="Cascade Motel", opened=date(2021, 1, 1), quarterly_from=date(2021, 1, 1)
    )
    user: Any = UserFactory(full_name="Hana Hotelier")
    owner_grant(account=inn, user=user)
    owner_grant(account=motel, user=user)
    sign_in(page, live_server, user.email, PASSWORD, user.totpdevice_set.get().key, axe=False)

    # The inn, monthly: June 2021. $12,000.00 less $2,000.00 of stays of 28 days or more = $10,000.00 x 4% = $400.00
    page.goto(f"{live_server.url}/accounts/{inn.number}/returns/")
    expect(page.get_by_role("heading", level=1)).to_have_text("File a Return")
    axe_check(page)
    page.goto(f"{live_server.url}/accounts/{inn.number}/tourism-levy/2021-06/file/")
    long_stays = "Stays of 28 consecutive days or more by the same individual"
    _file(
        page,
        axe_check,
        heading="File the tourism levy return for June 2021",
        figures={"Gross revenue from accommodation": "1,000", long_stays: "2000"},
    )
    # More exempt than the revenue: refused beside the revenue, nothing stored
    expect(page.locator("#id_gross_revenue_error")).to_contain_text("more than the gross revenue")
    axe_check(page)
    assert not TourismLevyReturn.objects.exists()
    page.get_by_label("Gross revenue from accommodation").fill("12,000")
    page.get_by_label("Levy collected").fill("400")
    # The live figures, from the server: $10,000.00 taxable, $400.00 payable
    expect(page.locator('[data-figure="taxable"]')).to_have_text("$10,000.00")
    expect(page.locator('[data-figure="amount_payable"]')).to_have_text("$400.00")
    axe_check(page)
    page.get_by_role("button", name="Review the return").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Review the tourism levy return for June 2021")
    expect(page.get_by_role("row", name="Amount payable")).to_contain_text("$400.00")
    axe_check(page)
    page.get_by_label("Your position or title").fill("Owner")
    page.get_by_label("I certify that the information").check()
    page.get_by_role("button", name="Submit the return").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Tourism levy return received")
    axe_check(page)
    filed = TourismLevyReturn.objects.get(account=inn)
    expect(page.locator(".pin-display")).to_have_text(filed.confirmation_number)

    # The motel, quarterly: Q2 2021. $30,000.00 x 4% = $1,200.00
    page.goto(f"{live_server.url}/accounts/{motel.number}/returns/")
    page.get_by_role("link", name="File Q2 2021 (April–June)").click()
    _file(
        page,
        axe_check,
        heading="File the tourism levy return for Q2 2021 (April–June)",
        figures={"Gross revenue from accommodation": "30000", "Levy collected": "1200"},
    )
    expect(page.get_by_role("row", name="Amount payable")).to_contain_text("$1,200.00")
    page.get_by_label("Your position or title").fill("Owner")
    page.get_by_label("I certify that the information").check()
    page.get_by_role("button", name="Submit the return").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Tourism levy return received")
    axe_check(page)
    assert TourismLevyReturn.objects.get(account=motel).amount_payable == 1200


def test_the_demo_operator_files_each_establishments_return_by_xml(
    page: Page, live_server, sign_in, axe_check, tmp_path
):
    """The demo's Hana Hotelier (operator@demo.tracs.ca), loaded as `make run` loads her on the first day of this
    quarter: the Bow River Inn (monthly) owes the last month of the quarter just ended and the Cascade Chalets
    (quarterly) that quarter. For each, from File a Return: the upload page, its sample made out for that
    establishment and period, a refused file listed by line (nothing stored), then the sample validated,
    uploaded, reviewed, certified and filed. The sample: $12,000.00 + $450.00 of fees - $2,000.00 of long stays
    - $450.00 billed to the Government of Canada = $10,000.00 taxable x 4% = $400.00 payable."""
    user: Any = UserFactory(full_name="Hana Hotelier", email="operator@demo.tracs.ca")
    quarter_ended = Period.of(timezone.localdate(), PeriodKind.QUARTERLY).previous()
    loaded = datetime.combine(quarter_ended.end + timedelta(days=1), time(9), tzinfo=EDMONTON)
    with time_machine.travel(loaded, tick=False):
        demo_tourism_levy.seed(users={"operator": user})
    inn = ProgramAccount.objects.get(trade_name=demo_tourism_levy.INN)
    chalets = ProgramAccount.objects.get(trade_name=demo_tourism_levy.CHALETS)
    month = Period.of(quarter_ended.end, PeriodKind.MONTHLY)
    sign_in(page, live_server, user.email, PASSWORD, user.totpdevice_set.get().key, axe=False)

    for account, period, other in ((inn, month, chalets), (chalets, quarter_ended, inn)):
        page.goto(f"{live_server.url}/accounts/{account.number}/returns/")
        expect(page.get_by_role("heading", level=1)).to_have_text("File a Return")
        page.get_by_role("link", name="Upload a return (XML)").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Upload a return (XML)")
        axe_check(page)
        with page.expect_download() as download_info:
            page.get_by_role(
                "link", name=f"download a sample return for this account and {period.label}"
            ).click()
        sample = tmp_path / download_info.value.suggested_filename
        download_info.value.save_as(sample)
        assert sample.name == f"tourism-levy-return-{account.number}-{period.key}-sample.xml"

        # The other establishment's number and more exempt than the revenue: each beside its line, nothing stored
        broken = tmp_path / f"broken-{period.key}.xml"
        broken.write_bytes(
            sample.read_bytes()
            .replace(account.number.encode(), other.number.encode())
            .replace(b"<GrossRevenue>12000.00<", b"<GrossRevenue>1000.00<")
        )
        page.get_by_label("Return file (XML)").set_input_files(broken)
        page.get_by_role("button", name="Validate only").click()
        expect(page.get_by_role("heading", name="The file has 2 errors")).to_be_visible()
        axe_check(page)
        rows = page.locator("table[data-xml-errors] tbody tr")
        expect(rows.nth(0)).to_contain_text("/TourismLevyReturn/Header/AccountNumber")
        expect(rows.nth(0)).to_contain_text(f"is the account of another establishment ({other.display_name})")
        expect(rows.nth(1)).to_contain_text("/TourismLevyReturn/GrossRevenue")
        expect(rows.nth(1)).to_contain_text("more than the gross revenue")
        assert not TourismLevyReturn.objects.filter(account=account, period_start=period.start).exists()

        page.get_by_label("Return file (XML)").set_input_files(sample)
        page.get_by_role("button", name="Validate only").click()
        expect(page.get_by_role("heading", name="No errors: this file would be accepted")).to_be_visible()
        expect(page.get_by_role("row", name="Amount payable")).to_contain_text("$400.00")
        axe_check(page)
        page.get_by_label("Return file (XML)").set_input_files(sample)
        page.get_by_role("button", name="Upload for review").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(
            f"Review the tourism levy return for {period.label}"
        )
        expect(page.get_by_role("row", name="Taxable purchase price")).to_contain_text("$10,000.00")
        axe_check(page)
        assert not TourismLevyReturn.objects.filter(account=account, period_start=period.start).exists()
        page.get_by_label("Your position or title").fill("Owner")
        page.get_by_label("I certify that the information").check()
        page.get_by_role("button", name="Submit the return").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Tourism levy return received")
        axe_check(page)
        filed = TourismLevyReturn.objects.get(account=account, period_start=period.start)
        assert (filed.period_kind, filed.amount_payable) == (period.kind.value, 400)
        expect(page.locator(".pin-display")).to_have_text(filed.confirmation_number)
