"""Reads of assessments: the ledger and its balances, assessments, notices, the assessment queue.

Balances are never stored: the account balance and each period's balance are SQL sums over the append-only
ledger, read from the index (account, period_end) INCLUDE (amount). Each page's reads are a fixed number of
queries whatever the number of rows (the transactions page at 50,000 rows: bench/bench_transactions.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum

from accounts.models import User
from assessments.models import (
    Assessment,
    ClaimAssessment,
    LedgerTransaction,
    Notice,
    NoticeRead,
    Refund,
    ReturnToAssess,
)
from filings.models import Claim, FuelTaxReturn, TourismLevyReturn
from programs import money
from programs.models import ProgramAccount

ZERO = money.cents(Decimal(0))
LATEST_COUNT = 25  # TRACS "Financial Transaction Details": the latest 25 by default


# --- Balances --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PeriodBalance:
    period_end: date
    balance: Decimal
    transactions: int

    @property
    def is_owing(self) -> bool:
        return self.balance > 0


def account_balance(*, account: ProgramAccount) -> Decimal:
    """The account's balance: the sum of every transaction (above zero owing, below zero a credit)."""
    total = LedgerTransaction.objects.filter(account=account).aggregate(total=Sum("amount"))["total"]
    return total if total is not None else ZERO


def period_balances(*, account: ProgramAccount) -> list[PeriodBalance]:
    """Each period's balance and number of transactions, newest period first (one GROUP BY over the
    account's transactions)."""
    rows = (
        LedgerTransaction.objects.filter(account=account)
        .values("period_end")
        .annotate(balance=Sum("amount"), transactions=Count("*"))
        .order_by("-period_end")
    )
    return [PeriodBalance(**row) for row in rows]


def balance_of(periods: list[PeriodBalance]) -> Decimal:
    """The account balance from its period balances (one pass over the ledger for a page that shows both;
    ledger_check proves it equals the SQL sum of every transaction)."""
    return sum((period.balance for period in periods), start=ZERO)


@dataclass(frozen=True)
class PeriodOwing:
    period_end: date
    balance: Decimal  # the period's own balance: the sum of its transactions
    owing: Decimal  # what is left to pay once the account's credits are counted against it


@dataclass(frozen=True)
class Owing:
    """What an account owes: the one story home's banner, View Account Summary Balance and Payment Options tell.

    What the person owes is the account balance. A period's balance is its own transactions, but a credit
    another period holds (a claim assessed, an overpayment) is the person's money towards the same debt: a
    refund is only of the credit left once what the account owes is paid (assessments/refunds.py,
    refund_prepare). So the credits are counted against the periods with a balance, oldest first, the order a
    payment is applied in (assessments/payments.py); the periods left with something to pay are the
    outstanding ones, and what they have left adds up to the account balance when it is above zero."""

    balance: Decimal
    credit_applied: Decimal  # the credits counted against periods with a balance
    periods: tuple[PeriodOwing, ...]  # every period with a balance above zero, oldest first

    @property
    def outstanding(self) -> tuple[PeriodOwing, ...]:
        """The periods with something left to pay, oldest first."""
        return tuple(period for period in self.periods if period.owing > 0)

    @property
    def covered(self) -> frozenset[date]:
        """The period ends whose whole balance the account's credits cover."""
        return frozenset(period.period_end for period in self.periods if period.owing == 0)


def owing_of(periods: Iterable[PeriodBalance]) -> Owing:
    """The rule of `Owing` over an account's period balances (any order). E.g. September 1,419.10 and October
    (4,820.00): the 4,820.00 credit covers September; nothing is outstanding, the account is (3,400.90)."""
    periods = list(periods)
    balance = sum((period.balance for period in periods), start=ZERO)
    credit = -sum((period.balance for period in periods if period.balance < 0), start=ZERO)
    left = credit
    owing = []
    for period in sorted((period for period in periods if period.is_owing), key=lambda row: row.period_end):
        applied = min(left, period.balance)
        left -= applied
        owing.append(
            PeriodOwing(period_end=period.period_end, balance=period.balance, owing=period.balance - applied)
        )
    return Owing(balance=balance, credit_applied=credit - left, periods=tuple(owing))


def owing_by_account(*, account_ids: Iterable[int]) -> dict[int, Owing]:
    """`Owing` of each account that has transactions, from one query grouping them by (account, period end)."""
    rows = (
        LedgerTransaction.objects.filter(account_id__in=list(account_ids))
        .values("account_id", "period_end")
        .annotate(balance=Sum("amount"), transactions=Count("*"))
        .order_by("account_id")
    )
    by_account: dict[int, list[PeriodBalance]] = {}
    for row in rows:
        by_account.setdefault(row.pop("account_id"), []).append(PeriodBalance(**row))
    return {account_id: owing_of(periods) for account_id, periods in by_account.items()}


def account_owing(*, account: ProgramAccount) -> Owing:
    return owing_by_account(account_ids=[account.pk]).get(
        account.pk, Owing(balance=ZERO, credit_applied=ZERO, periods=())
    )


def period_balance(*, account: ProgramAccount, period_end: date, up_to_id: int | None = None) -> Decimal:
    """One period's balance (as it stood when transaction `up_to_id` was posted, if given)."""
    rows = LedgerTransaction.objects.filter(account=account, period_end=period_end)
    if up_to_id is not None:
        rows = rows.filter(id__lte=up_to_id)
    total = rows.aggregate(total=Sum("amount"))["total"]
    return total if total is not None else ZERO


def ledger_period_ends(*, account: ProgramAccount) -> list[date]:
    """The distinct period ends of the account's transactions, newest first, for the "by period end" filter.

    A loose index scan (a recursive CTE hopping down the (account, period_end) index, one probe per period):
    a plain DISTINCT would read every one of the account's transactions."""
    table = LedgerTransaction._meta.db_table
    sql = f"""
        WITH RECURSIVE periods(period_end) AS (
            (SELECT period_end FROM {table} WHERE account_id = %(account)s ORDER BY period_end DESC LIMIT 1)
            UNION ALL
            SELECT (SELECT t.period_end FROM {table} t
                    WHERE t.account_id = %(account)s AND t.period_end < periods.period_end
                    ORDER BY t.period_end DESC LIMIT 1)
            FROM periods WHERE periods.period_end IS NOT NULL
        )
        SELECT period_end FROM periods WHERE period_end IS NOT NULL
    """  # noqa: S608 - the table name is ours; the account id is a parameter
    with connection.cursor() as cursor:
        cursor.execute(sql, {"account": account.pk})
        return [row[0] for row in cursor.fetchall()]


# --- Transactions ----------------------------------------------------------------------------------------


def ledger_transactions(
    *,
    account: ProgramAccount,
    processed_from: date | None = None,
    processed_to: date | None = None,
    period_end: date | None = None,
    oldest_first: bool = False,
) -> QuerySet[LedgerTransaction]:
    """The account's transactions, filtered by processed date range and/or period end, sorted by processed
    date (newest first unless `oldest_first`), ties in the order they were posted. No joins: the pages show
    the transaction's own columns only."""
    rows = LedgerTransaction.objects.filter(account=account)
    if processed_from is not None:
        rows = rows.filter(processed_on__gte=processed_from)
    if processed_to is not None:
        rows = rows.filter(processed_on__lte=processed_to)
    if period_end is not None:
        rows = rows.filter(period_end=period_end)
    ordering = ("processed_on", "id") if oldest_first else ("-processed_on", "-id")
    return rows.order_by(*ordering)


def latest_transactions(
    *, account: ProgramAccount, count: int = LATEST_COUNT, oldest_first: bool = False
) -> list[LedgerTransaction]:
    """The `count` most recently processed transactions, shown newest first (or those same rows oldest first)."""
    rows = list(ledger_transactions(account=account)[:count])
    return rows[::-1] if oldest_first else rows


def period_statement(*, account: ProgramAccount, period_end: date, up_to_id: int) -> list[LedgerTransaction]:
    """The transactions of a period as they stood when transaction `up_to_id` was posted, oldest first (a
    notice shows these: the assessed tax, penalties, interest, payments; ids grow in commit order within an
    account because postings take the account's ledger lock)."""
    return list(
        LedgerTransaction.objects.filter(account=account, period_end=period_end, id__lte=up_to_id).order_by(
            "processed_on", "id"
        )
    )


def account_balance_at(*, account: ProgramAccount, up_to_id: int) -> Decimal:
    total = LedgerTransaction.objects.filter(account=account, id__lte=up_to_id).aggregate(
        total=Sum("amount")
    )["total"]
    return total if total is not None else ZERO


def account_balance_as_of(*, account: ProgramAccount, day: date, up_to_id: int) -> Decimal:
    """The account's balance as the ledger dates it, at the moment transaction `up_to_id` was posted on `day`:
    every transaction processed before `day`, and those processed on `day` up to that one. It equals
    `account_balance_at` when nothing was posted with a processed date earlier than a posting already made (what
    notices_disagreeing_with_the_ledger checks)."""
    total = (
        LedgerTransaction.objects.filter(account=account)
        .filter(Q(processed_on__lt=day) | Q(processed_on=day, id__lte=up_to_id))
        .aggregate(total=Sum("amount"))["total"]
    )
    return total if total is not None else ZERO


def assessment_source(assessment: Assessment) -> str:
    """The source reference of every posting an assessment makes (its tax, and whatever a rule of assessment
    adds in the same transaction, e.g. a late-filing penalty: one per kind)."""
    return f"assessment:{assessment.pk}"


def assessment_cutoff(*, assessment: Assessment) -> int:
    """The id of the last posting the assessment made: its notice shows the period's ledger up to it."""
    last = (
        LedgerTransaction.objects.filter(
            account_id=assessment.account_id, source_reference=assessment_source(assessment)
        )
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
    )
    return last or 0


# --- Assessments and notices -----------------------------------------------------------------------------


def assessments_for_period(*, account: ProgramAccount, period_start: date) -> list[Assessment]:
    """Every assessment of a period, latest first, with lines, return and notice (the history in admin)."""
    return list(
        Assessment.objects.filter(account=account, period_start=period_start)
        .select_related("tax_return", "tourism_levy_return", "assessed_by", "notice")
        .prefetch_related("lines")
        .order_by("-sequence")
    )


def assessments_by_return(
    *, returns: Iterable[FuelTaxReturn | TourismLevyReturn]
) -> dict[int, list[Assessment]]:
    """The assessments of each of `returns` (by return id, latest first), with their notices, in one query."""
    # By each return's table (View Assessment Status lists every program's returns: another table's ids are not
    # these); an account files one program's returns, so this is one query.
    ids: dict[str, list[int]] = {}
    for tax_return in returns:
        link = "tax_return" if isinstance(tax_return, FuelTaxReturn) else "tourism_levy_return"
        ids.setdefault(link, []).append(tax_return.pk)
    result: dict[int, list[Assessment]] = {}
    for link, pks in ids.items():
        for assessment in (
            Assessment.objects.filter(**{f"{link}_id__in": pks})
            .select_related("notice")
            .order_by("-sequence")
        ):
            result.setdefault(getattr(assessment, f"{link}_id"), []).append(assessment)
    return result


def claim_assessments_by_claim(*, claims: Iterable[Claim]) -> dict[int, list[ClaimAssessment]]:
    """The (re)assessments of each of `claims` (by claim id, latest first), each with `letter` set to its letter
    of assessment (None when TRA did not change the claim, or while it is being issued): two queries."""
    result: dict[int, list[ClaimAssessment]] = {}
    found = list(
        ClaimAssessment.objects.filter(claim_id__in=[claim.pk for claim in claims]).order_by("-sequence")
    )
    letters = {
        notice.source_reference: notice
        for notice in Notice.objects.filter(
            source_reference__in=[f"claim_assessment:{assessment.pk}" for assessment in found]
        )
    }
    for assessment in found:
        assessment.letter = letters.get(f"claim_assessment:{assessment.pk}")
        result.setdefault(assessment.claim_id, []).append(assessment)
    return result


REFUNDS_SHOWN = 25


def refunds_for_account(*, account: ProgramAccount, count: int = REFUNDS_SHOWN) -> list[Refund]:
    """The account's latest refunds, newest first (a cancelled one is not a refund the taxpayer will see)."""
    return list(
        Refund.objects.filter(account=account)
        .exclude(status=Refund.Status.CANCELLED)
        .select_related("claim_assessment__claim")  # each names the claim it refunds
        .order_by("-created_at", "-id")[:count]
    )


def open_refunds(*, account: ProgramAccount) -> list[Refund]:
    """The refunds of the account's credit prepared or approved and not yet issued, oldest first."""
    return list(
        Refund.objects.filter(
            account=account, status__in=(Refund.Status.PENDING, Refund.Status.APPROVED)
        ).order_by("created_at", "id")
    )


def notices_for_account(*, account: ProgramAccount, reader: User | None = None) -> QuerySet[Notice]:
    """The account's notices, newest first; `opened` tells whether `reader` has opened each."""
    notices = Notice.objects.filter(account=account).order_by("-issued_on", "-id")
    if reader is not None:
        notices = notices.annotate(
            opened=Exists(NoticeRead.objects.filter(notice=OuterRef("pk"), user=reader))
        )
    return notices


def notice_for_account(*, account: ProgramAccount, notice_id: int) -> Notice | None:
    """The notice **of this account** (None otherwise: another account's notice is as unknown as a made-up
    one)."""
    return Notice.objects.filter(account=account, pk=notice_id).first()


def assessment_for_notice(*, assessment_id: int) -> Assessment:
    return (
        Assessment.objects.select_related(
            "account__taxpayer", "account__program", "tax_return", "tourism_levy_return", "assessed_by"
        )
        .prefetch_related("lines")
        .get(pk=assessment_id)
    )


# --- The assessment queue --------------------------------------------------------------------------------


def returns_to_assess(
    *,
    statuses: Iterable[str] = (FuelTaxReturn.Status.RECEIVED, FuelTaxReturn.Status.IN_REVIEW),
    queue: type[Any] = ReturnToAssess,
) -> QuerySet[Any]:
    """The latest version of each period's return whose status is one of `statuses`, oldest received first,
    with its lines and account (the staff queue and the automatic job). Read through assessments' proxy of
    filings' returns (`queue`: ReturnToAssess, TourismLevyReturnToAssess): the queue is assessments' own view."""
    later = queue._meta.concrete_model.objects.filter(
        account_id=OuterRef("account_id"),
        period_start=OuterRef("period_start"),
        version__gt=OuterRef("version"),
    )
    waiting: QuerySet[Any] = (
        queue.objects.filter(status__in=list(statuses))
        .filter(~Exists(later))
        .select_related("account__taxpayer", "account__program")
        .prefetch_related("lines")
        .order_by("received_at", "id")
    )
    return waiting
