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
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from consent.models import Grant
from filings.periods import Period, days_late

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


class VersionKind(models.TextChoices):
    ORIGINAL = "original", _("Original")
    AMENDED = "amended", _("Amended")


class PeriodFiling(Filing):
    """A filing for a period (a calendar month unless the model says otherwise: a tourism levy return's may be a
    quarter), in versions: the original and its amendments, each a row of its own linked to the original (a fuel
    tax return, a marked-fuel monthly report, a tourism levy return). The columns are the fuel tax return's, as
    they were, so moving them here changed no table; `period_filing_constraints` gives each model the guards."""

    Kind = VersionKind

    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    kind = models.CharField(max_length=10, choices=VersionKind.choices, default=VersionKind.ORIGINAL)
    amends = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="amendments",
        help_text=_("The original return this one amends"),
    )
    version = models.PositiveSmallIntegerField(default=1)
    due_on = models.DateField(
        _("due date"), help_text=_("Due date of the period's return, by the rule in force when received")
    )

    class Meta:
        abstract = True

    @property
    def period(self) -> Period:
        return Period(self.period_start)

    @property
    def late_days(self) -> int:
        """Days after the due date it was received (0 if on time), by the date in Edmonton."""
        return days_late(due_on=self.due_on, on=timezone.localtime(self.received_at).date())


def period_filing_constraints(
    prefix: str, *, filed_for: tuple[str, ...] = ("account",)
) -> list[models.BaseConstraint]:
    """The database's guards of a PeriodFiling, named `<prefix>_...`: one original per account and period (a double
    click or two people filing at once cannot make two), one row per version, unique confirmation numbers, versions
    consistent with their kind, a period starting on the first of a month.

    `filed_for`: what files one original a period, when it is not the account: a dye site's reports are filed
    per site (("site",)), an account having several."""
    return [
        models.UniqueConstraint(
            fields=[*filed_for, "period_start"],
            condition=Q(kind="original"),
            name=f"{prefix}_one_original_per_period",
        ),
        models.UniqueConstraint(
            fields=[*filed_for, "period_start", "version"], name=f"{prefix}_unique_version"
        ),
        models.UniqueConstraint(fields=["confirmation_number"], name=f"{prefix}_unique_confirmation_number"),
        models.CheckConstraint(
            condition=(
                Q(kind="original", amends__isnull=True, version=1)
                | Q(kind="amended", amends__isnull=False, version__gt=1)
            ),
            name=f"{prefix}_version_matches_kind",
        ),
        models.CheckConstraint(
            condition=Q(period_start__day=1, period_end__gte=F("period_start")), name=f"{prefix}_period"
        ),
    ]
