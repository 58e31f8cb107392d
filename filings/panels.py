"""What filings shows on consent's pages: the open obligations panel of Account Information, the home banner
"N return(s) outstanding" and home's "overdue first" order. consent/panels.py lists them on its pages.

Obligations are computed, not stored (filings/selectors.py): the panel reads the period starts of the account's
filed returns once (`open_obligations`, the months owed worked out in Python); the banner and the home list's "overdue
first" order ask the database for the same count (`overdue_returns_expression`), one query for any number of
accounts."""

from __future__ import annotations

from datetime import date

from django.db.models import (
    Case,
    Count,
    DateField,
    Expression,
    IntegerField,
    OuterRef,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, ExtractMonth, ExtractYear, Greatest, Least, TruncMonth
from django.utils import timezone
from django.utils.translation import ngettext

from consent.privileges import Privilege
from filings.models import FuelTaxReturn
from filings.periods import Period
from filings.selectors import FUEL_TAX, Obligation, open_obligations, return_definition
from programs.models import ProgramAccount

OPEN_SHOWN = 6  # the oldest open obligations listed; the rest are counted and are on File a Return
OBLIGATIONS_PRIVILEGES = (Privilege.FILE_RETURNS, Privilege.VIEW_ACCOUNT)


def obligations_panel(account: ProgramAccount, user, *, today: date | None = None) -> dict:
    """The returns owed and not filed: overdue (with days late) and due, oldest first, and the next due date
    (of a return due now, else of the month running now). One query (the periods the account filed)."""
    today = today or timezone.localdate()
    open_ = open_obligations(account=account, today=today)  # oldest first
    overdue = sum(1 for obligation in open_ if obligation.is_overdue)
    upcoming = [obligation.due_on for obligation in open_ if obligation.status == Obligation.Status.DUE]
    next_due = min(upcoming) if upcoming else None
    definition = return_definition(account)
    if next_due is None and definition is not None and account.closed_on is None:
        next_due = definition.due_on(definition.period_on(account, today))
    return {
        "applies": definition is not None,
        "open": open_[:OPEN_SHOWN],
        "more": max(0, len(open_) - OPEN_SHOWN),
        "open_count": len(open_),
        "overdue_count": overdue,
        "due_count": len(open_) - overdue,
        "next_due": next_due,
    }


def last_overdue_period(*, today: date) -> Period:
    """The latest period whose return is overdue on `today` if not filed: due dates depend on the period
    alone (filings.periods.due_date), so one date bounds every account's overdue months."""
    period = Period.of(today).previous()
    return period if today > period.due_on else period.previous()


def overdue_returns_expression(*, account: str = "account", today: date | None = None) -> Expression:
    """How many returns the account at `account` (a lookup path from the queryset's model) owes and has not
    filed after their due dates, worked out by the database: the months from the month of its effective date
    to the last overdue period (or the month it closed), less the originals it filed for them. The rules of
    filings.periods (the Account Information panel's obligations), without reading any row into Python, so a
    list of 1,000 accounts can be ordered by it. Zero for accounts outside fuel tax."""

    def field(name: str) -> str:
        return f"{account}__{name}"

    last = Value(last_overdue_period(today=today or timezone.localdate()).start)
    first = TruncMonth(field("effective_date"), output_field=DateField())
    closed = TruncMonth(field("closed_on"), output_field=DateField())
    until = Least(last, Coalesce(closed, last), output_field=DateField())

    def month_number(day) -> Expression:
        return ExtractYear(day) * 12 + ExtractMonth(day)

    months = month_number(until) - month_number(first) + 1
    # A return's period is in [first, until] when it ends on or after the effective date and starts no later
    # than the last overdue period and the closing date (periods are whole months).
    filed = (
        FuelTaxReturn.objects.filter(
            account_id=OuterRef(f"{account}_id"),
            kind=FuelTaxReturn.Kind.ORIGINAL,
            period_end__gte=OuterRef(field("effective_date")),
            period_start__lte=Coalesce(OuterRef(field("closed_on")), last, output_field=DateField()),
        )
        .filter(period_start__lte=last)
        .order_by()
        .values("account_id")
        .annotate(filed=Count("id"))
        .values("filed")
    )
    # Cast: EXTRACT is numeric in PostgreSQL, and a compiled query (consent.sql) reads it without converters.
    return Cast(
        Case(
            When(
                **{field("program__code"): FUEL_TAX},
                then=Greatest(months - Coalesce(Subquery(filed, output_field=IntegerField()), 0), 0),
            ),
            default=0,
            output_field=IntegerField(),
        ),
        IntegerField(),
    )


OVERDUE = "overdue_returns"  # the name each home row carries the count under


def home_overdue_first(today: date) -> Expression:
    """consent's home list puts the accounts with the most overdue returns first."""
    return overdue_returns_expression(account="account", today=today)


def outstanding_returns_banners(user, rows: list[dict]) -> list[dict]:
    """Home's red banner "N return(s) outstanding", one per account of the page with overdue returns: the
    count the home list was ordered by, carried on each row (no query)."""
    counts = {row["account_id"]: row[OVERDUE] for row in rows if row.get(OVERDUE)}
    return [
        {
            "account_id": account_id,
            "kind": "returns",
            "count": count,
            "message": ngettext("%(count)d return outstanding", "%(count)d returns outstanding", count)
            % {"count": count},
        }
        for account_id, count in counts.items()
    ]
