"""Issue 13: each page a person opens often does the same number of queries whatever its account holds, so its
time does not grow with the data (the speed itself is measured by `make bench`, never here). Each page is read
for an account with 2 of everything and one with 200, 100 times as much (ledger rows over two years of months,
returns filed, messages, documents, contacts); the counts must be equal. Cheap: small data, bulk inserts. Home's count for 3 and 60
accounts is tested in tests/consent/test_overview_balance.py, and bench_clients names it at 25 and 1,000."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assessments.models import LedgerTransaction
from programs.models import Contact, Document, Message
from tests.accounts.factories import UserFactory
from tests.conftest import sign_in
from tests.consent.factories import ProgramAccountFactory, owner_grant
from tests.filings.factories import edmonton, file_return

pytestmark = pytest.mark.django_db

TODAY = (2024, 6, 10)
FEW, MANY = 2, 200
RETURNS_FILED = 6
PAGES = [
    "/accounts/{number}/",
    "/accounts/{number}/transactions/",
    "/accounts/{number}/transactions/?show=period&period_end=2022-01-31",
    "/accounts/{number}/transactions/?show=range&processed_from=2022-01-01&processed_to=2022-12-31",
    "/accounts/{number}/messages/",
    "/accounts/{number}/notices/",
    "/accounts/{number}/assessments/",
    "/accounts/{number}/balances/",
]


def _fill(account, user, count: int) -> None:
    """`count` ledger rows over two years of processed dates, `count` messages, documents and contacts, and a return filed for
    each of the account's first months (up to RETURNS_FILED: filing goes through the service, the slow part)."""
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
    for n in range(min(count, RETURNS_FILED)):
        file_return(
            account=account,
            period=f"{2022 + n // 12}-{n % 12 + 1:02d}",
            user=user,
            clear_gasoline__taxable="1000",
        )


@pytest.fixture
def owner_of_two():
    user = UserFactory()
    accounts = {}
    with time_machine.travel(edmonton(*TODAY, 9), tick=False):
        for count in (FEW, MANY):
            account = ProgramAccountFactory(effective_date=date(2022, 1, 1))
            owner_grant(account=account, user=user)
            _fill(account, user, count)
            accounts[count] = account
    return user, accounts


def _queries(client, path: str) -> int:
    client.get(path)  # a first request fills what a process keeps (compiled queries, templates)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200, path
    assert len(captured) > 4, path  # the middleware's three and the access check: the capture saw the page
    return len(captured)


@pytest.mark.parametrize("page", PAGES)
def test_the_page_does_as_many_queries_for_100_times_the_data(owner_of_two, page):
    user, accounts = owner_of_two
    with time_machine.travel(edmonton(*TODAY, 9), tick=False):
        client = sign_in(Client(), user)
        few = _queries(client, page.format(number=accounts[FEW].number))
        many = _queries(client, page.format(number=accounts[MANY].number))
    assert few == many
