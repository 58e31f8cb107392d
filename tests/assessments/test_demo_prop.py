"""The demo's historical PROP claimant (assessments/demo_prop.py): five claims from 2007 to the program's end,
each assessed, its refund approved and issued at the time, one letter of assessment; the owner sees them on the
account's pages; a PROP claim today is refused; loading it again adds nothing."""

from datetime import date
from decimal import Decimal

from django.test import Client

from accounts import demo as people
from assessments import demo_prop
from assessments.models import ClaimAssessment, LedgerTransaction, Notice, Refund
from filings.models import Claim
from programs import demo as programs_demo
from programs.models import ProgramAccount
from tests.conftest import sign_in
from tracs.management.commands.seed_demo import DEMO_MODULES


def test_the_demo_has_a_historical_prop_claimant(db, django_capture_on_commit_callbacks):
    assert "assessments.demo_prop" in DEMO_MODULES
    users = people.seed()
    programs_demo.seed(users=users)
    with django_capture_on_commit_callbacks(
        execute=True
    ):  # the worker's jobs: the letter, the refunds' checks
        demo_prop.seed(users=users)
    account = ProgramAccount.objects.get(taxpayer__bin=demo_prop.BIN, program__code="prop")
    claims = list(Claim.objects.filter(account=account).order_by("period_start"))
    assert [(c.period_start, c.period_end) for c in claims] == [
        (start, end) for start, end, *_ in demo_prop.CLAIMS
    ]
    assert all(c.status == Claim.Status.ASSESSED for c in claims)
    assert all(c.received_at.date() < date(2011, 5, 1) for c in claims)
    # 2009: 77,300 L diesel claimed, 69,570 allowed: 7,730 L x $0.0378 = $292.19 less.
    adjusted = ClaimAssessment.objects.get(claim=claims[2])
    assert adjusted.claimed - adjusted.allowed == Decimal("292.19")
    letter = Notice.objects.get(account=account, kind=Notice.Kind.LETTER_OF_ASSESSMENT)
    assert letter.source_reference == f"claim_assessment:{adjusted.pk}"
    assert Refund.objects.filter(account=account, status=Refund.Status.ISSUED).count() == 5
    credits = LedgerTransaction.objects.filter(account=account, kind=LedgerTransaction.Kind.CLAIM_CREDIT)
    issued = LedgerTransaction.objects.filter(account=account, kind=LedgerTransaction.Kind.REFUND_ISSUED)
    assert sum(t.amount for t in credits) == -sum(t.amount for t in issued)
    client = sign_in(Client(), users["owner"])
    number = account.number
    notices = client.get(f"/accounts/{number}/notices/").content.decode()
    assert letter.reference in notices
    listed = client.get(f"/accounts/{number}/claims/").content.decode()
    assert claims[0].confirmation_number in listed
    assert "PROP claims can no longer be filed, for two reasons." in listed
    before = (Claim.objects.count(), LedgerTransaction.objects.count(), Refund.objects.count())
    demo_prop.seed(users=users)
    assert (Claim.objects.count(), LedgerTransaction.objects.count(), Refund.objects.count()) == before
