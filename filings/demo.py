"""Demo filings for `make run`: Prairie Fuels' fuel tax returns since the account opened (July 2025), each
received a few days before its due date except September 2026's, received 12 days late; October 2026's is
due and not filed yet. And a refund claim for fuel exported in bulk. Each is filed at the moment it happened
(accounts.demo.as_of). Idempotent: nothing is added to an account that has returns already."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from accounts.demo import as_of
from filings.claims import ClaimLineInput, claim_submit, submission_token_new
from filings.models import FuelTaxReturn
from filings.periods import Period
from filings.services import return_submit
from filings.tax import LineInput
from programs.models import ProgramAccount

EDMONTON = ZoneInfo("America/Edmonton")
FIRST = Period.from_key("2025-07")
LAST_FILED = Period.from_key("2026-09")
LATE = {LAST_FILED.key: 12}  # days after the due date it was received
CLAIM_FILED = datetime(2026, 10, 6, 9, 15, tzinfo=EDMONTON)


def received_at(period: Period) -> datetime:
    days_late = LATE.get(period.key)
    day = period.due_on + timedelta(days=days_late) if days_late else period.due_on - timedelta(days=3)
    return datetime.combine(day, time(10, 30), tzinfo=EDMONTON)


def _lines(index: int) -> list[LineInput]:
    """A fuel seller's month: clear gasoline and diesel sold, some marked diesel to farmers, some exported."""
    return [
        LineInput(fuel="clear_gasoline", category="taxable", litres=Decimal(42_000 + 1_500 * (index % 5))),
        LineInput(fuel="clear_diesel", category="taxable", litres=Decimal(18_000 + 700 * (index % 3))),
        LineInput(fuel="marked_diesel", category="taxable", litres=Decimal(9_500)),
        LineInput(fuel="clear_diesel", category="export_bulk", litres=Decimal(4_000)),
    ]


def seed(*, users) -> None:
    account = ProgramAccount.objects.get(taxpayer__bin="123456789", program__code="fuel_tax")
    if FuelTaxReturn.objects.filter(account=account).exists():
        return
    owner = users["owner"]
    period, index = FIRST, 0
    while period <= LAST_FILED:
        with as_of(received_at(period)):
            return_submit(
                account=account,
                period_end=period.end,
                lines=_lines(index),
                certified_name=owner.display_name,
                certified_capacity="Owner",
                submitted_by=owner,
                capacity="owner",
            )
        period, index = period.next(), index + 1
    with as_of(CLAIM_FILED):
        claim_submit(
            account=account,
            kind="fuel_tax_refund",
            lines=[
                ClaimLineInput(
                    fuel="clear_gasoline",
                    litres="100000",
                    purchase_date=LAST_FILED.start + timedelta(days=14),
                    document_number="INV-2026-0915",
                    reason="exported_bulk",
                )
            ],
            certified_name=owner.display_name,
            certified_capacity="Owner",
            submitted_by=owner,
            capacity="owner",
            submission_token=submission_token_new(),
        )
