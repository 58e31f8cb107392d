"""Demo assessments for `make run`, on the returns and the claim of filings.demo, each at the moment it happened
(accounts.demo.as_of): every return assessed the day after it was received (the late one with its late-filing
penalty) and paid on its due date, except the late one; the claim assessed two weeks after it was filed (its
refund, net of what the account owes, then waits for staff approval in admin); a waiver of the penalty requested
by the owner, waiting in the staff queue; and TRA's messages to the account: the day after the late return fell due
(read by the owner that morning) and after the waiver request (not read yet). All of it in the order it happened,
so each notice prints the balance the ledger holds as of its date. Notices and letters are rendered by the worker;
its daily job charges the interest owing. Idempotent: an account with assessments already is left as it is."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta
from functools import partial

from django.utils import timezone

from accounts.actors import Actor, Door
from accounts.demo import as_of
from assessments import claims
from assessments.models import Assessment, LedgerTransaction, Payment
from assessments.models_objections import WaiverRequest
from assessments.objection_filing import Representative
from assessments.objections import waiver_submit
from assessments.services import returns
from filings.demo import EDMONTON, Story, story
from filings.models import Claim, FuelTaxReturn, TourismLevyReturn
from filings.periods import Period
from programs.models import Message, ProgramAccount
from programs.services.messages import message_mark_read, message_send

CLAIM_ASSESSED_AFTER = timedelta(days=14)  # after the claim was filed
WAIVER_REQUESTED_AFTER = timedelta(days=7)  # after the late return was received
WAIVER_ACKNOWLEDGED_AFTER = timedelta(days=2)  # TRA's message saying the request is in review


def seed(*, users) -> None:
    account = ProgramAccount.objects.get(taxpayer__bin="123456789", program__code="fuel_tax")
    if Assessment.objects.filter(account=account).exists():
        return
    owner, staff, dates = users["owner"], users["staff"], story()
    # The demo's staff member assesses and records payments as in Django admin.
    by = Actor(user=staff, door=Door.ADMIN)
    events: list[tuple[datetime, Callable[[], object]]] = []
    for tax_return in FuelTaxReturn.objects.filter(account=account).order_by("period_start"):
        assessed = dates.received_at(tax_return.period) + timedelta(days=1)
        events.append((assessed, partial(returns.assessment_make, tax_return=tax_return, actor=by)))
        # The late one is left owing: tax, penalty and, from the worker's daily job, interest.
        if tax_return.period != dates.late:
            paid = datetime.combine(tax_return.due_on, time(15, 0), tzinfo=EDMONTON)
            events.append((paid, partial(pay_on_due_date, tax_return=tax_return, by=by)))
    claim_assessed = dates.claim_filed + CLAIM_ASSESSED_AFTER
    events.append((claim_assessed, partial(_assess_claims, account=account, by=by)))
    late, late_received = dates.late, dates.received_at(dates.late).date()
    requested = late_received + WAIVER_REQUESTED_AFTER
    overdue_sent = datetime.combine(late.due_on + timedelta(days=1), time(9, 0), tzinfo=EDMONTON)
    events += [
        (
            datetime.combine(requested, time(14, 0), tzinfo=EDMONTON),
            partial(_request_waiver, account=account, owner=owner, dates=dates),
        ),
        (overdue_sent, partial(_overdue_message, account=account, owner=owner, staff=staff, late=late)),
        (overdue_sent.replace(hour=10, minute=5), partial(_messages_read, account=account, owner=owner)),
        (
            datetime.combine(requested + WAIVER_ACKNOWLEDGED_AFTER, time(11, 0), tzinfo=EDMONTON),
            partial(_waiver_acknowledged, account=account, owner=owner, staff=staff, late=late),
        ),
    ]
    # In the order they happened: the ledger is append-only, so a posting made after a notice always comes after
    # it, and a notice prints the balance as of its own date and time. Run in the order of this list, the claim's
    # credit (dated in the month after the late period) was posted after notices dated weeks later, which then
    # printed a balance without it (issue 10 item 9).
    for moment, event in sorted(events, key=lambda pair: pair[0]):
        with as_of(moment):
            event()


def pay_on_due_date(*, tax_return: FuelTaxReturn | TourismLevyReturn, by: Actor) -> None:
    """The tax assessed, paid online on the return's due date (also the tourism levy demo's)."""
    from assessments.payments import payment_record

    payment_record(
        account=tax_return.account,
        amount=tax_return.assessments.get().assessed_tax,
        received_on=tax_return.due_on,
        method=Payment.Method.ONLINE_BANKING,
        reference=f"DEMO-{tax_return.account.number}-{tax_return.period.key}",
        actor=by,
    )


def _assess_claims(*, account: ProgramAccount, by: Actor) -> None:
    for claim in Claim.objects.filter(account=account, status=Claim.Status.RECEIVED):
        claims.claim_assessment_make(claim=claim, actor=by)


def _request_waiver(*, account: ProgramAccount, owner, dates: Story) -> None:
    penalty = LedgerTransaction.objects.filter(account=account, kind=LedgerTransaction.Kind.PENALTY).first()
    if penalty is None:
        return
    late_received = dates.received_at(dates.late).date()
    ill_from, back_on = dates.late.due_on - timedelta(days=8), late_received - timedelta(days=3)
    waiver_submit(
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
        # The demo data files for the owner, as an owner (as filings.demo files their returns).
        actor=Actor.job("demo data", user=owner).acting_for(
            capacity="owner", on_behalf_of=account.on_behalf_of
        ),
    )


# TRA's messages, written by staff through the same service as Django admin's, each on its day; the owner is
# told by e-mail that a message is waiting, as anyone would be.


def _overdue_message(*, account: ProgramAccount, owner, staff, late: Period) -> None:
    message_send(
        account=account,
        subject=f"Your fuel tax return for {late.label} has not been received",
        body=f"Our records show that the fuel tax return of account {account.number} for {late.label}, due on "
        f"{late.due_on.isoformat()}, has not been received.\n\nPlease file it in TRACS under File a Return as "
        "soon as you can. A return received after its due date is charged a late-filing penalty, and interest "
        "is charged on tax not paid by the due date.\n\nIf you have filed it in the last few days, you do not "
        "need to do anything.\n\nTax and Revenue Administration",
        by=staff,
        notify=[owner.email],
        actor=Actor.job("demo data", user=staff),
    )


def _messages_read(*, account: ProgramAccount, owner) -> None:
    """The owner reads what was waiting that morning (the overdue reminder; TRA's later message stays unread)."""
    for message in Message.objects.filter(account=account):
        message_mark_read(message=message, user=owner)


def _waiver_acknowledged(*, account: ProgramAccount, owner, staff, late: Period) -> None:
    waiver = WaiverRequest.objects.filter(account=account).first()
    if waiver is None:
        return
    message_send(
        account=account,
        subject="We received your request to waive a penalty",
        body=f"We received your request of {timezone.localdate(waiver.received_at).isoformat()} to waive the "
        f"late-filing penalty of ${waiver.amount_requested:,.2f} charged to account {account.number} for "
        f"{late.label}.\n\nAn officer will review it with the facts you gave, and the decision will be sent to "
        "you in TRACS. Until then the penalty stays on the account.\n\nTax and Revenue Administration",
        by=staff,
        notify=[owner.email],
        actor=Actor.job("demo data", user=staff),
    )
