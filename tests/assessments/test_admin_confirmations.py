"""Every staff action that moves money or issues a notice asks first (issue 10, item 25): the first POST shows a
confirmation page with the payee, the method and the amount (a table and the total for several) and changes
nothing; Confirm (post=yes) does it, with the permission and each row's state checked again then; Cancel is a
link back that sends nothing."""

from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from assessments import refunds
from assessments.models import Assessment, ClaimAssessment, LedgerTransaction, Notice, Payment, Refund
from assessments.models_objections import Objection
from programs import money
from tests.accounts.factories import UserFactory, staff_member
from tests.assessments.claim_factories import assess_claim, bank_account, june_claim, mailing_address
from tests.assessments.factories import acting, assess, june_2021
from tests.assessments.objection_factories import assessed_fixture, objection_fixture, waiver_request  # noqa: F401 (fixtures)
from tests.assessments.test_admin import text
from tests.consent.factories import ProgramAccountFactory, owner_grant
from tests.filings.factories import edmonton, file_return

REFUNDS = reverse("admin:assessments_refund_changelist")
RETURNS = reverse("admin:assessments_returntoassess_changelist")
CLAIMS = reverse("admin:assessments_claimtoassess_changelist")
DECIDED = edmonton(2021, 10, 5, 11)


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
    refunds.refund_cancel(refund=refund, actor=acting(staff_member("refund_approver")), reason="Duplicate")
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


# --- Returns: assess, reassess ---------------------------------------------------------------------------


def test_assessing_a_return_shows_taxpayer_notice_and_amount_first(
    staff_client, account, owner, django_capture_on_commit_callbacks
):
    tax_return = june_2021(account=account, user=owner)
    assess_url = reverse("admin:assessments_returntoassess_assess", args=[tax_return.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(assess_url, {"reason": "Rate applied"})
    [row] = confirm_rows(response)
    assert "Prairie Fuels Ltd." in row
    assert "Notice of assessment" in row
    assert "$13,800.00" in row
    assert not Assessment.objects.exists()
    assert not LedgerTransaction.objects.exists()
    page = response.content.decode()
    assert 'name="reason" value="Rate applied"' in page  # carried to the confirming POST
    assert f'href="{reverse("admin:assessments_returntoassess_change", args=[tax_return.pk])}"' in page
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(assess_url, {"reason": "Rate applied", "post": "yes"})
    assert Assessment.objects.get().reason == "Rate applied"
    assert Notice.objects.count() == 1


def test_a_late_return_shows_the_penalty_posted_with_its_assessment(staff_client, account, owner):
    """June 2021 was due 2021-07-31 (a Saturday: the next business day), received 2021-08-20."""
    with time_machine.travel(edmonton(2021, 8, 20, 10), tick=False):
        tax_return = file_return(
            account=account, period="2021-06", user=owner, clear_gasoline__taxable="100000"
        )
        response = staff_client.post(reverse("admin:assessments_returntoassess_assess", args=[tax_return.pk]))
    [row] = confirm_rows(response)
    assert "A late-filing penalty of $" in row
    assert not LedgerTransaction.objects.exists()


def test_reassessing_shows_the_change_posted(
    staff_client, account, owner, django_capture_on_commit_callbacks
):
    tax_return = june_2021(account=account, user=owner)
    assess(django_capture_on_commit_callbacks, tax_return=tax_return)
    reassess = reverse("admin:assessments_returntoassess_reassess", args=[tax_return.pk])
    [row] = confirm_rows(staff_client.post(reassess, {"reason": "Audit"}))
    assert "Notice of reassessment" in row
    assert "Tax assessed $13,800.00; $0.00 posted to the ledger." in row
    assert Assessment.objects.count() == 1


def test_bulk_assess_is_a_table_with_the_total(
    staff_client, account, owner, django_capture_on_commit_callbacks
):
    june = june_2021(account=account, user=owner)
    with time_machine.travel(edmonton(2021, 8, 5, 9), tick=False):
        july = file_return(account=account, period="2021-07", user=owner, clear_gasoline__taxable="10000")
    selected = {"action": "assess_selected", "_selected_action": [june.pk, july.pk]}
    response = staff_client.post(RETURNS, selected)
    rows = confirm_rows(response)
    assert len(rows) == 2
    assert "$15,100.00" in text(response)  # $13,800.00 + $1,300.00
    assert not Assessment.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(RETURNS, {**selected, "post": "yes"})
    assert Assessment.objects.count() == 2


# --- Claims: assess, reassess ----------------------------------------------------------------------------


def test_assessing_a_claim_with_a_line_decision_shows_the_refund_first(
    staff_client, account, owner, django_capture_on_commit_callbacks
):
    mailing_address(account)
    claim = june_claim(account=account, user=owner)
    line = claim.lines.get()
    assess_url = reverse("admin:assessments_claimtoassess_assess", args=[claim.pk])
    decision = {f"litres_{line.pk}": "600", f"reason_{line.pk}": "600 L exported"}
    response = staff_client.post(assess_url, decision)
    [row] = confirm_rows(response)
    assert "Prairie Fuels Ltd." in row
    assert "Refund by Cheque" in row
    assert "$78.00" in row  # 600 L x $0.13
    assert not ClaimAssessment.objects.exists()
    assert f'name="litres_{line.pk}" value="600"' in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(assess_url, {**decision, "post": "yes"})
    assert ClaimAssessment.objects.get().allowed == Decimal("78.00")
    assert Refund.objects.get().amount == Decimal("78.00")


def test_a_claim_decision_the_service_would_refuse_goes_back_to_the_claim(staff_client, account, owner):
    claim = june_claim(account=account, user=owner)
    line = claim.lines.get()
    assess_url = reverse("admin:assessments_claimtoassess_assess", args=[claim.pk])
    response = staff_client.post(assess_url, {f"litres_{line.pk}": "600"}, follow=True)
    assert "give the reason for allowing other litres" in text(response)
    assert "confirm-rows" not in response.content.decode()


def test_bulk_claims_assessment_is_confirmed_first(
    staff_client, account, owner, django_capture_on_commit_callbacks
):
    claim = june_claim(account=account, user=owner)
    selected = {"action": "assess_selected", "_selected_action": [claim.pk]}
    [row] = confirm_rows(staff_client.post(CLAIMS, selected))
    assert "$130.00" in row
    assert not ClaimAssessment.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(CLAIMS, {**selected, "post": "yes"})
    assert ClaimAssessment.objects.get().allowed == Decimal("130.00")


# --- Payments: record one, import a file ---------------------------------------------------------------


def payment_form(account, **overrides):
    return {
        "account": account.pk,
        "amount": "3400.90",
        "received_on": "2021-08-10",
        "method": Payment.Method.ONLINE_BANKING,
        "reference": "BNK-1",
        **overrides,
    }


def test_recording_a_payment_shows_payer_method_and_amount_first(staff_client, account):
    add = reverse("admin:assessments_payment_add")
    response = staff_client.post(add, payment_form(account))
    [row] = confirm_rows(response)
    assert "Prairie Fuels Ltd." in row
    assert "Online banking" in row
    assert "$3,400.90" in row
    assert not Payment.objects.exists()
    assert staff_client.post(add, {**payment_form(account), "post": "yes"}).status_code == 302
    assert Payment.objects.get().amount == Decimal("3400.90")


def test_a_payment_the_form_refuses_shows_the_form_not_the_confirmation(staff_client, account):
    response = staff_client.post(reverse("admin:assessments_payment_add"), payment_form(account, amount="0"))
    assert "confirm-rows" not in response.content.decode()
    assert "errornote" in response.content.decode()


def test_importing_a_payment_file_lists_the_payments_and_the_total_first(staff_client, account):
    content = (
        "account_number,amount,received_date,reference\n"
        f"{account.number},3400.90,2021-08-10,BNK-1\n"
        f"{account.number},99.10,2021-08-11,BNK-2\n"
    ).encode()
    imports = reverse("admin:assessments_payment_import")
    upload = SimpleUploadedFile("bank.csv", content, content_type="text/csv")
    response = staff_client.post(imports, {"file": upload, "method": Payment.Method.EFT})
    rows = confirm_rows(response)
    assert len(rows) == 2
    assert "Electronic funds transfer" in rows[0]
    assert "$3,400.90" in rows[0]
    assert "$3,500.00" in text(response)
    assert not Payment.objects.exists()
    confirm = {**dict(response.context["hidden"]), "post": "yes"}
    assert staff_client.post(imports, confirm).status_code == 302
    assert Payment.objects.count() == 2
    # Confirming again (a second click, the back button) records nothing twice: the file is no longer held.
    again = text(staff_client.post(imports, confirm, follow=True))
    assert "no longer held" in again
    assert Payment.objects.count() == 2


# --- Decisions on objections and waiver requests ---------------------------------------------------------


@time_machine.travel(DECIDED, tick=False)
def test_varying_an_objection_shows_the_reassessment_first(
    staff_client, objection, django_capture_on_commit_callbacks
):
    """June 2021 as assessed ($13,800.00 on 100,000 L of clear gasoline); varied to 90,000 L: $1,300.00 less."""
    url = reverse("admin:assessments_objection_decide", args=[objection.pk])
    vary = {"outcome": "varied", "reasons": "Exported.", "adjustments": "clear_gasoline taxable 90,000"}
    response = staff_client.post(url, vary)
    [row] = confirm_rows(response)
    assert "Prairie Fuels Ltd." in row
    assert "Notice of decision" in row
    assert "($1,300.00)" in row
    assert "The return is reassessed" in row
    count = LedgerTransaction.objects.count()
    assert not Objection.objects.get(pk=objection.pk).is_decided
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(url, {**vary, "post": "yes"})
    assert Objection.objects.get(pk=objection.pk).outcome == "varied"
    assert LedgerTransaction.objects.count() > count


@time_machine.travel(DECIDED, tick=False)
def test_vacating_shows_what_is_reversed(staff_client, objection, assessed):
    url = reverse("admin:assessments_objection_decide", args=[objection.pk])
    [row] = confirm_rows(staff_client.post(url, {"outcome": "vacated", "reasons": "Not owed."}))
    posted = LedgerTransaction.objects.filter(source_reference=f"assessment:{assessed.pk}")
    reversed_total = -sum(entry.amount for entry in posted)
    assert money.format_signed_money(reversed_total) in row
    assert not Objection.objects.get(pk=objection.pk).is_decided


@time_machine.travel(DECIDED, tick=False)
def test_granting_a_waiver_shows_the_charges_waived_first(
    staff_client, account, owner, assessed, django_capture_on_commit_callbacks
):
    penalty = LedgerTransaction.objects.get(account=account, kind="penalty")
    waiver = waiver_request(account=account, user=owner, transactions=[penalty])
    url = reverse("admin:assessments_waiverrequest_decide", args=[waiver.pk])
    grant = {"decision": "grant", "transactions": [penalty.pk], "reasons": "Flood."}
    response = staff_client.post(url, grant)
    [row] = confirm_rows(response)
    assert money.format_signed_money(-penalty.amount) in row
    assert "Waived: penalty of June 2021" in row
    assert 'name="decision" value="grant"' in response.content.decode()
    assert not LedgerTransaction.objects.filter(reverses=penalty).exists()
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(url, {**grant, "post": "yes"})
    assert LedgerTransaction.objects.filter(reverses=penalty).exists()
