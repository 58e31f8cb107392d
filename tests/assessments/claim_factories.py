"""Helpers of the claim assessment and refund tests: claims filed as people file them
(tests.filings.claim_factories), a claim line "as claimed" on paper (its rate and refund changed in the
database, as a paper claim or a filer's own arithmetic would bring them), and assessments made with their
on-commit jobs run (the letter issued, the refund prepared)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import time_machine

from accounts.crypto import encrypt
from assessments import claims
from filings.models import Claim, ClaimLine
from programs.models import Address, DirectDeposit
from tests.assessments.factories import acting
from tests.filings.claim_factories import file_claim, line
from tests.filings.factories import edmonton


def june_claim(*, account, user, litres="1000", **kwargs):
    """A fuel tax refund claim filed 2024-06-05: `litres` L of clear gasoline bought 2024-05-10 and exported in
    bulk (13 c/L in force from 2024-04-01: 1,000 L claim $130.00)."""
    with time_machine.travel(edmonton(2024, 6, 5, 10), tick=False):
        return file_claim(
            account=account, user=user, lines=[line(litres=litres, reason="exported_bulk")], **kwargs
        )


def claimed_as(claim: Claim, *, line_index: int = 0, rate: str | None = None, refund: str) -> Claim:
    """Make line `line_index` say it claimed `refund` (at `rate`, if given), and the lines' sum as the total."""
    target = list(claim.lines.all())[line_index]
    changes = {"refund": Decimal(refund)}
    if rate is not None:
        changes["rate_value"] = Decimal(rate)
    ClaimLine.objects.filter(pk=target.pk).update(**changes)
    total = sum(claim.lines.values_list("refund", flat=True), start=Decimal("0.00"))
    Claim.objects.filter(pk=claim.pk).update(total_refund=total)
    claim.refresh_from_db()
    return claim


def assess_claim(capture, *, claim, by=None, when=None, reassess=False, reason="", adjustments=None):
    """Assess (or reassess) `claim` with the on-commit jobs run, at `when` (default 2024-06-20)."""
    with time_machine.travel(when or edmonton(2024, 6, 20, 9), tick=False), capture(execute=True):
        if reassess:
            return claims.claim_reassessment_make(
                claim=claim, actor=acting(by), reason=reason or "Audit", adjustments=adjustments
            )
        return claims.claim_assessment_make(
            claim=claim, actor=acting(by), reason=reason, adjustments=adjustments
        )


def mailing_address(account) -> Address:
    return Address.objects.update_or_create(
        account=account,
        kind=Address.Kind.MAILING,
        defaults={"line1": "100 Main Street", "city": "Red Deer", "province": "AB", "postal_code": "T4N 1A1"},
    )[0]


def bank_account(account, number="123456789012") -> DirectDeposit:
    return DirectDeposit.objects.create(
        account=account,
        institution_number="001",
        transit_number="12345",
        account_number_encrypted=encrypt(number),
        account_number_last4=number[-4:],
        holder_name=account.taxpayer.legal_name,
    )


def inventory_claim(*, account, user, litres="2000"):
    """The April 1, 2022 inventory declaration, filed 2022-05-02: `litres` L of clear diesel at $0.13/L."""
    from filings.claims import ClaimLineInput

    with time_machine.travel(edmonton(2022, 5, 2, 10), tick=False):
        return file_claim(
            account=account,
            user=user,
            kind=Claim.Kind.INVENTORY_DECLARATION,
            lines=[ClaimLineInput(fuel="clear_diesel", litres=litres, purchase_date=date(2022, 4, 1))],
        )
