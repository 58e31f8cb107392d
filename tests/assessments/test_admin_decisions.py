"""The staff queues of objections and waiver requests in Django admin: filters, each filing beside what it is about,
the decisions made from its page (and refused with a message when they cannot be), review, staff reads logged."""

import time_machine
from django.urls import reverse

from accounts.models import AccessLogEntry
from assessments.models import LedgerTransaction, Notice
from assessments.models_objections import Objection, WaiverRequest
from tests.assessments.objection_factories import assessed_fixture, objection_fixture, waiver_request  # noqa: F401 (fixtures)
from tests.filings.factories import edmonton

NOW = edmonton(2021, 10, 5, 11)


@time_machine.travel(NOW, tick=False)
def test_objection_queue_and_page(staff_client, staff, objection, assessed):
    changelist = reverse("admin:assessments_objection_changelist")
    page = staff_client.get(changelist)
    assert page.status_code == 200
    assert objection.reference_number in page.content.decode()
    for query in ("?status__exact=received", "?overdue=yes", "?received_at__year=2021"):
        assert staff_client.get(changelist + query).status_code == 200
    assert objection.reference_number not in staff_client.get(changelist + "?overdue=yes").content.decode()
    Objection.objects.filter(pk=objection.pk).update(received_at=edmonton(2021, 7, 6))  # 91 days undecided
    assert objection.reference_number in staff_client.get(changelist + "?overdue=yes").content.decode()
    detail = staff_client.get(
        reverse("admin:assessments_objection_change", args=[objection.pk])
    ).content.decode()
    assert assessed.notice.reference in detail
    assert assessed.tax_return.confirmation_number in detail
    assert "clear_gasoline" in detail  # the return's lines, to vary from
    assert "Record the decision" in detail
    assert AccessLogEntry.objects.filter(
        actor=staff, capacity="staff", account_number=objection.account.number
    ).exists()


@time_machine.travel(NOW, tick=False)
def test_vary_from_the_page(staff_client, objection, django_capture_on_commit_callbacks):
    url = reverse("admin:assessments_objection_decide", args=[objection.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            url,
            {
                "outcome": "varied",
                "reasons": "Exported.",
                "adjustments": "clear_gasoline taxable 90,000",
                "post": "yes",
            },
            follow=True,
        )
    assert "decided: Varied" in response.content.decode()
    objection.refresh_from_db()
    assert objection.outcome == "varied"
    assert objection.reassessment_id is not None
    assert Notice.objects.filter(source_reference=f"objection:{objection.pk}").exists()
    # Twice: refused with the reason, nothing written.
    count = LedgerTransaction.objects.count()
    response = staff_client.post(url, {"outcome": "vacated", "reasons": "No."}, follow=True)
    assert "already decided" in response.content.decode()
    assert LedgerTransaction.objects.count() == count


@time_machine.travel(NOW, tick=False)
def test_bad_adjustments_and_missing_reasons_are_refused(staff_client, objection):
    url = reverse("admin:assessments_objection_decide", args=[objection.pk])
    response = staff_client.post(
        url, {"outcome": "varied", "reasons": "x", "adjustments": "nonsense"}, follow=True
    )
    assert "one line per adjusted line" in response.content.decode()
    response = staff_client.post(url, {"outcome": "confirmed", "reasons": ""}, follow=True)
    assert response.status_code == 200
    assert not Objection.objects.get(pk=objection.pk).is_decided


@time_machine.travel(NOW, tick=False)
def test_review_action(staff_client, objection):
    response = staff_client.post(
        reverse("admin:assessments_objection_changelist"),
        {"action": "review_start", "_selected_action": [objection.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert Objection.objects.get(pk=objection.pk).status == Objection.Status.IN_REVIEW


@time_machine.travel(NOW, tick=False)
def test_waiver_page_and_partial_grant(
    staff_client, account, owner, assessed, django_capture_on_commit_callbacks
):
    penalty = LedgerTransaction.objects.get(account=account, kind="penalty")
    charged = LedgerTransaction.objects.get(account=account, kind="interest")
    waiver = waiver_request(account=account, user=owner, transactions=[penalty, charged])
    page = staff_client.get(
        reverse("admin:assessments_waiverrequest_change", args=[waiver.pk])
    ).content.decode()
    assert "$690.00" in page
    assert "Grant the waiver" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            reverse("admin:assessments_waiverrequest_decide", args=[waiver.pk]),
            {"decision": "grant", "transactions": [penalty.pk], "reasons": "Flood.", "post": "yes"},
            follow=True,
        )
    assert "Granted in part" in response.content.decode()
    waiver = WaiverRequest.objects.get(pk=waiver.pk)
    assert waiver.amount_waived == penalty.amount
    assert (
        LedgerTransaction.objects.get(reverses=penalty).source_reference == f"waiver:{waiver.pk}:{penalty.pk}"
    )
    page = staff_client.get(
        reverse("admin:assessments_waiverrequest_change", args=[waiver.pk])
    ).content.decode()
    assert "reversed" in page


def test_staff_without_the_permission_cannot_decide(db, objection):
    from django.contrib.auth.models import Permission
    from django.test import Client

    from tests.accounts.factories import UserFactory
    from tests.conftest import sign_in

    clerk = UserFactory(is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="view_objection"))
    client = sign_in(Client(), clerk)
    assert client.get(reverse("admin:assessments_objection_change", args=[objection.pk])).status_code == 200
    response = client.post(
        reverse("admin:assessments_objection_decide", args=[objection.pk]),
        {"outcome": "confirmed", "reasons": "x"},
    )
    assert response.status_code == 403
    assert not Objection.objects.get(pk=objection.pk).is_decided


@time_machine.travel(NOW, tick=False)
def test_staff_download_a_supporting_document_logged(staff_client, staff, account, owner, assessed):
    from tests.assessments.objection_factories import notice_objection, staged_documents
    from tests.programs.documents_samples import PDF

    filed = notice_objection(
        account=account,
        user=owner,
        notice=assessed.notice,
        documents=staged_documents(account=account, user=owner, count=1),
    )
    page = staff_client.get(reverse("admin:assessments_objection_change", args=[filed.pk])).content.decode()
    document = filed.documents.get()
    url = reverse("admin:assessments_objection_document", args=[filed.pk, document.pk])
    assert url in page
    response = staff_client.get(url)
    assert b"".join(response.streaming_content) == PDF
    assert AccessLogEntry.objects.filter(
        actor=staff, action="supporting document downloaded in staff administration"
    ).exists()
    other = reverse("admin:assessments_objection_document", args=[filed.pk, document.pk + 1000])
    assert staff_client.get(other).status_code == 404
