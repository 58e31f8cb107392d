"""The ledger: the one door for posting to an account's transactions, and the proof that it adds up.

The ledger is append-only (assessments/models.py, ADR 0009): `ledger_post` is the one door for every kind of
transaction (an assessment's tax and a claim's credit from the assessment skeleton; penalties, interest,
payments, refunds, transfers and write-offs from the services that decide them), `ledger_reverse` the one way
to correct one. Postings of one account are serialized by a transaction-scoped PostgreSQL advisory lock on the
account, so ids grow in commit order within an account and `ledger_check` sees no posting half-way. Every
posting names who made it (`actor`: a member of staff, or a job) in the access log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import units
from accounts.actors import Actor
from accounts.models import AccessLogEntry
from accounts.services import access_log_record
from assessments import selectors
from assessments.models import LedgerMonth, LedgerTransaction
from programs import money
from programs.models import ProgramAccount

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

Kind = LedgerTransaction.Kind

# One namespace of advisory locks for the ledger (the first key); the second key is the account id.
LEDGER_LOCK_NAMESPACE = 6_001

AMOUNT_NOT_DECIMAL = _("An amount must be a Decimal in dollars and cents.")
AMOUNT_PRECISION = _("An amount has at most two decimal places (cents); nothing is rounded silently.")
AMOUNT_SIGN = _("A %(kind)s is always a %(side)s.")
DESCRIPTION_REQUIRED = _("A transaction needs a description.")
REVERSAL_NEEDS_ORIGINAL = _("A reversal names the transaction it corrects.")
REVERSAL_OTHER_ACCOUNT = _("A reversal corrects a transaction of the same account and period.")
REVERSAL_AMOUNT = _("A reversal carries the opposite amount of the transaction it corrects.")
ALREADY_REVERSED = _("Transaction %(id)s was already reversed.")
NOT_A_REVERSAL = _("Only a reversal names a transaction it reverses.")
ALREADY_POSTED = _("A %(kind)s for %(source)s was already posted (transaction %(id)s).")

# Which side each kind is always on (the kinds not listed go both ways); the database checks it too.
# Keyed by the kind as stored (a TextChoices member is its str value): a caller passes either.
DEBIT_ONLY: dict[str, StrOrPromise] = {Kind.PENALTY: _("debit"), Kind.REFUND_ISSUED: _("debit")}
CREDIT_ONLY: dict[str, StrOrPromise] = {Kind.PAYMENT: _("credit"), Kind.CLAIM_CREDIT: _("credit")}


class LedgerPostingRefused(ValidationError):
    """The transaction is not acceptable; nothing was written."""


class AlreadyPosted(LedgerPostingRefused):
    """The same source was already posted (a job run twice): `existing` is that transaction."""

    def __init__(self, existing: LedgerTransaction):
        self.existing = existing
        super().__init__(
            ALREADY_POSTED
            % {
                "kind": existing.get_kind_display().lower(),
                "source": existing.source_reference,
                "id": existing.pk,
            },
            code="already_posted",
        )


# --- The ledger ------------------------------------------------------------------------------------------


def staff_capacity(actor: Actor) -> str:
    """The capacity the access log records for a change made by `actor`: "staff" for TRA staff (a job: none)."""
    return "staff" if actor.user is not None and actor.user.is_staff else ""


def ledger_lock(*, account: ProgramAccount) -> None:
    """Serialize ledger work on one account until the current transaction ends (taken once in a unit of
    accounts/units.py: the refund cycle's seller took it first)."""
    key = (LEDGER_LOCK_NAMESPACE, account.pk)
    if units.lock_held(key):
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", list(key))
    units.lock_taken(key)


def _violated_constraint(error: IntegrityError) -> str:
    diag = getattr(error.__cause__, "diag", None)
    return getattr(diag, "constraint_name", "") or ""


def _check_amount(*, kind: str, amount: Decimal) -> None:
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise LedgerPostingRefused(AMOUNT_NOT_DECIMAL, code="amount_not_decimal")
    if money.cents(amount) != amount:
        raise LedgerPostingRefused(AMOUNT_PRECISION, code="amount_precision")
    if abs(amount) > money.MAX_MONEY:
        raise LedgerPostingRefused(money.TOO_LARGE, code="amount_too_large")
    label = str(Kind(kind).label).lower()
    if kind in DEBIT_ONLY and amount <= 0:
        raise LedgerPostingRefused(
            AMOUNT_SIGN % {"kind": label, "side": DEBIT_ONLY[kind]}, code="amount_sign"
        )
    if kind in CREDIT_ONLY and amount >= 0:
        raise LedgerPostingRefused(
            AMOUNT_SIGN % {"kind": label, "side": CREDIT_ONLY[kind]}, code="amount_sign"
        )


def _check_reversal(
    *,
    kind: str,
    amount: Decimal,
    account: ProgramAccount,
    period_end: date,
    reverses: LedgerTransaction | None,
) -> None:
    if kind != Kind.REVERSAL:
        if reverses is not None:
            raise LedgerPostingRefused(NOT_A_REVERSAL, code="not_a_reversal")
        return
    if reverses is None:
        raise LedgerPostingRefused(REVERSAL_NEEDS_ORIGINAL, code="reversal_needs_original")
    if reverses.account_id != account.pk or reverses.period_end != period_end:
        raise LedgerPostingRefused(REVERSAL_OTHER_ACCOUNT, code="reversal_other_account")
    if amount != -reverses.amount:
        raise LedgerPostingRefused(REVERSAL_AMOUNT, code="reversal_amount")
    if LedgerTransaction.objects.filter(reverses=reverses).exists():
        raise LedgerPostingRefused(ALREADY_REVERSED % {"id": reverses.pk}, code="already_reversed")


@units.service_transaction
def ledger_post(
    *,
    account: ProgramAccount,
    period_end: date,
    kind: str,
    amount: Decimal,
    description: str,
    processed_on: date | None = None,
    effective_on: date | None = None,
    source_reference: str = "",
    reverses: LedgerTransaction | None = None,
    actor: Actor,
) -> LedgerTransaction:
    """Append one transaction to the account's ledger, posted by `actor` (its user, or nobody for a job).
    `amount`: debit (owing more) positive, credit negative, in cents exactly. `processed_on` defaults to today
    in Alberta, `effective_on` to `processed_on`.

    Refused with LedgerPostingRefused (nothing written): an amount that is not a Decimal in cents, on the wrong
    side for its kind, a reversal that does not exactly undo one transaction of the same account and period.
    A `source_reference` already posted for this kind raises AlreadyPosted carrying that transaction (a job
    run twice posts once)."""
    if kind not in Kind.values:
        raise LedgerPostingRefused(f"unknown kind {kind!r}", code="kind")
    _check_amount(kind=kind, amount=amount)
    if not description.strip():
        raise LedgerPostingRefused(DESCRIPTION_REQUIRED, code="description_required")
    ledger_lock(account=account)
    _check_reversal(kind=kind, amount=amount, account=account, period_end=period_end, reverses=reverses)
    if source_reference:
        existing = LedgerTransaction.objects.filter(kind=kind, source_reference=source_reference).first()
        if existing is not None:
            raise AlreadyPosted(existing)
    processed_on = processed_on or timezone.localdate()
    entry = LedgerTransaction(
        account=account,
        period_end=period_end,
        kind=kind,
        amount=amount,
        processed_on=processed_on,
        effective_on=effective_on or processed_on,
        description=description.strip(),
        source_reference=source_reference,
        reverses=reverses,
        posted_at=timezone.now(),
        posted_by=actor.user,
    )
    entry.full_clean(  # the database checks those, and the keys held
        validate_unique=False, validate_constraints=False, exclude=units.held_relations(entry)
    )
    try:
        # In a unit an error ends the unit, so the savepoint that lets a race be told apart is left out there.
        with transaction.atomic(savepoint=units.savepoint_needed()):
            entry.save()
    except IntegrityError as error:
        if _violated_constraint(error) == "ledger_one_posting_per_source":  # raced past the check above
            raise AlreadyPosted(
                LedgerTransaction.objects.get(kind=kind, source_reference=source_reference)
            ) from error
        raise
    access_log_record(
        actor=actor,
        kind=AccessLogEntry.Kind.CHANGE,
        action="ledger transaction posted",
        account_number=account.number,
        on_behalf_of=account.on_behalf_of,
        capacity=staff_capacity(actor),
        detail=(
            f"{entry.pk} {entry.get_kind_display()} {money.format_money(amount)} period {period_end.isoformat()}"
            f"{' source ' + source_reference if source_reference else ''}"
        ),
    )
    return entry


def ledger_reverse(
    *,
    original: LedgerTransaction,
    description: str,
    actor: Actor,
    processed_on: date | None = None,
) -> LedgerTransaction:
    """Correct a posted transaction by a new one of the opposite amount (the original stays)."""
    return ledger_post(
        account=original.account,
        period_end=original.period_end,
        kind=Kind.REVERSAL,
        amount=-original.amount,
        description=description,
        processed_on=processed_on,
        effective_on=original.effective_on,
        source_reference=f"reversal-of:{original.pk}",
        reverses=original,
        actor=actor,
    )


@dataclass(frozen=True)
class LedgerCheck:
    """The proof that the ledger agrees with its balances, for one account at one instant."""

    account_number: str
    transactions: int
    sum_of_transactions: Decimal  # every amount added up one by one, in Python
    balance: Decimal  # the account balance as the pages read it (SQL SUM)
    sum_of_period_balances: Decimal  # the period balances as the pages read them (SQL GROUP BY), added up
    # The months whose stored LedgerMonth (net, transactions) differs from the ledger's own sum and count of that
    # month's transactions (ADR 0017), with both figures: empty when every stored month agrees.
    months_disagreeing: tuple[tuple[date, tuple[Decimal, int] | None, tuple[Decimal, int] | None], ...] = ()

    @property
    def ok(self) -> bool:
        return (
            self.sum_of_transactions == self.balance == self.sum_of_period_balances
            and not self.months_disagreeing
        )


@transaction.atomic
def ledger_check(*, account: ProgramAccount) -> LedgerCheck:
    """Prove balance = sum of transactions, that the period balances add up to the account balance, and that each
    stored ledger month holds its transactions' sum and count, under the account's ledger lock (no posting can
    land between the readings)."""
    ledger_lock(account=account)
    amounts = list(LedgerTransaction.objects.filter(account=account).values_list("amount", flat=True))
    ledger = {
        row["month"]: (row["net"], row["transactions"])
        for row in LedgerTransaction.objects.filter(account=account)
        .annotate(month=TruncMonth("processed_on"))
        .values("month")
        .annotate(net=Sum("amount"), transactions=Count("*"))
    }
    stored = {
        month: (net, transactions)
        for month, net, transactions in LedgerMonth.objects.filter(account=account).values_list(
            "month", "net", "transactions"
        )
    }
    return LedgerCheck(
        account_number=account.number,
        transactions=len(amounts),
        sum_of_transactions=sum(amounts, start=money.cents(Decimal(0))),
        balance=selectors.account_balance(account=account),
        sum_of_period_balances=selectors.balance_of(selectors.period_balances(account=account)),
        months_disagreeing=tuple(
            (month, stored.get(month), ledger.get(month))
            for month in sorted(ledger.keys() | stored.keys())
            if stored.get(month) != ledger.get(month)
        ),
    )


def ledger_months_disagreeing() -> list[
    tuple[int, date, Decimal | None, int | None, Decimal | None, int | None]
]:
    """Every (account, month) of every account whose stored LedgerMonth (net, transactions) differs from the
    ledger's own sum and count of that month's transactions, or exists on one side only: (account id, month, stored
    net, stored count, ledger net, ledger count). One query over both tables, without the accounts' locks (a
    posting in flight elsewhere is not seen half-done: the months move in its own transaction). The test suite
    runs it after every test that used the database (tests/conftest.py), so every path that posts, each refund
    cycle included, is proven to keep the months; ledger_check proves one account under its lock."""
    months, ledger = LedgerMonth._meta.db_table, LedgerTransaction._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT COALESCE(stored.account_id, counted.account_id), COALESCE(stored.month, counted.month),
                   stored.net, stored.transactions, counted.net, counted.transactions
            FROM {months} AS stored
            FULL OUTER JOIN (
                SELECT account_id, date_trunc('month', processed_on)::date AS month, SUM(amount) AS net,
                       COUNT(*) AS transactions
                FROM {ledger} GROUP BY 1, 2
            ) AS counted ON counted.account_id = stored.account_id AND counted.month = stored.month
            WHERE stored.net IS DISTINCT FROM counted.net
               OR stored.transactions IS DISTINCT FROM counted.transactions
            ORDER BY 1, 2
            """  # noqa: S608 (table names from the models, no value in the text)
        )
        return list(cursor.fetchall())
