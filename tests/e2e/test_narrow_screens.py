"""A phone-sized screen (390 px wide): the page never scrolls sideways; a wide table scrolls inside its own
region, which the keyboard can reach, and dates, account numbers and amounts never break in the middle."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import Page

from assessments.services.ledger import ledger_post
from tests.accounts.factories import PASSWORD, UserFactory
from tests.assessments.factories import acting
from tests.consent.factories import ProgramAccountFactory, owner_grant
from tests.filings.factories import file_return

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def _fits_the_screen(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} scrolls sideways: {width} px wide"


def _values_on_one_line(page: Page) -> int:
    """How many date, number and amount cells the page has; each must be one line high."""
    heights = page.evaluate(
        """() => [...document.querySelectorAll('table.data td.value, table.data td.num')].map(cell => {
            const style = getComputedStyle(cell);
            // The value itself: the cell's first text (a badge may follow it on its own line).
            const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT, {acceptNode: n => n.textContent.trim() ? 1 : 3});
            const value = walker.nextNode() || cell;
            const range = document.createRange(); range.selectNodeContents(value);
            const lines = new Set([...range.getClientRects()].map(rect => Math.round(rect.top)));
            return [value.textContent.trim(), lines.size, style.whiteSpace];
        })"""
    )
    broken = [text for text, lines, _space in heights if text and lines > 1]
    assert not broken, f"{page.url}: values broken over two lines: {broken}"
    return len(heights)


def test_a_phone_shows_the_account_pages_without_sideways_scrolling(page, live_server, sign_in, axe_check):
    account = ProgramAccountFactory(
        taxpayer__legal_name="Prairie Fuels Ltd.", effective_date=date(2025, 1, 1)
    )
    user = UserFactory(full_name="Olivia Owner")
    owner_grant(account=account, user=user)
    for period in ("2025-01", "2025-02", "2025-03"):
        file_return(account=account, period=period, user=user, clear_gasoline__taxable="100000")
    ledger_post(
        account=account,
        period_end=date(2025, 1, 31),
        kind="penalty",
        amount=Decimal("1234.56"),
        description="Late-filing penalty on the return for January 2025",
        actor=acting(),
    )
    page.set_viewport_size(PHONE)
    sign_in(page, live_server, user.email, PASSWORD, user.totpdevice_set.get().key, axe=False)
    cells = 0
    for path in (
        "/",
        f"/accounts/{account.number}/returns/",
        f"/accounts/{account.number}/transactions/",
        f"/accounts/{account.number}/balances/",
    ):
        page.goto(live_server.url + path)
        _fits_the_screen(page)
        cells += _values_on_one_line(page)
        axe_check(page)
    assert cells > 10
    # A table wider than the screen scrolls inside its region, reached with the keyboard.
    region = page.locator(".table-wrap[role=region]").first
    assert region.get_attribute("tabindex") == "0"
    assert region.get_attribute("aria-label")
    # Every piece of the page is in a landmark: the skip link sits in the banner (axe: region).
    assert page.locator("header.portal-header > a.skip-link").count() == 1
