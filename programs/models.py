from django.conf import settings
from django.contrib.postgres.fields import ArrayField
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
            models.CheckConstraint(
                condition=models.Q(institution_number__regex=r"^[0-9]{3}$"),
                name="deposit_institution_3_digits",
            ),
            models.CheckConstraint(
                condition=models.Q(transit_number__regex=r"^[0-9]{5}$"), name="deposit_transit_5_digits"
            ),
            models.CheckConstraint(
                condition=models.Q(account_number_last4__regex=r"^[0-9]{4}$"), name="deposit_last4_digits"
            ),
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


# --- Messages from TRA (issue 4, part 4) --------------------------------------------------------------------


class Message(models.Model):
    """A secure message from TRA to one program account, and the head of its thread: the account's people
    answer it (MessageReply) and staff answer them in Django admin.

    A message to every account of a program is fanned out into one Message per account, in one transaction
    (`programs.services.messages.message_send_to_program`), so each account keeps its own thread and its own read
    state; `program_wide` remembers which program the copy was sent to. An account opened later does not
    receive earlier notices.

    `last_from_tra_at` moves with each answer from TRA: a thread is unread for a person until they have read
    it since then (MessageRead). `last_from_client_at` moves with each answer from the account's people:
    staff see the threads awaiting an answer."""

    account = models.ForeignKey(ProgramAccount, on_delete=models.CASCADE, related_name="messages")
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("message"), max_length=10_000)
    sent_at = models.DateTimeField(_("sent"))
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    program_wide = models.ForeignKey(
        Program,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("sent to every account of"),
    )
    last_from_tra_at = models.DateTimeField(_("last from TRA"))
    last_from_client_at = models.DateTimeField(_("last answer from the account"), null=True, blank=True)

    class Meta:
        ordering = ["-last_from_tra_at", "-id"]
        indexes = [models.Index(fields=["account", "-last_from_tra_at"], name="message_account_time")]
        verbose_name = _("message")
        verbose_name_plural = _("messages to accounts")

    def __str__(self) -> str:
        return self.subject

    @property
    def awaiting_tra(self) -> bool:
        return self.last_from_client_at is not None and self.last_from_client_at > self.last_from_tra_at


class MessageReply(models.Model):
    """One answer in a message's thread: from the account's people (a delegate, a representative, an owner)
    or from TRA staff. Append-only."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="replies")
    body = models.TextField(_("answer"), max_length=5_000)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_name = models.CharField(_("written by"), max_length=200)
    from_tra = models.BooleanField(_("from TRA"), default=False)
    capacity = models.CharField(max_length=40, blank=True)  # owner, delegate, representative, staff
    created_at = models.DateTimeField(_("written"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("answer")
        verbose_name_plural = _("thread")

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.author_name}"


class MessageRead(models.Model):
    """When a person last read a message's thread: read state is per person, not per account, so a
    message one owner read is still unread for the other owner and for the account's delegates."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="reads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    read_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["message", "user"], name="message_read_once_per_person")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} read {self.message_id} at {self.read_at:%Y-%m-%d %H:%M}"


# --- Documents (issue 4, part 5) ----------------------------------------------------------------------------

DOCUMENT_REFERENCE_PATTERN = r"^DOC-[0-9]{8}-[A-Z0-9]{6}$"


class Document(models.Model):
    """Documents placed in an account: submitted by its people (the Submit Documents wizard) or issued by
    TRA (an approval letter). Each has a reference number `DOC-YYYYMMDD-XXXXXX` (the receipt date and six
    characters that cannot be misread) and one or more files (DocumentFile)."""

    class Type(models.TextChoices):
        RETURN_SUPPORT = "return_support", _("Supporting documents for a return")
        CLAIM_SUPPORT = "claim_support", _("Supporting documents for a refund claim")
        REQUESTED = "requested", _("Documents TRA asked for")
        FINANCIAL = "financial", _("Financial statements or records")
        BANKING = "banking", _("Void cheque or direct deposit form")
        REGISTRATION = "registration", _("Business registration or corporate documents")
        CORRESPONDENCE = "correspondence", _("Letter to TRA")
        OTHER = "other", _("Other")
        TRA_LETTER = "tra_letter", _("Letter from TRA")

    class Origin(models.TextChoices):
        CLIENT = "client", _("Submitted to TRA")
        TRA = "tra", _("Issued by TRA")

    account = models.ForeignKey(ProgramAccount, on_delete=models.PROTECT, related_name="documents")
    reference_number = models.CharField(_("reference number"), max_length=20, unique=True)
    document_type = models.CharField(_("type of document"), max_length=20, choices=Type.choices)
    related_reference = models.CharField(
        _("reference number of the return or claim"), max_length=20, blank=True
    )
    description = models.CharField(_("description"), max_length=500, blank=True)
    origin = models.CharField(max_length=6, choices=Origin.choices, default=Origin.CLIENT)
    received_at = models.DateTimeField(_("received"))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_by_email = models.CharField(max_length=254, blank=True)
    capacity = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["account", "-received_at"], name="document_account_time")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(reference_number__regex=DOCUMENT_REFERENCE_PATTERN),
                name="document_reference_format",
            ),
        ]
        verbose_name = _("document")
        verbose_name_plural = _("documents")

    def __str__(self) -> str:
        return f"{self.reference_number} {self.get_document_type_display()}"


class DocumentFile(models.Model):
    """One file of a document, stored through Django's storage API (the `default` storage: a local folder,
    or S3-compatible object storage by settings alone). Its type was found from its content, never from its
    name; `scan_status` says whether a malware scanner looked at it (programs/documents.py)."""

    class ScanStatus(models.TextChoices):
        CLEAN = "clean", _("Scanned: no threat found")
        NOT_SCANNED = "not_scanned", _("Not scanned: no malware scanner is configured")
        SCANNER_UNAVAILABLE = "unavailable", _("Not scanned: the malware scanner could not be reached")

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="files")
    position = models.PositiveSmallIntegerField(default=1)
    file = models.FileField(max_length=300)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(max_length=120)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    sha256 = models.CharField(max_length=64)
    scan_status = models.CharField(_("malware scan"), max_length=12, choices=ScanStatus.choices)
    scan_detail = models.CharField(max_length=200, blank=True)
    scanned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["document", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["document", "position"], name="document_file_position_unique"),
            models.CheckConstraint(condition=models.Q(size__gt=0), name="document_file_not_empty"),
        ]
        verbose_name = _("file")
        verbose_name_plural = _("files")

    def __str__(self) -> str:
        return self.original_name

    @property
    def scanned(self) -> bool:
        return self.scan_status == self.ScanStatus.CLEAN


# --- Online registration (issue 4, part 6) ------------------------------------------------------------------

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
