"""Registrations built through the services a registrant uses (programs/services/registration.py), part by part."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from programs.models import Program, Registration
from programs.services import registration as registration_services
from programs.services.registration_dye_sites import registration_dye_sites_save
from tests.accounts.factories import actor_for

BUSINESS = {
    "legal_name": "Chinook Bulk Fuels Ltd.",
    "operating_name": "Chinook Fuels",
    "bin": "",
    "business_type": Registration.BusinessType.CORPORATION,
    "start_date": date(2026, 2, 1),
    "line1": "4920 50 Avenue",
    "line2": "",
    "city": "Red Deer",
    "province": "AB",
    "postal_code": "T4N 4A1",
}
LOCATIONS = [
    {
        "name": "Red Deer bulk plant",
        "line1": "7710 Edgar Industrial Drive",
        "city": "Red Deer",
        "province": "AB",
        "postal_code": "T4P 3R2",
        "capacity_litres": Decimal("250000"),
    },
    {
        "name": "Innisfail cardlock tanks",
        "line1": "NE-12-35-28-W4",
        "city": "Red Deer County",
        "province": "AB",
        "postal_code": "",
        "capacity_litres": Decimal("60000"),
    },
]
CONTACTS = [
    {
        "name": "Casey Controller",
        "title": "Controller",
        "phone": "403-555-0142",
        "email": "casey@chinook.example.ca",
    },
    {"name": "Bo Bookkeeper", "title": "Bookkeeper", "phone": "", "email": "bo@chinook.example.ca"},
]
BANK = {
    "institution_number": "001",
    "transit_number": "12345",
    "account_number": "987654321",
    "holder_name": "Chinook Bulk Fuels Ltd.",
}
REASONS = [Registration.Reason.IMPORT_FOR_RESALE, Registration.Reason.SELL_MARKED]
# A site where fuel will be dyed (reason "Mark (dye) fuel"), at the first location: seed 002's criteria met.
DYE_SITES = [
    {
        "name": "Red Deer bulk plant",
        "line1": "7710 Edgar Industrial Drive",
        "city": "Red Deer",
        "storage_litres": Decimal("650000"),
        "security_features": "Fenced yard, locked gate, cameras",
        "supplied_by": ["rail", "truck"],
        "outlets": ["bulk_consumers"],
        "injector_security": "Injector in a locked cabinet, sealed",
    }
]


def registration_draft(
    *,
    registrant,
    business: dict | None = None,
    reasons=REASONS,
    locations=LOCATIONS,
    contacts=CONTACTS,
    direct_deposit: bool | None = True,
    dye_sites: list[dict] | None = None,
) -> Registration:
    """A draft with every part filled in (a part given as None is left out)."""
    registration = registration_services.registration_start(
        registrant=registrant,
        program=Program.objects.get(code="fuel_tax"),
        actor=actor_for(registrant),
    )
    if business is not False:
        registration_services.registration_business_save(
            registration=registration,
            by=registrant,
            **{**BUSINESS, **(business or {})},
            actor=actor_for(registrant),
        )
    if reasons:
        registration_services.registration_reasons_save(
            registration=registration,
            by=registrant,
            reasons=list(reasons),
            actor=actor_for(registrant),
        )
    if locations is not None:
        registration_services.registration_locations_save(
            registration=registration,
            by=registrant,
            locations=[dict(row) for row in locations],
            actor=actor_for(registrant),
        )
    if dye_sites is not None:
        registration_dye_sites_save(
            registration=registration,
            by=registrant,
            dye_sites=[dict(row) for row in dye_sites],
            full_compliance=True,
            monthly_reporting=True,
            actor=actor_for(registrant),
        )
    if contacts:
        registration_services.registration_contacts_save(
            registration=registration,
            by=registrant,
            contacts=[dict(row) for row in contacts],
            actor=actor_for(registrant),
        )
    if direct_deposit is not None:
        registration_services.registration_banking_save(
            registration=registration,
            by=registrant,
            wants_direct_deposit=direct_deposit,
            **(BANK if direct_deposit else {}),
            actor=actor_for(registrant),
        )
    registration.refresh_from_db()
    return registration


def registration_pending(*, registrant, **kwargs) -> Registration:
    registration = registration_draft(registrant=registrant, **kwargs)
    return registration_services.registration_submit(
        registration=registration,
        by=registrant,
        certified=True,
        certified_name=registrant.display_name,
        actor=actor_for(registrant),
    )


OPERATOR = {
    **BUSINESS,
    "legal_name": "Kananaskis Lodging Ltd.",
    "operating_name": "",
    "line1": "101 Bow Valley Trail",
    "city": "Canmore",
    "postal_code": "T1W 1N8",
}
ESTABLISHMENTS = [
    {
        "name": "Bow Valley Inn",
        "kind": "inn",
        "line1": "101 Bow Valley Trail",
        "city": "Canmore",
        "province": "AB",
        "postal_code": "T1W 1N8",
        "units": 24,
        "listed_online": True,
        "opens_on": date(2026, 2, 15),
        "frequency": "monthly",
    },
    {
        "name": "Spray Lakes Cabins",
        "kind": "short_term_rental",
        "line1": "12 Spray Lakes Road",
        "city": "Canmore",
        "province": "AB",
        "postal_code": "T1W 2V3",
        "units": 6,
        "listed_online": False,
        "opens_on": date(2026, 5, 1),
        "frequency": "quarterly",
    },
]


def tourism_levy_registration_draft(
    *, registrant, establishments=ESTABLISHMENTS, contacts=CONTACTS, direct_deposit: bool | None = False
) -> Registration:
    """A tourism levy registration (AT4827) with every part filled in (a part given as None is left out)."""
    from programs.services.registration_establishments import registration_establishments_save

    registration = registration_services.registration_start(
        registrant=registrant, program=Program.objects.get(code="tourism_levy"), actor=actor_for(registrant)
    )
    registration_services.registration_business_save(
        registration=registration, by=registrant, **OPERATOR, actor=actor_for(registrant)
    )
    if establishments is not None:
        registration_establishments_save(
            registration=registration,
            by=registrant,
            establishments=[dict(row) for row in establishments],
            actor=actor_for(registrant),
        )
    if contacts:
        registration_services.registration_contacts_save(
            registration=registration,
            by=registrant,
            contacts=[dict(row) for row in contacts],
            actor=actor_for(registrant),
        )
    if direct_deposit is not None:
        registration_services.registration_banking_save(
            registration=registration,
            by=registrant,
            wants_direct_deposit=direct_deposit,
            **(BANK if direct_deposit else {}),
            actor=actor_for(registrant),
        )
    registration.refresh_from_db()
    return registration
