"""Writes of filings for refund claims: fuel tax refund claims, carbon levy refund claims and the fuel tax
relief inventory declaration.

`claim_preview` and `claim_submit` are the one door for every front end: each checks that the account may
file this kind of claim, checks every line against its window (filings/rules/claim_windows.yaml, by the day
TRA receives the claim), computes the refund of each line (litres x the refund per litre, rounded half up
to the cent by programs.money, per line) and the total. `claim_submit` stores the claim and its lines,
writes the access-log row and queues the confirmation e-mail and PDF, in one transaction.

Refund per litre:
- fuel tax refund: the fuel tax rate on the date of purchase (programs.rates.rate_on; "a claim uses the date
  of purchase", DOMAIN.md "Rates"); rebranded to a fuel with a lower rate: the difference of the two rates;
- carbon levy: the carbon levy rate on the date of purchase (none before 2017-01-01 or from 2019-05-30);
- inventory declaration: the refund per litre of the declaration (filings/rules/inventory_declarations.yaml).

Idempotency: the submission token drawn when the form was opened is unique per account (a database
constraint); a second submission of the same form raises ClaimAlreadySubmitted carrying the first claim.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.actors import Actor
from accounts.models import AccessLogEntry, User
from accounts.services import access_log_record, email_queue
from filings import claim_rules
from filings.claim_rules import InventoryDeclaration, Reason
from filings.models import Claim, ClaimLine
from filings.skeleton.errors import AlreadyFiled
from programs import money
from programs.models import DirectDeposit, ProgramAccount
from programs.rates import RateNotFound, fuel_labels, rate_on, schedules

FUEL_TAX = "fuel_tax"
CARBON_LEVY = "carbon_levy"

# Which accounts file which claims (programs/reference/programs.yaml): fuel tax accounts file fuel tax refund
# claims and the inventory declaration; carbon levy claimant accounts file carbon levy claims, as fuel
# vendors (AT5135) or as Indians and Indian bands (AT5133).
KINDS_BY_PROGRAM: dict[str, tuple[str, ...]] = {
    FUEL_TAX: (Claim.Kind.FUEL_TAX_REFUND, Claim.Kind.INVENTORY_DECLARATION),
    CARBON_LEVY: (Claim.Kind.CARBON_LEVY_VENDOR, Claim.Kind.CARBON_LEVY_INDIAN),
}
CARBON_LEVY_KINDS = (Claim.Kind.CARBON_LEVY_VENDOR, Claim.Kind.CARBON_LEVY_INDIAN)
REBRANDED = "rebranded"

CONFIRMATION_PREFIX = {
    Claim.Kind.FUEL_TAX_REFUND: "FR",
    Claim.Kind.CARBON_LEVY_VENDOR: "CL",
    Claim.Kind.CARBON_LEVY_INDIAN: "CL",
    Claim.Kind.INVENTORY_DECLARATION: "ID",
}
CONFIRMATION_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # as returns: no 0/O, 1/I/L
CONFIRMATION_LENGTH = 6

# Error messages (tests assert on these constants).
NOT_FOR_THIS_ACCOUNT = _("Account %(number)s (%(program)s) does not file a %(kind)s.")
NO_LINES = _("Enter at least one line to claim.")
CERTIFIED_NAME_REQUIRED = _("Enter the name of the person certifying the claim.")
CERTIFIED_CAPACITY_REQUIRED = _("Enter the position or title of the person certifying the claim.")
FUEL_REQUIRED = _("Choose the fuel.")
FUEL_NOT_CLAIMABLE = _("%(fuel)s cannot be claimed on this kind of claim.")
REASON_REQUIRED = _("Choose the reason for the refund.")
LITRES_REQUIRED = _("Enter the litres claimed (more than zero).")
PURCHASE_DATE_REQUIRED = _("Enter the date of purchase.")
DATE_IN_FUTURE = _("The date cannot be after today (%(today)s).")
EVENT_DATE_REQUIRED = _("Enter %(event)s.")
EVENT_BEFORE_PURCHASE = _("This date cannot be before the date of purchase (%(purchase)s).")
REBRANDED_TO_REQUIRED = _("Choose the fuel it was rebranded to.")
REBRANDED_TO_SAME = _("Choose a fuel other than the one purchased.")
OUTSIDE_WINDOW = _(
    "Too late to claim: %(reason)s: TRA must receive the claim %(rule)s (%(anchor_date)s), "
    "that is no later than %(deadline)s."
)
NO_WINDOW = _("No claim window is in force on %(today)s for this claim. Contact TRA.")
RATE_NOT_ON_FILE = _("No fuel tax rate is on file for %(fuel)s on %(day)s. Contact TRA to claim it.")
NOTHING_TO_REFUND = _(
    "No fuel tax was payable on %(fuel)s bought on %(day)s (rate %(rate)s from %(since)s): there is nothing to refund."
)
NOT_A_LOWER_RATE = _(
    "%(to)s was not taxed at a lower rate than %(fuel)s on %(day)s: rebranding it earns no refund."
)
CARBON_LEVY_REPEALED = _(
    "No carbon levy was payable on fuel bought on %(day)s: the carbon levy was repealed from %(repealed)s. "
    "Only fuel bought before %(repealed)s can be claimed."
)
CARBON_LEVY_NOT_YET = _(
    "No carbon levy was payable on fuel bought on %(day)s: the carbon levy applied from %(first)s."
)
INVENTORY_CLOSED = _(
    "The inventory declaration for %(label)s had to be received on or before %(receive_by)s. It can no longer be filed."
)
INVENTORY_NOT_OPEN = _("The inventory declaration for %(label)s can be filed from %(opens_on)s.")
CARBON_LEVY_CLOSED = _(
    "Carbon levy refund claims had to be received on or before %(receive_by)s: only fuel bought before "
    "%(repealed)s carried the levy, and TRA must receive a claim no later than 4 years from the end of the "
    "year of purchase. A carbon levy claim can no longer be filed."
)
INVENTORY_ALREADY_FILED = _(
    "An inventory declaration for %(label)s was already received (confirmation number %(confirmation)s)."
)
ALREADY_SUBMITTED = _("This claim was already received (confirmation number %(confirmation)s).")


@dataclass(frozen=True)
class ClaimLineInput:
    """One line as submitted: litres as a Decimal or the text typed (parsed by programs.money)."""

    fuel: str
    litres: Decimal | str
    purchase_date: date | None = None
    document_number: str = ""
    reason: str = ""
    event_date: date | None = None
    rebranded_to: str = ""


@dataclass(frozen=True)
class ComputedClaimLine:
    tax: str
    reason: str
    fuel: str
    rebranded_to: str
    purchase_date: date
    event_date: date | None
    document_number: str
    litres: Decimal
    rate_value: Decimal  # refund per litre, dollars
    rate_effective_from: date
    refund: Decimal
    deadline: date

    @property
    def fuel_label(self) -> str:
        return fuel_labels(tax=self.tax).get(self.fuel, self.fuel)

    @property
    def rebranded_to_label(self) -> str:
        return fuel_labels(tax=FUEL_TAX).get(self.rebranded_to, self.rebranded_to)

    @property
    def reason_label(self) -> str:
        reason = claim_rules.refund_reasons().get(self.reason)
        return reason.label if reason else ""


@dataclass(frozen=True)
class ClaimComputation:
    kind: str
    lines: tuple[ComputedClaimLine, ...]
    total: Decimal
    refund_method: str
    inventory_date: date | None = None
    declaration: InventoryDeclaration | None = None


class ClaimLinesInvalid(ValidationError):
    """Lines that cannot be claimed. `errors_by_line` maps the line's index (0-based, in the order given) to
    {field name: message}; the field is "" when the message is about the line as a whole."""

    def __init__(self, errors_by_line: dict[int, dict[str, str]]):
        self.errors_by_line = errors_by_line
        super().__init__(
            [
                f"Line {index + 1}: {message}"
                for index, errs in sorted(errors_by_line.items())
                for message in errs.values()
            ]
        )


class ClaimAlreadySubmitted(AlreadyFiled[Claim]):
    """This form (its submission token) or this inventory declaration was already received; `existing` is it."""


class _LineError(Exception):
    def __init__(self, field_name: str, message: str):
        self.field_name = field_name
        self.message = message
        super().__init__(message)


# --- Which claims an account files -----------------------------------------------------------------------


def claim_kinds_for(*, account: ProgramAccount) -> tuple[str, ...]:
    return KINDS_BY_PROGRAM.get(account.program.code, ())


def claim_kind_check(*, account: ProgramAccount, kind: str) -> None:
    if kind not in claim_kinds_for(account=account):
        raise ValidationError(
            NOT_FOR_THIS_ACCOUNT
            % {
                "number": account.number,
                "program": account.program.name,
                "kind": str(Claim.Kind(kind).label).lower() if kind in Claim.Kind.values else kind,
            },
            code="not_for_this_account",
        )


def tax_of(kind: str) -> str:
    return CARBON_LEVY if kind in CARBON_LEVY_KINDS else FUEL_TAX


def claimable_fuels(*, kind: str, today: date | None = None) -> list[tuple[str, str]]:
    """(code, label) of the fuels a kind of claim may name, in the order of the rate files."""
    if kind == Claim.Kind.INVENTORY_DECLARATION:
        declaration = claim_rules.inventory_declaration_open_on(
            today or timezone.localdate()
        ) or claim_rules.inventory_declaration_nearest(today or timezone.localdate())
        labels = fuel_labels(tax=FUEL_TAX)
        return [(fuel, labels.get(fuel, fuel)) for fuel in declaration.rates]
    return list(fuel_labels(tax=tax_of(kind)).items())


def refund_method_for(*, account: ProgramAccount, declaration: InventoryDeclaration | None) -> str:
    """Inventory declarations: as the declaration says (cheque). Other claims: direct deposit when the account
    has a bank account on file, else a cheque to the mailing address (programs.models.DirectDeposit)."""
    if declaration is not None:
        return declaration.refund_method
    if DirectDeposit.objects.filter(account=account).exists():
        return Claim.RefundMethod.DIRECT_DEPOSIT
    return Claim.RefundMethod.CHEQUE


# --- Computing a claim -----------------------------------------------------------------------------------


def _window_check(*, reason: Reason, label: str, purchase: date, event: date | None, today: date) -> date:
    """The deadline of the line's window; raises _LineError when `today` is after it (or none is in force)."""
    window = reason.window_on(today)
    if window is None:
        raise _LineError("", str(NO_WINDOW % {"today": today.isoformat()}))
    anchor_date = event if window.anchor == claim_rules.ANCHOR_EVENT else purchase
    assert anchor_date is not None  # event dates are required before this is reached
    deadline = window.deadline(anchor_date)
    if today > deadline:
        raise _LineError(
            "event_date" if window.anchor == claim_rules.ANCHOR_EVENT else "purchase_date",
            str(
                OUTSIDE_WINDOW
                % {
                    "reason": label,
                    "rule": window.describe(anchor_text=reason.anchor_text(window)),
                    "anchor_date": anchor_date.isoformat(),
                    "deadline": deadline.isoformat(),
                }
            ),
        )
    return deadline


def _parse_litres(value) -> Decimal:
    try:
        litres = money.parse_litres(value)
    except money.AmountError as error:
        raise _LineError("litres", str(error)) from error
    if litres == 0:
        raise _LineError("litres", str(LITRES_REQUIRED))
    return litres


def _date_checks(line: ClaimLineInput, *, today: date, reason: Reason | None) -> None:
    if line.purchase_date is None:
        raise _LineError("purchase_date", str(PURCHASE_DATE_REQUIRED))
    if line.purchase_date > today:
        raise _LineError("purchase_date", str(DATE_IN_FUTURE % {"today": today.isoformat()}))
    if reason is not None and reason.needs_event_date:
        if line.event_date is None:
            raise _LineError("event_date", str(EVENT_DATE_REQUIRED % {"event": reason.event_label}))
        if line.event_date > today:
            raise _LineError("event_date", str(DATE_IN_FUTURE % {"today": today.isoformat()}))
        if line.event_date < line.purchase_date:
            raise _LineError(
                "event_date", str(EVENT_BEFORE_PURCHASE % {"purchase": line.purchase_date.isoformat()})
            )


def _fuel_check(line: ClaimLineInput, *, fuels: dict[str, str]) -> str:
    if not line.fuel:
        raise _LineError("fuel", str(FUEL_REQUIRED))
    if line.fuel not in fuels:
        raise _LineError("fuel", str(FUEL_NOT_CLAIMABLE % {"fuel": line.fuel}))
    return fuels[line.fuel]


def _fuel_tax_refund_line(line: ClaimLineInput, *, today: date) -> ComputedClaimLine:
    fuels = dict(claimable_fuels(kind=Claim.Kind.FUEL_TAX_REFUND))
    reasons = claim_rules.refund_reasons()
    if not line.reason or line.reason not in reasons:
        raise _LineError("reason", str(REASON_REQUIRED))
    reason = reasons[line.reason]
    fuel_name = _fuel_check(line, fuels=fuels)
    litres = _parse_litres(line.litres)
    _date_checks(line, today=today, reason=reason)
    purchase = line.purchase_date
    assert purchase is not None
    rebranded_to = ""
    if line.reason == REBRANDED:
        if not line.rebranded_to or line.rebranded_to not in fuels:
            raise _LineError("rebranded_to", str(REBRANDED_TO_REQUIRED))
        if line.rebranded_to == line.fuel:
            raise _LineError("rebranded_to", str(REBRANDED_TO_SAME))
        rebranded_to = line.rebranded_to
    try:
        rate = rate_on(fuel=line.fuel, day=purchase, tax=FUEL_TAX)
    except RateNotFound as error:
        raise _LineError(
            "purchase_date", str(RATE_NOT_ON_FILE % {"fuel": fuel_name, "day": purchase.isoformat()})
        ) from error
    if not rate.value:  # a zero rate (fuel tax relief) or none in force: no tax was paid
        raise _LineError(
            "purchase_date",
            str(
                NOTHING_TO_REFUND
                % {
                    "fuel": fuel_name,
                    "day": purchase.isoformat(),
                    "rate": f"${rate.value or 0:.2f}/L",
                    "since": rate.effective_from.isoformat(),
                }
            ),
        )
    per_litre = rate.value
    if rebranded_to:
        try:
            lower = rate_on(fuel=rebranded_to, day=purchase, tax=FUEL_TAX).value or Decimal(0)
        except RateNotFound:
            lower = Decimal(0)
        per_litre = rate.value - lower
        if per_litre <= 0:
            raise _LineError(
                "rebranded_to",
                str(
                    NOT_A_LOWER_RATE
                    % {"to": fuels[rebranded_to], "fuel": fuel_name, "day": purchase.isoformat()}
                ),
            )
    deadline = _window_check(
        reason=reason, label=reason.label, purchase=purchase, event=line.event_date, today=today
    )
    return ComputedClaimLine(
        tax=FUEL_TAX,
        reason=line.reason,
        fuel=line.fuel,
        rebranded_to=rebranded_to,
        purchase_date=purchase,
        event_date=line.event_date if reason.needs_event_date else None,
        document_number=line.document_number.strip(),
        litres=litres,
        rate_value=per_litre,
        rate_effective_from=rate.effective_from,
        refund=money.line_tax(litres=litres, rate=per_litre),
        deadline=deadline,
    )


def _levy_span(fuel: str) -> tuple[date | None, date | None]:
    """(first day the carbon levy was in force on `fuel`, first day of its repeal), from the rate file."""
    rows = schedules()[CARBON_LEVY].entries[fuel]
    first = next((row.effective_from for row in rows if row.value is not None), None)
    repealed = None
    if first is not None:
        repealed = next(
            (row.effective_from for row in rows if row.effective_from > first and row.value is None), None
        )
    return first, repealed


def _carbon_levy_line(line: ClaimLineInput, *, kind: str, today: date) -> ComputedClaimLine:
    fuels = dict(claimable_fuels(kind=kind))
    _fuel_check(line, fuels=fuels)
    litres = _parse_litres(line.litres)
    _date_checks(line, today=today, reason=None)
    purchase = line.purchase_date
    assert purchase is not None
    first, repealed = _levy_span(line.fuel)
    try:
        rate = rate_on(fuel=line.fuel, day=purchase, tax=CARBON_LEVY)
    except RateNotFound:
        rate = None
    if rate is None or rate.value is None:
        # Carbon levy claimants: "only for fuel purchased before 2019-05-30" is the repeal in the rate file.
        if repealed is not None and purchase >= repealed:
            message = CARBON_LEVY_REPEALED % {"day": purchase.isoformat(), "repealed": repealed.isoformat()}
        else:
            message = CARBON_LEVY_NOT_YET % {
                "day": purchase.isoformat(),
                "first": first.isoformat() if first else "?",
            }
        raise _LineError("purchase_date", str(message))
    reason = claim_rules.carbon_levy_reason()
    deadline = _window_check(
        reason=reason, label=str(Claim.Kind(kind).label), purchase=purchase, event=None, today=today
    )
    return ComputedClaimLine(
        tax=CARBON_LEVY,
        reason="",
        fuel=line.fuel,
        rebranded_to="",
        purchase_date=purchase,
        event_date=None,
        document_number=line.document_number.strip(),
        litres=litres,
        rate_value=rate.value,
        rate_effective_from=rate.effective_from,
        refund=money.line_tax(litres=litres, rate=rate.value),
        deadline=deadline,
    )


def _inventory_line(line: ClaimLineInput, *, declaration: InventoryDeclaration) -> ComputedClaimLine:
    labels = fuel_labels(tax=FUEL_TAX)
    _fuel_check(line, fuels={fuel: labels.get(fuel, fuel) for fuel in declaration.rates})
    litres = _parse_litres(line.litres)
    per_litre = declaration.rates[line.fuel]
    return ComputedClaimLine(
        tax=FUEL_TAX,
        reason="",
        fuel=line.fuel,
        rebranded_to="",
        purchase_date=declaration.inventory_date,
        event_date=None,
        document_number=line.document_number.strip(),
        litres=litres,
        rate_value=per_litre,
        rate_effective_from=declaration.inventory_date,
        refund=money.line_tax(litres=litres, rate=per_litre),
        deadline=declaration.receive_by,
    )


@dataclass(frozen=True)
class KindWindow:
    """Whether a kind of claim as a whole can be filed on a day (each line is still checked against its own
    window): open, or closed since `receive_by` (the last day TRA could receive it), or not open before
    `opens_on`; `message` says which, in the words of the refusal."""

    kind: str
    message: str = ""
    opens_on: date | None = None
    receive_by: date | None = None

    @property
    def is_open(self) -> bool:
        return not self.message


def _carbon_levy_receive_by(*, kind: str, today: date) -> tuple[date, date] | None:
    """(the last day TRA could receive a carbon levy claim, the day the levy was repealed), once every levied
    fuel's levy is repealed: a claim for the last day of the levy, under the window in force today. None while
    some fuel still carries the levy (a reinstated levy is a new entry in programs/rates/carbon_levy.yaml)."""
    window = claim_rules.carbon_levy_reason().window_on(today)
    spans = [_levy_span(fuel) for fuel, _label in claimable_fuels(kind=kind)]
    repeals = [repealed for first, repealed in spans if first is not None]
    if window is None or not repeals or None in repeals:
        return None
    repealed = max(repeals)  # type: ignore[type-var]  # None was ruled out above
    return window.deadline(repealed - timedelta(days=1)), repealed


def claim_kind_window(*, kind: str, today: date) -> KindWindow:
    """Whether `kind` can be filed on `today`: File a Claim shows a closed kind with its deadline instead of a
    link, and its form answers with the same words. Inventory declarations open and close with their
    declaration (filings/rules/inventory_declarations.yaml); carbon levy claims close when no fuel bought before
    the repeal can be within its window any more; fuel tax refund claims stay open (each line has its window)."""
    if kind == Claim.Kind.INVENTORY_DECLARATION:
        try:
            inventory_declaration_check(today=today)
        except ValidationError as error:
            nearest = claim_rules.inventory_declaration_nearest(today)
            if error.code == "inventory_not_open":
                return KindWindow(kind=kind, message=error.messages[0], opens_on=nearest.opens_on)
            return KindWindow(kind=kind, message=error.messages[0], receive_by=nearest.receive_by)
    elif kind in CARBON_LEVY_KINDS:
        closing = _carbon_levy_receive_by(kind=kind, today=today)
        if closing is not None and today > closing[0]:
            receive_by, repealed = closing
            message = CARBON_LEVY_CLOSED % {
                "receive_by": receive_by.isoformat(),
                "repealed": repealed.isoformat(),
            }
            return KindWindow(kind=kind, message=str(message), receive_by=receive_by)
    return KindWindow(kind=kind)


def inventory_declaration_check(*, today: date) -> InventoryDeclaration:
    """The declaration open on `today`; ValidationError with the date that applied when none is."""
    declaration = claim_rules.inventory_declaration_open_on(today)
    if declaration is not None:
        return declaration
    nearest = claim_rules.inventory_declaration_nearest(today)
    if today < nearest.opens_on:
        raise ValidationError(
            INVENTORY_NOT_OPEN % {"label": nearest.label, "opens_on": nearest.opens_on.isoformat()},
            code="inventory_not_open",
        )
    raise ValidationError(
        INVENTORY_CLOSED % {"label": nearest.label, "receive_by": nearest.receive_by.isoformat()},
        code="inventory_closed",
    )


def claim_preview(
    *, account: ProgramAccount, kind: str, lines: Iterable[ClaimLineInput], today: date | None = None
) -> ClaimComputation:
    """Check and compute without storing: what the review page shows. Raises ValidationError (this account
    does not file this kind of claim; the inventory declaration is not open) or ClaimLinesInvalid (every
    line's problem at once, each next to its field)."""
    today = today or timezone.localdate()
    claim_kind_check(account=account, kind=kind)
    declaration = (
        inventory_declaration_check(today=today) if kind == Claim.Kind.INVENTORY_DECLARATION else None
    )
    lines = list(lines)
    if not lines:
        raise ValidationError(NO_LINES, code="no_lines")
    computed: list[ComputedClaimLine] = []
    errors: dict[int, dict[str, str]] = {}
    for index, line in enumerate(lines):
        try:
            if declaration is not None:
                computed.append(_inventory_line(line, declaration=declaration))
            elif kind in CARBON_LEVY_KINDS:
                computed.append(_carbon_levy_line(line, kind=kind, today=today))
            else:
                computed.append(_fuel_tax_refund_line(line, today=today))
        except _LineError as error:
            errors[index] = {error.field_name: error.message}
    if errors:
        raise ClaimLinesInvalid(errors)
    total = sum((line.refund for line in computed), start=money.cents(Decimal(0)))
    return ClaimComputation(
        kind=kind,
        lines=tuple(computed),
        total=total,
        refund_method=refund_method_for(account=account, declaration=declaration),
        inventory_date=declaration.inventory_date if declaration is not None else None,
        declaration=declaration,
    )


# --- Submitting a claim ----------------------------------------------------------------------------------


def confirmation_number_generate(*, kind: str, today: date) -> str:
    """`FR-YYYYMM-XXXXXX` (fuel tax refund), `CL-` (carbon levy), `ID-` (inventory declaration): the month of
    receipt, then six random characters that cannot be misread."""
    suffix = "".join(secrets.choice(CONFIRMATION_ALPHABET) for _ in range(CONFIRMATION_LENGTH))
    return f"{CONFIRMATION_PREFIX[kind]}-{today:%Y%m}-{suffix}"


def submission_token_new() -> uuid.UUID:
    return uuid.uuid4()


def _certification_check(*, certified_name: str, certified_capacity: str) -> None:
    errors = {}
    if not certified_name.strip():
        errors["certified_name"] = CERTIFIED_NAME_REQUIRED
    if not certified_capacity.strip():
        errors["certified_capacity"] = CERTIFIED_CAPACITY_REQUIRED
    if errors:
        raise ValidationError(errors)


def _violated_constraint(error: IntegrityError) -> str:
    diag = getattr(error.__cause__, "diag", None)
    return getattr(diag, "constraint_name", "") or ""


def _store(
    *,
    account: ProgramAccount,
    computation: ClaimComputation,
    submission_token: uuid.UUID,
    certified_name: str,
    certified_capacity: str,
    submitted_by: User,
    capacity: str,
) -> Claim:
    now = timezone.now()
    claim = Claim(
        account=account,
        kind=computation.kind,
        received_at=now,
        confirmation_number=confirmation_number_generate(
            kind=computation.kind, today=timezone.localdate(now)
        ),
        submission_token=submission_token,
        inventory_date=computation.inventory_date,
        refund_method=computation.refund_method,
        total_refund=computation.total,
        filed_by=submitted_by,
        filed_by_email=submitted_by.email,
        filed_in_capacity=capacity,
        certified_name=certified_name.strip(),
        certified_capacity=certified_capacity.strip(),
    )
    claim.full_clean(
        validate_unique=False, validate_constraints=False
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
        )
        for line in computation.lines
    )
    return claim


def _existing_for(*, account: ProgramAccount, submission_token: uuid.UUID, computation: ClaimComputation):
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
) -> Claim:
    """File a claim. Raises ValidationError (kind, window of the declaration, certification),
    ClaimLinesInvalid (lines) or ClaimAlreadySubmitted (this form, or this account's inventory declaration
    for the same rate change, was already received: it is attached, to show it)."""
    computation = claim_preview(account=account, kind=kind, lines=lines)
    _certification_check(certified_name=certified_name, certified_capacity=certified_capacity)
    existing, message = _existing_for(
        account=account, submission_token=submission_token, computation=computation
    )
    if existing is not None:
        raise ClaimAlreadySubmitted(existing, str(message))
    arguments = {
        "account": account,
        "computation": computation,
        "submission_token": submission_token,
        "certified_name": certified_name,
        "certified_capacity": certified_capacity,
        "submitted_by": _filer(actor),
        "capacity": actor.capacity,
    }
    claim = None
    for _attempt in range(5):
        try:
            with transaction.atomic():
                claim = _store(**arguments)
            break
        except IntegrityError as error:
            constraint = _violated_constraint(error)
            if constraint == "claim_unique_confirmation_number":
                continue  # a clash of random confirmation numbers: draw again
            if constraint in ("claim_one_per_submission", "claim_one_inventory_declaration_per_rate_change"):
                # Another request with this form (or this declaration) committed between our check and our
                # insert (PostgreSQL made our insert wait for it), so this statement sees it.
                existing, message = _existing_for(
                    account=account, submission_token=submission_token, computation=computation
                )
                assert existing is not None
                raise ClaimAlreadySubmitted(existing, str(message)) from error
            raise
    if claim is None:  # five clashes in a row: about one in 887 million to the fifth
        raise RuntimeError("could not draw a free confirmation number")
    _record(claim=claim, actor=actor)
    return claim


def _filer(actor: Actor) -> User:
    """Who files: a person, in the capacity the access policy gave them (actor.capacity)."""
    if actor.user is None:
        raise ValueError("a claim is filed by a person: the actor names no user")
    return actor.user


def _record(*, claim: Claim, actor: Actor) -> None:
    account = claim.account
    submitted_by = _filer(actor)
    access_log_record(
        actor=actor,
        kind=AccessLogEntry.Kind.CHANGE,
        action=f"{claim.get_kind_display()} filed".lower(),
        account_number=account.number,
        on_behalf_of=account.on_behalf_of,
        capacity=actor.capacity,
        detail=f"{claim.confirmation_number} total {money.format_money(claim.total_refund)}",
    )
    received = timezone.localtime(claim.received_at)
    email_queue(
        to=[submitted_by.email],
        subject=f"TRACS: {claim.get_kind_display().lower()} received, confirmation number {claim.confirmation_number}",
        body=(
            f"Your {claim.get_kind_display().lower()} was received by Tax and Revenue Administration.\n\n"
            f"Confirmation number: {claim.confirmation_number}\n"
            f"Account: {account.number} ({account.display_name})\n"
            f"Received: {received:%Y-%m-%d %H:%M} Mountain Time\n"
            f"Total refund claimed: {money.format_money(claim.total_refund)}\n"
            f"Refund by: {claim.get_refund_method_display()}\n"
            f"Certified by: {claim.certified_name}, {claim.certified_capacity}\n\n"
            "Sign in to TRACS to follow it under View Assessment Status and to print its confirmation."
        ),
        purpose="claim-confirmation",
    )
    claim_id = claim.pk

    def _schedule_pdf() -> None:
        from filings.tasks import confirmation_pdf_schedule

        confirmation_pdf_schedule(kind="claim", pk=claim_id)

    transaction.on_commit(_schedule_pdf)
