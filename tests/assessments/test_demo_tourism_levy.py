"""The hotel operator's demo returns are assessed (assessments/demo_tourism_levy.py): every return with its
notice, the on-time ones paid on their due date, the inn's late month left owing its levy and its penalty."""

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.db.models import Sum

from assessments import demo_tourism_levy as demo
from assessments.models import Assessment, LedgerTransaction
from filings import demo_tourism_levy as filings_demo
from filings.models import TourismLevyReturn
from tests.accounts.factories import UserFactory
from tests.filings.factories import edmonton

Kind = LedgerTransaction.Kind


@pytest.mark.django_db
def test_the_demo_operators_year_is_assessed_one_late_with_its_penalty():
    """On 2026-12-03 (as tests/filings/test_demo_tourism_levy.py): 12 monthly and 4 quarterly returns, each
    assessed the day after it was received. The inn's September 2026, $29,000.00 taxable x 4% = $1,160.00, was
    received 12 days late with nothing paid: the lesser of 12 x $25.00 = $300.00 and $1,160.00, at least $100.00,
    is $300.00; the inn is left owing $1,460.00. The chalets' nil spring quarter is assessed at
    $0.00."""
    users = {"operator": UserFactory(full_name="Hana Hotelier"), "staff": UserFactory(is_staff=True)}
    with time_machine.travel(edmonton(2026, 12, 3), tick=False):
        filings_demo.seed(users=users)
        demo.seed(users=users)
        demo.seed(users=users)  # idempotent
    filed = TourismLevyReturn.objects.all()
    assessments = Assessment.objects.filter(tourism_levy_return__in=filed)
    assert (filed.count(), assessments.count()) == (16, 16)
    assert not filed.filter(status=TourismLevyReturn.Status.RECEIVED).exists()
    penalty = LedgerTransaction.objects.get(kind=Kind.PENALTY)
    assert (penalty.period_end, penalty.amount) == (date(2026, 9, 30), Decimal("300.00"))
    late = assessments.get(period_end=date(2026, 9, 30), tourism_levy_return__period_kind="monthly")
    assert late.assessed_tax == Decimal("1160.00")
    # The inn owes what the late month did ($1,460.00); the payments of later months went to the oldest amount
    # owing first, as TRA applies them (assessments/payments.py), so the months after it show part of it.
    owing = LedgerTransaction.objects.values("account").annotate(balance=Sum("amount")).exclude(balance=0)
    assert [(row["account"], row["balance"]) for row in owing] == [(late.account_id, Decimal("1460.00"))]
    nil = assessments.get(tourism_levy_return__gross_revenue=0)
    assert nil.assessed_tax == Decimal("0.00")
    assert demo.seed(users={}) is None  # no staff among the demo people: nothing to do
