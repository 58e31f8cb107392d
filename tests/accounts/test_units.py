"""A unit of work (accounts/units.py): one transaction whose every error rolls it back whole, so the services in it
write no savepoints of their own, an advisory lock is taken once, and the access-log rows go in one statement
(accounts.services.access_log_batched) - the same rows, or none when the unit fails."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts import units
from accounts.actors import Actor
from accounts.models import AccessLogEntry
from accounts.services import access_log_batched, access_log_record
from assessments.services import ledger
from tests.consent.factories import ProgramAccountFactory

pytestmark = pytest.mark.django_db

JOB = Actor.job("test")


def _log(action: str) -> None:
    access_log_record(actor=JOB, kind=AccessLogEntry.Kind.CHANGE, action=action, account_number="1")


@units.service_transaction
def _service(action: str) -> None:
    _log(action)


def _statements(queries: CaptureQueriesContext) -> list[str]:
    return [query["sql"].split()[0] for query in queries.captured_queries]


def test_a_units_rows_go_in_one_statement_as_it_ends_in_the_order_recorded():
    with CaptureQueriesContext(connection) as queries, units.unit():
        for action in ("first", "second", "third"):
            _service(action)
        assert not AccessLogEntry.objects.filter(action="first").exists()  # not yet: at the end

    inserts = [sql for sql in _statements(queries) if sql == "INSERT"]
    assert len(inserts) == 1
    rows = AccessLogEntry.objects.filter(action__in=["first", "second", "third"]).order_by("id")
    assert [row.action for row in rows] == ["first", "second", "third"]
    assert all(row.occurred_at is not None and row.path == "test" for row in rows)


def test_a_unit_without_rows_inserts_none():
    with CaptureQueriesContext(connection) as queries, units.unit():
        pass

    assert "INSERT" not in _statements(queries)


def _failing_seller() -> None:
    with units.unit():
        _service("lost")
        raise RuntimeError("the seller failed")


def test_a_unit_that_fails_records_nothing():
    with pytest.raises(RuntimeError):
        _failing_seller()

    assert not AccessLogEntry.objects.filter(action="lost").exists()


def test_a_service_writes_its_savepoint_outside_a_unit_and_none_inside():
    with transaction.atomic(), CaptureQueriesContext(connection) as outside:
        _service("outside")
    with CaptureQueriesContext(connection) as inside, units.unit():
        _service("inside")

    assert _statements(outside).count("SAVEPOINT") == 1
    assert _statements(inside).count("SAVEPOINT") == 1  # the unit's own (inside the test's transaction)


@pytest.mark.django_db(transaction=True)  # autocommit, no test transaction around it
def test_rows_are_batched_only_inside_a_transaction():
    with pytest.raises(RuntimeError, match="inside the transaction"), access_log_batched():
        pass  # pragma: no cover (never entered)


def test_the_ledger_lock_is_taken_once_in_a_unit_but_again_after_a_savepoint():
    account = ProgramAccountFactory()
    with CaptureQueriesContext(connection) as queries, units.unit():
        ledger.ledger_lock(account=account)
        ledger.ledger_lock(account=account)
    assert sum("pg_advisory_xact_lock" in q["sql"] for q in queries.captured_queries) == 1

    # Taken first inside a savepoint (which could be rolled back, and the lock with it): taken again after.
    with CaptureQueriesContext(connection) as queries, units.unit():
        with transaction.atomic():
            ledger.ledger_lock(account=account)
        ledger.ledger_lock(account=account)
    assert sum("pg_advisory_xact_lock" in q["sql"] for q in queries.captured_queries) == 2

    with CaptureQueriesContext(connection) as queries:  # outside a unit: every time, as before
        ledger.ledger_lock(account=account)
        ledger.ledger_lock(account=account)
    assert sum("pg_advisory_xact_lock" in q["sql"] for q in queries.captured_queries) == 2


def test_held_relations_names_the_keys_set_from_saved_instances_only():
    from assessments.models import LedgerTransaction

    account = ProgramAccountFactory()
    held = LedgerTransaction(account=account)
    by_id = LedgerTransaction(account_id=account.pk)

    assert units.held_relations(held) == ["account"]
    assert units.held_relations(by_id, also=["reverses"]) == ["reverses"]
