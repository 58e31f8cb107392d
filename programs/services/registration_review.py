"""Online program registration, TRA's side (Django admin): ask for more information, reject, approve, and
the approval letter.

Approval is split along the layers (ARCHITECTURE.md): `registration_accounts_open` here opens what programs
keep (taxpayer and BIN, program accounts, addresses, contacts, direct deposit, BFLO numbers);
`consent.services.registration_approve` calls it and adds what only the access layer may: the registrant
becomes an owner of the new accounts; then the approval letter goes into the accounts' documents."""

from __future__ import annotations

from datetime import date
from typing import cast

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.actors import Actor
from accounts.models import User
from accounts.services import email_queue
from programs.models import (
    AccountChange,
    AccountFrequency,
    Address,
    BulkFuelLocation,
    Contact,
    DirectDeposit,
    DyeSite,
    Program,
    ProgramAccount,
    Registration,
    RegistrationEstablishment,
    RegistrationEvent,
    Taxpayer,
)
from programs.registration_rules import programs_opened_by, registers_establishments
from programs.selectors import existing_taxpayer
from programs.services.accounts import account_open, taxpayer_create
from programs.services.dye_sites import dye_sites_open
from programs.services.registration import registration_event_add, registration_lock, registration_log
from tracs.pdf import pdf_from_html

NOT_PENDING = _(
    "Only a registration pending review can be approved, rejected or sent back for more information."
)
REJECTION_REASON_REQUIRED = _("Give the reason for the rejection; it is e-mailed to the registrant.")
INFORMATION_REQUEST_REQUIRED = _("Say what information TRA needs; the registrant reads it in TRACS.")


# --- TRA's side (Django admin) -------------------------------------------------------------------------------------


def _lock_pending(registration: Registration) -> Registration:
    locked = registration_lock(registration)
    if locked.status != Registration.Status.PENDING:
        raise ValidationError(NOT_PENDING)
    return locked


def _decided(*, registration: Registration, by: User, status: str) -> None:
    registration.status = status
    registration.reviewed_by = by
    registration.reviewed_at = timezone.now()


@transaction.atomic
def registration_request_information(
    *, registration: Registration, by: User, message: str, actor: Actor
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
    registration_event_add(
        registration=registration,
        kind=RegistrationEvent.Kind.INFORMATION_REQUESTED,
        actor=by,
        from_tra=True,
        message=message,
    )
    registration_log(
        registration=registration,
        actor=actor,
        action="registration: more information requested",
        capacity="staff",
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
def registration_reject(*, registration: Registration, by: User, reason: str, actor: Actor) -> Registration:
    """Staff refuse a pending registration; the reason is kept, shown in TRACS and e-mailed."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": [ValidationError(REJECTION_REASON_REQUIRED, code="required")]})
    registration = _lock_pending(registration)
    _decided(registration=registration, by=by, status=Registration.Status.REJECTED)
    registration.decision_reason = reason
    registration.save(update_fields=["status", "reviewed_by", "reviewed_at", "decision_reason", "updated_at"])
    registration_event_add(
        registration=registration,
        kind=RegistrationEvent.Kind.REJECTED,
        actor=by,
        from_tra=True,
        message=reason,
    )
    registration_log(
        registration=registration,
        actor=actor,
        action="registration rejected",
        capacity="staff",
        detail=f"{registration.reference_number}: {reason}"[:500],
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


def _openings(registration: Registration) -> list[tuple[Program, RegistrationEstablishment | None]]:
    """Each account approval opens: one per program (`programs_opened_by`), or for the tourism levy one per
    establishment (shared/DOMAIN.md "Tourism Levy": "each establishment gets its own account number")."""
    if registers_establishments(registration):
        return [(registration.program, item) for item in registration.establishments.order_by("position")]
    return [(Program.objects.get(code=code), None) for code in programs_opened_by(registration)]


def _establishment_open(*, establishment: RegistrationEstablishment, account: ProgramAccount) -> None:
    """An establishment's account gets its location and its filing frequency from the quarter it opens in (a
    frequency changes only at a calendar quarter's start: programs.models_frequency)."""
    location = Address(
        account=account,
        kind=Address.Kind.LOCATION,
        line1=establishment.line1,
        city=establishment.city,
        province=establishment.province,
        postal_code=establishment.postal_code,
    )
    location.full_clean()
    location.save()
    opens = establishment.opens_on
    frequency = AccountFrequency(
        account=account,
        frequency=establishment.frequency,
        effective_from=date(opens.year, 3 * ((opens.month - 1) // 3) + 1, 1),
        reason=str(_("Chosen in the registration")),
    )
    frequency.full_clean()
    frequency.save()
    establishment.account = account
    establishment.save(update_fields=["account"])


def registration_accounts_open(*, registration: Registration, by: User, actor: Actor) -> list[ProgramAccount]:
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
            legal_name=registration.legal_name, bin=registration.bin or None, kind=kind, actor=actor
        )
    accounts = []
    for program, establishment in _openings(registration):
        account = account_open(
            taxpayer=taxpayer,
            program=program,
            # Sending checked it (registration_missing_parts): a pending registration has a start date.
            effective_date=establishment.opens_on if establishment else cast(date, registration.start_date),
            by=by,
            trade_name=establishment.name if establishment else registration.operating_name,
            mailing_address=registration.mailing_address,
            actor=actor,
        )
        if establishment is not None:
            _establishment_open(establishment=establishment, account=account)
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
                # Set with the other bank details when direct deposit was chosen (registration_banking_save).
                account_number_encrypted=bytes(cast(bytes, registration.deposit_account_number_encrypted)),
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
    dye_sites_open(registration=registration, account=bflo_account, bflo_number=_bflo_allocate, actor=actor)
    _decided(registration=registration, by=by, status=Registration.Status.APPROVED)
    registration.taxpayer = taxpayer
    registration.save(update_fields=["status", "reviewed_by", "reviewed_at", "taxpayer", "updated_at"])
    registration.accounts.set(accounts)
    registration_event_add(
        registration=registration,
        kind=RegistrationEvent.Kind.APPROVED,
        actor=by,
        from_tra=True,
        message=", ".join(account.number for account in accounts),
    )
    registration_log(
        registration=registration,
        actor=actor,
        action="registration approved",
        capacity="staff",
        detail=f"{registration.reference_number}: BIN {taxpayer.bin}; accounts {', '.join(a.number for a in accounts)}",
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
            "establishments": list(
                registration.establishments.select_related("account").order_by("position")
            ),
            "dye_sites": list(
                DyeSite.objects.filter(registration=registration).select_related("location").order_by("pk")
            ),
            "today": timezone.localdate(),
        },
    )


def registration_letter_pdf(*, registration: Registration) -> bytes:
    return pdf_from_html(html=registration_letter_html(registration=registration))


@transaction.atomic
def registration_letter_record(*, registration: Registration) -> None:
    """The letter is in the accounts' documents (called by the job that placed it, in its transaction)."""
    registration.letter_issued_at = timezone.now()
    registration.save(update_fields=["letter_issued_at", "updated_at"])
    registration_event_add(
        registration=registration, kind=RegistrationEvent.Kind.LETTER_ISSUED, actor=None, from_tra=True
    )
