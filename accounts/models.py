from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class TracsUserManager(UserManager):
    use_in_migrations = True

    def _create_user(self, username, email, password, **extra_fields):
        email = self.normalize_email(email)
        user = self.model(email=email, **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email=None, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(None, email, password, **extra_fields)

    def create_superuser(self, email=None, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(None, email, password, **extra_fields)


FULL_NAME_MAX_LENGTH = 200
FULL_NAME_REQUIRED = _("Enter your full name as it is written on your identity document.")
FULL_NAME_TOO_LONG = _("A name can be at most %(limit)s characters; this one has %(length)s.")


def full_name_clean(value: str) -> str:
    """A person's name as on their identity document: spaces trimmed and runs of spaces made one (a name typed
    with two spaces is the same name), required, at most FULL_NAME_MAX_LENGTH characters."""
    name = " ".join((value or "").split())
    if not name:
        raise ValidationError(FULL_NAME_REQUIRED, code="required")
    if len(name) > FULL_NAME_MAX_LENGTH:
        raise ValidationError(
            FULL_NAME_TOO_LONG % {"limit": FULL_NAME_MAX_LENGTH, "length": len(name)}, code="max_length"
        )
    return name


class User(AbstractUser):
    """A person who signs in: owner, delegate, representative or TRA staff. Identified by e-mail."""

    username = None
    email = models.EmailField(_("e-mail address"), unique=True)
    # Asked at sign-up, or filled from the identity provider's name claim; blank only for people who signed up
    # before it was asked, who are asked for it at their next sign-in (accounts.adapters) and on home.
    full_name = models.CharField(_("full name"), max_length=FULL_NAME_MAX_LENGTH, blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = TracsUserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        # Staff roles (accounts/roles.py): the technical sections, and the two-factor reset after an identity check.
        permissions = [
            ("administer_system", "Can see and change the technical sections (system tables, outbox, jobs)"),
            ("reset_two_factor", "Can reset a person's two-factor verification after an identity check"),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.full_name or self.get_full_name() or self.email


class AccessLogEntry(models.Model):
    """Who did what, on whose behalf, to which account, when and from where. Append-only.

    Lives on the ground floor so every app can write to it; `account_number` is text, not a foreign key,
    because program accounts live in a higher app (programs) and a log must outlive what it describes.
    """

    class Kind(models.TextChoices):
        READ = "read", _("Read")
        CHANGE = "change", _("Change")
        DENIED = "denied", _("Denied (security event)")
        SECURITY = "security", _("Security event")

    occurred_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_email = models.CharField(max_length=254, blank=True)
    on_behalf_of = models.CharField(_("on behalf of"), max_length=300, blank=True)
    capacity = models.CharField(max_length=40, blank=True)  # owner, delegate, representative, staff
    account_number = models.CharField(max_length=40, blank=True, db_index=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    action = models.CharField(max_length=120)
    detail = models.TextField(blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    path = models.CharField(max_length=500, blank=True)
    # web, admin, file, sftp, job (accounts.actors.Door); blank on rows written before doors were recorded
    door = models.CharField(max_length=10, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["account_number", "-occurred_at"])]
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log")

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.actor_email} {self.action} {self.account_number}"


class OutboxEmail(models.Model):
    """An e-mail queued in the same transaction as the change that causes it; sent by a Celery task.

    Subject and body are encrypted at rest and erased once sent (some carry a PIN; ARCHITECTURE "Secrets").
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Being sent")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed (will retry)")
        # Every attempt failed (settings.TRACS_OUTBOX_MAX_ATTEMPTS): nothing retries it; staff look into it.
        DEAD = "dead", _("Undeliverable (no more retries)")

    created_at = models.DateTimeField(auto_now_add=True)
    to = models.JSONField()
    subject_encrypted = models.BinaryField()
    body_encrypted = models.BinaryField()
    purpose = models.CharField(max_length=80)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    # When the sweep may try a failed e-mail again (exponential backoff, accounts/services.py outbox_send).
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # When a sender claimed it (status SENDING); a claim older than the send's time limit is a worker that died.
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # Set by senders that must not send the same e-mail twice (reminders): one row per key, ever.
    dedupe_key = models.CharField(max_length=200, null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("outbox e-mail")
        verbose_name_plural = _("outbox")
        constraints = [
            models.UniqueConstraint(
                fields=["dedupe_key"],
                condition=models.Q(dedupe_key__isnull=False),
                name="outbox_dedupe_key_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.purpose} to {', '.join(self.to)} ({self.status})"


class Pin(models.Model):
    """A one-time PIN that lets a signed-in person reach a program account: a mailed enrolment PIN (owner),
    a delegation PIN (an owner added the person) or a consent PIN (a representative under AT4931).

    Only a hash is kept. `account_number` is what the person must type with it (a BIN for an all-accounts
    consent); `reference` names what the PIN activates in the app that issued it (e.g. "grant:12")."""

    class Purpose(models.TextChoices):
        ENROLMENT = "enrolment", _("Enrolment (owner)")
        DELEGATION = "delegation", _("Delegation")
        CONSENT = "consent", _("Representative consent")

    purpose = models.CharField(max_length=12, choices=Purpose.choices)
    account_number = models.CharField(max_length=20, db_index=True)
    reference = models.CharField(max_length=60, blank=True)
    intended_email = models.EmailField(blank=True)
    pin_hash = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    used_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    locked_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # The enrolment letter (PDF with the PIN in clear), encrypted, kept only until staff download it for mailing.
    letter_pdf_encrypted = models.BinaryField(null=True, blank=True, editable=False)
    letter_downloaded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("PIN")
        verbose_name_plural = _("PINs")
        permissions = [
            ("download_pin_letter", "Can download an enrolment PIN letter to mail (the PIN in clear, once)"),
            ("cancel_pin", "Can cancel a PIN"),
        ]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} PIN for {self.account_number} ({self.state})"

    @property
    def state(self) -> str:
        from django.utils import timezone

        if self.used_at:
            return "used"
        if self.cancelled_at:
            return "cancelled"
        if self.locked_at:
            return "locked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "open"


class PinAttempt(models.Model):
    """Every PIN entry, right or wrong: throttling reads it, and staff audit it."""

    occurred_at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    account_number = models.CharField(max_length=20, db_index=True)
    succeeded = models.BooleanField()
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-occurred_at"]

    def __str__(self) -> str:
        return (
            f"{self.occurred_at:%Y-%m-%d %H:%M} {self.account_number} {'ok' if self.succeeded else 'refused'}"
        )


class PinFailureAlert(models.Model):
    """Staff are alerted when the PIN entries naming an account number fail TRACS_PIN_ALERT_FAILURES times in
    one day (Alberta time): one row, and one e-mail, per account number and day; later failures that day
    update its counts. The number is text for the same reason as the access log's."""

    account_number = models.CharField(_("account number"), max_length=20, db_index=True)
    day = models.DateField(_("day (Alberta time)"))
    failures = models.PositiveIntegerField(_("wrong entries that day"))
    people = models.PositiveIntegerField(_("profiles that made them"))
    raised_at = models.DateTimeField(_("raised at"), auto_now_add=True)
    last_failure_at = models.DateTimeField(_("last wrong entry"))
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("handled by"),
    )

    class Meta:
        ordering = [models.F("handled_at").desc(nulls_first=True), "-day", "-raised_at"]  # open ones first
        verbose_name = _("repeated wrong PIN entries alert")
        verbose_name_plural = _("repeated wrong PIN entries alerts")
        constraints = [
            models.UniqueConstraint(fields=["account_number", "day"], name="pin_failure_alert_once_a_day")
        ]

    def __str__(self) -> str:
        return f"{self.day:%Y-%m-%d} {self.account_number}: {self.failures} wrong PIN entries"


class ScheduledJob(models.Model):
    """One job of the beat schedule (settings.CELERY_BEAT_SCHEDULE, by its entry's name) and how its runs went,
    for staff (admin: technical section) and for the alert when it has not succeeded within twice its period
    (accounts/scheduled_jobs.py). Rows are kept in line with the schedule after every migrate and by the check
    job; a job no longer scheduled keeps its history with no period."""

    name = models.CharField(_("job"), max_length=100, unique=True)
    task = models.CharField(_("task"), max_length=200, db_index=True)
    # The longest time between two runs the schedule makes (an hourly job: an hour; a daily one: a day).
    period = models.DurationField(_("expected every"), null=True, blank=True)
    created_at = models.DateTimeField(_("first scheduled"), auto_now_add=True)
    last_started_at = models.DateTimeField(_("last started"), null=True, blank=True)
    last_succeeded_at = models.DateTimeField(_("last succeeded"), null=True, blank=True)
    last_failed_at = models.DateTimeField(_("last failed"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    # When staff were alerted that it is stale; cleared by its next success, so each episode alerts once.
    stale_alerted_at = models.DateTimeField(_("alerted as stale"), null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("scheduled job")
        verbose_name_plural = _("scheduled jobs")

    def __str__(self) -> str:
        return self.name
