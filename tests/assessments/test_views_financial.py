"""View Financial Transaction Details and View Account Summary Balance through the test client: the latest 25,
by processed date range, by period end, sorted both ways, credits in brackets, paginated, printer-friendly,
CSV and Excel of the same rows; query counts flat; outsiders 404, people without the function 403."""

import csv
import html
import io
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from assessments.forms import (
    CHOOSE_DATES_OR_PERIOD,
    DATES_NOT_APPLIED,
    DATES_REQUIRED,
    DATES_REVERSED,
    PERIOD_CHOSEN_FOR_PERIOD_END,
    PERIOD_END_NOT_APPLIED,
    PERIOD_REQUIRED,
    RANGE_CHOSEN_FOR_DATES,
)
from assessments.models import LedgerTransaction
from consent.privileges import Privilege
from tests.accounts.factories import UserFactory
from tests.conftest import sign_in
from tests.consent.factories import ProgramAccountFactory, delegate_grant

Kind = LedgerTransaction.Kind
FIRST_DAY = date(2021, 1, 1)


def url(name, account, **kwargs):
    return reverse(name, kwargs={"number": account.number, **kwargs})


def text(response) -> str:
    return re.sub(r"\s+", " ", html.unescape(response.content.decode()))


def make_transactions(account, count, *, first_day=FIRST_DAY, period_end=None):
    """`count` transactions, one per day from `first_day`: odd ones payments of -$(n).50 (credits), even ones
    assessed tax of $(n)00.00; period end the end of each processed month (or `period_end`). Inserted directly
    (an INSERT is all the ledger accepts; ledger_post is tested on its own)."""
    now = timezone.now()
    rows = []
    for n in range(1, count + 1):
        day = first_day + timedelta(days=n - 1)
        end = period_end or (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        credit = n % 2 == 1
        rows.append(
            LedgerTransaction(
                account=account,
                period_end=end,
                kind=Kind.PAYMENT if credit else Kind.ASSESSED_TAX,
                amount=Decimal(f"-{n}.50") if credit else Decimal(f"{n}00.00"),
                processed_on=day,
                effective_on=day,
                description=f"Transaction {n:03d}",
                posted_at=now,
            )
        )
    return LedgerTransaction.objects.bulk_create(rows)


def descriptions(response) -> list[str]:
    return re.findall(r"<td>(Transaction \d{3})</td>", response.content.decode())


# --- Latest 25, sorting, brackets -------------------------------------------------------------------------


def test_the_latest_25_newest_first_by_default(account, owner_client):
    make_transactions(account, 30)
    response = owner_client.get(url("transactions", account))
    assert response.status_code == 200
    assert descriptions(response) == [f"Transaction {n:03d}" for n in range(30, 5, -1)]
    page = text(response)
    assert "The latest 25 transactions." in page
    assert '<td class="value">2021-01-30</td>' in page


def test_sorted_oldest_first_on_request(account, owner_client):
    make_transactions(account, 30)
    response = owner_client.get(url("transactions", account), {"show": "latest", "sort": "oldest"})
    assert descriptions(response) == [f"Transaction {n:03d}" for n in range(6, 31)]  # the same 25, reversed


def test_credits_are_shown_in_brackets(account, owner_client):
    make_transactions(account, 2)
    page = text(owner_client.get(url("transactions", account)))
    assert '<td class="num">($1.50)</td>' in page  # payment of -1.50
    assert '<td class="num">$200.00</td>' in page


def test_same_day_transactions_keep_the_order_they_were_posted(account, owner_client):
    make_transactions(account, 3, first_day=date(2021, 3, 1))
    LedgerTransaction.objects.bulk_create(
        LedgerTransaction(
            account=account, period_end=date(2021, 3, 31), kind=Kind.INTEREST, amount=Decimal("1.00"),
            processed_on=date(2021, 3, 3), effective_on=date(2021, 3, 3), description=f"Transaction 10{n}",
            posted_at=timezone.now(),
        )
        for n in range(2)
    )  # fmt: skip
    assert descriptions(owner_client.get(url("transactions", account)))[:3] == [
        "Transaction 101",
        "Transaction 100",
        "Transaction 003",
    ]


# --- Date range and period end ----------------------------------------------------------------------------


def test_by_processed_date_range_paginated(account, owner_client):
    make_transactions(account, 120)  # 2021-01-01 .. 2021-04-30
    query = {"show": "range", "processed_from": "2021-01-10", "processed_to": "2021-03-10"}
    first = owner_client.get(url("transactions", account), query)
    assert first.status_code == 200
    assert "60 transactions match." in text(first)  # 2021-01-10 .. 2021-03-10: n = 10 .. 69
    assert descriptions(first) == [f"Transaction {n:03d}" for n in range(69, 19, -1)]  # 50 per page
    second = owner_client.get(url("transactions", account), {**query, "page": 2})
    assert descriptions(second) == [f"Transaction {n:03d}" for n in range(19, 9, -1)]
    assert "Page 2 of 2" in text(second)
    assert "processed_from=2021-01-10" in text(first)  # the pages keep the filter


def test_a_range_open_at_one_end(account, owner_client):
    make_transactions(account, 40)
    response = owner_client.get(
        url("transactions", account), {"show": "range", "processed_from": "2021-02-05"}
    )
    assert descriptions(response) == [f"Transaction {n:03d}" for n in range(40, 35, -1)]


def test_by_period_end(account, owner_client):
    make_transactions(account, 70)  # January 31 days, February 28, March 11
    response = owner_client.get(url("transactions", account), {"show": "period", "period_end": "2021-02-28"})
    assert descriptions(response) == [f"Transaction {n:03d}" for n in range(59, 31, -1)]
    page = text(response)
    assert '<option value="2021-03-31">2021-03-31</option>' in page
    assert '<option value="2021-02-28" selected>2021-02-28</option>' in page


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"show": "range"}, "processed_from", DATES_REQUIRED),
        (
            {"show": "range", "processed_from": "2021-03-01", "processed_to": "2021-02-01"},
            "processed_to",
            DATES_REVERSED,
        ),
        ({"show": "period"}, "period_end", PERIOD_REQUIRED),
        ({"show": "range", "processed_from": "yesterday"}, "processed_from", "Enter a valid date."),
        ({"show": "period", "period_end": "2019-01-31"}, "period_end", "Select a valid choice."),
    ],
)
def test_bad_filters_are_explained_next_to_their_field(account, owner_client, query, field, message):
    make_transactions(account, 3)
    response = owner_client.get(url("transactions", account), query)
    assert response.status_code == 400
    assert re.search(
        rf'<p class="field-error" id="id_{field}_error">[^<]*{re.escape(str(message)[:30])}',
        response.content.decode(),
    )
    assert "There is a problem" in text(response)
    assert descriptions(response) == []


def checked_show(response) -> str:
    return re.search(
        r'<input type="radio" name="show" value="(\w+)"[^>]* checked>', response.content.decode()
    )[1]


@pytest.mark.parametrize("show", [{"show": "latest"}, {}])
def test_dates_typed_without_choosing_between_two_dates_choose_it(account, owner_client, show):
    """The "latest 25" option is checked when the page opens, so a person who types dates and presses Show
    sends it with the dates: the dates are what they asked for, and the page says so."""
    make_transactions(account, 120)
    query = {**show, "processed_from": "2021-01-10", "processed_to": "2021-03-10"}
    response = owner_client.get(url("transactions", account), query)
    assert response.status_code == 200
    assert "60 transactions match." in text(response)
    assert descriptions(response)[0] == "Transaction 069"
    assert checked_show(response) == "range"
    assert str(RANGE_CHOSEN_FOR_DATES) in text(response)
    assert f'href="{url("transactions", account)}?show=latest"' in response.content.decode()
    rows = list(
        csv.reader(
            io.StringIO(
                b"".join(owner_client.get(url("transactions_csv", account), query).streaming_content).decode()
            )
        )
    )
    assert len(rows) == 61  # the export lists what the page lists


def test_a_period_end_chosen_without_choosing_one_period_chooses_it(account, owner_client):
    make_transactions(account, 70)
    response = owner_client.get(url("transactions", account), {"show": "latest", "period_end": "2021-02-28"})
    assert response.status_code == 200
    assert descriptions(response) == [f"Transaction {n:03d}" for n in range(59, 31, -1)]
    assert checked_show(response) == "period"
    assert str(PERIOD_CHOSEN_FOR_PERIOD_END) in text(response)


def test_dates_and_a_period_end_without_a_choice_ask_which(account, owner_client):
    make_transactions(account, 70)
    query = {"show": "latest", "processed_from": "2021-01-10", "period_end": "2021-02-28"}
    response = owner_client.get(url("transactions", account), query)
    assert response.status_code == 400
    assert re.search(
        rf'<p class="field-error" id="id_show_error">{re.escape(str(CHOOSE_DATES_OR_PERIOD)[:40])}',
        response.content.decode(),
    )
    assert f'<a href="#id_show_0">Show: {str(CHOOSE_DATES_OR_PERIOD)[:30]}' in html.unescape(
        response.content.decode()
    )
    assert descriptions(response) == []


@pytest.mark.parametrize(
    ("query", "note", "first"),
    [
        (
            {"show": "range", "processed_from": "2021-03-01", "period_end": "2021-01-31"},
            PERIOD_END_NOT_APPLIED % {"period_end": "2021-01-31"},
            "Transaction 070",
        ),
        (
            {"show": "period", "period_end": "2021-01-31", "processed_from": "2021-03-01"},
            DATES_NOT_APPLIED,
            "Transaction 031",
        ),
    ],
)
def test_a_filter_left_over_from_another_choice_is_said_not_applied(
    account, owner_client, query, note, first
):
    """The page keeps the fields of the last search, so after switching options the other option's fields are
    still filled in: the chosen option lists, and the page says which typed filter it did not apply."""
    make_transactions(account, 70)
    response = owner_client.get(url("transactions", account), query)
    assert response.status_code == 200
    assert descriptions(response)[0] == first
    assert str(note) in text(response)


def test_no_note_when_every_filter_typed_is_applied(account, owner_client):
    make_transactions(account, 40)
    page = text(
        owner_client.get(url("transactions", account), {"show": "range", "processed_from": "2021-02-05"})
    )
    for note in (RANGE_CHOSEN_FOR_DATES, PERIOD_CHOSEN_FOR_PERIOD_END, DATES_NOT_APPLIED):
        assert str(note)[:30] not in page
    assert "is not applied" not in page


# --- Printer-friendly view and exports --------------------------------------------------------------------


QUERY = {"show": "range", "processed_from": "2021-01-01", "processed_to": "2021-03-31", "sort": "oldest"}


def test_the_printer_friendly_view_has_every_matching_row(account, owner_client):
    make_transactions(account, 100)
    response = owner_client.get(url("transactions_print", account), QUERY)
    assert response.status_code == 200
    assert descriptions(response) == [f"Transaction {n:03d}" for n in range(1, 91)]  # all 90, no pages
    page = text(response)
    assert "Processed from 2021-01-01 to 2021-03-31, oldest first" in page
    assert "account-menu" not in page


def test_csv_export_has_the_same_rows(account, owner_client):
    make_transactions(account, 100)
    response = owner_client.get(url("transactions_csv", account), QUERY)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert f"transactions-{account.number}-" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == [
        "Processed date",
        "Effective date",
        "Period end",
        "Transaction",
        "Description",
        "Amount",
    ]
    assert [row[4] for row in rows[1:]] == [f"Transaction {n:03d}" for n in range(1, 91)]
    assert rows[1] == ["2021-01-01", "2021-01-01", "2021-01-31", "Payment", "Transaction 001", "-1.50"]
    assert rows[2][5] == "200.00"


FORMULA_TEXTS = ['=HYPERLINK("http://x.example","Refund")', "+1+2", "-3+4", "@SUM(A1)", "\tTab", "\r=1"]


def formula_text_transaction(account, description):
    return LedgerTransaction.objects.create(
        account=account, period_end=date(2021, 6, 30), kind=Kind.TRANSFER, amount=Decimal("-5.00"),
        processed_on=date(2021, 7, 1), effective_on=date(2021, 7, 1), description=description,
        posted_at=timezone.now(),
    )  # fmt: skip


@pytest.mark.parametrize("description", FORMULA_TEXTS)
def test_csv_text_cells_cannot_become_formulas_and_amounts_stay_numbers(account, owner_client, description):
    """OWASP's CSV injection triggers: a text cell starting with one is quoted with an apostrophe, which a
    spreadsheet shows as text; the amount column (ours, digits only) is left a number, minus sign and all."""
    formula_text_transaction(account, description)
    response = owner_client.get(url("transactions_csv", account))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode(), newline="")))
    assert rows[1][4] == f"'{description}"
    assert rows[1][5] == "-5.00"


@pytest.mark.parametrize("description", FORMULA_TEXTS)
def test_excel_text_cells_cannot_become_formulas_and_amounts_stay_numbers(account, owner_client, description):
    """The same text as the CSV holds, in a cell typed text (openpyxl writes a string starting with "=" as a
    formula); the amount stays a number cell."""
    formula_text_transaction(account, description)
    response = owner_client.get(url("transactions_xlsx", account))
    sheet = load_workbook(io.BytesIO(response.content)).active
    text_cell, amount_cell = sheet.cell(row=3, column=5), sheet.cell(row=3, column=6)
    assert (text_cell.value, text_cell.data_type) == (f"'{description}", "s")
    assert (amount_cell.value, amount_cell.data_type) == (-5, "n")


def test_excel_export_has_the_same_rows_with_credits_in_brackets(account, owner_client):
    make_transactions(account, 100)
    response = owner_client.get(url("transactions_xlsx", account), QUERY)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == f"Account {account.number}: Prairie Fuels Ltd."
    assert rows[1] == (
        "Processed date",
        "Effective date",
        "Period end",
        "Transaction",
        "Description",
        "Amount",
    )
    assert [row[4] for row in rows[2:]] == [f"Transaction {n:03d}" for n in range(1, 91)]
    assert rows[2][5] == -1.5
    assert rows[2][0].date() == date(2021, 1, 1)
    assert sheet.cell(row=3, column=6).number_format == "#,##0.00;(#,##0.00)"


def test_exports_of_a_bad_filter_go_back_to_the_page(account, owner_client):
    response = owner_client.get(url("transactions_csv", account), {"show": "period"})
    assert response.status_code == 302
    assert response["Location"].startswith(url("transactions", account) + "?show=period")


# --- Query counts ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "query"),
    [
        ("transactions", {}),
        ("transactions", {"show": "range", "processed_from": "2021-01-01", "processed_to": "2030-01-01"}),
        ("transactions", {"show": "period", "period_end": "2021-01-31"}),
        ("transactions_print", {"show": "range", "processed_from": "2021-01-01"}),
        ("transactions_csv", {"show": "range", "processed_from": "2021-01-01"}),
        ("transactions_xlsx", {"show": "range", "processed_from": "2021-01-01"}),
        ("balances", {}),
    ],
)
def test_query_count_does_not_grow_with_the_rows(account, owner_client, name, query):
    def count(rows) -> int:
        make_transactions(account, rows, first_day=date(2021, 1, 1) + timedelta(days=len(made)))
        made.extend(range(rows))
        with CaptureQueriesContext(connection) as queries:
            response = owner_client.get(url(name, account), query)
            if hasattr(response, "streaming_content"):
                b"".join(response.streaming_content)
        assert response.status_code == 200
        return len(queries)

    made: list = []
    owner_client.get(url(name, account), query)  # the first request of a session fills caches
    few = count(5)
    many = count(120)
    assert few == many


# --- Balances ---------------------------------------------------------------------------------------------


def test_account_summary_balance(account, owner_client):
    """January: 16 payments and 15 assessments; the page shows each period's balance
    and the account balance, their sum."""
    make_transactions(account, 40)
    january = sum(Decimal(f"{n}00.00") if n % 2 == 0 else Decimal(f"-{n}.50") for n in range(1, 32))
    february = sum(Decimal(f"{n}00.00") if n % 2 == 0 else Decimal(f"-{n}.50") for n in range(32, 41))
    response = owner_client.get(url("balances", account))
    assert response.status_code == 200
    page = text(response)
    assert f"${january:,.2f}" in page
    assert f"${february:,.2f}" in page
    assert f"<strong>${january + february:,.2f}</strong> owing" in page
    assert "2 periods with an outstanding balance" in page
    assert "?show=period&amp;period_end=2021-02-28" in response.content.decode()


def test_a_credit_balance_in_brackets(account, owner_client):
    LedgerTransaction.objects.create(
        account=account, period_end=date(2021, 6, 30), kind=Kind.CLAIM_CREDIT, amount=Decimal("-250.00"),
        processed_on=date(2021, 7, 1), effective_on=date(2021, 7, 1), description="Claim", posted_at=timezone.now(),
    )  # fmt: skip
    page = text(owner_client.get(url("balances", account)))
    assert "<strong>($250.00)</strong> credit" in page


# --- Who may see them -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["transactions", "transactions_print", "transactions_csv", "transactions_xlsx", "balances"]
)
def test_an_outsider_gets_404_and_a_delegate_without_the_function_403(account, name):
    make_transactions(account, 3)
    outsider = sign_in(Client(), UserFactory())
    assert outsider.get(url(name, account)).status_code == 404
    filer = UserFactory()
    delegate_grant(account=account, user=filer, privileges=(Privilege.FILE_RETURNS,))
    response = sign_in(Client(), filer).get(url(name, account))
    assert response.status_code == 403
    assert str(Privilege.VIEW_ACCOUNT.label) in response.content.decode()


def test_a_delegate_with_view_account_sees_them(account, viewer):
    make_transactions(account, 3)
    client = sign_in(Client(), viewer)
    assert descriptions(client.get(url("transactions", account))) == [
        "Transaction 003",
        "Transaction 002",
        "Transaction 001",
    ]


def test_another_accounts_transactions_never_show(account, owner_client):
    other = ProgramAccountFactory()
    LedgerTransaction.objects.create(
        account=other, period_end=date(2021, 6, 30), kind=Kind.PENALTY, amount=Decimal("25.00"),
        processed_on=date(2021, 7, 1), effective_on=date(2021, 7, 1), description="Someone else's", posted_at=timezone.now(),
    )  # fmt: skip
    assert "Someone else" not in text(owner_client.get(url("transactions", account)))
    assert "$25.00" not in text(owner_client.get(url("balances", account)))


def test_the_menu_has_the_three_functions_in_tracs_order(account, owner_client):
    page = text(owner_client.get(url("balances", account)))
    positions = [
        page.index("View Account Summary Balance"),
        page.index("View Assessment Status"),
        page.index("View Financial Transaction Details"),
    ]
    assert positions == sorted(positions)
