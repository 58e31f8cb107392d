"""Dye sites on an account (seed 002, "Eligibility to dye fuel"): created when TRA approves a business's
application to dye fuel, from the registration's dye-site part (programs.services.registration_review) or, for a
paper application (AT4905 with its separate document of the criteria), by a registration officer in staff
administration. Each site is checked against seed 002's criteria, written once here for both doors."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.actors import Actor
from accounts.models import AccessLogEntry
from accounts.services import access_log_record
from programs import money
from programs.models import BulkFuelLocation, DyeSite, ProgramAccount, Registration
from programs.models_dye_sites import MINIMUM_STORAGE_LITRES, FuelOutlet, SupplyMode

STORAGE_TOO_SMALL = _(
    "A dye site needs a permanent storage capacity of at least %(minimum)s litres (diesel and gasoline "
    "together); %(litres)s litres is less."
)
STORAGE_REQUIRED = _("Enter the site's permanent storage capacity in litres, diesel and gasoline together.")
SECURITY_REQUIRED = _(
    "Describe the security features that prevent or inhibit general public access to the site."
)
SUPPLY_REQUIRED = _("Choose how the site is supplied: by rail, truck or pipeline (at least one).")
OUTLET_REQUIRED = _(
    "Choose where the dyed fuel goes: rebranded for further distribution or sold to bulk consumers (at least one)."
)
INJECTOR_REQUIRED = _("Describe the security features of the site's dye injector.")
NOT_IN_ALBERTA = _("A dye site is in Alberta: enter its Alberta address or legal land location.")
NAME_REQUIRED = _("Enter the site's name.")
ADDRESS_REQUIRED = _("Enter the site's address or legal land location.")
CITY_REQUIRED = _("Enter the city, town or county of the site.")
LOCATION_NOT_THE_ACCOUNTS = _("This BFLO is not one of the account's bulk fuel locations.")

Errors = dict[str, list[ValidationError]]


def _error(errors: Errors, field: str, message: Any, code: str) -> None:
    errors.setdefault(field, []).append(ValidationError(message, code=code))


def criteria_values(item: Mapping[str, Any]) -> dict[str, Any]:
    """Seed 002's criteria of one site, normalized, or a ValidationError naming each field that is wrong: the
    storage of at least 500,000 litres, the security features, at least one way of supply and one outlet, the
    secured injector, in Alberta."""
    values: dict[str, Any] = {
        "name": str(item.get("name") or "").strip(),
        "line1": str(item.get("line1") or "").strip(),
        "city": str(item.get("city") or "").strip(),
        "province": str(item.get("province") or "AB").strip().upper(),
        "security_features": str(item.get("security_features") or "").strip(),
        "supplied_by": [mode for mode in SupplyMode.values if mode in (item.get("supplied_by") or ())],
        "outlets": [outlet for outlet in FuelOutlet.values if outlet in (item.get("outlets") or ())],
        "injector_security": str(item.get("injector_security") or "").strip(),
    }
    errors: Errors = {}
    for field, message in (("name", NAME_REQUIRED), ("line1", ADDRESS_REQUIRED), ("city", CITY_REQUIRED)):
        if not values[field]:
            _error(errors, field, message, "required")
    if values["province"] != "AB":
        _error(errors, "province", NOT_IN_ALBERTA, "province")
    storage = item.get("storage_litres")
    try:
        litres = money.parse_litres(storage) if storage not in (None, "") else None
    except (money.AmountError, TypeError, InvalidOperation):
        litres = None
    if litres is None:
        _error(errors, "storage_litres", STORAGE_REQUIRED, "required")
    elif litres < MINIMUM_STORAGE_LITRES:
        _error(
            errors,
            "storage_litres",
            STORAGE_TOO_SMALL
            % {"minimum": money.format_litres(MINIMUM_STORAGE_LITRES), "litres": money.format_litres(litres)},
            "storage",
        )
    else:
        values["storage_litres"] = litres.quantize(Decimal(1))
    if not values["security_features"]:
        _error(errors, "security_features", SECURITY_REQUIRED, "required")
    if not values["supplied_by"]:
        _error(errors, "supplied_by", SUPPLY_REQUIRED, "required")
    if not values["outlets"]:
        _error(errors, "outlets", OUTLET_REQUIRED, "required")
    if not values["injector_security"]:
        _error(errors, "injector_security", INJECTOR_REQUIRED, "required")
    if errors:
        raise ValidationError(errors)
    return values


@transaction.atomic
def dye_site_save(*, site: DyeSite, actor: Actor) -> DyeSite:
    """Store a dye site of an account (new, or changed by staff), checked against seed 002's criteria; logged."""
    values = criteria_values({field: getattr(site, field) for field in _CRITERIA})
    for field, value in values.items():
        setattr(site, field, value)
    if site.location is not None and site.location.account_id != site.account_id:
        raise ValidationError({"location": [ValidationError(LOCATION_NOT_THE_ACCOUNTS, code="location")]})
    created = site.pk is None
    site.full_clean()
    site.save()
    account: ProgramAccount = site.account
    access_log_record(
        actor=actor,
        kind=AccessLogEntry.Kind.CHANGE,
        action="dye site approved" if created else "dye site changed",
        account_number=account.number,
        on_behalf_of=account.on_behalf_of,
        detail=f"dye site {site.pk} {site.name}: storage {money.format_litres(site.storage_litres)} L, "
        f"effective {site.effective_date.isoformat()}",
    )
    return site


_CRITERIA = (
    "name",
    "line1",
    "city",
    "province",
    "storage_litres",
    "security_features",
    "supplied_by",
    "outlets",
    "injector_security",
)


def dye_sites_open(
    *, registration: Registration, account: ProgramAccount, bflo_number: Callable[[], str], actor: Actor
) -> list[DyeSite]:
    """What approving a registration's dye-site part opens, inside the approval's transaction: each site a dye
    site of `account` (the one holding the BFLOs), effective from the approval day or the business's start date if
    later, linked to the BFLO of the registration's bulk fuel location of the same name, else to a BFLO of its
    own numbered by `bflo_number` (seed 002, "How to apply to dye fuel", step 3: the decision letter gives the BFLO
    numbers)."""
    effective = max(timezone.localdate(), registration.start_date or timezone.localdate())
    by_name = {
        location.name.casefold(): location.bflo
        for location in registration.locations.select_related("bflo")
        if location.bflo is not None
    }
    opened = []
    for candidate in registration.dye_sites.order_by("position"):
        location = by_name.get(candidate.name.casefold())
        if location is None:
            location = BulkFuelLocation(
                account=account, number=bflo_number(), name=candidate.name, address=candidate.address
            )
            location.full_clean()
            location.save()
        site = DyeSite(
            account=account,
            location=location,
            registration=registration,
            effective_date=effective,
            **{field: getattr(candidate, field) for field in _CRITERIA},
        )
        opened.append(dye_site_save(site=site, actor=actor))
    return opened
