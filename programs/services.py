from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any, overload

import yaml
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.crypto import decrypt, encrypt
from accounts.models import AccessLogEntry, User
from accounts.services import access_log_record, email_queue
from programs import dates, documents, rates, validators
from programs.models import (
    AccountChange,
    Address,
    Contact,
    DirectDeposit,
    Document,
    DocumentFile,
    Holiday,
    Message,
    MessageRead,
    MessageReply,
    Program,
    ProgramAccount,
    ProgramAccountEvent,
    Taxpayer,
    TaxRate,
)

ACCOUNT_ALREADY_CLOSED = _("This account is already closed.")

REFERENCE_DIR = Path(__file__).resolve().parent / "reference"

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def reference_data_load(*, using: str = "default") -> None:
    """Load programs, rates and holidays from their YAML into tables. Idempotent: run on every migrate."""
    with transaction.atomic(using=using):
        programs = yaml.safe_load((REFERENCE_DIR / "programs.yaml").read_text())["programs"]
        for item in programs:
            Program.objects.using(using).update_or_create(
                code=item["code"],
                defaults={
                    "number": item["number"],
                    "name": item["name"],
                    "description": item.get("description", ""),
                    "files_returns": item.get("files_returns", False),
                },
            )
        TaxRate.objects.using(using).all().delete()
        TaxRate.objects.using(using).bulk_create(
            TaxRate(tax=r.tax, fuel=r.fuel, effective_from=r.effective_from, value=r.value, source=r.source)
            for schedule in rates.schedules().values()
            for fuel_rows in schedule.entries.values()
            for r in fuel_rows
        )
        Holiday.objects.using(using).all().delete()
        Holiday.objects.using(using).bulk_create(
            Holiday(date=day, name=name) for day, name in dates.holidays().items()
        )


def _event(*, account: ProgramAccount, kind: str, actor: User | None, detail: str = "") -> None:
    ProgramAccountEvent.objects.create(account=account, kind=kind, actor=actor, detail=detail)


@transaction.atomic
def taxpayer_create(
    *, legal_name: str, bin: str | None = None, kind: str = Taxpayer.Kind.BUSINESS, by: User | None = None
) -> Taxpayer:  # noqa: A002
    """A new taxpayer; a BIN is assigned when none is given (registration of a new business)."""
    taxpayer = Taxpayer(legal_name=legal_name, bin=bin or bin_allocate(), kind=kind)
    taxpayer.full_clean()
    taxpayer.save()
    access_log_record(
        actor=by,
        kind=AccessLogEntry.Kind.CHANGE,
        action="taxpayer created",
        detail=f"{legal_name} BIN {taxpayer.bin}",
    )
    return taxpayer


def bin_allocate() -> str:
    """The next free 9-digit BIN, from a PostgreSQL sequence (no two registrations get the same one)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval('programs_bin_seq')")
        value = cursor.fetchone()[0]
    return f"{value:09d}"


@transaction.atomic
def account_open(
    *,
    taxpayer: Taxpayer,
    program: Program,
    effective_date: date,
    by: User | None = None,
    trade_name: str = "",
    mailing_address: dict[str, Any] | None = None,
) -> ProgramAccount:
    last = (
        ProgramAccount.objects.select_for_update()
        .filter(taxpayer=taxpayer, program=program)
        .order_by("-sequence")
        .first()
    )
    sequence = (last.sequence + 1) if last else 1
    account = ProgramAccount(
        taxpayer=taxpayer,
        program=program,
        sequence=sequence,
        number=ProgramAccount.compose_number(
            bin=taxpayer.bin, program_number=program.number, sequence=sequence
        ),
        trade_name=trade_name,
        effective_date=effective_date,
    )
    account.full_clean()
    account.save()
    if mailing_address:
        address = Address(account=account, kind=Address.Kind.MAILING, **mailing_address)
        address.full_clean()
        address.save()
    _event(account=account, kind="opened", actor=by, detail=f"effective {effective_date.isoformat()}")
    access_log_record(
        actor=by,
        kind=AccessLogEntry.Kind.CHANGE,
        action="account opened",
        account_number=account.number,
        capacity="staff" if by else "",
    )
    return account


@transaction.atomic
def account_close(*, account: ProgramAccount, closed_on: date, by: User, reason: str = "") -> ProgramAccount:
    if account.status == ProgramAccount.Status.CLOSED:
        raise ValidationError(ACCOUNT_ALREADY_CLOSED)
    account.status = ProgramAccount.Status.CLOSED
    account.closed_on = closed_on
    account.save(update_fields=["status", "closed_on"])
    _event(
        account=account,
        kind="closed",
        actor=by,
        detail=f"closed on {closed_on.isoformat()}. {reason}".strip(),
    )
    access_log_record(
        actor=by,
        kind=AccessLogEntry.Kind.CHANGE,
        action="account closed",
        account_number=account.number,
        capacity="staff",
    )
    return account


@transaction.atomic
def account_reopen(*, account: ProgramAccount, by: User) -> ProgramAccount:
    account.status = ProgramAccount.Status.ACTIVE
    account.closed_on = None
    account.save(update_fields=["status", "closed_on"])
    _event(account=account, kind="reopened", actor=by)
    access_log_record(
        actor=by,
        kind=AccessLogEntry.Kind.CHANGE,
        action="account reopened",
        account_number=account.number,
        capacity="staff",
    )
    return account


@transaction.atomic
def account_transfer(
    *, account: ProgramAccount, to_taxpayer: Taxpayer, by: User, reason: str = ""
) -> ProgramAccount:
    """Move an account to another taxpayer (sale, amalgamation). The number stays: it names the account, and
    the BIN inside it is the BIN at opening (docs/account-numbers.md). Access is reset by the caller."""
    before = account.taxpayer
    account.taxpayer = to_taxpayer
    account.save(update_fields=["taxpayer"])
    _event(
        account=account,
        kind="transferred",
        actor=by,
        detail=f"from {before} to {to_taxpayer}. {reason}".strip(),
    )
    access_log_record(
        actor=by,
        kind=AccessLogEntry.Kind.CHANGE,
        action="account transferred",
        account_number=account.number,
        capacity="staff",
    )
    return account


# --- Addresses, contacts and direct deposit: changes made by account holders --------------------------------
#
# Programs know nothing of grants, so the caller (the access layer above) says in which capacity the person
# acts and whom to tell (`notify`: the account's owners). Every change writes an AccountChange (before and
# after), an access-log row and the owners' e-mail in one transaction. E-mails say what kind of change was
# made and when, never the new values: addresses and bank details stay behind the sign-in.

ADDRESS_KIND_UNKNOWN = _("Choose the mailing address or the business location.")
CONTACT_NEEDS_PHONE_OR_EMAIL = _("Give a phone number or an e-mail address, so TRA can reach this person.")
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

CAPACITY_WORDS = {
    "owner": _("account owner"),
    "delegate": _("delegate"),
    "representative": _("representative"),
    "staff": _("TRA staff"),
}

# Keyed by the stored value (a TextChoices member is its str): callers pass either.
ADDRESS_SUBJECT: dict[str, str] = {
    Address.Kind.MAILING: AccountChange.Subject.MAILING_ADDRESS,
    Address.Kind.LOCATION: AccountChange.Subject.LOCATION_ADDRESS,
}

# What the owners' e-mail says happened: (subject, action) -> phrase. No values, only the kind of change.
CHANGE_PHRASES: dict[tuple[str, str], StrOrPromise] = {
    (AccountChange.Subject.MAILING_ADDRESS, AccountChange.Action.ADDED): _("a mailing address was added"),
    (AccountChange.Subject.MAILING_ADDRESS, AccountChange.Action.CHANGED): _(
        "the mailing address was changed"
    ),
    (AccountChange.Subject.MAILING_ADDRESS, AccountChange.Action.REMOVED): _(
        "the mailing address was removed"
    ),
    (AccountChange.Subject.LOCATION_ADDRESS, AccountChange.Action.ADDED): _(
        "a business location address was added"
    ),
    (AccountChange.Subject.LOCATION_ADDRESS, AccountChange.Action.CHANGED): _(
        "the business location address was changed"
    ),
    (AccountChange.Subject.LOCATION_ADDRESS, AccountChange.Action.REMOVED): _(
        "the business location address was removed"
    ),
    (AccountChange.Subject.CONTACT, AccountChange.Action.ADDED): _("a contact person was added"),
    (AccountChange.Subject.CONTACT, AccountChange.Action.CHANGED): _(
        "a contact person's details were changed"
    ),
    (AccountChange.Subject.CONTACT, AccountChange.Action.REMOVED): _("a contact person was removed"),
    (AccountChange.Subject.DIRECT_DEPOSIT, AccountChange.Action.ADDED): _("direct deposit was set up"),
    (AccountChange.Subject.DIRECT_DEPOSIT, AccountChange.Action.CHANGED): _(
        "the direct deposit bank account was changed"
    ),
    (AccountChange.Subject.DIRECT_DEPOSIT, AccountChange.Action.REMOVED): _(
        "direct deposit was removed; refunds will go by cheque to the mailing address of record"
    ),
}


def _lock(account: ProgramAccount) -> ProgramAccount:
    """Changes to one account's details queue up behind each other, so each one's `before` is true."""
    return ProgramAccount.objects.select_for_update().select_related("taxpayer", "program").get(pk=account.pk)


def _record_change(
    *,
    account: ProgramAccount,
    subject: str,
    action: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    by: User,
    capacity: str,
    notify: Iterable[str],
    request: HttpRequest | None,
    detail: str = "",
) -> AccountChange:
    actor = by if by is not None and by.is_authenticated else None
    change = AccountChange.objects.create(
        account=account,
        actor=actor,
        actor_email=actor.email if actor else "",
        capacity=capacity,
        subject=subject,
        action=action,
        before=before,
        after=after,
    )
    phrase = CHANGE_PHRASES[(subject, action)]
    with translation.override("en"):  # the log reads the same whatever language the person uses
        logged_action = str(phrase)[:120]
    access_log_record(
        actor=actor,
        kind=AccessLogEntry.Kind.CHANGE,
        action=logged_action,
        account_number=account.number,
        on_behalf_of=account.on_behalf_of,
        capacity=capacity,
        detail=detail,
        request=request,
    )
    recipients = list(notify)
    if recipients:
        when = timezone.localtime(change.occurred_at)
        who = actor.display_name if actor else str(_("TRA"))
        role = CAPACITY_WORDS.get(capacity)
        email_queue(
            to=recipients,
            subject=str(
                _("TRACS: account %(number)s: %(what)s") % {"number": account.number, "what": phrase}
            ),
            body=str(
                _(
                    "In TRACS, %(what)s for account %(number)s (%(program)s) on %(day)s at %(time)s Alberta time, by %(who)s%(role)s.\n\n"
                    "Sign in to TRACS to see the account's details. If you did not expect this change, contact "
                    "Tax and Revenue Administration at once: 780-427-3044 (toll-free in Alberta: dial 310-0000 first) "
                    "or TRA.Revenue@gov.ab.ca.\n\n"
                    "You receive this e-mail because you are an owner of the account."
                )
                % {
                    "what": phrase,
                    "number": account.number,
                    "program": account.program.name,
                    "day": when.strftime("%Y-%m-%d"),
                    "time": when.strftime("%H:%M"),
                    "who": who,
                    "role": f" ({role})" if role else "",
                }
            ),
            purpose="account-change",
        )
    return change


# --- Addresses ---


def _address_values(*, line1: str, line2: str, city: str, province: str, postal_code: str) -> dict[str, Any]:
    """Normalized address values, or a ValidationError naming each field that is wrong."""
    values = {
        "line1": line1.strip(),
        "line2": line2.strip(),
        "city": city.strip(),
        "province": "",
        "postal_code": "",
    }
    errors: dict[str, list[ValidationError]] = {}
    for name in ("line1", "city"):
        if not values[name]:
            errors[name] = [ValidationError(_("This field is required."), code="required")]
    try:
        values["province"] = validators.province_normalize(province)
    except ValidationError as error:
        errors["province"] = error.error_list
    try:
        values["postal_code"] = validators.postal_code_normalize(postal_code)
    except ValidationError as error:
        errors["postal_code"] = error.error_list
    if values["province"] and values["postal_code"]:
        try:
            validators.postal_code_in_province(postal_code=values["postal_code"], province=values["province"])
        except ValidationError as error:
            errors["postal_code"] = error.error_list
    if errors:
        raise ValidationError(errors)
    return values


def _address_snapshot(address: Address | None) -> dict[str, Any] | None:
    if address is None:
        return None
    return {name: getattr(address, name) for name in ("line1", "line2", "city", "province", "postal_code")}


@transaction.atomic
def address_update(
    *,
    account: ProgramAccount,
    kind: str,
    line1: str,
    line2: str = "",
    city: str,
    province: str,
    postal_code: str,
    by: User,
    capacity: str = "",
    notify: Iterable[str] = (),
    request: HttpRequest | None = None,
) -> AccountChange | None:
    """Set the mailing address (of record: cheques and letters go there) or the business location of an
    account. Returns the history row written, or None when nothing changed."""
    if kind not in Address.Kind.values:
        raise ValidationError(ADDRESS_KIND_UNKNOWN)
    values = _address_values(line1=line1, line2=line2, city=city, province=province, postal_code=postal_code)
    account = _lock(account)
    address = Address.objects.filter(account=account, kind=kind).first()
    before = _address_snapshot(address)
    if before == values:
        return None
    if address is None:
        address = Address(account=account, kind=kind, country="CA")
    for name, value in values.items():
        setattr(address, name, value)
    address.full_clean()
    address.save()
    return _record_change(
        account=account,
        subject=ADDRESS_SUBJECT[kind],
        action=AccountChange.Action.ADDED if before is None else AccountChange.Action.CHANGED,
        before=before,
        after=values,
        by=by,
        capacity=capacity,
        notify=notify,
        request=request,
    )


def address_snapshots(*, account: ProgramAccount) -> dict[str, dict[str, Any] | None]:
    """The account's addresses by kind, as history records them (for `staff_address_changes_record`)."""
    addresses = {address.kind: address for address in Address.objects.filter(account=account)}
    return {kind: _address_snapshot(addresses.get(kind)) for kind in Address.Kind.values}


def staff_address_changes_record(
    *,
    account: ProgramAccount,
    before: dict[str, dict[str, Any] | None],
    by: User,
    request: HttpRequest | None = None,
) -> list[AccountChange]:
    """Staff edit an account's addresses in Django admin, whose inline saves them (validated by
    programs.forms.AddressAdminForm). This keeps the same history as a change made in the portal, comparing
    `before` (address_snapshots taken before the save) with what is stored now. Runs in admin's transaction."""
    changes = []
    for kind, after in address_snapshots(account=account).items():
        old = before.get(kind)
        if after == old:
            continue
        if old is None:
            action = AccountChange.Action.ADDED
        elif after is None:
            action = AccountChange.Action.REMOVED
        else:
            action = AccountChange.Action.CHANGED
        changes.append(
            _record_change(
                account=account,
                subject=ADDRESS_SUBJECT[kind],
                action=action,
                before=old,
                after=after,
                by=by,
                capacity="staff",
                notify=(),
                request=request,
            )
        )
    return changes


# --- Contact persons ---


def _contact_values(*, name: str, title: str, phone: str, email: str) -> dict[str, Any]:
    values = {
        "name": name.strip(),
        "title": title.strip(),
        "phone": "",
        "phone_extension": "",
        "email": email.strip().lower(),
    }
    errors: dict[str, list[ValidationError]] = {}
    if not values["name"]:
        errors["name"] = [ValidationError(_("This field is required."), code="required")]
    if phone.strip():
        try:
            values["phone"], values["phone_extension"] = validators.phone_normalize(phone)
        except ValidationError as error:
            errors["phone"] = error.error_list
    if values["email"]:
        try:
            validate_email(values["email"])
        except ValidationError as error:
            errors["email"] = error.error_list
    if not phone.strip() and not values["email"]:
        errors["phone"] = [ValidationError(CONTACT_NEEDS_PHONE_OR_EMAIL, code="phone_or_email")]
    if errors:
        raise ValidationError(errors)
    return values


def _contact_snapshot(contact: Contact) -> dict[str, Any]:
    return {
        name: getattr(contact, name)
        for name in ("name", "title", "phone", "phone_extension", "email", "is_primary")
    }


def _take_primary(*, account: ProgramAccount, contact: Contact | None = None) -> None:
    """One primary contact per account (a database constraint): the old one gives up the flag first."""
    others = Contact.objects.filter(account=account, is_primary=True)
    if contact is not None:
        others = others.exclude(pk=contact.pk)
    others.update(is_primary=False)


@transaction.atomic
def contact_add(
    *,
    account: ProgramAccount,
    name: str,
    title: str = "",
    phone: str = "",
    email: str = "",
    is_primary: bool = False,
    by: User,
    capacity: str = "",
    notify: Iterable[str] = (),
    request: HttpRequest | None = None,
) -> AccountChange:
    values = _contact_values(name=name, title=title, phone=phone, email=email)
    account = _lock(account)
    contact = Contact(account=account, **values)
    # The first contact of an account is its primary contact, whatever was ticked.
    contact.is_primary = is_primary or not Contact.objects.filter(account=account, is_primary=True).exists()
    if contact.is_primary:
        _take_primary(account=account)
    contact.full_clean()
    contact.save()
    return _record_change(
        account=account,
        subject=AccountChange.Subject.CONTACT,
        action=AccountChange.Action.ADDED,
        before=None,
        after=_contact_snapshot(contact),
        by=by,
        capacity=capacity,
        notify=notify,
        request=request,
        detail=contact.name,
    )


@transaction.atomic
def contact_update(
    *,
    contact: Contact,
    name: str,
    title: str = "",
    phone: str = "",
    email: str = "",
    is_primary: bool = False,
    by: User,
    capacity: str = "",
    notify: Iterable[str] = (),
    request: HttpRequest | None = None,
) -> AccountChange | None:
    """Returns the history row written, or None when nothing changed."""
    values = _contact_values(name=name, title=title, phone=phone, email=email)
    account = _lock(contact.account)
    contact = Contact.objects.get(pk=contact.pk, account=account)
    before = _contact_snapshot(contact)
    # A primary contact stays primary until another is chosen: an account always names one if it has any.
    values["is_primary"] = contact.is_primary or is_primary
    if values == before:
        return None
    if values["is_primary"]:
        _take_primary(account=account, contact=contact)
    for field, value in values.items():
        setattr(contact, field, value)
    contact.full_clean()
    contact.save()
    return _record_change(
        account=account,
        subject=AccountChange.Subject.CONTACT,
        action=AccountChange.Action.CHANGED,
        before=before,
        after=_contact_snapshot(contact),
        by=by,
        capacity=capacity,
        notify=notify,
        request=request,
        detail=contact.name,
    )


@transaction.atomic
def contact_remove(
    *,
    contact: Contact,
    by: User,
    capacity: str = "",
    notify: Iterable[str] = (),
    request: HttpRequest | None = None,
) -> AccountChange:
    """Remove a contact person. When it was the primary contact, the longest-standing other contact (if
    any) becomes primary, so TRA always has one to call."""
    account = _lock(contact.account)
    contact = Contact.objects.get(pk=contact.pk, account=account)
    before = _contact_snapshot(contact)
    contact.delete()
    if before["is_primary"]:
        successor = Contact.objects.filter(account=account).order_by("created_at", "id").first()
        if successor is not None:
            successor.is_primary = True
            successor.save(update_fields=["is_primary", "updated_at"])
    return _record_change(
        account=account,
        subject=AccountChange.Subject.CONTACT,
        action=AccountChange.Action.REMOVED,
        before=before,
        after=None,
        by=by,
        capacity=capacity,
        notify=notify,
        request=request,
        detail=before["name"],
    )


# --- Direct deposit ---


def _deposit_values(
    *, institution_number: str, transit_number: str, account_number: str, holder_name: str
) -> dict[str, Any]:
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


def _fresh_two_factor(
    *, user: User, token: str, account: ProgramAccount, request: HttpRequest | None
) -> None:
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
            actor=user,
            kind=AccessLogEntry.Kind.SECURITY,
            action="two-factor code refused for a direct deposit change",
            account_number=account.number,
            on_behalf_of=account.on_behalf_of,
            request=request,
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
    capacity: str = "",
    notify: Iterable[str] = (),
    request: HttpRequest | None = None,
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
    _fresh_two_factor(user=by, token=otp_token, account=account, request=request)
    return _direct_deposit_write(
        account=account, values=values, by=by, capacity=capacity, notify=notify, request=request
    )


@transaction.atomic
def _direct_deposit_write(
    *,
    account: ProgramAccount,
    values: dict[str, Any],
    by: User,
    capacity: str,
    notify: Iterable[str],
    request: HttpRequest | None,
) -> AccountChange | None:
    account = _lock(account)
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
    return _record_change(
        account=account,
        subject=AccountChange.Subject.DIRECT_DEPOSIT,
        action=AccountChange.Action.ADDED if before is None else AccountChange.Action.CHANGED,
        before=before,
        after=_deposit_snapshot(deposit),
        by=by,
        capacity=capacity,
        notify=notify,
        request=request,
        detail=f"bank account {deposit.masked}; confirmed with a fresh two-factor code",
    )


def direct_deposit_remove(
    *,
    account: ProgramAccount,
    otp_token: str,
    by: User,
    capacity: str = "",
    notify: Iterable[str] = (),
    request: HttpRequest | None = None,
) -> AccountChange:
    """Stop direct deposit: refunds then go by cheque to the mailing address of record. Needs a fresh
    two-factor code too (removing it, then changing the address, would redirect refunds as surely)."""
    if not DirectDeposit.objects.filter(account=account).exists():
        raise ValidationError(NO_DIRECT_DEPOSIT)
    _fresh_two_factor(user=by, token=otp_token, account=account, request=request)
    return _direct_deposit_delete(account=account, by=by, capacity=capacity, notify=notify, request=request)


@transaction.atomic
def _direct_deposit_delete(
    *, account: ProgramAccount, by: User, capacity: str, notify: Iterable[str], request: HttpRequest | None
) -> AccountChange:
    account = _lock(account)
    deposit = DirectDeposit.objects.filter(account=account).first()
    if deposit is None:  # removed by someone else since the check above
        raise ValidationError(NO_DIRECT_DEPOSIT)
    before = _deposit_snapshot(deposit)
    deposit.delete()
    return _record_change(
        account=account,
        subject=AccountChange.Subject.DIRECT_DEPOSIT,
        action=AccountChange.Action.REMOVED,
        before=before,
        after=None,
        by=by,
        capacity=capacity,
        notify=notify,
        request=request,
        detail=f"bank account {before['account_number']}; confirmed with a fresh two-factor code",
    )


# --- Messages from TRA (issue 4, part 4) ---------------------------------------------------------------------
#
# Staff write to one account or to every account of a program (fanned out into one message per account in
# one transaction, so each account keeps its own thread and read state). The account's people read and
# answer in the portal; staff answer in Django admin. Programs know nothing of grants, so the caller (the
# access layer above, or its admin) says whom to tell: the owners, and the delegates and representatives
# whose access includes messages. The e-mail says only that a message is waiting, never its subject or text:
# messages stay behind the sign-in.

MESSAGE_SUBJECT_REQUIRED = _("Write a subject.")
MESSAGE_BODY_REQUIRED = _("Write the message.")
REPLY_BODY_REQUIRED = _("Write your answer before sending it.")
REPLY_TOO_LONG = _("An answer can be at most %(limit)s characters; yours has %(length)s.")
NO_ACCOUNTS_IN_PROGRAM = _("The program %(program)s has no active accounts to write to.")
REPLY_MAX_CHARS = 5_000


def _message_values(*, subject: str, body: str) -> tuple[str, str]:
    subject, body = subject.strip(), body.strip()
    errors: dict[str, list[ValidationError]] = {}
    if not subject:
        errors["subject"] = [ValidationError(MESSAGE_SUBJECT_REQUIRED, code="required")]
    if not body:
        errors["body"] = [ValidationError(MESSAGE_BODY_REQUIRED, code="required")]
    if errors:
        raise ValidationError(errors)
    return subject, body


def _message_notices(*, accounts_by_recipient: dict[str, list[ProgramAccount]]) -> None:
    """One e-mail per person (never a shared To: line: a representative must not learn the owners'
    addresses), naming the accounts with a message waiting and nothing of the messages themselves."""
    from django.conf import settings

    for address, accounts in sorted(accounts_by_recipient.items()):
        numbers = sorted({account.number for account in accounts})
        if len(numbers) == 1:
            account = accounts[0]
            subject = _("TRACS: a message from TRA is waiting for account %(number)s") % {
                "number": account.number
            }
            where = _("for account %(number)s (%(program)s)") % {
                "number": account.number,
                "program": account.program.name,
            }
        else:
            subject = _("TRACS: messages from TRA are waiting for %(count)s of your accounts") % {
                "count": len(numbers)
            }
            where = _("for accounts %(numbers)s") % {"numbers": ", ".join(numbers)}
        body = _(
            "A message from Tax and Revenue Administration is waiting for you in TRACS %(where)s.\n\n"
            "For your security, TRA does not send the message itself by e-mail. Sign in to TRACS at %(site)s "
            "and open Messages to read it.\n\n"
            "You receive this e-mail because you are an owner of the account, or your access to it includes "
            "reading its messages."
        ) % {"where": where, "site": settings.TRACS_SITE_URL}
        email_queue(to=[address], subject=str(subject), body=str(body), purpose="message-waiting")


def _log_message(
    *, message: Message, by: User | None, action: str, capacity: str, request: HttpRequest | None
) -> None:
    access_log_record(
        actor=by,
        kind=AccessLogEntry.Kind.CHANGE,
        action=action,
        account_number=message.account.number,
        on_behalf_of=message.account.on_behalf_of,
        capacity=capacity,
        detail=f"message {message.pk}",
        request=request,
    )


@transaction.atomic
def message_send(
    *,
    account: ProgramAccount,
    subject: str,
    body: str,
    by: User | None,
    notify: Iterable[str] = (),
    request: HttpRequest | None = None,
) -> Message:
    """A message from TRA to one account; `notify`: whom to tell that it is waiting (one e-mail each)."""
    subject, body = _message_values(subject=subject, body=body)
    now = timezone.now()
    message = Message(
        account=account, subject=subject, body=body, sent_at=now, sent_by=by, last_from_tra_at=now
    )
    message.full_clean()
    message.save()
    _log_message(message=message, by=by, action="message from TRA sent", capacity="staff", request=request)
    _message_notices(accounts_by_recipient={address: [account] for address in notify if address})
    return message


@transaction.atomic
def message_send_to_program(
    *,
    program: Program,
    subject: str,
    body: str,
    by: User,
    notify_by_account: Mapping[int, Iterable[str]] | None = None,
    request: HttpRequest | None = None,
) -> list[Message]:
    """A message from TRA to every active account of a program, fanned out into one message per account in
    one transaction: all are sent or none. `notify_by_account` maps an account id to whom to tell; a
    person reaching several of the accounts gets one e-mail naming them all."""
    subject, body = _message_values(subject=subject, body=body)
    accounts = list(
        ProgramAccount.objects.filter(program=program, status=ProgramAccount.Status.ACTIVE)
        .select_related("taxpayer", "program")
        .order_by("number")
    )
    if not accounts:
        raise ValidationError(NO_ACCOUNTS_IN_PROGRAM % {"program": program.name}, code="no_accounts")
    now = timezone.now()
    messages = Message.objects.bulk_create(
        Message(
            account=account,
            subject=subject,
            body=body,
            sent_at=now,
            sent_by=by,
            program_wide=program,
            last_from_tra_at=now,
        )
        for account in accounts
    )
    accounts_by_recipient: dict[str, list[ProgramAccount]] = {}
    notify_by_account = notify_by_account or {}
    for message, account in zip(messages, accounts, strict=True):
        message.account = account
        _log_message(
            message=message,
            by=by,
            action="message from TRA sent to every account of the program",
            capacity="staff",
            request=request,
        )
        for address in notify_by_account.get(account.pk, ()):
            if address:
                accounts_by_recipient.setdefault(address, []).append(account)
    _message_notices(accounts_by_recipient=accounts_by_recipient)
    return messages


def _reply_body(body: str) -> str:
    body = body.strip()
    if not body:
        raise ValidationError({"body": [ValidationError(REPLY_BODY_REQUIRED, code="required")]})
    if len(body) > REPLY_MAX_CHARS:
        raise ValidationError(
            {
                "body": [
                    ValidationError(
                        REPLY_TOO_LONG % {"limit": f"{REPLY_MAX_CHARS:,}", "length": f"{len(body):,}"},
                        code="max_length",
                    )
                ]
            }
        )
    return body


def _lock_message(message: Message) -> Message:
    return (
        Message.objects.select_for_update()
        .select_related("account__taxpayer", "account__program")
        .get(pk=message.pk)
    )


@transaction.atomic
def message_reply(
    *, message: Message, body: str, by: User, capacity: str, request: HttpRequest | None = None
) -> MessageReply:
    """An answer from the account's people (the caller checked their access includes messages). Staff see
    the thread as awaiting an answer; the thread stays read for the person who answered."""
    body = _reply_body(body)
    message = _lock_message(message)
    reply = MessageReply.objects.create(
        message=message, body=body, author=by, author_name=by.display_name, from_tra=False, capacity=capacity
    )
    message.last_from_client_at = reply.created_at
    message.save(update_fields=["last_from_client_at"])
    message_mark_read(message=message, user=by, at=reply.created_at)
    _log_message(
        message=message, by=by, action="answer to a message from TRA sent", capacity=capacity, request=request
    )
    return reply


@transaction.atomic
def message_answer(
    *, message: Message, body: str, by: User, notify: Iterable[str] = (), request: HttpRequest | None = None
) -> MessageReply:
    """Staff answer in a message's thread: the thread becomes unread again for the account's people, who
    are told by e-mail that a message is waiting."""
    body = _reply_body(body)
    message = _lock_message(message)
    reply = MessageReply.objects.create(
        message=message,
        body=body,
        author=by,
        author_name=str(_("Tax and Revenue Administration")),
        from_tra=True,
        capacity="staff",
    )
    message.last_from_tra_at = reply.created_at
    message.save(update_fields=["last_from_tra_at"])
    _log_message(message=message, by=by, action="answer from TRA sent", capacity="staff", request=request)
    _message_notices(accounts_by_recipient={address: [message.account] for address in notify if address})
    return reply


def message_mark_read(*, message: Message, user: User, at: datetime | None = None) -> None:
    """The person has read the thread as it stands now: one upsert, safe to repeat."""
    MessageRead.objects.bulk_create(
        [MessageRead(message=message, user=user, read_at=at or timezone.now())],
        update_conflicts=True,
        unique_fields=["message", "user"],
        update_fields=["read_at"],
    )


# --- Documents (issue 4, part 5) -----------------------------------------------------------------------------
#
# Submit Documents is a 3-step wizard whose state the view keeps in the session. Each file is checked and
# scanned as it is uploaded (programs/documents.py) and kept in the default storage under a random temporary
# name (`documents/incoming/`); on submit, one transaction creates the document with its reference number
# and receipt date and copies the files to their final names. Nothing is half-saved: if a file is missing or
# a write fails, the files copied so far are deleted and no document exists. Temporary files of wizards left
# unfinished are swept by `documents_incoming_sweep` (a periodic job).

DOCUMENT_TYPE_REQUIRED = _("Choose the type of document.")
DOCUMENT_REFERENCE_REQUIRED = _(
    "Enter the reference number of the return or claim these documents support (see View Assessment Status)."
)
DOCUMENT_NO_FILES = _("Add at least one file.")
DOCUMENT_TOO_MANY_FILES = _(
    "A submission can have at most %(limit)s files. Remove some, or submit them separately."
)
DOCUMENT_FILES_EXPIRED = _(
    "Your uploaded files are no longer available (the submission was left unfinished too long). Add them again."
)
DOCUMENT_MAX_FILES = 10
DOCUMENT_REFERENCE_ALPHABET = (
    "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read over the phone without doubt
)
INCOMING_PREFIX = "documents/incoming/"
# Types a person may choose in the wizard (TRA's own letters are placed by TRA), and those that belong to an
# in-process return or claim, whose reference number is then required.
CLIENT_DOCUMENT_TYPES = [t for t in Document.Type if t != Document.Type.TRA_LETTER]
DOCUMENT_TYPES_NEEDING_REFERENCE = {Document.Type.RETURN_SUPPORT, Document.Type.CLAIM_SUPPORT}


def document_reference_generate(*, day: date) -> str:
    """`DOC-YYYYMMDD-XXXXXX`: the receipt date, then six characters that cannot be misread."""
    suffix = "".join(secrets.choice(DOCUMENT_REFERENCE_ALPHABET) for _ in range(6))
    return f"DOC-{day:%Y%m%d}-{suffix}"


def _safe_file_name(name: str) -> str:
    """The file's own name, as shown to people and staff: no folders, no control characters."""
    base = PurePath(name.replace("\\", "/")).name
    cleaned = "".join(ch for ch in base if ch.isprintable()).strip()
    return cleaned[-255:] or "file"


def document_file_stage(
    *, account: ProgramAccount, uploaded: UploadedFile, by: User, request: HttpRequest | None = None
) -> dict[str, Any]:
    """Check and scan one uploaded file and keep it under a temporary name until the wizard is submitted.
    Returns what the wizard keeps of it (in the session); a ValidationError names what is wrong.

    A threat found is refused and written to the access log as a security event (committed even though the
    upload fails); nothing of the file is kept."""
    name = _safe_file_name(uploaded.name or "")
    # Django sets the size of every file a request carries; one without a size is refused as empty.
    checked = documents.check_file(uploaded, name=name, size=uploaded.size or 0)
    result = documents.scan_file(uploaded)
    if result.infected:
        with transaction.atomic():
            access_log_record(
                actor=by,
                kind=AccessLogEntry.Kind.SECURITY,
                action="uploaded file refused: malware found",
                account_number=account.number,
                on_behalf_of=account.on_behalf_of,
                detail=f"{result.detail}; sha256 {checked.sha256}"[:500],
                request=request,
            )
        raise documents.refuse_infected(name=name, result=result)
    token = default_storage.save(f"{INCOMING_PREFIX}{secrets.token_hex(16)}", uploaded)
    return {
        "token": token,
        "name": name,
        "size": checked.size,
        "kind": checked.kind.code,
        "content_type": checked.kind.content_type,
        "sha256": checked.sha256,
        "scan_status": result.status,
        "scan_detail": result.detail,
        "scanned_at": timezone.now().isoformat() if result.status == DocumentFile.ScanStatus.CLEAN else "",
    }


def document_files_discard(*, staged: Iterable[dict[str, Any]]) -> None:
    """Delete temporary files of a wizard (a file removed, the wizard cancelled)."""
    for item in staged:
        token = item.get("token", "")
        if token.startswith(INCOMING_PREFIX):
            default_storage.delete(token)


def _document_header_values(
    *,
    account: ProgramAccount,
    document_type: str,
    related_reference: str,
    reference_check: documents.RelatedReferenceCheck,
) -> tuple[str, str]:
    errors: dict[str, list[ValidationError]] = {}
    if document_type not in CLIENT_DOCUMENT_TYPES:
        errors["document_type"] = [ValidationError(DOCUMENT_TYPE_REQUIRED, code="required")]
    reference = related_reference.strip()
    if not reference and document_type in DOCUMENT_TYPES_NEEDING_REFERENCE:
        errors["related_reference"] = [ValidationError(DOCUMENT_REFERENCE_REQUIRED, code="required")]
    elif reference:
        try:
            reference = documents.related_reference_normalize(
                account=account, value=reference, check=reference_check
            )
        except ValidationError as error:
            errors["related_reference"] = error.error_list
    if errors:
        raise ValidationError(errors)
    return document_type, reference


def document_details_check(
    *,
    account: ProgramAccount,
    document_type: str,
    related_reference: str,
    reference_check: documents.RelatedReferenceCheck,
) -> dict[str, Any]:
    """Step 1 of the wizard: the type and, where the type needs one, the return's or claim's reference
    number, normalized and confirmed by `reference_check` (filings.status.in_process_reference_check, passed by
    the interface layer); a ValidationError names the field that is wrong."""
    document_type, reference = _document_header_values(
        account=account,
        document_type=document_type,
        related_reference=related_reference,
        reference_check=reference_check,
    )
    return {"document_type": document_type, "related_reference": reference}


def document_submit(
    *,
    account: ProgramAccount,
    document_type: str,
    related_reference: str = "",
    description: str = "",
    staged: list[dict[str, Any]],
    by: User,
    reference_check: documents.RelatedReferenceCheck,
    capacity: str = "",
    request: HttpRequest | None = None,
) -> Document:
    """Step 3 of the wizard: the document, with its reference number and receipt date, and its files at
    their final names, in one transaction; then the temporary files are deleted and the person who
    submitted gets a receipt by e-mail (the reference number and date, not the files' names)."""
    document_type, reference = _document_header_values(
        account=account,
        document_type=document_type,
        related_reference=related_reference,
        reference_check=reference_check,
    )
    if not staged:
        raise ValidationError({"files": [ValidationError(DOCUMENT_NO_FILES, code="required")]})
    if len(staged) > DOCUMENT_MAX_FILES:
        raise ValidationError(
            {
                "files": [
                    ValidationError(DOCUMENT_TOO_MANY_FILES % {"limit": DOCUMENT_MAX_FILES}, code="too_many")
                ]
            }
        )
    for item in staged:
        token = item.get("token", "")
        if not token.startswith(INCOMING_PREFIX) or not default_storage.exists(token):
            raise ValidationError({"files": [ValidationError(DOCUMENT_FILES_EXPIRED, code="expired")]})
    saved: list[str] = []
    try:
        document = _document_write(
            account=account,
            document_type=document_type,
            related_reference=reference,
            description=description.strip()[:500],
            staged=staged,
            by=by,
            capacity=capacity,
            request=request,
            saved=saved,
        )
    except BaseException:
        for name in saved:  # the transaction rolled back: no document, so no files either
            default_storage.delete(name)
        raise
    return document


def _document_number(*, day: date) -> str:
    for _attempt in range(10):
        reference = document_reference_generate(day=day)
        if not Document.objects.filter(reference_number=reference).exists():
            return reference
    raise RuntimeError("no free document reference number after 10 attempts")  # 32^6 per day: never


@transaction.atomic
def _document_write(
    *,
    account: ProgramAccount,
    document_type: str,
    related_reference: str,
    description: str,
    staged: list[dict[str, Any]],
    by: User | None,
    capacity: str,
    request: HttpRequest | None,
    saved: list[str],
) -> Document:
    received_at = timezone.now()
    actor = by if by is not None and by.is_authenticated else None
    document = Document(
        account=account,
        reference_number=_document_number(day=timezone.localdate(received_at)),
        document_type=document_type,
        related_reference=related_reference,
        description=description,
        origin=Document.Origin.CLIENT,
        received_at=received_at,
        submitted_by=actor,
        submitted_by_email=actor.email if actor else "",
        capacity=capacity,
    )
    document.full_clean()
    document.save()
    for position, item in enumerate(staged, start=1):
        kind = documents.KINDS[item["kind"]]
        with default_storage.open(item["token"], "rb") as temporary:
            name = default_storage.save(
                f"documents/{account.number}/{document.reference_number}/{position}{kind.extensions[0]}",
                temporary,
            )
        saved.append(name)
        DocumentFile.objects.create(
            document=document,
            position=position,
            file=name,
            original_name=item["name"],
            content_type=kind.content_type,
            size=item["size"],
            sha256=item["sha256"],
            scan_status=item["scan_status"],
            scan_detail=item.get("scan_detail", "")[:200],
            scanned_at=received_at if item["scan_status"] == DocumentFile.ScanStatus.CLEAN else None,
        )
    access_log_record(
        actor=actor,
        kind=AccessLogEntry.Kind.CHANGE,
        action="documents submitted",
        account_number=account.number,
        on_behalf_of=account.on_behalf_of,
        capacity=capacity,
        detail=f"{document.reference_number}: {len(staged)} file(s)",
        request=request,
    )
    if actor is not None:
        when = timezone.localtime(received_at)
        email_queue(
            to=[actor.email],
            subject=str(
                _("TRACS: documents received, reference %(reference)s")
                % {"reference": document.reference_number}
            ),
            body=str(
                _(
                    "Tax and Revenue Administration received the documents you submitted in TRACS for account "
                    "%(number)s on %(day)s at %(time)s Alberta time.\n\n"
                    "Reference number: %(reference)s\nFiles: %(count)s\n\n"
                    "Keep the reference number: quote it if you contact TRA about these documents. Sign in to TRACS "
                    "to see them under Submit Documents."
                )
                % {
                    "number": account.number,
                    "day": when.strftime("%Y-%m-%d"),
                    "time": when.strftime("%H:%M"),
                    "reference": document.reference_number,
                    "count": len(staged),
                }
            ),
            purpose="document-receipt",
        )
    tokens = [item["token"] for item in staged]
    transaction.on_commit(lambda: document_files_discard(staged=[{"token": token} for token in tokens]))
    return document


@transaction.atomic
def document_issue(
    *,
    account: ProgramAccount,
    files: list[tuple[str, bytes]],
    document_type: str = Document.Type.TRA_LETTER,
    description: str = "",
    by: User | None = None,
    notify: Iterable[str] = (),
    request: HttpRequest | None = None,
) -> Document:
    """A document TRA places in an account (an approval letter, a certificate): `files` are (name, content)
    pairs, checked like any upload; `notify` are told by e-mail that it is available (not its content).
    Files written so far are deleted if the transaction fails."""
    received_at = timezone.now()
    document = Document(
        account=account,
        reference_number=_document_number(day=timezone.localdate(received_at)),
        document_type=document_type,
        description=description[:500],
        origin=Document.Origin.TRA,
        received_at=received_at,
        submitted_by=by,
        submitted_by_email=by.email if by is not None else "",
        capacity="staff" if by is not None else "",
    )
    document.full_clean()
    document.save()
    saved: list[str] = []
    try:
        for position, (name, content) in enumerate(files, start=1):
            buffer = documents.as_file(content)
            checked = documents.check_file(buffer, name=_safe_file_name(name), size=len(content))
            stored = default_storage.save(
                f"documents/{account.number}/{document.reference_number}/{position}{checked.kind.extensions[0]}",
                buffer,
            )
            saved.append(stored)
            DocumentFile.objects.create(
                document=document,
                position=position,
                file=stored,
                original_name=_safe_file_name(name),
                content_type=checked.kind.content_type,
                size=checked.size,
                sha256=checked.sha256,
                scan_status=DocumentFile.ScanStatus.NOT_SCANNED,
                scan_detail="issued by TRA",
            )
        access_log_record(
            actor=by,
            kind=AccessLogEntry.Kind.CHANGE,
            action="document issued by TRA",
            account_number=account.number,
            on_behalf_of=account.on_behalf_of,
            capacity="staff" if by is not None else "",
            detail=document.reference_number,
            request=request,
        )
        for address in sorted(set(notify)):
            email_queue(
                to=[address],
                subject=str(
                    _("TRACS: a document from TRA is available for account %(number)s")
                    % {"number": account.number}
                ),
                body=str(
                    _(
                        "Tax and Revenue Administration placed a document (%(type)s) in TRACS for account %(number)s "
                        "(%(program)s). Sign in to TRACS and open Submit Documents to see it."
                    )
                    % {
                        "type": document.get_document_type_display(),
                        "number": account.number,
                        "program": account.program.name,
                    }
                ),
                purpose="document-issued",
            )
    except BaseException:
        for name in saved:
            default_storage.delete(name)
        raise
    return document


def documents_incoming_sweep(*, older_than: timedelta = timedelta(days=1)) -> int:
    """Delete temporary uploads of wizards left unfinished; safe to run twice. Returns how many."""
    cutoff = timezone.now() - older_than
    try:
        _folders, names = default_storage.listdir(INCOMING_PREFIX.rstrip("/"))
    except FileNotFoundError:
        return 0
    removed = 0
    for name in names:
        path = f"{INCOMING_PREFIX}{name}"
        if default_storage.get_modified_time(path) < cutoff:
            default_storage.delete(path)
            removed += 1
    return removed
