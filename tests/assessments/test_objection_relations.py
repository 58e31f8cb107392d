"""Objections and waiver requests keep real relations to what they are about (issue 11, item 7): a notice, an
assessment or a ledger transaction an objection or a waiver request names cannot be deleted from under it, and
the staff pages link to each."""

import pytest
import time_machine
from django.db.models import ProtectedError
from django.urls import reverse

from assessments import decisions
from assessments.models import Assessment, LedgerTransaction
from assessments.models_objections import WaiverCharge
from tests.assessments.factories import acting
from tests.assessments.objection_factories import assessed_fixture, objection_fixture, waiver_request  # noqa: F401 (fixtures)
from tests.filings.factories import edmonton

NOW = edmonton(2021, 10, 5, 11)


def _charges(account):
    return (
        LedgerTransaction.objects.get(account=account, kind="penalty"),
        LedgerTransaction.objects.get(account=account, kind="interest"),
    )


def test_an_objection_names_its_notice(objection, assessed):
    assert objection.notice == assessed.notice
    assert objection.notice_reference == assessed.notice.reference
    assert list(assessed.notice.objections.all()) == [objection]


def test_the_notice_objected_to_cannot_be_deleted(objection, assessed):
    with pytest.raises(ProtectedError) as refused:
        assessed.notice.delete()
    assert objection in refused.value.protected_objects


@time_machine.travel(NOW, tick=False)
def test_the_reassessment_a_decision_made_cannot_be_deleted(
    objection, staff, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        decided = decisions.objection_decide(
            objection_id=objection.pk,
            outcome="varied",
            actor=acting(staff),
            reasons="10,000 L were exported.",
            adjustments={("clear_gasoline", "taxable"): "90000"},
        )
    assert isinstance(decided.reassessment, Assessment)
    with pytest.raises(ProtectedError) as refused:
        Assessment.objects.get(pk=decided.reassessment_id).delete()
    assert decided in refused.value.protected_objects


def test_a_charge_asked_to_be_waived_cannot_be_deleted(account, owner, assessed):
    penalty, charged = _charges(account)
    waiver = waiver_request(account=account, user=owner, transactions=[penalty, charged])
    assert set(waiver.charges.all()) == {penalty, charged}
    assert set(penalty.waiver_requests.all()) == {waiver}
    with pytest.raises(ProtectedError) as refused:
        penalty.delete()
    assert (
        WaiverCharge.objects.get(waiver_request=waiver, transaction=penalty)
        in refused.value.protected_objects
    )


@time_machine.travel(NOW, tick=False)
def test_the_objection_page_links_to_the_notice_and_the_reassessment(
    staff_client, staff, objection, assessed, django_capture_on_commit_callbacks
):
    url = reverse("admin:assessments_objection_change", args=[objection.pk])
    assert (
        reverse("admin:assessments_notice_pdf", args=[assessed.notice.pk])
        in staff_client.get(url).content.decode()
    )
    with django_capture_on_commit_callbacks(execute=True):
        decided = decisions.objection_decide(
            objection_id=objection.pk,
            outcome="varied",
            actor=acting(staff),
            reasons="10,000 L were exported.",
            adjustments={("clear_gasoline", "taxable"): "90000"},
        )
    page = staff_client.get(url).content.decode()
    assert reverse("admin:assessments_assessment_change", args=[decided.reassessment_id]) in page


@time_machine.travel(NOW, tick=False)
def test_the_waiver_page_links_to_the_charges_asked_and_waived(
    staff_client, staff, account, owner, assessed, django_capture_on_commit_callbacks
):
    penalty, charged = _charges(account)
    waiver = waiver_request(account=account, user=owner, transactions=[penalty, charged])
    with django_capture_on_commit_callbacks(execute=True):
        decided = decisions.waiver_decide(
            waiver_id=waiver.pk,
            grant=True,
            transaction_ids=[charged.pk],
            actor=acting(staff),
            reasons="Interest on the flood month.",
        )
    assert decided.transaction_ids == sorted([penalty.pk, charged.pk])
    assert decided.waived_transaction_ids == [charged.pk]
    page = staff_client.get(
        reverse("admin:assessments_waiverrequest_change", args=[waiver.pk])
    ).content.decode()
    for charge in (penalty, charged):
        assert reverse("admin:assessments_ledgertransaction_change", args=[charge.pk]) in page
