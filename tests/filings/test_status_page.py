"""View Assessment Status: filings.selectors.filing_status_for_account gives every return and claim of the
account with its receipt date, status, processed date, expected processing date (the service standard) and
reference number, amended returns as versions of their original, in two queries whatever their number; the
page of the assessments app shows them (its notices are the assessments app's own tests)."""

import html
import re
from datetime import date

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from filings.models import FuelTaxReturn
from filings.selectors import filing_status_for_account
from filings.status import filing_status_change
from tests.accounts.factories import UserFactory
from tests.consent.factories import ProgramAccountFactory, owner_grant
from tests.filings.claim_factories import file_claim, line, status_history
from tests.filings.factories import amend_return, edmonton, file_return, status_actor


def status_url(account) -> str:
    return reverse("assessment_status", kwargs={"number": account.number})


def text(response) -> str:
    return re.sub(r"\s+", " ", html.unescape(response.content.decode()))


def section(page: str, heading: str) -> str:
    """The part of the page under the heading `heading` (up to the next h2)."""
    start = page.index(f">{heading}</h2>")
    end = page.find("<h2", start + 1)
    return page[start : end if end != -1 else len(page)]


def rows_of(groups):
    return [
        (
            row.reference,
            row.description,
            row.status,
            row.received_at.date().isoformat(),
            row.expected_on,
            row.processed_at,
            row.is_amendment,
        )
        for group in groups
        for row in group.rows
    ]


@pytest.fixture
def history(account, owner):
    return status_history(account=account, owner=owner)


def test_every_return_and_claim_with_its_dates(account, history):
    """Expected processing dates: returns 30 days, claims 60 days after receipt (service_standards.yaml):
    claim 2024-07-08 + 60 = 2024-09-06; June 2024-07-05 + 30 = 2024-08-04; May v2 2024-07-02 + 30 = 2024-08-01;
    May (original) 2024-06-03 + 30 = 2024-07-03, but it was processed (assessed) on 2024-06-20."""
    status = filing_status_for_account(account=account)
    may, may_v2, june, claim = (history[key] for key in ("may", "may_v2", "june", "claim"))
    assert rows_of(status.in_process) == [
        (
            claim.confirmation_number,
            "Fuel tax refund claim",
            "received",
            "2024-07-08",
            date(2024, 9, 6),
            None,
            False,
        ),
        (
            june.confirmation_number,
            "Fuel tax return, June 2024",
            "in_review",
            "2024-07-05",
            date(2024, 8, 4),
            None,
            False,
        ),
        (
            may.confirmation_number,
            "Fuel tax return, May 2024",
            "assessed",
            "2024-06-03",
            date(2024, 7, 3),
            edmonton(2024, 6, 20, 9),
            False,
        ),
        (
            may_v2.confirmation_number,
            "Amended return, May 2024, version 2",
            "received",
            "2024-07-02",
            date(2024, 8, 1),
            None,
            True,
        ),
    ]
    assert status.completed == []
    # May's group is in process while its amendment is: the versions stay together, the original first
    assert [row.in_process for row in status.in_process[2].rows] == [False, True]
    assert status.in_process[2].latest_received_at == may_v2.received_at
    assert set(status.filings) == {may, may_v2, june, claim}


def test_completed_items_show_their_processed_date(account, history):
    staff = UserFactory(is_staff=True)
    with time_machine.travel(edmonton(2024, 8, 1, 9), tick=False):
        filing_status_change(
            filing=history["june"], status=FuelTaxReturn.Status.ASSESSED, actor=status_actor(staff)
        )
    status = filing_status_for_account(account=account)
    assert [row.reference for group in status.completed for row in group.rows] == [
        history["june"].confirmation_number
    ]
    (row,) = status.completed[0].rows
    assert (row.status_label, row.processed_at, row.in_process) == (
        "Assessed",
        edmonton(2024, 8, 1, 9),
        False,
    )


def test_carbon_levy_claims_with_their_standard(db):
    account = ProgramAccountFactory(program="carbon_levy")
    user = UserFactory()
    owner_grant(account=account, user=user)
    with time_machine.travel(edmonton(2019, 6, 15), tick=False):
        file_claim(
            account=account,
            user=user,
            kind="carbon_levy_vendor",
            lines=[line("clear_diesel", "10", "2019-01-10")],
        )
    (group,) = filing_status_for_account(account=account).in_process
    assert (group.rows[0].description, group.rows[0].expected_on) == (
        "Carbon levy refund claim, fuel vendor (AT5135)",
        date(2019, 8, 14),  # 2019-06-15 + 60 days
    )


def test_the_selector_takes_two_queries_whatever_the_number(account, owner):
    staff = UserFactory(is_staff=True)
    with time_machine.travel(edmonton(2024, 6, 3, 9), tick=False):
        for month in range(1, 6):
            filed = file_return(account=account, period=f"2024-{month:02d}", user=owner, propane__taxable="2")
            amend_return(original=filed, user=owner, propane__taxable="3")
            filing_status_change(
                filing=filed, status=FuelTaxReturn.Status.ASSESSED, actor=status_actor(staff)
            )
            file_claim(account=account, user=owner)
    account = type(account).objects.select_related("program").get(pk=account.pk)
    with CaptureQueriesContext(connection) as queries:
        status = filing_status_for_account(account=account)
    assert len(queries) == 2
    assert len(status.filings) == 15
