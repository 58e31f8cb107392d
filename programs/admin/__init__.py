"""Staff administration of programs' records, one module per subdomain: reference data (programs, rates,
holidays), taxpayers and program accounts, addresses and contact persons with the history of an account's
details, direct deposit, messages, documents and online registrations.

Each of programs' models is registered once, here. What consent adds to these pages (who may reach an account,
enrolment PIN letters, transfers, whom to tell about a message, approving a registration) is imported from
consent's admin, services and selectors by plain import (ADR 0013), never by unregistering and registering again.
"""

# Importing each module registers its admins (Django's autodiscover imports programs.admin).
from programs.admin import (  # noqa: F401
    accounts,
    addresses,
    banking,
    documents,
    dye_sites,
    messages,
    reference,
    registration,
    registries,
)
