"""Direct deposit: the one bank account an account's refunds go to. Setting or removing it needs a fresh
two-factor code, its number is stored encrypted and history keeps only its last four digits
(programs.services.account_changes)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, overload

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.actors import Actor
from accounts.crypto import decrypt, encrypt
from accounts.models import AccessLogEntry, User
from accounts.services import access_log_record
from programs import validators
from programs.models import AccountChange, DirectDeposit, ProgramAccount
from programs.services.account_changes import account_change_record, account_lock
from tracs import log_context

NO_DIRECT_DEPOSIT = _("This account has no direct deposit to remove.")
TWO_FACTOR_REFUSED = _(
    "That code is not correct, or it was already used. Enter the 6-digit code your authenticator app shows now."
)
TWO_FACTOR_NO_DEVICE = _(
    "Set up an authenticator app under Two-factor verification first: a change of direct deposit needs its code."
)
TWO_FACTOR_WAIT = _(
    "Too many wrong codes in a row. Wait a minute, then enter the code your authenticator app shows then."
)
OTP_FIELD = "otp_token"


def _deposit_values(
    *, institution_number: str, transit_number: str, account_number: str, holder_name: str
) -> dict[str, Any]:
    # What the person typed, and its digits, are never shown on a log line of this request (tracs/log_context.py).
    log_context.secret(transit_number, account_number, "".join(ch for ch in account_number if ch.isdigit()))
    values: dict[str, str] = {"holder_name": holder_name.strip()}
    errors: dict[str, list[ValidationError]] = {}
    for field, typed, normalize in (
        ("institution_number", institution_number, validators.institution_number_normalize),
        ("transit_number", transit_number, validators.transit_number_normalize),
        ("account_number", account_number, validators.bank_account_number_normalize),
    ):
        try:
            values[field] = normalize(typed)
        except ValidationError as error:
            errors[field] = error.error_list
    if not values["holder_name"]:
        errors["holder_name"] = [ValidationError(_("This field is required."), code="required")]
    if errors:
        raise ValidationError(errors)
    return values


@overload
def _deposit_snapshot(deposit: DirectDeposit) -> dict[str, Any]: ...
@overload
def _deposit_snapshot(deposit: None) -> None: ...
@overload
def _deposit_snapshot(deposit: DirectDeposit | None) -> dict[str, Any] | None: ...


def _deposit_snapshot(deposit: DirectDeposit | None) -> dict[str, Any] | None:
    """What history keeps of a bank account: never the account number, only its last four digits."""
    if deposit is None:
        return None
    return {
        "institution_number": deposit.institution_number,
        "transit_number": deposit.transit_number,
        "account_number": deposit.masked,
        "holder_name": deposit.holder_name,
    }


def _fresh_two_factor(*, user: User, token: str, account: ProgramAccount, actor: Actor) -> None:
    """A sensitive change needs the code the person's authenticator shows now, even in a verified session:
    a session left open, or taken over, must not be enough to send refunds elsewhere.

    `verify_token` refuses a time step already used (replay) and throttles wrong codes. It runs outside the
    change's transaction, so that a refused code's throttling and its security-log row are kept, not rolled
    back with the change."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        raise ValidationError({OTP_FIELD: [ValidationError(TWO_FACTOR_NO_DEVICE, code="no_device")]})
    allowed, _why = device.verify_is_allowed()
    accepted = allowed and device.verify_token((token or "").replace(" ", ""))
    if accepted:
        return
    with transaction.atomic():
        access_log_record(
            actor=actor,
            kind=AccessLogEntry.Kind.SECURITY,
            action="two-factor code refused for a direct deposit change",
            account_number=account.number,
            on_behalf_of=account.on_behalf_of,
        )
    message = TWO_FACTOR_REFUSED if allowed else TWO_FACTOR_WAIT
    raise ValidationError({OTP_FIELD: [ValidationError(message, code="otp_refused")]})


def direct_deposit_set(
    *,
    account: ProgramAccount,
    institution_number: str,
    transit_number: str,
    account_number: str,
    holder_name: str,
    otp_token: str,
    by: User,
    notify: Iterable[str] = (),
    actor: Actor,
) -> AccountChange | None:
    """Add or replace the one bank account refunds go to, after a fresh two-factor code. The number is
    stored encrypted. Returns the history row written, or None when the same account was entered again.

    The bank details are checked before the code, so a typing mistake does not use up the person's code."""
    values = _deposit_values(
        institution_number=institution_number,
        transit_number=transit_number,
        account_number=account_number,
        holder_name=holder_name,
    )
    _fresh_two_factor(user=by, token=otp_token, account=account, actor=actor)
    return _direct_deposit_write(account=account, values=values, by=by, notify=notify, actor=actor)


@transaction.atomic
def _direct_deposit_write(
    *,
    account: ProgramAccount,
    values: dict[str, Any],
    by: User,
    notify: Iterable[str],
    actor: Actor,
) -> AccountChange | None:
    account = account_lock(account)
    deposit = DirectDeposit.objects.filter(account=account).first()
    before = _deposit_snapshot(deposit)
    if (
        deposit is not None
        and all(
            getattr(deposit, name) == values[name]
            for name in ("institution_number", "transit_number", "holder_name")
        )
        and decrypt(deposit.account_number_encrypted) == values["account_number"]
    ):
        return None
    if deposit is None:
        deposit = DirectDeposit(account=account)
    deposit.institution_number = values["institution_number"]
    deposit.transit_number = values["transit_number"]
    deposit.holder_name = values["holder_name"]
    deposit.account_number_encrypted = encrypt(values["account_number"])
    deposit.account_number_last4 = values["account_number"][-4:]
    deposit.updated_by = by
    deposit.full_clean()
    deposit.save()
    return account_change_record(
        account=account,
        subject=AccountChange.Subject.DIRECT_DEPOSIT,
        action=AccountChange.Action.ADDED if before is None else AccountChange.Action.CHANGED,
        before=before,
        after=_deposit_snapshot(deposit),
        by=by,
        capacity=actor.capacity,
        notify=notify,
        actor=actor,
        detail=f"bank account {deposit.masked}; confirmed with a fresh two-factor code",
    )


def direct_deposit_remove(
    *,
    account: ProgramAccount,
    otp_token: str,
    by: User,
    notify: Iterable[str] = (),
    actor: Actor,
) -> AccountChange:
    """Stop direct deposit: refunds then go by cheque to the mailing address of record. Needs a fresh
    two-factor code too (removing it, then changing the address, would redirect refunds as surely)."""
    if not DirectDeposit.objects.filter(account=account).exists():
        raise ValidationError(NO_DIRECT_DEPOSIT)
    _fresh_two_factor(user=by, token=otp_token, account=account, actor=actor)
    return _direct_deposit_delete(account=account, by=by, notify=notify, actor=actor)


@transaction.atomic
def _direct_deposit_delete(
    *, account: ProgramAccount, by: User, notify: Iterable[str], actor: Actor
) -> AccountChange:
    account = account_lock(account)
    deposit = DirectDeposit.objects.filter(account=account).first()
    if deposit is None:  # removed by someone else since the check above
        raise ValidationError(NO_DIRECT_DEPOSIT)
    before = _deposit_snapshot(deposit)
    deposit.delete()
    return account_change_record(
        account=account,
        subject=AccountChange.Subject.DIRECT_DEPOSIT,
        action=AccountChange.Action.REMOVED,
        before=before,
        after=None,
        by=by,
        capacity=actor.capacity,
        notify=notify,
        actor=actor,
        detail=f"bank account {before['account_number']}; confirmed with a fresh two-factor code",
    )
