"""Claim assessment (assessments/claims.py): each line recomputed from the rate in force on its date of
purchase and its window, staff adjustments with reasons, the $20 tolerance, the credit posted to the
month-end of the day the claim was received, reassessments posting only the change, refusals that write
nothing, the automatic job, and the letter of assessment when TRA changed the claim."""

import re
from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.core import mail

from accounts.models import AccessLogEntry, OutboxEmail
from assessments import claim_computation, claims
from assessments.claims import ClaimAssessmentRefused, LineAdjustment
from assessments.models import ClaimAssessment, LedgerTransaction, Notice, Refund
from assessments.tasks import assess_clean_claims, claim_letter_issue
from filings.models import Claim
from tests.assessments.claim_factories import assess_claim, claimed_as, june_claim
from tests.assessments.factories import acting
from tests.filings.claim_factories import file_claim, line
from tests.filings.factories import edmonton

Kind = LedgerTransaction.Kind


def ledger(account):
    return list(
        LedgerTransaction.objects.filter(account=account)
        .order_by("id")
        .values_list("kind", "amount", "period_end")
    )


def only_line(assessment):
    return assessment.lines.get()


# --- Assessment of a claim as filed --------------------------------------------------------------------------


def test_a_clean_claim_is_assessed_as_claimed_and_credited(
    account, owner, django_capture_on_commit_callbacks
):
    """1,000 L of clear gasoline bought 2024-05-10 at the 13 c/L then in force: $130.00 claimed and allowed,
    credited (-$130.00) to June 2024, the month the claim was received; no letter (TRA did not change it)."""
    claim = june_claim(account=account, user=owner)
    assessment = assess_claim(django_capture_on_commit_callbacks, claim=claim)
    claim.refresh_from_db()
    assert claim.status == Claim.Status.ASSESSED
    assert claim.processed_at is not None
    assert (assessment.claimed, assessment.recomputed, assessment.allowed) == (Decimal("130.00"),) * 3
    assert assessment.kind == ClaimAssessment.Kind.ASSESSMENT
    line_ = only_line(assessment)
    assert (line_.rate_value, line_.rate_effective_from) == (Decimal("0.130000"), date(2024, 4, 1))
    assert ledger(account) == [(Kind.CLAIM_CREDIT, Decimal("-130.00"), date(2024, 6, 30))]
    assert LedgerTransaction.objects.get().source_reference == f"claim_assessment:{assessment.pk}"
    assert not Notice.objects.filter(kind=Notice.Kind.LETTER_OF_ASSESSMENT).exists()
    assert AccessLogEntry.objects.filter(action="claim assessment", account_number=account.number).exists()


def test_the_rate_in_force_on_the_date_of_purchase_is_applied(
    account, owner, django_capture_on_commit_callbacks
):
    """The claim applied 9 c/L (the rate of 2024-01-01) to fuel bought 2024-05-10, when 13 c/L was in force:
    allowed 1,000 x 0.13 = $130.00 against $90.00 claimed, a difference of $40.00 (beyond the tolerance)."""
    claim = claimed_as(june_claim(account=account, user=owner), rate="0.09", refund="90.00")
    assessment = assess_claim(django_capture_on_commit_callbacks, claim=claim)
    assert (assessment.claimed, assessment.allowed, assessment.difference) == (
        Decimal("90.00"),
        Decimal("130.00"),
        Decimal("40.00"),
    )
    line_ = only_line(assessment)
    assert line_.rate_claimed == Decimal("0.090000")
    assert line_.rate_value == Decimal("0.130000")
    assert "Refund per litre in force on 2024-05-10: $0.13/L from 2024-04-01" in line_.reason


@pytest.mark.parametrize(
    ("claimed", "allowed", "within"),
    [
        # $130.00 recomputed; $110.00 claimed is $20.00 off: within the tolerance, the claim stands.
        ("110.00", "110.00", True),
        # $109.99 claimed is $20.01 off: beyond it, the recomputed refund is allowed.
        ("109.99", "130.00", False),
        # $150.00 claimed ($20.00 too much): within, the claim stands.
        ("150.00", "150.00", True),
        ("150.01", "130.00", False),
    ],
)
def test_the_twenty_dollar_tolerance(
    account, owner, django_capture_on_commit_callbacks, claimed, allowed, within
):
    claim = claimed_as(june_claim(account=account, user=owner), refund=claimed)
    assessment = assess_claim(django_capture_on_commit_callbacks, claim=claim)
    assert assessment.tolerance == Decimal("20.00")
    assert assessment.tolerance_applied is within
    assert assessment.allowed == Decimal(allowed)
    assert ledger(account) == [(Kind.CLAIM_CREDIT, -Decimal(allowed), date(2024, 6, 30))]
    letters = Notice.objects.filter(kind=Notice.Kind.LETTER_OF_ASSESSMENT).count()
    assert letters == (0 if within else 1)


def test_a_line_outside_its_window_is_disallowed(account, owner, django_capture_on_commit_callbacks):
    """Fuel bought 2020-01-10 may be claimed until 2023-12-31 (3 years from the end of the year of purchase); a
    claim TRA received on 2024-01-02 (a paper claim entered late) is disallowed with the window's own words."""
    with time_machine.travel(edmonton(2023, 12, 20, 10), tick=False):
        claim = file_claim(
            account=account, user=owner, lines=[line(purchase="2020-01-10", reason="exported_bulk")]
        )
    Claim.objects.filter(pk=claim.pk).update(received_at=edmonton(2024, 1, 2, 10))
    claim.refresh_from_db()
    assessment = assess_claim(django_capture_on_commit_callbacks, claim=claim)
    line_ = only_line(assessment)
    assert line_.disallowed
    assert line_.refund_allowed == Decimal("0.00")
    assert "Too late to claim" in line_.reason
    assert "2023-12-31" in line_.reason
    assert assessment.allowed == Decimal("0.00")
    assert ledger(account) == []  # nothing allowed: nothing credited
    assert Notice.objects.filter(kind=Notice.Kind.LETTER_OF_ASSESSMENT).count() == 1
    assert not Refund.objects.exists()


# --- Staff adjustments -------------------------------------------------------------------------------------


def test_staff_allow_fewer_litres_with_a_reason(account, owner, staff, django_capture_on_commit_callbacks):
    """600 L of the 1,000 L allowed (the export documents show 600 L): 600 x 0.13 = $78.00."""
    claim = june_claim(account=account, user=owner)
    claim_line = claim.lines.get()
    assessment = assess_claim(
        django_capture_on_commit_callbacks,
        claim=claim,
        by=staff,
        adjustments={
            claim_line.pk: LineAdjustment(litres="600", reason="Bill of lading shows 600 L exported")
        },
    )
    line_ = only_line(assessment)
    assert line_.litres_allowed == Decimal("600.000")
    assert line_.refund_allowed == Decimal("78.00")
    assert "Bill of lading shows 600 L exported" in line_.reason
    assert assessment.allowed == Decimal("78.00")
    assert assessment.assessed_by == staff
    assert ledger(account) == [(Kind.CLAIM_CREDIT, Decimal("-78.00"), date(2024, 6, 30))]


def test_staff_disallow_a_line(account, owner, staff, django_capture_on_commit_callbacks):
    claim = june_claim(account=account, user=owner)
    assessment = assess_claim(
        django_capture_on_commit_callbacks,
        claim=claim,
        by=staff,
        adjustments={claim.lines.get().pk: LineAdjustment(disallow=True, reason="No proof of export")},
    )
    line_ = only_line(assessment)
    assert line_.disallowed
    assert line_.reason == "Disallowed: No proof of export"
    assert assessment.allowed == Decimal("0.00")


@pytest.mark.parametrize(
    ("adjustment", "message"),
    [
        (LineAdjustment(litres="600"), claim_computation.ADJUSTMENT_REASON_REQUIRED % {"line": 1}),
        (LineAdjustment(disallow=True), claim_computation.ADJUSTMENT_REASON_REQUIRED % {"line": 1}),
        (
            LineAdjustment(litres="1200", reason="typo"),
            claim_computation.ADJUSTMENT_LITRES_MORE % {"line": 1, "litres": "1,000"},
        ),
    ],
)
def test_bad_adjustments_are_refused_and_nothing_is_written(account, owner, staff, adjustment, message):
    claim = june_claim(account=account, user=owner)
    with pytest.raises(ClaimAssessmentRefused) as caught:
        claims.claim_assessment_make(
            claim=claim, actor=acting(staff), adjustments={claim.lines.get().pk: adjustment}
        )
    assert caught.value.messages == [str(message)]
    claim.refresh_from_db()
    assert claim.status == Claim.Status.RECEIVED
    assert not ClaimAssessment.objects.exists()
    assert ledger(account) == []


def test_an_adjustment_of_another_claims_line_is_refused(account, owner, staff):
    claim = june_claim(account=account, user=owner)
    other = june_claim(account=account, user=owner)
    with pytest.raises(ClaimAssessmentRefused, match="is not a line of claim"):
        claims.claim_assessment_make(
            claim=claim,
            actor=acting(staff),
            adjustments={other.lines.get().pk: LineAdjustment(disallow=True, reason="x")},
        )
    assert not ClaimAssessment.objects.exists()


# --- Refusals ----------------------------------------------------------------------------------------------


def test_an_assessed_claim_cannot_be_assessed_again(account, owner, django_capture_on_commit_callbacks):
    claim = june_claim(account=account, user=owner)
    assess_claim(django_capture_on_commit_callbacks, claim=claim)
    with pytest.raises(ClaimAssessmentRefused) as caught:
        claims.claim_assessment_make(claim=claim, actor=acting())
    assert caught.value.messages == [
        str(claims.NOT_RECEIVED % {"number": claim.confirmation_number, "status": "Assessed"})
    ]
    assert ClaimAssessment.objects.count() == 1
    assert len(ledger(account)) == 1


def test_a_claim_not_assessed_cannot_be_reassessed(account, owner, staff):
    claim = june_claim(account=account, user=owner)
    with pytest.raises(ClaimAssessmentRefused) as caught:
        claims.claim_reassessment_make(claim=claim, actor=acting(staff), reason="Audit")
    assert caught.value.messages == [
        str(claims.NOT_ASSESSED % {"number": claim.confirmation_number, "status": "Received"})
    ]
    with pytest.raises(ClaimAssessmentRefused) as caught:
        claims.claim_reassessment_make(claim=claim, actor=acting(staff), reason="  ")
    assert caught.value.messages == [str(claims.REASON_REQUIRED)]
    assert not ClaimAssessment.objects.exists()


# --- Reassessment -----------------------------------------------------------------------------------------


def test_a_reassessment_posts_only_the_change(account, owner, staff, django_capture_on_commit_callbacks):
    """Assessed at $130.00; reassessed to 600 L ($78.00): ASSESSED_TAX +$52.00 (the credit taken back, a debit:
    a claim credit is always a credit); reassessed again to 800 L ($104.00): CLAIM_CREDIT -$26.00."""
    claim = june_claim(account=account, user=owner)
    line_id = claim.lines.get().pk
    first = assess_claim(django_capture_on_commit_callbacks, claim=claim)
    down = assess_claim(
        django_capture_on_commit_callbacks,
        claim=claim,
        by=staff,
        reassess=True,
        reason="Audit of export documents",
        adjustments={line_id: LineAdjustment(litres="600")},
        when=edmonton(2024, 8, 1, 9),
    )
    up = assess_claim(
        django_capture_on_commit_callbacks,
        claim=claim,
        by=staff,
        reassess=True,
        reason="Further documents received",
        adjustments={line_id: LineAdjustment(litres="800")},
        when=edmonton(2024, 8, 15, 9),
    )
    claim.refresh_from_db()
    assert claim.status == Claim.Status.REASSESSED
    assert [a.sequence for a in (first, down, up)] == [1, 2, 3]
    assert (down.kind, down.previously_allowed, down.allowed, down.change) == (
        ClaimAssessment.Kind.REASSESSMENT,
        Decimal("130.00"),
        Decimal("78.00"),
        Decimal("-52.00"),
    )
    assert up.change == Decimal("26.00")
    assert ledger(account) == [
        (Kind.CLAIM_CREDIT, Decimal("-130.00"), date(2024, 6, 30)),
        (Kind.ASSESSED_TAX, Decimal("52.00"), date(2024, 6, 30)),
        (Kind.CLAIM_CREDIT, Decimal("-26.00"), date(2024, 6, 30)),
    ]
    # Each reassessment that changed the refund allowed is a letter of assessment.
    assert Notice.objects.filter(kind=Notice.Kind.LETTER_OF_ASSESSMENT).count() == 2


# --- The automatic job --------------------------------------------------------------------------------------


def test_the_job_assesses_clean_claims_only_and_is_safe_twice(
    account, owner, django_capture_on_commit_callbacks
):
    clean = june_claim(account=account, user=owner)
    changed = claimed_as(june_claim(account=account, user=owner), refund="100.00")
    with (
        time_machine.travel(edmonton(2024, 6, 20, 9), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert assess_clean_claims.delay().get() == 1
        assert assess_clean_claims.delay().get() == 0
    clean.refresh_from_db()
    changed.refresh_from_db()
    assert clean.status == Claim.Status.ASSESSED
    assert changed.status == Claim.Status.RECEIVED  # staff assess it from the queue
    assert ClaimAssessment.objects.get().assessed_by is None


# --- The letter of assessment -------------------------------------------------------------------------------


def test_the_letter_of_assessment_is_issued_once_and_listed(
    account, owner, owner_client, django_capture_on_commit_callbacks
):
    claim = claimed_as(june_claim(account=account, user=owner), rate="0.09", refund="90.00")
    assessment = assess_claim(django_capture_on_commit_callbacks, claim=claim)
    letter = Notice.objects.get(source_reference=f"claim_assessment:{assessment.pk}")
    assert letter.kind == Notice.Kind.LETTER_OF_ASSESSMENT
    assert letter.amount == Decimal("130.00")
    assert letter.objection_deadline == date(2024, 9, 18)  # 90 days after 2024-06-20
    # With a reason for the extension: 2025-06-20 + 90 days, said as a date.
    letter_text = " ".join(re.sub(r"<[^>]+>", " ", claims.letter_html(assessment=assessment)).split())
    assert "up to September 18, 2025 (1 year and 90 days after the date of this letter)" in letter_text
    assert letter.reference == f"LA-202406-{assessment.pk:07d}"
    assert letter.pdf.read()[:5] == b"%PDF-"
    # Safe twice: the job run again returns the letter already issued.
    assert claim_letter_issue.delay(assessment.pk).get() == letter.pk
    assert Notice.objects.filter(kind=Notice.Kind.LETTER_OF_ASSESSMENT).count() == 1
    # The holders of VIEW_ASSESSMENTS are told, without the amount.
    assert OutboxEmail.objects.filter(purpose="notice-issued").count() == 1
    bodies = [message.body for message in mail.outbox if "letter of assessment" in message.subject]
    assert len(bodies) == 1
    assert "$" not in bodies[0]
    # It lists on the account's notices page and downloads.
    page = owner_client.get(f"/accounts/{account.number}/notices/")
    assert letter.reference in page.content.decode()
    assert owner_client.get(f"/accounts/{account.number}/notices/{letter.pk}.pdf").status_code == 200
    # View Assessment Status shows the claim's refund allowed and links its letter.
    status = owner_client.get(f"/accounts/{account.number}/assessments/").content.decode()
    assert "$130.00" in status
    assert f"/accounts/{account.number}/notices/{letter.pk}.pdf" in status


def test_the_letter_html_shows_each_line_rate_and_reason(account, owner, django_capture_on_commit_callbacks):
    claim = claimed_as(june_claim(account=account, user=owner), rate="0.09", refund="90.00")
    assessment = assess_claim(django_capture_on_commit_callbacks, claim=claim)
    html = claims.letter_html(assessment=assessment)
    for text in (
        "Letter of assessment",
        claim.confirmation_number,
        "$130.00",
        "$90.00",
        "2024-05-10",
        "AT4762",
    ):
        assert text in html
    assert "Refund per litre in force on 2024-05-10" in html


# --- Carbon levy claims -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("purchase", "rate", "allowed"),
    [
        # The carbon levy on clear gasoline: 4.49 c/L in 2017, 6.73 c/L from 2018-01-01 (by the date of purchase).
        ("2017-12-31", "0.044900", "44.90"),
        ("2018-01-01", "0.067300", "67.30"),
    ],
)
def test_a_carbon_levy_claim_uses_the_levy_in_force_on_the_purchase_date(
    db, django_capture_on_commit_callbacks, purchase, rate, allowed
):
    """A fuel vendor's carbon levy claim (AT5135) received 2019-06-15 for 1,000 L of clear gasoline."""
    from tests.accounts.factories import UserFactory
    from tests.consent.factories import ProgramAccountFactory, owner_grant

    account = ProgramAccountFactory(program="carbon_levy", effective_date=date(2017, 1, 1))
    user = UserFactory()
    owner_grant(account=account, user=user)
    with time_machine.travel(edmonton(2019, 6, 15), tick=False):
        claim = file_claim(
            account=account,
            user=user,
            kind=Claim.Kind.CARBON_LEVY_VENDOR,
            lines=[line("clear_gasoline", "1000", purchase)],
        )
    assessment = assess_claim(django_capture_on_commit_callbacks, claim=claim, when=edmonton(2019, 7, 2, 9))
    line_ = only_line(assessment)
    assert line_.rate_value == Decimal(rate)
    assert assessment.allowed == Decimal(allowed)
    assert ledger(account) == [(Kind.CLAIM_CREDIT, -Decimal(allowed), date(2019, 6, 30))]
