"""Who may reach which account: enrolment with a PIN, delegation, representatives under consent, revocation.

Every function runs in one transaction, re-checks the rules itself (views are thin), writes the access log,
and queues e-mails through the outbox. E-mails never carry a PIN, except the consent PIN, which TRA sends
to the representative by secure e-mail (encrypted in the outbox, erased once sent)."""

from __future__ import annotations

import logging
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest  # only until programs' registration_accounts_open takes an actor
from django.utils import timezone
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError

from accounts import pins
from accounts.actors import Actor
from accounts.models import AccessLogEntry, Pin, User
from accounts.services import access_log_record, email_queue
from consent.access import access_for
from consent.models import Consent, Grant
from consent.privileges import GRANTABLE, Privilege
from programs import registration as programs_registration
from programs import services as program_services
from programs.models import Document, ProgramAccount, Registration

LAST_OWNER = _("An account must keep at least one owner. Add another owner before removing this one.")
OWNER_CAP = _("This account already has its maximum of %(cap)s owners.")
DELEGATE_CAP = _("This account already has its maximum of %(cap)s delegates and representatives.")
GRANT_TO_SELF = _("You cannot add yourself. Another owner, or TRA, can change your own access.")
PRIVILEGE_NOT_HELD = _("You cannot grant a privilege you do not hold: %(privileges)s.")
PRIVILEGE_UNKNOWN = _("Unknown privilege: %(privileges)s.")
NO_PRIVILEGES = _("Choose at least one privilege for a delegate.")
ALREADY_HAS_ACCESS = _("%(email)s already has access to this account, or an invitation waiting.")
OWNERS_ONLY = _("Only an owner of the account can manage access.")
END_DATE_PAST = _("The end date must be today or later.")
CONSENT_NOT_IN_REVIEW = _("Only a consent in review can be approved or rejected.")
CONSENT_NO_ACCOUNTS = _("A consent must cover at least one account, or all of the taxpayer's accounts.")
CONSENT_NO_PRIVILEGES = _("A consent must give at least one privilege.")
CONSENT_INCOMPLETE = _("The signed consent form (AT4931) must be attached before approval.")
ACCOUNT_CLOSED = _("This account is closed; access cannot be added.")


def _owners_emails(account: ProgramAccount) -> list[str]:
    return list(
        Grant.objects.filter(account=account, role=Grant.Role.OWNER, status=Grant.Status.ACTIVE).values_list(
            "user__email", flat=True
        )
    )


def _log_change(
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


def _in_the_name_of(actor: Actor, user: User) -> Actor:
    """The actor as the access log names `user` for a change made to their access: the actor itself when it is
    that person; otherwise the person, with no address or path, through the actor's door, because someone else
    (staff opening an account, staff resetting two-factor) sent the request that caused it."""
    if actor.user is not None and actor.user.pk == user.pk:
        return actor
    return Actor(user=user, door=actor.door)


def _require_owner(*, by: User, account: ProgramAccount) -> None:
    access = access_for(user=by, account=account)
    if access is None or not access.is_owner:
        raise ValidationError(OWNERS_ONLY)


def _check_caps(*, account: ProgramAccount, role: str, exclude: Grant | None = None) -> None:
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


# --- Delegation -------------------------------------------------------------------------------------------


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
    _check_caps(account=account, role=role)
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
    _log_change(
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
    _log_change(
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
    _log_change(
        actor=actor,
        account=account,
        action=f"{grant.get_role_display()} removed",
        detail=f"{grant.name} <{grant.email}>",
        capacity="staff" if by_staff else "owner",
    )
    email_queue(
        to=[grant.email, *_owners_emails(account)],
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


# --- Enrolment with a PIN -------------------------------------------------------------------------------


def account_enrol(*, user: User, account_number: str, typed_pin: str, actor: Actor) -> list[Grant]:
    """Account Enrolment: account number (or BIN) + PIN -> the access the PIN stands for.

    Raises pins.PinRefused (one message whatever went wrong) or ValidationError (e.g. already has access)."""
    try:
        with transaction.atomic():
            pin = pins.pin_redeem(user=user, account_number=account_number, typed_pin=typed_pin, actor=actor)
            if pin.purpose == Pin.Purpose.ENROLMENT:
                return [_enrol_owner(user=user, pin=pin, actor=actor)]
            if pin.purpose == Pin.Purpose.DELEGATION:
                return [_accept_delegation(user=user, pin=pin, actor=actor)]
            return _activate_consent(user=user, pin=pin, actor=actor)
    except pins.PinRefused as refusal:
        pins.pin_failure_record(refusal=refusal, actor=actor)
        raise


def _enrol_owner(*, user: User, pin: Pin, actor: Actor) -> Grant:
    account = (
        ProgramAccount.objects.select_for_update().select_related("taxpayer").get(number=pin.account_number)
    )
    existing = Grant.objects.filter(account=account, user=user, status=Grant.Status.ACTIVE).first()
    if existing is not None and existing.role == Grant.Role.OWNER:
        raise ValidationError(ALREADY_HAS_ACCESS % {"email": user.email})
    _check_caps(account=account, role=Grant.Role.OWNER)
    if existing is not None:  # a delegate who becomes an owner keeps one grant: the owner's
        existing.status = Grant.Status.REVOKED
        existing.revoked_at = timezone.now()
        existing.save(update_fields=["status", "revoked_at"])
    grant = Grant.objects.create(
        account=account,
        user=user,
        role=Grant.Role.OWNER,
        status=Grant.Status.ACTIVE,
        name=user.display_name,
        email=user.email,
        created_by=pin.created_by,
        activated_at=timezone.now(),
    )
    _log_change(actor=actor, account=account, action="owner enrolled with enrolment PIN", capacity="owner")
    _notify_owners_of_new_access(grant=grant)
    return grant


def _accept_delegation(*, user: User, pin: Pin, actor: Actor) -> Grant:
    grant = (
        Grant.objects.select_for_update()
        .select_related("account__taxpayer")
        .get(pk=int(pin.reference.split(":")[1]))
    )
    if grant.status != Grant.Status.PENDING:
        raise pins.PinRefused(
            pins.PIN_REFUSED, user=user, number=pin.account_number, detail="grant no longer pending"
        )
    if Grant.objects.filter(account=grant.account, user=user, status=Grant.Status.ACTIVE).exists():
        raise ValidationError(ALREADY_HAS_ACCESS % {"email": user.email})
    grant.user = user
    grant.status = Grant.Status.ACTIVE
    grant.activated_at = timezone.now()
    grant.save(update_fields=["user", "status", "activated_at"])
    _log_change(
        actor=actor,
        account=grant.account,
        action=f"{grant.get_role_display()} enrolled with one-time PIN",
        capacity=grant.role,
    )
    _notify_owners_of_new_access(grant=grant)
    return grant


def _activate_consent(*, user: User, pin: Pin, actor: Actor) -> list[Grant]:
    consent = (
        Consent.objects.select_for_update()
        .select_related("taxpayer")
        .get(pk=int(pin.reference.split(":")[1]))
    )
    if consent.status != Consent.Status.APPROVED:
        raise pins.PinRefused(
            pins.PIN_REFUSED, user=user, number=pin.account_number, detail="consent not approved"
        )
    consent.status = Consent.Status.ACTIVE
    consent.representative = user
    consent.activated_at = timezone.now()
    consent.save(update_fields=["status", "representative", "activated_at"])
    grants = [
        _representative_grant(consent=consent, account=account, user=user, actor=actor)
        for account in consent_covered_accounts(consent=consent)
    ]
    return [grant for grant in grants if grant is not None]


def _representative_grant(
    *, consent: Consent, account: ProgramAccount, user: User, actor: Actor
) -> Grant | None:
    if Grant.objects.filter(account=account, user=user, status=Grant.Status.ACTIVE).exists():
        return None  # already reaches it (e.g. as owner); the consent adds nothing there
    grant = Grant.objects.create(
        account=account,
        user=user,
        role=Grant.Role.REPRESENTATIVE,
        privileges=list(consent.privileges),
        status=Grant.Status.ACTIVE,
        name=consent.representative_name,
        email=consent.representative_email,
        ends_on=consent.expires_on,
        consent=consent,
        activated_at=timezone.now(),
    )
    _log_change(
        actor=_in_the_name_of(actor, user),
        account=account,
        action="representative activated consent PIN (AT4931)",
        capacity="representative",
    )
    _notify_owners_of_new_access(grant=grant)
    return grant


def _notify_owners_of_new_access(*, grant: Grant) -> None:
    account = grant.account
    recipients = [email for email in _owners_emails(account) if email != grant.email]
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


# --- Representatives under consent (AT4931) ------------------------------------------------------------


def consent_covered_accounts(*, consent: Consent) -> QuerySet[ProgramAccount]:
    if consent.all_accounts:
        accounts = ProgramAccount.objects.filter(taxpayer=consent.taxpayer)
        if not consent.covers_future_accounts and consent.reviewed_at:
            accounts = accounts.filter(opened_at__lte=consent.reviewed_at)
        return accounts.select_related("taxpayer")
    # Only the signer's taxpayer's accounts: an account transferred to another taxpayer since is not covered.
    return consent.accounts.filter(taxpayer=consent.taxpayer_id).select_related("taxpayer")


@transaction.atomic
def consent_approve(*, consent: Consent, by: User, actor: Actor) -> pins.IssuedPin:
    """Staff approve a complete consent: the representative is e-mailed a PIN (secure e-mail via the outbox)."""
    consent = Consent.objects.select_for_update().select_related("taxpayer").get(pk=consent.pk)
    if consent.status != Consent.Status.RECEIVED:
        raise ValidationError(CONSENT_NOT_IN_REVIEW)
    if not consent.signed_form:
        raise ValidationError(CONSENT_INCOMPLETE)
    if not consent.privileges:
        raise ValidationError(CONSENT_NO_PRIVILEGES)
    if not consent.all_accounts and not consent.accounts.exists():
        raise ValidationError(CONSENT_NO_ACCOUNTS)
    consent.status = Consent.Status.APPROVED
    consent.reviewed_by = by
    consent.reviewed_at = timezone.now()
    consent.save(update_fields=["status", "reviewed_by", "reviewed_at"])
    numbers = (
        [consent.taxpayer.bin]
        if consent.all_accounts
        else list(consent.accounts.values_list("number", flat=True))
    )
    issued = pins.pin_issue(
        purpose=Pin.Purpose.CONSENT,
        account_number=numbers[0],
        also_for=tuple(numbers[1:]),
        reference=f"consent:{consent.pk}",
        intended_email=consent.representative_email,
        created_by=by,
        lifetime=timedelta(days=settings.TRACS_CONSENT_PIN_DAYS),
    )
    what = (
        _("the taxpayer's BIN %(bin)s (all of its program accounts)") % {"bin": consent.taxpayer.bin}
        if consent.all_accounts
        else _("any of these account numbers: %(numbers)s") % {"numbers": ", ".join(numbers)}
    )
    email_queue(
        to=[consent.representative_email],
        subject=_("TRACS: your PIN for online access to %(taxpayer)s")
        % {"taxpayer": consent.taxpayer.legal_name},
        body=_(
            "Tax and Revenue Administration reviewed the Alberta Consent Form (AT4931) signed by %(signer)s for %(taxpayer)s.\n\n"
            "Sign in to TRACS with this e-mail address, choose Account Enrolment, and enter %(what)s with this PIN:\n\n    %(pin)s\n\n"
            "The PIN works once, only for you, and expires on %(expires)s.\n%(site)s"
        )
        % {
            "signer": consent.signer_name,
            "taxpayer": consent.taxpayer.legal_name,
            "what": what,
            "pin": pins.pin_format(issued.clear),
            "expires": timezone.localtime(issued.pin.expires_at).date().isoformat(),
            "site": settings.TRACS_SITE_URL,
        },
        purpose="consent-pin",
    )
    for account in consent_covered_accounts(consent=consent):
        _log_change(
            actor=actor,
            account=account,
            action="consent (AT4931) approved; PIN e-mailed",
            detail=consent.representative_name,
            capacity="staff",
        )
    return issued


@transaction.atomic
def consent_reject(*, consent: Consent, by: User, reason: str, actor: Actor) -> Consent:
    if consent.status != Consent.Status.RECEIVED:
        raise ValidationError(CONSENT_NOT_IN_REVIEW)
    if not reason.strip():
        raise ValidationError({"rejection_reason": _("Give the reason the consent is incomplete.")})
    consent.status = Consent.Status.REJECTED
    consent.rejection_reason = reason
    consent.reviewed_by = by
    consent.reviewed_at = timezone.now()
    consent.save(update_fields=["status", "rejection_reason", "reviewed_by", "reviewed_at"])
    access_log_record(
        actor=actor,
        kind=AccessLogEntry.Kind.CHANGE,
        action="consent rejected",
        detail=f"{consent}: {reason}",
        capacity="staff",
    )
    return consent


@transaction.atomic
def consent_revoke(*, consent: Consent, by: User, actor: Actor, by_staff: bool = False) -> Consent:
    """The taxpayer's owner or staff revoke a consent: every access it gave ends on the next request."""
    consent = Consent.objects.select_for_update().get(pk=consent.pk)
    if not by_staff:
        accounts = list(consent_covered_accounts(consent=consent))
        if not any(
            (a := access_for(user=by, account=account)) is not None and a.is_owner for account in accounts
        ):
            raise ValidationError(OWNERS_ONLY)
    consent.status = Consent.Status.REVOKED
    consent.revoked_at = timezone.now()
    consent.revoked_by = by
    consent.save(update_fields=["status", "revoked_at", "revoked_by"])
    pins.pins_cancel(reference=f"consent:{consent.pk}")
    for grant in consent.grants.filter(status=Grant.Status.ACTIVE).select_related("account__taxpayer"):
        grant.status = Grant.Status.REVOKED
        grant.revoked_at = consent.revoked_at
        grant.revoked_by = by
        grant.save(update_fields=["status", "revoked_at", "revoked_by"])
        _log_change(
            actor=actor,
            account=grant.account,
            action="consent (AT4931) revoked",
            detail=consent.representative_name,
            capacity="staff" if by_staff else "owner",
        )
    email_queue(
        to=[consent.representative_email],
        subject=_("TRACS: your online access to %(taxpayer)s has ended")
        % {"taxpayer": consent.taxpayer.legal_name},
        body=_(
            "The consent that gave you online access to the accounts of %(taxpayer)s was revoked on %(when)s."
        )
        % {"taxpayer": consent.taxpayer.legal_name, "when": timezone.localdate().isoformat()},
        purpose="consent-revoked",
    )
    return consent


@transaction.atomic
def consent_cover_new_account(*, account: ProgramAccount, actor: Actor) -> list[Grant]:
    """A new account of a taxpayer joins every active all-accounts consent that covers accounts opened later.
    `actor` opened the account; the access log names each representative for their new access."""
    grants = []
    for consent in Consent.objects.filter(
        taxpayer=account.taxpayer,
        status=Consent.Status.ACTIVE,
        all_accounts=True,
        covers_future_accounts=True,
    ):
        if (
            consent.representative is None
        ):  # the representative's sign-in was deleted (SET_NULL): no one to grant
            continue
        grant = _representative_grant(
            consent=consent, account=account, user=consent.representative, actor=actor
        )
        if grant is not None:
            grants.append(grant)
    return grants


# --- Staff: enrolment PINs and recovery --------------------------------------------------------------------


@transaction.atomic
def enrolment_pin_issue(*, account: ProgramAccount, by: User, actor: Actor) -> Pin:
    """Generate an owner enrolment PIN, hash it, and put it into the enrolment letter PDF in one step.

    The clear PIN exists only in this function and in the letter, which is kept encrypted until staff
    download it for mailing (then deleted). Runs in a Celery task (consent.tasks.enrolment_letter_prepare)."""
    from consent.letters import enrolment_letter_pdf

    pins.pins_cancel_open(account_number=account.number, purpose=Pin.Purpose.ENROLMENT)
    issued = pins.pin_issue(
        purpose=Pin.Purpose.ENROLMENT,
        account_number=account.number,
        reference=f"account:{account.pk}",
        created_by=by,
    )
    pdf = enrolment_letter_pdf(
        account=account, clear_pin=pins.pin_format(issued.clear), expires_at=issued.pin.expires_at
    )
    pins.letter_store(pin=issued.pin, pdf=pdf)
    _log_change(
        actor=actor, account=account, action="enrolment PIN issued; letter prepared", capacity="staff"
    )
    return issued.pin


@transaction.atomic
def recovery_notify_owners(*, user: User, how: str, actor: Actor) -> None:
    """A user recovered sign-in (backup code, or staff reset after identity checks, by `actor`): tell the owners
    of every account that user can reach, so a takeover cannot go unnoticed."""
    grants = Grant.objects.filter(user=user, status=Grant.Status.ACTIVE).select_related("account__taxpayer")
    for grant in grants:
        recipients = [email for email in _owners_emails(grant.account) if email != user.email]
        access_log_record(
            actor=_in_the_name_of(actor, user),
            kind=AccessLogEntry.Kind.SECURITY,
            action=f"sign-in recovered ({how})",
            account_number=grant.account.number,
        )
        if recipients:
            email_queue(
                to=recipients,
                subject=_("TRACS: %(name)s recovered access to their profile") % {"name": user.display_name},
                body=_(
                    "%(name)s, who can reach account %(number)s, recovered sign-in to TRACS (%(how)s) on %(when)s. If you did not expect this, remove their access under Manage access and contact TRA."
                )
                % {
                    "name": user.display_name,
                    "number": grant.account.number,
                    "how": how,
                    "when": timezone.localdate().isoformat(),
                },
                purpose="recovery-notice",
            )


def grants_for_display(*, account: ProgramAccount) -> QuerySet[Grant]:
    return (
        Grant.objects.filter(account=account)
        .exclude(status=Grant.Status.REVOKED)
        .select_related("user", "consent")
        .order_by("role", "name")
    )


# --- Online registration: approval (issue 4, part 6) --------------------------------------------------------
#
# Programs open what they keep (programs.registration.registration_accounts_open); the access layer adds
# what only it may: the registrant becomes an owner of each new account, and the taxpayer's all-accounts
# consents that cover later accounts reach them. The approval letter is a PDF, so a Celery job renders it
# after the approval commits and places it in the accounts' documents (ARCHITECTURE.md: PDFs are jobs).

logger = logging.getLogger(__name__)
REGISTRATION_LETTER_NOT_APPROVED = _("Only an approved registration has an approval letter.")


@transaction.atomic
def registration_approve(
    *, registration: Registration, by: User, actor: Actor, request: HttpRequest | None = None
) -> Registration:
    """Approve a pending registration in one transaction: taxpayer and BIN (if new), program account(s),
    BFLO numbers, the registrant as owner; then the letter job is scheduled. Approving an approved
    registration again changes nothing (no second account), so a double click or a retried job is safe."""
    registration = (
        Registration.objects.select_for_update(of=("self",))
        .select_related("program", "registrant")
        .get(pk=registration.pk)
    )
    if registration.status == Registration.Status.APPROVED:
        return registration
    accounts = programs_registration.registration_accounts_open(
        registration=registration, by=by, request=request
    )
    registrant = registration.registrant
    for account in accounts:
        _check_caps(account=account, role=Grant.Role.OWNER)
        Grant.objects.create(
            account=account,
            user=registrant,
            role=Grant.Role.OWNER,
            status=Grant.Status.ACTIVE,
            name=registrant.display_name,
            email=registrant.email,
            created_by=by,
            activated_at=timezone.now(),
        )
        _log_change(
            actor=actor,
            account=account,
            action="registrant made owner on approval of the registration",
            detail=f"{registration.reference_number}: {registrant.email}",
            capacity="staff",
        )
        consent_cover_new_account(account=account, actor=actor)
    registration_id = registration.pk
    transaction.on_commit(lambda: _schedule_registration_letter(registration_id))
    return registration


def _schedule_registration_letter(registration_id: int) -> None:
    from consent.tasks import registration_letter_issue_job

    try:
        registration_letter_issue_job.delay(registration_id)
    except (
        OSError,
        OperationalError,
    ):  # the broker is down: the approval stands; staff place the letter later
        logger.exception("registration %s: could not schedule the approval letter", registration_id)


@transaction.atomic
def registration_letter_issue(*, registration_id: int) -> list[Document]:
    """Render the approval letter and place it in every account the registration opened, then tell the
    accounts' owners by e-mail that it is available (seed 004, "Step 4: Once approved"). Safe to run twice:
    a registration gets its letter once."""
    registration = (
        Registration.objects.select_for_update(of=("self",))
        .select_related("program", "taxpayer", "registrant")
        .get(pk=registration_id)
    )
    if registration.status != Registration.Status.APPROVED:
        raise ValidationError(REGISTRATION_LETTER_NOT_APPROVED)
    if registration.letter_issued_at is not None:
        return []
    taxpayer = registration.taxpayer
    if taxpayer is None:  # approval creates the taxpayer (or names the existing one) in the same transaction
        raise ValidationError(REGISTRATION_LETTER_NOT_APPROVED)
    pdf = programs_registration.registration_letter_pdf(registration=registration)
    accounts = list(registration.accounts.select_related("program", "taxpayer").order_by("number"))
    documents = [
        program_services.document_issue(
            account=account,
            files=[(f"approval-letter-{registration.reference_number}.pdf", pdf)],
            document_type=Document.Type.TRA_LETTER,
            description=_("Approval letter, registration %(reference)s")
            % {"reference": registration.reference_number},
            by=registration.reviewed_by,
        )
        for account in accounts
    ]
    programs_registration.registration_letter_record(registration=registration)
    recipients = sorted({email for account in accounts for email in _owners_emails(account)})
    email_queue(
        to=recipients,
        subject=_("TRACS: your %(program)s approval letter is available")
        % {"program": registration.program.name},
        body=_(
            "Tax and Revenue Administration approved the %(program)s registration %(reference)s of %(taxpayer)s.\n\n"
            "Your approval letter is available in your TRACS account. Business Identification Number (BIN): %(bin)s. "
            "Account(s): %(numbers)s.\n\n"
            "Sign in to TRACS: the account(s) are on your home page, and the letter is under Submit Documents of each "
            "account. You are an owner of the account(s) and can give your employees or tax preparer access under "
            "Manage access.\n%(site)s"
        )
        % {
            "program": registration.program.name,
            "reference": registration.reference_number,
            "taxpayer": taxpayer.legal_name,
            "bin": taxpayer.bin,
            "numbers": ", ".join(account.number for account in accounts),
            "site": settings.TRACS_SITE_URL,
        },
        purpose="registration-approved",
    )
    return documents
