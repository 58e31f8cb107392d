"""TRA's processing of marked-fuel monthly reports: the assessor takes a report into review, then processes it or
returns it to the seller with a reason, in staff administration; each move through the skeleton's status path
(refused when the status does not allow it; logged; the filer and the account's viewers e-mailed); a returned
report's reason on the seller's View Assessment Status and in a message from TRA; fuel tax returns keep their own
statuses."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from accounts.crypto import decrypt
from accounts.models import AccessLogEntry, OutboxEmail
from consent.privileges import Privilege
from filings.models import FuelTaxReturn
from filings.sales import report, report_processing
from filings.sales.models_report import MarkedFuelReport
from filings.status import STATUS_CHANGE_REFUSED, filing_status_change
from programs.models import Message
from tests.accounts.factories import UserFactory, actor_for, staff_member
from tests.conftest import sign_in
from tests.consent.factories import delegate_grant
from tests.filings.factories import file_return, status_actor
from tests.filings.sales_helpers import seller

pytestmark = pytest.mark.django_db

QUEUE = reverse("admin:filings_markedfuelreport_changelist")


@pytest.fixture
def account():
    return seller(effective_date=date(2024, 1, 1))


@pytest.fixture
def filer(account):
    user = UserFactory()
    delegate_grant(
        account=account, user=user, privileges=[Privilege.FILE_RETURNS, Privilege.VIEW_ASSESSMENTS]
    )
    return user


@pytest.fixture
def filed(account, filer):
    """The seller's (empty) report for January 2024."""
    return report.marked_fuel_report_submit(
        account=account,
        period_end=date(2024, 1, 31),
        certified_name="Olivia Owner",
        certified_capacity="President",
        actor=actor_for(filer).acting_for(capacity="delegate"),
    )


@pytest.fixture
def assessor():
    return staff_member("assessor")


def in_review(filed, assessor) -> MarkedFuelReport:
    return filing_status_change(filing=filed, status="in_review", actor=status_actor(assessor))


def last_status_email(person) -> tuple[str, str]:
    """(subject, body) of the latest status e-mail to `person`."""
    email = OutboxEmail.objects.filter(purpose="filing-status", to__contains=person.email).latest("id")
    return decrypt(email.subject_encrypted), decrypt(email.body_encrypted)


def status_page(account, filer) -> str:
    client = sign_in(Client(), filer)
    return client.get(reverse("assessment_status", kwargs={"number": account.number})).content.decode()


def test_a_report_in_review_is_processed_logged_and_the_filer_told(account, filer, filed, assessor):
    assert "In process" in status_page(account, filer)
    with pytest.raises(ValidationError) as refused:  # reviewed first
        report_processing.marked_fuel_report_process(report=filed, actor=status_actor(assessor))
    assert refused.value.messages == [
        str(
            STATUS_CHANGE_REFUSED
            % {
                "item": "Marked-fuel monthly report for January 2024",
                "number": filed.confirmation_number,
                "current": "Received",
                "new": "Processed",
            }
        )
    ]
    processed = report_processing.marked_fuel_report_process(
        report=in_review(filed, assessor), actor=status_actor(assessor)
    )
    assert (processed.status, processed.get_status_display()) == ("processed", "Processed")
    assert processed.processed_at is not None
    logged = AccessLogEntry.objects.filter(account_number=account.number, action__endswith="status changed")
    assert [entry.detail for entry in logged.order_by("pk")] == [
        f"{filed.confirmation_number}: Received -> In review",
        f"{filed.confirmation_number}: In review -> Processed",
    ]
    assert logged.last().capacity == "staff"
    subject, body = last_status_email(filer)
    assert "is now processed" in subject
    assert "Processed: " in body
    page = status_page(account, filer)
    completed = page[page.index("Completed") :]
    assert filed.confirmation_number in completed
    assert "Processed" in completed
    with pytest.raises(ValidationError):  # processed is the end
        report_processing.marked_fuel_report_return(
            report=processed, reason="Late rows", actor=status_actor(assessor)
        )


def test_a_report_returned_with_a_reason_the_seller_reads(account, filer, filed, assessor):
    reviewing = in_review(filed, assessor)
    with pytest.raises(ValidationError) as refused:
        report_processing.marked_fuel_report_return(
            report=reviewing, reason="  ", actor=status_actor(assessor)
        )
    assert refused.value.message_dict == {"reason": [str(report_processing.RETURN_REASON_REQUIRED)]}
    assert MarkedFuelReport.objects.get(pk=filed.pk).status == "in_review"
    reason = "The closing inventory of BFLO B100001 is missing: count it and submit an amended report."
    returned = report_processing.marked_fuel_report_return(
        report=reviewing, reason=f"  {reason} ", actor=status_actor(assessor)
    )
    assert (returned.status, returned.return_reason) == ("returned", reason)
    assert returned.processed_at is not None
    message = Message.objects.get(account=account)
    assert filed.confirmation_number in message.subject
    assert reason in message.body
    assert message.sent_by == assessor
    subject, body = last_status_email(filer)  # the status e-mail names the message; the message adds none
    assert "is now returned to the seller" in subject
    assert "a message from TRA under Messages" in body
    assert reason not in body  # the reason stays behind the sign-in
    assert not OutboxEmail.objects.filter(purpose="message-waiting").exists()
    page = status_page(account, filer)
    completed = page[page.index("Completed") :]
    assert "Returned to the seller" in completed
    assert f"Returned by TRA: {reason}" in completed
    with pytest.raises(ValidationError):  # returned is the end: the seller files an amended report
        report_processing.marked_fuel_report_process(report=returned, actor=status_actor(assessor))
    client = sign_in(Client(), filer)
    reports = client.get(reverse("marked_fuel_reports", kwargs={"number": account.number})).content.decode()
    assert "Returned by TRA: submit an amended report" in reports
    month = client.get(
        reverse("marked_fuel_report_month", kwargs={"number": account.number, "period": "2024-01"})
    ).content.decode()
    assert reason in month
    assert "Submit the amended report" in month


def test_fuel_tax_returns_are_never_processed_or_returned_like_a_report(assessor):
    from tests.consent.factories import ProgramAccountFactory, owner_grant

    account = ProgramAccountFactory(program="fuel_tax")
    owner = UserFactory()
    owner_grant(account=account, user=owner)
    tax_return = file_return(account=account, period="2024-01", user=owner)
    filing_status_change(filing=tax_return, status="in_review", actor=status_actor(assessor))
    for status in ("processed", "returned"):
        with pytest.raises(ValidationError):
            filing_status_change(filing=tax_return, status=status, actor=status_actor(assessor))
    assert FuelTaxReturn.objects.get(pk=tax_return.pk).status == "in_review"


# --- In staff administration -----------------------------------------------------------------------------------


def test_the_assessor_reviews_processes_and_returns_reports_in_admin(account, filer, filed, assessor):
    second = report.marked_fuel_report_submit(
        account=account,
        period_end=date(2024, 2, 29),
        certified_name="Olivia Owner",
        certified_capacity="President",
        actor=actor_for(filer).acting_for(capacity="delegate"),
    )
    client = sign_in(Client(), assessor)
    listing = client.get(QUEUE).content.decode()
    assert filed.confirmation_number in listing
    assert "Return to the seller with a reason" in listing
    client.post(QUEUE, {"action": "move_to_in_review", "_selected_action": [filed.pk, second.pk]})
    assert set(MarkedFuelReport.objects.values_list("status", flat=True)) == {"in_review"}

    done = client.post(QUEUE, {"action": "process_reports", "_selected_action": [filed.pk]}, follow=True)
    assert f"viewers e-mailed: {filed.confirmation_number}." in done.content.decode()
    again = client.post(QUEUE, {"action": "process_reports", "_selected_action": [filed.pk]}, follow=True)
    assert "Left as they were" in again.content.decode()

    asking = client.post(QUEUE, {"action": "return_reports", "_selected_action": [second.pk]})
    assert asking.status_code == 200
    assert "Return reports to the seller" in asking.content.decode()
    empty = client.post(
        QUEUE, {"action": "return_reports", "_selected_action": [second.pk], "apply": "1", "reason": ""}
    )
    assert empty.status_code == 200  # the form again, with its error
    assert MarkedFuelReport.objects.get(pk=second.pk).status == "in_review"
    returned = client.post(
        QUEUE,
        {
            "action": "return_reports",
            "_selected_action": [second.pk],
            "apply": "1",
            "reason": "February's sales are missing.",
        },
        follow=True,
    )
    assert "Returned to the seller" in returned.content.decode()
    second.refresh_from_db()
    assert (second.status, second.return_reason) == ("returned", "February's sales are missing.")
    page = client.get(reverse("admin:filings_markedfuelreport_change", args=[second.pk])).content.decode()
    assert "February&#x27;s sales are missing." in page
    assert AccessLogEntry.objects.filter(
        account_number=account.number, action__contains="opened in staff administration"
    ).exists()


def test_a_role_without_the_permission_neither_sees_nor_runs_the_actions(account, filed):
    client = sign_in(Client(), staff_member("auditor"))
    listing = client.get(QUEUE)
    assert listing.status_code == 200
    assert "process_reports" not in listing.content.decode()
    client.post(QUEUE, {"action": "process_reports", "_selected_action": [filed.pk]})
    client.post(QUEUE, {"action": "move_to_in_review", "_selected_action": [filed.pk]})
    assert MarkedFuelReport.objects.get(pk=filed.pk).status == "received"
