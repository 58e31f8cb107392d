"""The fuel tax registration's dye-site part (reason "Mark (dye) fuel"; seed 002, "Eligibility to dye fuel"): it
appears only with that reason; each site's criteria are refused beside their fields (storage under 500,000 litres,
no security, no supply, no outlet, no secured injector); the business's attestation is required; a registration
without it cannot be sent; staff see the sites in the registration's review; a registration officer enters a paper
application's site in admin through the same checks."""

import html
import re
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from programs import registration_rules
from programs.models import BulkFuelLocation, DyeSite, RegistrationDyeSite
from programs.services import dye_sites as dye_site_services
from programs.services import registration as registration_services
from programs.services.registration_dye_sites import (
    FULL_COMPLIANCE_REQUIRED,
    MONTHLY_REPORTING_REQUIRED,
    registration_dye_sites_save,
)
from tests.accounts.factories import UserFactory, actor_for
from tests.conftest import sign_in
from tests.consent.factories import ProgramAccountFactory
from tests.programs.registration_factories import DYE_SITES, LOCATIONS, registration_draft

pytestmark = pytest.mark.django_db

SITE_POST = {
    "name": "Red Deer bulk plant",
    "line1": "7710 Edgar Industrial Drive",
    "city": "Red Deer",
    "storage_litres": "650,000",
    "secured": "on",
    "security_features": "Fenced yard, locked gate",
    "supplied_by": ["rail"],
    "outlets": ["rebranded"],
    "injector_secured": "on",
    "injector_security": "Locked cabinet",
}


@pytest.fixture
def registrant(db):
    return UserFactory(full_name="Riley Registrant", email="riley@example.ca")


@pytest.fixture
def browser(client, registrant):
    return sign_in(client, registrant)


def _rows(rows: list[dict], **extra) -> dict:
    data = {"dye_sites-TOTAL_FORMS": str(len(rows)), "dye_sites-INITIAL_FORMS": "0", **extra}
    for index, row in enumerate(rows):
        data.update({f"dye_sites-{index}-{name}": value for name, value in row.items()})
    return data


def field_error(response, name) -> str | None:
    match = re.search(
        rf'<p class="field-error" id="id_dye_sites-0-{name}_error">([^<]*)</p>', response.content.decode()
    )
    return html.unescape(match.group(1)) if match else None


def test_the_dye_site_part_appears_only_with_the_reason_to_dye_fuel(browser, registrant):
    selling = registration_draft(registrant=registrant, dye_sites=None)
    assert "dye_sites" not in registration_rules.step_slugs_for(selling)
    assert browser.get(reverse("registration_dye_sites", kwargs={"pk": selling.pk})).status_code == 404
    dyeing = registration_draft(registrant=registrant, reasons=["mark_fuel"], locations=LOCATIONS[:1])
    assert registration_rules.step_slugs_for(dyeing) == [
        "business",
        "reasons",
        "locations",
        "dye_sites",
        "contacts",
        "banking",
        "review",
    ]
    assert "dye_sites" in registration_rules.registration_missing_parts(dyeing)
    with pytest.raises(ValidationError):
        registration_services.registration_submit(
            registration=dyeing,
            by=registrant,
            certified=True,
            certified_name="Riley",
            actor=actor_for(registrant),
        )
    page = browser.get(reverse("registration_dye_sites", kwargs={"pk": dyeing.pk}))
    assert page.status_code == 200
    assert "at least 500,000 litres" in page.content.decode()


def test_sites_typed_in_the_form_are_saved_with_the_attestation_and_the_next_part_follows(
    browser, registrant
):
    registration = registration_draft(registrant=registrant, reasons=["mark_fuel"], locations=LOCATIONS[:1])
    response = browser.post(
        reverse("registration_dye_sites", kwargs={"pk": registration.pk}),
        _rows([SITE_POST], full_compliance="on", monthly_reporting="on"),
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("registration_contacts", kwargs={"pk": registration.pk})
    site = RegistrationDyeSite.objects.get(registration=registration)
    assert site.storage_litres == 650_000
    assert site.supplied_by == ["rail"]
    assert site.outlets == ["rebranded"]
    registration.refresh_from_db()
    assert registration.dye_full_compliance
    assert registration.dye_monthly_reporting
    assert "dye_sites" not in registration_rules.registration_missing_parts(registration)
    review = html.unescape(
        browser.get(reverse("registration_review", kwargs={"pk": registration.pk})).content.decode()
    )
    assert "Dye sites and their criteria" in review
    assert "Rail" in review
    assert "Rebranded for further distribution" in review
    assert "The business attests it is in full compliance with all its tax filings" in review


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (
            {"storage_litres": "499,999"},
            "storage_litres",
            "at least 500,000 litres (diesel and gasoline together); 499,999 litres is less",
        ),
        ({"secured": ""}, "secured", "security features that prevent or inhibit general public access"),
        ({"security_features": ""}, "security_features", str(dye_site_services.SECURITY_REQUIRED)),
        ({"supplied_by": []}, "supplied_by", None),
        ({"outlets": []}, "outlets", None),
        ({"injector_secured": ""}, "injector_secured", "dye injector has appropriate security features"),
    ],
)
def test_each_criterion_is_refused_beside_its_field_and_nothing_is_saved(
    browser, registrant, change, field, message
):
    registration = registration_draft(registrant=registrant, reasons=["mark_fuel"], locations=LOCATIONS[:1])
    response = browser.post(
        reverse("registration_dye_sites", kwargs={"pk": registration.pk}),
        _rows([{**SITE_POST, **change}], full_compliance="on", monthly_reporting="on"),
    )
    assert response.status_code == 400
    body = html.unescape(response.content.decode())
    if message is None:  # a checkbox group: its error is inside its fieldset
        expected = (
            dye_site_services.SUPPLY_REQUIRED if field == "supplied_by" else dye_site_services.OUTLET_REQUIRED
        )
        assert str(expected) in body
    else:
        assert message in field_error(response, field)
    assert not RegistrationDyeSite.objects.exists()


def test_the_attestation_is_required(browser, registrant):
    registration = registration_draft(registrant=registrant, reasons=["mark_fuel"], locations=LOCATIONS[:1])
    response = browser.post(
        reverse("registration_dye_sites", kwargs={"pk": registration.pk}), _rows([SITE_POST])
    )
    assert response.status_code == 400
    body = html.unescape(response.content.decode())
    assert str(FULL_COMPLIANCE_REQUIRED) in body
    assert str(MONTHLY_REPORTING_REQUIRED) in body
    assert not RegistrationDyeSite.objects.exists()


def test_the_service_refuses_what_the_form_would(registrant):
    registration = registration_draft(registrant=registrant, reasons=["mark_fuel"], locations=LOCATIONS[:1])
    with pytest.raises(ValidationError) as refused:
        registration_dye_sites_save(
            registration=registration,
            by=registrant,
            dye_sites=[{**DYE_SITES[0], "storage_litres": "100000", "outlets": []}],
            full_compliance=True,
            monthly_reporting=True,
            actor=actor_for(registrant),
        )
    assert "Dye site 1:" in refused.value.messages[0]
    assert "100,000 litres is less" in refused.value.messages[0]
    assert not RegistrationDyeSite.objects.exists()


def test_a_registration_officer_enters_a_paper_applications_site_in_admin_with_the_checks(db):
    account = ProgramAccountFactory(program="tefs")
    location = BulkFuelLocation.objects.create(
        account=account, number="B0000777", name="Nisku", address="Nisku"
    )
    officer = UserFactory(is_staff=True, is_superuser=True)
    client = sign_in(Client(), officer)
    add = reverse("admin:programs_dyesite_add")
    data = {
        "account": account.pk,
        "location": location.pk,
        "name": "Nisku terminal",
        "line1": "NW-12-50-25-W4",
        "city": "Leduc County",
        "province": "AB",
        "storage_litres": "400000",
        "security_features": "Fenced",
        "supplied_by": ["pipeline"],
        "outlets": ["bulk_consumers"],
        "injector_security": "Locked",
        "effective_date": "2026-03-01",
    }
    refused = client.post(add, data)
    assert refused.status_code == 200
    assert "400,000 litres is less" in html.unescape(refused.content.decode())
    assert not DyeSite.objects.exists()
    done = client.post(add, {**data, "storage_litres": "500000"})
    assert done.status_code == 302
    site = DyeSite.objects.get()
    assert site.effective_date == date(2026, 3, 1)
    assert site.location == location
