"""Home's "overdue first" order and its "N return(s) outstanding" banners count a tourism levy establishment's
overdue returns too (issue 16 #5): the database's count (filings.panels.overdue_returns_expression) agrees with
the periods the return's definition owes in Python (TOURISM_LEVY_RETURN.periods_owed: months, or calendar quarters
while the establishment files quarterly) whose due date (the 28th day after the period, moved to a business day)
has passed, less the originals filed; a representative's home puts the establishment in its place, with its
banner, in a query count that does not grow with the accounts."""

from datetime import date, timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from filings.definitions.tourism_levy import TOURISM_LEVY_RETURN
from filings.models import TourismLevyReturn
from filings.panels import last_overdue_start
from filings.periods import Period, PeriodKind
from filings.selectors import ORIGINAL
from tests.accounts.factories import UserFactory
from tests.conftest import sign_in
from tests.consent.factories import ConsentFactory, ProgramAccountFactory, owner_grant, representative_grant
from tests.consent.test_overview_banners import banners_of, homes_of
from tests.filings.factories import edmonton
from tests.filings.test_overdue_first import overdue_by_account
from tests.filings.tourism_levy_factories import establishment, file_levy_return

pytestmark = pytest.mark.django_db

MONTHLY, QUARTERLY = PeriodKind.MONTHLY, PeriodKind.QUARTERLY


def python_overdue(account, today: date) -> int:
    """The oracle: the periods the definition owes by `today` whose due date has passed, less those filed."""
    filed = set(
        TourismLevyReturn.objects.filter(account=account, kind=ORIGINAL).values_list(
            "period_start", flat=True
        )
    )
    return sum(
        1
        for period in TOURISM_LEVY_RETURN.periods_owed(account, today)
        if today > TOURISM_LEVY_RETURN.due_on(period) and period.start not in filed
    )


def close(account, on: date) -> None:
    account.closed_on, account.status = on, account.Status.CLOSED
    account.save(update_fields=["closed_on", "status"])


@pytest.mark.parametrize(
    ("kind", "today", "last"),
    [
        # March 2024 is due Sunday 2024-04-28, moved to Monday the 29th: overdue from the 30th.
        (MONTHLY, date(2024, 4, 29), date(2024, 2, 1)),
        (MONTHLY, date(2024, 4, 30), date(2024, 3, 1)),
        # Q1 2024 has the same due date as March; Q4 2023 was due Sunday 2024-01-28, moved to the 29th.
        (QUARTERLY, date(2024, 4, 29), date(2023, 10, 1)),
        (QUARTERLY, date(2024, 4, 30), date(2024, 1, 1)),
        (QUARTERLY, date(2024, 1, 29), date(2023, 7, 1)),
        (QUARTERLY, date(2024, 1, 30), date(2023, 10, 1)),
    ],
)
def test_the_last_overdue_period_of_each_kind_follows_the_levy_due_dates(kind, today, last):
    assert last_overdue_start(TOURISM_LEVY_RETURN, kind, today=today) == last


def _monthly(user):
    """Opened 2024-01-10, monthly: on 2024-05-15 January, February and March are overdue (March was due
    2024-04-29); April is due 2024-05-28."""
    return establishment(opened=date(2024, 1, 10)), 3


def _quarterly(user):
    """Quarterly from its opening on 2023-07-01: on 2024-05-15 Q3 2023, Q4 2023 and Q1 2024 are overdue."""
    return establishment(opened=date(2023, 7, 1), quarterly_from=date(2023, 7, 1)), 3


def _switched(user):
    """Opened 2023-10-15 monthly, quarterly from 2024-01-01: October, November, December 2023, then Q1 2024."""
    return establishment(opened=date(2023, 10, 15), quarterly_from=date(2024, 1, 1)), 4


def _closed_monthly(user):
    """Opened 2023-01-01, closed 2023-03-15: January, February and March 2023 (the month it closed), no more."""
    account = establishment(opened=date(2023, 1, 1))
    close(account, date(2023, 3, 15))
    return account, 3


def _closed_quarterly(user):
    """Quarterly, closed 2023-05-10: Q1 and Q2 2023 (the quarter it closed in)."""
    account = establishment(opened=date(2023, 1, 1), quarterly_from=date(2023, 1, 1))
    close(account, date(2023, 5, 10))
    return account, 2


def _filed(user):
    """Monthly from 2024-01-01 with January and March filed: February alone is overdue on 2024-05-15."""
    account = establishment(opened=date(2024, 1, 1))
    owner_grant(account=account, user=user)
    file_levy_return(account=account, period="2024-01", user=user, gross="1000.00", collected="40.00")
    file_levy_return(account=account, period="2024-03", user=user, gross="0", collected="0")
    return account, 1


def _filed_quarterly(user):
    """Switched to quarterly on 2024-01-01 with December 2023 and Q1 2024 filed: October, November 2023 remain."""
    account, _count = _switched(user)
    owner_grant(account=account, user=user)
    file_levy_return(account=account, period="2023-12", user=user, gross="0", collected="0")
    file_levy_return(account=account, period="2024-Q1", user=user, gross="0", collected="0")
    return account, 2


@pytest.mark.parametrize(
    "make", [_monthly, _quarterly, _switched, _closed_monthly, _closed_quarterly, _filed, _filed_quarterly]
)
def test_the_database_counts_an_establishments_overdue_returns(make):
    user = UserFactory()
    account, expected = make(user)
    if not account.grants.exists():
        owner_grant(account=account, user=user)
    today = date(2024, 5, 15)
    assert python_overdue(account, today) == expected
    assert overdue_by_account(today=today) == {account.pk: expected}


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    opened=st.dates(min_value=date(2022, 1, 1), max_value=date(2024, 12, 31)),
    changes=st.lists(
        st.tuples(st.integers(min_value=0, max_value=15), st.sampled_from(["quarterly", "monthly"])),
        max_size=3,
        unique_by=lambda change: change[0],
    ),
    closed_after=st.one_of(st.none(), st.integers(min_value=0, max_value=600)),
    filed=st.sets(st.integers(min_value=0, max_value=12), max_size=3),
    today=st.dates(min_value=date(2022, 1, 1), max_value=date(2026, 6, 30)),
)
def test_the_database_agrees_with_the_definition_on_any_history(opened, changes, closed_after, filed, today):
    user = UserFactory()
    account = establishment(opened=opened)
    first_quarter = Period.of(date(2022, 1, 1), QUARTERLY)
    for offset, frequency in changes:
        quarter = first_quarter
        for _ in range(offset):
            quarter = quarter.next()
        account.frequencies.create(frequency=frequency, effective_from=quarter.start)
    if closed_after is not None:
        close(account, opened + timedelta(days=closed_after))
    owner_grant(account=account, user=user)
    owed = TOURISM_LEVY_RETURN.periods_owed(account, date(2026, 11, 30))
    for index in sorted(filed):
        if index < len(owed):
            file_levy_return(account=account, period=owed[index].key, user=user, gross="0", collected="0")
    expected = python_overdue(account, today)
    assert overdue_by_account(today=today) == ({account.pk: expected} if expected else {})
    account.grants.all().delete()


# 2024-05-15 in Edmonton: the monthly establishment owes January to March 2024, the quarterly one Q1 2024.
SEEN_ON = edmonton(2024, 5, 15, 9)


def _represent(user, account):
    consent = ConsentFactory(taxpayer=account.taxpayer, representative=user, accounts=[account])
    representative_grant(consent=consent, account=account)


def test_a_representatives_home_puts_the_establishments_in_order_with_their_banners():
    with time_machine.travel(SEEN_ON, tick=False):
        representative = UserFactory()
        monthly = establishment(name="Lakeview Inn", opened=date(2024, 1, 1))
        quarterly = establishment(
            name="Ridge Motel", opened=date(2024, 1, 1), quarterly_from=date(2024, 1, 1)
        )
        fuel = ProgramAccountFactory(
            taxpayer__legal_name="Aardvark Fuels Ltd.", effective_date=date(2024, 3, 1)
        )
        for account in (fuel, quarterly, monthly):
            _represent(representative, account)

        response = sign_in(Client(), representative).get(reverse("home"))

    banners = banners_of(response)
    assert len(banners) == 3  # in the list's order: the most overdue first
    assert "3 returns outstanding" in banners[0]
    assert reverse("account_detail", kwargs={"number": monthly.number}) in banners[0]
    # One each; ties go by taxpayer name ("Aardvark Fuels Ltd." before "Rocky Lodging Ltd.").
    assert "1 return outstanding" in banners[1]
    assert reverse("account_detail", kwargs={"number": fuel.number}) in banners[1]
    assert "1 return outstanding" in banners[2]
    assert reverse("account_detail", kwargs={"number": quarterly.number}) in banners[2]
    text = response.content.decode()
    assert text.index(monthly.number) < text.index(quarterly.number)


def test_home_query_count_does_not_grow_with_the_establishments():
    with time_machine.travel(SEEN_ON, tick=False):
        few, many = UserFactory(), UserFactory()
        for user, count in ((few, 3), (many, 40)):
            for index in range(count):
                quarterly_from = date(2024, 1, 1) if index % 2 else None
                owner_grant(
                    account=establishment(opened=date(2024, 1, 1), quarterly_from=quarterly_from), user=user
                )
        (few_count, few_page), (many_count, many_page) = homes_of(few, many)

    assert few_page.count("3 returns outstanding") == 2
    assert few_page.count("1 return outstanding") == 1
    assert many_page.count("3 returns outstanding") == 20  # the monthly ones come first
    assert many_page.count("1 return outstanding") == 5  # a page is 25 accounts
    assert few_count == many_count
