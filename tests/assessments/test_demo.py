"""The demo `make run` loads shows the whole money story of an account: returns filed (one late), assessed with
their notices, paid on time but for the late period, a claim assessed whose refund waits for staff approval, a
waiver of the late-filing penalty requested; loading it again adds nothing."""

import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from accounts.models import User
from assessments import selectors
from assessments.models import Assessment, LedgerTransaction, Notice, Payment, Refund
from filings.models import Claim, FuelTaxReturn
from filings.models_objections import WaiverRequest
from programs.models import ProgramAccount
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def _counts(account):
    return [
        FuelTaxReturn.objects.filter(account=account).count(),
        Assessment.objects.filter(account=account).count(),
        Payment.objects.filter(account=account).count(),
        LedgerTransaction.objects.filter(account=account).count(),
        Refund.objects.filter(account=account).count(),
        WaiverRequest.objects.filter(account=account).count(),
    ]


def test_the_demo_tells_an_accounts_money_story_once():
    call_command("seed_demo", stdout=io.StringIO())
    account = ProgramAccount.objects.get(taxpayer__bin="123456789", program__code="fuel_tax")

    returns = FuelTaxReturn.objects.filter(account=account)
    assert returns.count() == 15  # July 2025 to September 2026; October 2026's is not due yet
    assert not returns.exclude(status=FuelTaxReturn.Status.ASSESSED).exists()
    assert Notice.objects.filter(account=account, kind=Notice.Kind.ASSESSMENT).count() == 15
    [penalty] = LedgerTransaction.objects.filter(account=account, kind=LedgerTransaction.Kind.PENALTY)
    assert penalty.period_end.isoformat() == "2026-09-30"
    assert Payment.objects.filter(account=account).count() == 14
    owing = [row for row in selectors.period_balances(account=account) if row.balance > 0]
    assert [row.period_end.isoformat() for row in owing] == ["2026-09-30"]
    assert Claim.objects.get(account=account).status == Claim.Status.ASSESSED
    refund = Refund.objects.get(account=account)
    assert refund.status == Refund.Status.PENDING
    assert refund.amount == -selectors.account_balance(account=account) > Decimal(0)
    waiver = WaiverRequest.objects.get(account=account)
    assert waiver.amount_requested == penalty.amount

    owner = User.objects.get(email="owner@demo.tracs.ca")
    home = sign_in(Client(), owner).get(reverse("home")).content.decode()
    assert "1 period with an outstanding balance" in home
    assert "outstanding</a>" not in home.replace("period with an outstanding balance</a>", "")

    before = _counts(account)
    call_command("seed_demo", stdout=io.StringIO())
    assert _counts(account) == before
