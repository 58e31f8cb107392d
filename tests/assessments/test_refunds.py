"""Refunds (assessments/refunds.py): the credit of an assessed claim becomes a refund of no more than the
credit on the account, by direct deposit when banking is on file, else by cheque to the address of record,
inventory declarations always by cheque; a second refund of the same credit refused (service and database);
four eyes above TRACS_REFUND_SECOND_APPROVAL_ABOVE; cancelling; issuing once, with the e-mail without amount and
the "Refunds" section of View Assessment Status."""

from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.db import IntegrityError, transaction

from accounts.models import AccessLogEntry
from assessments import refunds
from assessments.models import LedgerTransaction, Refund
from assessments.refunds import RefundRefused
from assessments.services import ledger
from assessments.tasks import refund_prepare, refunds_prepare_missing
from programs.models import Address
from tests.accounts.factories import UserFactory, staff_member
from tests.assessments.claim_factories import (
    assess_claim,
    bank_account,
    inventory_claim,
    june_claim,
    mailing_address,
)
from tests.assessments.factories import acting
from tests.filings.factories import edmonton

Kind = LedgerTransaction.Kind


@pytest.fixture
def second_staff(db):
    return UserFactory(full_name="Second Staff", is_staff=True, is_superuser=True)


def assessed_claim(capture, *, account, owner, litres="1000"):
    return assess_claim(capture, claim=june_claim(account=account, user=owner, litres=litres))


def the_refund(account) -> Refund:
    return Refund.objects.get(account=account)


def issue():
    with time_machine.travel(edmonton(2024, 6, 21, 5, 30), tick=False):
        return refunds.refunds_issue(actor=acting())


# --- Prepared with the assessment --------------------------------------------------------------------------


def test_a_cheque_to_the_address_of_record_without_banking(
    account, owner, django_capture_on_commit_callbacks
):
    mailing_address(account)
    assessed_claim(django_capture_on_commit_callbacks, account=account, owner=owner)
    refund = the_refund(account)
    assert refund.amount == Decimal("130.00")
    assert refund.method == Refund.Method.CHEQUE
    assert refund.status == Refund.Status.PENDING
    assert (refund.address_line1, refund.address_city, refund.address_postal_code) == (
        "100 Main Street",
        "Red Deer",
        "T4N 1A1",
    )
    assert refund.payee_masked == "cheque to the address of record"
    assert not refund.needs_second_approval


def test_direct_deposit_when_banking_is_on_file(account, owner, django_capture_on_commit_callbacks):
    mailing_address(account)
    bank_account(account, number="998877665544")
    assessed_claim(django_capture_on_commit_callbacks, account=account, owner=owner)
    refund = the_refund(account)
    assert refund.method == Refund.Method.DIRECT_DEPOSIT
    assert (refund.institution_number, refund.transit_number, refund.bank_account_last4) == (
        "001",
        "12345",
        "5544",
    )
    assert b"998877665544" not in bytes(refund.bank_account_encrypted)  # kept encrypted
    assert refund.payee_masked == "direct deposit to the account ending in 5544"


def test_an_inventory_declaration_is_always_refunded_by_cheque(
    account, owner, django_capture_on_commit_callbacks
):
    """The seed: "Once approved, you will receive your refund by cheque", even with banking on file."""
    mailing_address(account)
    bank_account(account)
    claim = inventory_claim(account=account, user=owner)
    assess_claim(django_capture_on_commit_callbacks, claim=claim, when=edmonton(2022, 6, 1, 9))
    refund = the_refund(account)
    assert refund.method == Refund.Method.CHEQUE
    assert refund.amount == Decimal("260.00")  # 2,000 L x $0.13
    assert refund.bank_account_encrypted is None


def test_a_cheque_needs_a_mailing_address(account, owner, django_capture_on_commit_callbacks):
    Address.objects.filter(account=account, kind=Address.Kind.MAILING).delete()
    assessment = assessed_claim(django_capture_on_commit_callbacks, account=account, owner=owner)
    assert not Refund.objects.exists()  # the job logged the refusal
    with pytest.raises(RefundRefused) as caught:
        refunds.refund_prepare(claim_assessment=assessment, actor=acting())
    assert caught.value.messages == [str(refunds.NO_MAILING_ADDRESS % {"number": account.number})]
    # Once the address is added, the daily catch-up prepares it, once.
    mailing_address(account)
    assert refunds_prepare_missing.delay().get() == 1
    assert refunds_prepare_missing.delay().get() == 0
    assert the_refund(account).method == Refund.Method.CHEQUE


def test_the_catch_up_does_not_prepare_a_cancelled_refund_again(
    account, owner, staff, django_capture_on_commit_callbacks
):
    mailing_address(account)
    assessed_claim(django_capture_on_commit_callbacks, account=account, owner=owner)
    refunds.refund_cancel(refund=the_refund(account), actor=acting(staff), reason="Paid by hand")
    assert refunds.refunds_prepare_missing(actor=acting()) == []
    assert Refund.objects.count() == 1


def test_only_the_credit_on_the_account_is_refunded(
    account, owner, staff, django_capture_on_commit_callbacks
):
    """$100.00 owing elsewhere on the account: of the $130.00 credited, $30.00 is refunded."""
    mailing_address(account)
    ledger.ledger_post(
        account=account,
        period_end=edmonton(2024, 5, 31).date(),
        kind=Kind.ASSESSED_TAX,
        amount=Decimal("100.00"),
        description="Tax owing",
        actor=acting(staff),
    )
    assessed_claim(django_capture_on_commit_callbacks, account=account, owner=owner)
    assert the_refund(account).amount == Decimal("30.00")


def test_no_refund_when_the_credit_went_to_amounts_owing(
    account, owner, staff, django_capture_on_commit_callbacks
):
    mailing_address(account)
    ledger.ledger_post(
        account=account,
        period_end=edmonton(2024, 5, 31).date(),
        kind=Kind.ASSESSED_TAX,
        amount=Decimal("500.00"),
        description="Tax owing",
        actor=acting(staff),
    )
    assessment = assessed_claim(django_capture_on_commit_callbacks, account=account, owner=owner)
    assert not Refund.objects.exists()
    with pytest.raises(RefundRefused, match="has no credit left to refund"):
        refunds.refund_prepare(claim_assessment=assessment, actor=acting())


def test_a_second_refund_for_the_same_credit_is_refused(account, owner, django_capture_on_commit_callbacks):
    mailing_address(account)
    assessment = assessed_claim(django_capture_on_commit_callbacks, account=account, owner=owner)
    first = the_refund(account)
    with pytest.raises(RefundRefused) as caught:
        refunds.refund_prepare(claim_assessment=assessment, actor=acting())
    assert caught.value.messages == [
        str(
            refunds.ALREADY_REFUNDED
            % {
                "number": assessment.claim.confirmation_number,
                "what": "assessment",
                "id": first.pk,
                "status": "Awaiting approval",
            }
        )
    ]
    assert refund_prepare.delay(assessment.pk).get() is None  # the job run twice: refused, nothing written
    assert Refund.objects.count() == 1
    # And the database says so on its own.
    twin = Refund(
        account=account,
        claim_assessment=assessment,
        period_end=first.period_end,
        amount=Decimal("1.00"),
        method=Refund.Method.CHEQUE,
        payee_name="x",
        address_line1="x",
        needs_second_approval=False,
        created_at=first.created_at,
    )
    with pytest.raises(IntegrityError, match="refund_one_per_credit"), transaction.atomic():
        twin.save()


# --- Four eyes ----------------------------------------------------------------------------------------------


def test_one_staff_approval_at_or_below_the_threshold(
    settings, account, owner, staff, django_capture_on_commit_callbacks
):
    settings.TRACS_REFUND_SECOND_APPROVAL_ABOVE = Decimal("130.00")
    mailing_address(account)
    assessed_claim(django_capture_on_commit_callbacks, account=account, owner=owner)
    refund = refunds.refund_approve(refund=the_refund(account), actor=acting(staff))
    assert refund.status == Refund.Status.APPROVED
    assert refund.first_approved_by == staff
    assert AccessLogEntry.objects.filter(action="refund approved", actor=staff).exists()


def test_two_distinct_staff_above_the_threshold(
    settings, account, owner, staff, second_staff, django_capture_on_commit_callbacks
):
    settings.TRACS_REFUND_SECOND_APPROVAL_ABOVE = Decimal("129.99")
    mailing_address(account)
    assessed_claim(django_capture_on_commit_callbacks, account=account, owner=owner)
    refund = refunds.refund_approve(refund=the_refund(account), actor=acting(staff))
    assert refund.needs_second_approval
    assert refund.status == Refund.Status.PENDING  # first approval only
    assert issue().issued == []  # not issued on one approval
    with pytest.raises(RefundRefused) as caught:
        refunds.refund_approve(refund=refund, actor=acting(staff))
    assert caught.value.messages == [
        str(refunds.SAME_APPROVER % {"id": refund.pk, "amount": "$130.00", "threshold": "$129.99"})
    ]
    refund = refunds.refund_approve(refund=refund, actor=acting(second_staff))
    assert refund.status == Refund.Status.APPROVED
    assert (refund.first_approved_by, refund.second_approved_by) == (staff, second_staff)
    with pytest.raises(RefundRefused, match="only a refund awaiting approval"):
        refunds.refund_approve(refund=refund, actor=acting(second_staff))


def test_four_eyes_needs_two_refund_approvers(settings, account, owner, django_capture_on_commit_callbacks):
    """Two different people, both holding the refund approver role: a member of staff without it (an assessor,
    a payments clerk) gives neither the first approval nor the second."""
    settings.TRACS_REFUND_SECOND_APPROVAL_ABOVE = Decimal("129.99")
    mailing_address(account)
    assessed_claim(django_capture_on_commit_callbacks, account=account, owner=owner)
    first, second = staff_member("refund_approver"), staff_member("refund_approver", "objections_officer")
    assessor = staff_member("assessor", full_name="Ava Assessor")
    with pytest.raises(RefundRefused) as caught:
        refunds.refund_approve(refund=the_refund(account), actor=acting(assessor))
    assert caught.value.messages == [
        str(refunds.NOT_APPROVER % {"name": "Ava Assessor", "id": the_refund(account).pk})
    ]
    assert the_refund(account).first_approved_by is None
    refund = refunds.refund_approve(refund=the_refund(account), actor=acting(first))
    for outsider in (assessor, staff_member("payments_clerk"), staff_member("auditor")):
        with pytest.raises(RefundRefused, match="does not hold the refund approver role"):
            refunds.refund_approve(refund=refund, actor=acting(outsider))
    assert the_refund(account).status == Refund.Status.PENDING
    with pytest.raises(RefundRefused, match="you approved it first"):
        refunds.refund_approve(refund=refund, actor=acting(first))
    refund = refunds.refund_approve(refund=refund, actor=acting(second))
    assert (refund.status, refund.first_approved_by, refund.second_approved_by) == (
        Refund.Status.APPROVED,
        first,
        second,
    )


def test_only_a_refund_approver_cancels(account, owner, django_capture_on_commit_callbacks):
    mailing_address(account)
    assessed_claim(django_capture_on_commit_callbacks, account=account, owner=owner)
    clerk = staff_member("payments_clerk", full_name="Pat Payments")
    with pytest.raises(RefundRefused) as caught:
        refunds.refund_cancel(refund=the_refund(account), actor=acting(clerk), reason="Duplicate")
    assert caught.value.messages == [
        str(refunds.NOT_CANCELLER % {"name": "Pat Payments", "id": the_refund(account).pk})
    ]
    assert the_refund(account).status == Refund.Status.PENDING


def test_the_database_refuses_the_same_approver_twice(
    account, owner, staff, django_capture_on_commit_callbacks
):
    mailing_address(account)
    assessed_claim(django_capture_on_commit_callbacks, account=account, owner=owner)
    refund = the_refund(account)
    with pytest.raises(IntegrityError, match="refund_four_eyes_distinct"), transaction.atomic():
        Refund.objects.filter(pk=refund.pk).update(first_approved_by=staff, second_approved_by=staff)


def test_only_staff_approve(account, owner, django_capture_on_commit_callbacks):
    mailing_address(account)
    assessed_claim(django_capture_on_commit_callbacks, account=account, owner=owner)
    with pytest.raises(RefundRefused) as caught:
        refunds.refund_approve(refund=the_refund(account), actor=acting(owner))
    assert caught.value.messages == [str(refunds.NOT_STAFF)]
    assert the_refund(account).first_approved_by is None


# --- Cancelling ---------------------------------------------------------------------------------------------


def test_staff_cancel_a_refund_not_yet_issued_with_a_reason(
    account, owner, staff, django_capture_on_commit_callbacks
):
    mailing_address(account)
    assessment = assessed_claim(django_capture_on_commit_callbacks, account=account, owner=owner)
    refund = refunds.refund_approve(refund=the_refund(account), actor=acting(staff))
    with pytest.raises(RefundRefused) as caught:
        refunds.refund_cancel(refund=refund, actor=acting(staff), reason=" ")
    assert caught.value.messages == [str(refunds.CANCEL_REASON_REQUIRED)]
    refund = refunds.refund_cancel(
        refund=refund, actor=acting(staff), reason="Returned mail: address to be confirmed"
    )
    assert refund.status == Refund.Status.CANCELLED
    assert issue().issued == []
    # The credit stays on the account and, once the mistake is put right, can be refunded.
    again = refunds.refund_prepare(claim_assessment=assessment, actor=acting())
    assert again.amount == Decimal("130.00")


def test_an_issued_refund_cannot_be_cancelled(account, owner, staff, django_capture_on_commit_callbacks):
    mailing_address(account)
    assessed_claim(django_capture_on_commit_callbacks, account=account, owner=owner)
    refunds.refund_approve(refund=the_refund(account), actor=acting(staff))
    issue()
    with pytest.raises(RefundRefused, match="only a refund not yet issued"):
        refunds.refund_cancel(refund=the_refund(account), actor=acting(staff), reason="Too late")


# --- Issuing ------------------------------------------------------------------------------------------------


def test_issuing_posts_once_and_tells_the_viewers_without_the_amount(
    account, owner, staff, viewer, django_capture_on_commit_callbacks
):
    mailing_address(account)
    assessed_claim(django_capture_on_commit_callbacks, account=account, owner=owner)
    refunds.refund_approve(refund=the_refund(account), actor=acting(staff))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        run = issue()
    refund = the_refund(account)
    assert run.issued == [refund.pk]
    assert refund.status == Refund.Status.ISSUED
    posting = LedgerTransaction.objects.get(kind=Kind.REFUND_ISSUED)
    assert (posting.amount, posting.source_reference, posting.period_end) == (
        Decimal("130.00"),
        f"refund:{refund.pk}",
        refund.period_end,
    )
    assert refund.ledger_transaction == posting
    assert ledger.ledger_check(account=account).balance == Decimal("0.00")
    assert issue().issued == []  # run twice: nothing more
    assert LedgerTransaction.objects.filter(kind=Kind.REFUND_ISSUED).count() == 1
    messages = [message for message in mail.outbox if "refund was issued" in message.subject]
    assert sorted(address for message in messages for address in message.to) == sorted(
        [owner.email, viewer.email]
    )
    for message in messages:
        assert "$" not in message.body
        assert "130" not in message.body


def test_a_refund_whose_credit_is_gone_is_held(account, owner, staff, django_capture_on_commit_callbacks):
    mailing_address(account)
    assessed_claim(django_capture_on_commit_callbacks, account=account, owner=owner)
    refunds.refund_approve(refund=the_refund(account), actor=acting(staff))
    ledger.ledger_post(
        account=account,
        period_end=edmonton(2024, 5, 31).date(),
        kind=Kind.ASSESSED_TAX,
        amount=Decimal("50.00"),
        description="Tax owing since",
        actor=acting(staff),
    )
    run = issue()
    assert run.held == [the_refund(account).pk]
    assert the_refund(account).status == Refund.Status.APPROVED
    assert not LedgerTransaction.objects.filter(kind=Kind.REFUND_ISSUED).exists()


# --- What the taxpayer sees ---------------------------------------------------------------------------------


def test_view_assessment_status_lists_the_refund_and_the_allowed_amount(
    account, owner, owner_client, staff, django_capture_on_commit_callbacks
):
    mailing_address(account)
    bank_account(account, number="000011112222")
    assessed_claim(django_capture_on_commit_callbacks, account=account, owner=owner)
    refunds.refund_approve(refund=the_refund(account), actor=acting(staff))
    issue()
    page = owner_client.get(f"/accounts/{account.number}/assessments/").content.decode()
    assert "Refunds" in page
    assert "$130.00" in page
    assert "ending in 2222" in page
    assert "000011112222" not in page
    assert "Issued" in page
    assert "2024-06-21" in page


def test_the_status_page_reads_a_fixed_number_of_queries(
    account, owner, owner_client, django_capture_on_commit_callbacks
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    mailing_address(account)
    url = f"/accounts/{account.number}/assessments/"

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert owner_client.get(url).status_code == 200
        return len(captured)

    assessed_claim(django_capture_on_commit_callbacks, account=account, owner=owner)
    queries()  # the first page of a session reads a few things once
    one = queries()
    for litres in ("200", "300", "400", "500"):
        assessed_claim(django_capture_on_commit_callbacks, account=account, owner=owner, litres=litres)
    assert Refund.objects.count() == 5
    assert queries() == one
