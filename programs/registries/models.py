"""The exemption registry's tables: holders, their certificates (AFFB numbers, TEFU certificates, carbon levy
exemption certificates) and each certificate's status history as date ranges.

A status period is `[from, to)`: `during` is a PostgreSQL daterange, lower bound included, upper excluded, no
upper bound while the status holds. The database refuses two periods of one certificate that overlap (a GiST
exclusion constraint), so "the status on day D" is at most one row, found by `during @> D` through the same
GiST index: the marked-fuel sales of a whole file are checked by one join on their sale dates (selectors.py).
Registered with the app by programs/models.py, which imports this module."""

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateRangeField, RangeOperators
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from programs.registries import rules


class ExemptionHolder(models.Model):
    """A farmer, business or government body holding exemption certificates. Name and address are private:
    staff see them in admin; sellers checking a number never do."""

    reference = models.CharField(
        _("holder reference"),
        max_length=20,
        unique=True,
        help_text=_(
            "TRA's reference for the holder, as in the registry import file (letters, digits, hyphens)."
        ),
    )
    name = models.CharField(_("name"), max_length=200)
    line1 = models.CharField(_("address line 1"), max_length=200)
    line2 = models.CharField(_("address line 2"), max_length=200, blank=True)
    city = models.CharField(_("city or town"), max_length=100)
    province = models.CharField(_("province"), max_length=2, default="AB")
    postal_code = models.CharField(_("postal code"), max_length=7)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "reference"]
        verbose_name = _("exemption holder")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(reference__regex=r"^[A-Za-z0-9-]{1,20}$"),
                name="exemptionholder_reference_form",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.reference})"

    @property
    def address(self) -> str:
        return ", ".join(p for p in [self.line1, self.line2, self.city, self.province, self.postal_code] if p)


class ExemptionCertificate(models.Model):
    """One AFFB number, TEFU certificate or carbon levy exemption certificate. Its kind shows in its number
    (programs.registries.rules.NUMBER_PATTERNS; the database checks the pair)."""

    class Kind(models.TextChoices):
        AFFB = rules.AFFB, _("AFFB number (farmer)")
        TEFU = rules.TEFU, _("TEFU certificate")
        CARBON_LEVY = rules.CARBON_LEVY, _("Carbon levy exemption certificate")

    kind = models.CharField(max_length=12, choices=Kind.choices)
    number = models.CharField(_("number"), max_length=12, unique=True)
    holder = models.ForeignKey(ExemptionHolder, on_delete=models.PROTECT, related_name="certificates")
    registered_on = models.DateField(_("valid from"), help_text=_("The first day the certificate was valid."))
    eligible_until = models.DateField(
        _("eligibility ends"),
        null=True,
        blank=True,
        help_text=_(
            "The first day the current grant or renewal no longer covers (AFFB: 3 years after the last renewal); "
            "empty: no expiry."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["number"]
        verbose_name = _("exemption certificate")
        indexes = [models.Index(fields=["holder", "kind"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    *[
                        models.Q(kind=kind, number__regex=pattern)
                        for kind, pattern in rules.NUMBER_PATTERNS.items()
                    ],
                    _connector=models.Q.OR,
                ),
                name="exemptioncertificate_number_form",
            ),
            models.CheckConstraint(
                condition=models.Q(eligible_until__isnull=True)
                | models.Q(eligible_until__gt=models.F("registered_on")),
                name="exemptioncertificate_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"


class ExemptionImport(models.Model):
    """One registry import file that was stored (docs/exemption-registry-import.md): the same file twice is
    refused by its SHA-256."""

    filename = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64, unique=True)
    rows = models.PositiveIntegerField()
    counts = models.JSONField(default=dict, help_text=_("Rows stored, by action."))
    imported_at = models.DateTimeField(default=timezone.now)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-imported_at"]
        verbose_name = _("exemption registry import")

    def __str__(self) -> str:
        return f"{self.filename} ({self.imported_at:%Y-%m-%d %H:%M})"


class ExemptionStatusPeriod(models.Model):
    """A status a certificate held, from a day (included) to a day (excluded; none while it holds).

    Append-only: a change of status ends the open period the day the new one starts (services.py). A cancelled
    status is final, so its period never ends."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")
        CANCELLED = "cancelled", _("Cancelled")

    certificate = models.ForeignKey(ExemptionCertificate, on_delete=models.PROTECT, related_name="periods")
    status = models.CharField(max_length=10, choices=Status.choices)
    during = DateRangeField(_("dates"), help_text=_("From (included) to (excluded); no end while it holds."))
    reason = models.CharField(max_length=300, blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    registry_import = models.ForeignKey(
        ExemptionImport, null=True, blank=True, on_delete=models.PROTECT, related_name="periods"
    )

    class Meta:
        ordering = ["certificate", "during"]
        verbose_name = _("status period")
        constraints = [
            # One status per certificate on any day: sales join `during @> sale date` and must find at most one.
            ExclusionConstraint(
                name="exemptionstatusperiod_no_overlap",
                expressions=[("certificate", RangeOperators.EQUAL), ("during", RangeOperators.OVERLAPS)],
            ),
            models.CheckConstraint(
                condition=models.Q(during__isempty=False, during__lower_inf=False),
                name="exemptionstatusperiod_has_start",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="cancelled") | models.Q(during__upper_inf=True),
                name="exemptionstatusperiod_cancelled_is_final",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.certificate.number} {self.status} {self.valid_from}–{self.valid_to or ''}"

    @property
    def valid_from(self):
        return self.during.lower

    @property
    def valid_to(self):
        """The first day the status no longer held (exclusive), or None."""
        return self.during.upper
