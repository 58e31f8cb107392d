"""A page read's access-log row, written in a transaction of its own, commits without waiting for the WAL flush
(ADR 0023): only that transaction, never a change's row nor a caller's transaction a read is written in."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts.models import AccessLogEntry
from accounts.services import access_log_record
from tests.accounts.factories import UserFactory, actor_for

pytestmark = pytest.mark.django_db(transaction=True)  # autocommit, as a web request runs: no test transaction

WITHOUT_FLUSH = "SET LOCAL synchronous_commit TO OFF"


@pytest.fixture(autouse=True)
def _sessions_wait_for_the_flush(transactional_db):
    """The tests' sessions commit without waiting (tests/conftest.py): here the session waits, as production's do."""
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO on")
    yield
    with connection.cursor() as cursor:
        cursor.execute("RESET synchronous_commit")


def _synchronous_commit() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        return cursor.fetchone()[0]


def _record(kind: str):
    actor = actor_for(UserFactory())
    with CaptureQueriesContext(connection) as queries:
        entry = access_log_record(
            actor=actor,
            kind=kind,
            action="account detail",
            account_number="700000001-01-001",
        )
    return entry, [query["sql"] for query in queries]


def test_a_read_in_its_own_transaction_commits_without_waiting_and_the_session_keeps_its_setting():
    entry, sql = _record(AccessLogEntry.Kind.READ)

    assert WITHOUT_FLUSH in sql
    assert sql.index(WITHOUT_FLUSH) < next(i for i, q in enumerate(sql) if q.startswith("INSERT"))
    assert AccessLogEntry.objects.filter(pk=entry.pk, kind=AccessLogEntry.Kind.READ).exists()
    assert _synchronous_commit() == "on"  # SET LOCAL ended with the row's transaction


def test_a_changes_row_waits_for_the_flush():
    entry, sql = _record(AccessLogEntry.Kind.CHANGE)

    assert WITHOUT_FLUSH not in sql
    assert AccessLogEntry.objects.filter(pk=entry.pk).exists()


def test_a_read_inside_a_callers_transaction_leaves_that_transaction_waiting_for_the_flush():
    with transaction.atomic():
        _, sql = _record(AccessLogEntry.Kind.READ)
        assert _synchronous_commit() == "on"

    assert WITHOUT_FLUSH not in sql
