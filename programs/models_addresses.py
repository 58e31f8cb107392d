"""An account's addresses and contact persons, and the history of what its holders changed about its details
(addresses, contacts, direct deposit: programs/services/addresses.py, contacts.py, banking.py). Registered with
the app by programs/models.py, which imports them (callers name them as programs.models.Address, ...)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from programs.models import ProgramAccount


class Address(models.Model):
    """An address of a program account: the mailing address of record, or a business location."""

    class Kind(models.TextChoices):
        MAILING = "mailing", _("Mailing address")
        LOCATION = "location", _("Business location")

    account = models.ForeignKey(ProgramAccount, on_delete=models.CASCADE, related_name="addresses")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    line1 = models.CharField(_("address line 1"), max_length=200)
    line2 = models.CharField(_("address line 2"), max_length=200, blank=True)
    city = models.CharField(_("city or town"), max_length=100)
    province = models.CharField(max_length=2, default="AB")
    postal_code = models.CharField(max_length=7)
    country = models.CharField(max_length=2, default="CA")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "kind"], name="address_one_per_kind")]

    def __str__(self) -> str:
        return ", ".join(
            part for part in [self.line1, self.line2, self.city, self.province, self.postal_code] if part
        )


class Contact(models.Model):
    """A contact person of a program account: whom TRA calls or writes to about it (not a TRACS user)."""

    account = models.ForeignKey(ProgramAccount, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("full name"), max_length=200)
    title = models.CharField(_("role or title"), max_length=120, blank=True)
    phone = models.CharField(_("phone"), max_length=12, blank=True, help_text=_("NNN-NNN-NNNN"))
    phone_extension = models.CharField(_("extension"), max_length=6, blank=True)
    email = models.EmailField(_("e-mail address"), blank=True)
    is_primary = models.BooleanField(_("primary contact"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-is_primary", "name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account"],
                condition=models.Q(is_primary=True),
                name="contact_one_primary_per_account",
            ),
            models.CheckConstraint(condition=~models.Q(phone="", email=""), name="contact_phone_or_email"),
            models.CheckConstraint(
                condition=models.Q(phone="")
                | models.Q(phone__regex=r"^[2-9][0-9]{2}-[2-9][0-9]{2}-[0-9]{4}$"),
                name="contact_phone_nanp",
            ),
            models.CheckConstraint(
                condition=models.Q(phone_extension="") | models.Q(phone_extension__regex=r"^[0-9]{1,6}$"),
                name="contact_phone_extension_digits",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.title})" if self.title else self.name

    @property
    def phone_display(self) -> str:
        return (
            f"{self.phone} ext. {self.phone_extension}" if self.phone and self.phone_extension else self.phone
        )


class AccountChange(models.Model):
    """History of what account holders changed about an account (addresses, contacts, direct deposit): who,
    when, in which capacity, and the values before and after. Append-only; bank account numbers appear
    only as their last four digits."""

    class Subject(models.TextChoices):
        MAILING_ADDRESS = "mailing_address", _("Mailing address")
        LOCATION_ADDRESS = "location_address", _("Business location")
        CONTACT = "contact", _("Contact person")
        DIRECT_DEPOSIT = "direct_deposit", _("Direct deposit")

    class Action(models.TextChoices):
        ADDED = "added", _("Added")
        CHANGED = "changed", _("Changed")
        REMOVED = "removed", _("Removed")

    account = models.ForeignKey(ProgramAccount, on_delete=models.CASCADE, related_name="changes")
    occurred_at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_email = models.CharField(max_length=254, blank=True)
    capacity = models.CharField(max_length=40, blank=True)  # owner, delegate, representative, staff
    subject = models.CharField(max_length=20, choices=Subject.choices)
    action = models.CharField(max_length=10, choices=Action.choices)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["account", "-occurred_at"], name="accountchange_account_time")]
        verbose_name = _("account change")
        verbose_name_plural = _("account changes (addresses, contacts, direct deposit)")

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.get_subject_display()} {self.get_action_display().lower()}"
