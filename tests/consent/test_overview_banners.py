"""Home's red banner "N return(s) outstanding" (registered by filings.panels in consent.panels): counted for the
accounts of the page where the person may see returns, each linking to its account, in a query count that does
not grow with the number of accounts."""

from datetime import date

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from consent.privileges import Privilege
from tests.accounts.factories import UserFactory
from tests.conftest import sign_in
from tests.consent.factories import ProgramAccountFactory, delegate_grant, owner_grant
from tests.filings.factories import edmonton, file_return
from tests.filings.test_overdue_first import overdue_by_account

pytestmark = pytest.mark.django_db

# 2024-04-10: January (due 2024-02-28) and February (due 2024-03-28) are overdue; March is due 2024-04-29
# (the 28th is a Sunday).
SEEN_ON = edmonton(2024, 4, 10, 9)


def banners_of(response) -> list[str]:
    text = response.content.decode()
    return [part.split("</li>")[0] for part in text.split('<li class="banner-outstanding">')[1:]]


def test_overdue_returns_are_counted_per_account_and_link_to_it():
    with time_machine.travel(SEEN_ON, tick=False):
        user = UserFactory()
        late = ProgramAccountFactory(taxpayer__legal_name="Late Fuels Ltd.", effective_date=date(2024, 1, 1))
        owner_grant(account=late, user=user)
        one_filed = ProgramAccountFactory(
            taxpayer__legal_name="Half Done Ltd.", effective_date=date(2024, 1, 1)
        )
        owner_grant(account=one_filed, user=user)
        file_return(account=one_filed, period="2024-01", user=user, clear_gasoline__taxable="1000")
        up_to_date = ProgramAccountFactory(
            taxpayer__legal_name="On Time Ltd.", effective_date=date(2024, 3, 1)
        )
        owner_grant(account=up_to_date, user=user)
        marked = ProgramAccountFactory(taxpayer__legal_name="Marked Only Ltd.", program="tefs")
        owner_grant(account=marked, user=user)

        banners = banners_of(sign_in(Client(), user).get(reverse("home")))

    assert len(banners) == 2
    late_banner, half = banners  # in the list's order: the most overdue first
    assert "2 returns outstanding" in late_banner
    assert reverse("account_detail", kwargs={"number": late.number}) in late_banner
    assert "Late Fuels Ltd." in late_banner
    assert "1 return outstanding" in half
    assert reverse("account_detail", kwargs={"number": one_filed.number}) in half


def test_only_accounts_where_the_person_may_see_returns_are_counted():
    with time_machine.travel(SEEN_ON, tick=False):
        user = UserFactory()
        messages_only = ProgramAccountFactory(effective_date=date(2024, 1, 1))
        delegate_grant(account=messages_only, user=user, privileges=(Privilege.MESSAGES,))
        filer = ProgramAccountFactory(effective_date=date(2024, 1, 1))
        delegate_grant(account=filer, user=user, privileges=(Privilege.FILE_RETURNS,))

        banners = banners_of(sign_in(Client(), user).get(reverse("home")))

    assert len(banners) == 1
    assert reverse("account_detail", kwargs={"number": filer.number}) in banners[0]


def test_overdue_counts_follow_the_due_date_rules():
    """On the due date itself a return is not yet overdue; the day after, it is (filings.periods.days_late)."""
    account = ProgramAccountFactory(effective_date=date(2024, 1, 1))
    owner_grant(account=account)
    assert overdue_by_account(today=date(2024, 2, 28)) == {}
    assert overdue_by_account(today=date(2024, 2, 29)) == {account.pk: 1}
    closed = ProgramAccountFactory(effective_date=date(2024, 1, 1), closed_on=date(2024, 1, 20))
    owner_grant(account=closed)
    assert overdue_by_account(today=date(2025, 1, 1))[closed.pk] == 1


def _accounts_for(user, count):
    for _ in range(count):
        owner_grant(account=ProgramAccountFactory(effective_date=date(2024, 1, 1)), user=user)


def _home_queries(client) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("home"))
    assert response.status_code == 200
    return len(queries), response.content.decode()


def homes_of(*users) -> list[tuple[int, str]]:
    """Each user's home, seen again after a warm-up (the session and the two-factor device): its query count
    and its page."""
    clients = [sign_in(Client(), user) for user in users]
    for client in clients:
        _home_queries(client)
    return [_home_queries(client) for client in clients]


def test_home_query_count_does_not_grow_with_the_accounts_and_their_banners():
    with time_machine.travel(SEEN_ON, tick=False):
        few, many = UserFactory(), UserFactory()
        _accounts_for(few, 3)
        _accounts_for(many, 60)
        (few_count, few_page), (many_count, many_page) = homes_of(few, many)

    assert few_page.count("2 returns outstanding") == 3
    assert many_page.count("2 returns outstanding") == 25  # the accounts of the first page
    assert few_count == many_count
