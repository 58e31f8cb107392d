"""Staff work on claims and refunds in Django admin (assessments/admin/claims.py, refunds.py): the claim queue with the claim,
its recomputation and history side by side, assess with per-line decisions, reassess with a reason; refunds
approved (four eyes) and cancelled through the service, with its messages."""

from decimal import Decimal

from django.test import Client
from django.urls import reverse

from accounts.models import AccessLogEntry
from assessments.models import ClaimAssessment, LedgerTransaction, Notice, Refund
from tests.accounts.factories import UserFactory
from tests.assessments.claim_factories import assess_claim, claimed_as, june_claim, mailing_address
from tests.assessments.test_admin import text
from tests.conftest import sign_in

QUEUE = reverse("admin:assessments_claimtoassess_changelist")
REFUNDS = reverse("admin:assessments_refund_changelist")


def test_the_queue_lists_claims_to_assess_with_their_differences(staff_client, account, owner):
    claim = claimed_as(june_claim(account=account, user=owner), refund="90.00")
    page = text(staff_client.get(QUEUE))
    assert claim.confirmation_number in page
    assert "$90.00" in page  # claimed
    assert "$130.00" in page  # recomputed
    assert "$40.00" in page


def test_the_claim_page_shows_claim_recomputation_and_history(staff_client, staff, account, owner):
    claim = claimed_as(june_claim(account=account, user=owner), rate="0.09", refund="90.00")
    page = text(staff_client.get(reverse("admin:assessments_claimtoassess_change", args=[claim.pk])))
    assert "The claim, as filed" in page
    assert "Recomputed from the dated rates" in page
    assert "Refund per litre in force on 2024-05-10" in page
    assert "Not assessed yet." in page
    assert "Assess this claim" in page
    assert AccessLogEntry.objects.filter(actor=staff, kind="read", account_number=account.number).exists()


def test_staff_assess_with_a_line_decision_then_reassess(
    staff_client, staff, account, owner, django_capture_on_commit_callbacks
):
    mailing_address(account)
    claim = june_claim(account=account, user=owner)
    line = claim.lines.get()
    assess_url = reverse("admin:assessments_claimtoassess_assess", args=[claim.pk])
    refused = staff_client.post(assess_url, {f"litres_{line.pk}": "600"}, follow=True)
    assert "give the reason for allowing other litres" in text(refused)
    assert not ClaimAssessment.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            assess_url,
            {f"litres_{line.pk}": "600", f"reason_{line.pk}": "600 L exported", "post": "yes"},
            follow=True,
        )
    assert "refund allowed $78.00" in text(response)
    assessment = ClaimAssessment.objects.get()
    assert assessment.assessed_by == staff
    assert Notice.objects.filter(source_reference=f"claim_assessment:{assessment.pk}").exists()
    assert "Reassess this claim" in text(response)
    # Reassess: a reason is required; then the disallowed line takes the whole credit back.
    refused = staff_client.post(assess_url, {"reason": ""}, follow=True)
    assert "Give the reason for the reassessment" in text(refused)
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(
            assess_url,
            {
                f"disallow_{line.pk}": "on",
                f"reason_{line.pk}": "Not exported",
                "reason": "Audit",
                "post": "yes",
            },
        )
    assert list(ClaimAssessment.objects.order_by("sequence").values_list("allowed", "change")) == [
        (Decimal("78.00"), Decimal("78.00")),
        (Decimal("0.00"), Decimal("-78.00")),
    ]
    assert list(LedgerTransaction.objects.order_by("id").values_list("kind", "amount")) == [
        ("claim_credit", Decimal("-78.00")),
        ("assessed_tax", Decimal("78.00")),
    ]


def test_the_bulk_action_assesses_as_filed(staff_client, account, owner, django_capture_on_commit_callbacks):
    claim = june_claim(account=account, user=owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            QUEUE, {"action": "assess_selected", "_selected_action": [claim.pk], "post": "yes"}, follow=True
        )
    assert f"Assessed: {claim.confirmation_number}." in text(response)
    assert ClaimAssessment.objects.get().allowed == Decimal("130.00")


def test_refunds_approved_by_two_staff_above_the_threshold(
    settings, staff_client, staff, account, owner, django_capture_on_commit_callbacks
):
    settings.TRACS_REFUND_SECOND_APPROVAL_ABOVE = Decimal("100.00")
    mailing_address(account)
    assess_claim(django_capture_on_commit_callbacks, claim=june_claim(account=account, user=owner))
    refund = Refund.objects.get()
    approve = {"action": "approve_selected", "_selected_action": [refund.pk], "post": "yes"}
    first = text(staff_client.post(REFUNDS, approve, follow=True))
    assert "first approval recorded; another refund approver must approve it" in first
    again = text(staff_client.post(REFUNDS, approve, follow=True))
    assert "it needs a second approval by another refund approver (you approved it first)" in again
    other = sign_in(Client(), UserFactory(is_staff=True, is_superuser=True))
    second = text(other.post(REFUNDS, approve, follow=True))
    assert "approved: it is issued by the next run of the refund job" in second
    refund.refresh_from_db()
    assert refund.status == Refund.Status.APPROVED


def test_refunds_cancelled_with_a_reason(staff_client, account, owner, django_capture_on_commit_callbacks):
    mailing_address(account)
    assess_claim(django_capture_on_commit_callbacks, claim=june_claim(account=account, user=owner))
    refund = Refund.objects.get()
    cancel = {"action": "cancel_selected", "_selected_action": [refund.pk]}
    form = text(staff_client.post(REFUNDS, cancel))
    assert "Reason for cancelling" in form
    done = text(staff_client.post(REFUNDS, {**cancel, "post": "yes", "reason": "Duplicate"}, follow=True))
    assert f"Refund {refund.pk} cancelled." in done
    refund.refresh_from_db()
    assert (refund.status, refund.cancel_reason) == (Refund.Status.CANCELLED, "Duplicate")


def test_refund_pages_never_show_the_bank_account_number(
    staff_client, account, owner, django_capture_on_commit_callbacks
):
    from tests.assessments.claim_factories import bank_account

    mailing_address(account)
    bank_account(account, number="555566667777")
    assess_claim(django_capture_on_commit_callbacks, claim=june_claim(account=account, user=owner))
    refund = Refund.objects.get()
    for url in (REFUNDS, reverse("admin:assessments_refund_change", args=[refund.pk])):
        page = text(staff_client.get(url))
        assert "ending in 7777" in page
        assert "555566667777" not in page
