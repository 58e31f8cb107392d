"""Staff administration of identity and security, one module per subdomain: users and two-factor resets
(users.py), the access log (access_log.py), the e-mail outbox (outbox.py), scheduled jobs (scheduled_jobs.py), PINs, PIN entries and their alerts
(pins.py).

Also the small admin helpers every app's admin uses (helpers.py), imported from here:
`from accounts.admin import StaffReadLoggedAdmin, action_with_form, ...`.
"""

# Importing each module registers its admins (Django's autodiscover imports accounts.admin). The helpers every
# app's admin uses, and the messages its tests compare with, are named from here as before the split.
from accounts.admin import access_log, outbox, pins, scheduled_jobs, users  # noqa: F401
from accounts.admin.helpers import (  # noqa: F401
    CONFIRM,
    ConfirmRow,
    StaffReadLoggedAdmin,
    action_confirmed,
    action_with_form,
    confirm_first,
    confirmation_page,
    error_text,
    is_confirmed,
)
from accounts.admin.pins import LETTER_NOT_AVAILABLE  # noqa: F401
from accounts.admin.users import RESET_OWN_TWO_FACTOR  # noqa: F401
