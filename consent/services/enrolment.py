"""Account Enrolment: an account number (or BIN) and a PIN become the access the PIN stands for (owner, delegate,
representative); staff issue owner enrolment PINs in a letter, and owners are told when someone recovers sign-in."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import pins
from accounts.actors import Actor
from accounts.models import AccessLogEntry, Pin, User
from accounts.services import access_log_record, email_queue
from consent.models import Consent, Grant
from consent.services.consents import consent_covered_accounts, representative_grant
from consent.services.grants import (
    ALREADY_HAS_ACCESS,
    check_caps,
    in_the_name_of,
    log_change,
    notify_owners_of_new_access,
    owners_emails,
)
from programs.models import ProgramAccount


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
    check_caps(account=account, role=Grant.Role.OWNER)
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
    log_change(actor=actor, account=account, action="owner enrolled with enrolment PIN", capacity="owner")
    notify_owners_of_new_access(grant=grant)
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
    log_change(
        actor=actor,
        account=grant.account,
        action=f"{grant.get_role_display()} enrolled with one-time PIN",
        capacity=grant.role,
    )
    notify_owners_of_new_access(grant=grant)
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
        representative_grant(consent=consent, account=account, user=user, actor=actor)
        for account in consent_covered_accounts(consent=consent)
    ]
    return [grant for grant in grants if grant is not None]


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
    log_change(actor=actor, account=account, action="enrolment PIN issued; letter prepared", capacity="staff")
    return issued.pin


@transaction.atomic
def recovery_notify_owners(*, user: User, how: str, actor: Actor) -> None:
    """A user recovered sign-in (backup code, or staff reset after identity checks, by `actor`): tell the owners
    of every account that user can reach, so a takeover cannot go unnoticed."""
    grants = Grant.objects.filter(user=user, status=Grant.Status.ACTIVE).select_related("account__taxpayer")
    for grant in grants:
        recipients = [email for email in owners_emails(grant.account) if email != user.email]
        access_log_record(
            actor=in_the_name_of(actor, user),
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
