"""Demo assessments for `make run`, on the returns and the claim of filings.demo, each at the moment it happened
(accounts.demo.as_of): every return assessed the day after it was received (the late one with its late-filing
penalty) and paid on its due date, except the late one; the claim assessed two weeks after it was filed (its
refund, net of what the account owes, then waits for staff approval in admin); a waiver of the penalty requested
by the owner, waiting in the staff queue; and TRA's messages to the account: the day after the late return fell due
(read by the owner that morning) and after the waiver request (not read yet). Notices and letters are rendered by the worker; its daily job charges
the interest owing. Idempotent: an account with assessments already is left as it is."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.utils import timezone

from accounts.demo import as_of
from assessments import claims, services
from assessments.models import Assessment, LedgerTransaction, Payment
from assessments.objections import waiver_submit
from filings.demo import EDMONTON, story
from filings.models import Claim, FuelTaxReturn
from filings.objections import Representative
from programs.models import ProgramAccount
from programs.services import message_mark_read, message_send

WAIVER_REQUESTED_AFTER = timedelta(days=7)  # after the late return was received
WAIVER_ACKNOWLEDGED_AFTER = timedelta(days=2)  # TRA's message saying the request is in review


def seed(*, users) -> None:
    from assessments.payments import payment_record

    account = ProgramAccount.objects.get(taxpayer__bin="123456789", program__code="fuel_tax")
    if Assessment.objects.filter(account=account).exists():
        return
    owner, staff, dates = users["owner"], users["staff"], story()
    for tax_return in FuelTaxReturn.objects.filter(account=account).order_by("period_start"):
        with as_of(dates.received_at(tax_return.period) + timedelta(days=1)):
            assessment = services.assessment_make(tax_return=tax_return, by=staff)
        if tax_return.period == dates.late:
            continue  # left owing: tax, penalty and, from the worker's daily job, interest
        with as_of(datetime.combine(tax_return.due_on, time(15, 0), tzinfo=EDMONTON)):
            payment_record(
                account=account,
                amount=assessment.assessed_tax,
                received_on=tax_return.due_on,
                method=Payment.Method.ONLINE_BANKING,
                reference=f"DEMO-{account.number}-{tax_return.period.key}",
                by=staff,
            )
    with as_of(dates.claim_filed + timedelta(days=14)):
        for claim in Claim.objects.filter(account=account, status=Claim.Status.RECEIVED):
            claims.claim_assessment_make(claim=claim, by=staff)
    penalty = LedgerTransaction.objects.filter(account=account, kind=LedgerTransaction.Kind.PENALTY).first()
    if penalty is None:
        return
    late_received = dates.received_at(dates.late).date()
    ill_from, back_on = dates.late.due_on - timedelta(days=8), late_received - timedelta(days=3)
    with as_of(datetime.combine(late_received + WAIVER_REQUESTED_AFTER, time(14, 0), tzinfo=EDMONTON)):
        waiver = waiver_submit(
            account=account,
            state={
                "transaction_ids": [penalty.pk],
                "grounds": ["extraordinary"],
                "facts": f"Our bookkeeper was in hospital from {ill_from:%B} {ill_from.day} to {back_on:%B} "
                f"{back_on.day}; the return was filed the week she came back.",
            },
            documents=[],
            representative=Representative(
                name=owner.display_name,
                position="Owner",
                address="10020 100 St NW, Edmonton AB T5J 0N3",
                phone="780-555-0100",
            ),
            by=owner,
            capacity="owner",
        )
    _messages(account=account, owner=owner, staff=staff, dates=dates, waiver=waiver)


def _messages(*, account, owner, staff, dates, waiver) -> None:
    """Written by staff through the same service as Django admin's, each on its day; the owner is told by e-mail
    that a message is waiting, as anyone would be."""
    late = dates.late
    with as_of(datetime.combine(late.due_on + timedelta(days=1), time(9, 0), tzinfo=EDMONTON)):
        overdue = message_send(
            account=account,
            subject=f"Your fuel tax return for {late.label} has not been received",
            body=f"Our records show that the fuel tax return of account {account.number} for {late.label}, due on "
            f"{late.due_on.isoformat()}, has not been received.\n\nPlease file it in TRACS under File a Return as "
            "soon as you can. A return received after its due date is charged a late-filing penalty, and interest "
            "is charged on tax not paid by the due date.\n\nIf you have filed it in the last few days, you do not "
            "need to do anything.\n\nTax and Revenue Administration",
            by=staff,
            notify=[owner.email],
        )
    with as_of(datetime.combine(late.due_on + timedelta(days=1), time(10, 5), tzinfo=EDMONTON)):
        message_mark_read(message=overdue, user=owner)
    acknowledged_on = timezone.localdate(waiver.received_at) + WAIVER_ACKNOWLEDGED_AFTER
    with as_of(datetime.combine(acknowledged_on, time(11, 0), tzinfo=EDMONTON)):
        message_send(
            account=account,
            subject="We received your request to waive a penalty",
            body=f"We received your request of {timezone.localdate(waiver.received_at).isoformat()} to waive the "
            f"late-filing penalty of ${waiver.amount_requested:,.2f} charged to account {account.number} for "
            f"{late.label}.\n\nAn officer will review it with the facts you gave, and the decision will be sent to "
            "you in TRACS. Until then the penalty stays on the account.\n\nTax and Revenue Administration",
            by=staff,
            notify=[owner.email],
        )
