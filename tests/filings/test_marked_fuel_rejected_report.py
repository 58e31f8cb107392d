"""Rejected Sales (issue 15, item 5): every rejected sale of the TEFS account with its reason and its correction
(linked), filtered by month reported, reason and status through a GET form, paginated, exported to Excel (opened
back here with openpyxl); the page's query count does not grow with the rows; another account's page is not
found."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from consent.privileges import Privilege
from filings.sales import ingestion, rejected_report, views_rejected
from filings.sales.models import RejectedRow, Sale
from tests.accounts.factories import UserFactory, actor_for
from tests.conftest import sign_in
from tests.consent.factories import delegate_grant
from tests.filings.sales_helpers import OCTOBER, sale_row, seller
from tests.programs.registry_helpers import registry

pytestmark = pytest.mark.django_db

SEPTEMBER = date(2026, 9, 1)


@pytest.fixture
def account():
    registry()
    return seller()


@pytest.fixture
def user():
    return UserFactory()


@pytest.fixture
def clerk(account, user):
    """A delegate who reports fuel transactions (REPORT_FUEL), nothing else."""
    delegate_grant(account=account, user=user, privileges=[Privilege.REPORT_FUEL])
    return sign_in(Client(), user)


def url(name: str, account) -> str:
    return reverse(name, kwargs={"number": account.number})


def send(account, user, month: date, rows: list[dict[str, str]]):
    key = f"{month:%Y-%m}"
    return ingestion.ingestion_rows(
        account=account,
        record_type="sales",
        month=month,
        rows=[{**row, "month": key, "sale_date": f"{key}-15"} for row in rows],
        actor=actor_for(user),
    )


def unknown(account, invoice: str, **values) -> dict[str, str]:
    """A sale to a number the registry does not hold (reason code `unknown`)."""
    return sale_row(account, invoice, exemption_number="F9999999", **values)


def cancelled(account, invoice: str) -> dict[str, str]:
    """A sale to the AFFB number cancelled in 2024 (reason code `cancelled`)."""
    return sale_row(account, invoice, exemption_number="F1000002")


@pytest.fixture
def rejected(account, user):
    """Three rejected sales: two in October (a number unknown, a number cancelled), one in September (unknown),
    the September one corrected since."""
    send(account, user, OCTOBER, [unknown(account, "OCT-1"), cancelled(account, "OCT-2")])
    send(account, user, SEPTEMBER, [unknown(account, "SEP-1")])
    september = RejectedRow.objects.get(values__invoice_number="SEP-1")
    send(
        account,
        user,
        SEPTEMBER,
        [{**sale_row(account, "SEP-1"), "corrects_rejected": str(september.pk)}],
    )
    september.refresh_from_db()
    assert september.corrected_by is not None
    return september


def invoices(response) -> list[str]:
    return [row.values["invoice_number"] for row in response.context["page_obj"].object_list]


def test_every_rejected_sale_is_listed_with_its_reason_and_its_correction_linked(clerk, account, rejected):
    response = clerk.get(url("marked_fuel_rejected", account))
    assert response.status_code == 200
    assert sorted(invoices(response)) == ["OCT-1", "OCT-2", "SEP-1"]
    body = response.content.decode()
    assert "2 rejected sales are waiting to be corrected." in body
    assert "Number not in the exemption registry" in body
    assert "Number cancelled on the sale date" in body
    assert "F1000002 was cancelled on the sale date." in body
    sale = Sale.objects.get(pk=rejected.corrected_by_id)
    change = reverse("marked_fuel_sale_change", kwargs={"number": account.number, "sale_id": sale.pk})
    assert f'href="{change}"' in body  # the correction, linked
    assert "Invoice SEP-1 line 1, F1000001, 2026-09-15" in body
    october = RejectedRow.objects.get(values__invoice_number="OCT-1")
    correct = reverse(
        "marked_fuel_rejected_correct", kwargs={"number": account.number, "rejected_id": october.pk}
    )
    assert f'href="{correct}"' in body


def test_filtered_by_month_reason_and_status(clerk, account, rejected):
    page = url("marked_fuel_rejected", account)
    assert sorted(invoices(clerk.get(page, {"month": "2026-10"}))) == ["OCT-1", "OCT-2"]
    assert invoices(clerk.get(page, {"month": "2026-09"})) == ["SEP-1"]
    assert sorted(invoices(clerk.get(page, {"reason": "unknown"}))) == ["OCT-1", "SEP-1"]
    assert invoices(clerk.get(page, {"reason": "cancelled"})) == ["OCT-2"]
    assert invoices(clerk.get(page, {"month": "2026-10", "reason": "unknown"})) == ["OCT-1"]
    assert invoices(clerk.get(page, {"status": "corrected"})) == ["SEP-1"]
    assert sorted(invoices(clerk.get(page, {"status": "to-correct"}))) == ["OCT-1", "OCT-2"]
    empty = clerk.get(page, {"month": "2026-09", "reason": "cancelled"})
    assert empty.status_code == 200
    assert "No rejected sale matches these filters." in empty.content.decode()
    form = clerk.get(page).content.decode()  # the choices are what the account's rejected sales hold
    assert '<option value="2026-10">October 2026</option>' in form
    assert '<option value="cancelled">Number cancelled on the sale date</option>' in form
    assert 'value="lapsed"' not in form


def test_a_filter_not_offered_is_refused_beside_its_field(clerk, account, rejected):
    response = clerk.get(url("marked_fuel_rejected", account), {"month": "2025-01", "reason": "nonsense"})
    assert response.status_code == 400
    body = response.content.decode()
    assert str(rejected_report.BAD_MONTH) in body
    assert str(rejected_report.BAD_REASON) in body
    assert 'id="id_month_error"' in body
    assert response.context.get("page_obj") is None
    export = clerk.get(url("marked_fuel_rejected_xlsx", account), {"month": "2025-01"})
    assert export.status_code == 302
    assert export["Location"] == f"{url('marked_fuel_rejected', account)}?month=2025-01"


def test_paginated_with_the_filters_kept(clerk, account, rejected, monkeypatch):
    monkeypatch.setattr(views_rejected, "PAGE_SIZE", 1)
    page = url("marked_fuel_rejected", account)
    first = clerk.get(page, {"reason": "unknown"})
    assert len(invoices(first)) == 1
    assert 'href="?reason=unknown&amp;page=2"' in first.content.decode()
    second = clerk.get(page, {"reason": "unknown", "page": "2"})
    assert sorted(invoices(first) + invoices(second)) == ["OCT-1", "SEP-1"]


def _sheet(response):
    assert response.status_code == 200
    assert response["Content-Type"] == views_rejected.XLSX
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    return [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]


def test_the_excel_export_holds_the_filtered_rows(clerk, account, user, rejected):
    send(account, user, OCTOBER, [unknown(account, "=HYPERLINK(1)")])  # a seller's text is never a formula
    rows = _sheet(clerk.get(url("marked_fuel_rejected_xlsx", account), {"month": "2026-10"}))
    assert rows[0][0] == f"Rejected sales of account {account.number}: {account.taxpayer.legal_name}"
    assert rows[1][:3] == ["Month reported", "Received", "Row"]
    lines = {row[4]: row for row in rows[2:]}
    assert set(lines) == {"OCT-1", "OCT-2", "'=HYPERLINK(1)"}
    october = lines["OCT-2"]
    assert october[0] == "2026-10"
    assert october[3:10] == ["2026-10-15", "OCT-2", "1", "F1000002", "marked_diesel", "1000.5", october[9]]
    assert october[10] == "Number cancelled on the sale date"
    assert october[11] == "F1000002 was cancelled on the sale date."
    assert october[12] is None  # not corrected
    corrected = _sheet(clerk.get(url("marked_fuel_rejected_xlsx", account), {"status": "corrected"}))
    assert [row[4] for row in corrected[2:]] == ["SEP-1"]
    assert corrected[2][12] == "Invoice SEP-1 line 1, F1000001, 2026-09-15"
    assert corrected[2][13] is not None


def test_the_excel_export_goes_on_to_a_new_sheet_past_the_row_limit(clerk, account, rejected, monkeypatch):
    monkeypatch.setattr(rejected_report, "EXCEL_ROWS", 3)  # a title, the header and one row per sheet
    response = clerk.get(url("marked_fuel_rejected_xlsx", account))
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    assert len(workbook.worksheets) == 3
    assert sorted(list(sheet.iter_rows(values_only=True))[2][4] for sheet in workbook.worksheets) == [
        "OCT-1",
        "OCT-2",
        "SEP-1",
    ]


def _queries(client, page: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(page, {"month": "2026-10"}).status_code == 200
    return len(captured)


def test_the_query_count_does_not_grow_with_the_rows(clerk, account, user, rejected):
    page = url("marked_fuel_rejected", account)
    _queries(clerk, page)  # the first request of a session also reads what later ones have cached
    few = _queries(clerk, page)
    send(account, user, OCTOBER, [unknown(account, f"MORE-{n}") for n in range(40)])
    assert _queries(clerk, page) == few


def test_another_accounts_seller_is_not_found(clerk, account, rejected):
    other = seller()
    for name in ("marked_fuel_rejected", "marked_fuel_rejected_xlsx"):
        assert clerk.get(url(name, other)).status_code == 404
