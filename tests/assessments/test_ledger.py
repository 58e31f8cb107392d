"""The ledger: append-only at the database, one door for postings (ledger_post) that refuses what does not
belong, corrections as new transactions, and balances that are always the sum of their transactions."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assessments import selectors
from assessments.models import LedgerTransaction
from assessments.services import ledger
from tests.assessments.factories import acting

Kind = LedgerTransaction.Kind
JUNE, JULY, AUGUST = date(2021, 6, 30), date(2021, 7, 31), date(2021, 8, 31)


def post(account, amount, kind=Kind.ASSESSED_TAX, period_end=JUNE, **extra):
    return ledger.ledger_post(
        account=account,
        period_end=period_end,
        kind=kind,
        amount=Decimal(amount),
        description=f"{kind} {amount}",
        **{"actor": acting(), **extra},
    )


def test_a_posting_is_stored_and_logged(account, staff):
    entry = post(
        account,
        "13800.00",
        processed_on=date(2021, 7, 10),
        effective_on=date(2021, 7, 28),
        actor=acting(staff),
    )
    entry.refresh_from_db()
    assert (entry.amount, entry.processed_on, entry.effective_on, entry.posted_by) == (
        Decimal("13800.00"),
        date(2021, 7, 10),
        date(2021, 7, 28),
        staff,
    )
    from accounts.models import AccessLogEntry

    log = AccessLogEntry.objects.get(action="ledger transaction posted")
    assert (log.actor, log.capacity, log.account_number) == (staff, "staff", account.number)


@pytest.mark.parametrize(
    "statement", ["UPDATE {table} SET amount = 0", "DELETE FROM {table}"], ids=["update", "delete"]
)
def test_update_and_delete_raise_in_the_database(account, statement):
    post(account, "13800.00")
    table = LedgerTransaction._meta.db_table
    with (
        pytest.raises(IntegrityError, match="never changed or deleted"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement.format(table=table))
    assert LedgerTransaction.objects.get().amount == Decimal("13800.00")


def test_the_orm_cannot_change_a_posted_transaction_either(account):
    entry = post(account, "100.00")
    entry.description = "changed"
    with pytest.raises(IntegrityError), transaction.atomic():
        entry.save()
    with pytest.raises(IntegrityError), transaction.atomic():
        entry.delete()


def test_a_correction_is_a_new_transaction(account, staff):
    wrong = post(account, "500.00", kind=Kind.PENALTY)
    correction = ledger.ledger_reverse(
        original=wrong, description="Penalty waived (AT4764)", actor=acting(staff)
    )
    assert (correction.kind, correction.amount, correction.reverses) == (
        Kind.REVERSAL,
        Decimal("-500.00"),
        wrong,
    )
    assert selectors.account_balance(account=account) == Decimal("0.00")
    assert LedgerTransaction.objects.count() == 2
    with pytest.raises(ledger.LedgerPostingRefused) as twice:
        ledger.ledger_reverse(original=wrong, description="again", actor=acting())
    assert twice.value.code == "already_reversed"


@pytest.mark.parametrize(
    ("kind", "amount", "code"),
    [
        (Kind.PAYMENT, "100.00", "amount_sign"),  # a payment is a credit
        (Kind.CLAIM_CREDIT, "5.00", "amount_sign"),
        (Kind.PENALTY, "-25.00", "amount_sign"),
        (Kind.REFUND_ISSUED, "-10.00", "amount_sign"),
        (Kind.INTEREST, "1.005", "amount_precision"),  # never rounded silently
        (Kind.REVERSAL, "-1.00", "reversal_needs_original"),
    ],
)
def test_postings_that_do_not_belong_are_refused(account, kind, amount, code):
    with pytest.raises(ledger.LedgerPostingRefused) as refused:
        post(account, amount, kind=kind)
    assert refused.value.code == code
    assert not LedgerTransaction.objects.exists()


def test_a_float_is_refused(account):
    with pytest.raises(ledger.LedgerPostingRefused) as refused:
        ledger.ledger_post(
            account=account, period_end=JUNE, kind=Kind.PAYMENT, amount=-1.5, description="x", actor=acting()
        )
    assert refused.value.code == "amount_not_decimal"


def test_a_reversal_must_undo_exactly_one_transaction_of_the_same_account_and_period(account):
    from tests.consent.factories import ProgramAccountFactory

    original = post(account, "100.00")
    other = ProgramAccountFactory()
    for kwargs, code in [
        ({"amount": Decimal("-99.00")}, "reversal_amount"),
        ({"account": other}, "reversal_other_account"),
        ({"period_end": JULY}, "reversal_other_account"),
    ]:
        arguments = {
            "account": account,
            "period_end": JUNE,
            "kind": Kind.REVERSAL,
            "amount": Decimal("-100.00"),
            "description": "correction",
            "reverses": original,
            "actor": acting(),
            **kwargs,
        }
        with pytest.raises(ledger.LedgerPostingRefused) as refused:
            ledger.ledger_post(**arguments)
        assert refused.value.code == code
    with pytest.raises(ledger.LedgerPostingRefused) as refused:
        post(account, "1.00", reverses=original)
    assert refused.value.code == "not_a_reversal"


def test_the_same_source_is_posted_once(account):
    first = post(account, "12.34", kind=Kind.INTEREST, source_reference="interest:2021-08-15")
    with pytest.raises(ledger.AlreadyPosted) as again:
        post(account, "12.34", kind=Kind.INTEREST, source_reference="interest:2021-08-15")
    assert again.value.existing == first
    assert LedgerTransaction.objects.count() == 1


def test_the_database_guards_the_sign_and_the_source_too(account):
    base = {
        "account": account,
        "period_end": JUNE,
        "processed_on": JUNE,
        "effective_on": JUNE,
        "description": "x",
        "posted_at": "2021-07-01T00:00Z",
    }
    with pytest.raises(IntegrityError, match="ledger_payment_is_credit"), transaction.atomic():
        LedgerTransaction.objects.create(kind=Kind.PAYMENT, amount=Decimal("1.00"), **base)
    LedgerTransaction.objects.create(kind=Kind.INTEREST, amount=Decimal("1.00"), source_reference="s", **base)
    with pytest.raises(IntegrityError, match="ledger_one_posting_per_source"), transaction.atomic():
        LedgerTransaction.objects.create(
            kind=Kind.INTEREST, amount=Decimal("1.00"), source_reference="s", **base
        )


def test_balances_per_period_and_for_the_account(account):
    """June: $13,800.00 assessed, $13,800.00 paid -> $0.00; July: $1,300.00 assessed + $25.00 penalty ->
    $1,325.00; August: a claim credit of $200.00 -> ($200.00). Account: $1,125.00."""
    post(account, "13800.00")
    post(account, "-13800.00", kind=Kind.PAYMENT)
    post(account, "1300.00", period_end=JULY)
    post(account, "25.00", kind=Kind.PENALTY, period_end=JULY)
    post(account, "-200.00", kind=Kind.CLAIM_CREDIT, period_end=AUGUST)
    balances = {
        row.period_end: (row.balance, row.transactions) for row in selectors.period_balances(account=account)
    }
    assert balances == {
        JUNE: (Decimal("0.00"), 2),
        JULY: (Decimal("1325.00"), 2),
        AUGUST: (Decimal("-200.00"), 1),
    }
    assert selectors.account_balance(account=account) == Decimal("1125.00")
    assert selectors.ledger_period_ends(account=account) == [AUGUST, JULY, JUNE]
    check = ledger.ledger_check(account=account)
    assert check.ok
    assert (check.transactions, check.balance) == (5, Decimal("1125.00"))


def test_an_empty_ledger_balances_to_zero(account):
    check = ledger.ledger_check(account=account)
    assert check.ok
    assert check.balance == Decimal("0.00")
    assert check.transactions == 0
    assert selectors.ledger_period_ends(account=account) == []


KINDS_AND_SIGNS = {
    Kind.ASSESSED_TAX: (-1, 1),
    Kind.CLAIM_CREDIT: (-1,),
    Kind.PENALTY: (1,),
    Kind.INTEREST: (-1, 1),
    Kind.PAYMENT: (-1,),
    Kind.REFUND_ISSUED: (1,),
    Kind.TRANSFER: (-1, 1),
    Kind.WRITE_OFF: (-1, 1),
}


@st.composite
def postings(draw):
    kind = draw(st.sampled_from(sorted(KINDS_AND_SIGNS)))
    sign = draw(st.sampled_from(KINDS_AND_SIGNS[kind]))
    cents = draw(st.integers(min_value=1, max_value=10**12))
    period = draw(st.sampled_from([JUNE, JULY, AUGUST, date(2024, 12, 31)]))
    reverse = draw(st.none() | st.integers(min_value=0, max_value=20))  # then reverse an earlier posting
    return kind, sign * Decimal(cents) / 100, period, reverse


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sequence=st.lists(postings(), max_size=12))
def test_property_balance_is_the_sum_of_transactions_for_any_sequence(account, sequence):
    """For any sequence of postings (and reversals of some of them), the account balance is the sum of the
    transactions, and the period balances add up to the account balance."""
    with transaction.atomic():
        posted, reversed_ids = [], set()
        expected = Decimal("0.00")
        for kind, amount, period, reverse in sequence:
            posted.append(post(account, amount, kind=kind, period_end=period))
            expected += amount
            if reverse is not None:
                original = posted[reverse % len(posted)]
                if original.pk not in reversed_ids:
                    ledger.ledger_reverse(original=original, description="correction", actor=acting())
                    reversed_ids.add(original.pk)
                    expected -= original.amount
        check = ledger.ledger_check(account=account)
        assert check.ok, check
        assert check.balance == expected
        assert (
            sum((row.balance for row in selectors.period_balances(account=account)), Decimal(0)) == expected
        )
        transaction.set_rollback(True)
