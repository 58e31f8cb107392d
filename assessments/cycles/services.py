"""The biweekly marked-fuel refund cycle (seed 002, "How to get a refund": "Fuel sellers will automatically
receive a refund of carbon levy for marked fuel sold to eligible farmers ... every 2 weeks by either direct
deposit or cheque for the sales transactions entered and processed during that claim period").

`cycle_run(period=...)` for one ended claim period (filings/definitions/marked_fuel_refund.py), by the beat the
day after it ends or by staff for a past one:

1. **One set-based step** (assessments/cycles/sql.py): a grouped INSERT ... SELECT over the period's sales
   joined to the dated carbon levy rates makes one CycleClaim per seller (unique per seller and period: a rerun
   adds only sellers not there yet). Sales from 2019-05-30 meet a `null` rate: nothing to refund, and the run and
   each seller's row still say so.
2. **One transaction per seller** (`cycle_claim_settle`), through the services every claim uses: the claim filed
   by TRACS (filings.claims.claim_file_by_system: lines, confirmation number, access log), assessed
   (assessments.claims: the credit on the ledger), the levy refunded earlier on sales corrected since taken back
   (an ASSESSED_TAX debit, as a reassessment takes back a refund allowed), the refund prepared
   (assessments.refunds: direct deposit, or a cheque to the address of record when the banking was removed),
   approved by TRACS itself at or below TRACS_REFUND_SECOND_APPROVAL_ABOVE (above it the four eyes apply, and
   the refund job issues it once two approvers have), and issued into the run's payment file.
3. The run's payment files are closed (assessments.refund_files). PDFs and letters are later jobs.

Safe to run twice and to kill anywhere: step 1 commits alone and adds nothing twice; each seller's transaction
commits whole or not at all (its CycleClaim leaves `computed` only in it), so a rerun settles exactly the sellers
left; a payment file a killed run left open is filled and closed by the next. Two runs of one period at once: a
session advisory lock lets one run and the other is refused with the time the first started.
"""

from __future__ import annotations

import calendar
import logging
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import units
from accounts.actors import Actor
from accounts.models import AccessLogEntry
from accounts.services import access_log_record
from assessments import claims as claim_assessments
from assessments import refund_files, refunds
from assessments.cycles import sql
from assessments.cycles.models import CycleClaim, CycleRun
from assessments.models import LedgerTransaction
from assessments.services import ledger
from filings import claims as filing_claims
from filings.definitions import marked_fuel_refund
from filings.models import Claim
from filings.periods import Period
from programs import money

logger = logging.getLogger(__name__)

Status = CycleClaim.Status
ZERO = money.cents(Decimal(0))
LOCK_NAMESPACE = 6_015  # pg advisory locks of the cycle: (namespace, the period's first day as a day number)

NOT_A_PERIOD = _(
    "%(start)s does not start a claim period: claim periods are 14 days, counted from %(anchor)s."
)
NOT_ENDED = _(
    "The claim period %(period)s has not ended: its cycle runs from %(first_day)s, the day after it ends."
)
ALREADY_RUNNING = _(
    "The refund cycle for %(period)s is already running (started %(started)s): it was not started again. "
    "Its run shows here when it finishes."
)
ADJUSTMENT_DESCRIPTION = (
    "Carbon levy refunded earlier on {count} sale(s) corrected in the claim period {period}: taken back"
)


class CycleRefused(ValidationError):
    """The cycle was not run as asked; nothing was written."""


def period_bounds_of(start: date) -> tuple[datetime, datetime]:
    return period_bounds(Period(start, marked_fuel_refund.period_rule_on(start).kind))


def period_bounds(period: Period) -> tuple[datetime, datetime]:
    """The instants a claim period covers in Alberta: from its first day's midnight to the next period's."""
    zone = timezone.get_default_timezone()
    starts = datetime.combine(period.start, datetime.min.time(), tzinfo=zone)
    ends = datetime.combine(period.end + timedelta(days=1), datetime.min.time(), tzinfo=zone)
    return starts, ends


def claim_period_from_start(start: date) -> Period:
    """The claim period that starts on `start`, or CycleRefused (not the first day of one)."""
    rule = marked_fuel_refund.period_rule_on(start)
    try:
        return rule.check(Period(start, rule.kind))
    except ValueError as error:
        raise CycleRefused(
            NOT_A_PERIOD % {"start": start.isoformat(), "anchor": rule.anchor}, code="not_a_period"
        ) from error


def latest_ended_period(*, today: date) -> Period:
    """The last claim period that has ended by `today` (the beat's: the one that ended yesterday, or before)."""
    return marked_fuel_refund.claim_period_of(today).previous()


@dataclass
class Tally:
    claims: int = 0
    refunds: int = 0
    awaiting: int = 0
    claimed: Decimal = ZERO
    adjusted: Decimal = ZERO
    refunded: Decimal = ZERO


def _ledger_period_end(day: date) -> date:
    return date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])


def _lines(cycle_claim: CycleClaim) -> list[filing_claims.ClaimLineInput]:
    return [
        filing_claims.ClaimLineInput(
            fuel=line["fuel"],
            litres=Decimal(str(line["litres"])),
            purchase_date=date.fromisoformat(line["first_sale"]),
            document_number=f"claim period {cycle_claim.period_start.isoformat()}",
        )
        for line in cycle_claim.lines
    ]


def _claim_file(cycle_claim: CycleClaim, period: Period, actor: Actor) -> Claim:
    try:
        return filing_claims.claim_file_by_system(
            account=cycle_claim.account,
            kind=Claim.Kind.MARKED_FUEL_REFUND,
            lines=_lines(cycle_claim),
            period=period,
            actor=actor,
            certified_name=str(marked_fuel_refund.SYSTEM_FILER),
            certified_capacity=str(marked_fuel_refund.SYSTEM_CAPACITY),
        )
    except filing_claims.ClaimAlreadySubmitted as error:
        return error.existing  # only if a CycleClaim was lost while its claim stayed: never filed twice


def cycle_claim_settle(*, cycle_claim_id: int, actor: Actor, tally: Tally | None = None) -> str:
    """Settle one seller's CycleClaim in one transaction (see the module docstring, step 2). Returns its status;
    one already settled is left as it is (a rerun).

    The transaction is a unit (accounts/units.py): any error in it rolls back the whole seller, which the next
    run settles again, so the services it calls write no savepoints of their own (but refund_prepare's, whose
    refusal it carries on from) and its access-log rows go in one statement."""
    with units.unit():
        return _settle(
            cycle_claim_id=cycle_claim_id, actor=actor, tally=tally if tally is not None else Tally()
        )


def _settle(*, cycle_claim_id: int, actor: Actor, tally: Tally) -> str:
    cycle_claim = (
        CycleClaim.objects.select_for_update(of=("self",))
        .select_related("account__taxpayer", "account__program")
        .get(pk=cycle_claim_id)
    )
    if cycle_claim.status != Status.COMPUTED:
        return cycle_claim.status
    account = cycle_claim.account
    period = Period(
        cycle_claim.period_start, marked_fuel_refund.period_rule_on(cycle_claim.period_start).kind
    )
    ledger.ledger_lock(account=account)
    assessment = None
    if cycle_claim.levy > 0:
        claim = _claim_file(cycle_claim, period, actor)
        cycle_claim.claim = claim
        assessment = claim_assessments.claim_assessment_make(claim=claim, actor=actor)
        tally.claims += 1
        tally.claimed += assessment.allowed
    if cycle_claim.adjustment < 0:
        ledger.ledger_post(
            account=account,
            period_end=(
                assessment.period_end if assessment is not None else _ledger_period_end(timezone.localdate())
            ),
            kind=LedgerTransaction.Kind.ASSESSED_TAX,
            amount=-cycle_claim.adjustment,
            description=ADJUSTMENT_DESCRIPTION.format(count=cycle_claim.corrections, period=period.label),
            source_reference=f"cycle_claim:{cycle_claim.pk}:adjustment",
            actor=actor,
        )
        tally.adjusted += cycle_claim.adjustment
    status: str = Status.ADJUSTED if cycle_claim.adjustment < 0 else Status.NOTHING
    if assessment is not None:
        status = _refund(cycle_claim, assessment, actor, tally)
    cycle_claim.status, cycle_claim.settled_at = status, timezone.now()
    cycle_claim.save(update_fields=["status", "settled_at", "claim", "refund"])
    return status


def _refund(cycle_claim: CycleClaim, assessment, actor: Actor, tally: Tally) -> str:
    try:
        refund = refunds.refund_prepare(claim_assessment=assessment, actor=actor)
    except refunds.RefundRefused as error:
        # The credit went to amounts owing (or to sales corrected), or a cheque has no address yet: the credit
        # stays on the account, and the daily refund job prepares what it can once the address is there.
        logger.info(
            "refund cycle: no refund for %s: %s", cycle_claim.account.number, " ".join(error.messages)
        )
        return Status.CREDITED
    cycle_claim.refund = refund
    if refund.needs_second_approval:
        tally.awaiting += 1
        return Status.AWAITING_APPROVAL
    refunds.refund_approve_by_system(refund=refund, actor=actor)
    outcome = refunds.refund_issue(refund_id=refund.pk, actor=actor)
    if outcome != "issued":
        return Status.CREDITED
    tally.refunds += 1
    tally.refunded += refund.amount
    return Status.PAID


def _try_lock(period: Period) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [LOCK_NAMESPACE, period.start.toordinal()])
        return bool(cursor.fetchone()[0])


def _unlock(period: Period) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [LOCK_NAMESPACE, period.start.toordinal()])


def cycle_running(*, period: Period) -> bool:
    """Whether a run of `period` holds its lock now (the admin's check before queueing a rerun)."""
    if not _try_lock(period):
        return True
    _unlock(period)
    return False


def already_running_message(period: Period) -> str:
    running = CycleRun.objects.filter(period_start=period.start, status=CycleRun.Status.RUNNING).first()
    started = timezone.localtime(running.started_at).strftime("%Y-%m-%d %H:%M") if running else "?"
    return str(ALREADY_RUNNING % {"period": period.label, "started": started})


def cycle_run(*, period: Period, actor: Actor, today: date | None = None) -> CycleRun:
    """Run the refund cycle for `period` as `actor` (a job; or staff, for a past period). Refused (CycleRefused,
    nothing written): not a claim period, a period not ended, the same period's cycle running now."""
    today = today or timezone.localdate()
    period = claim_period_from_start(period.start)
    if not period.has_ended(today=today):
        raise CycleRefused(
            NOT_ENDED % {"period": period.label, "first_day": period.next().start.isoformat()},
            code="period_not_ended",
        )
    if not _try_lock(period):
        raise CycleRefused(already_running_message(period), code="running")
    try:
        return _run(period=period, actor=actor)
    finally:
        _unlock(period)


def _run(*, period: Period, actor: Actor) -> CycleRun:
    clock = time.monotonic()
    # A run a kill left "running" is over: this one takes its place (the lock says no other is running).
    CycleRun.objects.filter(period_start=period.start, status=CycleRun.Status.RUNNING).update(
        status=CycleRun.Status.FAILED, error="stopped before it finished (the next run settled what was left)"
    )
    run = CycleRun.objects.create(
        period_start=period.start,
        period_end=period.end,
        started_at=timezone.now(),
        started_by=actor.user,
    )
    tally = Tally()
    # The claims are filed, assessed and their refunds approved by TRACS itself, as its own actor, even in a
    # rerun that a member of staff started (the run records who: `started_by`, and the run's access-log row).
    system = actor if actor.user is None else Actor.job(f"refund_cycle started by staff {actor.user.pk}")
    try:
        starts, ends = period_bounds(period)
        with transaction.atomic():
            run.computed = sql.seller_totals_compute(
                run_id=run.pk, period_start=period.start, period_end=period.end, starts=starts, ends=ends
            )
        waiting = CycleClaim.objects.filter(period_start=period.start, status=Status.COMPUTED)
        for cycle_claim_id in list(waiting.order_by("id").values_list("id", flat=True)):
            cycle_claim_settle(cycle_claim_id=cycle_claim_id, actor=system, tally=tally)
        refund_files.payment_files_close()
    except Exception as error:
        _finish(run, tally=tally, clock=clock, status=CycleRun.Status.FAILED, error=repr(error)[:2000])
        raise
    _finish(run, tally=tally, clock=clock, status=CycleRun.Status.DONE)
    with transaction.atomic():
        access_log_record(
            actor=actor,
            kind=AccessLogEntry.Kind.CHANGE,
            action="marked-fuel refund cycle run",
            capacity=ledger.staff_capacity(actor),
            detail=(
                f"claim period {period.key}: {run.sellers} seller(s), {run.claims} claim(s), {run.refunds} "
                f"refund(s) {money.format_money(run.total_refunded)}, {run.awaiting_approval} awaiting approval"
            ),
        )
    return run


def _finish(run: CycleRun, *, tally: Tally, clock: float, status: str, error: str = "") -> None:
    run.sellers = CycleClaim.objects.filter(period_start=run.period_start).count()
    run.claims, run.refunds, run.awaiting_approval = tally.claims, tally.refunds, tally.awaiting
    run.total_claimed, run.total_adjusted, run.total_refunded = tally.claimed, tally.adjusted, tally.refunded
    run.status, run.error = status, error
    run.finished_at = run.started_at + timedelta(seconds=time.monotonic() - clock)
    run.save()
