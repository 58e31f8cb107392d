"""The marked-fuel pages do the same number of queries whatever the month holds (issue 13's rule for pages people
open often): each is read for a seller with 3 of everything and one with 30 (sales, rejected sales, corrections,
movements, counts, reports)."""

from __future__ import annotations

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from filings.periods import Period
from filings.sales import ingestion, report
from filings.sales.models import RejectedRow, Sale
from tests.accounts.factories import UserFactory, actor_for
from tests.conftest import sign_in
from tests.consent.factories import owner_grant
from tests.filings.sales_helpers import MONTH, bflo, inventory_row, movement_row, sale_row, seller, web_row
from tests.programs.registry_helpers import registry

pytestmark = pytest.mark.django_db
OCTOBER = Period.from_key(MONTH)

PAGES = [
    "/accounts/{number}/marked-fuel/sales/",
    f"/accounts/{{number}}/marked-fuel/sales/{MONTH}/",
    "/accounts/{number}/marked-fuel/sales/rejected/",
    f"/accounts/{{number}}/marked-fuel/inventory/?month={MONTH}",
    "/accounts/{number}/marked-fuel/reports/",
    f"/accounts/{{number}}/marked-fuel/reports/{MONTH}/",
    "/accounts/{number}/assessments/",
]


def _fill(account, user, count: int) -> None:
    actor = actor_for(user).acting_for(capacity="owner")

    def put(record_type, rows):
        return ingestion.ingestion_rows(
            account=account,
            record_type=record_type,
            month=OCTOBER.start,
            rows=[web_row(row) for row in rows],
            actor=actor,
        )

    put("sales", [sale_row(account, f"INV-{n}") for n in range(count)])
    put("sales", [sale_row(account, f"BAD-{n}", exemption_number="F9999999") for n in range(count)])
    for rejected in RejectedRow.objects.filter(ingestion__account=account, ingestion__validate_only=False)[
        : count - 1
    ]:
        put("sales", [{**sale_row(account, f"FIX-{rejected.pk}"), "corrects_rejected": str(rejected.pk)}])
    put(
        "movements",
        [movement_row(account, f"BOL-{n}", bflo_number=bflo(account, 1 + n % 2)) for n in range(count)],
    )
    put(
        "inventory",
        [
            inventory_row(account, bflo_number=bflo(account, n), fuel=fuel)
            for n in (1, 2)
            for fuel in ("marked_diesel", "marked_gasoline")
        ],
    )
    assert Sale.objects.filter(account=account).count() == 2 * count - 1


def _counts(count: int) -> list[int]:
    account = seller()
    user = UserFactory()
    owner_grant(account=account, user=user)
    _fill(account, user, count)
    with time_machine.travel("2026-11-20 10:00 -07:00"):
        for n in range(min(count, 3)):
            report.marked_fuel_report_submit(
                account=account,
                period_end=OCTOBER.end,
                certified_name="A",
                certified_capacity="B",
                actor=actor_for(user).acting_for(capacity="owner"),
                replaces_version=n,
            )
    client = sign_in(Client(), user)
    client.get(f"/accounts/{account.number}/")  # warm the session and the compiled access query
    counts = []
    for page in PAGES:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(page.format(number=account.number))
        assert response.status_code == 200, page
        counts.append(len(queries))
    return counts


def test_the_marked_fuel_pages_do_not_grow_with_the_month():
    registry()
    assert _counts(3) == _counts(30)
