"""Delegated administration: an owner adds a co-owner or a delegate (a pending grant and its one-time PIN), changes a
delegate's privileges, and removes access; staff remove it too."""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import pins
from accounts.actors import Actor
from accounts.models import Pin, User
from accounts.services import email_queue
from consent.access import access_for
from consent.models import Grant
from consent.privileges import GRANTABLE, Privilege
from consent.services.grants import ALREADY_HAS_ACCESS, OWNERS_ONLY, check_caps, log_change, owners_emails
from programs.models import ProgramAccount

LAST_OWNER = _("An account must keep at least one owner. Add another owner before removing this one.")
GRANT_TO_SELF = _("You cannot add yourself. Another owner, or TRA, can change your own access.")
PRIVILEGE_NOT_HELD = _("You cannot grant a privilege you do not hold: %(privileges)s.")
PRIVILEGE_UNKNOWN = _("Unknown privilege: %(privileges)s.")
NO_PRIVILEGES = _("Choose at least one privilege for a delegate.")
END_DATE_PAST = _("The end date must be today or later.")
ACCOUNT_CLOSED = _("This account is closed; access cannot be added.")


def _require_owner(*, by: User, account: ProgramAccount) -> None:
    access = access_for(user=by, account=account)
    if access is None or not access.is_owner:
        raise ValidationError(OWNERS_ONLY)


def _privileges_of(*, by: User, account: ProgramAccount) -> frozenset[str]:
    """What `by` may do on `account` (the ceiling of what they may grant); no access at all is a refusal."""
    access = access_for(user=by, account=account)
    if access is None:
        raise PermissionDenied
    return access.privileges


def _check_privileges(*, by_privileges: frozenset[str], privileges: list[str]) -> list[str]:
    unknown = sorted(set(privileges) - {p.value for p in GRANTABLE})
    if unknown:
        raise ValidationError(PRIVILEGE_UNKNOWN % {"privileges": ", ".join(unknown)})
    not_held = sorted(set(privileges) - set(by_privileges))
    if not_held:
        raise ValidationError(
            PRIVILEGE_NOT_HELD % {"privileges": ", ".join(str(Privilege(p).label) for p in not_held)}
        )
    return sorted(set(privileges))


@transaction.atomic
def delegate_add(
    *,
    account: ProgramAccount,
    by: User,
    name: str,
    email: str,
    role: str,
    privileges: list[str],
    ends_on: date | None = None,
    actor: Actor,
) -> tuple[Grant, pins.IssuedPin]:
    """An owner adds a co-owner or a delegate. Returns the pending grant and its one-time PIN (shown once)."""
    ProgramAccount.objects.select_for_update().filter(
        pk=account.pk
    ).first()  # serialize cap checks per account
    _require_owner(by=by, account=account)
    email = email.strip().lower()
    if not account.is_active:
        raise ValidationError(ACCOUNT_CLOSED)
    if email == by.email.lower():
        raise ValidationError(GRANT_TO_SELF)
    if role not in (Grant.Role.OWNER, Grant.Role.DELEGATE):
        raise ValidationError(_("Choose owner or delegate."))
    if ends_on is not None and ends_on < timezone.localdate():
        raise ValidationError({"ends_on": END_DATE_PAST})
    if role == Grant.Role.DELEGATE:
        if not privileges:
            raise ValidationError({"privileges": NO_PRIVILEGES})
        privileges = _check_privileges(
            by_privileges=_privileges_of(by=by, account=account), privileges=privileges
        )
    else:
        privileges = []
    if Grant.objects.filter(
        account=account, email__iexact=email, status__in=[Grant.Status.ACTIVE, Grant.Status.PENDING]
    ).exists():
        raise ValidationError(ALREADY_HAS_ACCESS % {"email": email})
    check_caps(account=account, role=role)
    grant = Grant.objects.create(
        account=account,
        role=role,
        privileges=privileges,
        status=Grant.Status.PENDING,
        name=name.strip(),
        email=email,
        ends_on=ends_on,
        created_by=by,
    )
    issued = pins.pin_issue(
        purpose=Pin.Purpose.DELEGATION,
        account_number=account.number,
        reference=f"grant:{grant.pk}",
        intended_email=email,
        created_by=by,
        lifetime=timedelta(days=settings.TRACS_DELEGATION_PIN_DAYS),
    )
    log_change(
        actor=actor,
        account=account,
        action=f"{grant.get_role_display()} added (pending)",
        detail=f"{name} <{email}>",
        capacity="owner",
    )
    email_queue(
        to=[email],
        subject=_("TRACS: access to a TRA account is waiting for you"),
        body=_(
            "%(owner)s has given you access to the TRACS account of %(taxpayer)s (account %(number)s) as %(role)s.\n\n"
            "To accept, sign in to TRACS with this e-mail address (%(email)s), choose Account Enrolment, and enter the "
            "account number and the one-time PIN that %(owner)s will give you. The PIN expires on %(expires)s.\n\n"
            "For your security this e-mail does not contain the PIN.\n%(site)s"
        )
        % {
            "owner": by.display_name,
            "taxpayer": account.taxpayer.legal_name,
            "number": account.number,
            "role": grant.get_role_display().lower(),
            "email": email,
            "expires": timezone.localtime(issued.pin.expires_at).date().isoformat(),
            "site": settings.TRACS_SITE_URL,
        },
        purpose="delegation-invitation",
    )
    return grant, issued


@transaction.atomic
def grant_update(
    *, grant: Grant, by: User, privileges: list[str], ends_on: date | None, actor: Actor
) -> Grant:
    """An owner changes a delegate's privileges or end date."""
    _require_owner(by=by, account=grant.account)
    if grant.user_id == by.pk:
        raise ValidationError(GRANT_TO_SELF)
    if grant.role != Grant.Role.DELEGATE:
        raise ValidationError(_("Only a delegate's privileges can be changed here."))
    if not privileges:
        raise ValidationError({"privileges": NO_PRIVILEGES})
    if ends_on is not None and ends_on < timezone.localdate():
        raise ValidationError({"ends_on": END_DATE_PAST})
    before = sorted(grant.privileges)
    grant.privileges = _check_privileges(
        by_privileges=_privileges_of(by=by, account=grant.account), privileges=privileges
    )
    grant.ends_on = ends_on
    grant.save(update_fields=["privileges", "ends_on"])
    log_change(
        actor=actor,
        account=grant.account,
        action="delegate privileges changed",
        detail=f"{grant.name}: {', '.join(before)} -> {', '.join(grant.privileges)}; ends {ends_on or 'never'}",
        capacity="owner",
    )
    return grant


@transaction.atomic
def grant_revoke(
    *,
    grant: Grant,
    by: User,
    actor: Actor,
    by_staff: bool = False,
    all_access_ends: bool = False,
) -> Grant:
    """An owner (or staff) removes a co-owner, delegate or representative. Effective on the next request.

    `all_access_ends` (staff only): every access to the account is ending, e.g. it was transferred to
    another taxpayer, so its last owner goes too; the new holder's people enrol with a new PIN."""
    grant = Grant.objects.select_for_update().select_related("account__taxpayer").get(pk=grant.pk)
    account = grant.account
    if not by_staff:
        _require_owner(by=by, account=account)
    if grant.status == Grant.Status.REVOKED:
        return grant
    if (
        grant.role == Grant.Role.OWNER
        and grant.status == Grant.Status.ACTIVE
        and not (by_staff and all_access_ends)
    ):
        owners = Grant.objects.select_for_update().filter(
            account=account, role=Grant.Role.OWNER, status=Grant.Status.ACTIVE
        )
        if owners.count() <= 1:
            raise ValidationError(LAST_OWNER)
    grant.status = Grant.Status.REVOKED
    grant.revoked_at = timezone.now()
    grant.revoked_by = by
    grant.save(update_fields=["status", "revoked_at", "revoked_by"])
    pins.pins_cancel(reference=f"grant:{grant.pk}")
    log_change(
        actor=actor,
        account=account,
        action=f"{grant.get_role_display()} removed",
        detail=f"{grant.name} <{grant.email}>",
        capacity="staff" if by_staff else "owner",
    )
    email_queue(
        to=[grant.email, *owners_emails(account)],
        subject=_("TRACS: access to account %(number)s was removed") % {"number": account.number},
        body=_(
            "%(name)s no longer has access to the TRACS account of %(taxpayer)s (account %(number)s). Removed by %(by)s on %(when)s."
        )
        % {
            "name": grant.name,
            "taxpayer": account.taxpayer.legal_name,
            "number": account.number,
            "by": _("TRA") if by_staff else by.display_name,
            "when": timezone.localdate().isoformat(),
        },
        purpose="access-removed",
    )
    return grant


def grants_for_display(*, account: ProgramAccount) -> QuerySet[Grant]:
    return (
        Grant.objects.filter(account=account)
        .exclude(status=Grant.Status.REVOKED)
        .select_related("user", "consent")
        .order_by("role", "name")
    )
