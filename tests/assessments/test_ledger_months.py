"""The ledger's month movements (LedgerMonth, ADR 0017), which the Account Information chart reads instead of the
ledger: whatever is posted (back-dated, reversed, many rows in one statement), each stored month holds the sum
and count of that month's transactions, and the 24 month-end balances equal those summed from the transactions."""

import importlib
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assessments.models import LedgerMonth, LedgerTransaction
from assessments.panels import monthly_balances
from assessments.services import ledger
from tests.assessments.factories import acting
from tests.consent.factories import ProgramAccountFactory

Kind = LedgerTransaction.Kind
TODAY = date(2024, 6, 15)
FIRST_DAY = date(
    2021, 1, 1
)  # processed dates drawn from here to TODAY: before, inside and at the window's end
FILL = importlib.import_module("assessments.migrations.0011_ledger_months").FILL
TABLE = LedgerTransaction._meta.db_table


def stored(account) -> dict:
    return {
        month: (net, count)
        for month, net, count in LedgerMonth.objects.filter(account=account).values_list(
            "month", "net", "transactions"
        )
    }


def from_the_ledger(account) -> dict:
    months: dict = {}
    for processed_on, amount in LedgerTransaction.objects.filter(account=account).values_list(
        "processed_on", "amount"
    ):
        month = processed_on.replace(day=1)
        net, count = months.get(month, (Decimal("0.00"), 0))
        months[month] = (net + amount, count + 1)
    return months


def month_ends_from_the_ledger(account, starts: list[date]) -> list[Decimal]:
    """Each window month's end balance, added up transaction by transaction."""
    amounts = list(LedgerTransaction.objects.filter(account=account).values_list("processed_on", "amount"))
    ends = []
    for start in starts:
        following = date(start.year + start.month // 12, start.month % 12 + 1, 1)
        ends.append(sum((amount for day, amount in amounts if day < following), start=Decimal("0.00")))
    return ends


def post(account, amount: Decimal, *, kind=Kind.ASSESSED_TAX, processed_on: date):
    return ledger.ledger_post(
        account=account,
        period_end=date(2021, 6, 30),
        kind=kind,
        amount=amount,
        description=f"{kind} {amount}",
        processed_on=processed_on,
        actor=acting(),
    )


@st.composite
def postings(draw):
    """A posting on any day of three and a half years (so many land before a month already posted to), or the
    reversal of an earlier one (processed on its own, possibly earlier, day)."""
    kind, sign = draw(
        st.sampled_from(
            [
                # Every kind the ledger holds, each with a sign its check constraint allows (both for those that
                # go both ways): what the services post (returns' and claims' assessments, payments, refunds,
                # interest, penalties, waivers' reversals, transfers, write-offs) is one of these through ledger_post.
                (Kind.ASSESSED_TAX, 1),
                (Kind.ASSESSED_TAX, -1),
                (Kind.CLAIM_CREDIT, -1),
                (Kind.PENALTY, 1),
                (Kind.INTEREST, 1),
                (Kind.INTEREST, -1),
                (Kind.PAYMENT, -1),
                (Kind.REFUND_ISSUED, 1),
                (Kind.TRANSFER, 1),
                (Kind.TRANSFER, -1),
                (Kind.WRITE_OFF, -1),
            ]
        )
    )
    cents = draw(st.integers(min_value=1, max_value=10**11))
    day = FIRST_DAY + timedelta(days=draw(st.integers(min_value=0, max_value=(TODAY - FIRST_DAY).days)))
    reverse = draw(st.none() | st.integers(min_value=0, max_value=20))
    return kind, sign * Decimal(cents) / 100, day, reverse


@pytest.mark.ledger_out_of_order
@pytest.mark.django_db
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sequence=st.lists(postings(), max_size=10))
def test_property_the_stored_months_are_the_ledgers_sums_after_any_postings(account, sequence):
    """For any sequence of postings with back-dated processed dates and reversals, after every posting each stored
    month equals the sum and count of its transactions (ledger_check agrees), and the chart's 24 month-end
    balances and the balance now equal those summed transaction by transaction."""
    with transaction.atomic():
        posted, reversed_ids = [], set()
        for kind, amount, day, reverse in sequence:
            posted.append(post(account, amount, kind=kind, processed_on=day))
            if reverse is not None:
                original = posted[reverse % len(posted)]
                if original.pk not in reversed_ids:
                    ledger.ledger_reverse(
                        original=original, description="correction", actor=acting(), processed_on=day
                    )
                    reversed_ids.add(original.pk)
            assert stored(account) == from_the_ledger(account)
        check = ledger.ledger_check(account=account)
        assert check.ok, check
        balance, series = monthly_balances(account=account, today=TODAY)
        assert balance == check.balance
        assert [point.balance for point in series] == month_ends_from_the_ledger(
            account, [point.month for point in series]
        )
        transaction.set_rollback(True)


@pytest.mark.django_db
def test_one_statement_of_many_rows_lands_in_each_account_and_month():
    """bulk_create (one INSERT of many rows, as a COPY is) adds each row to its own account's month."""
    first, second = ProgramAccountFactory(), ProgramAccountFactory()
    base = {
        "period_end": date(2021, 6, 30),
        "kind": Kind.ASSESSED_TAX,
        "description": "x",
        "posted_at": "2024-06-01T00:00Z",
    }
    LedgerTransaction.objects.bulk_create(
        [
            LedgerTransaction(
                account=first,
                amount=Decimal("10.00"),
                processed_on=date(2024, 5, 1),
                effective_on=date(2024, 5, 1),
                **base,
            ),
            LedgerTransaction(
                account=first,
                amount=Decimal("-2.50"),
                processed_on=date(2024, 5, 31),
                effective_on=date(2024, 5, 31),
                **base,
            ),
            LedgerTransaction(
                account=first,
                amount=Decimal("7.00"),
                processed_on=date(2024, 6, 1),
                effective_on=date(2024, 6, 1),
                **base,
            ),
            LedgerTransaction(
                account=second,
                amount=Decimal("1.00"),
                processed_on=date(2024, 5, 2),
                effective_on=date(2024, 5, 2),
                **base,
            ),
        ]
    )
    assert stored(first) == {date(2024, 5, 1): (Decimal("7.50"), 2), date(2024, 6, 1): (Decimal("7.00"), 1)}
    assert stored(second) == {date(2024, 5, 1): (Decimal("1.00"), 1)}


@pytest.mark.django_db
def test_rows_removed_by_the_tables_owner_leave_their_months_and_an_emptied_month_goes(account):
    """The benchmarks remove their rows with the append-only trigger disabled: the months follow, so the
    account can be deleted after its transactions."""
    post(account, Decimal("100.00"), processed_on=date(2024, 5, 3))
    kept = post(account, Decimal("40.00"), processed_on=date(2024, 6, 3))
    post(account, Decimal("2.00"), processed_on=date(2024, 6, 4))
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the postings' deferred checks first: then ALTER may
        cursor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER {TABLE}_append_only")
        cursor.execute(f"DELETE FROM {TABLE} WHERE account_id = %s AND id <> %s", [account.pk, kept.pk])
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER {TABLE}_append_only")
    assert stored(account) == {date(2024, 6, 1): (Decimal("40.00"), 1)}


@pytest.mark.django_db
def test_the_migration_fills_the_months_from_an_existing_ledger(account):
    """Migration 0011 fills the months of ledgers posted before it from their transactions."""
    post(account, Decimal("100.00"), processed_on=date(2023, 12, 31))
    post(account, Decimal("-30.00"), kind=Kind.PAYMENT, processed_on=date(2024, 1, 1))
    post(account, Decimal("5.00"), kind=Kind.PENALTY, processed_on=date(2024, 1, 20))
    expected = from_the_ledger(account)
    LedgerMonth.objects.all().delete()  # as before the migration
    with connection.cursor() as cursor:
        cursor.execute(FILL)
    assert (
        stored(account)
        == expected
        == {
            date(2023, 12, 1): (Decimal("100.00"), 1),
            date(2024, 1, 1): (Decimal("-25.00"), 2),
        }
    )


def test_a_month_that_differs_from_its_transactions_is_named_by_the_check_every_test_runs(account):
    """ledger_months_disagreeing (run by tests/conftest.py after every test) names a stored month written by hand,
    and a month the ledger has that the table lacks; put right, it names nothing."""
    post(account, Decimal("10.00"), processed_on=date(2024, 3, 5))
    post(account, Decimal("5.00"), processed_on=date(2024, 4, 5))
    assert ledger.ledger_months_disagreeing() == []
    LedgerMonth.objects.filter(account=account, month=date(2024, 3, 1)).update(net=Decimal("11.00"))
    april = LedgerMonth.objects.get(account=account, month=date(2024, 4, 1))
    LedgerMonth.objects.filter(pk=april.pk).delete()

    assert ledger.ledger_months_disagreeing() == [
        (account.pk, date(2024, 3, 1), Decimal("11.00"), 1, Decimal("10.00"), 1),
        (account.pk, date(2024, 4, 1), None, None, Decimal("5.00"), 1),
    ]
    LedgerMonth.objects.filter(account=account, month=date(2024, 3, 1)).update(net=Decimal("10.00"))
    LedgerMonth.objects.create(account=account, month=date(2024, 4, 1), net=Decimal("5.00"), transactions=1)
    assert ledger.ledger_months_disagreeing() == []
