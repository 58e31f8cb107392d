"""Reads of filings: obligations, returns and their lines, claims, and where each return and claim stands.

Obligations are **computed, not stored**. Whether a return is owed for a month follows from the account's
effective date, its closure date and today's date; whether it is filed follows from the returns table. Storing
them would add a second source of truth that a daily job must keep in step (and that is wrong between a
change of the account's dates and the next run); computing them costs one indexed query per account page
(all of an account's returns, a few hundred rows at most after decades) and a loop over the months. When a
report must list obligations across all accounts in SQL, the same rule is `generate_series` over the months
joined to programs_holiday; that belongs with that report.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from consent.sql import SENTINEL_INT, CompiledQuery, Pending
from filings import claim_rules
from filings.definitions import definition_of, definitions_for, return_definition_for
from filings.models import Claim, ClaimLine, FuelTaxReturn, ReturnLine
from filings.periods import Period, days_late, period_after, periods_apart
from filings.skeleton import models as skeleton
from filings.skeleton.definition import FilingDefinition
from filings.skeleton.models import Filing
from filings.tax import is_allowed
from programs.models import ProgramAccount, Registration

FUEL_TAX = "fuel_tax"
ORIGINAL = "original"  # the kind of a return's first version (FuelTaxReturn.Kind, TourismLevyReturn.Kind)


@dataclass(frozen=True)
class Obligation:
    """One period's return owed by an account, and where it stands today."""

    class Status:
        FILED = "filed"
        DUE = "due"
        OVERDUE = "overdue"

    period: Period
    due_on: date
    status: str
    days_late: int  # overdue: days past the due date today; filed: days late when received (0 if on time)
    original: Filing | None
    latest: Filing | None  # the latest version (the original, or its latest amendment)
    url_prefix: str = "return"  # the return's pages (its definition's `url_prefix`): `<prefix>_file`, ...

    @property
    def is_filed(self) -> bool:
        return self.status == self.Status.FILED

    @property
    def is_overdue(self) -> bool:
        return self.status == self.Status.OVERDUE

    @property
    def urls(self) -> dict[str, str]:
        """The URL names of the period's pages, for File a Return's links."""
        return {
            page: f"{self.url_prefix}_{page}" for page in ("file", "nil", "period", "amend", "confirmation")
        }


def return_definition(account: ProgramAccount) -> FilingDefinition[Any] | None:
    """The return the account owes for every period (filings/definitions), or None."""
    return return_definition_for(account.program.code)


def files_returns_in_tracs(account: ProgramAccount) -> bool:
    """Whether the account files returns in TRACS: its program has a return definition (fuel tax, the tourism
    levy). Other programs' accounts are not offered File a Return (consent's account menu) and its pages
    answer them with their program's own page."""
    return return_definition(account) is not None


def obligations_for_account(*, account: ProgramAccount, today: date) -> list[Obligation]:
    """Every return the account owes up to the last period ended by `today`, newest first, each filed,
    due (not filed, on or before its due date) or overdue (not filed, after its due date, with days late).
    Accounts of programs without returns owe none here."""
    definition = return_definition(account)
    if definition is None:
        return []
    periods = definition.periods_owed(account, today)
    if not periods:
        return []
    versions: dict[date, list[Any]] = {}
    for tax_return in definition.model.objects.filter(
        account=account, period_start__gte=periods[0].start
    ).order_by("period_start", "version"):
        versions.setdefault(tax_return.period_start, []).append(tax_return)
    obligations = []
    for period in reversed(periods):
        filed = versions.get(period.start, [])
        original = next((r for r in filed if r.kind == ORIGINAL), None)
        if original is None:
            obligations.append(
                _not_filed(definition, period, today=today, latest=filed[-1] if filed else None)
            )
            continue
        obligations.append(
            Obligation(
                period=period,
                due_on=definition.due_on(period),
                status=Obligation.Status.FILED,
                days_late=original.late_days,
                original=original,
                latest=filed[-1],
                url_prefix=definition.url_prefix,
            )
        )
    return obligations


def _not_filed(
    definition: FilingDefinition[Any], period: Period, *, today: date, latest: Filing | None = None
) -> Obligation:
    due_on = definition.due_on(period)
    if today > due_on:
        status, late = Obligation.Status.OVERDUE, days_late(due_on=due_on, on=today)
    else:
        status, late = Obligation.Status.DUE, 0
    return Obligation(
        period=period,
        due_on=due_on,
        status=status,
        days_late=late,
        original=None,
        latest=latest,
        url_prefix=definition.url_prefix,
    )


def open_obligations(*, account: ProgramAccount, today: date) -> list[Obligation]:
    """The returns owed and not filed (due or overdue), oldest first: those of obligations_for_account, from one
    query of the period starts the account filed an original for, not the returns themselves (Account
    Information asks on every visit, issue 13)."""
    definition = return_definition(account)
    if definition is None:
        return []
    periods = definition.periods_owed(account, today)
    if not periods:
        return []
    filed = set(
        definition.model.objects.filter(
            account=account, kind=ORIGINAL, period_start__gte=periods[0].start
        ).values_list("period_start", flat=True)
    )
    return [_not_filed(definition, period, today=today) for period in periods if period.start not in filed]


@dataclass(frozen=True)
class OpenObligations:
    """The returns owed and not filed, summarised as Account Information shows them: the oldest few (oldest
    first), how many in all, how many of those are overdue, and the earliest due date of those still due."""

    oldest: list[Obligation]
    count: int
    overdue: int
    next_due: date | None  # of the returns owed and not yet overdue; None: there are none

    @property
    def due(self) -> int:
        return self.count - self.overdue


NOTHING_OPEN = OpenObligations(oldest=[], count=0, overdue=0, next_due=None)

# The period starts of the account's originals, on every Account Information request: compiled once per process and
# definition (consent.sql, ADR 0018), the ORM's building of it costing more than PostgreSQL's running it.
ORIGINAL_STARTS = CompiledQuery(
    lambda definition, account_id: (
        definition.model.objects.filter(account=account_id, kind=ORIGINAL)
        .order_by()
        .values_list("period_start")
    ),
    account_id=SENTINEL_INT,
)


def open_obligations_summary(*, account: ProgramAccount, today: date, shown: int) -> OpenObligations:
    """`open_obligations` summarised, with the `shown` oldest, without working out every period owed: Account
    Information asks on every visit, and an account of ten years owes about 130 months (issue 13).

    When every account of the program owes one sequence of periods (fuel tax: each month from the effective date;
    `FilingDefinition.owed_rule`), the periods are counted by arithmetic between the first and the last owed, less
    the originals filed among them (one query of their period starts, as `open_obligations` reads), and only the
    `shown` oldest open periods and the newest ones still due are worked out. Due dates never go back as periods
    go forward (the same rule on a later period end, moved forward to a business day), so the returns still due
    are the newest open ones, and every older one is overdue. Otherwise (a tourism levy establishment: its
    frequency decides its periods) the summary is of `open_obligations` itself."""
    definition = return_definition(account)
    if definition is None:
        return NOTHING_OPEN
    rule = definition.owed_rule
    if rule is None:
        return _summary(open_obligations(account=account, today=today), shown=shown)
    span = rule.owed_span(effective_date=account.effective_date, closed_on=account.closed_on, today=today)
    if span is None:
        return NOTHING_OPEN
    first, last = span
    total = periods_apart(first, last) + 1
    filed: set[int] = set()  # the positions in the sequence (first = 0) of the periods with an original filed
    for (start,) in ORIGINAL_STARTS.rows(
        definition, account_id=account.pk
    ):  # open_obligations_queries' query
        period = rule.of(start)
        # Of the sequence's periods only (a start outside it, or not beginning one of its periods, is none).
        if first.start <= start <= last.start and period.start == start:
            filed.add(periods_apart(first, period))
    oldest = [
        _not_filed(definition, period_after(first, position), today=today)
        for position in _unfiled(filed, total, shown)
    ]
    still_due = []  # newest first, until the first one overdue
    for position in _unfiled(filed, total, total, newest_first=True):
        due_on = definition.due_on(period_after(first, position))
        if today > due_on:
            break
        still_due.append(due_on)
    count = total - len(filed)
    return OpenObligations(
        oldest=oldest,
        count=count,
        overdue=count - len(still_due),
        next_due=min(still_due) if still_due else None,
    )


def open_obligations_queries(*, account: ProgramAccount, today: date) -> list[Pending]:
    """The compiled query open_obligations_summary asks (when it asks one), for a page to send with others'."""
    definition = return_definition(account)
    if definition is None or definition.owed_rule is None:
        return []
    return [ORIGINAL_STARTS.pending(definition, account_id=account.pk)]


def _unfiled(filed: set[int], total: int, wanted: int, *, newest_first: bool = False) -> Iterator[int]:
    """Up to `wanted` positions of 0..total-1 not in `filed`, oldest (or newest) first: each step past a filed
    one, so the cost is the filed periods skipped, not the periods owed."""
    positions = range(total - 1, -1, -1) if newest_first else range(total)
    found = 0
    for position in positions:
        if found == wanted:
            return
        if position not in filed:
            found += 1
            yield position


def _summary(open_: list[Obligation], *, shown: int) -> OpenObligations:
    due = [obligation.due_on for obligation in open_ if obligation.status == Obligation.Status.DUE]
    return OpenObligations(
        oldest=open_[:shown],
        count=len(open_),
        overdue=len(open_) - len(due),
        next_due=min(due) if due else None,
    )


def outstanding_count(*, account: ProgramAccount, today: date) -> int:
    """How many returns are owed and not filed (the "N return(s) outstanding" banner)."""
    return open_obligations_summary(account=account, today=today, shown=0).count


def period_to_file_next(*, account: ProgramAccount, today: date) -> Period | None:
    """The period whose return the account files next: the oldest owed and not filed, or, when every return
    owed is filed, the period under way (filed once it ends). None for programs without returns."""
    definition = return_definition(account)
    if definition is None:
        return None
    unfiled = open_obligations_summary(account=account, today=today, shown=1).oldest
    if unfiled:
        return unfiled[0].period
    under_way = definition.period_on(account, today)
    return None if account.closed_on and account.closed_on < under_way.start else under_way


# --- The lines the return form shows open ----------------------------------------------------------------

# What an approved registration's reasons say the account will report (programs.models.Registration.Reason,
# seed 004 "When to register"), for the form to show open before the account has filed a return: the fuel's
# taxable sales, or the tax-out category the reason names.
REGISTERED_LINES: dict[str, tuple[tuple[str, str], ...]] = {
    Registration.Reason.SELL_AVIATION: (("aviation_gasoline", "taxable"), ("aviation_jet_fuel", "taxable")),
    Registration.Reason.SELL_MARKED: (("marked_gasoline", "taxable"), ("marked_diesel", "taxable")),
    Registration.Reason.MARK_FUEL: (("marked_gasoline", "taxable"), ("marked_diesel", "taxable")),
    Registration.Reason.PROPANE: (("propane", "taxable"),),
    Registration.Reason.LOCOMOTIVE: (("locomotive_fuel", "taxable"),),
    Registration.Reason.EXPORT_BULK: (("clear_gasoline", "export_bulk"), ("clear_diesel", "export_bulk")),
}
# An account that has filed nothing and whose registration names no fuel: the lines most remitters file.
USUAL_LINES = (("clear_gasoline", "taxable"), ("clear_diesel", "taxable"))


def return_lines_known(*, account: ProgramAccount) -> set[tuple[str, str]]:
    """The (fuel, category) lines the return form shows open: every line the account reported on a return (any
    version) and every line its approved registration names (REGISTERED_LINES); USUAL_LINES when there are
    none. Two queries, whatever the history. Lines the form no longer has (a fuel without a rate) are left out."""
    known = set(
        ReturnLine.objects.filter(tax_return__account=account).values_list("fuel", "category").distinct()
    )
    for reasons in Registration.objects.filter(
        accounts=account, status=Registration.Status.APPROVED
    ).values_list("reasons", flat=True):
        for reason in reasons:
            known.update(REGISTERED_LINES.get(reason, ()))
    known = {(fuel, category) for fuel, category in known if is_allowed(fuel, category)}
    return known or set(USUAL_LINES)


def returns_for_account(*, account: ProgramAccount) -> QuerySet[FuelTaxReturn]:
    return FuelTaxReturn.objects.filter(account=account).select_related("account", "filed_by")


def returns_for_period(*, account: ProgramAccount, period: Period) -> list[FuelTaxReturn]:
    """Every version filed for the period, newest first, with their lines."""
    return list(
        FuelTaxReturn.objects.filter(account=account, period_start=period.start)
        .select_related("account")
        .prefetch_related(Prefetch("lines", queryset=ReturnLine.objects.order_by("id")))
        .order_by("-version")
    )


def return_by_confirmation(*, account: ProgramAccount, confirmation_number: str) -> FuelTaxReturn | None:
    """The return with this confirmation number **of this account** (None otherwise: another account's
    confirmation number is as unknown as a made-up one)."""
    return (
        FuelTaxReturn.objects.filter(account=account, confirmation_number=confirmation_number.upper())
        .select_related("account__taxpayer", "account__program", "amends", "filed_by")
        .prefetch_related(Prefetch("lines", queryset=ReturnLine.objects.order_by("id")))
        .first()
    )


def latest_version(*, account: ProgramAccount, period: Period) -> FuelTaxReturn | None:
    return (
        FuelTaxReturn.objects.filter(account=account, period_start=period.start)
        .prefetch_related(Prefetch("lines", queryset=ReturnLine.objects.order_by("id")))
        .order_by("-version")
        .first()
    )


# --- Claims ----------------------------------------------------------------------------------------------


def claims_for_account(*, account: ProgramAccount) -> QuerySet[Claim]:
    """The account's claims, newest first (the claims page lists them in one query)."""
    return Claim.objects.filter(account=account).order_by("-received_at", "-id")


def claim_by_confirmation(*, account: ProgramAccount, confirmation_number: str) -> Claim | None:
    """The claim with this confirmation number **of this account** (None otherwise, as for returns)."""
    return (
        Claim.objects.filter(account=account, confirmation_number=confirmation_number.upper())
        .select_related("account__taxpayer", "account__program", "filed_by")
        .prefetch_related(Prefetch("lines", queryset=ClaimLine.objects.order_by("id")))
        .first()
    )


# --- View Assessment Status ------------------------------------------------------------------------------

IN_PROCESS = skeleton.IN_PROCESS


@dataclass(frozen=True)
class StatusRow:
    """One return version, one claim or one marked-fuel monthly report version on "View Assessment Status"."""

    filing: Filing
    is_return: bool
    description: str
    reference: str  # the confirmation number: the reference number of an item in process
    received_at: datetime
    status: str
    status_label: str
    processed_at: datetime | None
    expected_on: date | None  # by the service standard in force when received
    is_amendment: bool = False
    is_report: bool = False  # not assessed (a marked-fuel monthly report): no amount, no notice

    @property
    def in_process(self) -> bool:
        return self.status in IN_PROCESS


@dataclass(frozen=True)
class StatusGroup:
    """A return with its amended versions (original first), or one claim."""

    rows: tuple[StatusRow, ...]

    @property
    def latest_received_at(self) -> datetime:
        return max(row.received_at for row in self.rows)

    @property
    def in_process(self) -> bool:
        return any(row.in_process for row in self.rows)


@dataclass(frozen=True)
class FilingStatus:
    in_process: list[StatusGroup]
    completed: list[StatusGroup]

    @property
    def filings(self) -> list[Filing]:
        return [row.filing for group in self.in_process + self.completed for row in group.rows]


def _status_row(
    filing: Any,
    *,
    program: str,
    is_return: bool,
    description: str,
    is_amendment: bool = False,
    is_report: bool = False,
) -> StatusRow:
    return StatusRow(
        filing=filing,
        is_return=is_return,
        description=description,
        reference=filing.confirmation_number,
        received_at=filing.received_at,
        status=filing.status,
        status_label=str(filing.get_status_display()),
        processed_at=filing.processed_at,
        expected_on=claim_rules.expected_processing_on(
            program=program,
            item=definition_of(filing).item,
            received_on=timezone.localdate(filing.received_at),
        ),
        is_amendment=is_amendment,
        is_report=is_report,
    )


def filing_status_for_account(*, account: ProgramAccount) -> FilingStatus:
    """Every return, claim and report of the account, in process first then completed, newest first: one query
    per model its program files (filings/definitions), whatever their number. An amended return or report shows
    as a version of its original, under it."""
    program = account.program.code
    groups: list[StatusGroup] = []
    models_read: set[type[Filing]] = set()
    for definition in definitions_for(program):
        if definition.model in models_read:  # the claims share one table
            continue
        models_read.add(definition.model)
        filings = definition.model.objects.filter(account=account)
        if definition.due_date is None:  # a claim: one row each
            groups.extend(
                StatusGroup(
                    rows=(
                        _status_row(
                            filing,
                            program=program,
                            is_return=False,
                            description=str(filing.get_kind_display())
                            if definition.kind is not None
                            else definition.described(filing).capitalize(),
                        ),
                    )
                )
                for filing in filings.order_by("received_at", "id")
            )
            continue
        # A period's versions under their original: by the original, not the period, since a dye site's reports
        # are filed per site (an account files several originals of a month).
        by_original: dict[int, list[StatusRow]] = {}
        for tax_return in filings.order_by("period_start", "version"):
            amended = tax_return.kind != ORIGINAL
            if definition.status_description is not None:
                description = definition.status_description(tax_return)
            elif amended:
                description = f"Amended return, {tax_return.period.label}, version {tax_return.version}"
            else:
                description = f"{str(definition.label).capitalize()}, {tax_return.period.label}"
            by_original.setdefault(tax_return.amends_id or tax_return.pk, []).append(
                _status_row(
                    tax_return,
                    program=program,
                    is_return=definition.assessed,
                    description=description,
                    is_amendment=amended,
                    is_report=not definition.assessed,
                )
            )
        groups.extend(StatusGroup(rows=tuple(rows)) for rows in by_original.values())
    groups.sort(key=lambda group: group.latest_received_at, reverse=True)
    return FilingStatus(
        in_process=[group for group in groups if group.in_process],
        completed=[group for group in groups if not group.in_process],
    )
