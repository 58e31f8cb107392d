"""Online program registration (issue 4, part 6; seed 004, "How to register"): services and selectors.

A signed-in person chooses Online Registration and a program, fills in the parts of the form (business
identity, registration reasons, bulk fuel locations, contacts, banking), each saved to a draft in the
database as soon as it is valid (so the draft survives sign-out), then sends it: the registration is
*pending* and gets a reference number, shown and e-mailed. TRA staff review it in Django admin: approve,
reject with a reason, or ask for more information (the registrant then changes it and sends it again).

Approval is split along the layers (ARCHITECTURE.md): `registration_accounts_open` here opens what programs
keep (taxpayer and BIN, program accounts, addresses, contacts, direct deposit, BFLO numbers);
`consent.services.registration_approve` calls it and adds what only the access layer may: the registrant
becomes an owner of the new accounts; then the approval letter goes into the accounts' documents.

Every function checks its own rules (views are thin), runs in one transaction, writes the access log and
queues its e-mails through the outbox. Nothing is saved half: a part with an error changes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.crypto import encrypt
from accounts.models import AccessLogEntry
from accounts.services import access_log_record, email_queue
from programs import validators
from programs.models import (
    BIN_VALIDATOR,
    AccountChange,
    BulkFuelLocation,
    Contact,
    DirectDeposit,
    Program,
    ProgramAccount,
    Registration,
    RegistrationContact,
    RegistrationEvent,
    RegistrationLocation,
    Taxpayer,
)
from programs.services import account_open, taxpayer_create

# --- Which programs register online, and what the others do -------------------------------------------------

# Seed 004: "Select 'Fuel Tax' from the Program Name menu". The other programs' seed pages send people to a
# paper form; selling marked fuel (TEFS) is one of the Fuel Tax registration's reasons (seed 002, "How to
# apply to sell marked fuel": the Fuel Tax Registration AT4905).
ONLINE_PROGRAMS = ("fuel_tax",)
OFFLINE_HOW = {
    "tefs": _(
        "Part of the Fuel Tax registration: choose Fuel Tax, then the reason “Sell fuel exempt from tax, "
        "including marked fuel”. Approval opens the Tax Exempt Fuel Sales account too."
    ),
    "carbon_levy": _(
        "On paper: Carbon Levy Claimant Registration – Fuel Vendor (AT5135), or – Indian or Indian Band (AT5133)."
    ),
    "aite": _(
        "On paper: AITE Retailer Registration (AT4804) with a copy of the Band Council Resolution and the "
        "Application for Direct Deposit (AT4812)."
    ),
}
OFFLINE_DEFAULT = _("On paper: contact TRA for the registration form of this program.")

# A reason that needs another program account besides the one registered for (seed 002: sellers of marked
# fuel report their sales and movements in Tax Exempt Fuel Sales).
REASON_PROGRAMS = {Registration.Reason.SELL_MARKED: "tefs"}
# Reasons whose approval letter gives Bulk Fuel Location (BFLO) numbers (seed 002, "How to apply to sell
# marked fuel" and "How to apply to dye fuel", step 3): at least one bulk location is needed.
LOCATION_REASONS = {Registration.Reason.SELL_MARKED, Registration.Reason.MARK_FUEL}

MAX_LOCATIONS = 50
MAX_CONTACTS = 10


@dataclass(frozen=True)
class Step:
    slug: str
    label: str


STEPS = [
    Step("business", _("Business identity")),
    Step("reasons", _("Registration reasons")),
    Step("locations", _("Bulk fuel locations")),
    Step("contacts", _("Contacts")),
    Step("banking", _("Banking")),
    Step("review", _("Review and send")),
]
STEP_SLUGS = [step.slug for step in STEPS]

# --- Messages (tests assert on them) ---------------------------------------------------------------------------

PROGRAM_NOT_ONLINE = _("%(program)s does not register online. %(how)s")
NOT_EDITABLE = _(
    "This registration was sent to TRA and cannot be changed now. TRA will contact you if they need more information."
)
NOT_A_DRAFT = _("Only a draft that was never sent to TRA can be deleted.")
REQUIRED = _("This field is required.")
BUSINESS_TYPE_REQUIRED = _("Choose the type of business.")
START_DATE_REQUIRED = _("Enter the date the activities start (or started), for example 2026-01-31.")
NO_REASONS = _("Choose at least one reason to register.")
REASON_UNKNOWN = _("Choose the reasons from the list.")
LOCATIONS_REQUIRED = _(
    "Selling marked fuel or marking fuel needs at least one bulk fuel location: TRA gives each one a "
    "Bulk Fuel Location (BFLO) number."
)
TOO_MANY_LOCATIONS = _("A registration can list at most %(limit)s locations. Contact TRA for more.")
CAPACITY_POSITIVE = _("Enter the storage capacity in whole litres, for example 50000.")
NO_CONTACTS = _("Add at least one contact person.")
TOO_MANY_CONTACTS = _("A registration can list at most %(limit)s contact persons.")
CONTACT_NEEDS_PHONE_OR_EMAIL = _("Give a phone number or an e-mail address, so TRA can reach this person.")
BANKING_UNANSWERED = _("Choose whether refunds go by direct deposit or by cheque.")
CERTIFICATION_REQUIRED = _("Tick the declaration to certify the registration.")
CERTIFIED_NAME_REQUIRED = _("Enter your full name to sign the declaration.")
INCOMPLETE = _("Some parts are not complete yet: %(parts)s. Complete them, then send the registration.")
NOT_PENDING = _(
    "Only a registration pending review can be approved, rejected or sent back for more information."
)
REJECTION_REASON_REQUIRED = _("Give the reason for the rejection; it is e-mailed to the registrant.")
INFORMATION_REQUEST_REQUIRED = _("Say what information TRA needs; the registrant reads it in TRACS.")

PART_MISSING = {
    "business": _("Enter the business's legal name, type, start date and mailing address."),
    "reasons": NO_REASONS,
    "locations": LOCATIONS_REQUIRED,
    "contacts": NO_CONTACTS,
    "banking": BANKING_UNANSWERED,
}


# --- Selectors --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProgramChoice:
    program: Program
    online: bool
    how: str


def registration_programs() -> list[ProgramChoice]:
    """The Program Name menu: every program, those that register online first, with how the others do."""
    choices = [
        ProgramChoice(
            program=program,
            online=program.code in ONLINE_PROGRAMS,
            how=""
            if program.code in ONLINE_PROGRAMS
            else str(OFFLINE_HOW.get(program.code, OFFLINE_DEFAULT)),
        )
        for program in Program.objects.order_by("number")
    ]
    return sorted(choices, key=lambda choice: not choice.online)


def registrations_for_user(*, user) -> QuerySet[Registration]:
    """The person's registrations, newest first, with what the list shows joined (a fixed number of queries)."""
    return (
        Registration.objects.filter(registrant=user)
        .select_related("program", "taxpayer")
        .prefetch_related(Prefetch("accounts", queryset=ProgramAccount.objects.select_related("program")))
        .order_by("-created_at", "-id")
    )


def registration_for_user(*, user, pk: int) -> Registration | None:
    """One of the person's own registrations, or None (someone else's is as unknown as a made-up one)."""
    return (
        Registration.objects.filter(registrant=user, pk=pk)
        .select_related("program", "taxpayer")
        .prefetch_related(
            "locations__bflo",
            "contacts",
            Prefetch("events", queryset=RegistrationEvent.objects.order_by("occurred_at", "id")),
            Prefetch("accounts", queryset=ProgramAccount.objects.select_related("program", "taxpayer")),
        )
        .first()
    )


def programs_opened_by(registration: Registration) -> list[str]:
    """Codes of the programs whose accounts approval opens: the one registered for, and those its reasons
    need (selling marked fuel: Tax Exempt Fuel Sales)."""
    codes = [registration.program.code]
    for reason in registration.reasons:
        code = REASON_PROGRAMS.get(reason)
        if code and code not in codes:
            codes.append(code)
    return codes


def needs_locations(registration: Registration) -> bool:
    return bool(LOCATION_REASONS & set(registration.reasons))


def registration_missing_parts(registration: Registration) -> list[str]:
    """The parts (step slugs, in order) not complete enough to send the registration."""
    missing = []
    business = [registration.legal_name, registration.business_type, registration.line1, registration.city]
    if not all(business) or registration.start_date is None or not registration.postal_code:
        missing.append("business")
    if not registration.reasons:
        missing.append("reasons")
    if needs_locations(registration) and not registration.locations.exists():
        missing.append("locations")
    if not registration.contacts.exists():
        missing.append("contacts")
    if registration.wants_direct_deposit is None or (
        registration.wants_direct_deposit and not registration.deposit_account_number_last4
    ):
        missing.append("banking")
    return missing


def step_label(slug: str) -> str:
    return str(next(step.label for step in STEPS if step.slug == slug))


def existing_taxpayer(registration: Registration) -> Taxpayer | None:
    """The taxpayer whose BIN the registrant gave, if TRACS knows it (staff check it is theirs)."""
    return Taxpayer.objects.filter(bin=registration.bin).first() if registration.bin else None


# --- Helpers ----------------------------------------------------------------------------------------------------


def _log(
    *, registration: Registration, actor, action: str, capacity: str, detail: str = "", request=None
) -> None:
    access_log_record(
        actor=actor,
        kind=AccessLogEntry.Kind.CHANGE,
        action=action,
        on_behalf_of=registration.on_behalf_of,
        capacity=capacity,
        detail=detail or (registration.reference_number or f"draft {registration.pk}"),
        request=request,
    )


def _event(
    *, registration: Registration, kind: str, actor, from_tra: bool = False, message: str = ""
) -> RegistrationEvent:
    return RegistrationEvent.objects.create(
        registration=registration, kind=kind, actor=actor, from_tra=from_tra, message=message
    )


def _lock(registration: Registration) -> Registration:
    return (
        Registration.objects.select_for_update(of=("self",))
        .select_related("program", "registrant")
        .get(pk=registration.pk)
    )


def _lock_editable(*, registration: Registration, by) -> Registration:
    """The registrant's own registration, locked, while they may still change it."""
    locked = _lock(registration)
    if locked.registrant_id != by.pk:
        raise ValidationError(NOT_EDITABLE)  # views never get here: another's registration is a 404
    if not locked.is_editable:
        raise ValidationError(NOT_EDITABLE)
    return locked


def _required(values: dict, names, errors: dict) -> None:
    for name in names:
        if not values[name]:
            errors.setdefault(name, []).append(ValidationError(REQUIRED, code="required"))


def _address_errors(values: dict, errors: dict, *, postal_code_required: bool = True) -> None:
    """Normalize province and postal code in `values`, adding errors per field."""
    try:
        values["province"] = validators.province_normalize(values["province"])
    except ValidationError as error:
        errors.setdefault("province", []).extend(error.error_list)
        values["province"] = ""
    if values["postal_code"] or postal_code_required:
        try:
            values["postal_code"] = validators.postal_code_normalize(values["postal_code"])
        except ValidationError as error:
            errors.setdefault("postal_code", []).extend(error.error_list)
            return
        if values["province"]:
            try:
                validators.postal_code_in_province(
                    postal_code=values["postal_code"], province=values["province"]
                )
            except ValidationError as error:
                errors.setdefault("postal_code", []).extend(error.error_list)


def _draft_saved(*, registration: Registration, by, step: str, request) -> None:
    registration.save()
    _log(
        registration=registration,
        actor=by,
        action="registration part saved",
        capacity="registrant",
        detail=step,
        request=request,
    )


# --- The registrant's side ----------------------------------------------------------------------------------------


@transaction.atomic
def registration_start(*, registrant, program: Program, request: HttpRequest | None = None) -> Registration:
    """A new draft registration for `program`, kept until it is sent or deleted."""
    if program.code not in ONLINE_PROGRAMS:
        how = OFFLINE_HOW.get(program.code, OFFLINE_DEFAULT)
        raise ValidationError(
            {"program": [ValidationError(PROGRAM_NOT_ONLINE % {"program": program.name, "how": how})]}
        )
    registration = Registration.objects.create(registrant=registrant, program=program)
    _event(registration=registration, kind=RegistrationEvent.Kind.STARTED, actor=registrant)
    _log(
        registration=registration,
        actor=registrant,
        action="registration started",
        capacity="registrant",
        request=request,
    )
    return registration


@transaction.atomic
def registration_business_save(
    *,
    registration: Registration,
    by,
    legal_name: str,
    operating_name: str = "",
    bin: str = "",  # noqa: A002 - the domain's word
    business_type: str,
    start_date: date | None,
    line1: str,
    line2: str = "",
    city: str,
    province: str,
    postal_code: str,
    request: HttpRequest | None = None,
) -> Registration:
    """Part 1: who the business is and where TRA writes to it (the mailing address of record)."""
    values = {
        "legal_name": legal_name.strip(),
        "operating_name": operating_name.strip(),
        "bin": "".join(ch for ch in bin if not ch.isspace() and ch != "-"),
        "business_type": business_type,
        "line1": line1.strip(),
        "line2": line2.strip(),
        "city": city.strip(),
        "province": province,
        "postal_code": postal_code,
    }
    errors: dict[str, list] = {}
    _required(values, ("legal_name", "line1", "city"), errors)
    if business_type not in Registration.BusinessType.values:
        errors["business_type"] = [ValidationError(BUSINESS_TYPE_REQUIRED, code="required")]
    if start_date is None:
        errors["start_date"] = [ValidationError(START_DATE_REQUIRED, code="required")]
    if values["bin"]:
        try:
            BIN_VALIDATOR(values["bin"])
        except ValidationError as error:
            errors["bin"] = error.error_list
    _address_errors(values, errors)
    if errors:
        raise ValidationError(errors)
    registration = _lock_editable(registration=registration, by=by)
    for name, value in values.items():
        setattr(registration, name, value)
    registration.start_date = start_date
    _draft_saved(registration=registration, by=by, step="business", request=request)
    return registration


@transaction.atomic
def registration_reasons_save(
    *, registration: Registration, by, reasons: list[str], request: HttpRequest | None = None
) -> Registration:
    """Part 2: why the business must register (seed 004, "When to register")."""
    if not reasons:
        raise ValidationError({"reasons": [ValidationError(NO_REASONS, code="required")]})
    if set(reasons) - set(Registration.Reason.values):
        raise ValidationError({"reasons": [ValidationError(REASON_UNKNOWN, code="invalid")]})
    registration = _lock_editable(registration=registration, by=by)
    registration.reasons = [reason for reason in Registration.Reason.values if reason in reasons]
    _draft_saved(registration=registration, by=by, step="reasons", request=request)
    return registration


def _location_values(item: dict) -> dict:
    values = {
        "name": (item.get("name") or "").strip(),
        "line1": (item.get("line1") or "").strip(),
        "city": (item.get("city") or "").strip(),
        "province": item.get("province") or "",
        "postal_code": item.get("postal_code") or "",
        "capacity_litres": item.get("capacity_litres"),
    }
    errors: dict[str, list] = {}
    _required(values, ("name", "line1", "city"), errors)
    _address_errors(values, errors, postal_code_required=False)
    try:
        capacity = Decimal(str(values["capacity_litres"]).replace(",", "").strip())
    except (InvalidOperation, ValueError):
        capacity = None
    values["capacity_litres"] = capacity
    if (
        capacity is None
        or not capacity.is_finite()
        or capacity <= 0
        or capacity != capacity.to_integral_value()
    ):
        errors["capacity_litres"] = [ValidationError(CAPACITY_POSITIVE, code="capacity")]
    if errors:
        raise ValidationError(errors)
    return values


@transaction.atomic
def registration_locations_save(
    *, registration: Registration, by, locations: list[dict], request: HttpRequest | None = None
) -> Registration:
    """Part 3: the bulk fuel storage locations (each gets a BFLO number on approval). Replaces the list."""
    if len(locations) > MAX_LOCATIONS:
        raise ValidationError(TOO_MANY_LOCATIONS % {"limit": MAX_LOCATIONS})
    rows = []
    for position, item in enumerate(locations, start=1):
        try:
            rows.append(_location_values(item))
        except ValidationError as error:
            raise ValidationError(
                _("Location %(position)s: %(problems)s")
                % {"position": position, "problems": " ".join(error.messages)}
            ) from error
    registration = _lock_editable(registration=registration, by=by)
    if not rows and needs_locations(registration):
        raise ValidationError(LOCATIONS_REQUIRED)
    registration.locations.all().delete()
    for position, values in enumerate(rows, start=1):
        location = RegistrationLocation(registration=registration, position=position, **values)
        location.full_clean()
        location.save()
    _draft_saved(registration=registration, by=by, step="locations", request=request)
    return registration


def _contact_values(item: dict) -> dict:
    values = {
        "name": (item.get("name") or "").strip(),
        "title": (item.get("title") or "").strip(),
        "phone": "",
        "phone_extension": "",
        "email": (item.get("email") or "").strip().lower(),
    }
    errors: dict[str, list] = {}
    _required(values, ("name",), errors)
    phone = (item.get("phone") or "").strip()
    if phone:
        try:
            values["phone"], values["phone_extension"] = validators.phone_normalize(phone)
        except ValidationError as error:
            errors["phone"] = error.error_list
    if values["email"]:
        try:
            validate_email(values["email"])
        except ValidationError as error:
            errors["email"] = error.error_list
    if not phone and not values["email"]:
        errors["phone"] = [ValidationError(CONTACT_NEEDS_PHONE_OR_EMAIL, code="phone_or_email")]
    if errors:
        raise ValidationError(errors)
    return values


@transaction.atomic
def registration_contacts_save(
    *, registration: Registration, by, contacts: list[dict], request: HttpRequest | None = None
) -> Registration:
    """Part 4: the people TRA contacts about the accounts (the first is the primary contact)."""
    if not contacts:
        raise ValidationError(NO_CONTACTS)
    if len(contacts) > MAX_CONTACTS:
        raise ValidationError(TOO_MANY_CONTACTS % {"limit": MAX_CONTACTS})
    rows = []
    for position, item in enumerate(contacts, start=1):
        try:
            rows.append(_contact_values(item))
        except ValidationError as error:
            raise ValidationError(
                _("Contact %(position)s: %(problems)s")
                % {"position": position, "problems": " ".join(error.messages)}
            ) from error
    registration = _lock_editable(registration=registration, by=by)
    registration.contacts.all().delete()
    for position, values in enumerate(rows, start=1):
        contact = RegistrationContact(registration=registration, position=position, **values)
        contact.full_clean()
        contact.save()
    _draft_saved(registration=registration, by=by, step="contacts", request=request)
    return registration


@transaction.atomic
def registration_banking_save(
    *,
    registration: Registration,
    by,
    wants_direct_deposit: bool | None,
    institution_number: str = "",
    transit_number: str = "",
    account_number: str = "",
    holder_name: str = "",
    keep_saved_account: bool = False,
    request: HttpRequest | None = None,
) -> Registration:
    """Part 5: refunds by direct deposit (one bank account) or by cheque to the mailing address.

    The bank account number is stored encrypted and never shown again, only its last four digits; with
    `keep_saved_account` the account saved earlier stays (the person need not type it again)."""
    if wants_direct_deposit is None:
        raise ValidationError(
            {"wants_direct_deposit": [ValidationError(BANKING_UNANSWERED, code="required")]}
        )
    registration = _lock_editable(registration=registration, by=by)
    if not wants_direct_deposit:
        registration.wants_direct_deposit = False
        registration.deposit_institution_number = registration.deposit_transit_number = ""
        registration.deposit_account_number_encrypted = None
        registration.deposit_account_number_last4 = registration.deposit_holder_name = ""
    elif keep_saved_account and registration.deposit_account_number_last4:
        registration.wants_direct_deposit = True
    else:
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
            errors["holder_name"] = [ValidationError(REQUIRED, code="required")]
        if errors:
            raise ValidationError(errors)
        registration.wants_direct_deposit = True
        registration.deposit_institution_number = values["institution_number"]
        registration.deposit_transit_number = values["transit_number"]
        registration.deposit_account_number_encrypted = encrypt(values["account_number"])
        registration.deposit_account_number_last4 = values["account_number"][-4:]
        registration.deposit_holder_name = values["holder_name"]
    _draft_saved(registration=registration, by=by, step="banking", request=request)
    return registration


@transaction.atomic
def registration_submit(
    *,
    registration: Registration,
    by,
    certified: bool,
    certified_name: str,
    request: HttpRequest | None = None,
) -> Registration:
    """Send the registration to TRA: it becomes *pending* with a reference number (kept if TRA sends it
    back and it is sent again), and the registrant gets it by e-mail."""
    errors: dict[str, list] = {}
    if not certified:
        errors["certified"] = [ValidationError(CERTIFICATION_REQUIRED, code="required")]
    if not certified_name.strip():
        errors["certified_name"] = [ValidationError(CERTIFIED_NAME_REQUIRED, code="required")]
    registration = _lock_editable(registration=registration, by=by)
    missing = registration_missing_parts(registration)
    if missing:
        parts = ", ".join(step_label(slug) for slug in missing)
        errors.setdefault("__all__", []).append(
            ValidationError(INCOMPLETE % {"parts": parts}, code="incomplete")
        )
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    again = registration.status == Registration.Status.MORE_INFORMATION_REQUESTED
    if registration.reference_number is None:
        registration.reference_number = _reference_allocate(day=timezone.localdate(now))
        registration.first_submitted_at = now
    registration.status = Registration.Status.PENDING
    registration.submitted_at = now
    registration.certified_name = certified_name.strip()
    registration.full_clean(exclude=["registrant", "program", "taxpayer", "reviewed_by"])
    registration.save()
    _event(
        registration=registration,
        kind=RegistrationEvent.Kind.RESUBMITTED if again else RegistrationEvent.Kind.SUBMITTED,
        actor=by,
    )
    _log(
        registration=registration,
        actor=by,
        action="registration sent to TRA again" if again else "registration sent to TRA",
        capacity="registrant",
        request=request,
    )
    when = timezone.localtime(now)
    email_queue(
        to=[by.email],
        subject=str(
            _("TRACS: registration %(reference)s received, pending review")
            % {"reference": registration.reference_number}
        ),
        body=str(
            _(
                "Tax and Revenue Administration received your %(program)s registration%(again)s on %(day)s at %(time)s "
                "Alberta time. Its status is pending.\n\n"
                "Reference number: %(reference)s\n\n"
                "Quote the reference number if you contact TRA about the registration. TRA may contact you for "
                "further information. Once it is approved, you will be told by e-mail that your approval letter is "
                "available in your TRACS account. Sign in to TRACS and choose Online Registration to see its status."
            )
            % {
                "program": registration.program.name,
                "again": str(_(", with the information TRA asked for,")) if again else "",
                "day": when.strftime("%Y-%m-%d"),
                "time": when.strftime("%H:%M"),
                "reference": registration.reference_number,
            }
        ),
        purpose="registration-received",
    )
    return registration


def _reference_allocate(*, day: date) -> str:
    """`REG-YYYY-NNNNNN`: the year it was first sent, and the next number of a PostgreSQL sequence (no two
    registrations get the same one, whatever runs at the same time)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval('programs_registration_seq')")
        value = cursor.fetchone()[0]
    return f"REG-{day:%Y}-{value:06d}"


@transaction.atomic
def registration_discard(*, registration: Registration, by, request: HttpRequest | None = None) -> None:
    """Delete a draft never sent to TRA (a sent registration stays on record)."""
    locked = _lock(registration)
    if locked.registrant_id != by.pk or locked.status != Registration.Status.DRAFT:
        raise ValidationError(NOT_A_DRAFT)
    _log(
        registration=locked,
        actor=by,
        action="registration draft deleted",
        capacity="registrant",
        request=request,
    )
    locked.delete()


# --- TRA's side (Django admin) -------------------------------------------------------------------------------------


def _lock_pending(registration: Registration) -> Registration:
    locked = _lock(registration)
    if locked.status != Registration.Status.PENDING:
        raise ValidationError(NOT_PENDING)
    return locked


def _decided(*, registration: Registration, by, status: str) -> None:
    registration.status = status
    registration.reviewed_by = by
    registration.reviewed_at = timezone.now()


@transaction.atomic
def registration_request_information(
    *, registration: Registration, by, message: str, request: HttpRequest | None = None
) -> Registration:
    """Staff send a pending registration back: the registrant reads TRA's message in TRACS, changes the
    registration and sends it again (same reference number). The e-mail says only that TRA is waiting."""
    message = message.strip()
    if not message:
        raise ValidationError({"message": [ValidationError(INFORMATION_REQUEST_REQUIRED, code="required")]})
    registration = _lock_pending(registration)
    _decided(registration=registration, by=by, status=Registration.Status.MORE_INFORMATION_REQUESTED)
    registration.information_request = message
    registration.save(
        update_fields=["status", "reviewed_by", "reviewed_at", "information_request", "updated_at"]
    )
    _event(
        registration=registration,
        kind=RegistrationEvent.Kind.INFORMATION_REQUESTED,
        actor=by,
        from_tra=True,
        message=message,
    )
    _log(
        registration=registration,
        actor=by,
        action="registration: more information requested",
        capacity="staff",
        request=request,
    )
    email_queue(
        to=[registration.registrant.email],
        subject=str(
            _("TRACS: TRA needs more information about registration %(reference)s")
            % {"reference": registration.reference_number}
        ),
        body=str(
            _(
                "Tax and Revenue Administration needs more information before it can decide on your %(program)s "
                "registration %(reference)s.\n\n"
                "Sign in to TRACS and choose Online Registration to read TRA's message, update the registration and "
                "send it again. For your security this e-mail does not repeat the message."
            )
            % {"program": registration.program.name, "reference": registration.reference_number}
        ),
        purpose="registration-information-requested",
    )
    return registration


@transaction.atomic
def registration_reject(
    *, registration: Registration, by, reason: str, request: HttpRequest | None = None
) -> Registration:
    """Staff refuse a pending registration; the reason is kept, shown in TRACS and e-mailed."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": [ValidationError(REJECTION_REASON_REQUIRED, code="required")]})
    registration = _lock_pending(registration)
    _decided(registration=registration, by=by, status=Registration.Status.REJECTED)
    registration.decision_reason = reason
    registration.save(update_fields=["status", "reviewed_by", "reviewed_at", "decision_reason", "updated_at"])
    _event(
        registration=registration,
        kind=RegistrationEvent.Kind.REJECTED,
        actor=by,
        from_tra=True,
        message=reason,
    )
    _log(
        registration=registration,
        actor=by,
        action="registration rejected",
        capacity="staff",
        detail=f"{registration.reference_number}: {reason}"[:500],
        request=request,
    )
    email_queue(
        to=[registration.registrant.email],
        subject=str(
            _("TRACS: registration %(reference)s was not approved")
            % {"reference": registration.reference_number}
        ),
        body=str(
            _(
                "Tax and Revenue Administration did not approve your %(program)s registration %(reference)s.\n\n"
                "Reason: %(reason)s\n\n"
                "If you have questions, contact TRA at 780-427-3044 (toll-free in Alberta: dial 310-0000 first) or "
                "TRA.Revenue@gov.ab.ca, quoting the reference number."
            )
            % {
                "program": registration.program.name,
                "reference": registration.reference_number,
                "reason": reason,
            }
        ),
        purpose="registration-rejected",
    )
    return registration


def _bflo_allocate() -> str:
    """The next BFLO number (`B` and 7 digits) from a PostgreSQL sequence."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval('programs_bflo_seq')")
        value = cursor.fetchone()[0]
    return f"B{value:07d}"


def registration_accounts_open(
    *, registration: Registration, by, request: HttpRequest | None = None
) -> list[ProgramAccount]:
    """What approval opens in programs, for a pending registration the caller has locked, inside the
    caller's transaction (consent.services.registration_approve): the taxpayer (with a new BIN when the
    registrant gave none), one account per program (`programs_opened_by`) with the mailing address, the
    contacts and the direct deposit, and a BFLO number for each bulk fuel location (on the Tax Exempt Fuel
    Sales account when there is one: its monthly reports name the BFLOs). The registration becomes approved."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("registration_accounts_open runs inside the approval's transaction")
    if registration.status != Registration.Status.PENDING:
        raise ValidationError(NOT_PENDING)
    taxpayer = existing_taxpayer(registration)
    if taxpayer is None:
        kind = (
            Taxpayer.Kind.INDIVIDUAL
            if registration.business_type == Registration.BusinessType.SOLE_PROPRIETORSHIP
            else Taxpayer.Kind.BUSINESS
        )
        taxpayer = taxpayer_create(
            legal_name=registration.legal_name, bin=registration.bin or None, kind=kind, by=by
        )
    accounts = []
    for code in programs_opened_by(registration):
        account = account_open(
            taxpayer=taxpayer,
            program=Program.objects.get(code=code),
            effective_date=registration.start_date,
            by=by,
            trade_name=registration.operating_name,
            mailing_address=registration.mailing_address,
        )
        for contact in registration.contacts.order_by("position"):
            row = Contact(
                account=account,
                name=contact.name,
                title=contact.title,
                phone=contact.phone,
                phone_extension=contact.phone_extension,
                email=contact.email,
                is_primary=contact.position == 1,
            )
            row.full_clean()
            row.save()
        if registration.wants_direct_deposit:
            deposit = DirectDeposit(
                account=account,
                institution_number=registration.deposit_institution_number,
                transit_number=registration.deposit_transit_number,
                account_number_encrypted=bytes(registration.deposit_account_number_encrypted),
                account_number_last4=registration.deposit_account_number_last4,
                holder_name=registration.deposit_holder_name,
                updated_by=registration.registrant,
            )
            deposit.full_clean()
            deposit.save()
            AccountChange.objects.create(
                account=account,
                actor=registration.registrant,
                actor_email=registration.registrant.email,
                capacity="registrant",
                subject=AccountChange.Subject.DIRECT_DEPOSIT,
                action=AccountChange.Action.ADDED,
                after={
                    "institution_number": deposit.institution_number,
                    "transit_number": deposit.transit_number,
                    "account_number": deposit.masked,
                    "holder_name": deposit.holder_name,
                },
            )
        accounts.append(account)
    bflo_account = next((a for a in accounts if a.program.code == "tefs"), accounts[0])
    for location in registration.locations.order_by("position"):
        bflo = BulkFuelLocation(
            account=bflo_account, number=_bflo_allocate(), name=location.name, address=location.address
        )
        bflo.full_clean()
        bflo.save()
        location.bflo = bflo
        location.save(update_fields=["bflo"])
    _decided(registration=registration, by=by, status=Registration.Status.APPROVED)
    registration.taxpayer = taxpayer
    registration.save(update_fields=["status", "reviewed_by", "reviewed_at", "taxpayer", "updated_at"])
    registration.accounts.set(accounts)
    _event(
        registration=registration,
        kind=RegistrationEvent.Kind.APPROVED,
        actor=by,
        from_tra=True,
        message=", ".join(account.number for account in accounts),
    )
    _log(
        registration=registration,
        actor=by,
        action="registration approved",
        capacity="staff",
        detail=f"{registration.reference_number}: BIN {taxpayer.bin}; accounts {', '.join(a.number for a in accounts)}",
        request=request,
    )
    return accounts


def registration_letter_html(*, registration: Registration) -> str:
    """The approval letter (seed 002, step 3: "a letter advising of your BIN and BFLO numbers"), as HTML."""
    return render_to_string(
        "programs/registration_approval_letter.html",
        {
            "registration": registration,
            "taxpayer": registration.taxpayer,
            "accounts": list(registration.accounts.select_related("program").order_by("number")),
            "locations": list(registration.locations.select_related("bflo").order_by("position")),
            "today": timezone.localdate(),
        },
    )


def registration_letter_pdf(*, registration: Registration) -> bytes:
    from weasyprint import HTML  # slow to import; only the letter job needs it

    return HTML(string=registration_letter_html(registration=registration)).write_pdf()


@transaction.atomic
def registration_letter_record(*, registration: Registration) -> None:
    """The letter is in the accounts' documents (called by the job that placed it, in its transaction)."""
    registration.letter_issued_at = timezone.now()
    registration.save(update_fields=["letter_issued_at", "updated_at"])
    _event(registration=registration, kind=RegistrationEvent.Kind.LETTER_ISSUED, actor=None, from_tra=True)
