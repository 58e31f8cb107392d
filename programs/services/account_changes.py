"""The history shared by an account's addresses, contact persons and direct deposit (the modules
addresses, contacts and banking beside this one): each change is locked behind the others on the same
account, and writes an AccountChange (before and after), an access-log row and the owners' e-mail in one
transaction.

Programs know nothing of grants, so the caller (the access layer above) says in which capacity the person
acts (the Actor's capacity, as the access policy decided it) and whom to tell (`notify`: the account's owners). E-mails say what kind of change was made and when,
never the new values: addresses and bank details stay behind the sign-in."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from accounts.actors import Actor
from accounts.models import AccessLogEntry, User
from accounts.services import access_log_record, email_queue
from programs.models import AccountChange, ProgramAccount

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

CAPACITY_WORDS = {
    "owner": _("account owner"),
    "delegate": _("delegate"),
    "representative": _("representative"),
    "staff": _("TRA staff"),
}

# What the owners' e-mail says happened: (subject, action) -> phrase. No values, only the kind of change.
CHANGE_PHRASES: dict[tuple[str, str], StrOrPromise] = {
    (AccountChange.Subject.MAILING_ADDRESS, AccountChange.Action.ADDED): _("a mailing address was added"),
    (AccountChange.Subject.MAILING_ADDRESS, AccountChange.Action.CHANGED): _(
        "the mailing address was changed"
    ),
    (AccountChange.Subject.MAILING_ADDRESS, AccountChange.Action.REMOVED): _(
        "the mailing address was removed"
    ),
    (AccountChange.Subject.LOCATION_ADDRESS, AccountChange.Action.ADDED): _(
        "a business location address was added"
    ),
    (AccountChange.Subject.LOCATION_ADDRESS, AccountChange.Action.CHANGED): _(
        "the business location address was changed"
    ),
    (AccountChange.Subject.LOCATION_ADDRESS, AccountChange.Action.REMOVED): _(
        "the business location address was removed"
    ),
    (AccountChange.Subject.CONTACT, AccountChange.Action.ADDED): _("a contact person was added"),
    (AccountChange.Subject.CONTACT, AccountChange.Action.CHANGED): _(
        "a contact person's details were changed"
    ),
    (AccountChange.Subject.CONTACT, AccountChange.Action.REMOVED): _("a contact person was removed"),
    (AccountChange.Subject.DIRECT_DEPOSIT, AccountChange.Action.ADDED): _("direct deposit was set up"),
    (AccountChange.Subject.DIRECT_DEPOSIT, AccountChange.Action.CHANGED): _(
        "the direct deposit bank account was changed"
    ),
    (AccountChange.Subject.DIRECT_DEPOSIT, AccountChange.Action.REMOVED): _(
        "direct deposit was removed; refunds will go by cheque to the mailing address of record"
    ),
}


def account_lock(account: ProgramAccount) -> ProgramAccount:
    """Changes to one account's details queue up behind each other, so each one's `before` is true."""
    return ProgramAccount.objects.select_for_update().select_related("taxpayer", "program").get(pk=account.pk)


def account_change_record(
    *,
    account: ProgramAccount,
    subject: str,
    action: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    by: User,
    capacity: str,
    notify: Iterable[str],
    actor: Actor,
    detail: str = "",
) -> AccountChange:
    """`by` is who the history names (the person, or staff); `capacity` the role they acted in; `actor` is how
    the request reached TRACS, for the access log."""
    person = by if by is not None and by.is_authenticated else None
    change = AccountChange.objects.create(
        account=account,
        actor=person,
        actor_email=person.email if person else "",
        capacity=capacity,
        subject=subject,
        action=action,
        before=before,
        after=after,
    )
    phrase = CHANGE_PHRASES[(subject, action)]
    with translation.override("en"):  # the log reads the same whatever language the person uses
        logged_action = str(phrase)[:120]
    access_log_record(
        actor=actor,
        kind=AccessLogEntry.Kind.CHANGE,
        action=logged_action,
        account_number=account.number,
        on_behalf_of=account.on_behalf_of,
        capacity=capacity,
        detail=detail,
    )
    recipients = list(notify)
    if recipients:
        when = timezone.localtime(change.occurred_at)
        who = person.display_name if person else str(_("TRA"))
        role = CAPACITY_WORDS.get(capacity)
        email_queue(
            to=recipients,
            subject=str(
                _("TRACS: account %(number)s: %(what)s") % {"number": account.number, "what": phrase}
            ),
            body=str(
                _(
                    "In TRACS, %(what)s for account %(number)s (%(program)s) on %(day)s at %(time)s Alberta time, by %(who)s%(role)s.\n\n"
                    "Sign in to TRACS to see the account's details. If you did not expect this change, contact "
                    "Tax and Revenue Administration at once: 780-427-3044 (toll-free in Alberta: dial 310-0000 first) "
                    "or TRA.Revenue@gov.ab.ca.\n\n"
                    "You receive this e-mail because you are an owner of the account."
                )
                % {
                    "what": phrase,
                    "number": account.number,
                    "program": account.program.name,
                    "day": when.strftime("%Y-%m-%d"),
                    "time": when.strftime("%H:%M"),
                    "who": who,
                    "role": f" ({role})" if role else "",
                }
            ),
            purpose="account-change",
        )
    return change
