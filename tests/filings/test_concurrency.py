"""Two people file the same period at once on PostgreSQL: exactly one original return.

Each thread has its own database connection (Django keeps one per thread), so these are two real sessions
racing on the server, with committed data (transactional_db)."""

import threading
import time

import pytest
from django.db import IntegrityError, connection, transaction

from filings.models import FuelTaxReturn, ReturnLine
from filings.services import ReturnAlreadyFiled
from tests.filings.factories import file_return

pytestmark = pytest.mark.django_db(transaction=True)


def _run_in_thread(target, results, name):
    def body():
        try:
            results[name] = target()
        except Exception as error:  # handed back to the test to assert on
            results[name] = error
        finally:
            connection.close()

    thread = threading.Thread(target=body, name=name)
    thread.start()
    return thread


def test_two_submissions_at_once_make_one_original(account, owner, filer):
    barrier = threading.Barrier(2, timeout=10)
    results: dict[str, object] = {}

    def submit(user, capacity, litres):
        def go():
            barrier.wait()
            return file_return(
                account=account,
                period="2021-06",
                user=user,
                capacity=capacity,
                clear_gasoline__taxable=litres,
            )

        return go

    threads = [
        _run_in_thread(submit(owner, "owner", "100"), results, "owner"),
        _run_in_thread(submit(filer, "delegate", "200"), results, "filer"),
    ]
    for thread in threads:
        thread.join(timeout=30)
    stored = [r for r in results.values() if isinstance(r, FuelTaxReturn)]
    refused = [r for r in results.values() if isinstance(r, ReturnAlreadyFiled)]
    assert (len(stored), len(refused)) == (1, 1), results
    assert refused[0].existing.pk == stored[0].pk
    assert FuelTaxReturn.objects.filter(account=account, period_start="2021-06-01").count() == 1
    assert ReturnLine.objects.count() == 1


def test_a_race_past_the_check_is_caught_by_the_constraint(account, owner, filer):
    """The first filer has inserted but not committed; the second's check sees nothing, its insert waits on
    the unique index, and when the first commits it fails there: the service turns that into
    ReturnAlreadyFiled carrying the first return, and stores nothing."""
    inserted = threading.Event()
    results: dict[str, object] = {}

    def first():
        with transaction.atomic():
            tax_return = file_return(
                account=account, period="2021-06", user=owner, clear_gasoline__taxable="100"
            )
            inserted.set()
            # Hold the transaction open until the second filer is blocked on our row (or 10 s pass).
            deadline = time.monotonic() + 10
            with connection.cursor() as cursor:
                while time.monotonic() < deadline:
                    cursor.execute(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
                    )
                    if cursor.fetchone()[0] >= 1:
                        break
                    time.sleep(0.02)
        return tax_return

    def second():
        assert inserted.wait(timeout=10)
        return file_return(
            account=account, period="2021-06", user=filer, capacity="delegate", clear_gasoline__taxable="200"
        )

    threads = [_run_in_thread(first, results, "first"), _run_in_thread(second, results, "second")]
    for thread in threads:
        thread.join(timeout=30)
    assert isinstance(results["first"], FuelTaxReturn), results
    assert isinstance(results["second"], ReturnAlreadyFiled), results
    assert isinstance(results["second"].__cause__, IntegrityError)  # the constraint, not the check, caught it
    assert results["second"].existing.pk == results["first"].pk
    assert FuelTaxReturn.objects.count() == 1
    assert ReturnLine.objects.get().litres == 100
