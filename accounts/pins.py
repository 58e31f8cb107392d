"""PIN mechanics: issue, hash, verify, throttle. What a PIN activates is decided by the app that issued it.

- 12 characters from a 31-character alphabet without look-alikes (no 0/O, 1/I/L): 31^12 ~ 2^59 guesses.
- Stored only as a hash (Django's password hasher), single use, expires (TRACS_PIN_LIFETIME_DAYS, default 90).
- Per person: after 5 wrong entries, an escalating cool-off (1, 2, 4 ... minutes, at most a day).
- Per account number: staff are alerted at 10 wrong entries in a day (TRACS_PIN_ALERT_FAILURES), and its open PINs
  lock only after 100 since they were issued (TRACS_PIN_LOCK_FAILURES, NIST SP 800-63B), until staff reissue:
  ten throwaway profiles must not be able to lock an owner out.
- Every entry is logged; the refusal never tells whether the account number exists, nor does the time it takes
  (every entry runs the password hasher PIN_HASH_CHECKS times, whatever is open).
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.db.models import Case, Count, OuterRef, Q, Subquery, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.actors import Actor
from accounts.models import AccessLogEntry, Pin, PinAttempt, PinFailureAlert, User
from accounts.services import access_log_record, email_queue
from tracs import log_context

PIN_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
PIN_LENGTH = 12
USER_FREE_FAILURES = 5
FAILURE_WINDOW = timedelta(hours=24)  # of the per-person cool-off
# Open PINs checked per entry, and so the hasher runs per entry whether or not any is open: see pin_redeem.
PIN_HASH_CHECKS = 3

PIN_REFUSED = _(
    "That account number and PIN do not match an open invitation. Check both and try again: "
    "a PIN works only once, only before its expiry date, and only for the person it was issued to."
)
PIN_ALERT_SUBJECT = _("TRACS: %(failures)s wrong PIN entries today for account %(number)s")
PIN_ALERT_BODY = _(
    "PIN entries naming account number %(number)s failed %(failures)s times on %(day)s (Alberta time), by "
    "%(people)s people.\n\n"
    "Each person is slowed down after 5 wrong entries, and the account's open PINs are locked after %(lock)s "
    "wrong entries since they were issued; nothing is locked yet because of this alert. If the owner reports "
    "trouble, or the entries look like guessing, review them and reissue the PIN if needed:\n%(review)s\n\n"
    "You get one such e-mail per account number and day."
)
PIN_THROTTLED = _(
    "Too many incorrect PIN entries. For your security, wait %(minutes)s minute(s) before trying again."
)


class PinRefused(Exception):
    """A PIN entry was refused. `pin_failure_record` must be called outside the rolled-back transaction."""

    def __init__(
        self,
        message,
        *,
        user: User,
        number: str,
        detail: str,
        counts: bool = True,
        retry_after_minutes: int | None = None,
    ):
        super().__init__(str(message))
        self.message = message
        self.user = user
        self.number = number
        self.detail = detail
        self.counts = counts
        self.retry_after_minutes = retry_after_minutes


@dataclass(frozen=True)
class IssuedPin:
    pin: Pin
    clear: str  # shown once, or put into a letter / secure e-mail; never stored


def pin_generate() -> str:
    return "".join(secrets.choice(PIN_ALPHABET) for _ in range(PIN_LENGTH))


def pin_format(clear: str) -> str:
    return "-".join(clear[i : i + 4] for i in range(0, len(clear), 4))


def pin_normalize(typed: str) -> str:
    return "".join(ch for ch in typed.upper() if ch.isalnum())


def normalize_account_number(typed: str) -> str:
    return "".join(ch for ch in typed if ch.isdigit() or ch == "-").strip("-")


def pin_issue(
    *,
    purpose: str,
    account_number: str,
    reference: str = "",
    intended_email: str = "",
    created_by: User | None = None,
    lifetime: timedelta | None = None,
    also_for: tuple[str, ...] = (),
) -> IssuedPin:
    """Issue a PIN for `account_number`; `also_for` lists other numbers the same PIN is accepted with (one
    row each, same reference: redeeming one cancels the rest)."""
    clear = pin_generate()
    log_context.secret(clear, pin_format(clear))  # in clear from here on: never on a log line
    expires_at = timezone.now() + (lifetime or timedelta(days=settings.TRACS_PIN_LIFETIME_DAYS))
    rows = [
        Pin.objects.create(
            purpose=purpose,
            account_number=number,
            reference=reference,
            intended_email=intended_email.lower(),
            pin_hash=make_password(clear),
            created_by=created_by,
            expires_at=expires_at,
        )
        for number in (account_number, *[n for n in also_for if n != account_number])
    ]
    return IssuedPin(pin=rows[0], clear=clear)


def pins_cancel(*, reference: str) -> int:
    return Pin.objects.filter(reference=reference, used_at__isnull=True, cancelled_at__isnull=True).update(
        cancelled_at=timezone.now()
    )


def _cool_off_remaining(user: User) -> int:
    """Minutes the person must still wait; 0 if they may try."""
    since = timezone.now() - FAILURE_WINDOW
    last_success = (
        PinAttempt.objects.filter(user=user, succeeded=True, occurred_at__gte=since)
        .order_by("-occurred_at")
        .first()
    )
    failures = PinAttempt.objects.filter(
        user=user, succeeded=False, occurred_at__gte=last_success.occurred_at if last_success else since
    )
    count = failures.count()
    if count < USER_FREE_FAILURES:
        return 0
    wait = timedelta(minutes=min(2 ** (count - USER_FREE_FAILURES), 24 * 60))
    latest = failures.order_by("-occurred_at").values_list("occurred_at", flat=True).first()
    remaining = latest + wait - timezone.now()
    return max(0, math.ceil(remaining.total_seconds() / 60))


def pin_redeem(*, user: User, account_number: str, typed_pin: str, actor: Actor) -> Pin:
    """Find the open PIN matching (account number, PIN) for this person and mark it used, or raise PinRefused.

    Run inside the caller's transaction, which activates what the PIN refers to. On refusal the caller
    rolls back, then calls `pin_failure_record(refusal=..., actor=...)` so the evidence is kept. The attempt
    records the actor's address.
    """
    number = normalize_account_number(account_number)
    wait = _cool_off_remaining(user)
    if wait:
        raise PinRefused(
            PIN_THROTTLED % {"minutes": wait},
            user=user,
            number=number,
            detail="refused during cool-off",
            counts=False,
            retry_after_minutes=wait,
        )
    clear = pin_normalize(typed_pin)
    log_context.secret(typed_pin, clear, pin_format(clear))
    email = user.email.lower()
    # PINs meant for this person (an enrolment PIN names no one) first, so their own is among those checked.
    meant_for_others = Case(
        When(Q(intended_email="") | Q(intended_email=email), then=Value(0)), default=Value(1)
    )
    candidates = list(
        Pin.objects.select_for_update()
        .filter(
            account_number=number,
            used_at__isnull=True,
            cancelled_at__isnull=True,
            locked_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .order_by(meant_for_others, "-created_at")[:PIN_HASH_CHECKS]
    )
    matched = _pin_matching(clear, candidates)
    if matched is None:
        raise PinRefused(PIN_REFUSED, user=user, number=number, detail="wrong, expired, used or locked PIN")
    if matched.intended_email and matched.intended_email != email:
        raise PinRefused(PIN_REFUSED, user=user, number=number, detail="PIN issued to another e-mail")
    matched.used_at = timezone.now()
    matched.used_by = user
    matched.save(update_fields=["used_at", "used_by"])
    if matched.reference:
        pins_cancel(reference=matched.reference)
    PinAttempt.objects.create(user=user, account_number=number, succeeded=True, ip_address=actor.ip_address)
    return matched


def _pin_matching(clear: str, candidates: list[Pin]) -> Pin | None:
    """The candidate whose hash `clear` matches, after exactly PIN_HASH_CHECKS runs of the password hasher.

    One PBKDF2 check takes ~0.25 s: checking only the open PINs there are answered a wrong PIN in 0.25 s for an
    account number with a PIN waiting and in 0.014 s for any other, telling anyone which accounts have one.
    So every slot costs one run: a real check, or for a missing PIN the hashing of the typed one, which is the
    same work (Django's ModelBackend does the same for an unknown user, ticket #20760). No early return on a
    match either, so a right PIN costs what a wrong one does."""
    matched = None
    for slot in range(PIN_HASH_CHECKS):
        if slot < len(candidates):
            if check_password(clear, candidates[slot].pin_hash) and matched is None:
                matched = candidates[slot]
        else:
            make_password(clear)
    return matched


@transaction.atomic
def pin_failure_record(*, refusal: PinRefused, actor: Actor) -> None:
    """Log a refused PIN entry, at the moment it happened; alert staff of an account number's repeated
    failures and lock its open PINs after TRACS_PIN_LOCK_FAILURES (see the settings)."""
    user, number = refusal.user, refusal.number
    if refusal.counts:
        PinAttempt.objects.create(
            user=user, account_number=number, succeeded=False, ip_address=actor.ip_address
        )
    access_log_record(
        actor=actor,
        kind=AccessLogEntry.Kind.DENIED,
        action="PIN entry refused",
        account_number=number,
        detail=refusal.detail,
    )
    if not refusal.counts:
        return
    # Both run for every number, a PIN open or not, so that neither the work nor an alert tells the guesser.
    _staff_alert_on_repeated_failures(number=number, actor=actor)
    _lock_after_repeated_failures(number=number, actor=actor)


def _staff_alert_on_repeated_failures(*, number: str, actor: Actor) -> None:
    """At the TRACS_PIN_ALERT_FAILURES-th wrong entry of an Alberta day naming `number`: a row in the staff queue
    and one e-mail to TRACS_SECURITY_ALERT_EMAIL; later failures that day update the row, and send nothing."""
    now = timezone.now()
    today = timezone.localdate(now)
    day_start = datetime.combine(today, time.min, tzinfo=timezone.get_current_timezone())
    counts = PinAttempt.objects.filter(
        account_number=number, succeeded=False, occurred_at__gte=day_start
    ).aggregate(failures=Count("pk"), people=Count("user", distinct=True))
    if counts["failures"] < settings.TRACS_PIN_ALERT_FAILURES:
        return
    alert, raised = PinFailureAlert.objects.get_or_create(
        account_number=number, day=today, defaults={**counts, "last_failure_at": now}
    )
    if not raised:
        PinFailureAlert.objects.filter(pk=alert.pk).update(**counts, last_failure_at=now)
        return
    access_log_record(
        actor=actor,
        kind=AccessLogEntry.Kind.SECURITY,
        action="staff alerted: repeated wrong PIN entries",
        account_number=number,
        detail=f"{counts['failures']} wrong entries today by {counts['people']} people",
    )
    if not settings.TRACS_SECURITY_ALERT_EMAIL:
        return  # set empty: the admin queue only
    review = settings.TRACS_SITE_URL.rstrip("/") + reverse(
        "admin:accounts_pinfailurealert_change", args=[alert.pk]
    )
    email_queue(
        to=settings.TRACS_SECURITY_ALERT_EMAIL,
        subject=PIN_ALERT_SUBJECT % {"failures": counts["failures"], "number": number},
        body=PIN_ALERT_BODY
        % {
            "number": number,
            "failures": counts["failures"],
            "people": counts["people"],
            "day": today.isoformat(),
            "lock": settings.TRACS_PIN_LOCK_FAILURES,
            "review": review,
        },
        purpose="pin-failure-alert",
        dedupe_key=f"pin-failure-alert:{number}:{today.isoformat()}",
    )


def _lock_after_repeated_failures(*, number: str, actor: Actor) -> None:
    """Lock each open PIN of `number` that TRACS_PIN_LOCK_FAILURES wrong entries naming it followed since it was
    issued (NIST SP 800-63B 5.2.2: at most 100 consecutive failures). Counted from each PIN's issue, whatever
    the days they took, so a reissued PIN starts afresh; staff reissue a locked one."""
    failures_since_issue = (
        PinAttempt.objects.filter(
            account_number=OuterRef("account_number"),
            succeeded=False,
            occurred_at__gte=OuterRef("created_at"),
        )
        .order_by()
        .values("account_number")
        .annotate(count=Count("pk"))
        .values("count")
    )
    due = dict(
        Pin.objects.filter(
            account_number=number, used_at__isnull=True, cancelled_at__isnull=True, locked_at__isnull=True
        )
        .annotate(failures=Subquery(failures_since_issue))
        .filter(failures__gte=settings.TRACS_PIN_LOCK_FAILURES)
        .values_list("pk", "failures")
    )
    if not due:
        return
    Pin.objects.filter(pk__in=due).update(locked_at=timezone.now())
    access_log_record(
        actor=actor,
        kind=AccessLogEntry.Kind.SECURITY,
        action="open PINs locked after repeated failures",
        account_number=number,
        detail=f"{max(due.values())} wrong entries since the PIN was issued; staff must reissue",
    )


@transaction.atomic
def pin_alerts_handle(*, alert_ids: Iterable[int], by: User, actor: Actor) -> int:
    """Staff mark alerts of repeated wrong PIN entries handled (the ones not handled yet); returns how many."""
    alerts = list(
        PinFailureAlert.objects.select_for_update().filter(pk__in=list(alert_ids), handled_at__isnull=True)
    )
    now = timezone.now()
    for alert in alerts:
        alert.handled_at = now
        alert.handled_by = by
        alert.save(update_fields=["handled_at", "handled_by"])
        access_log_record(
            actor=actor,
            kind=AccessLogEntry.Kind.SECURITY,
            action="PIN failure alert handled",
            account_number=alert.account_number,
            capacity="staff",
            detail=str(alert),
        )
    return len(alerts)


def pins_cancel_open(*, account_number: str, purpose: str) -> int:
    return Pin.objects.filter(
        account_number=account_number, purpose=purpose, used_at__isnull=True, cancelled_at__isnull=True
    ).update(cancelled_at=timezone.now())


def letter_store(*, pin: Pin, pdf: bytes) -> None:
    from accounts.crypto import encrypt_bytes

    pin.letter_pdf_encrypted = encrypt_bytes(pdf)
    pin.save(update_fields=["letter_pdf_encrypted"])


@transaction.atomic
def letter_take(*, pin: Pin, actor: Actor) -> bytes:
    """Staff (the actor) download the enrolment letter for mailing: returned once, then deleted from the database."""
    from accounts.crypto import decrypt_bytes

    pin = Pin.objects.select_for_update().get(pk=pin.pk)
    if not pin.letter_pdf_encrypted:
        raise LookupError("The letter was already downloaded; issue a new PIN to print another.")
    pdf = decrypt_bytes(pin.letter_pdf_encrypted)
    pin.letter_pdf_encrypted = None
    pin.letter_downloaded_at = timezone.now()
    pin.save(update_fields=["letter_pdf_encrypted", "letter_downloaded_at"])
    access_log_record(
        actor=actor,
        kind=AccessLogEntry.Kind.SECURITY,
        action="enrolment letter downloaded for mailing",
        account_number=pin.account_number,
        capacity="staff",
    )
    return pdf
