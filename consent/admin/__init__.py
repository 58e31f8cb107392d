"""Staff administration of access, one module per subdomain: grants (every access to every account:
owners, delegates, representatives), consents (AT4931: how representatives get access), and what consent adds
to programs' program account page (who may reach it, enrolment PIN letters, transfers), which programs' admin
imports (ADR 0013). Each model is registered once, by the app whose model it is.
"""

# Importing each module registers its admins (Django's autodiscover imports consent.admin).
from consent.admin import consents, grants, program_accounts  # noqa: F401
