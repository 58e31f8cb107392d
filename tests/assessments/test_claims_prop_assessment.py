"""A PROP claim assessed like any claim (assessments/claims.py, the one claim definition on the assessment
skeleton): recomputed for its period with the percentage and rate copied in, credited to the month it was
received, a staff adjustment with its letter, and the account's history on every shared page (Account
Information, File a Claim, View Assessment Status, transactions, balances, notices, objections, waivers)."""

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from assessments import claims
from assessments.claims import LineAdjustment
from assessments.models import LedgerTransaction, Notice
from filings.claims import ClaimLineInput, claim_submit, submission_token_new
from filings.models import Claim
from filings.periods import Period
from tests.accounts.factories import UserFactory
from tests.assessments.claim_factories import assess_claim
from tests.conftest import sign_in
from tests.consent.factories import ProgramAccountFactory, owner_grant
from tests.filings.factories import edmonton, filer_actor

HAULING = {"sector": "oil_and_gas", "activity": "hauling_crude_lpg_production_fluids", "vehicle_category": "licensed_vehicle"}  # fmt: skip


@pytest.fixture
def prop_claim(db):
    """Filed 2010-03-15 for 2009: 10,000 L clear diesel ($378.00) and 2,000 L clear gasoline
    (2,000 x $0.0378 = $75.60), $453.60 claimed."""
    account = ProgramAccountFactory(program="prop", effective_date=date(2006, 11, 29))
    owner = UserFactory()
    owner_grant(account=account, user=owner)
    with time_machine.travel(edmonton(2010, 3, 15, 10), tick=False):
        claim = claim_submit(
            account=account,
            kind=Claim.Kind.PROP,
            lines=[
                ClaimLineInput(fuel="clear_diesel", litres="10000", **HAULING),
                ClaimLineInput(fuel="clear_gasoline", litres="2000", **HAULING),
            ],
            certified_name="Pat Prop",
            certified_capacity="Controller",
            actor=filer_actor(owner),
            submission_token=submission_token_new(),
            period=Period.span(date(2009, 1, 1), date(2009, 12, 31)),
        )
    return claim, owner


def test_a_clean_prop_claim_is_assessed_as_claimed_and_credited(
    prop_claim, django_capture_on_commit_callbacks
):
    claim, _owner = prop_claim
    preview = claims.claim_assessment_preview(claim=claim)
    assert preview.assessed == Decimal("453.60")
    assessment = assess_claim(django_capture_on_commit_callbacks, claim=claim, when=edmonton(2010, 4, 20, 9))
    assert (assessment.claimed, assessment.allowed) == (Decimal("453.60"), Decimal("453.60"))
    assert [line.rate_value for line in assessment.lines.all()] == [Decimal("0.037800")] * 2
    assert list(LedgerTransaction.objects.filter(account=claim.account).values_list("kind", "amount", "period_end")) == [
        (LedgerTransaction.Kind.CLAIM_CREDIT, Decimal("-453.60"), date(2010, 3, 31))
    ]  # fmt: skip
    assert not Notice.objects.filter(kind=Notice.Kind.LETTER_OF_ASSESSMENT).exists()


def test_litres_allowed_by_staff_make_a_letter_and_the_history_shows_on_the_account_pages(
    prop_claim, django_capture_on_commit_callbacks
):
    """Staff allow 8,000 of the 10,000 L of diesel: 8,000 x $0.0378 = $302.40, with the gasoline's $75.60,
    $378.00 allowed against $453.60 claimed: $75.60 less, beyond the $20.00 tolerance, so a letter."""
    claim, owner = prop_claim
    diesel = claim.lines.get(fuel="clear_diesel")
    assessment = assess_claim(
        django_capture_on_commit_callbacks,
        claim=claim,
        when=edmonton(2010, 4, 20, 9),
        adjustments={diesel.pk: LineAdjustment(litres="8000", reason="Unit 9 was on the highway in May")},
    )
    assert assessment.allowed == Decimal("378.00")
    html = claims.letter_html(assessment=assessment)
    assert "2009-01-01 to 2009-12-31" in html
    assert "42% of the fuel tax rate" in html
    letter = Notice.objects.get(kind=Notice.Kind.LETTER_OF_ASSESSMENT)
    assert letter.objection_deadline == date(2010, 7, 19)  # 90 days after 2010-04-20
    client = sign_in(Client(), owner)
    number = claim.account.number
    for path, words in (
        (f"/accounts/{number}/assessments/", [claim.confirmation_number, "$378.00"]),
        (f"/accounts/{number}/notices/", [letter.reference]),
        (f"/accounts/{number}/claims/", [claim.confirmation_number, "PROP rebate claim"]),
        (
            f"/accounts/{number}/claims/confirmation/{claim.confirmation_number}/",
            ["2009-01-01 to 2009-12-31", "$453.60"],
        ),
        (f"/accounts/{number}/transactions/?period_end=2010-03-31", ["378.00", "2010-03-31"]),
        (f"/accounts/{number}/", [claim.account.display_name, "Prescribed Rebate Off-road Percentages"]),
        (f"/accounts/{number}/balances/", ["2010-03-31"]),
        (f"/accounts/{number}/objections/", []),
        (f"/accounts/{number}/objections/new/", [letter.reference]),
        (f"/accounts/{number}/waivers/new/", []),
    ):
        page = client.get(path)
        assert page.status_code == 200, path
        for word in words:
            assert word in page.content.decode(), (path, word)


def test_staff_assess_a_prop_claim_from_the_claims_queue(prop_claim, django_capture_on_commit_callbacks):
    """The existing queue (FilingToAssessAdmin's claims queue) lists it; staff allow 8,000 L of diesel:
    8,000 x $0.0378 = $302.40 + $75.60 = $378.00 allowed."""
    claim, _owner = prop_claim
    staff = UserFactory(is_staff=True, is_superuser=True)
    client = sign_in(Client(), staff)
    queue = client.get(reverse("admin:assessments_claimtoassess_changelist")).content.decode()
    assert claim.confirmation_number in queue
    assert "$453.60" in queue
    page = client.get(reverse("admin:assessments_claimtoassess_change", args=[claim.pk])).content.decode()
    assert "Assess this claim" in page
    diesel = claim.lines.get(fuel="clear_diesel")
    with (
        time_machine.travel(edmonton(2010, 4, 20, 9), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post(
            reverse("admin:assessments_claimtoassess_assess", args=[claim.pk]),
            {f"litres_{diesel.pk}": "8000", f"reason_{diesel.pk}": "Highway use in May", "post": "yes"},
            follow=True,
        )
    assert "refund allowed $378.00" in response.content.decode()
    assert Notice.objects.filter(kind=Notice.Kind.LETTER_OF_ASSESSMENT, account=claim.account).exists()
