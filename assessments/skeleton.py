"""One assessment for every filed thing: recompute, compare within the tolerance, post only the change, tell.

What assessing a fuel tax return and a refund claim share is written here once (issue 11, item 5); a program
gives its part as a definition (`AssessmentDefinition`: assessments/services/returns.py `RETURNS`,
assessments/claims.py `CLAIMS`), so a new return-like program (Tourism Levy, PROP, the marked-fuel report) is
assessed by saying what its definition computes, not by new flow. `assess` runs in one transaction:

1. Under the account's ledger lock (one assessment of an account at a time: the status read next is current,
   sequences and postings follow in order), the filing is read again as it is now and refused, nothing
   written, when its status does not allow the step (assess: received or in review; reassess: assessed or
   reassessed, with a reason) or the program refuses it (a return: a later version was filed).
2. The program recomputes it with its rules (lines and totals); `Comparison` sets what was filed against what
   was recomputed, and the tolerance decides which stands.
3. The assessment is the next of its sequence (1: the assessment; each later one a reassessment, the earlier
   kept); its change is what stands now less what stood before (the program says what that was: a return's
   period reads it from the ledger, since an objection may have vacated an assessment). The program stores it
   with its lines, each copying the rate it applied.
4. The filing's status and processed date follow (filings.status, the assessments app calling down); only the
   change is posted to the append-only ledger (ADR 0009), then whatever the program's rules of assessment post
   with it (a return's late-filing penalty); the access log is written, all as `actor`.
5. Once the transaction commits, the program's jobs run: the notice or letter, rendered to PDF by a Celery job
   (`notice_issue_once`, safe to run twice), and whatever else follows (a claim's refund).

`assessment_preview` reads what `assess` would do, for staff to confirm first; `clean_filings_assess` is the
automatic assessment of clean filings by the beat jobs. docs/adr/0016-one-assessment-skeleton.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import units
from accounts.actors import Actor
from accounts.models import AccessLogEntry, User
from accounts.services import access_log_record
from assessments import notices, rules
from assessments.models import Assessment, Notice
from assessments.services import ledger
from filings import status as filing_status
from programs import money
from programs.models import ProgramAccount

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

Status = filing_status.Status
Kind = Assessment.Kind  # the same two kinds on every program's assessment: assessment, reassessment
ZERO = money.cents(Decimal(0))

# What each step accepts: an assessment of what is received (or in review), a reassessment of what is assessed.
ASSESSABLE = (Status.RECEIVED, Status.IN_REVIEW)
REASSESSABLE = (Status.ASSESSED, Status.REASSESSED)

REASON_REQUIRED = _("Give the reason for the reassessment: it is kept with the assessment.")


class AssessmentRefused(ValidationError):
    """The filing cannot be assessed (or reassessed) as asked; nothing was written. A program may refuse with
    a subclass of its own (assessments.claims.ClaimAssessmentRefused)."""


@dataclass(frozen=True)
class Comparison:
    """What was filed against what the program's rules recompute, and which of the two stands.

    The tolerance (assessments/rules/assessment.yaml, `assessment_tolerance`, read on the day the program's rules
    say: a return's period end, a claim's day of receipt): a difference of the tolerance or less is neither
    collected nor refunded and the filed figure stands ($20.00 is within, $20.01 is not); beyond it, the
    recomputed figure does. A program's recomputation is a Comparison with its lines (and its own names for the
    figures: a return's tax reported, a claim's refund claimed)."""

    filed: Decimal
    recomputed: Decimal
    tolerance: rules.RuleValue

    @property
    def difference(self) -> Decimal:
        return self.recomputed - self.filed

    @property
    def tolerance_amount(self) -> Decimal:
        return self.tolerance.value if self.tolerance.value is not None else ZERO

    @property
    def within_tolerance(self) -> bool:
        """A difference, but of the tolerance or less: the filed figure stands."""
        return self.difference != 0 and abs(self.difference) <= self.tolerance_amount

    @property
    def assessed(self) -> Decimal:
        """What stands after the assessment: the filed figure within the tolerance, else the recomputed one."""
        return self.filed if self.within_tolerance else self.recomputed

    def tolerance_fields(self) -> dict[str, Any]:
        """The tolerance applied, as every assessment row copies it (value, date in force, source, applied)."""
        return {
            "tolerance": self.tolerance_amount,
            "tolerance_effective_from": self.tolerance.effective_from,
            "tolerance_source": self.tolerance.source[:500],
            "tolerance_applied": self.within_tolerance,
        }


class Recomputed(Protocol):
    """A program's recomputation as the flow reads it (a Comparison with the program's lines)."""

    @property
    def assessed(self) -> Decimal: ...

    @property
    def is_clean(self) -> bool:
        """Nothing for staff to look at (every line recomputes to what was filed, nothing adjusted): the
        automatic job assesses these."""
        ...


@dataclass(frozen=True)
class Before:
    """Where the assessments of what a filing is about stand before this one (a return's period, whichever
    version; a claim): the latest one's sequence (0: none yet) and what stood (zero for none)."""

    sequence: int
    standing: Decimal


F = TypeVar("F", bound=filing_status.Filing)  # the filed thing: a return, a claim
A = TypeVar("A", bound=Model)  # the program's assessment row
R = TypeVar("R", bound=Recomputed)  # the program's recomputation
AdjT = TypeVar("AdjT")  # staff's adjustments (a return: litres by fuel and category; a claim: per line)
Adj_contra = TypeVar("Adj_contra", contravariant=True)


@dataclass(frozen=True)
class Determination(Generic[R]):
    """What the flow decided, for the program to store with its own columns: the recomputation, the place in
    the sequence, who and when, the reason, and what stood before."""

    recomputation: R
    sequence: int
    assessed_at: datetime
    assessed_by: User | None  # None: assessed automatically (a clean filing)
    reason: str
    standing: Decimal  # what stood before this assessment (zero for the first)

    @property
    def kind(self) -> str:
        return Kind.ASSESSMENT if self.sequence == 1 else Kind.REASSESSMENT

    @property
    def assessed_on(self) -> date:
        """The date of the assessment and of its notice, in Alberta."""
        return timezone.localdate(self.assessed_at)

    @property
    def assessed(self) -> Decimal:
        return self.recomputation.assessed

    @property
    def change(self) -> Decimal:
        """What this assessment posts to the ledger: what stands now less what stood before."""
        return self.recomputation.assessed - self.standing

    @property
    def objection_deadline(self) -> date:
        return rules.objection_deadline(assessed_on=self.assessed_on)


@dataclass(frozen=True)
class Posting:
    """One ledger transaction an assessment posts (processed on the date of the assessment, as its actor)."""

    period_end: date
    kind: str
    amount: Decimal
    description: str
    effective_on: date
    source_reference: str


@dataclass(frozen=True)
class NoticeDraft:
    """A program's notice (or letter) of one assessment: what the notices page lists, and its HTML from the
    program's template (what WeasyPrint prints; rendered only when the notice is issued). A return's notice
    names its assessment; any other names its source."""

    account: ProgramAccount
    kind: str
    reference: str
    period_start: date
    period_end: date
    issued_on: date
    amount: Decimal | None
    objection_deadline: date | None
    html: Callable[[], str]
    assessment: Assessment | None = None
    source_reference: str = ""


class AssessmentDefinition(Protocol[F, A, R, Adj_contra]):
    """What a program tells the one assessment flow (see the module docstring for when each is asked)."""

    @property
    def noun(self) -> str:
        """How the access log names the filing: "return" ("return assessment"), "claim"."""
        ...

    @property
    def refused(self) -> type[AssessmentRefused]:
        """The program's refusal."""
        ...

    @property
    def not_received(self) -> StrOrPromise:
        """The refusal to assess what is not received or in review (%(number)s, %(status)s)."""
        ...

    @property
    def not_assessed(self) -> StrOrPromise:
        """The refusal to reassess what is not assessed yet (%(number)s, %(status)s)."""
        ...

    def filing_now(self, filing: F, *, account: ProgramAccount) -> F:
        """`filing` read again as it is now, with what recomputing it reads (its lines)."""
        ...

    def refusal(self, filing: F, *, account: ProgramAccount) -> AssessmentRefused | None:
        """The program's own reason not to assess `filing` now, beyond its status (None: none)."""
        ...

    def recompute(self, filing: F, *, adjustments: Adj_contra | None, reason: str) -> R:
        """Every line recomputed with the program's dated rates and rules (adjusted as staff decided).
        Raises ValidationError when it cannot be (a rate missing, an adjustment refused)."""
        ...

    def before(self, filing: F) -> Before:
        """Where the assessments of what `filing` is about stand before this one."""
        ...

    def store(self, filing: F, determination: Determination[R]) -> A:
        """Write the assessment (checked) and its lines; the database's unique sequence stops a twin."""
        ...

    def change_posting(self, assessment: A, filing: F) -> Posting | None:
        """The change, in the ledger's terms (its kind, sign and period), or None when nothing is posted."""
        ...

    def rule_postings(self, assessment: A, filing: F) -> Sequence[Posting]:
        """What the program's rules of assessment post with it, read once the change is on the ledger (a
        return's late-filing penalty is a share of the tax unpaid)."""
        ...

    def rule_postings_preview(self, filing: F, *, first: bool) -> Decimal:
        """What those rules would add, for the confirmation page."""
        ...

    def log_detail(self, assessment: A, filing: F) -> str:
        """The access log's detail of the assessment: what was filed, recomputed and assessed."""
        ...

    def follow_ups(self, assessment: A) -> Sequence[Callable[[], object]]:
        """The jobs to queue once the transaction commits: the notice or letter, a refund of a credit."""
        ...

    def waiting(self, *, limit: int) -> Iterable[F]:
        """The received filings the automatic job looks at, oldest first."""
        ...


class NoticeDefinition(Protocol[A]):
    """What a program tells `notice_issue_once` about its notice (or letter) of assessment."""

    def for_notice(self, assessment_id: int) -> A:
        """The assessment, its row locked until the transaction ends, with what its notice prints."""
        ...

    def notice(self, assessment: A) -> NoticeDraft: ...


# --- Assessing -------------------------------------------------------------------------------------------


def _status_refusal(
    definition: AssessmentDefinition[F, A, R, AdjT], filing: F, *, reassess: bool
) -> AssessmentRefused | None:
    allowed, message, code = (
        (REASSESSABLE, definition.not_assessed, "not_assessed")
        if reassess
        else (ASSESSABLE, definition.not_received, "not_received")
    )
    if filing.status in allowed:
        return None
    return definition.refused(
        message % {"number": filing.confirmation_number, "status": Status(filing.status).label}, code=code
    )


def _reason_refusal(definition: AssessmentDefinition[F, A, R, AdjT]) -> AssessmentRefused:
    return definition.refused(REASON_REQUIRED, code="reason_required")


def _post(*, account: ProgramAccount, posting: Posting, processed_on: date, actor: Actor) -> None:
    ledger.ledger_post(
        account=account,
        period_end=posting.period_end,
        kind=posting.kind,
        amount=posting.amount,
        description=posting.description,
        processed_on=processed_on,
        effective_on=posting.effective_on,
        source_reference=posting.source_reference,
        actor=actor,
    )


@units.service_transaction
def assess(
    *,
    definition: AssessmentDefinition[F, A, R, AdjT],
    filing: F,
    reassess: bool,
    actor: Actor,
    reason: str = "",
    adjustments: AdjT | None = None,
) -> A:
    """Assess `filing` (`reassess`: reassess it) as `actor` (a job: the automatic assessment of a clean filing)
    with staff's `adjustments`, in one transaction (the module docstring). Refused with the program's
    AssessmentRefused, nothing written: the status does not allow it, the program refuses it, or a
    reassessment without a reason."""
    if reassess and not reason.strip():
        raise _reason_refusal(definition)
    account = ProgramAccount.objects.select_related("taxpayer", "program").get(pk=filing.account_id)
    # One assessment of an account at a time (filing_status_change below locks the filing's row and checks the
    # move again).
    ledger.ledger_lock(account=account)
    current = definition.filing_now(filing, account=account)
    problem = _status_refusal(definition, current, reassess=reassess) or definition.refusal(
        current, account=account
    )
    if problem is not None:
        raise problem
    recomputation = definition.recompute(current, adjustments=adjustments, reason=reason)
    before = definition.before(current)
    determination = Determination(
        recomputation=recomputation,
        sequence=before.sequence + 1,
        assessed_at=timezone.now(),
        assessed_by=actor.user,
        reason=reason.strip(),
        standing=before.standing,
    )
    assessment = definition.store(current, determination)
    filing_status.filing_status_change(
        filing=current, status=Status.REASSESSED if reassess else Status.ASSESSED, actor=actor
    )
    change = definition.change_posting(assessment, current)
    if change is not None:
        _post(account=account, posting=change, processed_on=determination.assessed_on, actor=actor)
    # Whatever else a rule of assessment posts carries the assessment's source reference with its own kind: a
    # return's notice shows the period's ledger up to the last of them.
    for posting in definition.rule_postings(assessment, current):
        _post(account=account, posting=posting, processed_on=determination.assessed_on, actor=actor)
    access_log_record(
        actor=actor,
        kind=AccessLogEntry.Kind.CHANGE,
        action=f"{definition.noun} {determination.kind}",
        account_number=account.number,
        on_behalf_of=account.on_behalf_of,
        capacity=ledger.staff_capacity(actor),
        detail=definition.log_detail(assessment, current),
    )
    for job in definition.follow_ups(assessment):
        transaction.on_commit(job)
    return assessment


@dataclass(frozen=True)
class AssessmentPreview:
    """What (re)assessing a filing now would do, or why it would be refused (`refusal`); nothing written.
    `assessed`: what would stand (a return's tax, a claim's refund allowed); `change`: what the ledger gets
    (in the program's terms: more tax, more refund); `rule_postings`: what the rules of assessment add (a
    return's late-filing penalty, on a first assessment)."""

    kind: str
    assessed: Decimal
    change: Decimal
    rule_postings: Decimal
    refusal: str = ""


def assessment_preview(
    *,
    definition: AssessmentDefinition[F, A, R, AdjT],
    filing: F,
    reassess: bool,
    reason: str = "",
    adjustments: AdjT | None = None,
) -> AssessmentPreview:
    """What `assess` would do to `filing` as things stand, or the refusal. Reads only: staff administration
    shows it on the confirmation page before anything is written; `assess` checks everything again under its
    lock."""
    account = ProgramAccount.objects.select_related("taxpayer", "program").get(pk=filing.account_id)
    try:
        current = definition.filing_now(filing, account=account)
        problem = _status_refusal(definition, current, reassess=reassess) or definition.refusal(
            current, account=account
        )
        if problem is None and reassess and not reason.strip():
            problem = _reason_refusal(definition)
        if problem is not None:
            raise problem
        recomputation = definition.recompute(current, adjustments=adjustments, reason=reason)
    except ValidationError as error:
        return AssessmentPreview(
            kind="", assessed=ZERO, change=ZERO, rule_postings=ZERO, refusal=" ".join(error.messages)
        )
    before = definition.before(current)
    return AssessmentPreview(
        kind=Kind.REASSESSMENT if before.sequence else Kind.ASSESSMENT,
        assessed=recomputation.assessed,
        change=recomputation.assessed - before.standing,
        rule_postings=definition.rule_postings_preview(current, first=not before.sequence),
    )


def clean_filings_assess(
    *, definition: AssessmentDefinition[F, A, R, AdjT], actor: Actor, limit: int = 500
) -> list[int]:
    """Assess every clean filing waiting (received, recomputing to what was filed): the automatic assessment.
    Each in its own transaction; one assessed (or superseded) meanwhile, or one that cannot be (a rate
    missing), is skipped and stays in the staff queue. Returns the ids of the assessments made. Safe to run
    twice: an assessed filing is no longer received, and the assessment's unique sequence stops a twin."""
    made = []
    for filing in definition.waiting(limit=limit):
        try:
            if not definition.recompute(filing, adjustments=None, reason="").is_clean:
                continue
            made.append(assess(definition=definition, filing=filing, reassess=False, actor=actor).pk)
        except (ValidationError, IntegrityError):
            continue  # nothing written for this one: staff see it in the queue
    return made


# --- The notice or letter --------------------------------------------------------------------------------


@transaction.atomic
def notice_issue_once(*, definition: NoticeDefinition[A], assessment_id: int, actor: Actor) -> Notice:
    """Issue the notice (or letter) of one assessment: render, store, record, announce (notices.notice_issue).
    Safe to run twice and concurrently: the assessment's row is locked, and a notice already issued for it is
    returned as it is (a notice is unique per assessment or source, and an issued notice never changes)."""
    assessment = definition.for_notice(assessment_id)
    draft = definition.notice(assessment)
    issued = (
        Notice.objects.filter(assessment=draft.assessment)
        if draft.assessment is not None
        else Notice.objects.filter(source_reference=draft.source_reference)
    ).first()
    if issued is not None:
        return issued
    return notices.notice_issue(
        account=draft.account,
        kind=draft.kind,
        reference=draft.reference,
        period_start=draft.period_start,
        period_end=draft.period_end,
        issued_on=draft.issued_on,
        amount=draft.amount,
        objection_deadline=draft.objection_deadline,
        assessment=draft.assessment,
        source_reference=draft.source_reference,
        html=draft.html(),
        actor=actor,
    )
