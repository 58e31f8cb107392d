"""Every item of the account menu leads somewhere real, for every program (issue 10 #12 and #13).

An owner of one account of each program follows each link of its menu, and each link those pages offer within
the account: each answers 200 with a page of its own (a heading, no error summary saying it cannot be used).
A page the menu offers is never a dead end (a 400, a 404, a page that only says "cannot be filed"), and an
account whose program files no returns is not offered File a Return, nor shown fuel tax wording on the pages
it reaches."""

import html
import re
from datetime import date

import pytest
from django.test import Client

from programs.models import Program
from tests.accounts.factories import UserFactory
from tests.conftest import sign_in
from tests.consent.factories import ProgramAccountFactory, owner_grant

MENU = re.compile(r'<nav[^>]*class="account-menu"[^>]*>(.*?)</nav>', re.S)
LINK = re.compile(r'<a href="([^"#]+)(?:#[^"]*)?"[^>]*>([^<]+)<')
HEADING = re.compile(r"<h1[^>]*>\s*(.+?)\s*</h1>", re.S)
MAIN = re.compile(r'<div class="account-layout__main">(.*)</main>', re.S)
HREF = re.compile(r'<a href="([^"#?]+)[^"]*"')
PERIOD = re.compile(r"/\d{4}-\d{2}/")
# The upload page is every uploading program's (its definition names its format): its fuel tax words are its
# help page's and the fuel tax format's.
FUEL_TAX_WORDS = ("fuel tax return", "/help/xml/fuel-tax-return/", "Alberta fuel tax")


def _programs():
    return list(Program.objects.order_by("number").values_list("code", flat=True))


def _dead_end(response) -> bool:
    if response.status_code != 200:
        return True
    if not response["Content-Type"].startswith("text/html"):
        return False  # a download (a confirmation PDF)
    page = response.content.decode()
    return HEADING.search(page) is None or "error-summary" in page


def page_links(page: str, *, number: str) -> list[str]:
    """The links of a page's own content that stay within the account, one per kind of page (the File link
    of one period stands for the File links of every period)."""
    match = MAIN.search(page)
    seen, links = set(), []
    for href in HREF.findall(match.group(1) if match else ""):
        kind = PERIOD.sub("/period/", href)
        if href.startswith(f"/accounts/{number}/") and kind not in seen:
            seen.add(kind)
            links.append(href)
    return links


def menu_links(page: str) -> list[tuple[str, str]]:
    match = MENU.search(page)
    assert match, "the page has no account menu"
    return [(html.unescape(label).strip(), href) for href, label in LINK.findall(match.group(1))]


@pytest.fixture
def owner_of():
    def make(program: str):
        account = ProgramAccountFactory(program=program, effective_date=date(2024, 1, 1))
        user = UserFactory()
        owner_grant(account=account, user=user)
        return account, sign_in(Client(), user)

    return make


@pytest.mark.django_db
def test_every_menu_item_of_every_program_answers_with_a_page(owner_of):
    programs = _programs()
    assert len(programs) >= 6  # every program of programs/reference/programs.yaml
    dead_ends = []
    for program in programs:
        account, client = owner_of(program)
        start = client.get(f"/accounts/{account.number}/")
        assert start.status_code == 200, program
        links = menu_links(start.content.decode())
        assert links, program
        followed = set()
        for label, href in links:
            response = client.get(href)
            if _dead_end(response):
                dead_ends.append((program, label, href, response.status_code))
                continue
            for link in page_links(response.content.decode(), number=account.number):
                if link in followed:
                    continue
                followed.add(link)
                reached = client.get(link, follow=True)
                if _dead_end(reached):
                    dead_ends.append((program, f"{label} -> {link}", reached.status_code))
    assert dead_ends == []


@pytest.mark.django_db
@pytest.mark.parametrize("program", ["carbon_levy", "tefs", "aite", "prop", "tourism_levy"])
def test_programs_without_fuel_tax_returns_show_no_fuel_tax_wording(owner_of, program):
    account, client = owner_of(program)
    start = client.get(f"/accounts/{account.number}/")
    links = menu_links(start.content.decode())
    filing = [href for label, href in links if label == "File a Return"]
    # A marked-fuel seller's File a Return is its monthly report; the tourism levy files its own returns
    # (filings/definitions/tourism_levy.py), in its own words; the others file none.
    expected = {
        "tefs": [f"/accounts/{account.number}/marked-fuel/reports/"],
        "tourism_levy": [f"/accounts/{account.number}/returns/"],
    }
    assert filing == expected.get(program, []), program
    for label, href in [("Account Information", f"/accounts/{account.number}/"), *links]:
        page = client.get(href).content.decode()
        for words in FUEL_TAX_WORDS:
            assert words not in page, (program, label, words)
