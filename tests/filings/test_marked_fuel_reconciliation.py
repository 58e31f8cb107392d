"""Pre-submission reconciliation of marked-fuel movements (issue 15, item 6): a seller's acquisitions and
dispositions compared, by counterparty BIN and fuel, with what the other TRACS sellers reported for the month
(filings/sales/reconciliation.py); the explanation the report then asks for, and what staff read in admin."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from consent.privileges import Privilege
from filings.periods import Period
from filings.sales import ingestion, reconciliation, report
from filings.sales.models_report import MarkedFuelReport
from tests.accounts.factories import UserFactory, actor_for, staff_member
from tests.conftest import sign_in
from tests.consent.factories import delegate_grant
from tests.filings.sales_helpers import MONTH, movement_row, seller, web_row
from tests.programs.registry_helpers import registry

pytestmark = pytest.mark.django_db

OCTOBER = Period.from_key(MONTH)
ON_TIME = datetime(2026, 11, 20, 10, 0, tzinfo=ZoneInfo("America/Edmonton"))
SIGNED = {
    "step": "submit",
    "replaces_version": "0",
    "certified_name": "Olivia Owner",
    "certified_capacity": "President",
    "declaration": "on",
}


@pytest.fixture
def buyer():
    registry()
    return seller()


@pytest.fixture
def supplier(buyer):
    return seller()


@pytest.fixture
def filer(buyer):
    user = UserFactory()
    delegate_grant(account=buyer, user=user, privileges=[Privilege.FILE_RETURNS])
    return user


def put(account, rows):
    stored = ingestion.ingestion_rows(
        account=account,
        record_type="movements",
        month=OCTOBER.start,
        rows=[web_row(row) for row in rows],
        actor=actor_for(UserFactory()),
    )
    assert stored.rows_rejected == 0, list(stored.rejected_rows.values_list("reason", flat=True))


def bought(buyer, supplier, document, litres, **values):
    """The buyer's acquisition from the supplier (named by its BIN)."""
    return movement_row(
        buyer,
        document,
        litres=litres,
        counterparty_name="Supplier Ltd.",
        counterparty_number=supplier.taxpayer.bin,
        **values,
    )


def sold(supplier, buyer, document, litres, **values):
    """The supplier's disposition to the buyer (named by its BIN)."""
    return movement_row(
        supplier,
        document,
        movement="disposition",
        litres=litres,
        counterparty_name="Buyer Ltd.",
        counterparty_number=buyer.taxpayer.bin,
        **values,
    )


def differences(account):
    return [
        (row.direction, row.counterparty_number, row.fuel, row.reported, row.counterparty_reported)
        for row in reconciliation.counterparty_differences(account=account, month=OCTOBER.start)
    ]


def test_differences_both_ways_and_matched_rows_hidden(buyer, supplier):
    # Diesel matches (30,000 both sides); gasoline: the buyer reports 5,000, the supplier 4,500.
    put(
        buyer,
        [
            bought(buyer, supplier, "BOL-1", "30000"),
            bought(buyer, supplier, "BOL-2", "5000", fuel="marked_gasoline"),
        ],
    )
    put(
        supplier,
        [sold(supplier, buyer, "D-1", "30000"), sold(supplier, buyer, "D-2", "4500", fuel="marked_gasoline")],
    )
    assert differences(buyer) == [
        ("acquisition", supplier.taxpayer.bin, "marked_gasoline", Decimal("5000"), Decimal("4500"))
    ]
    # The reverse, from the supplier's side: its disposition against the buyer's acquisition.
    (row,) = reconciliation.counterparty_differences(account=supplier, month=OCTOBER.start)
    assert (
        row.direction,
        row.counterparty_number,
        row.reported,
        row.counterparty_reported,
        row.difference,
    ) == (
        "disposition",
        buyer.taxpayer.bin,
        Decimal("4500"),
        Decimal("5000"),
        Decimal("-500"),
    )
    assert row.counterparty_is_seller


def test_a_disposition_the_buyer_never_reported_is_a_difference(buyer, supplier):
    put(supplier, [sold(supplier, buyer, "D-1", "1200")])
    assert differences(buyer) == [
        ("acquisition", supplier.taxpayer.bin, "marked_diesel", Decimal("0"), Decimal("1200"))
    ]


def test_a_revision_counts_once_and_a_void_is_ignored(buyer, supplier):
    put(buyer, [bought(buyer, supplier, "BOL-1", "30000"), bought(buyer, supplier, "BOL-2", "700")])
    put(supplier, [sold(supplier, buyer, "D-1", "29000")])
    # The buyer amends BOL-1 to 29,000 (the amendment replaces it: counted once) and voids BOL-2.
    void = bought(buyer, supplier, "BOL-2", "", record="void")
    for column in ("movement_date", "counterparty_name", "counterparty_number"):
        void[column] = ""
    put(buyer, [bought(buyer, supplier, "BOL-1", "29000", record="amendment"), void])
    assert differences(buyer) == []
    # The supplier amends its disposition: its latest revision is the one compared.
    put(supplier, [sold(supplier, buyer, "D-1", "28000", record="amendment")])
    assert differences(buyer) == [
        ("acquisition", supplier.taxpayer.bin, "marked_diesel", Decimal("29000"), Decimal("28000"))
    ]


def test_a_counterparty_that_is_no_tracs_seller_is_noted_and_asks_no_explanation(buyer):
    put(buyer, [movement_row(buyer, "BOL-1", counterparty_number="999999999")])
    (row,) = reconciliation.counterparty_differences(account=buyer, month=OCTOBER.start)
    assert (row.counterparty_number, row.reported, row.counterparty_is_seller) == (
        "999999999",
        Decimal("30000"),
        False,
    )
    assert not reconciliation.needs_explanation([row])


def test_one_query_whatever_the_number_of_movements(buyer, supplier):
    def queries_for(count):
        put(buyer, [bought(buyer, supplier, f"B{count}-{n}", "10") for n in range(count)])
        put(supplier, [sold(supplier, buyer, f"S{count}-{n}", "9") for n in range(count)])
        with CaptureQueriesContext(connection) as queries:
            reconciliation.counterparty_differences(account=buyer, month=OCTOBER.start)
        return len(queries)

    assert queries_for(1) == queries_for(25) == 1


@time_machine.travel(ON_TIME)
def test_the_page_shows_differences_and_asks_an_explanation_only_then(buyer, supplier, filer):
    client = sign_in(Client(), filer)
    url = reverse("marked_fuel_report_month", kwargs={"number": buyer.number, "period": MONTH})
    put(buyer, [bought(buyer, supplier, "BOL-1", "30000")])
    put(supplier, [sold(supplier, buyer, "D-1", "30000")])
    page = client.get(url).content.decode()
    assert 'data-testid="reconciliation"' not in page
    assert 'name="explanation"' not in page

    put(supplier, [sold(supplier, buyer, "D-2", "500")])
    page = client.get(url).content.decode()
    assert 'data-testid="reconciliation"' in page
    assert "30,500" in page
    assert "-500" in page
    assert 'name="explanation"' in page

    refused = client.post(url, SIGNED)
    assert refused.status_code == 400
    assert str(report.EXPLANATION_REQUIRED) in refused.content.decode()
    assert not MarkedFuelReport.objects.exists()

    filed = client.post(url, {**SIGNED, "explanation": "D-2 was delivered on 1 November."})
    assert filed.status_code == 302
    stored = MarkedFuelReport.objects.get()
    assert stored.explanation == "D-2 was delivered on 1 November."
    assert [(row["direction"], row["difference"]) for row in stored.reconciliation] == [
        ("acquisition", "-500.000")
    ]


@time_machine.travel(ON_TIME)
def test_a_matched_month_is_submitted_without_explanation(buyer, supplier, filer):
    put(buyer, [bought(buyer, supplier, "BOL-1", "30000")])
    put(supplier, [sold(supplier, buyer, "D-1", "30000")])
    client = sign_in(Client(), filer)
    url = reverse("marked_fuel_report_month", kwargs={"number": buyer.number, "period": MONTH})
    assert client.post(url, SIGNED).status_code == 302
    stored = MarkedFuelReport.objects.get()
    assert (stored.explanation, stored.reconciliation) == ("", [])


@time_machine.travel(ON_TIME)
def test_the_page_costs_the_same_queries_whatever_the_number_of_movements(buyer, supplier, filer):
    client = sign_in(Client(), filer)
    url = reverse("marked_fuel_report_month", kwargs={"number": buyer.number, "period": MONTH})

    def queries_for(count):
        put(buyer, [bought(buyer, supplier, f"B{count}-{n}", "10") for n in range(count)])
        put(supplier, [sold(supplier, buyer, f"S{count}-{n}", "9") for n in range(count)])
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    queries_for(1)  # the session and the caches settle
    assert queries_for(2) == queries_for(30)


def test_another_accounts_seller_is_refused(buyer, supplier):
    other = UserFactory()
    delegate_grant(account=supplier, user=other, privileges=[Privilege.FILE_RETURNS])
    client = sign_in(Client(), other)
    url = reverse("marked_fuel_report_month", kwargs={"number": buyer.number, "period": MONTH})
    assert client.get(url).status_code == 404
    assert client.post(url, {**SIGNED, "explanation": "x"}).status_code == 404
    assert not MarkedFuelReport.objects.exists()


@time_machine.travel(ON_TIME)
def test_staff_see_the_differences_and_the_explanation_in_admin(buyer, supplier, filer):
    put(buyer, [bought(buyer, supplier, "BOL-1", "30000")])
    put(supplier, [sold(supplier, buyer, "D-1", "29000")])
    filed = report.marked_fuel_report_submit(
        account=buyer,
        period_end=OCTOBER.end,
        certified_name="Olivia Owner",
        certified_capacity="President",
        actor=actor_for(filer).acting_for(capacity="delegate"),
        explanation="1,000 L still in transit.",
    )
    client = sign_in(Client(), staff_member("assessor"))
    page = client.get(reverse("admin:filings_markedfuelreport_change", args=[filed.pk])).content.decode()
    assert "1,000 L still in transit." in page
    assert "Differences with counterparties when filed" in page
    assert supplier.taxpayer.bin in page
    assert "<td>Acquisition</td>" in page
    assert "<td>Marked diesel</td>" in page
    assert "29000" in page
    assert "1000" in page
