"""Writes of filings for refund claims: fuel tax refund claims, carbon levy refund claims and the fuel tax
relief inventory declaration.

`claim_preview` and `claim_submit` are the one door for every front end: each checks that the account may
file this kind of claim, then each line by its kind's rules and window (filings/definitions/claim_lines.py:
the refund per litre, the deadline), and totals the refunds. `claim_submit` stores the claim and its lines,
writes the access-log row and queues the confirmation e-mail and PDF, in one transaction; what every filing
does (certification, filer, confirmation number, record) is filings/skeleton/submission.py's, with the kind's
definition (filings/definitions/claims.py).

Idempotency: the submission token drawn when the form was opened is unique per account (a database
constraint); a second submission of the same form raises ClaimAlreadySubmitted carrying the first claim.

The names of the line rules (their messages, ClaimLineInput, claimable_fuels, claim_kind_window, ...) are
re-exported here (`__all__`): the forms, the views, the assessments app and the tests read them from here.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import partial
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import units
from accounts.actors import Actor
from accounts.models import AccessLogEntry, User
from accounts.services import access_log_record
from filings import claim_rules
from filings.claim_rules import InventoryDeclaration
from filings.definitions import claim_definition
from filings.definitions.claim_lines import (
    CARBON_LEVY,
    CARBON_LEVY_CLOSED,
    CARBON_LEVY_KINDS,
    CARBON_LEVY_NOT_YET,
    CARBON_LEVY_REPEALED,
    DATE_IN_FUTURE,
    EVENT_BEFORE_PURCHASE,
    EVENT_DATE_REQUIRED,
    FUEL_NOT_CLAIMABLE,
    FUEL_REQUIRED,
    FUEL_TAX,
    INVENTORY_CLOSED,
    INVENTORY_NOT_OPEN,
    LITRES_REQUIRED,
    NO_WINDOW,
    NOT_A_LOWER_RATE,
    NOTHING_TO_REFUND,
    OUTSIDE_WINDOW,
    PURCHASE_DATE_REQUIRED,
    RATE_NOT_ON_FILE,
    REASON_REQUIRED,
    REBRANDED,
    REBRANDED_TO_REQUIRED,
    REBRANDED_TO_SAME,
    ClaimLineInput,
    ComputedClaimLine,
    KindWindow,
    LineRefused,
    claim_kind_window,
    claim_period_errors,
    claimable_fuels,
    computed_line,
    inventory_declaration_check,
    tax_of,
)
from filings.definitions.claims import CERTIFIED_CAPACITY_REQUIRED, CERTIFIED_NAME_REQUIRED, CLAIMS
from filings.definitions.marked_fuel_refund import MARKED_FUEL_REFUND
from filings.models import Claim, ClaimLine
from filings.periods import Period
from filings.skeleton import submission
from filings.skeleton.errors import AlreadyFiled
from programs import money
from programs.models import DirectDeposit, ProgramAccount

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

__all__ = [
    "ALREADY_SUBMITTED",
    "CARBON_LEVY",
    "CARBON_LEVY_CLOSED",
    "CARBON_LEVY_KINDS",
    "CARBON_LEVY_NOT_YET",
    "CARBON_LEVY_REPEALED",
    "CERTIFIED_CAPACITY_REQUIRED",
    "CERTIFIED_NAME_REQUIRED",
    "DATE_IN_FUTURE",
    "EVENT_BEFORE_PURCHASE",
    "EVENT_DATE_REQUIRED",
    "FUEL_NOT_CLAIMABLE",
    "FUEL_REQUIRED",
    "FUEL_TAX",
    "INVENTORY_ALREADY_FILED",
    "INVENTORY_CLOSED",
    "INVENTORY_NOT_OPEN",
    "KINDS_BY_PROGRAM",
    "LITRES_REQUIRED",
    "NO_LINES",
    "NO_WINDOW",
    "NOT_A_LOWER_RATE",
    "NOT_FOR_THIS_ACCOUNT",
    "NOTHING_TO_REFUND",
    "OUTSIDE_WINDOW",
    "PURCHASE_DATE_REQUIRED",
    "RATE_NOT_ON_FILE",
    "REASON_REQUIRED",
    "REBRANDED",
    "REBRANDED_TO_REQUIRED",
    "REBRANDED_TO_SAME",
    "SYSTEM_FILED",
    "SYSTEM_KINDS",
    "ClaimAlreadySubmitted",
    "ClaimComputation",
    "ClaimLineInput",
    "ClaimLinesInvalid",
    "ComputedClaimLine",
    "KindWindow",
    "claim_kind_check",
    "claim_kind_window",
    "claim_file_by_system",
    "claim_kinds_for",
    "claim_lines_preview",
    "claim_period_errors",
    "claim_preview",
    "claim_rules",
    "claim_submit",
    "claimable_fuels",
    "inventory_declaration_check",
    "refund_method_for",
    "submission_token_new",
    "tax_of",
]


# Which accounts file which claims (programs/reference/programs.yaml): fuel tax accounts file fuel tax refund
# claims and the inventory declaration; carbon levy claimant accounts file carbon levy claims, as fuel
# vendors (AT5135) or as Indians and Indian bands (AT5133). Each kind's definition names its program.
KINDS_BY_PROGRAM: dict[str, tuple[str, ...]] = {
    program: tuple(claim.kind for claim in CLAIMS if claim.program == program and claim.kind is not None)
    for program in dict.fromkeys(claim.program for claim in CLAIMS)
}

# The claims TRACS files itself (never a person: claim_submit refuses them), by kind: the program of its accounts.
SYSTEM_KINDS: dict[str, str] = {MARKED_FUEL_REFUND.kind or "": MARKED_FUEL_REFUND.program}

SYSTEM_FILER_EMAIL = "no-reply@tracs.example"  # who "filed" a claim TRACS files itself (never e-mailed)

# Error messages (tests assert on these constants; those of the lines are claim_lines').
SYSTEM_FILED = _("A %(kind)s is filed by TRACS itself, every 2 weeks: it cannot be filed in the portal.")
NOT_FOR_THIS_ACCOUNT = _("Account %(number)s (%(program)s) does not file a %(kind)s.")
NO_LINES = _("Enter at least one line to claim.")
INVENTORY_ALREADY_FILED = _(
    "An inventory declaration for %(label)s was already received (confirmation number %(confirmation)s)."
)
ALREADY_SUBMITTED = _("This claim was already received (confirmation number %(confirmation)s).")


@dataclass(frozen=True)
class ClaimComputation:
    kind: str
    lines: tuple[ComputedClaimLine, ...]
    total: Decimal
    refund_method: str
    inventory_date: date | None = None
    declaration: InventoryDeclaration | None = None
    period: Period | None = None  # a PROP claim's


class ClaimLinesInvalid(ValidationError):
    """Lines that cannot be claimed. `errors_by_line` maps the line's index (0-based, in the order given) to
    {field name: message}; the field is "" when the message is about the line as a whole. `period_errors`:
    the claim period's ({field name: message}, a PROP claim's period_start or period_end)."""

    def __init__(
        self, errors_by_line: dict[int, dict[str, str]], period_errors: dict[str, str] | None = None
    ):
        self.errors_by_line = errors_by_line
        self.period_errors = period_errors or {}
        super().__init__(
            [*self.period_errors.values()]
            + [
                f"Line {index + 1}: {message}"
                for index, errs in sorted(errors_by_line.items())
                for message in errs.values()
            ]
        )


class ClaimAlreadySubmitted(AlreadyFiled[Claim]):
    """This form (its submission token) or this inventory declaration was already received; `existing` is it."""


# --- Which claims an account files -----------------------------------------------------------------------


def claim_kinds_for(*, account: ProgramAccount) -> tuple[str, ...]:
    return KINDS_BY_PROGRAM.get(account.program.code, ())


def claim_kind_check(*, account: ProgramAccount, kind: str) -> None:
    """Whether `account` files claims of `kind`: those a person files, or (recomputed when assessed) the claim
    TRACS files itself for the account's program (the automatic marked-fuel refund)."""
    if kind not in claim_kinds_for(account=account) and SYSTEM_KINDS.get(kind) != account.program.code:
        raise ValidationError(
            NOT_FOR_THIS_ACCOUNT
            % {
                "number": account.number,
                "program": account.program.name,
                "kind": str(Claim.Kind(kind).label).lower() if kind in Claim.Kind.values else kind,
            },
            code="not_for_this_account",
        )


def refund_method_for(*, account: ProgramAccount, declaration: InventoryDeclaration | None) -> str:
    """Inventory declarations: as the declaration says (cheque). Other claims: direct deposit when the account
    has a bank account on file, else a cheque to the mailing address (programs.models.DirectDeposit)."""
    if declaration is not None:
        return declaration.refund_method
    if DirectDeposit.objects.filter(account=account).exists():
        return Claim.RefundMethod.DIRECT_DEPOSIT
    return Claim.RefundMethod.CHEQUE


def _lines_computed(
    *,
    account: ProgramAccount,
    kind: str,
    lines: Iterable[ClaimLineInput],
    today: date,
    period: Period | None,
    excluding: int | None,
) -> tuple[tuple[ComputedClaimLine, ...], InventoryDeclaration | None, Period | None]:
    """claim_preview's checks and lines: (the lines computed, the inventory declaration, the period kept)."""
    claim_kind_check(account=account, kind=kind)
    declaration = (
        inventory_declaration_check(today=today) if kind == Claim.Kind.INVENTORY_DECLARATION else None
    )
    period = period if claim_definition(kind).periods is not None else None
    period_errors = claim_period_errors(
        account=account, kind=kind, period=period, today=today, excluding=excluding
    )
    if period_errors:
        raise ClaimLinesInvalid({}, period_errors)
    lines = list(lines)
    if not lines:
        raise ValidationError(NO_LINES, code="no_lines")
    computed: list[ComputedClaimLine] = []
    errors: dict[int, dict[str, str]] = {}
    for index, line in enumerate(lines):
        try:
            computed.append(
                computed_line(line, kind=kind, today=today, declaration=declaration, period=period)
            )
        except LineRefused as error:
            errors[index] = {error.field_name: error.message}
    if errors:
        raise ClaimLinesInvalid(errors)
    return tuple(computed), declaration, period


def claim_preview(
    *,
    account: ProgramAccount,
    kind: str,
    lines: Iterable[ClaimLineInput],
    today: date | None = None,
    period: Period | None = None,
    excluding: int | None = None,
) -> ClaimComputation:
    """Check and compute without storing: what the review page shows. Raises ValidationError (this account
    does not file this kind of claim; the inventory declaration is not open) or ClaimLinesInvalid (the
    period's problem, or every line's at once, each next to its field). `period`: a PROP claim's (other kinds
    have none); `excluding`: the claim being assessed again, whose period overlaps itself."""
    computed, declaration, period = _lines_computed(
        account=account,
        kind=kind,
        lines=lines,
        today=today or timezone.localdate(),
        period=period,
        excluding=excluding,
    )
    total = sum((line.refund for line in computed), start=money.cents(Decimal(0)))
    return ClaimComputation(
        kind=kind,
        lines=computed,
        total=total,
        refund_method=refund_method_for(account=account, declaration=declaration),
        inventory_date=declaration.inventory_date if declaration is not None else None,
        declaration=declaration,
        period=period,
    )


def claim_lines_preview(
    *,
    account: ProgramAccount,
    kind: str,
    lines: Iterable[ClaimLineInput],
    today: date,
    period: Period | None = None,
    excluding: int | None = None,
) -> tuple[ComputedClaimLine, ...]:
    """claim_preview's lines alone, with the same checks and refusals, without the refund method (a query of the
    account's banking): what recomputing a claim reads, one line at a time (assessments/claim_computation.py)."""
    return _lines_computed(
        account=account, kind=kind, lines=lines, today=today, period=period, excluding=excluding
    )[0]


# --- Submitting a claim ----------------------------------------------------------------------------------


def submission_token_new() -> uuid.UUID:
    return uuid.uuid4()


def _store(
    confirmation_number: str,
    *,
    account: ProgramAccount,
    computation: ClaimComputation,
    received_at: datetime,
    submission_token: uuid.UUID,
    certified_name: str,
    certified_capacity: str,
    submitted_by: User | None,
    capacity: str,
) -> Claim:
    claim = Claim(
        account=account,
        kind=computation.kind,
        received_at=received_at,
        confirmation_number=confirmation_number,
        submission_token=submission_token,
        inventory_date=computation.inventory_date,
        period_start=computation.period.start if computation.period else None,
        period_end=computation.period.end if computation.period else None,
        refund_method=computation.refund_method,
        total_refund=computation.total,
        filed_by=submitted_by,
        # Filed by TRACS itself (claim_file_by_system): TRA's own address, and no role on the account.
        filed_by_email=submitted_by.email if submitted_by is not None else SYSTEM_FILER_EMAIL,
        filed_in_capacity=capacity,
        certified_name=certified_name.strip(),
        certified_capacity=certified_capacity.strip(),
    )
    claim.full_clean(
        validate_unique=False,
        validate_constraints=False,
        exclude=units.held_relations(claim, also=["filed_in_capacity"] if submitted_by is None else ()),
    )  # the database checks those, race-free
    claim.save()
    ClaimLine.objects.bulk_create(
        ClaimLine(
            claim=claim,
            reason=line.reason,
            fuel=line.fuel,
            rebranded_to=line.rebranded_to,
            purchase_date=line.purchase_date,
            event_date=line.event_date,
            document_number=line.document_number,
            litres=line.litres,
            rate_value=line.rate_value,
            rate_effective_from=line.rate_effective_from,
            refund=line.refund,
            deadline=line.deadline,
            sector=line.sector,
            activity=line.activity,
            vehicle_category=line.vehicle_category,
            percentage=line.percentage,
            percentage_from=line.percentage_from,
        )
        for line in computation.lines
    )
    return claim


def _existing_for(
    *, account: ProgramAccount, submission_token: uuid.UUID, computation: ClaimComputation
) -> tuple[Claim | None, StrOrPromise]:
    """The claim a second submission collides with, and what to tell the filer (None if none)."""
    same_form = Claim.objects.filter(account=account, submission_token=submission_token).first()
    if same_form is not None:
        return same_form, ALREADY_SUBMITTED % {"confirmation": same_form.confirmation_number}
    if computation.inventory_date is not None:
        declared = Claim.objects.filter(
            account=account, kind=Claim.Kind.INVENTORY_DECLARATION, inventory_date=computation.inventory_date
        ).first()
        if declared is not None:
            assert computation.declaration is not None
            return declared, INVENTORY_ALREADY_FILED % {
                "label": computation.declaration.label,
                "confirmation": declared.confirmation_number,
            }
    return None, ""


@transaction.atomic
def claim_submit(
    *,
    account: ProgramAccount,
    kind: str,
    lines: Iterable[ClaimLineInput],
    certified_name: str,
    certified_capacity: str,
    actor: Actor,
    submission_token: uuid.UUID,
    period: Period | None = None,
) -> Claim:
    """File a claim (a PROP claim: for `period`). Raises ValidationError (kind, window of the declaration,
    certification), ClaimLinesInvalid (period, lines) or ClaimAlreadySubmitted (this form, or this account's
    inventory declaration for the same rate change, was already received: it is attached, to show it)."""
    if kind in SYSTEM_KINDS:
        raise ValidationError(
            SYSTEM_FILED % {"kind": str(Claim.Kind(kind).label).lower()}, code="system_filed"
        )
    computation = claim_preview(account=account, kind=kind, lines=lines, period=period)
    definition = claim_definition(kind)
    submission.certification_check(
        definition=definition, certified_name=certified_name, certified_capacity=certified_capacity
    )
    existing, message = _existing_for(
        account=account, submission_token=submission_token, computation=computation
    )
    if existing is not None:
        raise ClaimAlreadySubmitted(existing, str(message))
    submitted_by = submission.filer(actor, definition=definition)
    received_at = timezone.now()

    store = partial(
        _store,
        account=account,
        computation=computation,
        received_at=received_at,
        submission_token=submission_token,
        certified_name=certified_name,
        certified_capacity=certified_capacity,
        submitted_by=submitted_by,
        capacity=actor.capacity,
    )
    try:
        claim = submission.stored_with_fresh_confirmation(
            store,
            definition=definition,
            dated=timezone.localdate(received_at),
            constraint=definition.confirmation_constraint,
        )
    except IntegrityError as error:
        if submission.violated_constraint(error) == "claim_prop_periods_do_not_overlap":
            # A PROP claim of an overlapping period committed since our check: refused like the check's.
            raise ClaimLinesInvalid(
                {},
                claim_period_errors(account=account, kind=kind, period=period, today=timezone.localdate()),
            ) from error
        if submission.violated_constraint(error) not in (
            "claim_one_per_submission",
            "claim_one_inventory_declaration_per_rate_change",
        ):
            raise
        # Another request with this form (or this declaration) committed between our check and our insert
        # (PostgreSQL made our insert wait for it), so this statement sees it.
        existing, message = _existing_for(
            account=account, submission_token=submission_token, computation=computation
        )
        assert existing is not None
        raise ClaimAlreadySubmitted(existing, str(message)) from error
    submission.filing_record(definition=definition, filing=claim, actor=actor)
    return claim


def system_submission_token(*, account: ProgramAccount, kind: str, period: Period) -> uuid.UUID:
    """The submission token of the claim TRACS files itself for `account` and `period`: always the same, so the
    database's one-claim-per-submission guard holds a second filing of it too."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"tracs:{kind}:{account.pk}:{period.key}")


def claim_file_by_system(
    *,
    account: ProgramAccount,
    kind: str,
    lines: Iterable[ClaimLineInput],
    period: Period,
    actor: Actor,
    certified_name: str,
    certified_capacity: str,
) -> Claim:
    """File a claim TRACS files itself (SYSTEM_KINDS: the automatic marked-fuel refund), as `actor`, a job: its
    lines computed and checked as any claim's (claim_preview), its confirmation number drawn and stored as any
    filing's (filings.skeleton.submission), the access log written as the job. No e-mail (the refund's, once it
    is issued, tells the account's people); its confirmation PDF is made when first asked for. Raises
    ClaimAlreadySubmitted when the account's claim of this period is already filed (a job run twice): before its
    transaction begins, so a caller inside a unit (accounts/units.py) may carry on with the claim filed."""
    if kind not in SYSTEM_KINDS or actor.user is not None:
        raise ValueError(f"{kind!r} is not filed by TRACS itself, or the actor is a person")
    token = system_submission_token(account=account, kind=kind, period=period)
    existing = Claim.objects.filter(account=account, submission_token=token).first()
    if existing is not None:
        raise ClaimAlreadySubmitted(
            existing, str(ALREADY_SUBMITTED % {"confirmation": existing.confirmation_number})
        )
    return _system_claim_store(
        account=account,
        kind=kind,
        lines=lines,
        period=period,
        actor=actor,
        token=token,
        certified_name=certified_name,
        certified_capacity=certified_capacity,
    )


@units.service_transaction
def _system_claim_store(
    *,
    account: ProgramAccount,
    kind: str,
    lines: Iterable[ClaimLineInput],
    period: Period,
    actor: Actor,
    token: uuid.UUID,
    certified_name: str,
    certified_capacity: str,
) -> Claim:
    definition = claim_definition(kind)
    received_at = timezone.now()
    computation = claim_preview(
        account=account, kind=kind, lines=lines, today=timezone.localdate(received_at), period=period
    )
    store = partial(
        _store,
        account=account,
        computation=computation,
        received_at=received_at,
        submission_token=token,
        certified_name=str(certified_name),
        certified_capacity=str(certified_capacity),
        submitted_by=None,
        capacity="",
    )
    claim = submission.stored_with_fresh_confirmation(
        store,
        definition=definition,
        dated=timezone.localdate(received_at),
        constraint=definition.confirmation_constraint,
    )
    access_log_record(
        actor=actor,
        kind=AccessLogEntry.Kind.CHANGE,
        action=definition.access_log_action(),
        account_number=account.number,
        on_behalf_of=account.on_behalf_of,
        detail=definition.access_log_detail(claim),
    )
    return claim
