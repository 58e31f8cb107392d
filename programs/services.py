from collections.abc import Iterable
from datetime import date
from pathlib import Path

import yaml
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.crypto import decrypt, encrypt
from accounts.models import AccessLogEntry
from accounts.services import access_log_record, email_queue
from programs import dates, rates, validators
from programs.models import (
    AccountChange,
    Address,
    Contact,
    DirectDeposit,
    Holiday,
    Program,
    ProgramAccount,
    ProgramAccountEvent,
    Taxpayer,
    TaxRate,
)

ACCOUNT_ALREADY_CLOSED = _("This account is already closed.")

REFERENCE_DIR = Path(__file__).resolve().parent / "reference"


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
        Holiday.objects.using(using).bulk_create(Holiday(date=day, name=name) for day, name in dates.holidays().items())


def _event(*, account: ProgramAccount, kind: str, actor, detail: str = "") -> None:
    ProgramAccountEvent.objects.create(account=account, kind=kind, actor=actor, detail=detail)


@transaction.atomic
def taxpayer_create(*, legal_name: str, bin: str | None = None, kind: str = Taxpayer.Kind.BUSINESS, by=None) -> Taxpayer:  # noqa: A002
    """A new taxpayer; a BIN is assigned when none is given (registration of a new business)."""
    taxpayer = Taxpayer(legal_name=legal_name, bin=bin or bin_allocate(), kind=kind)
    taxpayer.full_clean()
    taxpayer.save()
    access_log_record(actor=by, kind=AccessLogEntry.Kind.CHANGE, action="taxpayer created", detail=f"{legal_name} BIN {taxpayer.bin}")
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
    *, taxpayer: Taxpayer, program: Program, effective_date: date, by=None, trade_name: str = "", mailing_address: dict | None = None
) -> ProgramAccount:
    last = ProgramAccount.objects.select_for_update().filter(taxpayer=taxpayer, program=program).order_by("-sequence").first()
    sequence = (last.sequence + 1) if last else 1
    account = ProgramAccount(
        taxpayer=taxpayer,
        program=program,
        sequence=sequence,
        number=ProgramAccount.compose_number(bin=taxpayer.bin, program_number=program.number, sequence=sequence),
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
    access_log_record(actor=by, kind=AccessLogEntry.Kind.CHANGE, action="account opened", account_number=account.number, capacity="staff" if by else "")
    return account


@transaction.atomic
def account_close(*, account: ProgramAccount, closed_on: date, by, reason: str = "") -> ProgramAccount:
    if account.status == ProgramAccount.Status.CLOSED:
        raise ValidationError(ACCOUNT_ALREADY_CLOSED)
    account.status = ProgramAccount.Status.CLOSED
    account.closed_on = closed_on
    account.save(update_fields=["status", "closed_on"])
    _event(account=account, kind="closed", actor=by, detail=f"closed on {closed_on.isoformat()}. {reason}".strip())
    access_log_record(actor=by, kind=AccessLogEntry.Kind.CHANGE, action="account closed", account_number=account.number, capacity="staff")
    return account


@transaction.atomic
def account_reopen(*, account: ProgramAccount, by) -> ProgramAccount:
    account.status = ProgramAccount.Status.ACTIVE
    account.closed_on = None
    account.save(update_fields=["status", "closed_on"])
    _event(account=account, kind="reopened", actor=by)
    access_log_record(actor=by, kind=AccessLogEntry.Kind.CHANGE, action="account reopened", account_number=account.number, capacity="staff")
    return account


@transaction.atomic
def account_transfer(*, account: ProgramAccount, to_taxpayer: Taxpayer, by, reason: str = "") -> ProgramAccount:
    """Move an account to another taxpayer (sale, amalgamation). The number stays: it names the account, and
    the BIN inside it is the BIN at opening (docs/account-numbers.md). Access is reset by the caller."""
    before = account.taxpayer
    account.taxpayer = to_taxpayer
    account.save(update_fields=["taxpayer"])
    _event(account=account, kind="transferred", actor=by, detail=f"from {before} to {to_taxpayer}. {reason}".strip())
    access_log_record(actor=by, kind=AccessLogEntry.Kind.CHANGE, action="account transferred", account_number=account.number, capacity="staff")
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
TWO_FACTOR_REFUSED = _("That code is not correct, or it was already used. Enter the 6-digit code your authenticator app shows now.")
TWO_FACTOR_NO_DEVICE = _("Set up an authenticator app under Two-factor verification first: a change of direct deposit needs its code.")
TWO_FACTOR_WAIT = _("Too many wrong codes in a row. Wait a minute, then enter the code your authenticator app shows then.")
OTP_FIELD = "otp_token"

CAPACITY_WORDS = {
    "owner": _("account owner"),
    "delegate": _("delegate"),
    "representative": _("representative"),
    "staff": _("TRA staff"),
}

ADDRESS_SUBJECT = {
    Address.Kind.MAILING: AccountChange.Subject.MAILING_ADDRESS,
    Address.Kind.LOCATION: AccountChange.Subject.LOCATION_ADDRESS,
}

# What the owners' e-mail says happened: (subject, action) -> phrase. No values, only the kind of change.
CHANGE_PHRASES = {
    (AccountChange.Subject.MAILING_ADDRESS, AccountChange.Action.ADDED): _("a mailing address was added"),
    (AccountChange.Subject.MAILING_ADDRESS, AccountChange.Action.CHANGED): _("the mailing address was changed"),
    (AccountChange.Subject.MAILING_ADDRESS, AccountChange.Action.REMOVED): _("the mailing address was removed"),
    (AccountChange.Subject.LOCATION_ADDRESS, AccountChange.Action.ADDED): _("a business location address was added"),
    (AccountChange.Subject.LOCATION_ADDRESS, AccountChange.Action.CHANGED): _("the business location address was changed"),
    (AccountChange.Subject.LOCATION_ADDRESS, AccountChange.Action.REMOVED): _("the business location address was removed"),
    (AccountChange.Subject.CONTACT, AccountChange.Action.ADDED): _("a contact person was added"),
    (AccountChange.Subject.CONTACT, AccountChange.Action.CHANGED): _("a contact person's details were changed"),
    (AccountChange.Subject.CONTACT, AccountChange.Action.REMOVED): _("a contact person was removed"),
    (AccountChange.Subject.DIRECT_DEPOSIT, AccountChange.Action.ADDED): _("direct deposit was set up"),
    (AccountChange.Subject.DIRECT_DEPOSIT, AccountChange.Action.CHANGED): _("the direct deposit bank account was changed"),
    (AccountChange.Subject.DIRECT_DEPOSIT, AccountChange.Action.REMOVED): _(
        "direct deposit was removed; refunds will go by cheque to the mailing address of record"
    ),
}


def _on_behalf_of(account: ProgramAccount) -> str:
    return f"{account.taxpayer.legal_name} (BIN {account.taxpayer.bin})"


def _lock(account: ProgramAccount) -> ProgramAccount:
    """Changes to one account's details queue up behind each other, so each one's `before` is true."""
    return ProgramAccount.objects.select_for_update().select_related("taxpayer", "program").get(pk=account.pk)


def _record_change(
    *,
    account: ProgramAccount,
    subject: str,
    action: str,
    before: dict | None,
    after: dict | None,
    by,
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
        on_behalf_of=_on_behalf_of(account),
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
            subject=str(_("TRACS: account %(number)s: %(what)s") % {"number": account.number, "what": phrase}),
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


def _address_values(*, line1: str, line2: str, city: str, province: str, postal_code: str) -> dict:
    """Normalized address values, or a ValidationError naming each field that is wrong."""
    values = {"line1": line1.strip(), "line2": line2.strip(), "city": city.strip(), "province": "", "postal_code": ""}
    errors: dict[str, list] = {}
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


def _address_snapshot(address: Address | None) -> dict | None:
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
    by,
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


def address_snapshots(*, account: ProgramAccount) -> dict[str, dict | None]:
    """The account's addresses by kind, as history records them (for `staff_address_changes_record`)."""
    addresses = {address.kind: address for address in Address.objects.filter(account=account)}
    return {kind: _address_snapshot(addresses.get(kind)) for kind in Address.Kind.values}


def staff_address_changes_record(
    *, account: ProgramAccount, before: dict[str, dict | None], by, request: HttpRequest | None = None
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


def _contact_values(*, name: str, title: str, phone: str, email: str) -> dict:
    values = {"name": name.strip(), "title": title.strip(), "phone": "", "phone_extension": "", "email": email.strip().lower()}
    errors: dict[str, list] = {}
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


def _contact_snapshot(contact: Contact) -> dict:
    return {
        name: getattr(contact, name) for name in ("name", "title", "phone", "phone_extension", "email", "is_primary")
    }


def _take_primary(*, account: ProgramAccount, contact: Contact | None = None) -> None:
    """One primary contact per account (a database constraint): the old one gives up the flag first."""
    Contact.objects.filter(account=account, is_primary=True).exclude(pk=getattr(contact, "pk", None)).update(is_primary=False)


@transaction.atomic
def contact_add(
    *,
    account: ProgramAccount,
    name: str,
    title: str = "",
    phone: str = "",
    email: str = "",
    is_primary: bool = False,
    by,
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
    by,
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
    by,
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


def _deposit_values(*, institution_number: str, transit_number: str, account_number: str, holder_name: str) -> dict:
    values: dict[str, str] = {"holder_name": holder_name.strip()}
    errors: dict[str, list] = {}
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


def _deposit_snapshot(deposit: DirectDeposit | None) -> dict | None:
    """What history keeps of a bank account: never the account number, only its last four digits."""
    if deposit is None:
        return None
    return {
        "institution_number": deposit.institution_number,
        "transit_number": deposit.transit_number,
        "account_number": deposit.masked,
        "holder_name": deposit.holder_name,
    }


def _fresh_two_factor(*, user, token: str, account: ProgramAccount, request: HttpRequest | None) -> None:
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
            on_behalf_of=_on_behalf_of(account),
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
    by,
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
    return _direct_deposit_write(account=account, values=values, by=by, capacity=capacity, notify=notify, request=request)


@transaction.atomic
def _direct_deposit_write(*, account, values: dict, by, capacity, notify, request) -> AccountChange | None:
    account = _lock(account)
    deposit = DirectDeposit.objects.filter(account=account).first()
    before = _deposit_snapshot(deposit)
    if deposit is not None and all(
        getattr(deposit, name) == values[name] for name in ("institution_number", "transit_number", "holder_name")
    ) and decrypt(deposit.account_number_encrypted) == values["account_number"]:
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
    by,
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
def _direct_deposit_delete(*, account, by, capacity, notify, request) -> AccountChange:
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
