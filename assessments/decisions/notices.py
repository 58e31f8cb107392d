"""The notices of decision on objections and waiver requests, rendered and issued by the job once a decision
commits (assessments/tasks_decisions.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.template.loader import render_to_string

from accounts.actors import Actor
from assessments import notices, objection_filing, selectors_objections
from assessments.models import Assessment, ClaimAssessment, LedgerTransaction, Notice
from assessments.models_objections import Objection, WaiverRequest
from filings.periods import Period
from programs import money
from programs.models import Address

Kind = LedgerTransaction.Kind
Outcome = Objection.Outcome


# --- Notices of decision ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DecisionNotice:
    """What a notice of decision shows (templates/assessments/objection_decision.html, waiver_decision.html)."""

    title: str
    reference: str
    issued_on: date
    filing: Objection | WaiverRequest
    address: Address | None
    period: Period
    period_end: date
    amount: Decimal | None
    objected_notice: Notice | None = None
    reassessment: Assessment | None = None
    claim_reassessment: ClaimAssessment | None = None
    charges: tuple[LedgerTransaction, ...] = ()
    waived: tuple[LedgerTransaction, ...] = ()


def _objection_notice(objection: Objection, address: Address | None) -> tuple[DecisionNotice, str]:
    notice = selectors_objections.objected_notice(objection=objection)
    period = objection.period or Period.of(objection.dated_on)
    amounts = {
        Outcome.CONFIRMED: objection.amount_in_dispute,
        Outcome.VACATED: money.cents(Decimal(0)) if objection.amount_in_dispute is not None else None,
    }
    content = DecisionNotice(
        title=str(Notice.Kind.OBJECTION_DECISION.label),
        reference=objection.decision_notice_reference,
        issued_on=objection.decided_on,
        filing=objection,
        address=address,
        period=period,
        period_end=objection.period_end or period.end,
        amount=amounts.get(objection.outcome),
        objected_notice=notice,
        reassessment=objection.reassessment,
        claim_reassessment=objection.claim_reassessment,
    )
    return content, "assessments/objection_decision.html"


def _waiver_notice(waiver: WaiverRequest, address: Address | None) -> tuple[DecisionNotice, str]:
    listed = selectors_objections.waiver_charges(waiver=waiver)
    charges = tuple(charge.transaction for charge in listed)
    content = DecisionNotice(
        title=str(Notice.Kind.WAIVER_DECISION.label),
        reference=waiver.decision_notice_reference,
        issued_on=waiver.decided_on,
        filing=waiver,
        address=address,
        period=Period.of(min(waiver.period_ends)),
        period_end=max(waiver.period_ends),
        amount=waiver.amount_waived if waiver.amount_waived is not None else money.cents(Decimal(0)),
        charges=charges,
        waived=tuple(charge.transaction for charge in listed if charge.waived),
    )
    return content, "assessments/waiver_decision.html"


def decision_notice_html(*, kind: str, filing: Objection | WaiverRequest) -> tuple[DecisionNotice, str]:
    """What the notice of decision of a decided filing shows, and its HTML, exactly what WeasyPrint prints."""
    address = filing.account.addresses.filter(kind=Address.Kind.MAILING).first()
    builder = _objection_notice if kind == "objection" else _waiver_notice
    content, template = builder(filing, address)
    return content, render_to_string(template, {"notice": content})


@transaction.atomic
def decision_notice_issue(*, kind: str, filing_id: int, actor: Actor) -> Notice | None:
    """Issue the notice of decision of a decided objection (`kind` "objection") or waiver request ("waiver"),
    by `actor` (the job). Safe twice: the filing's row is locked and a notice already issued for it is returned as is."""
    if kind == "objection":
        filing: Objection | WaiverRequest = objection_filing.objection_lock(objection_id=filing_id)
    else:
        filing = objection_filing.waiver_request_lock(waiver_id=filing_id)
    if not filing.is_decided:
        return None
    source = f"{kind}:{filing.pk}"
    existing = Notice.objects.filter(source_reference=source).first()
    if existing is not None:
        return existing
    content, html = decision_notice_html(kind=kind, filing=filing)
    return notices.notice_issue(
        account=filing.account,
        kind=Notice.Kind.OBJECTION_DECISION if kind == "objection" else Notice.Kind.WAIVER_DECISION,
        reference=content.reference,
        source_reference=source,
        period_start=content.period.start,
        period_end=content.period_end,
        issued_on=content.issued_on,
        amount=content.amount,
        html=html,
        actor=actor,
    )
