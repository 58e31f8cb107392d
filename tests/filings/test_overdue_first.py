""" "Overdue first" (issue 3 #7): the database's count of each account's overdue returns, which orders the home
list of 1,000 accounts and counts the home banners, agrees with the obligations the Account Information panel
works out in Python from filings.periods (filings.selectors.obligations_for_account) for any account, any
returns filed and any day."""

from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consent.models import Grant
from filings.panels import last_overdue_period, overdue_returns_expression
from filings.periods import Period
from filings.selectors import obligations_for_account
from tests.accounts.factories import UserFactory
from tests.consent.factories import ProgramAccountFactory, owner_grant
from tests.filings.factories import file_return

pytestmark = pytest.mark.django_db


def overdue_by_account(*, today: date) -> dict[int, int]:
    rows = Grant.objects.annotate(overdue=overdue_returns_expression(account="account", today=today))
    return {
        account_id: overdue for account_id, overdue in rows.values_list("account_id", "overdue") if overdue
    }


@pytest.mark.parametrize(
    ("today", "last"),
    [
        # June 2021 is due 2021-07-28: overdue from the 29th, not on the 28th.
        (date(2021, 7, 28), "2021-05"),
        (date(2021, 7, 29), "2021-06"),
        # July 2021's due date, Saturday 2021-08-28, moves to Monday 2021-08-30.
        (date(2021, 8, 30), "2021-06"),
        (date(2021, 8, 31), "2021-07"),
    ],
)
def test_the_last_overdue_period_follows_the_due_dates(today, last):
    assert last_overdue_period(today=today) == Period.from_key(last)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    effective=st.dates(min_value=date(2024, 1, 1), max_value=date(2025, 12, 31)),
    closed_after=st.one_of(st.none(), st.integers(min_value=0, max_value=500)),
    filed=st.sets(st.integers(min_value=0, max_value=23), max_size=6),
    today=st.dates(min_value=date(2023, 6, 1), max_value=date(2027, 12, 31)),
)
def test_the_database_counts_overdue_returns_as_the_rules_do(effective, closed_after, filed, today):
    owner = UserFactory()
    account = ProgramAccountFactory(effective_date=effective)
    if closed_after is not None:
        account.closed_on = effective + timedelta(days=closed_after)
        account.status = account.Status.CLOSED
        account.save(update_fields=["closed_on", "status"])
    owner_grant(account=account, user=owner)
    month = Period.of(effective)
    last_filable = Period.of(date.today()).previous()
    for offset in range(24):
        if (
            offset in filed
            and month <= last_filable
            and (account.closed_on is None or month.start <= account.closed_on)
        ):
            file_return(account=account, period=month.key, user=owner)
        month = month.next()
    account.refresh_from_db()
    overdue = sum(
        1 for o in obligations_for_account(account=account, today=today) if o.is_overdue and not o.is_filed
    )
    expected = {account.pk: overdue} if overdue else {}
    assert overdue_by_account(today=today) == expected
    Grant.objects.filter(account=account).delete()


def test_accounts_outside_fuel_tax_owe_no_returns():
    account = ProgramAccountFactory(program="tefs", effective_date=date(2020, 1, 1))
    owner_grant(account=account, user=UserFactory())
    assert overdue_by_account(today=date(2026, 11, 24)) == {}
