"""Online program registration, the registrant's side (issue 4, part 6; seed 004, "How to register").

A signed-in person chooses Online Registration and a program, fills in the parts of the form (business
identity, registration reasons, bulk fuel locations, contacts, banking), each saved to a draft in the
database as soon as it is valid (so the draft survives sign-out), then sends it: the registration is
*pending* and gets a reference number, shown and e-mailed. TRA staff review it in Django admin
(programs.services.registration_review): approve, reject with a reason, or ask for more information (the
registrant then changes it and sends it again). What registration is (programs, parts, reasons) is in
programs.registration_rules.

Every function checks its own rules (views are thin), runs in one transaction, writes the access log and
queues its e-mails through the outbox. Nothing is saved half: a part with an error changes nothing.

A little over 500 lines on purpose: the five parts, sending and discarding share the locking, logging and field
checks at the top, and the messages the forms and tests assert on; TRA's side is already its own module."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.actors import Actor
from accounts.crypto import encrypt
from accounts.models import AccessLogEntry, User
from accounts.services import access_log_record, email_queue
from programs import validators
from programs.models import (
    BIN_VALIDATOR,
    Program,
    Registration,
    RegistrationContact,
    RegistrationEvent,
    RegistrationLocation,
)
from programs.registration_rules import (
    MAX_CONTACTS,
    MAX_LOCATIONS,
    OFFLINE_DEFAULT,
    OFFLINE_HOW,
    ONLINE_PROGRAMS,
    needs_locations,
    registration_missing_parts,
    step_label,
)

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
ESTABLISHMENTS_REQUIRED = _(
    "Add at least one establishment: each location providing accommodation is registered and gets its own "
    "tourism levy account."
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

PART_MISSING = {
    "business": _("Enter the business's legal name, type, start date and mailing address."),
    "reasons": NO_REASONS,
    "locations": LOCATIONS_REQUIRED,
    "establishments": ESTABLISHMENTS_REQUIRED,
    "dye_sites": _(
        "List each site where fuel will be dyed with seed 002's criteria, and give the business's attestation of "
        "full compliance and agreement to the monthly reports."
    ),
    "contacts": NO_CONTACTS,
    "banking": BANKING_UNANSWERED,
}


# Errors by field, as a ValidationError takes them.
Errors = dict[str, list[ValidationError]]


# --- Helpers ----------------------------------------------------------------------------------------------------


def registration_log(
    *,
    registration: Registration,
    action: str,
    capacity: str,
    detail: str = "",
    actor: Actor,
) -> None:
    """The access-log row of a step (shared with programs.services.registration_review)."""
    access_log_record(
        actor=actor,
        kind=AccessLogEntry.Kind.CHANGE,
        action=action,
        on_behalf_of=registration.on_behalf_of,
        capacity=capacity,
        detail=detail or (registration.reference_number or f"draft {registration.pk}"),
    )


def registration_event_add(
    *, registration: Registration, kind: str, actor: User | None, from_tra: bool = False, message: str = ""
) -> RegistrationEvent:
    """What the registrant sees in the registration's history (shared with registration_review)."""
    return RegistrationEvent.objects.create(
        registration=registration, kind=kind, actor=actor, from_tra=from_tra, message=message
    )


def registration_lock(registration: Registration) -> Registration:
    """The registration, locked for the step that changes it (shared with registration_review)."""
    return (
        Registration.objects.select_for_update(of=("self",))
        .select_related("program", "registrant")
        .get(pk=registration.pk)
    )


def lock_editable(*, registration: Registration, by: User) -> Registration:
    """The registrant's own registration, locked, while they may still change it."""
    locked = registration_lock(registration)
    if locked.registrant_id != by.pk:
        raise ValidationError(NOT_EDITABLE)  # views never get here: another's registration is a 404
    if not locked.is_editable:
        raise ValidationError(NOT_EDITABLE)
    return locked


def fields_required(values: Mapping[str, Any], names: Iterable[str], errors: Errors) -> None:
    for name in names:
        if not values[name]:
            errors.setdefault(name, []).append(ValidationError(REQUIRED, code="required"))


def address_errors(values: dict[str, Any], errors: Errors, *, postal_code_required: bool = True) -> None:
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


def draft_saved(*, registration: Registration, by: User, step: str, actor: Actor) -> None:
    registration.save()
    registration_log(
        registration=registration,
        actor=actor,
        action="registration part saved",
        capacity="registrant",
        detail=step,
    )


# --- The registrant's side ----------------------------------------------------------------------------------------


@transaction.atomic
def registration_start(*, registrant: User, program: Program, actor: Actor) -> Registration:
    """A new draft registration for `program`, kept until it is sent or deleted."""
    if program.code not in ONLINE_PROGRAMS:
        how = OFFLINE_HOW.get(program.code, OFFLINE_DEFAULT)
        raise ValidationError(
            {"program": [ValidationError(PROGRAM_NOT_ONLINE % {"program": program.name, "how": how})]}
        )
    registration = Registration.objects.create(registrant=registrant, program=program)
    registration_event_add(registration=registration, kind=RegistrationEvent.Kind.STARTED, actor=registrant)
    registration_log(
        registration=registration,
        actor=actor,
        action="registration started",
        capacity="registrant",
    )
    return registration


@transaction.atomic
def registration_business_save(
    *,
    registration: Registration,
    by: User,
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
    actor: Actor,
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
    errors: Errors = {}
    fields_required(values, ("legal_name", "line1", "city"), errors)
    if business_type not in Registration.BusinessType.values:
        errors["business_type"] = [ValidationError(BUSINESS_TYPE_REQUIRED, code="required")]
    if start_date is None:
        errors["start_date"] = [ValidationError(START_DATE_REQUIRED, code="required")]
    if values["bin"]:
        try:
            BIN_VALIDATOR(values["bin"])
        except ValidationError as error:
            errors["bin"] = error.error_list
    address_errors(values, errors)
    if errors:
        raise ValidationError(errors)
    registration = lock_editable(registration=registration, by=by)
    for name, value in values.items():
        setattr(registration, name, value)
    registration.start_date = start_date
    draft_saved(registration=registration, by=by, step="business", actor=actor)
    return registration


@transaction.atomic
def registration_reasons_save(
    *, registration: Registration, by: User, reasons: list[str], actor: Actor
) -> Registration:
    """Part 2: why the business must register (seed 004, "When to register")."""
    if not reasons:
        raise ValidationError({"reasons": [ValidationError(NO_REASONS, code="required")]})
    if set(reasons) - set(Registration.Reason.values):
        raise ValidationError({"reasons": [ValidationError(REASON_UNKNOWN, code="invalid")]})
    registration = lock_editable(registration=registration, by=by)
    registration.reasons = [reason for reason in Registration.Reason.values if reason in reasons]
    draft_saved(registration=registration, by=by, step="reasons", actor=actor)
    return registration


def _location_values(item: Mapping[str, Any]) -> dict[str, Any]:
    values = {
        "name": (item.get("name") or "").strip(),
        "line1": (item.get("line1") or "").strip(),
        "city": (item.get("city") or "").strip(),
        "province": item.get("province") or "",
        "postal_code": item.get("postal_code") or "",
        "capacity_litres": item.get("capacity_litres"),
    }
    errors: Errors = {}
    fields_required(values, ("name", "line1", "city"), errors)
    address_errors(values, errors, postal_code_required=False)
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
    *,
    registration: Registration,
    by: User,
    locations: list[Mapping[str, Any]],
    actor: Actor,
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
    registration = lock_editable(registration=registration, by=by)
    if not rows and needs_locations(registration):
        raise ValidationError(LOCATIONS_REQUIRED)
    registration.locations.all().delete()
    for position, values in enumerate(rows, start=1):
        location = RegistrationLocation(registration=registration, position=position, **values)
        location.full_clean()
        location.save()
    draft_saved(registration=registration, by=by, step="locations", actor=actor)
    return registration


def _contact_values(item: Mapping[str, Any]) -> dict[str, Any]:
    values = {
        "name": (item.get("name") or "").strip(),
        "title": (item.get("title") or "").strip(),
        "phone": "",
        "phone_extension": "",
        "email": (item.get("email") or "").strip().lower(),
    }
    errors: Errors = {}
    fields_required(values, ("name",), errors)
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
    *,
    registration: Registration,
    by: User,
    contacts: list[Mapping[str, Any]],
    actor: Actor,
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
    registration = lock_editable(registration=registration, by=by)
    registration.contacts.all().delete()
    for position, values in enumerate(rows, start=1):
        contact = RegistrationContact(registration=registration, position=position, **values)
        contact.full_clean()
        contact.save()
    draft_saved(registration=registration, by=by, step="contacts", actor=actor)
    return registration


@transaction.atomic
def registration_banking_save(
    *,
    registration: Registration,
    by: User,
    wants_direct_deposit: bool | None,
    institution_number: str = "",
    transit_number: str = "",
    account_number: str = "",
    holder_name: str = "",
    keep_saved_account: bool = False,
    actor: Actor,
) -> Registration:
    """Part 5: refunds by direct deposit (one bank account) or by cheque to the mailing address.

    The bank account number is stored encrypted and never shown again, only its last four digits; with
    `keep_saved_account` the account saved earlier stays (the person need not type it again)."""
    if wants_direct_deposit is None:
        raise ValidationError(
            {"wants_direct_deposit": [ValidationError(BANKING_UNANSWERED, code="required")]}
        )
    registration = lock_editable(registration=registration, by=by)
    if not wants_direct_deposit:
        registration.wants_direct_deposit = False
        registration.deposit_institution_number = registration.deposit_transit_number = ""
        registration.deposit_account_number_encrypted = None
        registration.deposit_account_number_last4 = registration.deposit_holder_name = ""
    elif keep_saved_account and registration.deposit_account_number_last4:
        registration.wants_direct_deposit = True
    else:
        values: dict[str, str] = {"holder_name": holder_name.strip()}
        errors: Errors = {}
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
    draft_saved(registration=registration, by=by, step="banking", actor=actor)
    return registration


@transaction.atomic
def registration_submit(
    *,
    registration: Registration,
    by: User,
    certified: bool,
    certified_name: str,
    actor: Actor,
) -> Registration:
    """Send the registration to TRA: it becomes *pending* with a reference number (kept if TRA sends it
    back and it is sent again), and the registrant gets it by e-mail."""
    errors: Errors = {}
    if not certified:
        errors["certified"] = [ValidationError(CERTIFICATION_REQUIRED, code="required")]
    if not certified_name.strip():
        errors["certified_name"] = [ValidationError(CERTIFIED_NAME_REQUIRED, code="required")]
    registration = lock_editable(registration=registration, by=by)
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
    registration_event_add(
        registration=registration,
        kind=RegistrationEvent.Kind.RESUBMITTED if again else RegistrationEvent.Kind.SUBMITTED,
        actor=by,
    )
    registration_log(
        registration=registration,
        actor=actor,
        action="registration sent to TRA again" if again else "registration sent to TRA",
        capacity="registrant",
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
def registration_discard(*, registration: Registration, by: User, actor: Actor) -> None:
    """Delete a draft never sent to TRA (a sent registration stays on record)."""
    locked = registration_lock(registration)
    if locked.registrant_id != by.pk or locked.status != Registration.Status.DRAFT:
        raise ValidationError(NOT_A_DRAFT)
    registration_log(
        registration=locked,
        actor=actor,
        action="registration draft deleted",
        capacity="registrant",
    )
    locked.delete()
