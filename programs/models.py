"""Programs' reference data and program accounts: programs, tax rates and holidays (loaded from
programs/reference/ and programs/rates/), taxpayers, their program accounts, bulk fuel locations and an
account's history.

An account's other records live in their own modules, registered with the app by the imports at the end of
this one (callers name them as programs.models.Address, ...): addresses, contact persons and the history of
those details (models_addresses.py), direct deposit (models_banking.py), messages from TRA
(models_messages.py), documents (models_documents.py) and online registration (models_registration.py).
"""

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class Program(models.Model):
    """A TRA program (Fuel Tax, TEFS, ...). Reference data from programs/reference/programs.yaml."""

    code = models.SlugField(unique=True)
    number = models.CharField(
        max_length=2, unique=True, help_text=_("Two-digit program part of account numbers")
    )
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
    value = models.DecimalField(
        max_digits=10,
        decimal_places=6,
        null=True,
        blank=True,
        help_text=_("Dollars per litre; empty: not in force"),
    )
    source = models.TextField()

    class Meta:
        ordering = ["tax", "fuel", "effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["tax", "fuel", "effective_from"], name="taxrate_unique_per_day")
        ]

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


BIN_VALIDATOR: RegexValidator = RegexValidator(r"^\d{9}$", _("A BIN is 9 digits."))


class Taxpayer(models.Model):
    """A business or individual with a Business Identification Number (BIN); holds program accounts."""

    class Kind(models.TextChoices):
        BUSINESS = "business", _("Business")
        INDIVIDUAL = "individual", _("Individual")

    legal_name = models.CharField(_("legal name"), max_length=200)
    bin = models.CharField(_("BIN"), max_length=9, unique=True, validators=[BIN_VALIDATOR])
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.BUSINESS)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["legal_name"]

    def __str__(self) -> str:
        return self.on_behalf_of

    @property
    def on_behalf_of(self) -> str:
        """How the access log names the taxpayer acted for."""
        return f"{self.legal_name} (BIN {self.bin})"


class ProgramAccount(models.Model):
    """One taxpayer's account in one program. Its number is `BIN-PP-SSS` (docs/account-numbers.md): the
    9-digit BIN, the 2-digit program number and a 3-digit sequence, so one taxpayer's accounts never collide."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        CLOSED = "closed", _("Closed")

    taxpayer = models.ForeignKey(Taxpayer, on_delete=models.PROTECT, related_name="accounts")
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="accounts")
    sequence = models.PositiveSmallIntegerField(default=1)
    number = models.CharField(_("account number"), max_length=20, unique=True, editable=False)
    trade_name = models.CharField(_("operating name"), max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    effective_date = models.DateField(_("effective date"), help_text=_("First day the account owes returns"))
    opened_at = models.DateTimeField(auto_now_add=True)
    closed_on = models.DateField(null=True, blank=True)
    max_owners = models.PositiveSmallIntegerField(default=5, help_text=_("Cap on owners of this account"))
    max_delegates = models.PositiveSmallIntegerField(
        default=25, help_text=_("Cap on delegates and representatives")
    )

    class Meta:
        ordering = ["number"]
        permissions = [("transfer_programaccount", "Can transfer a program account to another taxpayer")]
        constraints = [
            models.UniqueConstraint(
                fields=["taxpayer", "program", "sequence"], name="account_unique_sequence"
            ),
            models.CheckConstraint(
                condition=models.Q(sequence__gte=1, sequence__lte=999), name="account_sequence_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.program.name}"

    @staticmethod
    def compose_number(*, bin: str, program_number: str, sequence: int) -> str:  # noqa: A002 - the domain's word
        return f"{bin}-{program_number}-{sequence:03d}"

    @property
    def display_name(self) -> str:
        return self.trade_name or self.taxpayer.legal_name

    @property
    def on_behalf_of(self) -> str:
        """How the access log names the taxpayer acted for (select the taxpayer with the account)."""
        return self.taxpayer.on_behalf_of

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


class BulkFuelLocation(models.Model):
    """A Bulk Fuel Location (BFLO) of a fuel seller's account."""

    account = models.ForeignKey(ProgramAccount, on_delete=models.CASCADE, related_name="bulk_fuel_locations")
    number = models.CharField(_("BFLO number"), max_length=12, unique=True)
    name = models.CharField(max_length=200)
    address = models.CharField(max_length=300)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["number"]
        verbose_name = _("bulk fuel location (BFLO)")

    def __str__(self) -> str:
        return f"BFLO {self.number} {self.name}"


class ProgramAccountEvent(models.Model):
    """History of a program account (opened, closed, reopened, transferred): append-only."""

    account = models.ForeignKey(ProgramAccount, on_delete=models.CASCADE, related_name="events")
    occurred_at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=30)
    detail = models.TextField(blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d} {self.kind}"


# Addresses and contacts, direct deposit, messages, documents and online registration: their own modules,
# registered with the app by these imports (each imports the account models above from this module).
from programs.models_addresses import AccountChange, Address, Contact  # noqa: E402, F401
from programs.models_banking import DirectDeposit  # noqa: E402, F401
from programs.models_documents import Document, DocumentFile  # noqa: E402, F401
from programs.models_dye_sites import DyeSite, RegistrationDyeSite  # noqa: E402, F401
from programs.models_frequency import AccountFrequency  # noqa: E402, F401
from programs.models_messages import Message, MessageRead, MessageReply  # noqa: E402, F401
from programs.models_registration import (  # noqa: E402, F401
    Registration,
    RegistrationContact,
    RegistrationEstablishment,
    RegistrationEvent,
    RegistrationLocation,
)
from programs.registries.models import (  # noqa: E402, F401
    ExemptionCertificate,
    ExemptionHolder,
    ExemptionImport,
    ExemptionStatusPeriod,
)
