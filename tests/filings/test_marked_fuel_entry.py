"""The marked-fuel seller's web pages (issue 14, items 3 and 4): "Create AFFB/TEFU Sales" (several sales, a row
added without JavaScript, each sale checked on its sale date, each row's problem next to its boxes and nothing
stored, or the rejected sales kept with their reasons and corrected one by one), the amendment and void of an
accepted sale, "Create Acquisitions and Imports" / "Create Dispositions and Exports", and the inventory counts.
Every row goes through the one ingestion service (filings.sales.ingestion.ingestion_rows)."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from consent.privileges import Privilege
from filings.sales.models import Ingestion, InventoryCount, Movement, RejectedRow, Sale
from tests.accounts.factories import UserFactory
from tests.conftest import sign_in
from tests.consent.factories import ProgramAccountFactory, delegate_grant, owner_grant
from tests.filings.sales_helpers import MONTH, bflo, movement_row, sale_row, seller, web_row
from tests.programs.registry_helpers import registry

pytestmark = pytest.mark.django_db


@pytest.fixture
def account():
    registry()
    return seller()


@pytest.fixture
def clerk(account):
    """A delegate who reports fuel transactions (REPORT_FUEL), nothing else."""
    user = UserFactory()
    delegate_grant(account=account, user=user, privileges=[Privilege.REPORT_FUEL])
    return sign_in(Client(), user)


def url(name: str, account, **kwargs) -> str:
    return reverse(name, kwargs={"number": account.number, **kwargs})


def sale(account, invoice="INV-1", line="1", **values) -> dict[str, str]:
    """A sale's boxes (the sales page sets the record kind itself)."""
    row = web_row(sale_row(account, invoice, line, **values))
    del row["record"]
    return row


def rows_post(rows: list[dict[str, str]], *, step: str = "check", month: str = MONTH, extra: int = 0) -> dict:
    data = {
        "month": month,
        "step": step,
        "rows-TOTAL_FORMS": str(len(rows) + extra),
        "rows-INITIAL_FORMS": "0",
        "rows-MIN_NUM_FORMS": "0",
        "rows-MAX_NUM_FORMS": "200",
    }
    for index, row in enumerate(rows):
        for name, value in row.items():
            data[f"rows-{index}-{name}"] = value
    return data


def error_of(content: str, field_id: str) -> str:
    found = re.search(rf'<p class="field-error" id="{field_id}_error">([^<]*)</p>', content)
    return found.group(1) if found else ""


def test_the_sales_page_offers_the_sellers_active_bflos_and_three_rows(clerk, account):
    page = clerk.get(url("marked_fuel_sales", account))
    body = page.content.decode()
    assert page.status_code == 200
    assert "<h1>Create AFFB/TEFU Sales</h1>" in body
    assert body.count("data-row") == 3
    assert bflo(account, 1) in body
    assert bflo(account, 2) in body
    assert bflo(account, 3) not in body  # inactive
    assert 'aria-current="page">Create AFFB/TEFU Sales<' in body


def test_add_a_row_keeps_what_was_typed_and_stores_nothing(clerk, account):
    page = clerk.post(url("marked_fuel_sales", account), rows_post([sale(account)], step="add"))
    body = page.content.decode()
    assert page.status_code == 200
    assert body.count("data-row") == 2
    assert 'value="INV-1"' in body
    assert not Ingestion.objects.exists()


def test_good_sales_are_stored_together(clerk, account):
    response = clerk.post(
        url("marked_fuel_sales", account),
        rows_post([sale(account), sale(account, invoice="INV-2", litres="250", fuel="marked_gasoline"), {}]),
    )
    assert response.status_code == 302
    assert response["Location"].endswith(f"?month={MONTH}")
    assert sorted(Sale.objects.values_list("invoice_number", "litres")) == [
        ("INV-1", Decimal("1000.500")),
        ("INV-2", Decimal("250.000")),
    ]
    page = clerk.get(response["Location"])
    assert "2 row(s) stored for October 2026." in page.content.decode()
    # One submission, one ingestion: the rows are checked and stored in one pass, not checked first and sent again.
    assert list(Ingestion.objects.values_list("validate_only", "rows_accepted")) == [(False, 2)]


def test_each_rows_problem_is_shown_beside_its_box_and_nothing_is_stored(clerk, account):
    rows = [
        sale(account),
        sale(account, invoice="INV-2", exemption_number="F1000002"),  # cancelled 2024-06-30
        sale(account, invoice="INV-3", litres="-5", bflo_number="B999"),
    ]
    page = clerk.post(url("marked_fuel_sales", account), rows_post(rows))
    body = page.content.decode()
    assert page.status_code == 400
    assert "cancelled" in error_of(body, "id_rows-1-exemption_number")
    assert error_of(body, "id_rows-2-litres")
    assert error_of(body, "id_rows-2-bflo_number")
    assert not error_of(body, "id_rows-0-exemption_number")
    assert "Row 2, affb or tefu number:" in body
    assert not Sale.objects.exists()
    assert not RejectedRow.objects.filter(ingestion__validate_only=False).exists()
    assert "Submit, keeping the rejected sales" in body
    # The one ingestion stands as a check: its rejected rows are not in the Rejected Sales list to correct.
    assert list(Ingestion.objects.values_list("validate_only", "rows_rejected")) == [(True, 2)]


def test_rejected_sales_are_kept_listed_and_corrected_one_by_one(clerk, account):
    rows = [sale(account), sale(account, invoice="INV-2", exemption_number="F1000002")]
    response = clerk.post(url("marked_fuel_sales", account), rows_post(rows, step="keep"))
    assert response.status_code == 302
    assert response["Location"] == url("marked_fuel_rejected", account)
    assert list(Sale.objects.values_list("invoice_number", flat=True)) == ["INV-1"]
    rejected = RejectedRow.objects.get(ingestion__validate_only=False)
    listing = clerk.get(response["Location"]).content.decode()
    assert "1 sale(s) accepted and 1 rejected sale(s) kept for October 2026." in listing
    assert "F1000002" in listing
    assert rejected.reason in listing

    correct = url("marked_fuel_rejected_correct", account, rejected_id=rejected.pk)
    form = clerk.get(correct).content.decode()
    assert 'value="F1000002"' in form
    assert 'value="INV-2"' in form

    still_bad = clerk.post(correct, rows_post([sale(account, invoice="INV-2", exemption_number="F9999999")]))
    assert still_bad.status_code == 400
    assert "not in the exemption registry" in error_of(
        still_bad.content.decode(), "id_rows-0-exemption_number"
    )
    rejected.refresh_from_db()
    assert rejected.corrected_by is None

    done = clerk.post(correct, rows_post([sale(account, invoice="INV-2", exemption_number="F1000001")]))
    assert done.status_code == 302
    rejected.refresh_from_db()
    assert rejected.corrected_by == Sale.objects.get(invoice_number="INV-2")
    listing = clerk.get(done["Location"]).content.decode()
    assert "No rejected sales are waiting to be corrected." in listing
    assert "Invoice INV-2 line 1, F1000001" in listing  # the correction, linked to what it corrects
    assert clerk.post(correct, rows_post([sale(account, invoice="INV-9")])).status_code == 400  # once only
    assert "was corrected already" in clerk.get(correct).content.decode()


def test_another_accounts_rejected_sale_is_not_found(clerk, account):
    other = seller()
    from filings.sales import ingestion
    from tests.accounts.factories import actor_for

    stored = ingestion.ingestion_rows(
        account=other,
        record_type="sales",
        month=Sale._meta.get_field("month").to_python(f"{MONTH}-01"),
        rows=[{"record": "sale", **sale(other, exemption_number="F9999999")}],
        actor=actor_for(UserFactory()),
    )
    rejected = RejectedRow.objects.get(ingestion=stored)
    assert clerk.get(url("marked_fuel_rejected_correct", account, rejected_id=rejected.pk)).status_code == 404


def test_an_accepted_sale_is_amended_or_voided_by_a_record_naming_it(clerk, account):
    clerk.post(url("marked_fuel_sales", account), rows_post([sale(account), sale(account, invoice="INV-2")]))
    first = Sale.objects.get(invoice_number="INV-1")
    month_page = clerk.get(url("marked_fuel_sales_month", account, period=MONTH)).content.decode()
    change = url("marked_fuel_sale_change", account, sale_id=first.pk)
    assert change in month_page

    refused = clerk.post(change, {**rows_post([{**sale(account), "litres": "0"}], step="amend")})
    assert refused.status_code == 400
    assert error_of(refused.content.decode(), "id_rows-0-litres")

    amended = clerk.post(change, rows_post([{**sale(account), "litres": "900"}], step="amend"))
    assert amended.status_code == 302
    assert Sale.objects.get(invoice_number="INV-1", revision=1).kind == Sale.Kind.AMENDMENT
    assert "900" in clerk.get(change).content.decode()

    voided = clerk.post(change, {"step": "void"})
    assert voided.status_code == 302
    month_page = clerk.get(url("marked_fuel_sales_month", account, period=MONTH)).content.decode()
    table = month_page[month_page.index('data-testid="month-sales"') :]
    assert "INV-1" not in table
    assert "INV-2" in table
    assert "was voided" in clerk.get(change).content.decode()
    assert clerk.post(change, {"step": "void"}).status_code == 400
    assert Sale.objects.filter(invoice_number="INV-1").count() == 3  # the sale, its amendment, its void


def test_a_sale_of_another_account_or_an_amendment_id_is_not_found(clerk, account):
    clerk.post(url("marked_fuel_sales", account), rows_post([sale(account)]))
    clerk.post(
        url("marked_fuel_sale_change", account, sale_id=Sale.objects.get().pk),
        rows_post([{**sale(account), "litres": "5"}], step="amend"),
    )
    amendment = Sale.objects.get(revision=1)
    assert clerk.get(url("marked_fuel_sale_change", account, sale_id=amendment.pk)).status_code == 404


def movement(account, **values) -> dict[str, str]:
    return web_row(movement_row(account, values.pop("document_number", "BOL-1"), **values))


def test_acquisitions_and_imports(clerk, account):
    page = clerk.get(url("marked_fuel_acquisitions", account)).content.decode()
    assert '<option value="import">Import</option>' in page
    assert 'value="disposition"' not in page
    refused = clerk.post(
        url("marked_fuel_acquisitions", account),
        rows_post([movement(account), movement(account, movement="import", document_number="BOL-2")]),
    )
    assert refused.status_code == 400
    assert error_of(refused.content.decode(), "id_rows-1-jurisdiction")
    assert not Movement.objects.exists()
    stored = clerk.post(
        url("marked_fuel_acquisitions", account),
        rows_post(
            [movement(account), movement(account, movement="import", jurisdiction="SK", document_number="B2")]
        ),
    )
    assert stored.status_code == 302
    assert sorted(Movement.objects.values_list("kind", "jurisdiction")) == [
        ("acquisition", ""),
        ("import", "SK"),
    ]


def test_dispositions_and_exports(clerk, account):
    page = clerk.get(url("marked_fuel_dispositions", account)).content.decode()
    assert "<h1>Create Dispositions and Exports</h1>" in page
    stored = clerk.post(
        url("marked_fuel_dispositions", account),
        rows_post([movement(account, movement="export", jurisdiction="BC", litres="500")]),
    )
    assert stored.status_code == 302
    assert Movement.objects.get().kind == "export"


def test_a_page_with_no_rows_says_so(clerk, account):
    page = clerk.post(url("marked_fuel_sales", account), rows_post([{}, {}]))
    assert page.status_code == 400
    assert "Enter at least one row." in page.content.decode()
    bad_month = clerk.post(url("marked_fuel_sales", account), rows_post([sale(account)], month="1999-01"))
    assert bad_month.status_code == 400
    assert "Choose a month of this account." in bad_month.content.decode()


def test_inventory_counts_opening_in_the_first_month_and_a_recount(clerk, account):
    first = clerk.get(url("marked_fuel_inventory", account) + "?month=2024-01").content.decode()
    assert f"Opening inventory, BFLO {bflo(account)}, marked diesel" in first
    later = clerk.get(url("marked_fuel_inventory", account) + f"?month={MONTH}").content.decode()
    assert "Opening inventory" not in later
    assert f"Closing inventory, BFLO {bflo(account)}" in later
    name = f"closing__{bflo(account)}__marked_diesel"
    refused = clerk.post(url("marked_fuel_inventory", account), {"month": MONTH, name: "-3"})
    assert refused.status_code == 400
    assert not InventoryCount.objects.exists()
    assert clerk.post(url("marked_fuel_inventory", account), {"month": MONTH}).status_code == 400
    stored = clerk.post(url("marked_fuel_inventory", account), {"month": MONTH, name: "12000"})
    assert stored.status_code == 302
    page = clerk.get(stored["Location"]).content.decode()
    assert "Counted: 12,000 L" in page
    clerk.post(url("marked_fuel_inventory", account), {"month": MONTH, name: "11950"})
    assert list(InventoryCount.objects.order_by("revision").values_list("revision", "litres")) == [
        (0, Decimal("12000.000")),
        (1, Decimal("11950.000")),
    ]
    assert clerk.get(url("marked_fuel_inventory", account) + "?month=nonsense").status_code == 200
    assert clerk.post(url("marked_fuel_inventory", account), {"month": "1999-01"}).status_code == 400


def test_an_account_that_does_not_sell_marked_fuel_is_told_so():
    account = ProgramAccountFactory(program="fuel_tax")
    user = UserFactory()
    owner_grant(account=account, user=user)
    client = sign_in(Client(), user)
    for name in ("marked_fuel_sales", "marked_fuel_inventory", "marked_fuel_rejected"):
        page = client.get(url(name, account))
        assert page.status_code == 200
        assert "is not a marked fuel (TEFS) account" in page.content.decode()
    assert client.post(url("marked_fuel_sales", account), {}).status_code == 400
    menu = client.get(reverse("account_detail", kwargs={"number": account.number})).content.decode()
    assert "Create AFFB/TEFU Sales" not in menu


def test_a_delegate_without_report_fuel_is_refused(account):
    user = UserFactory()
    delegate_grant(account=account, user=user, privileges=[Privilege.FILE_RETURNS])
    client = sign_in(Client(), user)
    assert client.get(url("marked_fuel_sales", account)).status_code == 403
    menu = client.get(url("marked_fuel_reports", account)).content.decode()
    assert 'aria-current="page">File a Return<' in menu
    assert f'href="{url("marked_fuel_sales", account)}"' not in menu


def test_an_account_not_yet_in_effect_has_no_month_to_report():
    registry()
    account = seller(effective_date=date(2099, 1, 1))
    user = UserFactory()
    owner_grant(account=account, user=user)
    client = sign_in(Client(), user)
    for name in ("marked_fuel_sales", "marked_fuel_inventory"):
        page = client.get(url(name, account)).content.decode()
        assert "This account has no month to report yet: its effective date is 2099-01-01." in page


def test_a_correction_needs_its_row(clerk, account):
    clerk.post(
        url("marked_fuel_sales", account),
        rows_post([sale(account, exemption_number="F9999999")], step="keep"),
    )
    rejected = RejectedRow.objects.get(ingestion__validate_only=False)
    correct = url("marked_fuel_rejected_correct", account, rejected_id=rejected.pk)
    empty = clerk.post(correct, rows_post([{"line": "1"}]))
    assert empty.status_code == 400
    assert "Enter at least one row." in empty.content.decode()
    assert clerk.post(correct, rows_post([sale(account)], month="1999-01")).status_code == 400
