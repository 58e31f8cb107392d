"""What every way of reaching an account shares: the caps on owners and delegates, the owners to tell, and the
access-log row of a change to who may reach it."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from accounts.actors import Actor
from accounts.models import AccessLogEntry, User
from accounts.services import access_log_record, email_queue
from consent.models import Grant
from programs.models import ProgramAccount

OWNER_CAP = _("This account already has its maximum of %(cap)s owners.")
DELEGATE_CAP = _("This account already has its maximum of %(cap)s delegates and representatives.")
ALREADY_HAS_ACCESS = _("%(email)s already has access to this account, or an invitation waiting.")
OWNERS_ONLY = _("Only an owner of the account can manage access.")


def owners_emails(account: ProgramAccount) -> list[str]:
    return list(
        Grant.objects.filter(account=account, role=Grant.Role.OWNER, status=Grant.Status.ACTIVE).values_list(
            "user__email", flat=True
        )
    )


def log_change(
    *, actor: Actor, account: ProgramAccount, action: str, detail: str = "", capacity: str = ""
) -> None:
    access_log_record(
        actor=actor,
        kind=AccessLogEntry.Kind.CHANGE,
        action=action,
        account_number=account.number,
        on_behalf_of=account.on_behalf_of,
        capacity=capacity,
        detail=detail,
    )


def in_the_name_of(actor: Actor, user: User) -> Actor:
    """The actor as the access log names `user` for a change made to their access: the actor itself when it is
    that person; otherwise the person, with no address or path, through the actor's door, because someone else
    (staff opening an account, staff resetting two-factor) sent the request that caused it."""
    if actor.user is not None and actor.user.pk == user.pk:
        return actor
    return Actor(user=user, door=actor.door)


def check_caps(*, account: ProgramAccount, role: str, exclude: Grant | None = None) -> None:
    open_grants = Grant.objects.filter(
        account=account, status__in=[Grant.Status.ACTIVE, Grant.Status.PENDING]
    )
    if exclude is not None:
        open_grants = open_grants.exclude(pk=exclude.pk)
    if role == Grant.Role.OWNER:
        if open_grants.filter(role=Grant.Role.OWNER).count() >= account.max_owners:
            raise ValidationError(OWNER_CAP % {"cap": account.max_owners})
    elif open_grants.exclude(role=Grant.Role.OWNER).count() >= account.max_delegates:
        raise ValidationError(DELEGATE_CAP % {"cap": account.max_delegates})


def notify_owners_of_new_access(*, grant: Grant) -> None:
    account = grant.account
    recipients = [email for email in owners_emails(account) if email != grant.email]
    if not recipients:
        return
    email_queue(
        to=recipients,
        subject=_("TRACS: %(name)s now has access to account %(number)s")
        % {"name": grant.name, "number": account.number},
        body=_(
            "%(name)s enrolled as %(role)s on the TRACS account of %(taxpayer)s (account %(number)s). Owners can review and remove access under Manage access."
        )
        % {
            "name": grant.name,
            "role": grant.get_role_display().lower(),
            "taxpayer": account.taxpayer.legal_name,
            "number": account.number,
        },
        purpose="access-added",
    )
