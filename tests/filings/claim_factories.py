"""Claims are filed through the services, as people file them (filings.claims)."""

from __future__ import annotations

from datetime import date

import time_machine

from filings.claims import ClaimLineInput, claim_submit, submission_token_new
from filings.models import Claim, FuelTaxReturn
from filings.status import filing_status_change
from tests.accounts.factories import UserFactory
from tests.filings.factories import amend_return, edmonton, file_return, filer_actor, status_actor


def line(
    fuel: str = "clear_gasoline",
    litres: str = "1000",
    purchase: str | None = "2024-05-10",
    *,
    reason: str = "",
    event: str | None = None,
    rebranded_to: str = "",
    document: str = "INV-1",
) -> ClaimLineInput:
    return ClaimLineInput(
        fuel=fuel,
        litres=litres,
        purchase_date=date.fromisoformat(purchase) if purchase else None,
        document_number=document,
        reason=reason,
        event_date=date.fromisoformat(event) if event else None,
        rebranded_to=rebranded_to,
    )


def file_claim(*, account, user, kind=Claim.Kind.FUEL_TAX_REFUND, lines=None, capacity="owner", token=None):
    return claim_submit(
        account=account,
        kind=kind,
        lines=lines if lines is not None else [line(reason="exported_bulk")],
        certified_name=user.display_name,
        certified_capacity="Controller",
        actor=filer_actor(user, capacity),
        submission_token=token or submission_token_new(),
    )


def status_history(*, account, owner) -> dict:
    """May 2024 returned 2024-06-03 (assessed 2024-06-20, then amended 2024-07-02); June 2024 returned
    2024-07-05 (in review); a refund claim 2024-07-08 (received)."""
    staff = UserFactory(is_staff=True)
    with time_machine.travel(edmonton(2024, 6, 3, 9), tick=False):
        may = file_return(account=account, period="2024-05", user=owner, clear_gasoline__taxable="1000")
    with time_machine.travel(edmonton(2024, 6, 20, 9), tick=False):
        filing_status_change(filing=may, status=FuelTaxReturn.Status.ASSESSED, actor=status_actor(staff))
    with time_machine.travel(edmonton(2024, 7, 2, 9), tick=False):
        may_v2 = amend_return(original=may, user=owner, clear_gasoline__taxable="1200")
    with time_machine.travel(edmonton(2024, 7, 5, 9), tick=False):
        june = file_return(account=account, period="2024-06", user=owner)
        filing_status_change(filing=june, status=FuelTaxReturn.Status.IN_REVIEW, actor=status_actor(staff))
    with time_machine.travel(edmonton(2024, 7, 8, 9), tick=False):
        claim = file_claim(account=account, user=owner, lines=[line(reason="exported_bulk")])
    return {"may": may, "may_v2": may_v2, "june": june, "claim": claim}
