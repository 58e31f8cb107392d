"""The late-filing penalty (issue 6, item 5): the worked example, its edges (on time, 1 day late, the cap), the
posting at assessment time (once, with the assessment's source), and the rule data it reads."""

from datetime import date
from decimal import Decimal

import pytest
import time_machine

from assessments import penalties, rules, selectors
from assessments.models import LedgerTransaction
from tests.assessments.factories import acting, assess
from tests.filings.factories import edmonton, file_return

Kind = LedgerTransaction.Kind
DUE = date(2021, 7, 28)


def june_2021_received(*, account, user, on: date, **litres):
    litres = litres or {"clear_gasoline__taxable": "100000", "marked_diesel__taxable": "20000"}
    with time_machine.travel(edmonton(on.year, on.month, on.day, 10), tick=False):
        return file_return(account=account, period="2021-06", user=user, **litres)


def test_worked_example_june_2021_received_2021_08_15(account, owner, django_capture_on_commit_callbacks):
    """The June 2021 return ($13,800.00, due 2021-07-28) received 2021-08-15 with nothing paid:
    18 days late (2021-07-29 through 2021-08-15) x $25 = $450.00 < 5% x $13,800.00 = $690.00 -> $690.00."""
    tax_return = june_2021_received(account=account, user=owner, on=date(2021, 8, 15))
    assert tax_return.due_on == DUE
    assessment = assess(django_capture_on_commit_callbacks, tax_return=tax_return, when=edmonton(2021, 8, 20))
    penalty = LedgerTransaction.objects.get(account=account, kind=Kind.PENALTY)
    assert penalty.amount == Decimal("690.00")
    assert penalty.source_reference == selectors.assessment_source(assessment)
    assert penalty.period_end == date(2021, 6, 30)
    assert penalty.effective_on == date(2021, 8, 20)
    assert "18 day(s) late" in penalty.description
    assert selectors.period_balance(account=account, period_end=date(2021, 6, 30)) == Decimal("14490.00")
    # The notice shows the period's ledger up to the last posting of the assessment: the penalty.
    assert selectors.assessment_cutoff(assessment=assessment) == penalty.pk


@pytest.mark.parametrize(
    ("received", "unpaid", "expected"),
    [
        pytest.param(date(2021, 7, 28), "13800.00", None, id="on-the-due-date"),
        pytest.param(date(2021, 7, 29), "0.00", Decimal("25.00"), id="1-day-late-nothing-owing"),
        pytest.param(date(2021, 7, 29), "400.00", Decimal("25.00"), id="1-day-late-25-beats-5pct-of-400"),
        pytest.param(date(2021, 7, 29), "600.00", Decimal("30.00"), id="1-day-late-5pct-of-600"),
        pytest.param(date(2021, 8, 15), "13800.00", Decimal("690.00"), id="worked-example"),
        # 5% of $20,000.00 = $1,000.00 exactly: at the cap.
        pytest.param(date(2021, 7, 29), "20000.00", Decimal("1000.00"), id="5pct-at-the-cap"),
        # 5% of $20,000.20 = $1,000.01 -> capped at $1,000.00.
        pytest.param(date(2021, 7, 29), "20000.20", Decimal("1000.00"), id="5pct-one-cent-over-the-cap"),
        # 40 days x $25 = $1,000.00; 41 days x $25 = $1,025.00 -> $1,000.00.
        pytest.param(date(2021, 9, 6), "0.00", Decimal("1000.00"), id="40-days-at-the-cap"),
        pytest.param(date(2021, 9, 7), "0.00", Decimal("1000.00"), id="41-days-capped"),
        pytest.param(date(2021, 8, 15), "-50.00", Decimal("450.00"), id="a-credit-is-no-unpaid-tax"),
    ],
)
def test_penalty_rule(received, unpaid, expected):
    penalty = penalties.late_filing_penalty(due_on=DUE, received_on=received, unpaid_tax=Decimal(unpaid))
    if expected is None:
        assert penalty is None
    else:
        assert penalty.amount == expected
        assert penalty.amount <= penalty.maximum == Decimal("1000.00")
        assert "DOMAIN.md" in penalty.source


def test_on_time_return_carries_no_penalty(account, owner, django_capture_on_commit_callbacks):
    tax_return = june_2021_received(account=account, user=owner, on=date(2021, 7, 28))
    assess(django_capture_on_commit_callbacks, tax_return=tax_return, when=edmonton(2021, 8, 2))
    assert not LedgerTransaction.objects.filter(account=account, kind=Kind.PENALTY).exists()


def test_one_day_late_nil_liability_pays_25(account, owner, django_capture_on_commit_callbacks):
    """A return of 1,000 L clear gasoline ($130.00) received 2021-07-29: 1 x $25 = $25.00 > 5% x $130 = $6.50."""
    tax_return = june_2021_received(
        account=account, user=owner, on=date(2021, 7, 29), clear_gasoline__taxable="1000"
    )
    assess(django_capture_on_commit_callbacks, tax_return=tax_return, when=edmonton(2021, 8, 2))
    assert LedgerTransaction.objects.get(account=account, kind=Kind.PENALTY).amount == Decimal("25.00")


def test_payment_before_assessment_reduces_the_unpaid_tax(account, owner, django_capture_on_commit_callbacks):
    """$13,000.00 paid with the late return: unpaid $800.00; 18 x $25 = $450.00 > 5% x $800 = $40.00."""
    from assessments.services import ledger

    tax_return = june_2021_received(account=account, user=owner, on=date(2021, 8, 15))
    ledger.ledger_post(
        account=account,
        period_end=date(2021, 6, 30),
        kind=Kind.PAYMENT,
        amount=Decimal("-13000.00"),
        description="Payment",
        processed_on=date(2021, 8, 15),
        source_reference="test-payment-1",
        actor=acting(),
    )
    assess(django_capture_on_commit_callbacks, tax_return=tax_return, when=edmonton(2021, 8, 20))
    assert LedgerTransaction.objects.get(account=account, kind=Kind.PENALTY).amount == Decimal("450.00")


def test_reassessment_posts_no_second_penalty(account, owner, staff, django_capture_on_commit_callbacks):
    tax_return = june_2021_received(account=account, user=owner, on=date(2021, 8, 15))
    assess(django_capture_on_commit_callbacks, tax_return=tax_return, when=edmonton(2021, 8, 20))
    tax_return.refresh_from_db()
    assess(
        django_capture_on_commit_callbacks,
        tax_return=tax_return,
        by=staff,
        reassess=True,
        reason="Audit",
        when=edmonton(2021, 9, 1),
    )
    assert LedgerTransaction.objects.filter(account=account, kind=Kind.PENALTY).count() == 1


def test_penalty_rules_are_dated_data_with_sources():
    day = date(2021, 7, 28)
    assert rules.rule_on(rule=penalties.PER_DAY, day=day).value == Decimal("25.00")
    assert rules.rule_on(rule=penalties.PERCENT, day=day).value == Decimal("5")
    assert rules.rule_on(rule=penalties.MAXIMUM, day=day).value == Decimal("1000.00")
    assert "Late-filing penalty" in rules.rule_on(rule=penalties.PER_DAY, day=day).source
