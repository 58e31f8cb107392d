"""Staff in Django admin: the assessment queue (returns to assess), the return with its recomputation and
history side by side, Assess (one or in bulk) and Reassess with a reason; assessments, notices and the ledger
read-only."""

import html
import re
from decimal import Decimal

from django.urls import reverse

from accounts.models import AccessLogEntry
from assessments.models import Assessment, LedgerTransaction, Notice
from filings.models import FuelTaxReturn
from tests.assessments.factories import assess, june_2021, reported_as
from tests.filings.factories import amend_return

QUEUE = reverse("admin:assessments_returntoassess_changelist")


def text(response) -> str:
    return re.sub(r"\s+", " ", html.unescape(response.content.decode()))


def test_the_queue_lists_the_latest_received_versions_with_their_differences(staff_client, account, owner):
    original = june_2021(account=account, user=owner)
    amended = reported_as(
        amend_return(
            original=original, user=owner, clear_gasoline__taxable="100000", marked_diesel__taxable="20000"
        ),
        clear_gasoline__taxable="12990.00",
    )
    response = staff_client.get(QUEUE)
    assert response.status_code == 200
    assert [row.pk for row in response.context["cl"].result_list] == [
        amended.pk
    ]  # the superseded original is not
    page = text(response)
    assert "$13,790.00" in page
    assert "$13,800.00" in page
    assert "$10.00 (within tolerance)" in page


def test_the_return_page_shows_return_recomputation_and_history_side_by_side(
    staff_client, account, owner, staff
):
    tax_return = reported_as(june_2021(account=account, user=owner), marked_diesel__taxable="700.00")
    response = staff_client.get(reverse("admin:assessments_returntoassess_change", args=[tax_return.pk]))
    assert response.status_code == 200
    page = text(response)
    assert "The return, as reported" in page
    assert "Recomputed from the dated rates" in page
    assert "History of the period" in page
    assert "20,000 L x $0.04/L = $800.00, rounded to the cent; the return reported $700.00." in page
    assert "An assessment now would assess $13,800.00." in page
    assert "Not assessed yet." in page
    assert "Assess this return" in page
    assert AccessLogEntry.objects.filter(
        actor=staff, capacity="staff", kind="read", account_number=account.number
    ).exists()


def test_staff_assess_from_the_return_page(
    staff_client, account, owner, staff, django_capture_on_commit_callbacks
):
    tax_return = reported_as(june_2021(account=account, user=owner), marked_diesel__taxable="700.00")
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            reverse("admin:assessments_returntoassess_assess", args=[tax_return.pk]),
            {"reason": "Rate applied", "post": "yes"},
        )
    assert response.status_code == 302
    assessment = Assessment.objects.get()
    assert (assessment.assessed_by, assessment.assessed_tax, assessment.reason) == (
        staff,
        Decimal("13800.00"),
        "Rate applied",
    )
    assert Notice.objects.filter(assessment=assessment).exists()
    page = text(staff_client.get(response["Location"]))
    assert "Assessment of" in page
    assert "tax assessed $13,800.00" in page
    assert "Assessment 1" in page  # in the history now
    # Assessing again is refused with the service's message.
    again = staff_client.post(
        reverse("admin:assessments_returntoassess_assess", args=[tax_return.pk]), follow=True
    )
    assert "only a received return (or one in review) can be assessed" in text(again)
    assert Assessment.objects.count() == 1


def test_reassess_needs_a_reason_and_keeps_the_first(
    staff_client, account, owner, staff, django_capture_on_commit_callbacks
):
    tax_return = june_2021(account=account, user=owner)
    assess(django_capture_on_commit_callbacks, tax_return=tax_return)
    change = reverse("admin:assessments_returntoassess_change", args=[tax_return.pk])
    assert "Reassess" in text(staff_client.get(change))
    reassess = reverse("admin:assessments_returntoassess_reassess", args=[tax_return.pk])
    refused = staff_client.post(reassess, {"reason": ""}, follow=True)
    assert "Give the reason for the reassessment" in text(refused)
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(reassess, {"reason": "Confirmed after review", "post": "yes"})
    assert list(Assessment.objects.order_by("sequence").values_list("kind", "assessed_by", "reason")) == [
        ("assessment", None, ""),
        ("reassessment", staff.pk, "Confirmed after review"),
    ]
    assert list(LedgerTransaction.objects.order_by("id").values_list("amount", flat=True)) == [
        Decimal("13800.00"),
        Decimal("0.00"),
    ]


def test_bulk_assess_action(staff_client, account, owner, django_capture_on_commit_callbacks):
    tax_return = june_2021(account=account, user=owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            QUEUE,
            {"action": "assess_selected", "_selected_action": [tax_return.pk], "post": "yes"},
            follow=True,
        )
    assert f"Assessed (notices being issued): {tax_return.confirmation_number}." in text(response)
    tax_return.refresh_from_db()
    assert tax_return.status == FuelTaxReturn.Status.ASSESSED
    assert QUEUE
    assert not staff_client.get(QUEUE).context["cl"].result_list
    assessed = staff_client.get(QUEUE, {"queue": "assessed"})
    assert [row.pk for row in assessed.context["cl"].result_list] == [tax_return.pk]


def test_assessments_notices_and_the_ledger_are_read_only(
    staff_client, account, owner, django_capture_on_commit_callbacks
):
    assessment = assess(django_capture_on_commit_callbacks, tax_return=june_2021(account=account, user=owner))
    notice = Notice.objects.get()
    posting = LedgerTransaction.objects.get()
    for model, obj in [("assessment", assessment), ("notice", notice), ("ledgertransaction", posting)]:
        changelist = staff_client.get(reverse(f"admin:assessments_{model}_changelist"))
        assert changelist.status_code == 200
        change = staff_client.get(reverse(f"admin:assessments_{model}_change", args=[obj.pk]))
        assert change.status_code == 200
        assert 'name="_save"' not in change.content.decode()
        assert (
            staff_client.post(
                reverse(f"admin:assessments_{model}_delete", args=[obj.pk]), {"post": "yes"}
            ).status_code
            == 403
        )
        assert staff_client.get(reverse(f"admin:assessments_{model}_add")).status_code == 403
    assert LedgerTransaction.objects.count() == 1


def test_staff_download_a_notice_and_it_is_logged(
    staff_client, account, owner, staff, django_capture_on_commit_callbacks
):
    assess(django_capture_on_commit_callbacks, tax_return=june_2021(account=account, user=owner))
    notice = Notice.objects.get()
    response = staff_client.get(reverse("admin:assessments_notice_pdf", args=[notice.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert AccessLogEntry.objects.filter(
        actor=staff, action="notice PDF opened in staff administration"
    ).exists()
