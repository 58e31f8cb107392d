"""Home: the accounts a person can reach, with search, program filter and pages for many clients."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.template.loader import get_template
from django.template.loader_tags import BlockNode
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from consent.models import Consent, Grant
from consent.privileges import Privilege
from filings.periods import Period
from tests.accounts.factories import UserFactory
from tests.consent.factories import (
    ConsentFactory,
    ProgramAccountFactory,
    TaxpayerFactory,
    delegate_grant,
    owner_grant,
    representative_grant,
)

pytestmark = pytest.mark.django_db


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert reverse("account_login") in response.url


def test_someone_without_accounts_is_pointed_to_account_enrolment(signed_in):
    response = signed_in.get(reverse("home"))
    assert response.status_code == 200
    assert "You do not have access to any program account yet" in response.text
    assert reverse("account_enrol") in response.text


def test_lists_each_reachable_account_with_taxpayer_program_role_and_privileges(signed_in, user):
    owned = ProgramAccountFactory(taxpayer__legal_name="Prairie Fuels Ltd.", program="fuel_tax")
    owner_grant(account=owned, user=user)
    delegated = ProgramAccountFactory(taxpayer__legal_name="Foothills Cardlock Co-op", program="tefs")
    delegate_grant(account=delegated, user=user, privileges=[Privilege.VIEW_ACCOUNT, Privilege.FILE_RETURNS])

    response = signed_in.get(reverse("home"))

    text = response.text
    assert "Prairie Fuels Ltd." in text
    assert "Foothills Cardlock Co-op" in text
    assert "Fuel Tax" in text
    assert "Tax Exempt Fuel Sales (marked fuel)" in text
    assert reverse("account_detail", kwargs={"number": owned.number}) in text
    assert reverse("account_detail", kwargs={"number": delegated.number}) in text
    assert "Account owner" in text
    assert "Every function, including managing access" in text
    assert "Delegate" in text
    assert str(Privilege.FILE_RETURNS.label) in text
    assert str(Privilege.MANAGE_DIRECT_DEPOSIT.label) not in text
    # Overdue first: the fuel tax account owes returns since 2024; the marked-fuel account owes none.
    listed = text[text.index("<table") :]
    assert listed.index("Prairie Fuels Ltd.") < listed.index("Foothills Cardlock Co-op")


def test_the_accounts_most_overdue_come_first_then_by_name(signed_in, user):
    """A representative's list puts the accounts with the most overdue returns first, across every page: the
    account owing the most is on page 1 even when its name sorts last of 30."""
    from tests.filings.factories import file_return

    today = timezone.localdate()
    recent = today.replace(day=1) - timedelta(days=400)  # about 13 months owed
    for index in range(30):
        account = ProgramAccountFactory(
            taxpayer__legal_name=f"Aardvark {index:02d} Ltd.", effective_date=today
        )
        owner_grant(account=account, user=user)
    most = ProgramAccountFactory(taxpayer__legal_name="Zephyr Fuels Ltd.", effective_date=date(2022, 1, 1))
    owner_grant(account=most, user=user)
    fewer = ProgramAccountFactory(taxpayer__legal_name="Yarrow Fuels Ltd.", effective_date=recent)
    owner_grant(account=fewer, user=user)
    settled = ProgramAccountFactory(taxpayer__legal_name="Xenon Fuels Ltd.", effective_date=recent)
    owner_grant(account=settled, user=user)
    month = Period.of(recent)
    while month.end < today.replace(day=1):
        file_return(account=settled, period=month.key, user=user)
        month = month.next()

    text = signed_in.get(reverse("home")).text
    listed = text[text.index("<table") :]

    assert (
        listed.index("Zephyr Fuels Ltd.")
        < listed.index("Yarrow Fuels Ltd.")
        < listed.index("Aardvark 00 Ltd.")
    )
    assert "Xenon Fuels Ltd." not in listed  # nothing overdue: by name, after the 24 Aardvarks on page 1
    page_2 = signed_in.get(reverse("home"), {"page": 2}).text
    assert page_2.index("Aardvark 23 Ltd.") < page_2.index("Xenon Fuels Ltd.")


def test_accounts_not_in_force_are_not_listed(signed_in, user):
    revoked = ProgramAccountFactory(taxpayer__legal_name="Revoked Ltd.")
    delegate_grant(account=revoked, user=user, status=Grant.Status.REVOKED)
    ended = ProgramAccountFactory(taxpayer__legal_name="Ended Ltd.")
    delegate_grant(account=ended, user=user, ends_on=timezone.localdate() - timedelta(days=1))
    pending = ProgramAccountFactory(taxpayer__legal_name="Pending Ltd.")
    delegate_grant(account=pending, user=None, status=Grant.Status.PENDING, email=user.email)
    expired = ProgramAccountFactory(taxpayer__legal_name="Expired Consent Ltd.")
    consent = ConsentFactory(
        taxpayer=expired.taxpayer,
        representative=user,
        accounts=[expired],
        expires_on=timezone.localdate() - timedelta(days=1),
    )
    representative_grant(consent=consent, account=expired)
    somebody_elses = ProgramAccountFactory(taxpayer__legal_name="Somebody Else Ltd.")
    owner_grant(account=somebody_elses)

    response = signed_in.get(reverse("home"))

    for name in ["Revoked Ltd.", "Ended Ltd.", "Pending Ltd.", "Expired Consent Ltd.", "Somebody Else Ltd."]:
        assert name not in response.text
    assert "You do not have access to any program account yet" in response.text


@pytest.fixture
def representative_with_clients(user):
    """A representative with three clients under consents, in two programs."""
    clients = {}
    for name, program in [
        ("Alpha Farms Inc.", "tefs"),
        ("Bravo Fuels Ltd.", "fuel_tax"),
        ("Charlie Cardlock", "fuel_tax"),
    ]:
        account = ProgramAccountFactory(taxpayer__legal_name=name, program=program)
        consent = ConsentFactory(taxpayer=account.taxpayer, representative=user, accounts=[account])
        representative_grant(consent=consent, account=account)
        clients[name] = account
    return clients


def test_search_by_name_bin_or_account_number(signed_in, representative_with_clients):
    bravo = representative_with_clients["Bravo Fuels Ltd."]

    by_name = signed_in.get(reverse("home"), {"q": "bravo"})
    by_bin = signed_in.get(reverse("home"), {"q": bravo.taxpayer.bin})
    by_number = signed_in.get(reverse("home"), {"q": bravo.number})

    for response in (by_name, by_bin, by_number):
        assert "Bravo Fuels Ltd." in response.text
        assert "Alpha Farms Inc." not in response.text
        assert "Charlie Cardlock" not in response.text
    nothing = signed_in.get(reverse("home"), {"q": "Zulu"})
    assert "No account matches your search." in nothing.text


def test_filter_by_program(signed_in, representative_with_clients):
    response = signed_in.get(reverse("home"), {"program": "fuel_tax"})

    assert "Bravo Fuels Ltd." in response.text
    assert "Charlie Cardlock" in response.text
    assert "Alpha Farms Inc." not in response.text
    # The filter offers only the programs of the person's own accounts.
    assert 'value="tefs"' in response.text
    assert 'value="aite"' not in response.text


def _accounts_for(user, count):
    taxpayers = [TaxpayerFactory(legal_name=f"Client {n:03d} Ltd.") for n in range(count)]
    for n, taxpayer in enumerate(taxpayers):
        account = ProgramAccountFactory(taxpayer=taxpayer, program="fuel_tax" if n % 2 else "tefs")
        if n % 3 == 0:
            owner_grant(account=account, user=user)
        elif n % 3 == 1:
            delegate_grant(
                account=account, user=user, privileges=[Privilege.VIEW_ACCOUNT, Privilege.FILE_RETURNS]
            )
        else:
            consent = ConsentFactory(taxpayer=taxpayer, representative=user, accounts=[account])
            representative_grant(consent=consent, account=account)


def test_many_clients_are_paginated_by_25(signed_in, user):
    _accounts_for(user, 30)

    first = signed_in.get(reverse("home"))
    second = signed_in.get(reverse("home"), {"page": 2})

    # Links in the list itself (the red banners above it link to accounts too).
    assert first.text[first.text.index("<table") :].count("/accounts/") == 25
    assert "Page 1 of 2" in first.text
    assert "30 accounts" in first.text
    assert second.text[second.text.index("<table") :].count("/accounts/") == 5
    # Overdue first: the 15 fuel tax accounts (odd numbers, owing returns since 2024) lead page 1; the
    # marked-fuel accounts follow by name, the last five on page 2.
    assert "Client 029 Ltd." in first.text
    assert "Client 028 Ltd." in second.text
    assert "Client 029 Ltd." not in second.text


def test_pages_keep_the_search(signed_in, user):
    _accounts_for(user, 30)

    response = signed_in.get(reverse("home"), {"q": "Client", "program": ""})

    assert "?q=Client&amp;program=&amp;page=2" in response.text


def _home_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("home"))
    assert response.status_code == 200
    return len(queries)


def test_query_count_does_not_grow_with_the_number_of_accounts(client_for):
    few, many = UserFactory(), UserFactory()
    _accounts_for(few, 3)
    _accounts_for(many, 60)
    assert Consent.objects.filter(representative=many).count() == 20

    few_client, many_client = client_for(few), client_for(many)
    _home_queries(few_client)  # warm up: the session and the two-factor device
    _home_queries(many_client)

    assert _home_queries(few_client) == _home_queries(many_client)
    # And searching or filtering adds no per-row query either.
    with CaptureQueriesContext(connection) as few_search:
        few_client.get(reverse("home"), {"q": "Client", "program": "fuel_tax"})
    with CaptureQueriesContext(connection) as many_search:
        many_client.get(reverse("home"), {"q": "Client", "program": "fuel_tax"})
    assert len(few_search) == len(many_search)


def test_home_leaves_a_named_block_for_outstanding_banners():
    """Later issues fill it with "N return(s) outstanding" and "N period(s) with an outstanding balance"."""
    template = get_template("consent/home.html").template
    block_names = {node.name for node in template.nodelist.get_nodes_by_type(BlockNode)}
    assert "outstanding_banners" in block_names
