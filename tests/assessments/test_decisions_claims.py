"""Staff decisions on a Notice of Objection to a claim's letter of assessment (assessments/decisions/, docs/adr/0008
addendum): varied, the claim is reassessed with the staff's decision per line; vacated, it is allowed as filed; either
way only the change is posted, with its own letter; a vacate of a letter not the claim's latest is refused with
nothing written; and the admin page shows the claim's lines and records a variation.

The claim: 10,000 L of clear gasoline bought 2024-05-10 and exported, filed 2024-06-05 ($1,300.00 at 13 c/L),
assessed by staff 2024-06-20 at 6,000 L ($780.00: a letter of assessment); the objection to that letter filed
2024-07-02 (the $520.00 disallowed in dispute), decided 2024-07-15. (Large enough that each change is beyond the
$20.00 tolerance.)"""

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import AccessLogEntry
from assessments import decisions, objections
from assessments.claims import LineAdjustment
from assessments.models import ClaimAssessment, LedgerTransaction, Notice, Refund
from assessments.models_objections import Objection
from tests.accounts.factories import actor_for
from tests.assessments.claim_factories import assess_claim, june_claim, mailing_address
from tests.assessments.factories import acting
from tests.assessments.objection_factories import REPRESENTATIVE
from tests.filings.factories import edmonton

Kind = LedgerTransaction.Kind
DECIDED = edmonton(2024, 7, 15, 11)


@pytest.fixture
def claim(account, owner):
    mailing_address(account)  # the refunds go by cheque
    return june_claim(account=account, user=owner, litres="10000")


@pytest.fixture
def line_id(claim):
    return claim.lines.get().pk


@pytest.fixture
def assessed(claim, line_id, staff, django_capture_on_commit_callbacks):
    """Assessed at 6,000 L of the 10,000 L claimed: $780.00 allowed, a letter of assessment issued."""
    return assess_claim(
        django_capture_on_commit_callbacks,
        claim=claim,
        by=staff,
        adjustments={line_id: LineAdjustment(litres="6000", reason="Only 6,000 L shown exported")},
    )


@pytest.fixture
def letter(assessed):
    return Notice.objects.get(source_reference=f"claim_assessment:{assessed.pk}")


@pytest.fixture
def objection(account, owner, letter):
    with time_machine.travel(edmonton(2024, 7, 2, 9), tick=False):
        state = {
            **objections.objection_subject_check(
                account=account, against="notice", notice_id=letter.pk, amount_in_dispute="520.00"
            ),
            "facts": "All 10,000 L were exported: the bills of lading are attached.",
        }
        return objections.objection_submit(
            account=account,
            state=state,
            documents=[],
            representative=REPRESENTATIVE,
            actor=actor_for(owner).acting_for(capacity="owner"),
        )


def decide(capture, **kwargs):
    with time_machine.travel(DECIDED, tick=False), capture(execute=True):
        return decisions.objection_decide(**kwargs)


def vary(capture, *, objection, staff, line_id, litres, reasons):
    """Vary `objection` allowing `litres` on the claim's line: the objection decided and the claim reassessment."""
    decided = decide(
        capture,
        objection_id=objection.pk,
        outcome="varied",
        actor=acting(staff),
        reasons=reasons,
        claim_adjustments={line_id: LineAdjustment(litres=litres, reason=f"{litres} L shown exported")},
    )
    return decided, ClaimAssessment.objects.get(pk=decided.claim_reassessment_id)


def claim_postings(account):
    return list(
        LedgerTransaction.objects.filter(account=account, source_reference__startswith="claim_assessment:")
        .order_by("id")
        .values_list("kind", "amount")
    )


def decision_html(objection):
    return decisions.decision_notice_html(kind="objection", filing=objection)[1]


def test_vary_raising_the_refund_posts_the_further_credit_and_refunds_it(
    account, staff, objection, line_id, django_capture_on_commit_callbacks
):
    """9,000 L allowed instead of 6,000 L: 9,000 x $0.13 = $1,170.00, $390.00 more than the $780.00 allowed: a
    further CLAIM_CREDIT of -$390.00, its own letter, and a refund of the $390.00."""
    decided, reassessment = vary(
        django_capture_on_commit_callbacks,
        objection=objection,
        staff=staff,
        line_id=line_id,
        litres="9000",
        reasons="The bills of lading show 9,000 L exported.",
    )
    assert decided.outcome == Objection.Outcome.VARIED
    assert decided.reassessment_id is None
    assert (reassessment.sequence, reassessment.kind) == (2, ClaimAssessment.Kind.REASSESSMENT)
    assert (reassessment.previously_allowed, reassessment.allowed, reassessment.change) == (
        Decimal("780.00"),
        Decimal("1170.00"),
        Decimal("390.00"),
    )
    assert (
        reassessment.reason
        == f"Objection {objection.reference_number}: The bills of lading show 9,000 L exported."
    )
    assert claim_postings(account) == [
        (Kind.CLAIM_CREDIT, Decimal("-780.00")),
        (Kind.CLAIM_CREDIT, Decimal("-390.00")),
    ]
    new_letter = Notice.objects.get(source_reference=f"claim_assessment:{reassessment.pk}")
    assert (new_letter.kind, new_letter.amount) == (Notice.Kind.LETTER_OF_ASSESSMENT, Decimal("1170.00"))
    assert Refund.objects.get(claim_assessment=reassessment).amount == Decimal("390.00")
    assert AccessLogEntry.objects.filter(actor=staff, action="claim reassessment").exists()
    assert AccessLogEntry.objects.filter(actor=staff, action="notice of objection: decided (varied)").exists()
    # The notice of decision says what happened.
    notice = Notice.objects.get(source_reference=f"objection:{objection.pk}")
    assert notice.amount is None
    html = decision_html(decided)
    assert f"claim {reassessment.claim.confirmation_number} was reassessed" in html
    assert "The refund allowed is now $1,170.00 (it was $780.00)" in html
    assert "the further $390.00 is credited to your account" in html


def test_vary_lowering_the_refund_posts_a_debit(
    account, staff, objection, line_id, django_capture_on_commit_callbacks
):
    """5,000 L instead of 6,000 L: $650.00 allowed, $130.00 less: ASSESSED_TAX +$130.00 (a credit taken back), no
    refund."""
    decided, reassessment = vary(
        django_capture_on_commit_callbacks,
        objection=objection,
        staff=staff,
        line_id=line_id,
        litres="5000",
        reasons="Only 5,000 L were exported.",
    )
    assert (reassessment.allowed, reassessment.change) == (Decimal("650.00"), Decimal("-130.00"))
    assert claim_postings(account) == [
        (Kind.CLAIM_CREDIT, Decimal("-780.00")),
        (Kind.ASSESSED_TAX, Decimal("130.00")),
    ]
    assert Notice.objects.filter(source_reference=f"claim_assessment:{reassessment.pk}").exists()
    assert not Refund.objects.filter(claim_assessment=reassessment).exists()
    assert "the difference is charged to your account" in decision_html(decided)


def test_vacate_allows_the_claim_as_filed(account, staff, objection, django_capture_on_commit_callbacks):
    """Allowed as filed: 10,000 L x $0.13 = $1,300.00, $520.00 more than allowed: a further credit of -$520.00."""
    decided = decide(
        django_capture_on_commit_callbacks,
        objection_id=objection.pk,
        outcome="vacated",
        actor=acting(staff),
        reasons="The export is proven.",
    )
    reassessment = ClaimAssessment.objects.get(pk=decided.claim_reassessment_id)
    line = reassessment.lines.get()
    assert (line.litres_allowed, line.disallowed, line.refund_allowed) == (
        Decimal("10000.000"),
        False,
        Decimal("1300.00"),
    )
    assert (reassessment.allowed, reassessment.change) == (Decimal("1300.00"), Decimal("520.00"))
    assert reassessment.reason.startswith(
        f"Objection {objection.reference_number} allowed, the claim allowed as filed"
    )
    assert claim_postings(account) == [
        (Kind.CLAIM_CREDIT, Decimal("-780.00")),
        (Kind.CLAIM_CREDIT, Decimal("-520.00")),
    ]
    assert not LedgerTransaction.objects.filter(kind=Kind.REVERSAL).exists()
    assert Notice.objects.filter(source_reference=f"claim_assessment:{reassessment.pk}").exists()
    assert Notice.objects.get(source_reference=f"objection:{objection.pk}").amount == Decimal("0.00")
    assert "the letter of assessment is vacated and claim" in decision_html(decided)
    assert "is allowed as filed" in decision_html(decided)


def test_vacate_of_a_letter_not_the_latest_is_refused_with_nothing_written(
    account, claim, line_id, staff, objection, django_capture_on_commit_callbacks
):
    assess_claim(
        django_capture_on_commit_callbacks,
        claim=claim,
        by=staff,
        reassess=True,
        reason="Further documents",
        adjustments={line_id: LineAdjustment(litres="7000")},
        when=edmonton(2024, 7, 10, 9),
    )
    postings, assessments_made = LedgerTransaction.objects.count(), ClaimAssessment.objects.count()
    with pytest.raises(ValidationError) as refused:
        decide(
            django_capture_on_commit_callbacks,
            objection_id=objection.pk,
            outcome="vacated",
            actor=acting(staff),
            reasons="The export is proven.",
        )
    assert refused.value.messages == [
        decisions.NOT_LATEST_CLAIM_ASSESSMENT
        % {"notice": objection.notice_reference, "number": claim.confirmation_number}
    ]
    assert (LedgerTransaction.objects.count(), ClaimAssessment.objects.count()) == (
        postings,
        assessments_made,
    )
    assert not Objection.objects.get(pk=objection.pk).is_decided
    assert not Notice.objects.filter(source_reference=f"objection:{objection.pk}").exists()


def test_vacate_is_refused_when_a_line_no_longer_passes(
    claim, staff, objection, django_capture_on_commit_callbacks
):
    """A line whose date of purchase (as the claim now reads) is outside its window cannot be allowed as filed."""
    claim.lines.update(purchase_date=date(2015, 1, 10))
    postings = LedgerTransaction.objects.count()
    with pytest.raises(ValidationError, match="cannot be allowed as filed: line 1 no longer passes"):
        decide(
            django_capture_on_commit_callbacks,
            objection_id=objection.pk,
            outcome="vacated",
            actor=acting(staff),
            reasons="The export is proven.",
        )
    assert LedgerTransaction.objects.count() == postings
    assert ClaimAssessment.objects.count() == 1


def test_a_return_adjustment_for_a_claim_letter_is_refused(
    staff, objection, django_capture_on_commit_callbacks
):
    with pytest.raises(ValidationError, match="decisions per claim line"):
        decide(
            django_capture_on_commit_callbacks,
            objection_id=objection.pk,
            outcome="varied",
            actor=acting(staff),
            reasons="x",
            adjustments={("clear_gasoline", "taxable"): "9000"},
        )
    assert ClaimAssessment.objects.count() == 1


@time_machine.travel(DECIDED, tick=False)
def test_the_admin_page_shows_the_claim_lines_and_records_a_vary(
    staff_client, claim, line_id, letter, objection, django_capture_on_commit_callbacks
):
    page = staff_client.get(
        reverse("admin:assessments_objection_change", args=[objection.pk])
    ).content.decode()
    assert letter.reference in page
    assert claim.confirmation_number in page
    assert f'name="litres_{line_id}"' in page
    assert f'name="reason_{line_id}"' in page
    assert "Allowed by the letter" in page
    assert 'name="adjustments"' not in page  # a return's litres do not apply
    url = reverse("admin:assessments_objection_decide", args=[objection.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            url,
            {
                "outcome": "varied",
                "reasons": "9,000 L exported.",
                f"litres_{line_id}": "9000",
                f"reason_{line_id}": "Bills of lading",
                "post": "yes",
            },
            follow=True,
        )
    assert "decided: Varied" in response.content.decode()
    objection.refresh_from_db()
    reassessment = ClaimAssessment.objects.get(pk=objection.claim_reassessment_id)
    assert (reassessment.allowed, reassessment.lines.get().litres_allowed) == (
        Decimal("1170.00"),
        Decimal("9000.000"),
    )
    assert "Bills of lading" in reassessment.lines.get().reason
