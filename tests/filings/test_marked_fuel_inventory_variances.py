"""Every seller's inventory variances in staff administration (issue 15, item 4): a month's lines of every seller,
the largest variance first, filtered by month, seller, fuel and past tolerance only, paged, linked to the seller's
report in the report queue, exported to Excel; the same figures as each seller's own Inventory Summary (one
statement, filings.sales.inventory_sql); one query for the lines however many sellers; read by the assessor, the
exemptions officer and the auditor only; each read access-logged."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from accounts.models import AccessLogEntry
from filings.periods import Period
from filings.sales import admin_inventory, inventory_sql, report
from tests.accounts.factories import UserFactory, actor_for, staff_member
from tests.conftest import sign_in
from tests.filings.sales_helpers import bflo, inventory_row, seller
from tests.filings.test_marked_fuel_inventory_summary import recount
from tests.filings.test_marked_fuel_report import OCTOBER, a_month, put
from tests.programs.registry_helpers import registry

pytestmark = pytest.mark.django_db

PAGE = reverse("admin:filings_inventoryvariance_changelist")
EXCEL = reverse("admin:filings_inventoryvariance_excel")


@pytest.fixture
def sellers():
    """Two sellers' October: the first counted 99.5 L short at its Lacombe diesel (past tolerance), the second
    0.5 L over (within)."""
    registry()
    short, close = seller(), seller()
    for account in (short, close):
        a_month(account)
    recount(short, "11000")
    return short, close


@pytest.fixture
def assessor():
    return sign_in(Client(), staff_member("assessor"))


def lines_of(response) -> list[tuple[str, str, str, Decimal | None]]:
    return [
        (line.account_number, line.bflo_number, line.fuel, line.difference)
        for line in response.context["lines"]
    ]


def test_every_sellers_lines_come_largest_variance_first(assessor, sellers):
    short, close = sellers
    response = assessor.get(PAGE, {"month": "2026-10"})
    assert response.status_code == 200
    uncounted = sorted((account.number, bflo(account, 2), "marked_gasoline", None) for account in sellers)
    assert lines_of(response) == [
        (short.number, bflo(short, 1), "marked_diesel", Decimal("-99.5")),
        (close.number, bflo(close, 1), "marked_diesel", Decimal("0.5")),
        *uncounted,  # no closing count, no variance: last, by account
    ]
    first = response.context["lines"][0]
    assert (first.percent, first.flagged, first.legal_name) == (
        Decimal("-0.90"),
        True,
        short.taxpayer.legal_name,
    )
    body = response.content.decode()
    assert 'class="row--flagged"' in body
    assert body.count("row--flagged") == 1
    assert "A variance of more than 0.5% of the computed closing inventory is flagged." in body
    assert "4 lines." in body


def test_the_lines_are_each_sellers_own_inventory_summary(sellers):
    """One computation: staff's line of a seller is the line the seller's page shows, figure for figure."""
    every = inventory_sql.inventory_lines(inventory_sql.Selection(period=OCTOBER)).lines
    for account in sellers:
        own = report.month_summary(account=account, period=OCTOBER).lines
        figures = (
            "opening acquired imported sold disposed exported closing_computed closing_counted difference percent "
            "flagged"
        ).split()
        theirs = [line for line in every if line.account_id == account.pk]
        assert [(line.bflo_number, line.fuel) for line in theirs] == [
            (line.location.number, line.fuel) for line in own
        ]
        for staff_line, seller_line in zip(theirs, own, strict=True):
            assert [getattr(staff_line, name) for name in figures] == [
                getattr(seller_line, name) for name in figures
            ]


def test_the_filters_narrow_the_lines(assessor, sellers):
    short, close = sellers
    only_close = assessor.get(PAGE, {"month": "2026-10", "seller": close.number})
    assert {number for number, *_rest in lines_of(only_close)} == {close.number}
    gasoline = assessor.get(PAGE, {"month": "2026-10", "fuel": "marked_gasoline"})
    assert {fuel for _n, _b, fuel, _d in lines_of(gasoline)} == {"marked_gasoline"}
    flagged = assessor.get(PAGE, {"month": "2026-10", "flagged": "on"})
    assert lines_of(flagged) == [(short.number, bflo(short, 1), "marked_diesel", Decimal("-99.5"))]
    september = assessor.get(PAGE, {"month": "2026-09"})
    # September: the closing counts alone (10,000 L counted, nothing computed: past tolerance)
    assert [line.closing_counted for line in september.context["lines"]] == [Decimal("10000")] * 2
    assert all(line.flagged and line.percent is None for line in september.context["lines"])


def test_the_month_shown_first_is_the_last_one_ended(assessor, sellers):
    response = assessor.get(PAGE)
    assert response.status_code == 200
    assert response.context["period"] == admin_inventory.month_default(timezone.localdate())
    assert response.context["period"] == Period.of(timezone.localdate()).previous()


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"month": "2026-13"}, admin_inventory.MONTH_INVALID),
        ({"month": "October"}, admin_inventory.MONTH_INVALID),
        ({"month": "2026-10", "seller": "999999999-02-001"}, "No marked-fuel seller has the account number"),
        ({"month": "2026-10", "fuel": "clear_diesel"}, "Select a valid choice."),
    ],
)
def test_a_filter_not_understood_is_refused_beside_its_field(assessor, sellers, query, message):
    response = assessor.get(PAGE, query)
    assert response.status_code == 400
    assert str(message) in response.content.decode()
    assert "lines" not in response.context
    export = assessor.get(EXCEL, query)
    assert export.status_code == 302
    assert export["Location"].startswith(PAGE)


def test_a_fuel_tax_account_is_no_seller_to_filter_by(assessor, sellers):
    from tests.consent.factories import ProgramAccountFactory

    other = ProgramAccountFactory(program="fuel_tax")
    response = assessor.get(PAGE, {"month": "2026-10", "seller": other.number})
    assert response.status_code == 400


@pytest.mark.parametrize("page", ["0", "x", "-1", "9"])
def test_a_page_that_is_not_there_is_not_found(assessor, sellers, page):
    assert assessor.get(PAGE, {"month": "2026-10", "p": page}).status_code == 404


def test_the_lines_come_a_page_at_a_time_with_the_filters_kept(assessor, sellers, monkeypatch):
    monkeypatch.setattr(admin_inventory, "PER_PAGE", 3)
    first = assessor.get(PAGE, {"month": "2026-10", "fuel": ""})
    assert (len(first.context["lines"]), first.context["pages"], first.context["total"]) == (3, 2, 4)
    assert first.context["previous_url"] == ""
    assert first.context["next_url"] == "?month=2026-10&fuel=&p=2"
    second = assessor.get(PAGE, {"month": "2026-10", "fuel": "", "p": "2"})
    assert len(second.context["lines"]) == 1
    assert second.context["previous_url"] == "?month=2026-10&fuel=&p=1"
    assert second.context["next_url"] == ""
    assert 'rel="prev"' in second.content.decode()


def test_a_line_links_to_the_sellers_report_in_the_queue(sellers):
    short, _close = sellers
    filed = report.marked_fuel_report_submit(
        account=short,
        period_end=OCTOBER.end,
        certified_name="Olivia Owner",
        certified_capacity="President",
        actor=actor_for(UserFactory()).acting_for(capacity="owner"),
    )
    link = reverse("admin:filings_markedfuelreport_change", args=[filed.pk])
    assessor = sign_in(Client(), staff_member("assessor"))
    body = assessor.get(PAGE, {"month": "2026-10"}).content.decode()
    assert f'<a href="{link}">{filed.confirmation_number}</a>' in body
    assert "not filed" in body  # the other seller's October
    # The exemptions officer reads the variances, not the report queue: the confirmation number, no link.
    officer = sign_in(Client(), staff_member("exemptions_officer"))
    body = officer.get(PAGE, {"month": "2026-10"}).content.decode()
    assert filed.confirmation_number in body
    assert link not in body


def _queries(client, query) -> tuple[int, int]:
    """(queries of the page, of them those that read inventory lines)."""
    with CaptureQueriesContext(connection) as captured:
        assert client.get(PAGE, query).status_code == 200
    return len(captured), sum(1 for query in captured.captured_queries if "WITH sellers AS" in query["sql"])


def test_a_page_is_one_query_for_the_lines_however_many_sellers(assessor, sellers):
    month = {"month": "2026-10"}
    _queries(assessor, month)  # the first request of a session also reads what later ones have cached
    few = _queries(assessor, month)
    for _n in range(4):
        account = seller()
        put(account, "inventory", [inventory_row(account, litres="500")])
    many = _queries(assessor, month)
    assert many == few
    assert many[1] == 1
    assert len(assessor.get(PAGE, month).context["lines"]) == 8


def test_each_read_and_export_is_access_logged(assessor, sellers):
    short, _close = sellers
    assessor.get(PAGE, {"month": "2026-10"})
    entry = AccessLogEntry.objects.filter(action="inventory variances read in staff administration").latest(
        "id"
    )
    assert (entry.kind, entry.capacity, entry.account_number) == ("read", "staff", "")
    assert entry.detail == "2026-10, every seller, both fuels: page 1, 4 of 4 lines"
    assessor.get(PAGE, {"month": "2026-10", "seller": short.number, "flagged": "on"})
    entry = AccessLogEntry.objects.filter(action="inventory variances read in staff administration").latest(
        "id"
    )
    assert (entry.account_number, entry.on_behalf_of) == (short.number, short.on_behalf_of)
    assert "past tolerance only" in entry.detail
    assessor.get(EXCEL, {"month": "2026-10", "fuel": "marked_diesel"})
    entry = AccessLogEntry.objects.filter(action="inventory variances exported in staff administration").get()
    assert entry.detail == "2026-10, every seller, Marked diesel"


def test_the_excel_export_holds_every_line_of_the_selection(assessor, sellers, monkeypatch):
    short, close = sellers
    monkeypatch.setattr(admin_inventory, "PER_PAGE", 1)  # the export is the whole selection, not a page
    response = assessor.get(EXCEL, {"month": "2026-10"})
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('inventory-variances-2026-10.xlsx"')
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    rows = [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]
    assert rows[0][0] == "Inventory variances, 2026-10, every seller, both fuels"
    assert rows[1][0] == "Tolerance 0.5% of the computed closing (unverified)"
    assert rows[2][:3] == ["Account", "Seller", "BFLO"]
    assert rows[2][-3:] == ["Variance (litres)", "Variance (%)", "Past tolerance"]
    assert len(rows) == 3 + 4
    largest = rows[3]
    assert largest[:4] == [short.number, short.taxpayer.legal_name, bflo(short, 1), "Marked diesel"]
    assert (Decimal(str(largest[12])), Decimal(str(largest[13])), largest[14]) == (
        Decimal("-99.5"),
        Decimal("-0.9"),
        "yes",
    )
    assert rows[4][0] == close.number
    one = assessor.get(EXCEL, {"month": "2026-10", "seller": close.number})
    assert one["Content-Disposition"].endswith(f'inventory-variances-2026-10-{close.number}.xlsx"')


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("assessor", True),
        ("exemptions_officer", True),
        ("auditor", True),
        ("refund_approver", False),
        ("registration_officer", False),
    ],
)
def test_only_the_roles_that_read_variances_open_them(sellers, role, allowed):
    client = sign_in(Client(), staff_member(role))
    for url in (PAGE, EXCEL):
        assert client.get(url, {"month": "2026-10"}).status_code == (200 if allowed else 403)
    if not allowed:
        assert not AccessLogEntry.objects.filter(action__startswith="inventory variances").exists()


def test_the_period_label_is_shown(assessor, sellers):
    assert Period.from_key("2026-10").label in assessor.get(PAGE, {"month": "2026-10"}).content.decode()
