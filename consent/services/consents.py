"""Representatives under consent (AT4931): staff approve a complete consent (the representative is e-mailed a
PIN) or reject it, owners or staff revoke it, and an all-accounts consent reaches accounts opened later."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import pins
from accounts.actors import Actor
from accounts.models import AccessLogEntry, Pin, User
from accounts.services import access_log_record, email_queue
from consent.access import access_for
from consent.models import Consent, Grant
from consent.services.grants import OWNERS_ONLY, in_the_name_of, log_change, notify_owners_of_new_access
from programs.models import ProgramAccount

CONSENT_NOT_IN_REVIEW = _("Only a consent in review can be approved or rejected.")
CONSENT_NO_ACCOUNTS = _("A consent must cover at least one account, or all of the taxpayer's accounts.")
CONSENT_NO_PRIVILEGES = _("A consent must give at least one privilege.")
CONSENT_INCOMPLETE = _("The signed consent form (AT4931) must be attached before approval.")


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
        log_change(
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
        log_change(
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
        grant = representative_grant(
            consent=consent, account=account, user=consent.representative, actor=actor
        )
        if grant is not None:
            grants.append(grant)
    return grants


def representative_grant(
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
    log_change(
        actor=in_the_name_of(actor, user),
        account=account,
        action="representative activated consent PIN (AT4931)",
        capacity="representative",
    )
    notify_owners_of_new_access(grant=grant)
    return grant
