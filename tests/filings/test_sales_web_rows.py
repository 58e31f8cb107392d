"""The web forms' door of the one ingestion service: the same rules and store, synchronous, rows numbered from 1,
validate-only or all-or-nothing, accepted at the application's time, and a corrected rejected sale linked to the rejection it corrects."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from filings.sales import selectors
from filings.sales.ingestion import ingestion_rows
from filings.sales.models import Ingestion, RejectedRow, Sale
from tests.accounts.factories import UserFactory, actor_for
from tests.filings.sales_helpers import (
    OCTOBER,
    inventory_row,
    movement_row,
    registered_seller,
    sale_row,
    seller,
    web_row,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def account():
    return registered_seller()


def submit(account, rows, record_type="sales", **kwargs):
    return ingestion_rows(
        account=account,
        record_type=record_type,
        month=OCTOBER,
        rows=[web_row(row) for row in rows],
        actor=actor_for(UserFactory()),
        **kwargs,
    )


def test_web_rows_go_through_the_same_rules_and_store(account):
    checked = submit(
        account,
        [sale_row(account, "W", 1), sale_row(account, "W", 2, exemption_number="F1000002")],
        validate_only=True,
    )
    assert (checked.door, checked.format, checked.status, checked.validate_only) == (
        "web",
        "web",
        "done",
        True,
    )
    rejected = list(selectors.acknowledgement_rows(ingestion=checked))
    assert [(r.row_number, r.field) for r in rejected] == [(2, "exemption_number")]
    assert rejected[0].reason == "F1000002 was cancelled on the sale date."
    assert not Sale.objects.exists()
    stored = submit(
        account, [sale_row(account, "W", 1), sale_row(account, "W", 2, exemption_number="F1000002")]
    )
    assert (stored.rows_accepted, stored.rows_rejected) == (1, 1)
    assert Sale.objects.get().row_number == 1
    assert [r.row_number for r in selectors.rejected_sales(account=account)] == [2]


def test_a_corrected_row_links_to_the_rejection_it_corrects(account):
    first = submit(account, [sale_row(account, "W", 1, exemption_number="F9999999")])
    rejection = RejectedRow.objects.get(ingestion=first)
    other = seller()
    foreign = submit(other, [sale_row(other, "W", 1, exemption_number="F9999999")]).rejected_rows.get()
    corrected = submit(
        account,
        [
            {**sale_row(account, "W", 1), "corrects_rejected": rejection.pk},
            {**sale_row(account, "W", 2), "corrects_rejected": foreign.pk},  # another account's
            {**sale_row(account, "W", 3), "corrects_rejected": "abc"},
        ],
    )
    assert {r.row_number: (r.field, r.errors[0]["code"]) for r in corrected.rejected_rows.all()} == {
        2: ("corrects_rejected", "correction_invalid"),
        3: ("corrects_rejected", "correction_invalid"),
    }
    rejection.refresh_from_db()
    assert rejection.corrected_by == Sale.objects.get(line=1)
    assert rejection not in selectors.rejected_sales(account=account)
    again = submit(
        account, [{**sale_row(account, "W", 4), "corrects_rejected": rejection.pk}]
    )  # corrected already
    assert again.rejected_rows.get().field == "corrects_rejected"


def test_web_movements_and_counts(account):
    assert submit(account, [movement_row(account)], record_type="movements").rows_accepted == 1
    assert submit(account, [inventory_row(account)], record_type="inventory").rows_accepted == 1
    assert Ingestion.objects.filter(door="web").count() == 2


@pytest.mark.parametrize(("record_type", "rows"), [("refunds", [{}]), ("sales", []), ("sales", [{}] * 501)])
def test_web_rows_refuse_what_no_form_sends(account, record_type, rows):
    with pytest.raises(ValueError, match="record type|rows"):
        submit(account, rows, record_type=record_type)


def test_only_if_all_accepted_stores_nothing_when_one_row_is_rejected(account):
    good, bad = sale_row(account, "A", 1), sale_row(account, "A", 2, exemption_number="F1000002")
    refused = submit(account, [good, bad], only_if_all_accepted=True)
    assert (refused.validate_only, refused.rows_accepted, refused.rows_rejected) == (True, 1, 1)
    assert not Sale.objects.exists()
    stored = submit(account, [good], only_if_all_accepted=True)
    assert (stored.validate_only, stored.rows_accepted) == (False, 1)
    assert Sale.objects.count() == 1


def test_a_sale_is_accepted_at_the_applications_time(account, time_machine):
    """The acceptance time places a sale in its claim period: it is the application's clock (which time-machine
    moves, as the demo's history does), not the database's."""
    moment = datetime(2026, 11, 3, 16, 0, tzinfo=ZoneInfo("America/Edmonton"))
    time_machine.move_to(moment, tick=False)
    submit(account, [sale_row(account, "T", 1), sale_row(account, "T", 2, exemption_number="F1000002")])
    assert list(Sale.objects.values_list("created_at", flat=True)) == [moment]
    assert list(RejectedRow.objects.values_list("created_at", flat=True)) == [moment]
