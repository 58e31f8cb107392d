"""Online Registration pages (programs/views_registration.py): the Program Name menu, each part of the form,
bad input shown next to its field with what was typed kept and nothing saved, rows added and removed
without JavaScript, a draft that survives sign-out, sending it, and TRA's request for more information."""

import re
from html import unescape

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import AccessLogEntry
from programs import validators
from programs.models import Program, Registration
from programs.services import registration as registration_services
from programs.services import registration_review
from tests.accounts.factories import UserFactory, actor_for
from tests.conftest import sign_in
from tests.programs.registration_factories import registration_draft, registration_pending

pytestmark = pytest.mark.django_db

BUSINESS_POST = {
    "legal_name": "Chinook Bulk Fuels Ltd.",
    "operating_name": "Chinook Fuels",
    "bin": "",
    "business_type": "corporation",
    "start_date": "2026-02-01",
    "line1": "4920 50 Avenue",
    "line2": "",
    "city": "Red Deer",
    "province": "AB",
    "postal_code": "t4n 4a1",
}


def _rows(prefix: str, rows: list[dict], **extra) -> dict:
    data = {f"{prefix}-TOTAL_FORMS": str(len(rows)), f"{prefix}-INITIAL_FORMS": "0", **extra}
    for index, row in enumerate(rows):
        data.update({f"{prefix}-{index}-{name}": value for name, value in row.items()})
    return data


LOCATION = {
    "name": "Red Deer bulk plant",
    "line1": "7710 Edgar Industrial Drive",
    "city": "Red Deer",
    "province": "AB",
    "postal_code": "T4P 3R2",
    "capacity_litres": "250,000",
}
CONTACT = {
    "name": "Casey Controller",
    "title": "Controller",
    "phone": "(403) 555-0142",
    "email": "casey@example.ca",
}


def field_errors(response, field: str) -> list[str]:
    """The error messages shown next to one field (templates/includes/field.html)."""
    return [
        unescape(m)
        for m in re.findall(rf'<p class="field-error" id="id_{field}_error">([^<]*)</p>', response.text)
    ]


def _url(name: str, registration=None) -> str:
    return reverse(name, kwargs={"pk": registration.pk}) if registration else reverse(name)


@pytest.fixture
def registrant(db):
    return UserFactory(full_name="Riley Registrant", email="riley@example.ca")


@pytest.fixture
def browser(client, registrant):
    return sign_in(client, registrant)


@pytest.fixture
def draft(registrant):
    return registration_services.registration_start(
        registrant=registrant,
        program=Program.objects.get(code="fuel_tax"),
        actor=actor_for(registrant),
    )


# --- Who may use the pages ---


def test_anonymous_people_are_sent_to_sign_in(client):
    response = client.get(_url("registration_list"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_a_person_without_two_factor_this_session_is_sent_to_verify(client, registrant):
    client.force_login(registrant)

    response = client.get(_url("registration_start"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("two_factor_verify"))


def test_someone_else_s_registration_is_not_found(registrant, draft):
    stranger = sign_in(Client(), UserFactory())

    for name in (
        "registration_detail",
        "registration_business",
        "registration_locations",
        "registration_review",
        "registration_discard",
    ):
        assert stranger.get(_url(name, draft)).status_code == 404, name
    assert stranger.post(_url("registration_business", draft), BUSINESS_POST).status_code == 404
    assert stranger.post(_url("registration_discard", draft)).status_code == 404
    assert Registration.objects.filter(pk=draft.pk, legal_name="").exists()
    assert (
        sign_in(Client(), UserFactory())
        .get(reverse("registration_detail", kwargs={"pk": 999999}))
        .status_code
        == 404
    )


# --- Home, the list and the Program Name menu ---


def test_home_leads_to_online_registration(browser):
    home = browser.get(reverse("home"))

    assert _url("registration_list") in home.text
    assert "Online Registration" in home.text


def test_the_list_shows_only_the_person_s_registrations(browser, registrant):
    mine = registration_pending(registrant=registrant)
    theirs = registration_pending(registrant=UserFactory())

    page = browser.get(_url("registration_list"))

    assert page.status_code == 200
    assert mine.reference_number in page.text
    assert theirs.reference_number not in page.text
    assert "Pending review by TRA" in page.text


def test_the_program_menu_offers_fuel_tax_and_the_tourism_levy_and_says_how_the_others_register(browser):
    page = browser.get(_url("registration_start"))

    assert page.status_code == 200
    assert re.search(r'<input type="radio" name="program" value="\d+"[^>]*id="id_program_0"', page.text)
    assert "Fuel Tax" in page.text
    assert "Tourism Levy" in page.text
    assert page.text.count('type="radio" name="program"') == 2
    assert "AT4804" in page.text
    assert "AT5135" in page.text


def test_starting_a_fuel_tax_registration(browser, registrant):
    response = browser.post(_url("registration_start"), {"program": Program.objects.get(code="fuel_tax").pk})

    registration = Registration.objects.get(registrant=registrant)
    assert response.status_code == 302
    assert response.url == _url("registration_business", registration)
    assert registration.status == Registration.Status.DRAFT


def test_starting_is_logged_with_the_registrant_s_address_and_the_page(browser, registrant, settings):
    settings.TRACS_PROXY_COUNT = 0
    browser.post(
        _url("registration_start"),
        {"program": Program.objects.get(code="fuel_tax").pk},
        REMOTE_ADDR="203.0.113.44",
    )

    entry = AccessLogEntry.objects.get(action="registration started")
    assert (entry.actor, entry.ip_address, entry.path, entry.door, entry.capacity) == (
        registrant,
        "203.0.113.44",
        _url("registration_start"),
        "web",
        "registrant",
    )


def test_a_paper_program_cannot_be_started(browser):
    response = browser.post(_url("registration_start"), {"program": Program.objects.get(code="aite").pk})

    assert response.status_code == 400
    assert "Choose the program to register for." in response.text
    assert not Registration.objects.exists()


# --- Part 1: business identity ---


def test_business_identity_saved_then_reasons(browser, draft):
    response = browser.post(_url("registration_business", draft), {**BUSINESS_POST, "next": ""})

    assert response.status_code == 302
    assert response.url == _url("registration_reasons", draft)
    draft.refresh_from_db()
    assert (draft.legal_name, draft.postal_code, draft.start_date.isoformat()) == (
        "Chinook Bulk Fuels Ltd.",
        "T4N 4A1",
        "2026-02-01",
    )


def test_save_and_come_back_later(browser, draft):
    response = browser.post(
        _url("registration_business", draft), {**BUSINESS_POST, "save_exit": ""}, follow=True
    )

    assert response.redirect_chain[-1][0] == _url("registration_detail", draft)
    assert str(registration_services.NOT_EDITABLE) not in response.text
    assert "Your draft registration is saved." in response.text
    assert "Chinook Bulk Fuels Ltd." in response.text


def test_business_identity_errors_are_next_to_their_fields_and_nothing_is_saved(browser, draft):
    bad = {**BUSINESS_POST, "legal_name": "", "business_type": "", "postal_code": "T4N 4A", "bin": "1234"}

    response = browser.post(_url("registration_business", draft), bad)

    assert response.status_code == 400
    assert field_errors(response, "legal_name") == ["This field is required."]
    assert field_errors(response, "business_type") == [str(registration_services.BUSINESS_TYPE_REQUIRED)]
    assert field_errors(response, "postal_code") == [str(validators.POSTAL_CODE_FORMAT)]
    assert field_errors(response, "bin") == ["A BIN is 9 digits."]
    assert 'class="error-summary"' in response.text
    # What was typed is kept on the page.
    assert 'value="4920 50 Avenue"' in response.text
    assert 'value="Chinook Fuels"' in response.text
    assert 'value="T4N 4A"' in response.text
    draft.refresh_from_db()
    assert (draft.legal_name, draft.line1, draft.operating_name) == ("", "", "")


def test_a_postal_code_of_another_province(browser, draft):
    response = browser.post(_url("registration_business", draft), {**BUSINESS_POST, "postal_code": "V6B 1A1"})

    assert response.status_code == 400
    assert field_errors(response, "postal_code") == [
        "Postal codes in Alberta start with T. Check the postal code or the province."
    ]


# --- Part 2: reasons ---


def test_reasons_at_least_one(browser, draft):
    response = browser.post(_url("registration_reasons", draft), {})

    assert response.status_code == 400
    assert str(registration_services.NO_REASONS) in response.text

    response = browser.post(
        _url("registration_reasons", draft), {"reasons": ["sell_marked", "import_for_resale"]}
    )
    assert response.status_code == 302
    assert response.url == _url("registration_locations", draft)
    draft.refresh_from_db()
    assert draft.reasons == ["import_for_resale", "sell_marked"]


def test_the_reasons_page_lists_the_seed_page_s_reasons(browser, draft):
    page = browser.get(_url("registration_reasons", draft))

    for label in (
        "Import fuel into Alberta for resale",
        "Sell fuel exempt from tax, including marked fuel",
        "Export fuel from Alberta in bulk",
        "Produce or refine fuel",
        "Operate a terminal",
        "full direct remitter (FDR)",
    ):
        assert label in page.text


# --- Part 3: locations (repeatable rows) ---


def test_locations_page_starts_with_one_empty_row(browser, draft):
    page = browser.get(_url("registration_locations", draft))

    assert page.status_code == 200
    assert 'name="locations-TOTAL_FORMS" value="1"' in page.text
    assert "Location 1" in page.text


def test_add_another_location_keeps_what_was_typed_and_saves_nothing(browser, draft):
    response = browser.post(_url("registration_locations", draft), _rows("locations", [LOCATION], add_row=""))

    assert response.status_code == 200
    assert 'name="locations-TOTAL_FORMS" value="2"' in response.text
    assert 'value="Red Deer bulk plant"' in response.text
    assert "Location 2" in response.text
    assert 'class="error-summary"' not in response.text
    assert not draft.locations.exists()


def test_remove_a_location_row(browser, draft):
    second = {**LOCATION, "name": "Innisfail tanks"}

    response = browser.post(
        _url("registration_locations", draft), _rows("locations", [LOCATION, second], remove_row="0")
    )

    assert response.status_code == 200
    assert 'value="Innisfail tanks"' in response.text
    assert 'value="Red Deer bulk plant"' not in response.text
    assert 'name="locations-TOTAL_FORMS" value="1"' in response.text


def test_locations_are_saved(browser, draft):
    empty_row = {name: "" for name in LOCATION} | {"province": "AB"}

    response = browser.post(
        _url("registration_locations", draft), _rows("locations", [LOCATION, empty_row], next="")
    )

    assert response.status_code == 302
    assert response.url == _url("registration_contacts", draft)
    (location,) = draft.locations.all()
    assert (location.name, location.capacity_litres, location.postal_code) == (
        "Red Deer bulk plant",
        250000,
        "T4P 3R2",
    )


def test_a_location_error_is_next_to_its_field_and_no_location_is_saved(browser, draft):
    rows = [LOCATION, {**LOCATION, "name": "Second", "postal_code": "T4P 3R", "capacity_litres": "0"}]

    response = browser.post(_url("registration_locations", draft), _rows("locations", rows))

    assert response.status_code == 400
    assert field_errors(response, "locations-1-postal_code") == [str(validators.POSTAL_CODE_FORMAT)]
    assert field_errors(response, "locations-1-capacity_litres") == [
        str(registration_services.CAPACITY_POSITIVE)
    ]
    assert 'href="#id_locations-1-postal_code"' in response.text
    assert 'value="Red Deer bulk plant"' in response.text
    assert not draft.locations.exists()


def test_selling_marked_fuel_needs_a_location(browser, registrant):
    registration = registration_draft(
        registrant=registrant, locations=None, contacts=None, direct_deposit=None
    )
    empty_row = {name: "" for name in LOCATION} | {"province": "AB"}

    response = browser.post(_url("registration_locations", registration), _rows("locations", [empty_row]))

    assert response.status_code == 400
    assert str(registration_services.LOCATIONS_REQUIRED) in unescape(response.text)


# --- Part 4: contacts ---


def test_contacts_saved_with_the_phone_normalized(browser, draft):
    response = browser.post(_url("registration_contacts", draft), _rows("contacts", [CONTACT]))

    assert response.status_code == 302
    assert response.url == _url("registration_banking", draft)
    assert draft.contacts.get().phone == "403-555-0142"


def test_a_contact_with_a_bad_phone_number(browser, draft):
    response = browser.post(
        _url("registration_contacts", draft), _rows("contacts", [{**CONTACT, "phone": "555-0142"}])
    )

    assert response.status_code == 400
    assert field_errors(response, "contacts-0-phone") == [str(validators.PHONE_FORMAT)]
    assert 'value="Casey Controller"' in response.text
    assert not draft.contacts.exists()


def test_at_least_one_contact(browser, draft):
    response = browser.post(
        _url("registration_contacts", draft),
        _rows("contacts", [{"name": "", "title": "", "phone": "", "email": ""}]),
    )

    assert response.status_code == 400
    assert str(registration_services.NO_CONTACTS) in response.text


# --- Part 5: banking ---


def test_direct_deposit_saved_and_the_account_number_never_shown_again(browser, draft):
    data = {
        "wants_direct_deposit": "yes",
        "institution_number": "001",
        "transit_number": "12345",
        "account_number": "987654321",
        "account_number_again": "987654321",
        "holder_name": "Chinook Bulk Fuels Ltd.",
    }

    response = browser.post(_url("registration_banking", draft), data)

    assert response.status_code == 302
    assert response.url == _url("registration_review", draft)
    draft.refresh_from_db()
    assert draft.deposit_account_number_last4 == "4321"
    page = browser.get(_url("registration_banking", draft))
    assert "987654321" not in page.text
    assert "ending in 4321" in page.text
    assert page["Cache-Control"].startswith("max-age=0")

    # Kept when the account number boxes are left empty.
    response = browser.post(
        _url("registration_banking", draft), {**data, "account_number": "", "account_number_again": ""}
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.deposit_account_number_last4 == "4321"


def test_bank_numbers_of_the_wrong_length_and_a_mismatch(browser, draft):
    data = {
        "wants_direct_deposit": "yes",
        "institution_number": "01",
        "transit_number": "1234",
        "account_number": "987654321",
        "account_number_again": "987654322",
        "holder_name": "",
    }

    response = browser.post(_url("registration_banking", draft), data)

    assert response.status_code == 400
    assert field_errors(response, "institution_number") == [str(validators.INSTITUTION_NUMBER)]
    assert field_errors(response, "transit_number") == [str(validators.TRANSIT_NUMBER)]
    assert field_errors(response, "account_number_again") == [
        "The two account numbers are not the same. Type the account number again in both boxes."
    ]
    assert field_errors(response, "holder_name") == ["This field is required."]
    assert "987654321" not in response.text
    draft.refresh_from_db()
    assert draft.wants_direct_deposit is None


def test_refunds_by_cheque(browser, draft):
    response = browser.post(_url("registration_banking", draft), {"wants_direct_deposit": "no"})

    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.wants_direct_deposit is False


def test_banking_must_be_answered(browser, draft):
    response = browser.post(_url("registration_banking", draft), {})

    assert response.status_code == 400
    assert str(registration_services.BANKING_UNANSWERED) in response.text


# --- Review and send ---


def test_review_lists_what_is_missing_and_refuses_to_send(browser, registrant):
    registration = registration_draft(registrant=registrant, contacts=None, direct_deposit=None)

    page = browser.get(_url("registration_review", registration))
    assert page.status_code == 200
    assert "Not complete yet" in page.text
    assert _url("registration_contacts", registration) in page.text

    response = browser.post(
        _url("registration_review", registration), {"certified_name": "Riley Registrant", "certified": "on"}
    )
    assert response.status_code == 400
    assert "Some parts are not complete yet: Contacts, Banking." in response.text
    registration.refresh_from_db()
    assert registration.status == Registration.Status.DRAFT


def test_sending_shows_and_e_mails_the_reference_number(
    browser, registrant, django_capture_on_commit_callbacks
):
    registration = registration_draft(registrant=registrant)
    page = browser.get(_url("registration_review", registration))
    assert "Chinook Bulk Fuels Ltd." in page.text
    assert "ending in 4321" in page.text
    assert "Approval opens 2 program accounts" in page.text

    response = browser.post(_url("registration_review", registration), {"certified_name": "Riley Registrant"})
    assert response.status_code == 400
    assert field_errors(response, "certified") == [str(registration_services.CERTIFICATION_REQUIRED)]

    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post(
            _url("registration_review", registration),
            {"certified_name": "Riley Registrant", "certified": "on"},
            follow=True,
        )

    registration.refresh_from_db()
    assert registration.status == Registration.Status.PENDING
    assert response.redirect_chain[-1][0] == _url("registration_detail", registration)
    assert f"its reference number is {registration.reference_number}" in response.text
    assert 'data-testid="registration-status">Pending review by TRA<' in response.text
    (email,) = [m for m in mail.outbox if m.to == [registrant.email]]
    assert registration.reference_number in email.subject


def test_a_sent_registration_cannot_be_edited(browser, registrant):
    registration = registration_pending(registrant=registrant)

    response = browser.get(_url("registration_business", registration), follow=True)

    assert response.redirect_chain[-1][0] == _url("registration_detail", registration)
    assert str(registration_services.NOT_EDITABLE) in unescape(response.text)
    response = browser.post(
        _url("registration_business", registration), {**BUSINESS_POST, "legal_name": "Changed"}
    )
    assert response.status_code == 302
    registration.refresh_from_db()
    assert registration.legal_name == "Chinook Bulk Fuels Ltd."


# --- A draft survives sign-out ---


def test_a_draft_survives_sign_out(browser, registrant):
    browser.post(_url("registration_start"), {"program": Program.objects.get(code="fuel_tax").pk})
    registration = Registration.objects.get(registrant=registrant)
    browser.post(_url("registration_business", registration), {**BUSINESS_POST, "save_exit": ""})
    browser.post(
        _url("registration_reasons", registration), {"reasons": ["import_for_resale"], "save_exit": ""}
    )

    browser.post(reverse("account_logout"))
    assert browser.get(_url("registration_list")).status_code == 302  # signed out

    again = sign_in(Client(), registrant)
    listing = again.get(_url("registration_list"))
    assert "Draft started" in listing.text
    assert "Chinook Bulk Fuels Ltd." in listing.text
    detail = again.get(_url("registration_detail", registration))
    assert "This draft is saved and has not been sent to TRA." in detail.text
    business = again.get(_url("registration_business", registration))
    assert 'value="Chinook Bulk Fuels Ltd."' in business.text
    assert 'value="T4N 4A1"' in business.text
    reasons = again.get(_url("registration_reasons", registration))
    assert re.search(r'value="import_for_resale"[^>]*checked', reasons.text)


def test_a_draft_can_be_deleted(browser, draft):
    assert browser.get(_url("registration_discard", draft)).status_code == 200

    response = browser.post(_url("registration_discard", draft))

    assert response.status_code == 302
    assert response.url == _url("registration_list")
    assert not Registration.objects.exists()


# --- TRA asks for more information ---


def test_more_information_then_sent_again(browser, registrant, django_capture_on_commit_callbacks):
    staff = UserFactory(is_staff=True)
    registration = registration_pending(registrant=registrant)
    registration_review.registration_request_information(
        registration=registration,
        by=staff,
        message="Which tank farm is at Innisfail?",
        actor=actor_for(staff),
    )

    detail = browser.get(_url("registration_detail", registration))
    assert "TRA needs more information" in detail.text
    assert "Which tank farm is at Innisfail?" in detail.text
    step = browser.get(_url("registration_locations", registration))
    assert step.status_code == 200
    assert "Which tank farm is at Innisfail?" in step.text

    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post(
            _url("registration_review", registration),
            {"certified_name": "Riley Registrant", "certified": "on"},
        )

    assert response.status_code == 302
    registration.refresh_from_db()
    assert registration.status == Registration.Status.PENDING
    page = browser.get(_url("registration_detail", registration))
    assert "Sent to TRA again with more information" in page.text


def test_a_rejected_registration_shows_the_reason(browser, registrant):
    registration = registration_pending(registrant=registrant)
    registration_review.registration_reject(
        registration=registration,
        by=UserFactory(is_staff=True),
        reason="Not a fuel seller.",
        actor=actor_for(UserFactory(is_staff=True)),
    )

    page = browser.get(_url("registration_detail", registration))

    assert "The registration was not approved" in page.text
    assert "Not a fuel seller." in page.text
