"""Writes of the identity layer: the access log, the e-mail outbox, two-factor devices."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.actors import Actor
from accounts.crypto import decrypt, encrypt
from accounts.models import AccessLogEntry, OutboxEmail, User, full_name_clean
from accounts.signals import sign_in_recovered

logger = logging.getLogger(__name__)

# The rows of an access_log_batched block, inserted together when it ends; None: each row is inserted at once.
_batch: ContextVar[list[AccessLogEntry] | None] = ContextVar("access_log_batch", default=None)

BACKUP_CODE_COUNT = 10
BACKUP_CODE_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"  # no 0/o, 1/l/i: read off paper without doubt


def access_log_record(
    *,
    actor: Actor,
    kind: str,
    action: str,
    account_number: str = "",
    on_behalf_of: str = "",
    capacity: str = "",
    detail: str = "",
) -> AccessLogEntry:
    """Append one row to the access log. Callers run it inside their own transaction.

    `actor` (accounts/actors.py) says who, from where and through which door; its capacity and on-behalf-of
    fill what the caller leaves blank."""
    person = actor.user
    capacity = capacity or actor.capacity
    on_behalf_of = on_behalf_of or actor.on_behalf_of
    real_actor = person if person is not None and person.is_authenticated else None
    entry = AccessLogEntry(
        actor=real_actor,
        actor_email=real_actor.email if real_actor else "",
        kind=kind,
        action=action,
        account_number=account_number,
        on_behalf_of=on_behalf_of,
        capacity=capacity,
        detail=detail,
        ip_address=actor.ip_address,
        path=actor.path,
        door=str(actor.door),
    )
    if kind == AccessLogEntry.Kind.READ and not connection.in_atomic_block:
        # A page read's row, in a transaction of its own (every account page writes one): committed without waiting
        # for the WAL to reach the disk (ADR 0023), which cost each page 0.5-4.5 ms here; written and visible the
        # same, lost only if PostgreSQL itself stops within a fraction of a second. SET LOCAL ends with this
        # transaction: a change's row, or a read's inside a caller's transaction, waits for the flush as before.
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
            entry.save(force_insert=True)
        return entry
    batch = _batch.get()
    if batch is not None:
        batch.append(entry)
        return entry
    entry.save(force_insert=True)
    return entry


@contextmanager
def access_log_batched() -> Iterator[None]:
    """The access-log rows recorded in the block are inserted in one statement as it ends without an error: the
    same rows as one by one (each stamped as it is inserted), in the caller's transaction, which the block must be
    inside (accounts.units.unit, one seller of the refund cycle: eight rows). On an error nothing is inserted: the
    caller's transaction rolls back what they would have recorded. Inside the block a caller never carries on after
    an error of a savepoint that had recorded a row (accounts/units.py says which services keep theirs)."""
    if not connection.in_atomic_block:
        raise RuntimeError("access_log_batched runs inside the transaction of the changes it records")
    entries: list[AccessLogEntry] = []
    token = _batch.set(entries)
    try:
        yield
    finally:
        _batch.reset(token)
    if entries:
        AccessLogEntry.objects.bulk_create(entries)


def access_log_wait(*, account_number: str, action: str, limit: int, window: timedelta) -> timedelta | None:
    """How long until one more `action` on `account_number` is allowed, when the access log already holds `limit`
    of them within the last `window` (a sliding window); None if it is allowed now.

    The access log is the count, as the PIN attempts are for PIN entry (accounts.pins): every web process reads
    the same database, so there is no per-process counter to slip past, and the evidence is the same rows staff
    audit. One indexed query (account number, time)."""
    now = timezone.now()
    oldest_counted = (
        AccessLogEntry.objects.filter(
            account_number=account_number, action=action, occurred_at__gt=now - window
        )
        .order_by("-occurred_at")
        .values_list("occurred_at", flat=True)[limit - 1 : limit]
    )
    oldest = next(iter(oldest_counted), None)
    if oldest is None:
        return None
    return oldest + window - now


def email_queue(
    *, to: Iterable[str], subject: str, body: str, purpose: str, dedupe_key: str | None = None
) -> OutboxEmail:
    """Queue an e-mail in the caller's transaction; it is sent only if that transaction commits.

    With `dedupe_key`, an e-mail already queued under that key (sent or not) is returned instead and nothing
    is queued: a job that runs twice sends once (the key is unique in the database, so two runs at once
    cannot both queue it either)."""
    recipients = sorted({address for address in to if address})
    if dedupe_key is not None:
        existing = OutboxEmail.objects.filter(dedupe_key=dedupe_key).first()
        if existing is not None:
            return existing
    fields = {
        "to": recipients,
        "subject_encrypted": encrypt(subject),
        "body_encrypted": encrypt(body),
        "purpose": purpose,
    }
    if dedupe_key is None:
        email = OutboxEmail.objects.create(**fields)
    else:
        try:
            with transaction.atomic():
                email = OutboxEmail.objects.create(**fields, dedupe_key=dedupe_key)
        except IntegrityError:
            return OutboxEmail.objects.get(dedupe_key=dedupe_key)  # queued meanwhile by a concurrent run

    def _schedule() -> None:
        from accounts.tasks import outbox_send

        try:
            outbox_send.delay(email.pk)
        except Exception:  # the broker being down must not fail the user's request; the sweep sends it
            logger.warning("outbox: could not schedule e-mail %s; the periodic sweep will send it", email.pk)

    transaction.on_commit(_schedule)
    return email


def outbox_retry_delay(attempts: int) -> timedelta:
    """How long a failed e-mail waits before its next attempt: doubling from the base, capped."""
    base = settings.TRACS_OUTBOX_RETRY_BASE_SECONDS
    return timedelta(seconds=min(settings.TRACS_OUTBOX_RETRY_MAX_SECONDS, base * 2 ** max(0, attempts - 1)))


def _outbox_claim_stale_before(now: datetime) -> datetime:
    # A claim older than the send's hard time limit (and the SMTP timeout) is a worker that died mid-send.
    return now - timedelta(seconds=settings.TRACS_OUTBOX_CLAIM_SECONDS)


def _outbox_claim(email_id: int) -> OutboxEmail | None:
    """Take one e-mail for sending in a short transaction of its own: status SENDING, one more attempt. The row
    lock ends with it, so no SMTP conversation ever runs while a lock is held."""
    now = timezone.now()
    with transaction.atomic():
        email = OutboxEmail.objects.select_for_update(skip_locked=True).filter(pk=email_id).first()
        if email is None or email.status in (OutboxEmail.Status.SENT, OutboxEmail.Status.DEAD):
            return None
        if (
            email.status == OutboxEmail.Status.SENDING
            and email.claimed_at
            and email.claimed_at > _outbox_claim_stale_before(now)
        ):
            return None  # another worker is sending it right now
        email.status = OutboxEmail.Status.SENDING
        email.attempts += 1
        email.claimed_at = now
        email.save(update_fields=["status", "attempts", "claimed_at"])
    return email


def outbox_send(*, email_id: int) -> bool:
    """Send one queued e-mail, then erase its content. Safe to run twice; raises on SMTP failure.

    Three steps, each its own transaction or none: claim the row (`_outbox_claim`), talk to the mail server
    holding no lock, record the outcome. A failure sets the next attempt after an exponential backoff, or, at
    settings.TRACS_OUTBOX_MAX_ATTEMPTS, the dead-letter status DEAD that staff see in admin; it is recorded and
    then raised again for the caller."""
    email = _outbox_claim(email_id)
    if email is None:
        return False
    try:
        EmailMessage(
            subject=decrypt(email.subject_encrypted),
            body=decrypt(email.body_encrypted),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=email.to,
        ).send()
    except Exception as error:
        email.last_error = f"{type(error).__name__}: {error}"[:2000]
        if email.attempts >= settings.TRACS_OUTBOX_MAX_ATTEMPTS:
            email.status = OutboxEmail.Status.DEAD
            email.next_attempt_at = None
            logger.error(
                "outbox: e-mail %s (%s) undeliverable after %s attempts",
                email.pk,
                email.purpose,
                email.attempts,
            )
        else:
            email.status = OutboxEmail.Status.FAILED
            email.next_attempt_at = timezone.now() + outbox_retry_delay(email.attempts)
        email.claimed_at = None
        email.save(update_fields=["status", "last_error", "next_attempt_at", "claimed_at"])
        raise
    email.status = OutboxEmail.Status.SENT
    email.sent_at = timezone.now()
    email.subject_encrypted = b""
    email.body_encrypted = b""
    email.last_error = ""
    email.next_attempt_at = None
    email.claimed_at = None
    email.save()
    return True


def outbox_pending_ids(*, now: datetime | None = None) -> list[int]:
    """What the sweep sends: e-mails never tried, failed ones whose backoff is over, and claims left by a worker
    that died; never one sent or given up."""
    now = now or timezone.now()
    due = (
        models.Q(status=OutboxEmail.Status.PENDING)
        | models.Q(status=OutboxEmail.Status.FAILED, next_attempt_at__isnull=True)
        | models.Q(status=OutboxEmail.Status.FAILED, next_attempt_at__lte=now)
        | models.Q(status=OutboxEmail.Status.SENDING, claimed_at__lte=_outbox_claim_stale_before(now))
    )
    return list(OutboxEmail.objects.filter(due).order_by("created_at").values_list("pk", flat=True)[:500])


@transaction.atomic
def user_full_name_set(*, user: User, full_name: str, actor: Actor) -> User:
    """The person's name as on their identity document, trimmed (accounts.models.full_name_clean): it greets
    them and fills the certification of their returns."""
    name = full_name_clean(full_name)
    previous = user.full_name
    user.full_name = name
    user.save(update_fields=["full_name"])
    access_log_record(
        actor=actor,
        kind=AccessLogEntry.Kind.CHANGE,
        action="full name changed",
        detail=f"{previous!r} -> {name!r}"[:2000],
    )
    return user


def totp_device_for_setup(*, user: User) -> TOTPDevice:
    """The user's unconfirmed authenticator, created on first visit to the set-up page."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    return device


@transaction.atomic
def totp_device_confirm(*, user: User, device: TOTPDevice, actor: Actor) -> list[str]:
    """Confirm the authenticator after a correct code; returns a fresh set of backup codes (shown once)."""
    TOTPDevice.objects.filter(user=user, confirmed=True).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    access_log_record(actor=actor, kind=AccessLogEntry.Kind.SECURITY, action="two-factor device confirmed")
    return backup_codes_generate(user=user, actor=actor)


@transaction.atomic
def backup_codes_generate(*, user: User, actor: Actor) -> list[str]:
    """Replace the user's single-use backup codes; the old ones stop working."""
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name="Backup codes", defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [
        "".join(secrets.choice(BACKUP_CODE_ALPHABET) for _ in range(10)) for _ in range(BACKUP_CODE_COUNT)
    ]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    access_log_record(actor=actor, kind=AccessLogEntry.Kind.SECURITY, action="backup codes generated")
    return codes


def user_has_confirmed_device(*, user: User) -> bool:
    # django-otp ships no types: its querysets are Any to mypy.
    return bool(TOTPDevice.objects.filter(user=user, confirmed=True).exists())


def backup_codes_remaining(*, user: User) -> int:
    return int(StaticToken.objects.filter(device__user=user).count())


@transaction.atomic
def record_backup_code_recovery(*, user: User, actor: Actor) -> None:
    """A backup code stands in for a lost authenticator: logged, and the user is told by e-mail."""
    access_log_record(actor=actor, kind=AccessLogEntry.Kind.SECURITY, action="signed in with a backup code")
    email_queue(
        to=[user.email],
        subject="TRACS: a backup code was used to sign in",
        body=(
            "A single-use backup code was used to complete sign-in to your TRACS profile.\n\n"
            "If this was not you, change your password and contact TRA at once.\n"
            f"Backup codes left: {backup_codes_remaining(user=user)}."
        ),
        purpose="two-factor-recovery",
    )
    sign_in_recovered.send(sender=User, user=user, how="backup code", actor=actor)


@transaction.atomic
def two_factor_reset(*, user: User, actor: Actor) -> None:
    """Staff (the actor), after checking the person's identity, remove a lost authenticator and backup codes;
    the person sets up two-factor again at next sign-in. Logged, and the person and owners are told."""
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    access_log_record(
        actor=actor,
        kind=AccessLogEntry.Kind.SECURITY,
        action=f"two-factor reset by staff for {user.email}",
        capacity="staff",
    )
    email_queue(
        to=[user.email],
        subject="TRACS: your two-factor verification was reset",
        body="TRA staff reset the two-factor verification of your TRACS profile at your request. At your next sign-in you will set up an authenticator app again. If you did not ask for this, contact TRA at once.",
        purpose="two-factor-reset",
    )
    sign_in_recovered.send(sender=User, user=user, how="two-factor reset by TRA staff", actor=actor)
