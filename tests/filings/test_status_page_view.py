"""The View Assessment Status page of the assessments app shows what filings.selectors.filing_status_for_account
gives (tests/filings/test_status_page.py): reference numbers, statuses, expected processing dates, amended
versions; the menu item in TRACS order; the privilege; a query count that does not grow with the items."""

import html
import re

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from consent.privileges import Privilege
from tests.accounts.factories import UserFactory
from tests.conftest import sign_in
from tests.consent.factories import delegate_grant
from tests.filings.claim_factories import file_claim, status_history
from tests.filings.factories import amend_return, edmonton, file_return


def status_url(account) -> str:
    return reverse("assessment_status", kwargs={"number": account.number})


def text(response) -> str:
    return re.sub(r"\s+", " ", html.unescape(response.content.decode()))


@pytest.fixture
def history(account, owner):
    return status_history(account=account, owner=owner)


def section(page: str, heading: str) -> str:
    """The part of the page under the heading `heading` (up to the next h2)."""
    start = page.index(f">{heading}</h2>")
    end = page.find("<h2", start + 1)
    return page[start : end if end != -1 else len(page)]


def test_the_page_shows_them(account, owner, history):
    page = text(sign_in(Client(), owner).get(status_url(account)))
    in_process = section(page, "In process")
    for key in ("claim", "june", "may", "may_v2"):
        assert history[key].confirmation_number in in_process
    assert "2024-09-06" in in_process
    assert "2024-08-04" in in_process
    assert "2024-08-01" in in_process
    assert "Amended return, May 2024, version 2" in in_process
    assert "In review" in in_process
    assert "Received" in in_process


def test_nothing_filed_yet(account, owner):
    page = text(sign_in(Client(), owner).get(status_url(account)))
    assert "Nothing is in process." in page


def test_the_menu_has_view_assessment_status_in_tracs_order(account, owner):
    page = sign_in(Client(), owner).get(status_url(account)).content.decode()
    menu = re.findall(
        r"<li><a href=\"[^\"]*\"(?: aria-current=\"page\")?>([^<]+)</a></li>",
        page.split('class="account-menu"')[1],
    )
    assert (
        menu.index("Account Information") < menu.index("View Assessment Status") < menu.index("File a Return")
    )
    assert menu.index("File a Return") < menu.index("File a Claim")


def test_a_delegate_without_the_privilege_is_refused(account):
    person = UserFactory()
    delegate_grant(account=account, user=person, privileges=(Privilege.FILE_RETURNS,))
    response = sign_in(Client(), person).get(status_url(account))
    assert response.status_code == 403
    assert "View assessment status and notices" in response.content.decode()


def test_the_page_query_count_does_not_grow_with_returns_versions_and_claims(account, owner):
    client = sign_in(Client(), owner)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(status_url(account)).status_code == 200
        return len(queries)

    with time_machine.travel(edmonton(2024, 6, 3, 9), tick=False):
        file_return(account=account, period="2024-01", user=owner, clear_gasoline__taxable="1")
        file_claim(account=account, user=owner)
    count()  # the first request of the session writes the session; measure after it
    one = count()
    with time_machine.travel(edmonton(2024, 6, 3, 10), tick=False):
        for month in range(2, 6):
            filed = file_return(account=account, period=f"2024-{month:02d}", user=owner, propane__taxable="2")
            amend_return(original=filed, user=owner, propane__taxable="3")
            file_claim(account=account, user=owner)
    assert count() == one
