"""What filings shows on consent's pages: the open obligations panel of Account Information, the home banner
"N return(s) outstanding" and home's "overdue first" order. consent/panels.py lists them on its pages.

Obligations are computed, not stored (filings/selectors.py): the panel reads the period starts of the account's
filed returns once (`open_obligations_summary`: the months owed counted, the few it lists worked out in Python); the banner and the home list's "overdue
first" order ask the database for the same count (`overdue_returns_expression`), one query for any number of
accounts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from django.db.models import (
    Case,
    Count,
    DateField,
    Expression,
    F,
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
from consent.sql import Pending
from filings.definitions.tourism_levy import TOURISM_LEVY_RETURN
from filings.models import FuelTaxReturn
from filings.periods import Period, PeriodKind
from filings.selectors import (
    FUEL_TAX,
    ORIGINAL,
    open_obligations_queries,
    open_obligations_summary,
    return_definition,
)
from filings.skeleton.definition import FilingDefinition
from programs.models import AccountFrequency, ProgramAccount

OPEN_SHOWN = 6  # the oldest open obligations listed; the rest are counted and are on File a Return
OBLIGATIONS_PRIVILEGES = (Privilege.FILE_RETURNS, Privilege.VIEW_ACCOUNT)


def obligations_queries(account: ProgramAccount, user) -> list[Pending]:
    """What obligations_panel asks, for the page to send with the other panels' (consent.sql.prefetched)."""
    return open_obligations_queries(account=account, today=timezone.localdate())


def obligations_panel(account: ProgramAccount, user, *, today: date | None = None) -> dict:
    """The returns owed and not filed: overdue (with days late) and due, oldest first, and the next due date
    (of a return due now, else of the month running now). One query (the periods the account filed); only the
    periods listed and the newest still due are worked out (filings.selectors.open_obligations_summary)."""
    today = today or timezone.localdate()
    summary = open_obligations_summary(account=account, today=today, shown=OPEN_SHOWN)
    next_due = summary.next_due
    definition = return_definition(account)
    if next_due is None and definition is not None and account.closed_on is None:
        next_due = definition.due_on(definition.period_on(account, today))
    return {
        "applies": definition is not None,
        "open": summary.oldest,
        "more": max(0, summary.count - OPEN_SHOWN),
        "open_count": summary.count,
        "overdue_count": summary.overdue,
        "due_count": summary.due,
        "next_due": next_due,
    }


def last_overdue_period(*, today: date) -> Period:
    """The latest period whose return is overdue on `today` if not filed: due dates depend on the period
    alone (filings.periods.due_date), so one date bounds every account's overdue months."""
    period = Period.of(today).previous()
    return period if today > period.due_on else period.previous()


def last_overdue_start(definition: FilingDefinition[Any], kind: PeriodKind, *, today: date) -> date:
    """The first day of the latest period of `kind` whose `definition` return is overdue on `today` if not filed:
    its due date depends on the period alone (weekends and holidays by the definition's rule, in Python), so one
    date per kind bounds every account's overdue periods in SQL.

    Tourism levy on 2024-04-29: March 2024 was due Sunday 2024-04-28, moved to Monday the 29th, so February is
    the last overdue month and Q4 2023 (due 2024-01-29) the last overdue quarter."""
    period = Period.of(today, kind).previous()
    while today <= definition.due_on(period):
        period = period.previous()
    return period.start


class _FrequencyPeriodsOverdue(Expression):
    """How many periods an account whose frequency decides their kind (programs.models.AccountFrequency: a month,
    or a calendar quarter while it files quarterly) owes and has not filed after their due dates: the months
    from its effective month to the last overdue month (or its closing month), each mapped to its period by the
    frequency in force on the month's first day (the latest row on or before it; monthly before the first: a
    change falls on a quarter's first day, so a quarter's months all map to it), the distinct periods no later
    than the last overdue period of their kind, less those with an original filed. The rules of the definition's
    `periods_owed` (filings/tourism_levy.py), in one correlated subquery per row."""

    output_field = IntegerField()

    def __init__(
        self,
        account_id: Any,
        effective_date: Any,
        closed_on: Any,
        *,
        returns_table: str,
        last_month: date,
        last_quarter: date,
    ):
        super().__init__(output_field=IntegerField())
        self.returns_table = returns_table
        self.sources: list[Any] = [
            account_id,
            effective_date,
            closed_on,
            Value(last_month),
            Value(last_quarter),
        ]

    def get_source_expressions(self) -> list[Any]:
        return self.sources

    def set_source_expressions(self, exprs: Sequence[Any]) -> None:
        self.sources = list(exprs)

    def as_sql(self, compiler, connection, **extra_context) -> tuple[str, list[Any]]:
        compiled, params = [], []
        for source in self.sources:
            sql, source_params = compiler.compile(source)
            compiled.append(sql)
            params.extend(source_params)
        account_id, effective_date, closed_on, last_month, last_quarter = compiled
        frequencies = connection.ops.quote_name(AccountFrequency._meta.db_table)
        returns = connection.ops.quote_name(self.returns_table)
        # Each argument appears once (their parameters in order): the account's values are a one-row relation.
        sql = f"""(SELECT COUNT(DISTINCT owed.start) FROM
            (SELECT {account_id} AS id, {effective_date} AS effective, {closed_on} AS closed,
                    ({last_month})::date AS last_month, ({last_quarter})::date AS last_quarter) AS owing
            CROSS JOIN LATERAL generate_series(
                date_trunc('month', owing.effective::timestamp),
                LEAST(owing.last_month, COALESCE(date_trunc('month', owing.closed::timestamp)::date,
                                                 owing.last_month))::timestamp,
                interval '1 month') AS month(day)
            LEFT JOIN LATERAL (
                SELECT frequency.frequency FROM {frequencies} AS frequency
                WHERE frequency.account_id = owing.id AND frequency.effective_from <= month.day::date
                ORDER BY frequency.effective_from DESC LIMIT 1) AS in_force ON true
            CROSS JOIN LATERAL (
                SELECT (in_force.frequency = %s) IS TRUE AS quarterly) AS kind
            CROSS JOIN LATERAL (
                SELECT CASE WHEN kind.quarterly THEN date_trunc('quarter', month.day)::date
                            ELSE month.day::date END AS start) AS owed
            WHERE owed.start <= CASE WHEN kind.quarterly THEN owing.last_quarter ELSE owing.last_month END
              AND NOT EXISTS (
                SELECT 1 FROM {returns} AS filed
                WHERE filed.account_id = owing.id AND filed.kind = %s AND filed.period_start = owed.start))"""  # noqa: S608 (compiled SQL and table names; values bound apart)
        return sql, [*params, AccountFrequency.Frequency.QUARTERLY.value, ORIGINAL]


def _fuel_tax_overdue(account: str, today: date) -> Expression:
    """Fuel tax's count: the months from the month of the effective date to the last overdue month (or the
    month it closed), less the originals filed for them (filings.periods' rules)."""

    def field(name: str) -> str:
        return f"{account}__{name}"

    last = Value(last_overdue_period(today=today).start)
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
    return Greatest(months - Coalesce(Subquery(filed, output_field=IntegerField()), 0), 0)


def _frequency_overdue(definition: FilingDefinition[Any], account: str, today: date) -> Expression:
    """The count for a definition whose account's frequency decides its periods (the tourism levy)."""
    return _FrequencyPeriodsOverdue(
        F(f"{account}_id"),
        F(f"{account}__effective_date"),
        F(f"{account}__closed_on"),
        returns_table=definition.model._meta.db_table,
        last_month=last_overdue_start(definition, PeriodKind.MONTHLY, today=today),
        last_quarter=last_overdue_start(definition, PeriodKind.QUARTERLY, today=today),
    )


def overdue_returns_expression(*, account: str = "account", today: date | None = None) -> Expression:
    """How many returns the account at `account` (a lookup path from the queryset's model) owes and has not
    filed after their due dates, worked out by the database by its program's rules: fuel tax's months, a
    tourism levy establishment's months or quarters (its frequency). The rules of the Account Information
    panel's obligations (filings.selectors, each definition's `periods_owed` and `due_on`), without reading
    any row into Python, so a list of 1,000 accounts can be ordered by it. Zero for accounts of other programs."""
    today = today or timezone.localdate()
    # Cast: EXTRACT is numeric in PostgreSQL, and a compiled query (consent.sql) reads it without converters.
    return Cast(
        Case(
            When(**{f"{account}__program__code": FUEL_TAX}, then=_fuel_tax_overdue(account, today)),
            When(
                **{f"{account}__program__code": TOURISM_LEVY_RETURN.program},
                then=_frequency_overdue(TOURISM_LEVY_RETURN, account, today),
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
