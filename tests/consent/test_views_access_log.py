"""Access log for owners: "who looked at my account"."""

import pytest
from django.db import connection
from django.urls import reverse

from accounts.models import AccessLogEntry
from accounts.services import access_log_record
from consent.privileges import Privilege
from tests.accounts.factories import UserFactory, actor_for
from tests.consent.factories import ProgramAccountFactory, delegate_grant

pytestmark = pytest.mark.django_db


def _url(name, account):
    return reverse(name, kwargs={"number": account.number})


def _rows(response) -> list[str]:
    body = response.text.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [row for row in body.split("<tr>")[1:]]


def test_owner_sees_reads_by_the_delegate_newest_first(owner_client, account, client_for):
    evan = UserFactory(email="evan@example.ca")
    delegate_grant(account=account, user=evan, privileges=[Privilege.VIEW_ACCOUNT])
    client_for(evan).get(_url("account_detail", account), REMOTE_ADDR="203.0.113.7")

    response = owner_client.get(_url("access_log", account))

    assert response.status_code == 200
    rows = _rows(response)
    evan_rows = [row for row in rows if "evan@example.ca" in row]
    assert len(evan_rows) == 1
    assert "account detail" in evan_rows[0]
    assert "Delegate" in evan_rows[0]
    assert "203.0.113.7" in evan_rows[0]
    assert account.taxpayer.legal_name in evan_rows[0]
    # Newest first: the owner's own read of this page, then the delegate's read, ..., the account's opening.
    assert "access log" in rows[0]
    assert rows.index(evan_rows[0]) == 1
    assert "account opened" in rows[-1]


def test_filter_by_kind(owner_client, account, client_for, owner):
    evan = UserFactory(email="evan@example.ca")
    delegate_grant(account=account, user=evan, privileges=[Privilege.FILE_RETURNS])
    client_for(evan).get(_url("account_detail", account))  # refused: no "view account information"
    access_log_record(
        actor=actor_for(owner),
        kind=AccessLogEntry.Kind.CHANGE,
        action="delegate privileges changed",
        account_number=account.number,
    )

    denied = owner_client.get(_url("access_log", account), {"kind": "denied"})
    changes = owner_client.get(_url("access_log", account), {"kind": "change"})

    assert [("privilege missing" in row) for row in _rows(denied)] == [True]
    assert "evan@example.ca" in _rows(denied)[0]
    assert all("Change" in row for row in _rows(changes))
    assert any("delegate privileges changed" in row for row in _rows(changes))


def test_people_without_access_are_not_named(owner_client, account, client_for):
    stranger = UserFactory(email="stranger@example.ca")
    client_for(stranger).get(_url("account_detail", account), REMOTE_ADDR="198.51.100.9")

    response = owner_client.get(_url("access_log", account), {"kind": "denied"})

    assert "stranger@example.ca" not in response.text
    assert "Someone without access to this account" in response.text
    assert "198.51.100.9" in response.text


def test_only_this_accounts_entries_are_shown(owner_client, account):
    other = ProgramAccountFactory()
    access_log_record(
        actor=actor_for(None),
        kind=AccessLogEntry.Kind.READ,
        action="secret other read",
        account_number=other.number,
    )

    response = owner_client.get(_url("access_log", account))

    assert "secret other read" not in response.text
    assert other.number not in response.text


def _reads(account, owner, count: int) -> None:
    """`count` reads of the account by its owner, straight into the log."""
    AccessLogEntry.objects.bulk_create(
        AccessLogEntry(
            actor=owner,
            actor_email=owner.email,
            kind=AccessLogEntry.Kind.READ,
            action=f"read {n}",
            account_number=account.number,
        )
        for n in range(count)
    )


def test_paginated_by_50(owner_client, account, owner):
    _reads(account, owner, 60)

    first = owner_client.get(_url("access_log", account))
    second = owner_client.get(_url("access_log", account), {"page": 2})

    assert len(_rows(first)) == 50
    assert "Page 1 of 2" in first.text
    assert len(_rows(second)) >= 10


def test_a_long_log_is_counted_only_a_window_past_the_page_and_every_page_stays_reachable(
    owner_client, account, owner, monkeypatch
):
    """The pager counts AHEAD pages past the one shown (here 1, to keep the data small): 260 entries at 50 a
    page, page 1 says "of more than 2" and offers Next; page 5 sees the end and says "of 6"."""
    from tracs.pagination import WindowedPaginator

    monkeypatch.setattr(WindowedPaginator, "AHEAD", 1)
    _reads(account, owner, 260)
    statements: list[str] = []

    def record(execute, sql, params, many, context):
        statements.append(sql % tuple(params or ()) if "LIMIT %s" in sql else sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        first = owner_client.get(_url("access_log", account))
    last = owner_client.get(_url("access_log", account), {"page": 5})
    sixth = owner_client.get(_url("access_log", account), {"page": 6})

    assert "Page 1 of more than 2" in first.text
    assert 'rel="next"' in first.text
    counts = [sql for sql in statements if "COUNT(" in sql and "accesslogentry" in sql]
    assert len(counts) == 1
    assert "LIMIT 101" in counts[0]  # (1 + AHEAD) pages of 50, and one row to tell there are more
    assert "Page 5 of 6" in last.text
    assert len(_rows(sixth)) >= 10  # the 260 entries and the owner's reads of the log itself


def test_a_delegate_cannot_read_the_log(client_for, account, owner):
    evan = UserFactory()
    delegate_grant(account=account, user=evan, privileges=[Privilege.VIEW_ACCOUNT])

    response = client_for(evan).get(_url("access_log", account))

    assert response.status_code == 403
    assert str(Privilege.MANAGE_ACCESS.label) in response.content.decode()
