"""Decisions in staff administration by role holders, not superusers (docs/staff-roles.md): the objections and
waivers officer decides objections and waiver requests, an assessor and the auditor are refused with nothing
decided; refunds are approved by refund approvers only; a refund payment file is downloaded by the payments clerk
only. Each refusal is the whole confirming POST, as a person would send it."""

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from assessments import refunds
from assessments.models import LedgerTransaction, Refund, RefundPaymentFile
from assessments.models_objections import Objection, WaiverRequest
from tests.accounts.factories import staff_member
from tests.assessments.claim_factories import assess_claim, june_claim, mailing_address
from tests.assessments.factories import acting
from tests.assessments.objection_factories import assessed_fixture, objection_fixture, waiver_request  # noqa: F401 (fixtures)
from tests.conftest import sign_in
from tests.filings.factories import edmonton

pytestmark = pytest.mark.django_db

NOW = edmonton(2021, 10, 5, 11)


def _as(*roles: str) -> Client:
    return sign_in(Client(), staff_member(*roles))


@time_machine.travel(NOW, tick=False)
def test_only_the_objections_officer_decides_an_objection(objection, django_capture_on_commit_callbacks):
    url = reverse("admin:assessments_objection_decide", args=[objection.pk])
    decision = {"outcome": "confirmed", "reasons": "As assessed.", "post": "yes"}
    page = reverse("admin:assessments_objection_change", args=[objection.pk])
    auditor = _as("auditor")
    assert auditor.get(page).status_code == 200
    assert "Record the decision" not in auditor.get(page).text  # read only: no decision form
    for refused in (_as("assessor"), auditor, _as("refund_approver")):
        assert refused.post(url, decision).status_code == 403
    assert not Objection.objects.get(pk=objection.pk).is_decided
    officer = _as("objections_officer")
    assert "Record the decision" in officer.get(page).text
    with django_capture_on_commit_callbacks(execute=True):
        response = officer.post(url, decision, follow=True)
    assert "decided: Confirmed" in response.text
    assert Objection.objects.get(pk=objection.pk).outcome == Objection.Outcome.CONFIRMED


@time_machine.travel(NOW, tick=False)
def test_only_the_objections_officer_decides_a_waiver(
    account, owner, assessed, django_capture_on_commit_callbacks
):
    penalty = LedgerTransaction.objects.get(account=account, kind="penalty")
    waiver = waiver_request(account=account, user=owner, transactions=[penalty])
    url = reverse("admin:assessments_waiverrequest_decide", args=[waiver.pk])
    grant = {"decision": "grant", "transactions": [penalty.pk], "reasons": "Flood.", "post": "yes"}
    for refused in (_as("assessor"), _as("auditor"), _as("payments_clerk")):
        assert refused.post(url, grant).status_code == 403
    review = {"action": "review_start", "_selected_action": [waiver.pk], "index": "0"}
    _as("auditor").post(reverse("admin:assessments_waiverrequest_changelist"), review)
    assert WaiverRequest.objects.get(pk=waiver.pk).status == WaiverRequest.Status.RECEIVED
    assert not LedgerTransaction.objects.filter(reverses=penalty).exists()
    with django_capture_on_commit_callbacks(execute=True):
        _as("objections_officer").post(url, grant, follow=True)
    assert WaiverRequest.objects.get(pk=waiver.pk).amount_waived == penalty.amount


def test_four_eyes_in_admin_needs_two_refund_approvers(
    settings, account, owner, django_capture_on_commit_callbacks
):
    settings.TRACS_REFUND_SECOND_APPROVAL_ABOVE = "100.00"
    mailing_address(account)
    assess_claim(django_capture_on_commit_callbacks, claim=june_claim(account=account, user=owner))
    refund = Refund.objects.get()
    assert refund.needs_second_approval
    changelist = reverse("admin:assessments_refund_changelist")
    approve = {"action": "approve_selected", "_selected_action": [refund.pk], "post": "yes", "index": "0"}
    for refused in (_as("auditor"), _as("assessor"), _as("payments_clerk")):
        assert 'value="approve_selected"' not in refused.get(changelist).text  # not offered
        response = refused.post(changelist, approve, follow=True)
        assert response.status_code == 200  # the list again: nothing run
    assert Refund.objects.get().first_approved_by is None
    first = staff_member("refund_approver")
    sam = sign_in(Client(), first)
    assert "first approval recorded" in sam.post(changelist, approve, follow=True).text
    assert "you approved it first" in sam.post(changelist, approve, follow=True).text
    second = _as("refund_approver", "objections_officer")
    assert "approved: it is issued by the next run" in second.post(changelist, approve, follow=True).text
    refund.refresh_from_db()
    assert refund.status == Refund.Status.APPROVED
    assert refund.first_approved_by == first


def test_only_the_payments_clerk_downloads_a_refund_payment_file(
    account, owner, django_capture_on_commit_callbacks
):
    mailing_address(account)
    assess_claim(django_capture_on_commit_callbacks, claim=june_claim(account=account, user=owner))
    refunds.refund_approve(refund=Refund.objects.get(), actor=acting(staff_member("refund_approver")))
    with time_machine.travel(edmonton(2024, 6, 21, 5, 30), tick=False):
        refunds.refunds_issue(actor=acting())
    payment_file = RefundPaymentFile.objects.get(closed_at__isnull=False)
    url = reverse("admin:assessments_refundpaymentfile_download", args=[payment_file.pk])
    listing = reverse("admin:assessments_refundpaymentfile_changelist")
    for refused in (_as("auditor"), _as("refund_approver")):
        assert refused.get(listing).status_code == 200
        assert url not in refused.get(listing).text
        assert refused.get(url).status_code == 403
    clerk = _as("payments_clerk")
    assert url in clerk.get(listing).text
    response = clerk.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
