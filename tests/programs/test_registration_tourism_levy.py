"""Online registration for the Tourism Levy (AT4827; shared/DOMAIN.md "Tourism Levy": operators register each
location providing lodging, and each establishment gets its own account number). The form's parts are the
business, its establishments, contacts and banking; approval opens one tourism levy account per establishment,
with its location and filing frequency, and the letter lists them."""

from __future__ import annotations

import re
from datetime import date
from html import unescape

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from consent import services as consent_services
from consent.models import Grant
from filings.tourism_levy import period_kind_on
from programs.models import AccountFrequency, Address, Program, Registration, RegistrationEstablishment
from programs.services import registration as registration_services
from programs.services import registration_establishments as establishments_services
from programs.services import registration_review
from tests.accounts.factories import UserFactory, actor_for
from tests.conftest import sign_in
from tests.programs.registration_factories import (
    ESTABLISHMENTS,
    tourism_levy_registration_draft,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def registrant(db):
    return UserFactory(full_name="Hana Hotelier", email="hana@example.ca")


@pytest.fixture
def browser(client, registrant):
    return sign_in(client, registrant)


def _save(registration, registrant, rows):
    return establishments_services.registration_establishments_save(
        registration=registration, by=registrant, establishments=rows, actor=actor_for(registrant)
    )


def _submit(registration, registrant):
    return registration_services.registration_submit(
        registration=registration,
        by=registrant,
        certified=True,
        certified_name=registrant.display_name,
        actor=actor_for(registrant),
    )


def _rows(rows: list[dict]) -> dict:
    data = {"establishments-TOTAL_FORMS": str(len(rows)), "establishments-INITIAL_FORMS": "0"}
    for index, row in enumerate(rows):
        data.update({f"establishments-{index}-{name}": value for name, value in row.items()})
    return data


INN_POST = {
    "name": "Bow Valley Inn",
    "kind": "inn",
    "line1": "101 Bow Valley Trail",
    "city": "Canmore",
    "postal_code": "t1w 1n8",
    "units": "24",
    "listed_online": "on",
    "opens_on": "2026-02-15",
    "frequency": "monthly",
}


# --- The form's parts ---


def test_a_tourism_levy_registration_has_its_own_parts(browser, registrant):
    response = browser.post(
        reverse("registration_start"), {"program": Program.objects.get(code="tourism_levy").pk}
    )
    registration = Registration.objects.get(registrant=registrant)
    assert response.url == reverse("registration_business", kwargs={"pk": registration.pk})

    page = browser.get(reverse("registration_establishments", kwargs={"pk": registration.pk}))

    assert page.status_code == 200
    steps = re.findall(
        r'<li>(?:<strong aria-current="step">|<a href="/registration/[^"]*">)([^<]+)<', page.text
    )
    assert steps[-5:] == ["Business identity", "Establishments", "Contacts", "Banking", "Review and send"]
    assert "Registration reasons" not in steps
    assert "Part 2 of 5" in unescape(page.text)


@pytest.mark.parametrize("part", ["reasons", "locations"])
def test_the_fuel_tax_parts_are_not_found_on_a_tourism_levy_registration(browser, registrant, part):
    registration = tourism_levy_registration_draft(registrant=registrant)

    assert browser.get(reverse(f"registration_{part}", kwargs={"pk": registration.pk})).status_code == 404


def test_establishments_are_not_found_on_a_fuel_tax_registration(browser, registrant):
    registration = registration_services.registration_start(
        registrant=registrant, program=Program.objects.get(code="fuel_tax"), actor=actor_for(registrant)
    )

    assert (
        browser.get(reverse("registration_establishments", kwargs={"pk": registration.pk})).status_code == 404
    )


def test_someone_else_s_establishments_are_not_found(registrant):
    registration = tourism_levy_registration_draft(registrant=registrant)
    stranger = sign_in(Client(), UserFactory())

    url = reverse("registration_establishments", kwargs={"pk": registration.pk})
    assert stranger.get(url).status_code == 404
    assert stranger.post(url, _rows([INN_POST])).status_code == 404
    assert registration.establishments.count() == 2


def test_establishments_typed_in_the_form_are_saved_and_the_next_part_follows(browser, registrant):
    registration = tourism_levy_registration_draft(registrant=registrant, establishments=None)
    url = reverse("registration_establishments", kwargs={"pk": registration.pk})

    response = browser.post(url, _rows([INN_POST]))

    assert response.status_code == 302
    assert response.url == reverse("registration_contacts", kwargs={"pk": registration.pk})
    saved = registration.establishments.get()
    assert (
        saved.name,
        saved.postal_code,
        saved.units,
        saved.listed_online,
        saved.opens_on,
        saved.frequency,
    ) == (
        "Bow Valley Inn",
        "T1W 1N8",
        24,
        True,
        date(2026, 2, 15),
        "monthly",
    )


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"postal_code": "V6B 1A1"}, "postal_code", establishments_services.ESTABLISHMENT_OUTSIDE_ALBERTA),
        ({"units": "0"}, "units", establishments_services.UNITS_POSITIVE),
        ({"units": "many"}, "units", establishments_services.UNITS_POSITIVE),
        ({"kind": ""}, "kind", establishments_services.ESTABLISHMENT_KIND_REQUIRED),
        ({"opens_on": ""}, "opens_on", establishments_services.OPENS_ON_REQUIRED),
        ({"frequency": "weekly"}, "frequency", establishments_services.FREQUENCY_REQUIRED),
    ],
)
def test_a_bad_establishment_is_refused_beside_its_field_and_nothing_is_saved(
    browser, registrant, change, field, message
):
    registration = tourism_levy_registration_draft(registrant=registrant, establishments=None)

    response = browser.post(
        reverse("registration_establishments", kwargs={"pk": registration.pk}),
        _rows([{**INN_POST, **change}]),
    )

    assert response.status_code == 400
    errors = [
        unescape(m)
        for m in re.findall(
            rf'<p class="field-error"(?: id="id_establishments-0-{field}_error")?>([^<]*)</p>', response.text
        )
    ]
    assert str(message) in errors
    assert 'value="Bow Valley Inn"' in response.text  # what was typed stays
    assert not registration.establishments.exists()


def test_an_establishment_before_the_levy_began_is_refused_the_day_it_began_is_taken(browser, registrant):
    """The levy's rate begins 2005-04-01 (programs/rates/tourism_levy.yaml): 2005-03-31 is refused."""
    registration = tourism_levy_registration_draft(registrant=registrant, establishments=None)
    url = reverse("registration_establishments", kwargs={"pk": registration.pk})

    refused = browser.post(url, _rows([{**INN_POST, "opens_on": "2005-03-31"}]))
    taken = browser.post(url, _rows([{**INN_POST, "opens_on": "2005-04-01"}]))

    assert refused.status_code == 400
    assert "The tourism levy began on 2005-04-01" in unescape(refused.text)
    assert taken.status_code == 302
    assert registration.establishments.get().opens_on == date(2005, 4, 1)


def test_the_service_refuses_what_the_form_would_and_saves_nothing(registrant):
    registration = tourism_levy_registration_draft(registrant=registrant)
    bad = [ESTABLISHMENTS[0], {**ESTABLISHMENTS[1], "province": "BC", "postal_code": "V6B 1A1"}]

    with pytest.raises(ValidationError) as caught:
        _save(registration, registrant, bad)

    assert caught.value.messages[0].startswith("Establishment 2: ")
    assert str(establishments_services.ESTABLISHMENT_OUTSIDE_ALBERTA) in caught.value.messages[0]
    assert [e.name for e in registration.establishments.all()] == [row["name"] for row in ESTABLISHMENTS]


def test_the_same_establishment_twice_is_refused(registrant):
    registration = tourism_levy_registration_draft(registrant=registrant, establishments=None)

    with pytest.raises(ValidationError) as caught:
        _save(registration, registrant, [ESTABLISHMENTS[0], {**ESTABLISHMENTS[0], "name": "BOW VALLEY INN"}])

    assert caught.value.messages == [
        str(establishments_services.ESTABLISHMENT_TWICE % {"position": 2, "first": 1})
    ]
    assert not registration.establishments.exists()


def test_a_registration_without_establishments_cannot_be_sent(registrant):
    registration = tourism_levy_registration_draft(registrant=registrant, establishments=None)

    with pytest.raises(ValidationError) as caught:
        _submit(registration, registrant)

    assert "Establishments" in caught.value.messages[0]
    registration.refresh_from_db()
    assert registration.status == Registration.Status.DRAFT


def test_the_review_says_each_establishment_gets_an_account(browser, registrant):
    registration = tourism_levy_registration_draft(registrant=registrant)

    page = browser.get(reverse("registration_review", kwargs={"pk": registration.pk}))

    text = unescape(page.text)
    assert "Approval opens 2 tourism levy accounts, one for each establishment" in text
    assert "Bow Valley Inn" in text
    assert "Spray Lakes Cabins" in text
    assert "Registration reasons" not in text
    assert "Bulk fuel locations" not in text


# --- Approval ---


def test_approval_opens_an_account_for_each_establishment_with_its_frequency(
    registrant, django_capture_on_commit_callbacks
):
    """Bow Valley Inn opens 2026-02-15 and files monthly; Spray Lakes Cabins opens 2026-05-01 and files
    quarterly, from the quarter it opens in (2026-04-01): its first return is for Q2 2026."""
    staff = UserFactory(is_staff=True, is_superuser=True)
    registration = _submit(tourism_levy_registration_draft(registrant=registrant), registrant)

    with django_capture_on_commit_callbacks(execute=True):
        consent_services.registration_approve(registration=registration, by=staff, actor=actor_for(staff))

    registration.refresh_from_db()
    bin_ = registration.taxpayer.bin
    inn, cabins = (
        e.account for e in registration.establishments.select_related("account").order_by("position")
    )
    assert [inn.number, cabins.number] == [f"{bin_}-06-001", f"{bin_}-06-002"]
    assert [inn.trade_name, cabins.trade_name] == ["Bow Valley Inn", "Spray Lakes Cabins"]
    assert [inn.effective_date, cabins.effective_date] == [date(2026, 2, 15), date(2026, 5, 1)]
    assert sorted(a.number for a in registration.accounts.all()) == [inn.number, cabins.number]
    location = Address.objects.get(account=cabins, kind=Address.Kind.LOCATION)
    assert (location.line1, location.postal_code) == ("12 Spray Lakes Road", "T1W 2V3")
    assert Address.objects.filter(account=cabins, kind=Address.Kind.MAILING).exists()
    assert [(f.frequency, f.effective_from) for f in AccountFrequency.objects.filter(account=cabins)] == [
        ("quarterly", date(2026, 4, 1))
    ]
    assert [(f.frequency, f.effective_from) for f in AccountFrequency.objects.filter(account=inn)] == [
        ("monthly", date(2026, 1, 1))
    ]
    assert period_kind_on(cabins, date(2026, 6, 30)) == "quarterly"
    assert period_kind_on(inn, date(2026, 6, 30)) == "monthly"
    for account in (inn, cabins):
        assert Grant.objects.get(account=account, user=registrant).role == Grant.Role.OWNER

    letter = unescape(registration_review.registration_letter_html(registration=registration))
    assert inn.number in letter
    assert cabins.number in letter
    assert "Establishments and their tourism levy accounts" in letter
    assert "tourism levy return (AT317) for every collection period" in letter
    assert "fuel tax return" not in letter
    assert "Bulk Fuel Location" not in letter


def test_staff_see_the_establishments_of_a_tourism_levy_registration(registrant):
    registration = _submit(tourism_levy_registration_draft(registrant=registrant), registrant)
    staff = sign_in(Client(), UserFactory(is_staff=True, is_superuser=True))

    page = staff.get(reverse("admin:programs_registration_change", args=[registration.pk]))

    assert page.status_code == 200
    text = unescape(page.content.decode()).lower()
    assert "establishments (a tourism levy account each on approval)" in text
    assert "spray lakes cabins" in text
    assert "bulk fuel locations (a bflo number each on approval)" not in text
    assert RegistrationEstablishment.objects.filter(registration=registration).count() == 2
