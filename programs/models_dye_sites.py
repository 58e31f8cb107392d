"""Dye sites: the locations where a business registered to dye clear fuel for resale dyes it (seed 002,
"Eligibility to dye fuel"), each with the criteria TRA registered it on, and the monthly reports it files for
each site (filings/models_dye_sites.py: the Dye Stock Report AT4984 and Litres Dyed during the Month AT366).
Registered with the app by programs/models.py, which imports it (callers name it as programs.models.DyeSite).

`DyeSiteCriteria` is what seed 002 asks of each site, written once: the registration's dye-site part records
it (`RegistrationDyeSite`) and approval copies it onto the site on the account (`DyeSite`), so what TRA
approved stays as it was approved whatever the registration later says."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from programs.models import BulkFuelLocation, ProgramAccount
from programs.models_registration import Registration, RegistrationLocation

# Seed 002: "a permanent storage capacity of at least 500,000 litres (diesel and gas total)".
MINIMUM_STORAGE_LITRES = Decimal(500_000)


class SupplyMode(models.TextChoices):
    RAIL = "rail", _("Rail")
    TRUCK = "truck", _("Truck")
    PIPELINE = "pipeline", _("Pipeline")


class FuelOutlet(models.TextChoices):
    """Where the dyed fuel goes (seed 002: "rebranded for further distribution or sold to bulk consumers")."""

    REBRANDED = "rebranded", _("Rebranded for further distribution")
    BULK_CONSUMERS = "bulk_consumers", _("Sold to bulk consumers")


class DyeSiteCriteria(models.Model):
    """Seed 002's criteria for one site where fuel dyeing will occur."""

    name = models.CharField(_("site name"), max_length=200)
    line1 = models.CharField(_("address or legal land location"), max_length=200)
    city = models.CharField(_("city, town or county"), max_length=100)
    province = models.CharField(max_length=2, default="AB")
    storage_litres = models.DecimalField(
        _("permanent storage capacity in litres (diesel and gasoline together)"),
        max_digits=15,
        decimal_places=0,
    )
    security_features = models.TextField(
        _("security features that prevent or inhibit general public access"), max_length=2000
    )
    supplied_by = ArrayField(
        models.CharField(max_length=10, choices=SupplyMode.choices), verbose_name=_("supplied by")
    )
    outlets = ArrayField(
        models.CharField(max_length=16, choices=FuelOutlet.choices), verbose_name=_("the dyed fuel is")
    )
    injector_security = models.TextField(_("security features of the dye injector"), max_length=2000)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    @property
    def address(self) -> str:
        return ", ".join(part for part in [self.line1, self.city, self.province] if part)

    @property
    def supplied_by_labels(self) -> str:
        return ", ".join(str(SupplyMode(mode).label) for mode in self.supplied_by)

    @property
    def outlet_labels(self) -> str:
        return ", ".join(str(FuelOutlet(outlet).label) for outlet in self.outlets)


def criteria_constraints(prefix: str) -> list[models.BaseConstraint]:
    """The database's guards of seed 002's criteria, named `<prefix>_...`."""
    return [
        models.CheckConstraint(
            condition=Q(storage_litres__gte=MINIMUM_STORAGE_LITRES), name=f"{prefix}_storage_500000"
        ),
        models.CheckConstraint(condition=Q(supplied_by__len__gte=1), name=f"{prefix}_supplied"),
        models.CheckConstraint(condition=Q(outlets__len__gte=1), name=f"{prefix}_outlet"),
        models.CheckConstraint(
            condition=Q(security_features__gt="", injector_security__gt=""), name=f"{prefix}_secured"
        ),
        models.CheckConstraint(condition=Q(province="AB"), name=f"{prefix}_in_alberta"),
    ]


class RegistrationDyeSite(DyeSiteCriteria):
    """A site named in the dye-site part of a fuel tax registration (reason "Mark (dye) fuel"), at one of the
    registration's bulk fuel locations (approval gives it its BFLO number)."""

    registration = models.ForeignKey(Registration, on_delete=models.CASCADE, related_name="dye_sites")
    position = models.PositiveSmallIntegerField(default=1)
    location = models.ForeignKey(
        RegistrationLocation, null=True, blank=True, on_delete=models.SET_NULL, related_name="dye_sites"
    )

    class Meta:
        ordering = ["registration", "position", "id"]
        verbose_name = _("dye site in a registration")
        constraints = [
            models.UniqueConstraint(
                fields=["registration", "position"], name="registration_dye_site_position"
            ),
            *criteria_constraints("registration_dye_site"),
        ]


class DyeSite(DyeSiteCriteria):
    """A site of the account where the business is registered to dye fuel, from its effective date (the day
    TRA approved it) to its closure; it files a Dye Stock Report and a Litres Dyed report every month."""

    account = models.ForeignKey(ProgramAccount, on_delete=models.PROTECT, related_name="dye_sites")
    location = models.OneToOneField(
        BulkFuelLocation, null=True, blank=True, on_delete=models.PROTECT, related_name="dye_site"
    )
    registration = models.ForeignKey(
        Registration, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    effective_date = models.DateField(_("effective date"), help_text=_("First month the site reports"))
    closed_on = models.DateField(_("closed on"), null=True, blank=True)

    class Meta:
        ordering = ["account", "name", "id"]
        verbose_name = _("dye site")
        constraints = [
            *criteria_constraints("dye_site"),
            models.CheckConstraint(
                condition=Q(closed_on__isnull=True) | Q(closed_on__gte=models.F("effective_date")),
                name="dye_site_closed_after_effective",
            ),
        ]

    def __str__(self) -> str:
        bflo = f"BFLO {self.location.number} " if self.location is not None else ""
        return f"{bflo}{self.name}"
