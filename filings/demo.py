"""Demo filings for `make run`: Prairie Fuels' fuel tax returns since the account opened, each received a few
days before its due date except the one before last, received 12 days late; the next is due and not filed yet.
And a refund claim for fuel exported in bulk, and the bills of lading of the fuel the late return reports exported,
submitted with it through Submit Documents. The history ends on the day the demo is loaded (the last return
the one whose due date passed most recently), so the demo tells the same story whenever it is loaded, and each
filing is made at the moment it happened (accounts.demo.as_of). Idempotent: nothing is added to an account that
has returns already."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import partial
from zoneinfo import ZoneInfo

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.actors import Actor
from accounts.demo import as_of
from accounts.models import User
from filings.claims import ClaimLineInput, claim_submit, submission_token_new
from filings.models import FuelTaxReturn
from filings.periods import Period
from filings.services import return_submit
from filings.status import in_process_reference_check
from filings.tax import LineInput
from programs.models import Document, ProgramAccount
from programs.services.documents import document_file_stage, document_submit
from tracs.pdf import pdf_from_html

EDMONTON = ZoneInfo("America/Edmonton")
DAYS_EARLY = 3  # an on-time return is received this many days before its due date
DAYS_LATE = 12  # the late return is received this many days after its due date
# The late return's bills of lading are submitted this long after it (it is assessed the next day).
SUPPORT_SUBMITTED_AFTER = timedelta(hours=2)
EXPORTED_LITRES = Decimal(4_000)  # clear diesel exported in bulk each month (_lines)


@dataclass(frozen=True)
class Story:
    """The demo's dates, worked out from the day it is loaded."""

    last_filed: Period  # the latest period whose due date has passed: filed on time
    late: Period  # the period before it: received DAYS_LATE days after its due date, left owing

    @classmethod
    def as_of(cls, today: date) -> Story:
        last = Period.of(today).previous()
        while last.due_on >= today:
            last = last.previous()
        return cls(last_filed=last, late=last.previous())

    @property
    def claim_filed(self) -> datetime:
        """A refund claim for fuel bought in the late period and exported, filed early in the month after it."""
        return datetime.combine(self.late.end + timedelta(days=6), time(9, 15), tzinfo=EDMONTON)

    @property
    def claim_purchase_date(self) -> date:
        return self.late.start + timedelta(days=14)

    def received_at(self, period: Period) -> datetime:
        late = period == self.late
        day = (
            period.due_on + timedelta(days=DAYS_LATE) if late else period.due_on - timedelta(days=DAYS_EARLY)
        )
        return datetime.combine(day, time(10, 30), tzinfo=EDMONTON)


def story() -> Story:
    return Story.as_of(timezone.localdate())


def _lines(index: int) -> list[LineInput]:
    """A fuel seller's month: clear gasoline and diesel sold, some marked diesel to farmers, some exported."""
    return [
        LineInput(fuel="clear_gasoline", category="taxable", litres=Decimal(42_000 + 1_500 * (index % 5))),
        LineInput(fuel="clear_diesel", category="taxable", litres=Decimal(18_000 + 700 * (index % 3))),
        LineInput(fuel="marked_diesel", category="taxable", litres=Decimal(9_500)),
        LineInput(fuel="clear_diesel", category="export_bulk", litres=EXPORTED_LITRES),
    ]


def seed(*, users) -> None:
    account = ProgramAccount.objects.get(taxpayer__bin="123456789", program__code="fuel_tax")
    if FuelTaxReturn.objects.filter(account=account).exists():
        return
    owner, dates = users["owner"], story()
    events: list[tuple[datetime, Callable[[], object]]] = [
        (dates.claim_filed, partial(_file_claim, account=account, owner=owner, dates=dates)),
        (
            dates.received_at(dates.late) + SUPPORT_SUBMITTED_AFTER,
            partial(_supporting_document, account=account, owner=owner, dates=dates),
        ),
    ]
    period, index = Period.of(account.effective_date), 0
    while period <= dates.last_filed:
        filing = partial(_file_return, account=account, owner=owner, period=period, index=index)
        events.append((dates.received_at(period), filing))
        period, index = period.next(), index + 1
    # In the order they happened (assessments.demo does the same): the claim comes between two returns.
    for moment, event in sorted(events, key=lambda pair: pair[0]):
        with as_of(moment):
            event()


def _owner_filing(owner: User) -> Actor:
    """The demo's owner files, as an owner (the demo data acting for them, as for their documents below)."""
    return Actor.job("demo data", user=owner).acting_for(capacity="owner")


def _file_return(*, account: ProgramAccount, owner, period: Period, index: int) -> None:
    return_submit(
        account=account,
        period_end=period.end,
        lines=_lines(index),
        certified_name=owner.display_name,
        certified_capacity="Owner",
        actor=_owner_filing(owner),
    )


def _file_claim(*, account: ProgramAccount, owner, dates: Story) -> None:
    # 200,000 L: its refund, net of what the account owes, is above the four-eyes amount (docs/staff-roles.md),
    # so the demo's two refund approvers (Sam Staff, Rae Reviewer) both approve it.
    claim_submit(
        account=account,
        kind="fuel_tax_refund",
        lines=[
            ClaimLineInput(
                fuel="clear_gasoline",
                litres="200000",
                purchase_date=dates.claim_purchase_date,
                document_number=f"INV-{dates.claim_purchase_date:%Y-%m%d}",
                reason="exported_bulk",
            )
        ],
        certified_name=owner.display_name,
        certified_capacity="Owner",
        actor=_owner_filing(owner),
        submission_token=submission_token_new(),
    )


def _bills_of_lading_pdf(*, account: ProgramAccount, period: Period) -> bytes:
    """A real (small) PDF: the two loads of clear diesel the return reports exported in bulk, 4,000 L."""
    first, second = Decimal(2_500), EXPORTED_LITRES - 2_500
    loads = [
        (f"BOL-{period.start:%Y%m}-01", period.start + timedelta(days=9), first, "Swift Current SK"),
        (f"BOL-{period.start:%Y%m}-02", period.start + timedelta(days=20), second, "Lloydminster SK"),
    ]
    rows = "".join(
        f"<tr><td>{number}</td><td>{day.isoformat()}</td><td>{destination}</td><td>{litres:,} L</td></tr>"
        for number, day, litres, destination in loads
    )
    return pdf_from_html(
        html=f"""<html><body style="font-family: sans-serif; font-size: 11pt">
<h1 style="font-size: 15pt">{account.taxpayer.legal_name}: bills of lading, {period.label}</h1>
<p>Clear diesel exported from Alberta in bulk by truck, account {account.number}.</p>
<table style="border-collapse: collapse" border="1" cellpadding="4">
<tr><th>Bill of lading</th><th>Shipped</th><th>Destination</th><th>Litres</th></tr>{rows}
<tr><th colspan="3">Total exported</th><th>{EXPORTED_LITRES:,} L</th></tr></table>
</body></html>"""
    )


def _supporting_document(*, account: ProgramAccount, owner, dates: Story) -> None:
    """Two hours after sending the late return, the owner submitted the bills of lading of the fuel it reports
    exported (Submit Documents asks for the reference number of a return in process, as it is until it is
    assessed the next day), through the same services as the Submit Documents wizard."""
    tax_return = FuelTaxReturn.objects.get(account=account, period_start=dates.late.start)
    pdf = _bills_of_lading_pdf(account=account, period=dates.late)
    name = f"bills-of-lading-{dates.late.key}.pdf"
    upload = SimpleUploadedFile(name, pdf, content_type="application/pdf")
    # Demo data acts as the owner would through the wizard, through the door of a job.
    actor = Actor.job("demo data", user=owner).acting_for(capacity="owner", on_behalf_of=account.on_behalf_of)
    staged = document_file_stage(account=account, uploaded=upload, actor=actor)
    document_submit(
        account=account,
        document_type=Document.Type.RETURN_SUPPORT,
        related_reference=tax_return.confirmation_number,
        description=f"Bills of lading for the {EXPORTED_LITRES:,} L of clear diesel exported in {dates.late.label}",
        staged=[staged],
        by=owner,
        reference_check=in_process_reference_check,
        actor=actor,
    )
