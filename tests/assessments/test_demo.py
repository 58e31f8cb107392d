"""The demo `make run` loads shows the whole money story of an account: returns filed (one late), assessed with
their notices, paid on time but for the late period, a claim assessed whose refund waits for two staff approvals
(four eyes: Sam Staff's and Rae Reviewer's, both refund approvers, neither a superuser), a waiver of the late-filing
penalty requested; loading it again adds nothing."""

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.roles import staff_roles_of
from assessments import notices, selectors
from assessments.models import Assessment, LedgerTransaction, Notice, Payment, Refund
from assessments.models_objections import WaiverRequest
from filings.models import Claim, FuelTaxReturn
from filings.periods import Period
from programs.models import Document, DocumentFile, Message, MessageRead, ProgramAccount
from tests.conftest import sign_in
from tests.filings.factories import edmonton

pytestmark = pytest.mark.django_db(transaction=True)


def _counts(account):
    return [
        FuelTaxReturn.objects.filter(account=account).count(),
        Assessment.objects.filter(account=account).count(),
        Payment.objects.filter(account=account).count(),
        LedgerTransaction.objects.filter(account=account).count(),
        Refund.objects.filter(account=account).count(),
        WaiverRequest.objects.filter(account=account).count(),
        Message.objects.filter(account=account).count(),
        MessageRead.objects.filter(message__account=account).count(),
        Document.objects.filter(account=account).count(),
        DocumentFile.objects.filter(document__account=account).count(),
    ]


@pytest.mark.parametrize(
    ("today", "last_filed", "late"),
    [
        # October 2026's return is due on Monday 2026-11-30 (the 28th is a Saturday): not overdue on that day.
        (date(2026, 11, 30), "2026-09", "2026-08"),
        (date(2026, 12, 2), "2026-10", "2026-09"),
        # Across the year: November 2026's was due on Monday 2026-12-28.
        (date(2027, 1, 4), "2026-11", "2026-10"),
    ],
)
def test_the_demo_tells_an_accounts_money_story_once(today, last_filed, late):
    """Whenever it is loaded, the history ends that day: the latest return whose due date has passed is filed on
    time, the one before it 12 days late and left owing, the next one is due and not overdue."""
    with time_machine.travel(edmonton(today.year, today.month, today.day), tick=False):
        _the_story(last_filed=Period.from_key(last_filed), late=Period.from_key(late))


def _the_story(*, last_filed, late):
    call_command("seed_demo", stdout=io.StringIO())
    account = ProgramAccount.objects.get(taxpayer__bin="123456789", program__code="fuel_tax")
    first = Period.of(account.effective_date)
    filed = 1 + (last_filed.start.year - first.start.year) * 12 + last_filed.start.month - first.start.month

    returns = FuelTaxReturn.objects.filter(account=account)
    assert returns.count() == filed
    assert returns.order_by("-period_start").first().period == last_filed
    assert not returns.exclude(status=FuelTaxReturn.Status.ASSESSED).exists()
    assert Notice.objects.filter(account=account, kind=Notice.Kind.ASSESSMENT).count() == filed
    [penalty] = LedgerTransaction.objects.filter(account=account, kind=LedgerTransaction.Kind.PENALTY)
    assert penalty.period_end == late.end
    assert Payment.objects.filter(account=account).count() == filed - 1
    owing = [row for row in selectors.period_balances(account=account) if row.balance > 0]
    assert [row.period_end for row in owing] == [late.end]
    assert Claim.objects.get(account=account).status == Claim.Status.ASSESSED
    refund = Refund.objects.get(account=account)
    assert refund.status == Refund.Status.PENDING
    assert refund.amount == -selectors.account_balance(account=account) > Decimal(0)
    waiver = WaiverRequest.objects.get(account=account)
    assert waiver.amount_requested == penalty.amount
    assert not LedgerTransaction.objects.filter(
        account=account, posted_at__gt=timezone.now()
    ).exists()  # nothing in the future
    # Each notice prints the balance the ledger holds as of its date and time: the history is posted in order.
    issued = Notice.objects.filter(account=account, assessment__isnull=False)
    assert issued.count() == filed
    assert notices.notices_disagreeing_with_the_ledger(notices=issued) == []

    owner = User.objects.get(email="owner@demo.tracs.ca")
    client = sign_in(Client(), owner)
    home = client.get(reverse("home")).content.decode()
    # The late period's balance is covered by the claim's credit, which the pending refund is net of: the
    # account owes nothing, and no page says a balance is outstanding (issue 10, item 10).
    assert "with an outstanding balance" not in home
    assert "outstanding</a>" not in home
    number = {"number": account.number}
    credit = f"(${refund.amount:,.2f})"
    payment_options = client.get(reverse("payment_options", kwargs=number)).content.decode()
    assert f"<strong>{credit}</strong> credit: nothing to pay" in payment_options
    assert "Periods with an amount owing" not in payment_options
    assert f"A refund of ${refund.amount:,.2f} is awaiting approval" in payment_options
    balances = client.get(reverse("balances", kwargs=number)).content.decode()
    assert "with an outstanding balance" not in balances
    assert f"<strong>{credit}</strong> credit" in balances

    _messages_and_documents(client=client, account=account, owner=owner, late=late, waiver=waiver)

    before = _counts(account)
    call_command("seed_demo", stdout=io.StringIO())
    assert _counts(account) == before

    _four_eyes(refund)


def _four_eyes(refund):
    """The demo's refund is above the four-eyes amount: Sam approves it first, cannot approve it again, and Rae's
    approval, the second, approves it. Both are role holders, not superusers."""
    assert refund.needs_second_approval
    sam, rae = (User.objects.get(email=email) for email in ("staff@demo.tracs.ca", "reviewer@demo.tracs.ca"))
    assert not sam.is_superuser
    assert not rae.is_superuser
    assert [role.key for role in staff_roles_of(user=sam)] == [
        "registration_officer",
        "consent_pin_officer",
        "assessor",
        "refund_approver",
        "exemptions_officer",
    ]
    assert [role.key for role in staff_roles_of(user=rae)] == ["refund_approver", "objections_officer"]
    approve = {"action": "approve_selected", "_selected_action": [refund.pk], "post": "yes"}
    url = reverse("admin:assessments_refund_changelist")
    first = sign_in(Client(), sam).post(url, approve, follow=True).content.decode()
    assert "first approval recorded; another refund approver must approve it" in first
    again = sign_in(Client(), sam).post(url, approve, follow=True).content.decode()
    assert "you approved it first" in again
    second = sign_in(Client(), rae).post(url, approve, follow=True).content.decode()
    assert "approved: it is issued by the next run of the refund job" in second
    refund.refresh_from_db()
    assert (refund.status, refund.first_approved_by, refund.second_approved_by) == (
        Refund.Status.APPROVED,
        sam,
        rae,
    )


def _messages_and_documents(*, client, account, owner, late, waiver):
    """Messages and Submit Documents are not empty pages in the demo (issue 10, item 21): TRA wrote the day after
    the late return fell due (read), and after the waiver request (unread); the owner submitted a document with
    the late return, while it was in process."""
    number = {"number": account.number}
    overdue, received = Message.objects.filter(account=account).order_by("sent_at")
    assert timezone.localdate(overdue.sent_at) == late.due_on + timedelta(days=1)
    assert late.label in overdue.subject
    assert waiver.received_at < received.sent_at <= timezone.now()
    messages = client.get(reverse("messages_list", kwargs=number)).content.decode()
    assert overdue.subject in messages
    assert received.subject in messages
    assert messages.count('class="unread"') == 1
    where = messages.index
    assert where('class="unread"') < where(received.subject) < where(overdue.subject)  # newest first
    detail = reverse("message_detail", kwargs={**number, "message_id": received.pk})
    assert client.get(detail).status_code == 200

    tax_return = FuelTaxReturn.objects.get(account=account, period_start=late.start)
    [document] = Document.objects.filter(account=account)
    assert document.document_type == Document.Type.RETURN_SUPPORT
    assert document.related_reference == tax_return.confirmation_number
    assert document.submitted_by == owner
    # Submitted while the return was in process: it was assessed the day after it was received.
    assert tax_return.received_at < document.received_at < tax_return.received_at + timedelta(days=1)
    [file] = document.files.all()
    assert file.content_type == "application/pdf"
    assert file.file.open("rb").read(5) == b"%PDF-"
    documents = client.get(reverse("documents_list", kwargs=number)).content.decode()
    assert document.reference_number in documents
    assert f"for {tax_return.confirmation_number}" in documents
    assert file.original_name in documents
    download = client.get(
        reverse("document_file_download", kwargs={**number, "document_id": document.pk, "file_id": file.pk})
    )
    assert download.status_code == 200
