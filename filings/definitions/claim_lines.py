"""The lines of refund claims: what each kind of claim accepts on a line, the refund per litre it applies, and
the windows in which a line, and a kind of claim as a whole, can still be filed.

Every line is checked against its window (filings/rules/claim_windows.yaml, by the day TRA receives the claim);
its refund is litres x the refund per litre, rounded half up to the cent by programs.money, per line:
- fuel tax refund: the fuel tax rate on the date of purchase (programs.rates.rate_on; "a claim uses the date
  of purchase", DOMAIN.md "Rates"); rebranded to a fuel with a lower rate: the difference of the two rates;
- carbon levy: the carbon levy rate on the date of purchase (none before 2017-01-01 or from 2019-05-30);
- inventory declaration: the refund per litre of the declaration (filings/rules/inventory_declarations.yaml);
- PROP: the fuel tax rate x the prescribed percentage, for the claim's period (filings/definitions/prop_lines.py).

The claim service (filings/claims.py) calls `computed_line` for each line; File a Claim asks `claim_kind_window`
whether a kind can be filed at all. The messages are re-exported by filings.claims, where tests read them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from filings import claim_rules
from filings.claim_rules import InventoryDeclaration, Reason
from filings.models import Claim
from filings.periods import Period
from programs import money
from programs.models import ProgramAccount
from programs.rates import RateNotFound, fuel_labels, rate_on, schedules

FUEL_TAX = "fuel_tax"
CARBON_LEVY = "carbon_levy"
CARBON_LEVY_KINDS = (Claim.Kind.CARBON_LEVY_VENDOR, Claim.Kind.CARBON_LEVY_INDIAN)
REBRANDED = "rebranded"

# Error messages of a line (tests assert on these constants, through filings.claims).
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
    # PROP: the industry sector, activity and vehicle category (filings/rules/prop.yaml's codes).
    sector: str = ""
    activity: str = ""
    vehicle_category: str = ""


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
    # PROP: the line's category and the prescribed percentage applied (rate_value is the rate x it).
    sector: str = ""
    activity: str = ""
    vehicle_category: str = ""
    percentage: Decimal | None = None
    percentage_from: date | None = None

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

    @property
    def prop_category_label(self) -> str:
        """A PROP line's sector, activity and vehicle category, named ("" on other lines)."""
        from filings.definitions.prop_lines import category_label  # it builds on this module

        return category_label(self)


class LineRefused(Exception):
    """One line cannot be claimed: `field_name` is the box it is about ("" for the line as a whole)."""

    def __init__(self, field_name: str, message: str):
        self.field_name = field_name
        self.message = message
        super().__init__(message)


def tax_of(kind: str) -> str:
    return CARBON_LEVY if kind in (*CARBON_LEVY_KINDS, Claim.Kind.MARKED_FUEL_REFUND) else FUEL_TAX


def claimable_fuels(*, kind: str, today: date | None = None) -> list[tuple[str, str]]:
    """(code, label) of the fuels a kind of claim may name, in the order of the rate files."""
    if kind == Claim.Kind.PROP:
        from filings.definitions.prop_lines import prop_fuels  # it builds on this module

        return prop_fuels()
    if kind == Claim.Kind.INVENTORY_DECLARATION:
        declaration = claim_rules.inventory_declaration_open_on(
            today or timezone.localdate()
        ) or claim_rules.inventory_declaration_nearest(today or timezone.localdate())
        labels = fuel_labels(tax=FUEL_TAX)
        return [(fuel, labels.get(fuel, fuel)) for fuel in declaration.rates]
    return list(fuel_labels(tax=tax_of(kind)).items())


# --- A line of each kind --------------------------------------------------------------------------------


def _window_check(*, reason: Reason, label: str, purchase: date, event: date | None, today: date) -> date:
    """The deadline of the line's window; raises LineRefused when `today` is after it (or none is in force)."""
    window = reason.window_on(today)
    if window is None:
        raise LineRefused("", str(NO_WINDOW % {"today": today.isoformat()}))
    anchor_date = event if window.anchor == claim_rules.ANCHOR_EVENT else purchase
    assert anchor_date is not None  # event dates are required before this is reached
    deadline = window.deadline(anchor_date)
    if today > deadline:
        raise LineRefused(
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


def _parse_litres(value: Decimal | str) -> Decimal:
    try:
        litres = money.parse_litres(value)
    except money.AmountError as error:
        raise LineRefused("litres", str(error)) from error
    if litres == 0:
        raise LineRefused("litres", str(LITRES_REQUIRED))
    return litres


def _date_checks(line: ClaimLineInput, *, today: date, reason: Reason | None) -> None:
    if line.purchase_date is None:
        raise LineRefused("purchase_date", str(PURCHASE_DATE_REQUIRED))
    if line.purchase_date > today:
        raise LineRefused("purchase_date", str(DATE_IN_FUTURE % {"today": today.isoformat()}))
    if reason is not None and reason.needs_event_date:
        if line.event_date is None:
            raise LineRefused("event_date", str(EVENT_DATE_REQUIRED % {"event": reason.event_label}))
        if line.event_date > today:
            raise LineRefused("event_date", str(DATE_IN_FUTURE % {"today": today.isoformat()}))
        if line.event_date < line.purchase_date:
            raise LineRefused(
                "event_date", str(EVENT_BEFORE_PURCHASE % {"purchase": line.purchase_date.isoformat()})
            )


def _fuel_check(line: ClaimLineInput, *, fuels: dict[str, str]) -> str:
    if not line.fuel:
        raise LineRefused("fuel", str(FUEL_REQUIRED))
    if line.fuel not in fuels:
        raise LineRefused("fuel", str(FUEL_NOT_CLAIMABLE % {"fuel": line.fuel}))
    return fuels[line.fuel]


def _fuel_tax_refund_line(line: ClaimLineInput, *, today: date) -> ComputedClaimLine:
    fuels = dict(claimable_fuels(kind=Claim.Kind.FUEL_TAX_REFUND))
    reasons = claim_rules.refund_reasons()
    if not line.reason or line.reason not in reasons:
        raise LineRefused("reason", str(REASON_REQUIRED))
    reason = reasons[line.reason]
    fuel_name = _fuel_check(line, fuels=fuels)
    litres = _parse_litres(line.litres)
    _date_checks(line, today=today, reason=reason)
    purchase = line.purchase_date
    assert purchase is not None
    rebranded_to = ""
    if line.reason == REBRANDED:
        if not line.rebranded_to or line.rebranded_to not in fuels:
            raise LineRefused("rebranded_to", str(REBRANDED_TO_REQUIRED))
        if line.rebranded_to == line.fuel:
            raise LineRefused("rebranded_to", str(REBRANDED_TO_SAME))
        rebranded_to = line.rebranded_to
    try:
        rate = rate_on(fuel=line.fuel, day=purchase, tax=FUEL_TAX)
    except RateNotFound as error:
        raise LineRefused(
            "purchase_date", str(RATE_NOT_ON_FILE % {"fuel": fuel_name, "day": purchase.isoformat()})
        ) from error
    if not rate.value:  # a zero rate (fuel tax relief) or none in force: no tax was paid
        raise LineRefused(
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
            raise LineRefused(
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


def _carbon_levy_line(
    line: ClaimLineInput, *, kind: str, today: date, window: bool = True
) -> ComputedClaimLine:
    """A carbon levy line. `window` False: the automatic marked-fuel refund, which TRA pays of its own motion for
    the sales it processed (filings/definitions/marked_fuel_refund.py): its window is shown, not enforced."""
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
        raise LineRefused("purchase_date", str(message))
    reason = claim_rules.carbon_levy_reason()
    in_force = reason.window_on(today)
    if not window and in_force is not None:
        deadline = in_force.deadline(purchase)
    else:
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
    known = [repealed for repealed in repeals if repealed is not None]
    if window is None or not repeals or len(known) < len(repeals):
        return None
    repealed = max(known)
    return window.deadline(repealed - timedelta(days=1)), repealed


def claim_kind_window(*, kind: str, today: date) -> KindWindow:
    """Whether `kind` can be filed on `today`: File a Claim shows a closed kind with its deadline instead of a
    link, and its form answers with the same words. Inventory declarations open and close with their
    declaration (filings/rules/inventory_declarations.yaml); carbon levy claims close when no fuel bought before
    the repeal can be within its window any more; PROP claims close likewise once no fuel bought before the
    program's end can be (filings/definitions/prop_lines.py); fuel tax refund claims stay open (each line has
    its window)."""
    if kind == Claim.Kind.PROP:
        from filings.definitions.prop_lines import prop_kind_window  # it builds on this module

        return prop_kind_window(today=today)
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


def claim_period_errors(
    *, account: ProgramAccount, kind: str, period: Period | None, today: date, excluding: int | None = None
) -> dict[str, str]:
    """What is wrong with the period of a claim of `kind`, by field ({}: nothing, or a kind without periods)."""
    if kind != Claim.Kind.PROP:
        return {}
    from filings.definitions.prop_lines import prop_period_errors  # it builds on this module

    return prop_period_errors(account=account, period=period, today=today, excluding=excluding)


def computed_line(
    line: ClaimLineInput,
    *,
    kind: str,
    today: date,
    declaration: InventoryDeclaration | None,
    period: Period | None = None,
) -> ComputedClaimLine:
    """The line computed by its kind's rules (an inventory declaration's: those of `declaration`; a PROP line's:
    for `period`, checked by claim_period_errors before); raises LineRefused."""
    if kind == Claim.Kind.PROP:
        from filings.definitions.prop_lines import prop_line  # it builds on this module

        assert period is not None
        return prop_line(line, period=period, today=today)
    if declaration is not None:
        return _inventory_line(line, declaration=declaration)
    if kind in CARBON_LEVY_KINDS:
        return _carbon_levy_line(line, kind=kind, today=today)
    if kind == Claim.Kind.MARKED_FUEL_REFUND:
        return _carbon_levy_line(line, kind=kind, today=today, window=False)
    return _fuel_tax_refund_line(line, today=today)
