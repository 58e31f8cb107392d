"""Issue 13: each page a person opens often does the same number of queries whatever its account holds, so its
time does not grow with the data (the speed itself is measured by `make bench`, never here). Each page is read
for an account with 2 of everything and one with 200, 100 times as much (ledger rows over two years of months,
returns, claims, notices, messages, documents, contacts, access-log rows); the counts must be equal. The pages are
every page of issue 13's benchmark (Build 1): Account Information, transactions (latest, a period, a year), View
Assessment Status, notices, messages, the access log, the return form and its review, and home for a
representative of 30 accounts and of 3,000 (page 1, the last page, a search). Cheap: small data, bulk inserts (the benchmark's own helpers, bench/, for
the returns, notices and clients, so both fill pages alike)."""

import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import AccessLogEntry
from assessments.models import LedgerTransaction
from bench.bench_clients import client_accounts, represent
from bench.bench_pages import bulk_notices, bulk_returns
from consent.models import Grant
from filings.models import Claim, FuelTaxReturn
from filings.periods import Period
from programs.models import Contact, Document, Message
from tests.accounts.factories import UserFactory
from tests.conftest import sign_in
from tests.consent.factories import ProgramAccountFactory, owner_grant
from tests.filings.factories import edmonton, file_return

pytestmark = pytest.mark.django_db

TODAY = (2024, 6, 10)
FEW, MANY = 2, 200
EFFECTIVE = date(2007, 1, 1)  # room for 200 monthly returns before the ones filed through the service
# Returns filed through the service (the slow part), from June 2023; the rest are bulk-inserted from January 2007.
RETURNS_FILED = 6
FIRST_FILED = (2023, 6)
OWED = "2024-05"  # the last month ended on TODAY, filed by neither account
REVIEW = {"clear_gasoline__taxable": "1000", "clear_diesel__taxable": "2000", "step": "review"}
# (path, the form POSTed or None for a GET)
PAGES = [
    ("/accounts/{number}/", None),
    ("/accounts/{number}/transactions/", None),
    ("/accounts/{number}/transactions/?show=period&period_end=2022-01-31", None),
    ("/accounts/{number}/transactions/?show=range&processed_from=2022-01-01&processed_to=2022-12-31", None),
    ("/accounts/{number}/messages/", None),
    ("/accounts/{number}/notices/", None),
    ("/accounts/{number}/assessments/", None),
    ("/accounts/{number}/balances/", None),
    ("/accounts/{number}/access-log/", None),
    (f"/accounts/{{number}}/returns/{OWED}/file/", None),
    (f"/accounts/{{number}}/returns/{OWED}/file/", REVIEW),  # the review step
]


def _bulk_returns(account, user, count: int) -> None:
    """`count` original returns of two lines each for the months from January 2007 (bulk inserts, as the
    benchmark fills its accounts)."""
    periods = [Period(date(EFFECTIVE.year + n // 12, n % 12 + 1, 1)) for n in range(count)]
    bulk_returns(account, user, periods, prefix=f"Q{account.pk:06d}")


def _fill(account, user, count: int) -> None:
    """`count` ledger rows over two years of processed dates; `count` messages, documents, contacts, claims,
    letters of assessment and access-log rows; and `count` returns: one filed through the service for each month
    from June 2023 (up to RETURNS_FILED), the rest bulk-inserted for the months from January 2007."""
    now = timezone.now()
    first = date(2022, 1, 31)
    LedgerTransaction.objects.bulk_create(
        LedgerTransaction(
            account=account,
            period_end=first,
            kind=LedgerTransaction.Kind.ASSESSED_TAX,
            amount=Decimal("10.00"),
            processed_on=first + timedelta(days=n * 730 // count),
            effective_on=first + timedelta(days=n * 730 // count),
            description=f"Tax {n}",
            posted_at=now,
        )
        for n in range(count)
    )
    Message.objects.bulk_create(
        Message(account=account, subject=f"S{n}", body="B", sent_at=now, last_from_tra_at=now)
        for n in range(count)
    )
    Document.objects.bulk_create(
        Document(
            account=account,
            reference_number=f"DOC-{account.pk:08d}-{n:06d}",
            document_type=Document.Type.OTHER,
            received_at=now,
        )
        for n in range(count)
    )
    Contact.objects.bulk_create(
        Contact(account=account, name=f"Contact {n}", phone="780-555-0100", email=f"c{n}@example.com")
        for n in range(count)
    )
    Claim.objects.bulk_create(
        Claim(
            account=account,
            kind=Claim.Kind.FUEL_TAX_REFUND,
            submission_token=uuid.uuid4(),
            refund_method=Claim.RefundMethod.CHEQUE,
            total_refund=Decimal("25.00"),
            received_at=now,
            confirmation_number=f"QC{account.pk:06d}{n:04d}",
            filed_by=user,
            filed_by_email=user.email,
            filed_in_capacity=Grant.Role.OWNER,
            certified_name="Olivia Owner",
            certified_capacity="President",
        )
        for n in range(count)
    )
    bulk_notices(account, [Period(date(2022, 1, 1))] * count, prefix=f"N-{account.pk:06d}")
    AccessLogEntry.objects.bulk_create(
        AccessLogEntry(
            actor=user,
            actor_email=user.email,
            capacity="owner",
            account_number=account.number,
            kind=AccessLogEntry.Kind.CHANGE if n % 2 else AccessLogEntry.Kind.READ,
            action="account detail",
            path=f"/accounts/{account.number}/",
            door="web",
        )
        for n in range(count)
    )
    filed = min(count, RETURNS_FILED)
    for n in range(filed):
        month = FIRST_FILED[1] - 1 + n
        file_return(
            account=account,
            period=f"{FIRST_FILED[0] + month // 12}-{month % 12 + 1:02d}",
            user=user,
            clear_gasoline__taxable="1000",
        )
    _bulk_returns(account, user, count - filed)


@pytest.fixture
def owner_of_two():
    user = UserFactory()
    accounts = {}
    with time_machine.travel(edmonton(*TODAY, 9), tick=False):
        for count in (FEW, MANY):
            account = ProgramAccountFactory(effective_date=EFFECTIVE)
            owner_grant(account=account, user=user)
            _fill(account, user, count)
            accounts[count] = account
    return user, accounts


def _queries(client, path: str, form: dict | None = None) -> int:
    def request():
        return client.get(path) if form is None else client.post(path, form)

    request()  # a first request fills what a process keeps (compiled queries, templates)
    with CaptureQueriesContext(connection) as captured:
        response = request()
    assert response.status_code == 200, path
    assert len(captured) > 4, path  # the middleware's three and the access check: the capture saw the page
    return len(captured)


@pytest.mark.parametrize(("page", "form"), PAGES)
def test_the_page_does_as_many_queries_for_100_times_the_data(owner_of_two, page, form):
    user, accounts = owner_of_two
    with time_machine.travel(edmonton(*TODAY, 9), tick=False):
        client = sign_in(Client(), user)
        few = _queries(client, page.format(number=accounts[FEW].number), form)
        many = _queries(client, page.format(number=accounts[MANY].number), form)
    assert few == many


def test_the_fill_is_what_the_pages_show(owner_of_two):
    """The counts above compare pages that do show 2 and 200 of each thing."""
    user, accounts = owner_of_two
    with time_machine.travel(edmonton(*TODAY, 9), tick=False):
        client = sign_in(Client(), user)
        status = client.get(f"/accounts/{accounts[MANY].number}/assessments/").text
        review = client.post(f"/accounts/{accounts[MANY].number}/returns/{OWED}/file/", REVIEW).text
    assert FuelTaxReturn.objects.filter(account=accounts[MANY]).count() == MANY
    assert "Fuel tax return, January 2007" in status
    assert "Fuel tax refund claim" in status
    assert "Review the return for May 2024" in review


# --- Home: a representative of 30 accounts, and of 3,000 ---------------------------------------------------

HOME_FEW, HOME_MANY = 30, 3000
HOME_PAGES = [
    ("/", "page 1"),
    ("/?page={last}", "the last page"),
    ("/?q=Client+0", "a search by name"),
]


def _representative_of(count: int, tag: str):
    """A representative holding an all-accounts consent (AT4931) and its grant for each of `count` taxpayers'
    fuel tax accounts, as bench/bench_clients.py sets up its 1,000 (bulk inserts)."""
    user = UserFactory()
    clients = [(f"Client {n:04d} {tag} Ltd.", f"{tag}{n:05d}") for n in range(count)]
    represent([(user, account) for account in client_accounts(clients, effective_date=date(2024, 1, 1))])
    return user


@pytest.mark.parametrize(("page", "name"), HOME_PAGES, ids=[name for _, name in HOME_PAGES])
def test_home_does_as_many_queries_for_100_times_the_accounts(page, name):
    with time_machine.travel(edmonton(*TODAY, 9), tick=False):
        few = sign_in(Client(), _representative_of(HOME_FEW, "8100"))
        many = sign_in(Client(), _representative_of(HOME_MANY, "8200"))
        few_page = page.format(last=-(-HOME_FEW // 25))
        many_page = page.format(last=-(-HOME_MANY // 25))
        counts = (_queries(few, few_page), _queries(many, many_page))
        last = many.get(many_page).text
    assert counts[0] == counts[1], name
    if "page" in page:
        assert "Client 2999 8200 Ltd." in last  # the last page shows the last accounts
