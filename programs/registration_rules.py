"""What online program registration is (issue 4, part 6; seed 004, "How to register"): which programs register
online and how the others do, the parts of the form in order, which reasons open another program's account or
need bulk fuel locations, and when a registration is complete enough to send.

The writes are in programs.services.registration (the registrant's side) and
programs.services.registration_review (TRA's side); the reads in programs.selectors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

from programs.models import Registration

# --- Which programs register online, and what the others do -------------------------------------------------

# Seed 004: "Select 'Fuel Tax' from the Program Name menu". Selling marked fuel (TEFS) is one of the Fuel Tax
# registration's reasons (seed 002, "How to apply to sell marked fuel": the Fuel Tax Registration AT4905). The
# Tourism Levy registration (AT4827) registers each establishment (shared/DOMAIN.md "Tourism Levy"). The other
# programs' seed pages send people to a paper form.
TOURISM_LEVY = "tourism_levy"
ONLINE_PROGRAMS = ("fuel_tax", TOURISM_LEVY)
OFFLINE_HOW = {
    "tefs": _(
        "Part of the Fuel Tax registration: choose Fuel Tax, then the reason “Sell fuel exempt from tax, "
        "including marked fuel”. Approval opens the Tax Exempt Fuel Sales account too."
    ),
    "carbon_levy": _(
        "On paper: Carbon Levy Claimant Registration – Fuel Vendor (AT5135), or – Indian or Indian Band (AT5133)."
    ),
    "aite": _(
        "On paper: AITE Retailer Registration (AT4804) with a copy of the Band Council Resolution and the "
        "Application for Direct Deposit (AT4812)."
    ),
}
OFFLINE_DEFAULT = _("On paper: contact TRA for the registration form of this program.")

# A reason that needs another program account besides the one registered for (seed 002: sellers of marked
# fuel report their sales and movements in Tax Exempt Fuel Sales).
REASON_PROGRAMS: dict[str, str] = {
    Registration.Reason.SELL_MARKED: "tefs",
    # Dyed fuel is marked fuel (seed 002): a dye site's monthly reports (AT4984, AT366) are filed from the Tax
    # Exempt Fuel Sales account, which holds its BFLO (docs/adr/0025-dye-site-reports.md).
    Registration.Reason.MARK_FUEL: "tefs",
}
# Reasons whose approval letter gives Bulk Fuel Location (BFLO) numbers (seed 002, "How to apply to sell
# marked fuel" and "How to apply to dye fuel", step 3): at least one bulk location is needed.
LOCATION_REASONS: set[str] = {Registration.Reason.SELL_MARKED, Registration.Reason.MARK_FUEL}

MAX_LOCATIONS = 50
MAX_CONTACTS = 10
MAX_ESTABLISHMENTS = 50


@dataclass(frozen=True)
class Step:
    slug: str
    label: StrOrPromise


STEPS = [
    Step("business", _("Business identity")),
    Step("reasons", _("Registration reasons")),
    Step("locations", _("Bulk fuel locations")),
    Step("dye_sites", _("Dye sites")),
    Step("establishments", _("Establishments")),
    Step("contacts", _("Contacts")),
    Step("banking", _("Banking")),
    Step("review", _("Review and send")),
]
# The parts each program's form has, in order: the fuel tax registration's reasons and bulk fuel locations
# (seed 004), the tourism levy's establishments (AT4827).
PROGRAM_STEPS: dict[str, tuple[str, ...]] = {
    "fuel_tax": ("business", "reasons", "locations", "dye_sites", "contacts", "banking", "review"),
    TOURISM_LEVY: ("business", "establishments", "contacts", "banking", "review"),
}


def steps_for(registration: Registration) -> list[Step]:
    """The parts of the registration's form; the dye sites only once "Mark (dye) fuel" is a reason."""
    slugs = [
        slug
        for slug in PROGRAM_STEPS[registration.program.code]
        if slug != "dye_sites" or dyes_fuel(registration)
    ]
    return [step for step in STEPS if step.slug in slugs]


def dyes_fuel(registration: Registration) -> bool:
    """The business applies to dye fuel (seed 002, "Eligibility to dye fuel"): its dye sites are a part."""
    return Registration.Reason.MARK_FUEL in registration.reasons


def step_slugs_for(registration: Registration) -> list[str]:
    return [step.slug for step in steps_for(registration)]


def registers_establishments(registration: Registration) -> bool:
    """Approval opens one account per establishment (the tourism levy), not one for the business."""
    return registration.program.code == TOURISM_LEVY


def programs_opened_by(registration: Registration) -> list[str]:
    """Codes of the programs whose accounts approval opens: the one registered for, and those its reasons
    need (selling marked fuel: Tax Exempt Fuel Sales). A tourism levy registration opens one account of its
    program for each establishment."""
    codes = [registration.program.code]
    for reason in registration.reasons:
        code = REASON_PROGRAMS.get(reason)
        if code and code not in codes:
            codes.append(code)
    return codes


def needs_locations(registration: Registration) -> bool:
    return bool(LOCATION_REASONS & set(registration.reasons))


def registration_missing_parts(registration: Registration) -> list[str]:
    """The parts (step slugs, in order) not complete enough to send the registration."""
    missing = []
    slugs = step_slugs_for(registration)
    business = [registration.legal_name, registration.business_type, registration.line1, registration.city]
    if not all(business) or registration.start_date is None or not registration.postal_code:
        missing.append("business")
    if "reasons" in slugs and not registration.reasons:
        missing.append("reasons")
    if needs_locations(registration) and not registration.locations.exists():
        missing.append("locations")
    if "establishments" in slugs and not registration.establishments.exists():
        missing.append("establishments")
    if "dye_sites" in slugs and not (
        registration.dye_sites.exists()
        and registration.dye_full_compliance
        and registration.dye_monthly_reporting
    ):
        missing.append("dye_sites")
    if not registration.contacts.exists():
        missing.append("contacts")
    if registration.wants_direct_deposit is None or (
        registration.wants_direct_deposit and not registration.deposit_account_number_last4
    ):
        missing.append("banking")
    return missing


def step_label(slug: str) -> str:
    return str(next(step.label for step in STEPS if step.slug == slug))
