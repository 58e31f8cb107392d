"""The columns every filed thing has, whatever its program: where it stands, when it came in, its confirmation
number, who filed it in what capacity, who certified it.

`Filing` is abstract: each program keeps its own table (a return's period and version, a claim's kind and
submission token, their own constraints), and the account foreign key stays on each model, since the accounts'
related names differ (`fuel_tax_returns`, `claims`). The columns here are defined exactly as they were on each
model, so moving them here changed no table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from consent.models import Grant

if TYPE_CHECKING:
    from programs.models import ProgramAccount


class Status(models.TextChoices):
    """Where a filing stands as TRA processes it (filings.status moves it)."""

    RECEIVED = "received", _("Received")
    IN_REVIEW = "in_review", _("In review")
    ASSESSED = "assessed", _("Assessed")
    REASSESSED = "reassessed", _("Reassessed")


IN_PROCESS = (Status.RECEIVED, Status.IN_REVIEW)  # not yet assessed: "in process" on View Assessment Status


class Filing(models.Model):
    """What a return and a claim share. Never changed by the filer: only its status moves on."""

    Status = Status

    status = models.CharField(max_length=12, choices=Status.choices, default=Status.RECEIVED, db_index=True)
    received_at = models.DateTimeField(_("received"))
    confirmation_number = models.CharField(_("confirmation number"), max_length=20)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    filed_by_email = models.EmailField(_("filed by (e-mail)"))
    filed_in_capacity = models.CharField(_("filed as"), max_length=16, choices=Grant.Role.choices)
    certified_name = models.CharField(_("certified by"), max_length=200)
    certified_capacity = models.CharField(_("position or title of the certifier"), max_length=200)
    status_changed_at = models.DateTimeField(_("status changed"), null=True, blank=True)
    processed_at = models.DateTimeField(
        _("processed"), null=True, blank=True, help_text=_("When it was assessed or reassessed")
    )

    if TYPE_CHECKING:  # each model has its own foreign key (their accounts' related names differ)
        account: ProgramAccount
        account_id: int

    class Meta:
        abstract = True

    @property
    def certified_by(self) -> str:
        """The certification as pages and e-mails print it: "Jane Doe, President"."""
        return f"{self.certified_name}, {self.certified_capacity}"
