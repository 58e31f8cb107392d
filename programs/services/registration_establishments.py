"""The Tourism Levy registration's own part (AT4827): the establishments. Each location providing temporary
accommodation is registered, and approval opens an account of its own for each (shared/DOMAIN.md "Tourism
Levy"; programs.services.registration_review.registration_accounts_open). The rest of the form (business,
contacts, banking, sending) is the one every online registration has (programs.services.registration)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from accounts.actors import Actor
from accounts.models import User
from programs.models import AccountFrequency, Registration, RegistrationEstablishment
from programs.rates import RateNotFound, rate_on, schedules
from programs.registration_rules import MAX_ESTABLISHMENTS
from programs.services.registration import (
    ESTABLISHMENTS_REQUIRED,
    Errors,
    address_errors,
    draft_saved,
    fields_required,
    lock_editable,
)

TOO_MANY_ESTABLISHMENTS = _("A registration can list at most %(limit)s establishments. Contact TRA for more.")
ESTABLISHMENT_KIND_REQUIRED = _("Choose the type of accommodation.")
ESTABLISHMENT_OUTSIDE_ALBERTA = _(
    "The tourism levy applies to accommodation in Alberta: register only establishments in Alberta."
)
UNITS_POSITIVE = _("Enter the number of rooms or units offered, a whole number of 1 or more.")
OPENS_ON_REQUIRED = _("Enter the first day accommodation is (or was) offered, for example 2026-01-31.")
OPENS_BEFORE_LEVY = _(
    "The tourism levy began on %(start)s: enter a date on or after it (returns before it are not filed in TRACS)."
)
FREQUENCY_REQUIRED = _("Choose how often this establishment files: monthly or quarterly.")
ESTABLISHMENT_TWICE = _(
    "Establishment %(position)s is the same as establishment %(first)s (name and address)."
)

LEVY_TAX, LEVY_FUEL = "tourism_levy", "accommodation"


def _levy_start() -> date:
    return schedules()[LEVY_TAX].entries[LEVY_FUEL][0].effective_from


def levy_in_force_on(day: date) -> None:
    """Refuses a first day before the levy began (its rate's first entry, programs/rates/tourism_levy.yaml)."""
    try:
        rate_on(fuel=LEVY_FUEL, day=day, tax=LEVY_TAX)
    except RateNotFound as error:
        raise ValidationError(
            OPENS_BEFORE_LEVY % {"start": _levy_start().isoformat()}, code="before_levy"
        ) from error


def _establishment_values(item: Mapping[str, Any]) -> dict[str, Any]:
    values = {
        "name": (item.get("name") or "").strip(),
        "kind": item.get("kind") or "",
        "line1": (item.get("line1") or "").strip(),
        "city": (item.get("city") or "").strip(),
        "province": item.get("province") or "",
        "postal_code": item.get("postal_code") or "",
        "units": item.get("units"),
        "listed_online": bool(item.get("listed_online")),
        "opens_on": item.get("opens_on"),
        "frequency": item.get("frequency") or "",
    }
    errors: Errors = {}
    fields_required(values, ("name", "line1", "city"), errors)
    if values["kind"] not in RegistrationEstablishment.Kind.values:
        errors["kind"] = [ValidationError(ESTABLISHMENT_KIND_REQUIRED, code="required")]
    address_errors(values, errors)
    if values["province"] and values["province"] != "AB":
        errors.setdefault("province", []).append(
            ValidationError(ESTABLISHMENT_OUTSIDE_ALBERTA, code="province")
        )
    units = values["units"]
    if not isinstance(units, int) or isinstance(units, bool) or units < 1:
        errors["units"] = [ValidationError(UNITS_POSITIVE, code="units")]
    opens_on = values["opens_on"]
    if not isinstance(opens_on, date):
        errors["opens_on"] = [ValidationError(OPENS_ON_REQUIRED, code="required")]
    else:
        try:
            levy_in_force_on(opens_on)
        except ValidationError as error:
            errors["opens_on"] = error.error_list
    if values["frequency"] not in AccountFrequency.Frequency.values:
        errors["frequency"] = [ValidationError(FREQUENCY_REQUIRED, code="required")]
    if errors:
        raise ValidationError(errors)
    return values


@transaction.atomic
def registration_establishments_save(
    *,
    registration: Registration,
    by: User,
    establishments: list[Mapping[str, Any]],
    actor: Actor,
) -> Registration:
    """The tourism levy registration's establishments (each its own account on approval). Replaces the list;
    a row with an error saves none of them."""
    if len(establishments) > MAX_ESTABLISHMENTS:
        raise ValidationError(TOO_MANY_ESTABLISHMENTS % {"limit": MAX_ESTABLISHMENTS})
    rows: list[dict[str, Any]] = []
    seen: dict[tuple[str, str, str], int] = {}
    for position, item in enumerate(establishments, start=1):
        try:
            values = _establishment_values(item)
        except ValidationError as error:
            raise ValidationError(
                _("Establishment %(position)s: %(problems)s")
                % {"position": position, "problems": " ".join(error.messages)}
            ) from error
        key = (values["name"].casefold(), values["line1"].casefold(), values["postal_code"])
        if key in seen:
            raise ValidationError(ESTABLISHMENT_TWICE % {"position": position, "first": seen[key]})
        seen[key] = position
        rows.append(values)
    if not rows:
        raise ValidationError(ESTABLISHMENTS_REQUIRED)
    registration = lock_editable(registration=registration, by=by)
    registration.establishments.all().delete()
    for position, values in enumerate(rows, start=1):
        establishment = RegistrationEstablishment(registration=registration, position=position, **values)
        establishment.full_clean()
        establishment.save()
    draft_saved(registration=registration, by=by, step="establishments", actor=actor)
    return registration
