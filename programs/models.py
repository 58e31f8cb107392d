from django.db import models
from django.utils.translation import gettext_lazy as _


class Program(models.Model):
    """A TRA program (Fuel Tax, TEFS, ...). Reference data from programs/reference/programs.yaml."""

    code = models.SlugField(unique=True)
    number = models.CharField(max_length=2, unique=True, help_text=_("Two-digit program part of account numbers"))
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    files_returns = models.BooleanField(default=False)

    class Meta:
        ordering = ["number"]

    def __str__(self) -> str:
        return self.name


class TaxRate(models.Model):
    """A copy of the dated rate YAML (programs/rates/) in a table, so SQL can join rates to volumes.

    Written only by `reference_data_load` on migrate; the YAML is the source of truth."""

    tax = models.CharField(max_length=40)
    fuel = models.CharField(max_length=40)
    effective_from = models.DateField()
    value = models.DecimalField(max_digits=10, decimal_places=6, null=True, blank=True, help_text=_("Dollars per litre; empty: not in force"))
    source = models.TextField()

    class Meta:
        ordering = ["tax", "fuel", "effective_from"]
        constraints = [models.UniqueConstraint(fields=["tax", "fuel", "effective_from"], name="taxrate_unique_per_day")]

    def __str__(self) -> str:
        return f"{self.tax} {self.fuel} from {self.effective_from}: {self.value}"


class Holiday(models.Model):
    """An Alberta statutory holiday (programs/reference/holidays.yaml), for SQL and for staff to read."""

    date = models.DateField(unique=True)
    name = models.CharField(max_length=80)

    class Meta:
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"
