"""Browser journey of the tourism levy (Playwright + Debian Chromium, axe-core on every page): an operator with two
establishments files each one's return by web form from its own account, the monthly inn's month with stays of
28 days or more (after a refusal beside its box) and the quarterly motel's quarter."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from filings.models import TourismLevyReturn
from tests.accounts.factories import PASSWORD, UserFactory
from tests.consent.factories import owner_grant
from tests.filings.tourism_levy_factories import establishment

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


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
