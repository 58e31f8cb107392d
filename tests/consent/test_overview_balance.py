"""The balance panel of Account Information and home's "N period(s) with an outstanding balance" (registered by
assessments.panels in consent.panels): the worked June 2021 assessment, the 24 month-end balances of the
server-rendered chart with its accessible table, credits in brackets, who sees it, and flat query counts."""

import html
import re
from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessments.models import LedgerTransaction
from assessments.panels import monthly_balances
from assessments.selectors import owing_by_account
from assessments.services.ledger import ledger_post
from consent.privileges import Privilege
from tests.accounts.factories import UserFactory
from tests.assessments.factories import acting, assess, june_2021
from tests.conftest import sign_in
from tests.consent.factories import ProgramAccountFactory, delegate_grant, owner_grant
from tests.filings.factories import edmonton

pytestmark = pytest.mark.django_db

Kind = LedgerTransaction.Kind
BALANCE_TITLE = 'id="panel-balance"'


def words(text: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", text)))


def balance_section(response) -> str:
    text = response.content.decode()
    start = text.index(BALANCE_TITLE)
    return text[start : text.index("</section>", start)]


@pytest.fixture
def account(db):
    return ProgramAccountFactory(taxpayer__legal_name="Prairie Fuels Ltd.", effective_date=date(2021, 1, 1))


@pytest.fixture
def owner(account):
    user = UserFactory()
    owner_grant(account=account, user=user)
    return user


@pytest.fixture
def assessed(account, owner, django_capture_on_commit_callbacks):
    """June 2021 filed 2021-07-05 and assessed 2021-08-10: $13,800.00 (100,000 L clear gasoline at $0.13 and
    20,000 L marked diesel at $0.04, tests/assessments/test_services_assessment.py) posted to the ledger."""
    tax_return = june_2021(account=account, user=owner)
    return assess(django_capture_on_commit_callbacks, tax_return=tax_return, when=edmonton(2021, 8, 10))


def test_a_posted_assessment_shows_the_balance_and_a_24_month_chart(account, owner, assessed):
    with time_machine.travel(edmonton(2021, 8, 15, 9), tick=False):
        section = balance_section(
            sign_in(Client(), owner).get(reverse("account_detail", kwargs={"number": account.number}))
        )

    assert "$13,800.00</strong> owing" in section
    svg = section[section.index("<svg") : section.index("</svg>")]
    assert 'role="img"' in svg
    assert "<title" in svg
    assert "<desc" in svg
    assert "Balance at each month end, Sep 2019 to Aug 2021" in svg
    assert svg.count("<circle") == 24
    assert len(re.search(r'points="([^"]+)"', svg).group(1).split()) == 24
    # The same balances as a table for screen readers: July 2021 nothing, August 2021 the assessment.
    table = words(section[section.index('<table class="visually-hidden">') :])
    assert table.count("$") == 24
    assert "Jul 2021 $0.00" in table
    assert "Aug 2021 $13,800.00" in table


def test_the_charts_coordinates_are_svgs_numbers_in_french_too(account, owner, assessed):
    """The template engine would write a float as the page's language does ("96,5" in French), which SVG does not
    read: every coordinate is SVG's own text, a point and one decimal."""
    with time_machine.travel(edmonton(2021, 8, 15, 9), tick=False):
        response = sign_in(Client(), owner).get(
            reverse("account_detail", kwargs={"number": account.number}), HTTP_ACCEPT_LANGUAGE="fr"
        )
    svg = balance_section(response)
    svg = svg[svg.index("<svg") : svg.index("</svg>")]
    pairs = re.search(r'points="([^"]+)"', svg).group(1).split()
    assert len(pairs) == 24
    assert all(re.fullmatch(r"\d+\.\d,\d+\.\d", pair) for pair in pairs), pairs
    circles = re.findall(r'<circle class="balance-chart__point" cx="([^"]+)" cy="([^"]+)"', svg)
    assert [f"{x},{y}" for x, y in circles] == pairs


def test_credits_are_shown_in_brackets(account, owner, assessed):
    with time_machine.travel(edmonton(2021, 9, 2, 9), tick=False):
        ledger_post(
            account=account,
            period_end=date(2021, 6, 30),
            kind=Kind.PAYMENT,
            amount=Decimal("-14000.00"),
            description="Payment",
            actor=acting(),
        )
        section = balance_section(
            sign_in(Client(), owner).get(reverse("account_detail", kwargs={"number": account.number}))
        )

    assert "($200.00)</strong> credit" in section
    table = words(section[section.index('<table class="visually-hidden">') :])
    assert "Aug 2021 $13,800.00" in table
    assert "Sep 2021 ($200.00)" in table


def test_month_end_balances_carry_the_months_before_the_window():
    """+1,000.00 processed in March 2019 (before the window), -250.00 in May 2021: every month of the window
    starts from 1,000.00; May 2021 and after 750.00."""
    account = ProgramAccountFactory(effective_date=date(2019, 1, 1))
    now = timezone.now()
    LedgerTransaction.objects.bulk_create(
        [
            LedgerTransaction(
                account=account,
                period_end=date(2019, 2, 28),
                kind=Kind.ASSESSED_TAX,
                amount=Decimal("1000.00"),
                processed_on=date(2019, 3, 5),
                effective_on=date(2019, 3, 5),
                description="Tax",
                posted_at=now,
            ),
            LedgerTransaction(
                account=account,
                period_end=date(2019, 2, 28),
                kind=Kind.PAYMENT,
                amount=Decimal("-250.00"),
                processed_on=date(2021, 5, 31),
                effective_on=date(2021, 5, 31),
                description="Payment",
                posted_at=now,
            ),
        ]
    )
    balance, series = monthly_balances(account=account, today=date(2021, 8, 15))

    assert balance == Decimal("750.00")
    assert len(series) == 24
    assert series[0].month == date(2019, 9, 1)
    assert series[-1].month == date(2021, 8, 1)
    by_month = {point.month: point.balance for point in series}
    assert by_month[date(2019, 9, 1)] == Decimal("1000.00")
    assert by_month[date(2021, 4, 1)] == Decimal("1000.00")
    assert by_month[date(2021, 5, 1)] == Decimal("750.00")
    assert by_month[date(2021, 8, 1)] == Decimal("750.00")


def test_the_balance_panel_needs_view_account(account, assessed):
    # Account Information itself needs VIEW_ACCOUNT: a viewer sees the balance; nobody else reaches the page.
    viewer = UserFactory()
    delegate_grant(account=account, user=viewer, privileges=(Privilege.VIEW_ACCOUNT,))
    response = sign_in(Client(), viewer).get(reverse("account_detail", kwargs={"number": account.number}))
    assert BALANCE_TITLE in response.content.decode()


# --- Home's banner ----------------------------------------------------------------------------------------


def _post(account, period_end: date, amount: str, processed_on: date):
    LedgerTransaction.objects.create(
        account=account,
        period_end=period_end,
        kind=Kind.ASSESSED_TAX if Decimal(amount) > 0 else Kind.PAYMENT,
        amount=Decimal(amount),
        processed_on=processed_on,
        effective_on=processed_on,
        description="Test",
        posted_at=timezone.now(),
    )


def test_periods_left_owing_once_credits_count_are_counted():
    """Three periods: June owes 13,800.00, July paid in full (0.00), August overpaid (credit of 10.00, counted
    against June, which still owes 13,790.00): one owing."""
    account = ProgramAccountFactory()
    _post(account, date(2021, 6, 30), "13800.00", date(2021, 8, 10))
    _post(account, date(2021, 7, 31), "500.00", date(2021, 9, 10))
    _post(account, date(2021, 7, 31), "-500.00", date(2021, 9, 20))
    _post(account, date(2021, 8, 31), "-10.00", date(2021, 9, 20))
    nothing = ProgramAccountFactory()
    owing = owing_by_account(account_ids=[account.pk, nothing.pk])
    assert {pk: len(row.outstanding) for pk, row in owing.items()} == {account.pk: 1}


def test_home_banner_links_each_owing_account_for_people_who_may_view_it():
    user = UserFactory()
    owing = ProgramAccountFactory(program="tefs", taxpayer__legal_name="Owing Ltd.")
    owner_grant(account=owing, user=user)
    _post(owing, date(2021, 6, 30), "100.00", date(2021, 8, 10))
    _post(owing, date(2021, 7, 31), "100.00", date(2021, 8, 10))
    hidden = ProgramAccountFactory(program="tefs")
    delegate_grant(account=hidden, user=user, privileges=(Privilege.FILE_RETURNS,))
    _post(hidden, date(2021, 6, 30), "100.00", date(2021, 8, 10))

    page = sign_in(Client(), user).get(reverse("home")).content.decode()

    banners = [part.split("</li>")[0] for part in page.split('<li class="banner-outstanding">')[1:]]
    assert len(banners) == 1
    assert "2 periods with an outstanding balance" in banners[0]
    assert reverse("account_detail", kwargs={"number": owing.number}) in banners[0]


def _owing_accounts_for(user, count):
    now = timezone.now()
    accounts = [ProgramAccountFactory(effective_date=date(2024, 1, 1)) for _ in range(count)]
    for account in accounts:
        owner_grant(account=account, user=user)
    LedgerTransaction.objects.bulk_create(
        LedgerTransaction(
            account=account,
            period_end=date(2024, month, 28),
            kind=Kind.ASSESSED_TAX,
            amount=Decimal("10.00"),
            processed_on=date(2024, 3, 1),
            effective_on=date(2024, 3, 1),
            description="Tax",
            posted_at=now,
        )
        for account in accounts
        for month in (1, 2)
    )


def _home(client) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("home"))
    return len(queries), response.content.decode()


def test_home_query_count_is_flat_with_both_banners_for_3_and_60_accounts():
    with time_machine.travel(edmonton(2024, 4, 10, 9), tick=False):
        few, many = UserFactory(), UserFactory()
        _owing_accounts_for(few, 3)
        _owing_accounts_for(many, 60)
        few_client, many_client = sign_in(Client(), few), sign_in(Client(), many)
        _home(few_client)
        _home(many_client)
        few_count, few_page = _home(few_client)
        many_count, many_page = _home(many_client)

    assert few_page.count("2 periods with an outstanding balance") == 3
    assert many_page.count("2 periods with an outstanding balance") == 25
    assert many_page.count("2 returns outstanding") == 25
    assert few_count == many_count


def test_account_information_query_count_does_not_grow_with_the_ledger(account, owner):
    other = ProgramAccountFactory(effective_date=date(2021, 1, 1))
    owner_grant(account=other, user=owner)
    now = timezone.now()
    LedgerTransaction.objects.bulk_create(
        LedgerTransaction(
            account=other,
            period_end=date(2021, 1, 31),
            kind=Kind.ASSESSED_TAX,
            amount=Decimal("1.00"),
            processed_on=date(2021, 2, 1),
            effective_on=date(2021, 2, 1),
            description="Tax",
            posted_at=now,
        )
        for _ in range(500)
    )
    client = sign_in(Client(), owner)

    def queries(target):
        with CaptureQueriesContext(connection) as captured:
            client.get(reverse("account_detail", kwargs={"number": target.number}))
        return len(captured)

    queries(account)
    assert queries(account) == queries(other)
