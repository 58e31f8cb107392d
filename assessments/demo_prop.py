"""Demo history of a PROP claimant for `make run`: Muskeg Fluid Hauling Ltd., an oilfield hauler whose PROP
account (opened 2006-11-29) filed a claim for each year from 2007 to the program's end (2011-02-24), each
through the claim service at the moment it happened (accounts.demo.as_of): assessed a month later by Sam Staff
(the 2009 claim with fewer litres allowed, so a letter of assessment), the refunds approved by Rae Reviewer and
issued by cheque. The owner (Olivia Owner) holds the account, so the demo shows a historical account's claims,
assessments, letters, transactions and balances on the same pages as any other, and that a PROP claim today is
refused. Idempotent: an account with claims already is left as it is."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, timedelta
from functools import partial

from accounts.actors import Actor, Door
from accounts.demo import as_of
from assessments import claims, refunds
from assessments.claims import LineAdjustment
from assessments.models import ClaimAssessment, Refund
from consent.demo import _grant
from consent.models import Grant
from filings.claims import ClaimLineInput, claim_submit, submission_token_new
from filings.demo import EDMONTON
from filings.models import Claim
from filings.periods import Period
from programs.models import ProgramAccount

BIN = "456789123"
NAME = "Muskeg Fluid Hauling Ltd."
OPENED = date(2006, 11, 29)
HAULING = ClaimLineInput(
    fuel="",
    litres="0",
    sector="oil_and_gas",
    activity="hauling_crude_lpg_production_fluids",
    vehicle_category="licensed_vehicle",
)
# (first day, last day, filed on, litres of clear diesel, litres of clear gasoline); every period ends before
# 2011-02-25, the program's end, and each claim is filed within 3 years from the end of its first year.
CLAIMS = [
    (date(2007, 1, 1), date(2007, 12, 31), date(2008, 2, 12), "84200", "6150"),
    (date(2008, 1, 1), date(2008, 12, 31), date(2009, 2, 10), "91850.5", "5900"),
    (date(2009, 1, 1), date(2009, 12, 31), date(2010, 2, 16), "77300", "6420.25"),
    (date(2010, 1, 1), date(2010, 12, 31), date(2011, 2, 8), "88940", "7010"),
    (date(2011, 1, 1), date(2011, 2, 24), date(2011, 4, 5), "12480", "960"),
]
ADJUSTED_YEAR = 2009  # the claim of this year is assessed with fewer litres of diesel allowed
ALLOWED_SHARE = "0.9"
ASSESSED_AFTER = timedelta(days=30)
APPROVED_AFTER = timedelta(days=32)
ISSUED_AFTER = timedelta(days=33)


def _at(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=EDMONTON)


def seed(*, users) -> None:
    account = ProgramAccount.objects.filter(taxpayer__bin=BIN, program__code="prop").first()
    if account is None or Claim.objects.filter(account=account).exists():
        return
    owner, staff, reviewer = users["owner"], users["staff"], users["reviewer"]
    _grant(account=account, user=owner, role=Grant.Role.OWNER)
    events: list[tuple[datetime, Callable[[], object]]] = []
    for start, end, filed, diesel, gasoline in CLAIMS:
        filing = partial(
            _file, account=account, owner=owner, period=Period.span(start, end), litres=(diesel, gasoline)
        )
        events.append((_at(filed, 10), filing))
        assess = partial(_assess, account=account, period_start=start, by=Actor(user=staff, door=Door.ADMIN))
        events.append((_at(filed + ASSESSED_AFTER, 9), assess))
        approvers = (Actor(user=reviewer, door=Door.ADMIN), Actor(user=staff, door=Door.ADMIN))
        approve = partial(_approve, account=account, period_start=start, approvers=approvers)
        events.append((_at(filed + APPROVED_AFTER, 11), approve))
        issue = partial(_issue, account=account, period_start=start)
        events.append((_at(filed + ISSUED_AFTER, 6), issue))
    for moment, event in sorted(events, key=lambda pair: pair[0]):
        with as_of(moment):
            event()


def _file(*, account: ProgramAccount, owner, period: Period, litres: tuple[str, str]) -> None:
    diesel, gasoline = litres
    claim_submit(
        account=account,
        kind=Claim.Kind.PROP,
        lines=[
            replace(HAULING, fuel="clear_diesel", litres=diesel, document_number="Tank trucks T1-T6"),
            replace(HAULING, fuel="clear_gasoline", litres=gasoline, document_number="Pickups P1-P3"),
        ],
        certified_name=owner.display_name,
        certified_capacity="Owner",
        # The demo data files for the owner, as an owner (as filings.demo files Prairie Fuels' returns).
        actor=Actor.job("demo data", user=owner).acting_for(
            capacity="owner", on_behalf_of=account.on_behalf_of
        ),
        submission_token=submission_token_new(),
        period=period,
    )


def _claim(*, account: ProgramAccount, period_start: date) -> Claim:
    return Claim.objects.get(account=account, kind=Claim.Kind.PROP, period_start=period_start)


def _assess(*, account: ProgramAccount, period_start: date, by: Actor) -> None:
    claim = _claim(account=account, period_start=period_start)
    adjustments = {}
    if period_start.year == ADJUSTED_YEAR:
        diesel = claim.lines.get(fuel="clear_diesel")
        allowed = (diesel.litres * type(diesel.litres)(ALLOWED_SHARE)).quantize(diesel.litres)
        adjustments[diesel.pk] = LineAdjustment(
            litres=allowed,
            reason="Audit: trucks T5 and T6 hauled on the highway in June and July; those litres are on-road.",
        )
    claims.claim_assessment_make(claim=claim, actor=by, adjustments=adjustments)


def _refund(*, account: ProgramAccount, period_start: date) -> Refund:
    assessment = ClaimAssessment.objects.get(claim=_claim(account=account, period_start=period_start))
    existing = Refund.objects.filter(claim_assessment=assessment).first()
    return existing or refunds.refund_prepare(claim_assessment=assessment, actor=Actor.job("refund_prepare"))


def _approve(*, account: ProgramAccount, period_start: date, approvers: tuple[Actor, Actor]) -> None:
    """Rae Reviewer approves; above the four-eyes amount, Sam Staff approves second."""
    refund = refunds.refund_approve(
        refund=_refund(account=account, period_start=period_start), actor=approvers[0]
    )
    if refund.status == Refund.Status.PENDING:
        refunds.refund_approve(refund=refund, actor=approvers[1])


def _issue(*, account: ProgramAccount, period_start: date) -> None:
    refund = _refund(account=account, period_start=period_start)
    refunds.refund_issue(refund_id=refund.pk, actor=Actor.job("refunds_issue"))
