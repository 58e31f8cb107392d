"""The fuel tax registration's dye-site part (reason "Mark (dye) fuel"; seed 002, "Eligibility to dye fuel" and
"How to apply to dye fuel"): each site where fuel will be dyed, with the criteria TRA considers (checked by
programs.services.dye_sites, the same checks staff's entry of a paper application goes through), and the business's
attestation of full compliance with all its tax filings and agreement to the monthly reports. Approval turns each
site into a dye site of the account (programs.services.registration_review). The rest of the form is the one every
online registration has (programs.services.registration)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from accounts.actors import Actor
from accounts.models import User
from programs.models import Registration, RegistrationDyeSite
from programs.registration_rules import MAX_LOCATIONS
from programs.services.dye_sites import criteria_values
from programs.services.registration import draft_saved, lock_editable

DYE_SITES_REQUIRED = _("List at least one site where fuel will be dyed.")
TOO_MANY_DYE_SITES = _("A registration can list at most %(limit)s dye sites. Contact TRA for more.")
FULL_COMPLIANCE_REQUIRED = _(
    "TRA registers a business to dye fuel only if it is in full compliance with all its tax filings: confirm it."
)
MONTHLY_REPORTING_REQUIRED = _(
    "A business that dyes fuel reports each site every month (Dye Stock Report AT4984 and Litres Dyed during the "
    "Month AT366): confirm the business agrees."
)
DYE_SITE_TWICE = _("Dye site %(position)s is the same as dye site %(first)s (name and address).")


@transaction.atomic
def registration_dye_sites_save(
    *,
    registration: Registration,
    by: User,
    dye_sites: list[Mapping[str, Any]],
    full_compliance: bool,
    monthly_reporting: bool,
    actor: Actor,
) -> Registration:
    """The dye-site part: replaces the list of sites and records the attestation; a site with an error, or an
    attestation not given, saves nothing."""
    if len(dye_sites) > MAX_LOCATIONS:
        raise ValidationError(TOO_MANY_DYE_SITES % {"limit": MAX_LOCATIONS})
    rows: list[dict[str, Any]] = []
    seen: dict[tuple[str, str], int] = {}
    for position, item in enumerate(dye_sites, start=1):
        try:
            values = criteria_values(item)
        except ValidationError as error:
            raise ValidationError(
                _("Dye site %(position)s: %(problems)s")
                % {"position": position, "problems": " ".join(error.messages)}
            ) from error
        key = (values["name"].casefold(), values["line1"].casefold())
        if key in seen:
            raise ValidationError(DYE_SITE_TWICE % {"position": position, "first": seen[key]})
        seen[key] = position
        rows.append(values)
    problems = []
    if not rows:
        problems.append(ValidationError(DYE_SITES_REQUIRED, code="required"))
    if not full_compliance:
        problems.append(ValidationError(FULL_COMPLIANCE_REQUIRED, code="full_compliance"))
    if not monthly_reporting:
        problems.append(ValidationError(MONTHLY_REPORTING_REQUIRED, code="monthly_reporting"))
    if problems:
        raise ValidationError(problems)
    registration = lock_editable(registration=registration, by=by)
    registration.dye_sites.all().delete()
    for position, values in enumerate(rows, start=1):
        site = RegistrationDyeSite(registration=registration, position=position, **values)
        site.full_clean()
        site.save()
    registration.dye_full_compliance = True
    registration.dye_monthly_reporting = True
    draft_saved(registration=registration, by=by, step="dye_sites", actor=actor)
    return registration
