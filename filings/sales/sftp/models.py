"""SSH public keys of the SFTP door: one per person and device, on one account."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from programs.models import ProgramAccount


class SftpKey(models.Model):
    """An SSH public key an owner registered for a person holding REPORT_FUEL on the account.

    The key signs that person in, for this account only (the account number is the SFTP user name). It works
    while it is active and the person's access to the account still includes reporting fuel transactions: that is
    checked at every sign-in (filings.sales.sftp.keys.sftp_sign_in), so a delegate whose access is removed or
    lapses is refused from the next session on, whether or not anyone revokes the key. With staff approval on
    (settings.TRACS_SFTP_KEY_APPROVAL) a new key waits for TRA before it works."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for TRA approval")
        ACTIVE = "active", _("Active")
        REVOKED = "revoked", _("Revoked")

    account = models.ForeignKey(ProgramAccount, on_delete=models.PROTECT, related_name="sftp_keys")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="sftp_keys",
        help_text=_("Who signs in with this key: an owner or a delegate who may report fuel transactions"),
    )
    name = models.CharField(
        _("name"), max_length=100, help_text=_("What the key is for, e.g. the server's name")
    )
    public_key = models.TextField(_("public key"), help_text=_("OpenSSH format: the algorithm and the key"))
    algorithm = models.CharField(max_length=40)
    fingerprint = models.CharField(_("fingerprint"), max_length=100, db_index=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("registered by")
    )
    registered_at = models.DateTimeField(_("registered"), auto_now_add=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=300, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        ordering = ["account", "-registered_at", "-pk"]
        verbose_name = _("SFTP key")
        verbose_name_plural = _("SFTP keys")
        permissions = [("approve_sftpkey", _("Can approve and revoke SFTP keys"))]
        constraints = [
            # A key is registered once per account while it is in use; revoked keys stay as history.
            models.UniqueConstraint(
                fields=["account", "fingerprint"],
                condition=~Q(status="revoked"),
                name="sftp_key_once_per_account",
            ),
            models.CheckConstraint(
                condition=Q(status="revoked", revoked_at__isnull=False) | ~Q(status="revoked"),
                name="sftp_key_revoked_has_a_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.fingerprint})"
