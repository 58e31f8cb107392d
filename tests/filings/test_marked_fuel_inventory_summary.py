"""Inventory Summary (issue 15, item 4): per BFLO and fuel the monthly report's computed closing beside the
counted one, the variance in litres and percent, flagged past the tolerance kept as dated data; the month chosen
by a GET form; the Excel export opened back with openpyxl; a query count flat in the sales; another account's
page not found."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from consent.privileges import Privilege
from filings.claim_rules import RuleDataError
from filings.periods import Period
from filings.sales import inventory_rules, inventory_summary
from filings.sales.models import InventoryCount
from tests.accounts.factories import UserFactory
from tests.conftest import sign_in
from tests.consent.factories import delegate_grant
from tests.filings.sales_helpers import bflo, inventory_row, sale_row, seller
from tests.filings.test_marked_fuel_report import OCTOBER, a_month, put
from tests.programs.registry_helpers import registry

pytestmark = pytest.mark.django_db


@pytest.fixture
def account():
    registry()
    return seller()


@pytest.fixture
def clerk(account):
    user = UserFactory()
    delegate_grant(account=account, user=user, privileges=[Privilege.REPORT_FUEL])
    return sign_in(Client(), user)


def url(name: str, account) -> str:
    return reverse(name, kwargs={"number": account.number})


def recount(account, litres: str) -> None:
    """October's diesel closing at the first BFLO counted again (the latest recount stands)."""
    put(account, "inventory", [inventory_row(account, litres=litres)])
    assert InventoryCount.objects.filter(account=account, month=OCTOBER.start).count() == 2


def test_the_variance_in_litres_and_percent_is_flagged_past_the_tolerance(account):
    a_month(account)
    within = inventory_summary.inventory_summary(account=account, period=OCTOBER)
    diesel = within.lines[0]
    # 11,099.5 computed, 11,100 counted: 0.5 litres, 0.00 percent, within 0.5 percent.
    assert (diesel.closing_computed, diesel.difference) == (Decimal("11099.5"), Decimal("0.5"))
    assert (diesel.percent, diesel.flagged) == (Decimal("0.00"), False)
    assert within.lines[1].percent is None
    assert not within.lines[1].flagged
    assert within.tolerance.percent == Decimal("0.5")
    assert within.tolerance.verified is False
    recount(account, "11000")
    past = inventory_summary.inventory_summary(account=account, period=OCTOBER).lines[0]
    # -99.5 / 11,099.5 = -0.8964...%: -0.90, past 0.5 percent.
    assert (past.difference, past.percent, past.flagged) == (Decimal("-99.5"), Decimal("-0.90"), True)


def test_the_page_shows_the_month_asked_for(clerk, account):
    a_month(account)
    recount(account, "11000")
    response = clerk.get(url("marked_fuel_inventory_summary", account), {"month": "2026-10"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "A variance of more than 0.5% of the computed closing inventory is flagged." in body
    assert "TRA has not published one" in body
    assert "1 location and fuel is past the tolerance." in body
    assert "-0.90%" in body
    assert "past tolerance</strong>" in body
    assert bflo(account, 2) in body
    september = clerk.get(url("marked_fuel_inventory_summary", account), {"month": "2026-09"})
    assert september.status_code == 200
    assert september.context["inventory"].summary.period == Period.from_key("2026-09")


def test_a_month_not_of_the_account_is_refused_beside_its_field(clerk, account):
    response = clerk.get(url("marked_fuel_inventory_summary", account), {"month": "1999-01"})
    assert response.status_code == 400
    assert "Choose a month of this account." in response.content.decode()
    assert "inventory" not in response.context
    export = clerk.get(url("marked_fuel_inventory_summary_xlsx", account), {"month": "1999-01"})
    assert export.status_code == 302
    assert export["Location"] == f"{url('marked_fuel_inventory_summary', account)}?month=1999-01"


def test_the_excel_export_holds_the_summary(clerk, account):
    a_month(account)
    recount(account, "11000")
    response = clerk.get(url("marked_fuel_inventory_summary_xlsx", account), {"month": "2026-10"})
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith(f'inventory-summary-{account.number}-2026-10.xlsx"')
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    rows = [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]
    assert rows[0][0].startswith(f"Inventory summary of account {account.number}")
    assert rows[1][0] == "Tolerance 0.5% of the computed closing (unverified)"
    assert rows[2][-3:] == ["Variance (litres)", "Variance (%)", "Past tolerance"]
    diesel = rows[3]
    assert diesel[:2] == [bflo(account, 1), "Marked diesel"]
    assert [Decimal(str(value)) for value in diesel[2:11]] == [
        Decimal(text) for text in ("10000", "3000", "0", "1500.5", "0", "400", "11099.5", "11000", "-99.5")
    ]
    assert (Decimal(str(diesel[11])), diesel[12]) == (Decimal("-0.9"), "yes")
    assert rows[4][9] is None
    assert rows[4][12] == "no"


def _queries(client, page: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(page, {"month": "2026-10"}).status_code == 200
    return len(captured)


def test_the_query_count_does_not_grow_with_the_sales(clerk, account):
    a_month(account)
    page = url("marked_fuel_inventory_summary", account)
    _queries(clerk, page)  # the first request of a session also reads what later ones have cached
    few = _queries(clerk, page)
    put(account, "sales", [sale_row(account, f"MORE-{n}", litres="1") for n in range(40)])
    assert _queries(clerk, page) == few


def test_another_accounts_seller_is_not_found(clerk, account):
    other = seller()
    for name in ("marked_fuel_inventory_summary", "marked_fuel_inventory_summary_xlsx"):
        assert clerk.get(url(name, other)).status_code == 404


RULES = """
references:
  a: the first
  b: the second
tolerance:
  - {from: 2007-01-01, percent: "0.5", verified: false, source: a}
  - {from: 2027-01-01, percent: "1", verified: true, source: b}
"""


def test_the_tolerance_in_force_is_chosen_by_date(tmp_path, monkeypatch):
    path = tmp_path / "rules.yaml"
    path.write_text(RULES)
    monkeypatch.setattr(inventory_rules, "tolerances", lambda: inventory_rules.parse(path))
    assert inventory_rules.tolerance_for(Period.from_key("2026-12")).percent == Decimal("0.5")
    assert inventory_rules.tolerance_for(Period.from_key("2027-01")).percent == Decimal("1")
    assert inventory_rules.tolerance_for(Period.of(date(2001, 5, 1))).percent == Decimal("0.5")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (RULES.replace('"1"', '"lots"'), "percent must be a number"),
        (RULES.replace('"1"', '"-1"'), "percent must be zero or more"),
        (RULES.replace("source: b", "source: c"), "is not in references"),
        (RULES.replace("2027-01-01", "2006-01-01"), "strictly increasing"),
        (RULES.replace("verified: true", "verified: maybe"), "verified must be true or false"),
    ],
)
def test_a_malformed_tolerance_file_stops_the_process(tmp_path, text, message):
    path = tmp_path / "rules.yaml"
    path.write_text(text)
    with pytest.raises(RuleDataError, match=message):
        inventory_rules.parse(path)


def test_the_percent_is_rounded_half_up(account):
    """2,000 L counted at the end of September, nothing moved, 2,000.1 counted at the end of October: 0.1 L is
    0.005 percent of the 2,000 computed, 0.01 rounded half up (as programs/money.py rounds), within tolerance."""
    september = Period.from_key("2026-09")
    put(account, "inventory", [{**inventory_row(account), "month": "2026-09", "litres": "2000"}], september)
    put(account, "inventory", [inventory_row(account, litres="2000.1")])
    line = inventory_summary.inventory_summary(account=account, period=OCTOBER).lines[0]
    assert (line.opening, line.closing_computed, line.difference) == (
        Decimal(2000),
        Decimal(2000),
        Decimal("0.1"),
    )
    assert (line.percent, line.flagged) == (Decimal("0.01"), False)
