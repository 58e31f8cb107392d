"""The records of marked-fuel sellers (TEFS): each file or web submission received (`Ingestion`), the consumer
sales (`Sale`, with their amendments and voids), the rows refused (`RejectedRow`), the fuel movements
(`Movement`) and the inventory counts (`InventoryCount`). Registered with the app by filings/models.py.

Nothing is changed in place: a sale is corrected by an amendment or a void, a new `Sale` row naming the sale it
changes (`corrects`), numbered by `revision`; the database refuses a second row with the same (account, invoice
number, line, revision), so a sale already reported is never stored twice, from any file. A fuel movement is
corrected the same way, by a new `Movement` row naming it, one revision per (account, kind, document number, BFLO,
fuel)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.indexes import BrinIndex
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from programs.models import BulkFuelLocation, ProgramAccount


class Fuel(models.TextChoices):
    MARKED_GASOLINE = "marked_gasoline", _("Marked gasoline")
    MARKED_DIESEL = "marked_diesel", _("Marked diesel")


class RecordType(models.TextChoices):
    SALES = "sales", _("Sales")
    MOVEMENTS = "movements", _("Fuel movements")
    INVENTORY = "inventory", _("Inventory counts")


LITRES_DIGITS, LITRES_PLACES = 12, 3  # up to 999,999,999.999 litres, to the millilitre


class Ingestion(models.Model):
    """One file (or one web submission) of a seller's records, from receipt to its acknowledgement. The counters
    are kept current while it runs (committed outside the store's transaction) so the upload page can poll them."""

    class Door(models.TextChoices):
        WEB = "web", _("Web form")
        UPLOAD = "upload", _("Browser upload")
        SFTP = "sftp", _("SFTP")
        API = "api", _("API")

    class Format(models.TextChoices):
        WEB = "web", _("Web form")
        CSV = "csv", _("CSV")
        XML = "xml", _("XML")

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        RUNNING = "running", _("Being processed")
        DONE = "done", _("Processed")
        REFUSED = "refused", _("Refused")
        FAILED = "failed", _("Failed")

    account = models.ForeignKey(ProgramAccount, on_delete=models.PROTECT, related_name="ingestions")
    door = models.CharField(max_length=10, choices=Door.choices)
    format = models.CharField(max_length=10, choices=Format.choices)
    record_type = models.CharField(max_length=12, choices=RecordType.choices, blank=True)
    month = models.DateField(null=True, blank=True, help_text=_("The first day of the month reported."))
    file_name = models.CharField(max_length=255, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    size = models.BigIntegerField(default=0, help_text=_("Bytes."))
    stored_path = models.CharField(max_length=500, blank=True, help_text=_("Relative to MEDIA_ROOT."))
    validate_only = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RECEIVED)
    refusal = models.TextField(blank=True)
    rows_expected = models.PositiveIntegerField(default=0)
    rows_read = models.PositiveIntegerField(default=0)
    rows_accepted = models.PositiveIntegerField(default=0)
    rows_rejected = models.PositiveIntegerField(default=0)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    received_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    FINISHED = (Status.DONE, Status.REFUSED, Status.FAILED)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("ingestion (file or submission)")
        verbose_name_plural = _("ingestion log")
        indexes = [models.Index(fields=["account", "-received_at"])]
        constraints = [
            # The same file twice adds nothing: one stored ingestion per file content and account.
            models.UniqueConstraint(
                fields=["account", "sha256"],
                condition=Q(validate_only=False, status__in=["received", "running", "done"]) & ~Q(sha256=""),
                name="ingestion_one_file_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.file_name or self.get_door_display()} ({self.received_at:%Y-%m-%d %H:%M})"

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED


class SellerRecord(models.Model):
    """What every record of a seller's month has: the account, the ingestion that brought it and its row there,
    the month, the location, the fuel and the litres."""

    account = models.ForeignKey(
        ProgramAccount, on_delete=models.PROTECT, related_name="marked_fuel_%(class)ss"
    )
    ingestion = models.ForeignKey(Ingestion, on_delete=models.PROTECT, related_name="%(class)ss")
    row_number = models.PositiveIntegerField()
    month = models.DateField(help_text=_("The first day of the month reported."))
    bflo = models.ForeignKey(
        BulkFuelLocation, on_delete=models.PROTECT, related_name="+", verbose_name="BFLO"
    )
    fuel = models.CharField(max_length=20, choices=Fuel.choices)
    litres = models.DecimalField(_("litres"), max_digits=LITRES_DIGITS, decimal_places=LITRES_PLACES)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True


class Sale(SellerRecord):
    """A consumer sale of marked fuel, or an amendment or void of one (revision 1, 2, ... of the sale).

    A million-row file stores a million sales: the account, ingestion and BFLO each sale names are checked by
    the database once per statement, not once per row (three foreign keys cost more than the insert itself,
    measured by bench/bench_sales.py). Migration 0013's triggers do what the foreign keys did: after an insert
    or update, the parents the rows name are locked (FOR KEY SHARE) and must all exist; a parent that sales
    name cannot be deleted or renumbered. The account's own index is its unique key's and (account, month)'s
    first column; `corrects` is indexed where it is set (almost no sale corrects another)."""

    account = models.ForeignKey(
        ProgramAccount,
        on_delete=models.PROTECT,
        related_name="marked_fuel_sales",
        db_constraint=False,
        db_index=False,
    )
    ingestion = models.ForeignKey(
        Ingestion, on_delete=models.PROTECT, related_name="sales", db_constraint=False
    )
    bflo = models.ForeignKey(
        BulkFuelLocation,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="BFLO",
        db_constraint=False,
    )

    class Kind(models.TextChoices):
        SALE = "sale", _("Sale")
        AMENDMENT = "amendment", _("Amendment")
        VOID = "void", _("Void")

    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.SALE)
    revision = models.PositiveSmallIntegerField(default=0)
    corrects = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="corrections", db_index=False
    )
    sale_date = models.DateField(_("sale date"))
    invoice_number = models.CharField(_("invoice number"), max_length=30)
    line = models.PositiveIntegerField(_("line"))
    exemption_number = models.CharField(_("exemption number"), max_length=12)
    exemption_kind = models.CharField(max_length=12)
    carbon_levy_exempt = models.BooleanField(default=False)

    class Meta:
        ordering = ["sale_date", "invoice_number", "line", "revision"]
        verbose_name = _("marked-fuel sale")
        indexes = [
            models.Index(fields=["account", "month"]),
            models.Index(fields=["corrects"], condition=Q(corrects__isnull=False), name="sale_corrects_idx"),
            # The refund cycle reads a claim period's sales by when they were accepted (assessments/cycles/):
            # sales are appended in that order, so a BRIN index finds them for a few pages per million rows,
            # and costs the ingestion next to nothing.
            BrinIndex(fields=["created_at"], name="sale_accepted_brin"),
            # One seller's sales of a claim period (the Sales Summary, assessments/cycles/selectors.py): through
            # (account, month) a seller of many years would read its whole history for one period, through the
            # BRIN every seller's period. Its cost to each ingestion is measured in ADR 0026.
            models.Index(fields=["account", "created_at"], name="sale_account_accepted_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "invoice_number", "line", "revision"], name="sale_reported_once"
            ),
            models.CheckConstraint(condition=Q(litres__gt=0), name="sale_litres_positive"),
            models.CheckConstraint(
                condition=(Q(kind="sale", revision=0, corrects__isnull=True))
                | (Q(revision__gt=0, corrects__isnull=False) & ~Q(kind="sale")),
                name="sale_correction_names_sale",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.invoice_number}/{self.line} {self.get_kind_display()} {self.sale_date}"


class RejectedRow(models.Model):
    """A row refused with its reasons: listed in the acknowledgement and (for sales) in the rejected sales."""

    ingestion = models.ForeignKey(Ingestion, on_delete=models.CASCADE, related_name="rejected_rows")
    row_number = models.PositiveIntegerField()
    field = models.CharField(max_length=40, blank=True)
    reason = models.TextField()
    errors = models.JSONField(default=list, help_text=_("Every problem of the row: field, code, reason."))
    values = models.JSONField(default=dict, help_text=_("The row as it was sent."))
    corrected_by = models.ForeignKey(
        Sale, null=True, blank=True, on_delete=models.SET_NULL, related_name="corrected_rejections"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["ingestion", "row_number"]
        verbose_name = _("rejected row")
        constraints = [
            models.UniqueConstraint(fields=["ingestion", "row_number"], name="rejectedrow_once_per_row")
        ]

    def __str__(self) -> str:
        return f"row {self.row_number}: {self.reason}"


class Movement(SellerRecord):
    """Marked fuel into or out of a seller's location: an acquisition or import, a disposition or export; or an
    amendment or void of one (revision 1, 2, ... of the movement). The kind, document number, BFLO and fuel name the
    movement: an amendment changes its date, litres, counterparty and jurisdiction; a movement reported under the
    wrong kind, location or fuel is voided and reported again under the right one."""

    class Kind(models.TextChoices):
        ACQUISITION = "acquisition", _("Acquisition")
        IMPORT = "import", _("Import")
        DISPOSITION = "disposition", _("Disposition")
        EXPORT = "export", _("Export")

    class Record(models.TextChoices):
        MOVEMENT = "movement", _("Movement")
        AMENDMENT = "amendment", _("Amendment")
        VOID = "void", _("Void")

    kind = models.CharField(max_length=12, choices=Kind.choices)
    record = models.CharField(max_length=10, choices=Record.choices, default=Record.MOVEMENT)
    revision = models.PositiveSmallIntegerField(default=0)
    corrects = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="corrections"
    )
    movement_date = models.DateField(_("date"))
    counterparty_name = models.CharField(_("counterparty"), max_length=200)
    counterparty_number = models.CharField(_("BIN or licence number"), max_length=30)
    jurisdiction = models.CharField(_("jurisdiction"), max_length=30, blank=True)
    document_number = models.CharField(_("document number"), max_length=30)

    class Meta:
        ordering = ["movement_date", "document_number", "revision"]
        verbose_name = _("fuel movement")
        indexes = [
            models.Index(fields=["account", "month"]),
            # The pre-submission reconciliation reads the month's movements other sellers report naming a
            # seller's BIN (filings/sales/reconciliation.py): without this, every seller's month page would
            # read the whole table.
            models.Index(fields=["counterparty_number", "month"], name="movement_counterparty_month"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "kind", "document_number", "bflo", "fuel", "revision"],
                name="movement_reported_once",
            ),
            models.CheckConstraint(condition=Q(litres__gt=0), name="movement_litres_positive"),
            models.CheckConstraint(
                condition=(Q(record="movement", revision=0, corrects__isnull=True))
                | (Q(revision__gt=0, corrects__isnull=False) & ~Q(record="movement")),
                name="movement_correction_names_movement",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["import", "export"], jurisdiction__gt="")
                | (Q(kind__in=["acquisition", "disposition"]) & Q(jurisdiction="")),
                name="movement_jurisdiction_for_imports_exports",
            ),
        ]

    def __str__(self) -> str:
        revision = f" {self.get_record_display()} {self.revision}" if self.revision else ""
        return f"{self.get_kind_display()} {self.document_number}{revision} {self.movement_date}"


class InventoryCount(SellerRecord):
    """The litres a seller counted at a location: the opening inventory of the first month, the closing one of
    each month (the inventory summary compares it with the computed one). A recount is a new revision: the latest
    stands, the earlier ones are kept."""

    class Kind(models.TextChoices):
        OPENING = "opening", _("Opening inventory")
        CLOSING = "closing", _("Closing inventory")

    kind = models.CharField(max_length=10, choices=Kind.choices)
    revision = models.PositiveSmallIntegerField(
        default=0, help_text=_("0 for the first count; a recount of the same month is the next revision.")
    )

    class Meta:
        ordering = ["month", "bflo", "fuel", "kind", "revision"]
        verbose_name = _("inventory count")
        constraints = [
            models.UniqueConstraint(
                fields=["account", "bflo", "fuel", "month", "kind", "revision"], name="inventorycount_once"
            ),
            models.CheckConstraint(condition=Q(litres__gte=0), name="inventorycount_litres_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.month:%Y-%m} {self.fuel}"


class InventoryVariance(InventoryCount):
    """Staff's inventory variances of every seller (issue 15, item 4; filings/sales/admin_inventory.py), a page of
    its own in staff administration: a proxy only so that the page has its place in the index and its own view
    permission (docs/staff-roles.md). Its lines are computed, not stored (filings.sales.inventory_sql)."""

    class Meta:
        proxy = True
        default_permissions = ("view",)  # read only: nothing here is added, changed or deleted
        verbose_name = _("inventory variance")
        verbose_name_plural = _("inventory variances (every seller's month)")
