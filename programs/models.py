from django.conf import settings
from django.core.validators import RegexValidator
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


BIN_VALIDATOR = RegexValidator(r"^\d{9}$", _("A BIN is 9 digits."))


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
    max_delegates = models.PositiveSmallIntegerField(default=25, help_text=_("Cap on delegates and representatives"))

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["taxpayer", "program", "sequence"], name="account_unique_sequence"),
            models.CheckConstraint(condition=models.Q(sequence__gte=1, sequence__lte=999), name="account_sequence_range"),
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
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


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
        return ", ".join(part for part in [self.line1, self.line2, self.city, self.province, self.postal_code] if part)


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
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(max_length=30)
    detail = models.TextField(blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d} {self.kind}"


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
                fields=["account"], condition=models.Q(is_primary=True), name="contact_one_primary_per_account"
            ),
            models.CheckConstraint(condition=~models.Q(phone="", email=""), name="contact_phone_or_email"),
            models.CheckConstraint(
                condition=models.Q(phone="") | models.Q(phone__regex=r"^[2-9][0-9]{2}-[2-9][0-9]{2}-[0-9]{4}$"),
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
        return f"{self.phone} ext. {self.phone_extension}" if self.phone and self.phone_extension else self.phone


class DirectDeposit(models.Model):
    """The one bank account refunds of a program account go to. Without one, refunds go by cheque to the
    mailing address of record. The account number is kept encrypted (accounts.crypto); pages, e-mails and
    history show only its last four digits."""

    account = models.OneToOneField(ProgramAccount, on_delete=models.CASCADE, related_name="direct_deposit")
    institution_number = models.CharField(_("institution number"), max_length=3)
    transit_number = models.CharField(_("transit number"), max_length=5)
    account_number_encrypted = models.BinaryField(editable=False)
    account_number_last4 = models.CharField(_("account number ends in"), max_length=4)
    holder_name = models.CharField(_("account holder's name"), max_length=200)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("direct deposit")
        verbose_name_plural = _("direct deposits")
        constraints = [
            models.CheckConstraint(condition=models.Q(institution_number__regex=r"^[0-9]{3}$"), name="deposit_institution_3_digits"),
            models.CheckConstraint(condition=models.Q(transit_number__regex=r"^[0-9]{5}$"), name="deposit_transit_5_digits"),
            models.CheckConstraint(condition=models.Q(account_number_last4__regex=r"^[0-9]{4}$"), name="deposit_last4_digits"),
        ]

    def __str__(self) -> str:
        return f"{self.account.number}: {self.masked}"

    @property
    def masked(self) -> str:
        return f"ending in {self.account_number_last4}"


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
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
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
