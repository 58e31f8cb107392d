from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _

from consent.privileges import GRANTABLE
from programs.models import ProgramAccount, Taxpayer

PRIVILEGE_CHOICES = [(p.value, p.label) for p in GRANTABLE]


class Consent(models.Model):
    """Alberta Consent Form AT4931, Part 4: online access in TRACS for one named individual (never a firm).

    Recorded and reviewed by staff; once approved, the individual is e-mailed a PIN and activates it with an
    account number (or the BIN, for an all-accounts consent)."""

    class SignerCapacity(models.TextChoices):
        OWNER = "owner", _("Owner")
        PARTNER = "partner", _("Partner")
        DIRECTOR = "director", _("Corporate director")
        TRUSTEE = "trustee", _("Trustee of an estate")
        DELEGATED_AUTHORITY = "delegated_authority", _("Individual with delegated authority")

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received, in review")
        APPROVED = "approved", _("Approved, PIN sent")
        ACTIVE = "active", _("Active")
        REJECTED = "rejected", _("Rejected")
        REVOKED = "revoked", _("Revoked")

    taxpayer = models.ForeignKey(Taxpayer, on_delete=models.PROTECT, related_name="consents")
    representative_name = models.CharField(_("representative's full name"), max_length=200)
    representative_email = models.EmailField(_("representative's e-mail"))
    signer_name = models.CharField(_("signed by"), max_length=200)
    signer_capacity = models.CharField(max_length=24, choices=SignerCapacity.choices)
    signed_on = models.DateField()
    privileges = ArrayField(models.CharField(max_length=40, choices=PRIVILEGE_CHOICES), default=list)
    all_accounts = models.BooleanField(_("all of the taxpayer's program accounts"), default=False)
    covers_future_accounts = models.BooleanField(_("also accounts opened later"), default=False)
    accounts = models.ManyToManyField(ProgramAccount, blank=True, related_name="consents")
    expires_on = models.DateField(null=True, blank=True)
    signed_form = models.FileField(upload_to="consents/%Y/%m/", blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RECEIVED)
    received_at = models.DateTimeField(auto_now_add=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.TextField(blank=True)
    representative = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="consents_held",
    )
    activated_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("consent (AT4931)")
        verbose_name_plural = _("consents (AT4931)")
        permissions = [("decide_consent", "Can approve, reject or revoke a consent (AT4931)")]
        constraints = [
            # One consent per individual per taxpayer while it is in force.
            models.UniqueConstraint(
                fields=["taxpayer", "representative_email"],
                condition=models.Q(status__in=["received", "approved", "active"]),
                name="consent_one_open_per_individual",
            )
        ]

    def __str__(self) -> str:
        return (
            f"AT4931 {self.taxpayer.legal_name} -> {self.representative_name} ({self.get_status_display()})"
        )


class Grant(models.Model):
    """Who may reach which program account, in which role, with which privileges.

    Owners hold every privilege. Delegates and representatives hold the privileges listed. A pending grant
    waits for its holder to enrol with the one-time PIN; revocation takes effect on the next request."""

    class Role(models.TextChoices):
        OWNER = "owner", _("Account owner")
        DELEGATE = "delegate", _("Delegate")
        REPRESENTATIVE = "representative", _("Representative")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending enrolment")
        ACTIVE = "active", _("Active")
        REVOKED = "revoked", _("Revoked")

    account = models.ForeignKey(ProgramAccount, on_delete=models.CASCADE, related_name="grants")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="grants"
    )
    role = models.CharField(max_length=16, choices=Role.choices)
    privileges = ArrayField(
        models.CharField(max_length=40, choices=PRIVILEGE_CHOICES), default=list, blank=True
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("e-mail"))
    ends_on = models.DateField(_("access ends on"), null=True, blank=True)
    consent = models.ForeignKey(
        Consent, null=True, blank=True, on_delete=models.CASCADE, related_name="grants"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    activated_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["account", "role", "name"]
        permissions = [("revoke_grant", "Can revoke a person's access to an account")]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "user"],
                condition=models.Q(status="active"),
                name="grant_one_active_per_person",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="active") | models.Q(user__isnull=False),
                name="grant_active_has_user",
            ),
            models.CheckConstraint(
                condition=~models.Q(role="representative") | models.Q(consent__isnull=False),
                name="grant_representative_has_consent",
            ),
        ]
        indexes = [models.Index(fields=["user", "status"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_role_display()}) on {self.account.number}"
