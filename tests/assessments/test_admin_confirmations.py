"""Every staff action that moves money or issues a notice asks first (issue 10, item 25): the first POST shows a
confirmation page with the payee, the method and the amount (a table and the total for several) and changes
nothing; Confirm (post=yes) does it, with the permission and each row's state checked again then; Cancel is a
link back that sends nothing."""

from decimal import Decimal

import pytest
from django.urls import reverse

from assessments import refunds
from assessments.models import Refund
from tests.accounts.factories import UserFactory
from tests.assessments.claim_factories import assess_claim, bank_account, june_claim, mailing_address
from tests.assessments.test_admin import text
from tests.consent.factories import ProgramAccountFactory, owner_grant

REFUNDS = reverse("admin:assessments_refund_changelist")
RETURNS = reverse("admin:assessments_returntoassess_changelist")
CLAIMS = reverse("admin:assessments_claimtoassess_changelist")


def confirm_rows(response) -> list[str]:
    """The rows of the confirmation table, as text."""
    assert response.status_code == 200
    assert "confirm-rows" in response.content.decode(), "no confirmation page"
    page = text(response)
    body = page[page.index("<tbody>", page.index('id="confirm-rows"')) : page.index("</tbody>")]
    return body.split("<tr")[1:]


@pytest.fixture
def refund(account, owner, django_capture_on_commit_callbacks):
    """$130.00 to Prairie Fuels Ltd. by direct deposit (institution 001, transit 12345, account ending in 7777)."""
    mailing_address(account)
    bank_account(account, number="555566667777")
    assess_claim(django_capture_on_commit_callbacks, claim=june_claim(account=account, user=owner))
    return Refund.objects.get()


# --- Refunds ---------------------------------------------------------------------------------------------


def test_approving_a_refund_shows_payee_method_and_amount_and_changes_nothing(staff_client, refund):
    approve = {"action": "approve_selected", "_selected_action": [refund.pk]}
    response = staff_client.post(REFUNDS, approve)
    [row] = confirm_rows(response)
    assert "Prairie Fuels Ltd." in row
    assert "Direct deposit: institution 001, transit 12345, account ending in 7777" in row
    assert "$130.00" in row
    assert "555566667777" not in response.content.decode()
    assert 'name="post" value="yes"' in response.content.decode()
    assert f'href="{REFUNDS}"' in response.content.decode()  # Cancel: back to the list, nothing sent
    refund.refresh_from_db()
    assert (refund.status, refund.first_approved_by) == (Refund.Status.PENDING, None)


def test_confirming_approves_the_refund(staff_client, staff, refund):
    approve = {"action": "approve_selected", "_selected_action": [refund.pk], "post": "yes"}
    page = text(staff_client.post(REFUNDS, approve, follow=True))
    assert f"Refund {refund.pk} approved: it is issued by the next run of the refund job." in page
    refund.refresh_from_db()
    assert (refund.status, refund.first_approved_by) == (Refund.Status.APPROVED, staff)


def test_a_cheque_shows_the_address_it_is_mailed_to(
    staff_client, account, owner, django_capture_on_commit_callbacks
):
    mailing_address(account)
    assess_claim(django_capture_on_commit_callbacks, claim=june_claim(account=account, user=owner))
    refund = Refund.objects.get()
    [row] = confirm_rows(
        staff_client.post(REFUNDS, {"action": "approve_selected", "_selected_action": [refund.pk]})
    )
    assert "Cheque mailed to 100 Main Street, Red Deer AB T4N 1A1" in row


def test_several_refunds_are_a_table_with_the_total(staff_client, refund, django_capture_on_commit_callbacks):
    other = ProgramAccountFactory(taxpayer__legal_name="Foothills Haulage Inc.")
    person = UserFactory()
    owner_grant(account=other, user=person)
    mailing_address(other)
    assess_claim(
        django_capture_on_commit_callbacks, claim=june_claim(account=other, user=person, litres="2000")
    )
    both = list(Refund.objects.order_by("id").values_list("pk", flat=True))
    response = staff_client.post(REFUNDS, {"action": "approve_selected", "_selected_action": both})
    rows = confirm_rows(response)
    assert len(rows) == 2
    assert "Foothills Haulage Inc." in rows[1]
    assert "$260.00" in rows[1]
    page = text(response)
    assert "Total of 2 selected" in page
    assert "$390.00" in page
    assert Refund.objects.filter(status=Refund.Status.PENDING).count() == 2


def test_at_confirm_time_the_state_is_checked_again(staff_client, staff, refund):
    """Another member of staff cancelled the refund while the page was open: confirming approves nothing."""
    page_shown = staff_client.post(REFUNDS, {"action": "approve_selected", "_selected_action": [refund.pk]})
    assert page_shown.status_code == 200
    refunds.refund_cancel(refund=refund, by=UserFactory(is_staff=True), reason="Duplicate")
    done = text(
        staff_client.post(
            REFUNDS,
            {"action": "approve_selected", "_selected_action": [refund.pk], "post": "yes"},
            follow=True,
        )
    )
    assert "only a refund awaiting approval can be approved" in done
    refund.refresh_from_db()
    assert refund.status == Refund.Status.CANCELLED


def test_the_page_says_what_will_not_be_done(settings, staff_client, staff, refund):
    """Above the threshold, the person who gave the first approval sees that theirs cannot be the second."""
    settings.TRACS_REFUND_SECOND_APPROVAL_ABOVE = Decimal("100.00")
    Refund.objects.filter(pk=refund.pk).update(needs_second_approval=True, first_approved_by=staff)
    response = staff_client.post(REFUNDS, {"action": "approve_selected", "_selected_action": [refund.pk]})
    [row] = confirm_rows(response)
    assert "Not done:" in row
    assert "you approved it first" in row
    assert 'name="post"' not in response.content.decode()  # nothing to confirm


def test_at_confirm_time_the_permission_is_checked_again(staff_client, staff, refund):
    staff_client.post(REFUNDS, {"action": "approve_selected", "_selected_action": [refund.pk]})
    staff.is_superuser = False
    staff.save()
    response = staff_client.post(
        REFUNDS, {"action": "approve_selected", "_selected_action": [refund.pk], "post": "yes"}
    )
    assert response.status_code in (302, 403)
    refund.refresh_from_db()
    assert refund.status == Refund.Status.PENDING


def test_cancelling_refunds_shows_them_and_asks_the_reason_first(staff_client, refund):
    cancel = {"action": "cancel_selected", "_selected_action": [refund.pk]}
    response = staff_client.post(REFUNDS, cancel)
    [row] = confirm_rows(response)
    assert "$130.00" in row
    assert "Reason for cancelling" in text(response)
    refused = text(staff_client.post(REFUNDS, {**cancel, "post": "yes", "reason": ""}))
    assert "This field is required." in refused
    refund.refresh_from_db()
    assert refund.status == Refund.Status.PENDING
    done = text(staff_client.post(REFUNDS, {**cancel, "post": "yes", "reason": "Duplicate"}, follow=True))
    assert f"Refund {refund.pk} cancelled." in done
    refund.refresh_from_db()
    assert refund.status == Refund.Status.CANCELLED
