"""Documents placed in an account and their files (programs/services/documents.py, programs/documents.py).
Registered with the app by programs/models.py, which imports them (callers name them as
programs.models.Document, ...)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from programs.models import ProgramAccount

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
