"""Online registration, the registrant's side (programs/services/registration.py): a draft saved part by
part, each part checked before anything of it is saved, then sent to TRA: pending, with a reference number
e-mailed. Staff's reject and request-for-more-information loop (the approval is in tests/consent)."""

import re

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.crypto import decrypt
from accounts.models import AccessLogEntry
from programs import registration_rules, selectors, validators
from programs.models import Program, Registration, RegistrationEvent
from programs.services import registration as registration_services
from programs.services import registration_review
from tests.accounts.factories import UserFactory, actor_for
from tests.programs.registration_factories import (
    BANK,
    BUSINESS,
    CONTACTS,
    LOCATIONS,
    registration_draft,
    registration_pending,
)

pytestmark = pytest.mark.django_db

REFERENCE = re.compile(r"^REG-\d{4}-\d{6}$")


@pytest.fixture
def registrant(db):
    return UserFactory(full_name="Riley Registrant", email="riley@example.ca")


@pytest.fixture
def staff(db):
    return UserFactory(full_name="Sam Staff", is_staff=True, is_superuser=True)


def _sent(registration, django_capture_on_commit_callbacks, **kwargs):
    with django_capture_on_commit_callbacks(execute=True):
        return registration_services.registration_submit(
            registration=registration,
            by=registration.registrant,
            certified=True,
            certified_name="Riley Registrant",
            **kwargs,
            actor=actor_for(registration.registrant),
        )


# --- Programs ---


def test_fuel_tax_and_the_tourism_levy_register_online_and_the_menu_says_how_the_others_register(db):
    choices = selectors.registration_programs()

    assert [c.program.code for c in choices if c.online] == ["fuel_tax", "tourism_levy"]
    offline = {c.program.code: c.how for c in choices if not c.online}
    assert "AT5135" in offline["carbon_levy"]
    assert "AT4804" in offline["aite"]
    assert "Fuel Tax registration" in offline["tefs"]
    assert all(offline.values())


def test_a_program_that_registers_on_paper_cannot_be_started_online(registrant):
    with pytest.raises(ValidationError) as caught:
        registration_services.registration_start(
            registrant=registrant,
            program=Program.objects.get(code="aite"),
            actor=actor_for(registrant),
        )

    assert "does not register online" in caught.value.message_dict["program"][0]
    assert not Registration.objects.exists()


def test_starting_makes_a_draft_of_the_registrant(registrant):
    registration = registration_services.registration_start(
        registrant=registrant,
        program=Program.objects.get(code="fuel_tax"),
        actor=actor_for(registrant),
    )

    assert (registration.status, registration.reference_number, registration.registrant) == (
        "draft",
        None,
        registrant,
    )
    assert registration.events.get().kind == RegistrationEvent.Kind.STARTED
    assert AccessLogEntry.objects.filter(actor=registrant, action="registration started").exists()


# --- Parts: each is checked before anything of it is saved ---


def test_business_identity_is_normalized(registrant):
    registration = registration_draft(
        registrant=registrant, business={"postal_code": "t4n4a1", "bin": "123 456 789"}
    )

    assert registration.postal_code == "T4N 4A1"
    assert registration.bin == "123456789"
    assert registration.legal_name == BUSINESS["legal_name"]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("legal_name", "  ", registration_services.REQUIRED),
        ("business_type", "", registration_services.BUSINESS_TYPE_REQUIRED),
        ("start_date", None, registration_services.START_DATE_REQUIRED),
        ("postal_code", "T4N 4A", validators.POSTAL_CODE_FORMAT),
        (
            "postal_code",
            "V6B 1A1",
            "Postal codes in Alberta start with T. Check the postal code or the province.",
        ),
        ("province", "XX", validators.PROVINCE_UNKNOWN),
        ("bin", "12345", "A BIN is 9 digits."),
    ],
)
def test_business_identity_with_an_error_saves_nothing(registrant, field, value, message):
    registration = registration_draft(
        registrant=registrant,
        business=False,
        reasons=None,
        locations=None,
        contacts=None,
        direct_deposit=None,
    )

    with pytest.raises(ValidationError) as caught:
        registration_services.registration_business_save(
            registration=registration,
            by=registrant,
            **{**BUSINESS, field: value},
            actor=actor_for(registrant),
        )

    assert caught.value.message_dict[field] == [str(message)]
    registration.refresh_from_db()
    assert registration.legal_name == ""
    assert registration.city == ""


def test_reasons_are_required_and_from_the_list(registrant):
    registration = registration_draft(
        registrant=registrant, reasons=None, locations=None, contacts=None, direct_deposit=None
    )

    with pytest.raises(ValidationError) as caught:
        registration_services.registration_reasons_save(
            registration=registration, by=registrant, reasons=[], actor=actor_for(registrant)
        )
    assert caught.value.message_dict["reasons"] == [str(registration_services.NO_REASONS)]
    with pytest.raises(ValidationError):
        registration_services.registration_reasons_save(
            registration=registration,
            by=registrant,
            reasons=["smuggle"],
            actor=actor_for(registrant),
        )

    registration_services.registration_reasons_save(
        registration=registration,
        by=registrant,
        reasons=["export_bulk", "refine"],
        actor=actor_for(registrant),
    )
    registration.refresh_from_db()
    assert registration.reasons == ["refine", "export_bulk"]  # kept in the seed page's order


def test_selling_marked_fuel_needs_a_bulk_location(registrant):
    registration = registration_draft(
        registrant=registrant, locations=None, contacts=None, direct_deposit=None
    )

    with pytest.raises(ValidationError) as caught:
        registration_services.registration_locations_save(
            registration=registration,
            by=registrant,
            locations=[],
            actor=actor_for(registrant),
        )

    assert caught.value.messages == [str(registration_services.LOCATIONS_REQUIRED)]
    assert registration_rules.registration_missing_parts(registration) == ["locations", "contacts", "banking"]


def test_a_location_with_an_error_saves_none_of_the_locations(registrant):
    registration = registration_draft(registrant=registrant, contacts=None, direct_deposit=None)
    rows = [dict(row) for row in LOCATIONS] + [{**LOCATIONS[0], "name": "Third", "postal_code": "Z1Z 1Z1"}]

    with pytest.raises(ValidationError) as caught:
        registration_services.registration_locations_save(
            registration=registration,
            by=registrant,
            locations=rows,
            actor=actor_for(registrant),
        )

    assert caught.value.messages[0].startswith("Location 3:")
    assert list(registration.locations.values_list("name", flat=True)) == [row["name"] for row in LOCATIONS]


@pytest.mark.parametrize("capacity", ["0", "-5", "12.5", "lots", None])
def test_a_location_needs_a_whole_positive_capacity(registrant, capacity):
    registration = registration_draft(
        registrant=registrant, locations=None, contacts=None, direct_deposit=None
    )

    with pytest.raises(ValidationError) as caught:
        registration_services.registration_locations_save(
            registration=registration,
            by=registrant,
            locations=[{**LOCATIONS[0], "capacity_litres": capacity}],
            actor=actor_for(registrant),
        )

    assert str(registration_services.CAPACITY_POSITIVE) in caught.value.messages[0]
    assert not registration.locations.exists()


def test_contacts_replace_the_list_and_need_a_way_to_reach_them(registrant):
    registration = registration_draft(registrant=registrant, direct_deposit=None)
    assert [c.phone for c in registration.contacts.all()] == ["403-555-0142", ""]

    with pytest.raises(ValidationError) as caught:
        registration_services.registration_contacts_save(
            registration=registration,
            by=registrant,
            contacts=[{"name": "No Way", "title": "", "phone": "", "email": ""}],
            actor=actor_for(registrant),
        )
    assert caught.value.messages == [f"Contact 1: {registration_services.CONTACT_NEEDS_PHONE_OR_EMAIL}"]
    with pytest.raises(ValidationError) as caught:
        registration_services.registration_contacts_save(
            registration=registration,
            by=registrant,
            contacts=[],
            actor=actor_for(registrant),
        )
    assert caught.value.messages == [str(registration_services.NO_CONTACTS)]
    assert registration.contacts.count() == len(CONTACTS)


def test_the_bank_account_number_is_kept_encrypted_and_shown_by_its_last_four_digits(registrant):
    registration = registration_draft(registrant=registrant)

    assert registration.wants_direct_deposit is True
    assert registration.deposit_account_number_last4 == "4321"
    assert registration.deposit_masked == "ending in 4321"
    assert decrypt(registration.deposit_account_number_encrypted) == BANK["account_number"]
    assert BANK["account_number"].encode() not in bytes(registration.deposit_account_number_encrypted)

    registration_services.registration_banking_save(
        registration=registration,
        by=registrant,
        wants_direct_deposit=True,
        keep_saved_account=True,
        **{**BANK, "account_number": ""},
        actor=actor_for(registrant),
    )
    registration.refresh_from_db()
    assert registration.deposit_account_number_last4 == "4321"

    registration_services.registration_banking_save(
        registration=registration,
        by=registrant,
        wants_direct_deposit=False,
        actor=actor_for(registrant),
    )
    registration.refresh_from_db()
    assert (
        registration.wants_direct_deposit,
        registration.deposit_account_number_encrypted,
        registration.deposit_masked,
    ) == (False, None, "")


def test_bank_numbers_of_the_wrong_length_are_refused(registrant):
    registration = registration_draft(registrant=registrant, direct_deposit=None)

    with pytest.raises(ValidationError) as caught:
        registration_services.registration_banking_save(
            registration=registration,
            by=registrant,
            wants_direct_deposit=True,
            institution_number="01",
            transit_number="123",
            account_number="12",
            holder_name="",
            actor=actor_for(registrant),
        )

    assert set(caught.value.message_dict) == {
        "institution_number",
        "transit_number",
        "account_number",
        "holder_name",
    }
    registration.refresh_from_db()
    assert registration.wants_direct_deposit is None


# --- Sending it to TRA ---


def test_sending_makes_it_pending_with_a_reference_number_e_mailed(
    registrant, django_capture_on_commit_callbacks
):
    registration = registration_draft(registrant=registrant)

    registration = _sent(registration, django_capture_on_commit_callbacks)

    assert registration.status == Registration.Status.PENDING
    assert REFERENCE.fullmatch(registration.reference_number)
    # The year it was first sent in Alberta: on New Year's Eve after 17:00 the UTC year is already the next one.
    assert registration.reference_number.startswith(
        f"REG-{timezone.localtime(registration.first_submitted_at):%Y}-"
    )
    assert registration.certified_name == "Riley Registrant"
    assert [e.kind for e in registration.events.all()] == ["started", "submitted"]
    (email,) = [m for m in mail.outbox if m.to == [registrant.email]]
    assert registration.reference_number in email.subject
    assert "pending" in email.body
    assert BANK["account_number"] not in email.body
    assert AccessLogEntry.objects.filter(
        actor=registrant, action="registration sent to TRA", detail=registration.reference_number
    ).exists()


def test_reference_numbers_are_unique(registrant):
    first = registration_pending(registrant=registrant)
    second = registration_pending(registrant=registrant)

    assert first.reference_number != second.reference_number
    assert int(second.reference_number[-6:]) > int(first.reference_number[-6:])


def test_an_incomplete_registration_is_not_sent(registrant):
    registration = registration_draft(registrant=registrant, contacts=None, direct_deposit=None)

    with pytest.raises(ValidationError) as caught:
        registration_services.registration_submit(
            registration=registration,
            by=registrant,
            certified=False,
            certified_name="",
            actor=actor_for(registrant),
        )

    errors = caught.value.message_dict
    assert errors["certified"] == [str(registration_services.CERTIFICATION_REQUIRED)]
    assert errors["certified_name"] == [str(registration_services.CERTIFIED_NAME_REQUIRED)]
    assert errors["__all__"] == [registration_services.INCOMPLETE % {"parts": "Contacts, Banking"}]
    registration.refresh_from_db()
    assert (registration.status, registration.reference_number) == ("draft", None)
    assert mail.outbox == []


def test_a_sent_registration_cannot_be_changed_or_deleted(registrant):
    registration = registration_pending(registrant=registrant)

    with pytest.raises(ValidationError) as caught:
        registration_services.registration_reasons_save(
            registration=registration,
            by=registrant,
            reasons=["refund"],
            actor=actor_for(registrant),
        )
    assert caught.value.messages == [str(registration_services.NOT_EDITABLE)]
    with pytest.raises(ValidationError):
        registration_services.registration_submit(
            registration=registration,
            by=registrant,
            certified=True,
            certified_name="R",
            actor=actor_for(registrant),
        )
    with pytest.raises(ValidationError):
        registration_services.registration_discard(
            registration=registration, by=registrant, actor=actor_for(registrant)
        )
    assert Registration.objects.filter(pk=registration.pk, status="pending").exists()


def test_only_the_registrant_changes_a_draft(registrant):
    registration = registration_draft(registrant=registrant)
    other = UserFactory()

    with pytest.raises(ValidationError):
        registration_services.registration_reasons_save(
            registration=registration,
            by=other,
            reasons=["refund"],
            actor=actor_for(other),
        )
    with pytest.raises(ValidationError):
        registration_services.registration_discard(
            registration=registration, by=other, actor=actor_for(other)
        )


def test_a_draft_can_be_deleted(registrant):
    registration = registration_draft(registrant=registrant)

    registration_services.registration_discard(
        registration=registration, by=registrant, actor=actor_for(registrant)
    )

    assert not Registration.objects.exists()
    assert AccessLogEntry.objects.filter(action="registration draft deleted").exists()


# --- TRA asks for more information; the registrant sends it again ---


def test_more_information_loop_keeps_the_reference_number(
    registrant, staff, django_capture_on_commit_callbacks
):
    registration = registration_pending(registrant=registrant)
    reference = registration.reference_number
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        registration_review.registration_request_information(
            registration=registration,
            by=staff,
            message="Send the lease of the Innisfail tank site.",
            actor=actor_for(staff),
        )
    registration.refresh_from_db()
    assert registration.status == Registration.Status.MORE_INFORMATION_REQUESTED
    assert registration.is_editable
    (email,) = mail.outbox
    assert email.to == [registrant.email]
    assert reference in email.subject
    assert "Innisfail" not in email.body  # the message stays behind the sign-in

    registration_services.registration_locations_save(
        registration=registration,
        by=registrant,
        locations=[dict(LOCATIONS[0])],
        actor=actor_for(registrant),
    )
    registration = _sent(registration, django_capture_on_commit_callbacks)

    assert registration.status == Registration.Status.PENDING
    assert registration.reference_number == reference
    assert [e.kind for e in registration.events.all()] == [
        "started",
        "submitted",
        "information_requested",
        "resubmitted",
    ]
    assert (
        registration.events.get(kind="information_requested").message
        == "Send the lease of the Innisfail tank site."
    )
    assert "with the information TRA asked for" in mail.outbox[-1].body


def test_rejection_keeps_and_e_mails_the_reason(registrant, staff, django_capture_on_commit_callbacks):
    registration = registration_pending(registrant=registrant)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        registration_review.registration_reject(
            registration=registration,
            by=staff,
            reason="The business is not in Alberta.",
            actor=actor_for(staff),
        )

    registration.refresh_from_db()
    assert (registration.status, registration.decision_reason, registration.reviewed_by) == (
        "rejected",
        "The business is not in Alberta.",
        staff,
    )
    (email,) = mail.outbox
    assert email.to == [registrant.email]
    assert "The business is not in Alberta." in email.body
    assert not registration.is_editable


@pytest.mark.parametrize("action", ["reject", "request"])
def test_staff_decisions_need_a_reason_and_a_pending_registration(registrant, staff, action):
    registration = registration_pending(registrant=registrant)
    call = {
        "reject": lambda **kw: registration_review.registration_reject(reason=kw.pop("text"), **kw),
        "request": lambda **kw: registration_review.registration_request_information(
            message=kw.pop("text"), **kw
        ),
    }[action]

    with pytest.raises(ValidationError):
        call(registration=registration, by=staff, text="  ", actor=actor_for(staff))
    draft = registration_draft(registrant=registrant)
    with pytest.raises(ValidationError) as caught:
        call(registration=draft, by=staff, text="Why", actor=actor_for(staff))
    assert caught.value.messages == [str(registration_review.NOT_PENDING)]


def test_missing_parts_of_a_fresh_draft(registrant):
    registration = registration_services.registration_start(
        registrant=registrant,
        program=Program.objects.get(code="fuel_tax"),
        actor=actor_for(registrant),
    )

    assert registration_rules.registration_missing_parts(registration) == [
        "business",
        "reasons",
        "contacts",
        "banking",
    ]
    assert registration_rules.programs_opened_by(registration) == ["fuel_tax"]
    registration.reasons = ["sell_marked"]
    assert registration_rules.programs_opened_by(registration) == ["fuel_tax", "tefs"]
