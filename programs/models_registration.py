"""Online program registrations, the locations and contacts they name and their history
(programs/services/registration.py, registration_review.py). Registered with the app by programs/models.py,
which imports them (callers name them as programs.models.Registration, ...)."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _

from programs.models import BIN_VALIDATOR, BulkFuelLocation, Program, ProgramAccount, Taxpayer
from programs.models_frequency import AccountFrequency

REGISTRATION_REFERENCE_PATTERN = r"^REG-[0-9]{4}-[0-9]{6,9}$"


class Registration(models.Model):
    """An online program registration (seed 004, "How to register": sign in, choose Online Registration,
    choose the program, complete and submit the form -> a pending status and a reference number; TRA may ask
    for more information; once approved, the approval letter is in the TRACS account).

    It belongs to the person who started it (`registrant`), not to an account: there is none yet. A draft is
    kept in the database, so it survives sign-out. Approval opens the program account(s), allocates a BIN
    when the business has none, gives the bulk fuel locations their BFLO numbers and makes the registrant
    an owner (consent.services.registration_approve)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft (not sent to TRA)")
        PENDING = "pending", _("Pending review by TRA")
        MORE_INFORMATION_REQUESTED = "more_information_requested", _("More information requested")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    class BusinessType(models.TextChoices):
        CORPORATION = "corporation", _("Corporation")
        PARTNERSHIP = "partnership", _("Partnership")
        SOLE_PROPRIETORSHIP = "sole_proprietorship", _("Sole proprietorship")
        COOPERATIVE = "cooperative", _("Co-operative")
        SOCIETY = "society", _("Society or non-profit organization")
        FIRST_NATION = "first_nation", _("First Nation or band")
        GOVERNMENT = "government", _("Government or Crown corporation")
        TRUST = "trust", _("Trust or estate")
        OTHER = "other", _("Other")

    class Reason(models.TextChoices):
        """Why the business must register: seed 004, "When to register" (Fuel Tax), in its order, and the
        designation of refiners and large wholesalers as full direct remitters (seed 004, "Overview")."""

        REFINE = "refine", _("Produce or refine fuel, including renewable fuel (refiner)")
        TERMINAL = (
            "terminal",
            _("Operate a terminal, or act as a position holder within a terminal operated by another person"),
        )
        REMOVE_FROM_TERMINAL = (
            "remove_from_terminal",
            _("Sell fuel, or remove your own fuel, from a refinery or terminal"),
        )
        IMPORT_FOR_RESALE = "import_for_resale", _("Import fuel into Alberta for resale")
        IMPORT_BULK_CONSUMER = "import_bulk_consumer", _("Import fuel in bulk as a consumer")
        SELL_AVIATION = "sell_aviation", _("Sell aviation fuel")
        SELL_MARKED = "sell_marked", _("Sell fuel exempt from tax, including marked fuel")
        MARK_FUEL = "mark_fuel", _("Mark (dye) fuel")
        REBRAND = (
            "rebrand",
            _("Rebrand fuel (reclassify it, change it to another fuel or a non-taxable product, or back)"),
        )
        EXPORT_BULK = "export_bulk", _("Export fuel from Alberta in bulk")
        SELL_BULK_NON_MOTIVE = (
            "sell_bulk_non_motive",
            _("Sell kerosene, bunker fuel, methanol or condensate in bulk"),
        )
        LOCOMOTIVE = "locomotive", _("Use locomotive fuel in Alberta")
        SELL_DYE = "sell_dye", _("Sell fuel dye for use in Alberta")
        PROPANE = "propane", _("Produce or distribute propane, or sell propane to motive consumers")
        REFUND = "refund", _("Apply for a refund or rebate of fuel tax")
        FULL_DIRECT_REMITTER = "full_direct_remitter", _("Be designated a full direct remitter (FDR)")

    registrant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="registrations"
    )
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="registrations")
    status = models.CharField(max_length=28, choices=Status.choices, default=Status.DRAFT)
    reference_number = models.CharField(
        _("reference number"), max_length=20, unique=True, null=True, blank=True
    )

    # Business identity
    legal_name = models.CharField(_("legal name"), max_length=200, blank=True)
    operating_name = models.CharField(_("operating name"), max_length=200, blank=True)
    bin = models.CharField(_("BIN"), max_length=9, blank=True, validators=[BIN_VALIDATOR])
    business_type = models.CharField(
        _("type of business"), max_length=24, choices=BusinessType.choices, blank=True
    )
    start_date = models.DateField(_("date the activities start"), null=True, blank=True)
    line1 = models.CharField(_("address line 1"), max_length=200, blank=True)
    line2 = models.CharField(_("address line 2"), max_length=200, blank=True)
    city = models.CharField(_("city or town"), max_length=100, blank=True)
    province = models.CharField(max_length=2, blank=True)
    postal_code = models.CharField(max_length=7, blank=True)

    reasons = ArrayField(models.CharField(max_length=30, choices=Reason.choices), default=list, blank=True)

    # Banking: optional direct deposit. None: not answered yet. The account number is kept encrypted
    # (accounts.crypto); pages and e-mails show only its last four digits.
    wants_direct_deposit = models.BooleanField(null=True, blank=True)
    deposit_institution_number = models.CharField(_("institution number"), max_length=3, blank=True)
    deposit_transit_number = models.CharField(_("transit number"), max_length=5, blank=True)
    deposit_account_number_encrypted = models.BinaryField(null=True, blank=True, editable=False)
    deposit_account_number_last4 = models.CharField(_("account number ends in"), max_length=4, blank=True)
    deposit_holder_name = models.CharField(_("account holder's name"), max_length=200, blank=True)

    # The dye-site part (reason "Mark (dye) fuel", seed 002 "Eligibility to dye fuel"): the business's attestation
    # of full compliance with all its tax filings, and its agreement to the monthly reports of each site.
    dye_full_compliance = models.BooleanField(_("in full compliance with all tax filings"), default=False)
    dye_monthly_reporting = models.BooleanField(
        _("agrees to the dye sites' monthly reporting"), default=False
    )

    certified_name = models.CharField(_("certified by"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    first_submitted_at = models.DateTimeField(_("first submitted"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)

    # TRA's side
    information_request = models.TextField(_("information TRA asked for"), blank=True)
    decision_reason = models.TextField(_("reason for the decision"), blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    taxpayer = models.ForeignKey(
        Taxpayer, null=True, blank=True, on_delete=models.PROTECT, related_name="registrations"
    )
    accounts = models.ManyToManyField(ProgramAccount, blank=True, related_name="registrations")
    letter_issued_at = models.DateTimeField(_("approval letter issued"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [("review_registration", "Can approve, reject or send back an online registration")]
        indexes = [
            models.Index(fields=["registrant", "-created_at"], name="registration_registrant_time"),
            models.Index(fields=["status", "submitted_at"], name="registration_queue"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(reference_number__isnull=True)
                | models.Q(reference_number__regex=REGISTRATION_REFERENCE_PATTERN),
                name="registration_reference_format",
            ),
            # Sent to TRA once: it has a reference number for good, whatever happens next.
            models.CheckConstraint(
                condition=models.Q(status="draft")
                | models.Q(reference_number__isnull=False, first_submitted_at__isnull=False),
                name="registration_sent_has_reference",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="approved") | models.Q(taxpayer__isnull=False),
                name="registration_approved_has_taxpayer",
            ),
            models.CheckConstraint(
                condition=models.Q(bin="") | models.Q(bin__regex=r"^[0-9]{9}$"),
                name="registration_bin_9_digits",
            ),
        ]
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")

    def __str__(self) -> str:
        return f"{self.reference_number or _('draft')} {self.legal_name or self.program.name}".strip()

    @property
    def on_behalf_of(self) -> str:
        """How the access log names the business registered: there is no account (nor, for a new business,
        a taxpayer) yet, so the name given and, once sent, the registration's reference number."""
        name = self.legal_name or str(_("(business not named yet)"))
        return f"{name} (registration {self.reference_number})" if self.reference_number else name

    @property
    def is_editable(self) -> bool:
        """The registrant may change it: a draft, or one TRA sent back for more information."""
        return self.status in (self.Status.DRAFT, self.Status.MORE_INFORMATION_REQUESTED)

    @property
    def deposit_masked(self) -> str:
        return f"ending in {self.deposit_account_number_last4}" if self.deposit_account_number_last4 else ""

    @property
    def mailing_address(self) -> dict:
        return {name: getattr(self, name) for name in ("line1", "line2", "city", "province", "postal_code")}


class RegistrationLocation(models.Model):
    """A bulk fuel storage location named in a registration; approval gives it a BFLO number."""

    registration = models.ForeignKey(Registration, on_delete=models.CASCADE, related_name="locations")
    position = models.PositiveSmallIntegerField(default=1)
    name = models.CharField(_("location name"), max_length=200)
    line1 = models.CharField(_("address or legal land description"), max_length=200)
    city = models.CharField(_("city, town or county"), max_length=100)
    province = models.CharField(max_length=2, default="AB")
    postal_code = models.CharField(max_length=7, blank=True)
    capacity_litres = models.DecimalField(_("storage capacity in litres"), max_digits=15, decimal_places=0)
    bflo = models.OneToOneField(
        BulkFuelLocation,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="registration_location",
    )

    class Meta:
        ordering = ["registration", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["registration", "position"], name="registration_location_position"
            ),
            models.CheckConstraint(
                condition=models.Q(capacity_litres__gt=0), name="registration_location_capacity_positive"
            ),
        ]
        verbose_name = _("bulk fuel location in a registration")

    def __str__(self) -> str:
        return self.name

    @property
    def address(self) -> str:
        return ", ".join(part for part in [self.line1, self.city, self.province, self.postal_code] if part)


class RegistrationEstablishment(models.Model):
    """An establishment named in a Tourism Levy registration (AT4827): each location providing temporary
    accommodation is registered, and approval opens an account of its own for it (shared/DOMAIN.md "Tourism
    Levy": "each establishment gets its own account number"), filing monthly or quarterly from its opening."""

    class Kind(models.TextChoices):
        HOTEL = "hotel", _("Hotel")
        MOTEL = "motel", _("Motel")
        INN = "inn", _("Inn or lodge")
        BED_AND_BREAKFAST = "bed_and_breakfast", _("Bed and breakfast")
        RESORT = "resort", _("Resort")
        HOSTEL = "hostel", _("Hostel")
        SHORT_TERM_RENTAL = "short_term_rental", _("Short-term rental (a home, suite or cabin)")
        OTHER = "other", _("Other temporary accommodation")

    registration = models.ForeignKey(Registration, on_delete=models.CASCADE, related_name="establishments")
    position = models.PositiveSmallIntegerField(default=1)
    name = models.CharField(_("establishment name"), max_length=200)
    kind = models.CharField(_("type of accommodation"), max_length=20, choices=Kind.choices)
    line1 = models.CharField(_("street address"), max_length=200)
    city = models.CharField(_("city or town"), max_length=100)
    province = models.CharField(max_length=2, default="AB")
    postal_code = models.CharField(max_length=7)
    units = models.PositiveIntegerField(_("rooms or units offered"))
    listed_online = models.BooleanField(_("listed on an online marketplace"), default=False)
    opens_on = models.DateField(_("first day accommodation is offered"))
    frequency = models.CharField(
        _("filing frequency"), max_length=10, choices=AccountFrequency.Frequency.choices
    )
    account = models.OneToOneField(
        ProgramAccount,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="registration_establishment",
    )

    class Meta:
        ordering = ["registration", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["registration", "position"], name="registration_establishment_position"
            ),
            models.CheckConstraint(
                condition=models.Q(units__gte=1), name="registration_establishment_units_positive"
            ),
            # The levy is on accommodation in Alberta (Tourism Levy Act).
            models.CheckConstraint(
                condition=models.Q(province="AB"), name="registration_establishment_in_alberta"
            ),
        ]
        verbose_name = _("establishment in a registration")

    def __str__(self) -> str:
        return self.name

    @property
    def address(self) -> str:
        return ", ".join(part for part in [self.line1, self.city, self.province, self.postal_code] if part)


class RegistrationContact(models.Model):
    """A contact person named in a registration; becomes a contact of the accounts approval opens."""

    registration = models.ForeignKey(Registration, on_delete=models.CASCADE, related_name="contacts")
    position = models.PositiveSmallIntegerField(default=1)
    name = models.CharField(_("full name"), max_length=200)
    title = models.CharField(_("role or title"), max_length=120, blank=True)
    phone = models.CharField(_("phone"), max_length=12, blank=True)
    phone_extension = models.CharField(_("extension"), max_length=6, blank=True)
    email = models.EmailField(_("e-mail address"), blank=True)

    class Meta:
        ordering = ["registration", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["registration", "position"], name="registration_contact_position"
            ),
            models.CheckConstraint(
                condition=~models.Q(phone="", email=""), name="registration_contact_phone_or_email"
            ),
        ]
        verbose_name = _("contact person in a registration")

    def __str__(self) -> str:
        return f"{self.name} ({self.title})" if self.title else self.name

    @property
    def phone_display(self) -> str:
        return (
            f"{self.phone} ext. {self.phone_extension}" if self.phone and self.phone_extension else self.phone
        )


class RegistrationEvent(models.Model):
    """What happened to a registration, in order: sent, TRA's request for more information (its message),
    sent again, approved, rejected (the reason). Append-only; the registrant sees it as the history."""

    class Kind(models.TextChoices):
        STARTED = "started", _("Started")
        SUBMITTED = "submitted", _("Sent to TRA")
        RESUBMITTED = "resubmitted", _("Sent to TRA again with more information")
        INFORMATION_REQUESTED = "information_requested", _("TRA asked for more information")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        LETTER_ISSUED = "letter_issued", _("Approval letter placed in the account")

    registration = models.ForeignKey(Registration, on_delete=models.CASCADE, related_name="events")
    occurred_at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_tra = models.BooleanField(default=False)
    kind = models.CharField(max_length=24, choices=Kind.choices)
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["occurred_at", "id"]
        verbose_name = _("registration history")
        verbose_name_plural = _("registration history")

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.get_kind_display()}"
