"""What an account owes, told the same way by home's banner, View Account Summary Balance and Payment Options
(assessments.selectors.owing_of): the account balance, with the credits of periods in credit counted against the
periods with a balance, oldest first, as a payment is applied. A period whose balance a credit covers is not
"outstanding" while the account is in credit (issue 10, item 10: the demo showed a red banner "1 period with an
outstanding balance" beside a credit that the pending refund was already net of)."""

import html
import re
from datetime import date
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from assessments import selectors
from assessments.models import LedgerTransaction
from assessments.selectors import PeriodBalance
from assessments.services.ledger import ledger_post
from tests.accounts.factories import UserFactory
from tests.assessments.factories import acting
from tests.conftest import sign_in
from tests.consent.factories import ProgramAccountFactory, owner_grant

pytestmark = pytest.mark.django_db

Kind = LedgerTransaction.Kind
AUGUST, SEPTEMBER, OCTOBER = date(2026, 8, 31), date(2026, 9, 30), date(2026, 10, 31)
BANNER = "with an outstanding balance"


def words(response) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())))


def periods(*balances: tuple[date, str]) -> list[PeriodBalance]:
    return [
        PeriodBalance(period_end=end, balance=Decimal(amount), transactions=1) for end, amount in balances
    ]


@pytest.mark.parametrize(
    ("balances", "left", "credit_applied"),
    [
        # The demo on 2026-12-02: September owes 9,142.00 + 457.10 - 8,180.00 = 1,419.10; October is in credit
        # 8,180.00 - 13,000.00 = -4,820.00. The credit covers September: nothing left, the account (3,400.90).
        ([(SEPTEMBER, "1419.10"), (OCTOBER, "-4820.00")], [], "1419.10"),
        # A credit of 5,000.00 (August) against 1,419.10 (September) and 9,000.00 (October), oldest first:
        # September covered, 3,580.90 of it to October, 5,419.10 left: the account balance.
        (
            [(AUGUST, "-5000.00"), (SEPTEMBER, "1419.10"), (OCTOBER, "9000.00")],
            [(OCTOBER, "5419.10")],
            "5000.00",
        ),
        # No credit: every period with a balance is left to pay, as it stands.
        ([(SEPTEMBER, "100.00"), (OCTOBER, "200.00")], [(SEPTEMBER, "100.00"), (OCTOBER, "200.00")], "0.00"),
        # A credit equal to the debt: the account balance is 0.00 and nothing is outstanding.
        ([(SEPTEMBER, "250.00"), (OCTOBER, "-250.00")], [], "250.00"),
        # Nothing owing at all: the credit is applied to nothing.
        ([(OCTOBER, "-40.00")], [], "0.00"),
    ],
)
def test_credits_count_against_the_periods_owing_oldest_first(balances, left, credit_applied):
    owing = selectors.owing_of(periods(*balances))
    assert [(row.period_end, row.owing) for row in owing.outstanding] == [
        (end, Decimal(amount)) for end, amount in left
    ]
    assert owing.credit_applied == Decimal(credit_applied)
    assert owing.balance == sum(Decimal(amount) for _end, amount in balances)
    assert sum(row.owing for row in owing.outstanding) == max(owing.balance, Decimal(0))


def _account_with(*postings):
    owner = UserFactory()
    account = ProgramAccountFactory(effective_date=date(2026, 1, 1))
    owner_grant(account=account, user=owner)
    for period_end, amount in postings:
        kind = Kind.ASSESSED_TAX if Decimal(amount) > 0 else Kind.CLAIM_CREDIT
        ledger_post(
            account=account,
            period_end=period_end,
            kind=kind,
            amount=Decimal(amount),
            description="Test posting",
            actor=acting(),
        )
    return account, sign_in(Client(), owner)


def test_a_credit_covering_the_periods_owing_shows_no_outstanding_balance_anywhere():
    """The demo's figures: September 1,419.10 owing, October's claim credit leaves it at (4,820.00)."""
    account, client = _account_with((SEPTEMBER, "1419.10"), (OCTOBER, "-4820.00"))
    number = {"number": account.number}

    assert BANNER not in words(client.get(reverse("home")))
    balances = words(client.get(reverse("balances", kwargs=number)))
    assert BANNER not in balances
    assert "($3,400.90) credit" in balances
    assert "$1,419.10 Covered by the account's credit" in balances
    payment = words(client.get(reverse("payment_options", kwargs=number)))
    assert "($3,400.90) credit: nothing to pay" in payment
    assert "Periods with an amount owing" not in payment
    assert "The account's credits cover every period with a balance ($1,419.10)" in payment


def test_a_credit_covering_part_of_what_is_owed_leaves_the_rest_outstanding():
    account, client = _account_with((AUGUST, "-5000.00"), (SEPTEMBER, "1419.10"), (OCTOBER, "9000.00"))
    number = {"number": account.number}

    home = client.get(reverse("home")).content.decode()
    assert "1 period with an outstanding balance" in home
    balances = words(client.get(reverse("balances", kwargs=number)))
    assert "1 period with an outstanding balance" in balances
    assert "$5,419.10 owing" in balances
    assert "$9,000.00 Owing" in balances
    assert "$1,419.10 Covered by the account's credit" in balances
    payment = words(client.get(reverse("payment_options", kwargs=number)))
    owing = payment[payment.index("Periods with an amount owing") :]
    assert "2026-10-31 $5,419.10" in owing
    assert "2026-09-30" not in owing
    assert "Credits on the account ($5,000.00) are counted against the periods owing" in owing
