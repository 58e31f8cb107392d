"""Who may reach which account: enrolment with a PIN, delegation, representatives under consent, revocation.

Every function runs in one transaction, re-checks the rules itself (views are thin), writes the access log
with the Actor it is given, and queues e-mails through the outbox. E-mails never carry a PIN, except the consent
PIN, which TRA sends to the representative by secure e-mail (encrypted in the outbox, erased once sent).

One module per subdomain; callers use `consent.services.<name>`, which this package names once:
- grants: what they share (the caps on owners and delegates, the owners to tell, the log row of a change)
- delegations: owners add, change and remove co-owners and delegates
- enrolment: Account Enrolment with a PIN, staff enrolment letters, telling owners of a recovered sign-in
- consents: representatives under consent (AT4931): approval, rejection, revocation, accounts opened later
- registrations: approval of an online registration and its letter
"""

from consent.services.consents import (
    CONSENT_INCOMPLETE,
    CONSENT_NO_ACCOUNTS,
    CONSENT_NO_PRIVILEGES,
    CONSENT_NOT_IN_REVIEW,
    consent_approve,
    consent_cover_new_account,
    consent_covered_accounts,
    consent_reject,
    consent_revoke,
)
from consent.services.delegations import (
    ACCOUNT_CLOSED,
    END_DATE_PAST,
    GRANT_TO_SELF,
    LAST_OWNER,
    NO_PRIVILEGES,
    PRIVILEGE_NOT_HELD,
    PRIVILEGE_UNKNOWN,
    delegate_add,
    grant_revoke,
    grant_update,
    grants_for_display,
)
from consent.services.enrolment import account_enrol, enrolment_pin_issue, recovery_notify_owners
from consent.services.grants import ALREADY_HAS_ACCESS, DELEGATE_CAP, OWNER_CAP, OWNERS_ONLY
from consent.services.registrations import (
    REGISTRATION_LETTER_NOT_APPROVED,
    registration_approve,
    registration_letter_issue,
)

__all__ = [
    "ACCOUNT_CLOSED",
    "ALREADY_HAS_ACCESS",
    "CONSENT_INCOMPLETE",
    "CONSENT_NOT_IN_REVIEW",
    "CONSENT_NO_ACCOUNTS",
    "CONSENT_NO_PRIVILEGES",
    "DELEGATE_CAP",
    "END_DATE_PAST",
    "GRANT_TO_SELF",
    "LAST_OWNER",
    "NO_PRIVILEGES",
    "OWNERS_ONLY",
    "OWNER_CAP",
    "PRIVILEGE_NOT_HELD",
    "PRIVILEGE_UNKNOWN",
    "REGISTRATION_LETTER_NOT_APPROVED",
    "account_enrol",
    "consent_approve",
    "consent_cover_new_account",
    "consent_covered_accounts",
    "consent_reject",
    "consent_revoke",
    "delegate_add",
    "enrolment_pin_issue",
    "grant_revoke",
    "grant_update",
    "grants_for_display",
    "recovery_notify_owners",
    "registration_approve",
    "registration_letter_issue",
]
