"""Payments received (issue 6, item 6): recorded by staff one at a time (admin) or by a payment file.

`payment_record` records one payment and posts it to the ledger as PAYMENT credits (effective the day it was
received: that day still bears interest), applied to the account's owing periods oldest first; what is left
over (or all of it when nothing is owing) goes to the latest period with a transaction, or else to the period
that ended before the payment was received. Refused with PaymentRefused, nothing written: an amount that is
not above zero or not in cents, a closed or unknown account, a reference already recorded.

`payment_file_import` reads a payment file (docs/payment-file-format.md), validates every row first and reports
every error with its line number; only a file without errors is posted, in one transaction (all or nothing). A
row whose reference was already recorded for the same account, amount and date is skipped, so importing the
same file again posts nothing twice.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.actors import Actor
from accounts.models import User
from assessments import selectors
from assessments.models import LedgerTransaction, Payment, PaymentImport
from assessments.services import ledger
from programs import money
from programs.models import ProgramAccount

HEADER = ["account_number", "amount", "received_date", "reference"]
MAX_ROWS = 10_000
MAX_REFERENCE = 60
MAX_FILE_BYTES = 2 * 1024 * 1024


class PaymentRefused(ValidationError):
    """The payment cannot be recorded; nothing was written."""


@dataclass
class PaymentRow:
    line: int
    account: ProgramAccount
    amount: Decimal
    received_on: date
    reference: str


@dataclass
class ImportResult:
    errors: list[str] = field(default_factory=list)
    recorded: list[Payment] = field(default_factory=list)
    already_recorded: list[str] = field(default_factory=list)
    payment_import: PaymentImport | None = None

    @property
    def ok(self) -> bool:
        return not self.errors


def _check(*, account: ProgramAccount | None, amount, received_on: date | None, reference: str) -> list[str]:
    problems = []
    if account is None:
        problems.append(_("No such account."))
    elif not account.is_active:
        problems.append(
            _("Account %(number)s is closed: a payment to a closed account is not accepted.")
            % {"number": account.number}
        )
    if not isinstance(amount, Decimal) or not amount.is_finite():
        problems.append(_("The amount must be dollars and cents, e.g. 1234.56."))
    elif amount <= 0:
        problems.append(_("The amount must be more than zero."))
    elif money.cents(amount) != amount:
        problems.append(_("The amount has at most two decimal places (cents)."))
    elif amount > money.MAX_MONEY:
        problems.append(str(money.TOO_LARGE))
    if received_on is None:
        problems.append(_("The received date is required (YYYY-MM-DD)."))
    elif received_on > timezone.localdate():
        problems.append(_("The received date cannot be in the future."))
    if not reference.strip():
        problems.append(_("The reference is required."))
    elif len(reference) > MAX_REFERENCE:
        problems.append(_("The reference has at most %(max)s characters.") % {"max": MAX_REFERENCE})
    return problems


def payment_problems(*, account, amount, received_on, reference) -> list[str]:
    """What stops a payment from being recorded (empty: nothing), the duplicate reference included."""
    reference = (reference or "").strip()
    problems = _check(account=account, amount=amount, received_on=received_on, reference=reference)
    if reference and Payment.objects.filter(reference=reference).exists():
        problems.append(
            _("A payment with reference %(reference)s was already recorded.") % {"reference": reference}
        )
    return problems


def _allocation(*, account: ProgramAccount, amount: Decimal, received_on: date) -> list[tuple[date, Decimal]]:
    """(period end, part of the payment) pairs: owing periods oldest first, the rest to the latest period."""
    periods = sorted(selectors.period_balances(account=account), key=lambda row: row.period_end)
    parts: list[tuple[date, Decimal]] = []
    left = amount
    for row in periods:
        if left <= 0:
            break
        if row.balance > 0:
            part = min(row.balance, left)
            parts.append((row.period_end, part))
            left -= part
    if left > 0:
        if periods:
            target = periods[-1].period_end
        else:
            target = received_on.replace(day=1) - timedelta(days=1)
        for index, (period_end, part) in enumerate(parts):
            if period_end == target:
                parts[index] = (period_end, part + left)
                break
        else:
            parts.append((target, left))
    return parts


def _post(payment: Payment, *, actor: Actor) -> None:
    for period_end, part in _allocation(
        account=payment.account, amount=payment.amount, received_on=payment.received_on
    ):
        ledger.ledger_post(
            account=payment.account,
            period_end=period_end,
            kind=LedgerTransaction.Kind.PAYMENT,
            amount=-part,
            description=f"Payment received ({payment.get_method_display()}), reference {payment.reference}",
            processed_on=timezone.localdate(),
            effective_on=payment.received_on,
            source_reference=f"payment:{payment.pk}:{period_end.isoformat()}",
            actor=actor,
        )


@transaction.atomic
def payment_record(
    *,
    account: ProgramAccount,
    amount: Decimal,
    received_on: date,
    method: str,
    reference: str,
    actor: Actor,
    payment_import: PaymentImport | None = None,
) -> Payment:
    """Record one payment received by `actor` (a member of staff) and post it to the ledger. Refused (PaymentRefused, nothing written): see
    the module docstring."""
    reference = (reference or "").strip()
    problems = _check(account=account, amount=amount, received_on=received_on, reference=reference)
    if method not in Payment.Method.values:
        problems.append(_("Choose how the payment was made."))
    if not problems and Payment.objects.filter(reference=reference).exists():
        problems.append(
            _("A payment with reference %(reference)s was already recorded.") % {"reference": reference}
        )
    if problems:
        raise PaymentRefused(problems, code="payment_refused")
    ledger.ledger_lock(account=account)
    payment = Payment(
        account=account,
        amount=amount,
        received_on=received_on,
        method=method,
        reference=reference,
        payment_import=payment_import,
        recorded_at=timezone.now(),
        recorded_by=_recorder(actor),
    )
    try:
        with transaction.atomic():
            payment.save()
    except IntegrityError as error:
        raise PaymentRefused(
            _("A payment with reference %(reference)s was already recorded.") % {"reference": reference},
            code="payment_refused",
        ) from error
    _post(payment, actor=actor)
    return payment


def _recorder(actor: Actor) -> User:
    """The member of staff who records a payment: always a person (no job records payments)."""
    if actor.user is None:
        raise ValueError("A payment is recorded by a member of staff, not by a job.")
    return actor.user


def _parse_date(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None


def _parse_amount(value: str):
    try:
        return Decimal(value.strip().replace(",", "").lstrip("$"))
    except (ArithmeticError, ValueError):
        return None


def payment_file_read(content: bytes) -> tuple[list[PaymentRow], list[str], list[str]]:
    """(rows to record, errors with line numbers, references already recorded) of a payment file."""
    errors: list[str] = []
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], [_("Line 1: the file is not UTF-8 text.")], []
    reader = csv.reader(io.StringIO(text, newline=""))
    lines = list(reader)
    if not lines or [cell.strip().lower() for cell in lines[0]] != HEADER:
        return [], [_("Line 1: the header must be %(header)s.") % {"header": ",".join(HEADER)}], []
    if len(lines) - 1 > MAX_ROWS:
        return [], [_("The file has more than %(max)s rows.") % {"max": MAX_ROWS}], []
    body = [
        (number, cells) for number, cells in enumerate(lines[1:], start=2) if any(c.strip() for c in cells)
    ]
    if not body:
        return [], [_("The file has no payments.")], []
    numbers = {cells[0].strip() for _n, cells in body if cells}
    accounts = {account.number: account for account in ProgramAccount.objects.filter(number__in=numbers)}
    references = [cells[3].strip() for _n, cells in body if len(cells) == 4]
    existing = {payment.reference: payment for payment in Payment.objects.filter(reference__in=references)}
    rows: list[PaymentRow] = []
    skipped: list[str] = []
    seen: dict[str, int] = {}
    for number, cells in body:
        if len(cells) != 4:
            errors.append(
                _("Line %(line)s: 4 fields expected, found %(count)s.")
                % {"line": number, "count": len(cells)}
            )
            continue
        account_number, raw_amount, raw_date, reference = (cell.strip() for cell in cells)
        account = accounts.get(account_number)
        amount = _parse_amount(raw_amount)
        received_on = _parse_date(raw_date)
        problems = _check(account=account, amount=amount, received_on=received_on, reference=reference)
        if account is None:
            problems[0] = _("No account %(number)s.") % {"number": account_number or "(empty)"}
        if reference in seen:
            problems.append(
                _("Reference %(reference)s is also on line %(other)s.")
                % {"reference": reference, "other": seen[reference]}
            )
        seen.setdefault(reference, number)
        if not problems and reference in existing:
            earlier = existing[reference]
            if (earlier.account_id, earlier.amount, earlier.received_on) == (account.pk, amount, received_on):
                skipped.append(reference)
                continue
            problems.append(
                _("Reference %(reference)s was already recorded for another payment.")
                % {"reference": reference}
            )
        for problem in problems:
            errors.append(_("Line %(line)s: %(problem)s") % {"line": number, "problem": problem})
        if not problems:
            rows.append(PaymentRow(number, account, amount, received_on, reference))
    return rows, errors, skipped


def payment_file_import(*, content: bytes, filename: str, method: str, actor: Actor) -> ImportResult:
    """Validate every row of a payment file, then record all its new payments in one transaction, or none."""
    rows, errors, skipped = payment_file_read(content)
    result = ImportResult(errors=errors, already_recorded=skipped)
    if errors:
        return result
    try:
        with transaction.atomic():
            result.payment_import = PaymentImport.objects.create(
                filename=filename[:200],
                sha256=hashlib.sha256(content).hexdigest(),
                rows=len(rows) + len(skipped),
                recorded=len(rows),
                already_recorded=len(skipped),
                imported_at=timezone.now(),
                imported_by=_recorder(actor),
            )
            for row in rows:
                result.recorded.append(
                    payment_record(
                        account=row.account,
                        amount=row.amount,
                        received_on=row.received_on,
                        method=method,
                        reference=row.reference,
                        actor=actor,
                        payment_import=result.payment_import,
                    )
                )
    except PaymentRefused as error:  # raced by another import: nothing of this file was written
        result.errors = [
            _("Line %(line)s: %(problem)s") % {"line": row.line, "problem": message}
            for message in error.messages
        ]
        result.recorded = []
        result.payment_import = None
    return result
