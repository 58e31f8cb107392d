"""Account Information's own reads (issue 13): the mailing address and active BFLOs from one query, the messages
panel's unread count and the header's from one query, and the page's exact query count for an owner, so a panel
that starts asking twice shows here (the count not growing with the data is tests/test_page_query_counts.py)."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from programs.models import Address, BulkFuelLocation, Message
from tests.accounts.factories import UserFactory
from tests.conftest import sign_in
from tests.consent.factories import ProgramAccountFactory, owner_grant
from tests.consent.test_overview_panels import page_text

pytestmark = pytest.mark.django_db

# Three from the middleware (session, user, two-factor device), the access check, the access-log row, the address
# with the BFLOs, the open returns, the ledger months, the unread counts (panel and header), the latest messages,
# the documents count, the contacts and the recent changes.
OWNER_QUERIES = 13


def _detail(client, account):
    response = client.get(reverse("account_detail", kwargs={"number": account.number}))
    assert response.status_code == 200
    return response


def _unread(account, count):
    now = timezone.now()
    Message.objects.bulk_create(
        Message(account=account, subject=f"To {account.pk} {n}", body="B", sent_at=now, last_from_tra_at=now)
        for n in range(count)
    )


def test_the_mailing_address_and_the_active_bflos_in_their_order():
    account = ProgramAccountFactory()
    owner = UserFactory()
    owner_grant(account=account, user=owner)
    Address.objects.update_or_create(  # the factory gives every account one
        account=account,
        kind=Address.Kind.MAILING,
        defaults={"line1": "10 Main St", "line2": "", "city": "Leduc", "postal_code": "T9E 1A1"},
    )
    Address.objects.create(
        account=account, kind=Address.Kind.LOCATION, line1="99 Yard Rd", city="Nisku", postal_code="T9E 0B2"
    )
    for number, name, active in [
        ("B2", "North tank", True),
        ("B1", "South tank", True),
        ("B0", "Old", False),
    ]:
        BulkFuelLocation.objects.create(
            account=account, number=number, name=name, address="Rge Rd 1", active=active
        )

    text = page_text(_detail(sign_in(Client(), owner), account))

    assert "10 Main StLeduc AB T9E 1A1" in text  # line by line (<br>)
    assert "99 Yard Rd" not in text  # a business location is not the mailing address
    assert text.index("B1: South tank, Rge Rd 1") < text.index("B2: North tank, Rge Rd 1")
    assert "Old" not in text


def test_without_an_address_or_bflos_the_page_says_so():
    account = ProgramAccountFactory()
    owner = UserFactory()
    owner_grant(account=account, user=owner)
    Address.objects.filter(account=account).delete()

    text = page_text(_detail(sign_in(Client(), owner), account))

    assert "None on file. Contact TRA." in text
    assert "Bulk Fuel Locations" not in text


def test_the_panel_counts_this_accounts_unread_and_the_header_every_accounts():
    here, elsewhere = ProgramAccountFactory(), ProgramAccountFactory()
    owner = UserFactory()
    owner_grant(account=here, user=owner)
    owner_grant(account=elsewhere, user=owner)
    _unread(here, 2)
    _unread(elsewhere, 3)
    client = sign_in(Client(), owner)

    response = _detail(client, here)

    assert "2 unread messages" in page_text(response)
    assert response.context["unread_messages_count"] == 5  # the header's, from the panel's query
    home = client.get(reverse("home"))
    assert str(home.context["unread_messages_count"]) == "5"  # the same as the layout counts it anywhere else


def test_an_owner_reads_account_information_in_thirteen_queries():
    account = ProgramAccountFactory()
    owner = UserFactory()
    owner_grant(account=account, user=owner)
    _unread(account, 4)
    client = sign_in(Client(), owner)
    _detail(client, account)  # a first request fills what a process keeps (compiled queries, templates)

    with CaptureQueriesContext(connection) as queries:
        _detail(client, account)

    assert len(queries) == OWNER_QUERIES, [query["sql"][:80] for query in queries]


def test_an_owners_details_and_panels_are_read_in_one_round_trip():
    """ADR 0027: the address and BFLOs and every panel's compiled query are sent together (psycopg's pipeline
    mode); the session, user, device, access check and the read's log row before them are not."""
    from psycopg import pq

    account = ProgramAccountFactory()
    owner = UserFactory()
    owner_grant(account=account, user=owner)
    _unread(account, 4)
    client = sign_in(Client(), owner)
    _detail(client, account)
    ran = []

    def wrapper(execute, sql, params, many, context):
        ran.append(connection.connection.pgconn.pipeline_status != pq.PipelineStatus.OFF)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        _detail(client, account)

    # Address and BFLOs, returns, balance, unread counts, latest messages, documents, contacts, recent changes.
    assert ran.count(True) == 8
    assert ran[-8:] == [True] * 8
