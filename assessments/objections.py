"""Filing a Notice of Objection (AT4762) or a Request for a Waiver of Penalties and Interest (AT4764): the part
that needs the assessments app (docs/adr/0008-objections-and-waivers.md).

The rows and their writes are assessments/models_objections.py and assessments/objection_filing.py; the
wizards' checks against notices, the ledger and the objection rules live here and call those writes:

- **What may be objected to**: the account's notices of assessment or reassessment and letters of assessment
  (a notice of decision on an objection or a waiver cannot itself be objected to: that goes to the courts), or a
  letter of refusal, disallowance, suspension or cancellation whose date the person enters.
- **When** (DOMAIN.md, AT4762): counted in days from the date of the notice or letter to the day TRA receives the
  objection (in Alberta). Up to the `objection_days` rule (90): filed as is. Beyond it and up to 1 year + 90 days
  (the calendar date `objection_extension_years` after the notice, then `objection_days`: 455 days, 456 when that
  year holds a 29 February; rules.objection_extended_deadline): only with a reason for the extension. Beyond that:
  refused. Both rules are dated data (assessments/rules/assessment.yaml), applied by the date of the notice.
- **What may be waived**: the account's posted penalty and interest transactions not already reversed.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.actors import Actor
from assessments import objection_filing, rules
from assessments.models import LedgerTransaction, Notice
from assessments.models_objections import Objection, WaiverRequest
from filings.periods import Period
from programs import money
from programs.models import ProgramAccount

Kind = LedgerTransaction.Kind
OBJECTABLE_KINDS = (Notice.Kind.ASSESSMENT, Notice.Kind.REASSESSMENT, Notice.Kind.LETTER_OF_ASSESSMENT)
WAIVABLE_KINDS = (Kind.PENALTY, Kind.INTEREST)

NOTICE_REQUIRED = _("Choose the notice you object to.")
LETTER_KIND_REQUIRED = _("Choose the kind of letter you object to.")
LETTER_DATE_REQUIRED = _("Enter the date of the letter.")
LETTER_DATE_FUTURE = _("The date of the letter cannot be after today.")
AMOUNT_REQUIRED = _("Enter the amount in dispute, in dollars and cents, more than $0.00.")
TOO_LATE = _(
    "The %(what)s is dated %(dated)s: a Notice of Objection had to be received within 1 year and 90 days of its "
    "date (with a reason for the extension), that is by %(last)s. It can no longer be filed in TRACS."
)
TRANSACTIONS_REQUIRED = objection_filing.CHARGES_REQUIRED
TRANSACTION_NOT_WAIVABLE = _(
    "One of the charges chosen is no longer a penalty or interest charge of this account that can be waived "
    "(it may have been reversed). Choose again."
)
GROUNDS_REQUIRED = _("Choose at least one reason for the request.")


@dataclass(frozen=True)
class ObjectionWindow:
    """How old the notice or letter is when the objection is received, against the dated rules."""

    dated_on: date
    received_on: date
    days: int  # the objection period (90)
    last_day: date  # the last day with a reason for the extension (a year after the notice, then 90 days)

    @property
    def age(self) -> int:
        return (self.received_on - self.dated_on).days

    @property
    def needs_extension_reason(self) -> bool:
        return self.age > self.days and not self.too_late

    @property
    def too_late(self) -> bool:
        return self.received_on > self.last_day


def objection_window(*, dated_on: date, received_on: date | None = None) -> ObjectionWindow:
    received_on = received_on or timezone.localdate()
    return ObjectionWindow(
        dated_on=dated_on,
        received_on=received_on,
        days=rules.days_on(rule=rules.OBJECTION_DAYS, day=dated_on),
        last_day=rules.objection_extended_deadline(assessed_on=dated_on),
    )


def objectable_notices(*, account: ProgramAccount) -> QuerySet[Notice]:
    """The account's notices a Notice of Objection can be filed against, newest first."""
    return Notice.objects.filter(account=account, kind__in=OBJECTABLE_KINDS).order_by("-issued_on", "-id")


def waivable_transactions(*, account: ProgramAccount) -> QuerySet[LedgerTransaction]:
    """The account's posted penalty and interest charges not reversed, oldest period first."""
    return LedgerTransaction.objects.filter(
        account=account, kind__in=WAIVABLE_KINDS, amount__gt=0, reversed_by__isnull=True
    ).order_by("period_end", "processed_on", "id")


# --- The objection wizard's steps ----------------------------------------------------------------------------


def objection_subject_check(
    *,
    account: ProgramAccount,
    against: str,
    notice_id: int | None = None,
    amount_in_dispute: str | Decimal | None = None,
    letter_kind: str = "",
    letter_dated_on: date | None = None,
    received_on: date | None = None,
) -> dict[str, Any]:
    """Step 1: what is objected to, and whether it is still in time. Returns what the wizard keeps (JSON-safe,
    with `extension_after_days` set when a reason for the extension is required); a ValidationError names the
    field at fault."""
    received_on = received_on or timezone.localdate()
    if against == Objection.Against.NOTICE:
        notice = objectable_notices(account=account).filter(pk=notice_id).first() if notice_id else None
        if notice is None:
            raise ValidationError({"notice": [ValidationError(NOTICE_REQUIRED, code="required")]})
        try:
            amount = money.parse_money(amount_in_dispute)
        except (money.AmountError, TypeError):
            amount = None
        if amount is None or amount <= 0:
            raise ValidationError({"amount_in_dispute": [ValidationError(AMOUNT_REQUIRED, code="amount")]})
        dated_on, field, what = notice.issued_on, "notice", notice.title.lower()
        subject = {
            "notice_id": notice.pk,
            "notice_reference": notice.reference,
            "period_start": notice.period_start.isoformat(),
            "period_end": notice.period_end.isoformat(),
            "amount_in_dispute": str(amount),
            "letter_kind": "",
        }
    else:
        errors = {}
        if letter_kind not in Objection.LetterKind.values:
            errors["letter_kind"] = [ValidationError(LETTER_KIND_REQUIRED, code="required")]
        if letter_dated_on is None:
            errors["letter_dated_on"] = [ValidationError(LETTER_DATE_REQUIRED, code="required")]
        elif letter_dated_on > received_on:
            errors["letter_dated_on"] = [ValidationError(LETTER_DATE_FUTURE, code="future")]
        if errors:
            raise ValidationError(errors)
        dated_on, field, what = letter_dated_on, "letter_dated_on", _("letter")
        subject = {
            "notice_id": None,
            "notice_reference": "",
            "period_start": "",
            "period_end": "",
            "letter_kind": letter_kind,
        }
        subject["amount_in_dispute"] = ""
    window = objection_window(dated_on=dated_on, received_on=received_on)
    if window.too_late:
        raise ValidationError(
            {
                field: [
                    ValidationError(
                        TOO_LATE
                        % {
                            "what": what,
                            "dated": f"{dated_on:%Y-%m-%d}",
                            "last": f"{window.last_day:%Y-%m-%d}",
                        },
                        code="too_late",
                    )
                ]
            }
        )
    return {
        **subject,
        "against": against,
        "dated_on": dated_on.isoformat(),
        "extension_after_days": window.days if window.needs_extension_reason else None,
    }


def objection_submit(
    *,
    account: ProgramAccount,
    state: dict[str, Any],
    documents: Sequence[dict[str, Any]],
    representative: objection_filing.Representative,
    actor: Actor,
) -> Objection:
    """The wizard's last step: check step 1 again as of today (a day may have passed, or the notice gone), then
    file through filings in one transaction."""
    subject = objection_subject_check(
        account=account,
        against=state.get("against", ""),
        notice_id=state.get("notice_id"),
        amount_in_dispute=state.get("amount_in_dispute") or None,
        letter_kind=state.get("letter_kind", ""),
        letter_dated_on=date.fromisoformat(state["dated_on"]) if state.get("dated_on") else None,
    )
    is_notice = subject["against"] == Objection.Against.NOTICE
    return objection_filing.objection_file(
        account=account,
        against=subject["against"],
        dated_on=date.fromisoformat(subject["dated_on"]),
        notice=Notice.objects.get(pk=subject["notice_id"]) if is_notice else None,
        period_start=date.fromisoformat(subject["period_start"]) if is_notice else None,
        period_end=date.fromisoformat(subject["period_end"]) if is_notice else None,
        amount_in_dispute=Decimal(subject["amount_in_dispute"]) if is_notice else None,
        letter_kind=subject["letter_kind"],
        submission_token=_token(state),
        facts=state.get("facts", ""),
        extension_needed_after_days=subject["extension_after_days"],
        extension_reason=state.get("extension_reason", ""),
        representative=representative,
        documents=documents,
        actor=actor,
    )


# --- The waiver wizard ----------------------------------------------------------------------------------------


def waiver_charges_check(
    *, account: ProgramAccount, transaction_ids: Sequence[int]
) -> list[LedgerTransaction]:
    """Step 1: the charges chosen, each a waivable penalty or interest charge of the account."""
    wanted = {int(pk) for pk in transaction_ids}
    if not wanted:
        raise ValidationError({"transactions": [ValidationError(TRANSACTIONS_REQUIRED, code="required")]})
    found = list(waivable_transactions(account=account).filter(pk__in=wanted))
    if len(found) != len(wanted):
        raise ValidationError(
            {"transactions": [ValidationError(TRANSACTION_NOT_WAIVABLE, code="not_waivable")]}
        )
    return found


def waiver_grounds_check(*, grounds: Sequence[str]) -> list[str]:
    chosen = [ground for ground in WaiverRequest.Ground.values if ground in set(grounds)]
    if not chosen:
        raise ValidationError({"grounds": [ValidationError(GROUNDS_REQUIRED, code="required")]})
    return chosen


def waiver_submit(
    *,
    account: ProgramAccount,
    state: dict[str, Any],
    documents: Sequence[dict[str, Any]],
    representative: objection_filing.Representative,
    actor: Actor,
) -> WaiverRequest:
    charges = waiver_charges_check(account=account, transaction_ids=state.get("transaction_ids", []))
    return objection_filing.waiver_request_file(
        account=account,
        transaction_ids=[charge.pk for charge in charges],
        amount_requested=sum((charge.amount for charge in charges), start=money.cents(Decimal(0))),
        period_ends=[charge.period_end for charge in charges],
        grounds=waiver_grounds_check(grounds=state.get("grounds", [])),
        submission_token=_token(state),
        facts=state.get("facts", ""),
        representative=representative,
        documents=documents,
        actor=actor,
    )


def _token(state: dict[str, Any]) -> uuid.UUID | None:
    """The wizard's submission token (drawn when it started): the same wizard sent twice files once."""
    return uuid.UUID(state["submission_token"]) if state.get("submission_token") else None


def period_label(period_end: date) -> str:
    return Period.of(period_end).label
