"""How often an account files, dated: monthly or quarterly from a day on (a Tourism Levy establishment files
monthly or quarterly, shared/DOMAIN.md "Tourism Levy"). Registered with the app by programs/models.py, which
imports it (callers name it as programs.models.AccountFrequency).

A change takes effect on the first day of a calendar quarter, so a quarter is never split between two
frequencies (a check constraint); before an account's first row it files monthly. Rows are history: a new
frequency is a new row, the old one stays (the returns already filed keep the periods they were filed for).
"""

from __future__ import annotations

from datetime import date

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from programs.models import ProgramAccount


class AccountFrequency(models.Model):
    class Frequency(models.TextChoices):
        MONTHLY = "monthly", _("Monthly")
        QUARTERLY = "quarterly", _("Quarterly")

    account = models.ForeignKey(ProgramAccount, on_delete=models.CASCADE, related_name="frequencies")
    frequency = models.CharField(_("filing frequency"), max_length=10, choices=Frequency.choices)
    effective_from = models.DateField(_("in force from"), help_text=_("The first day of a calendar quarter"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        ordering = ["account", "effective_from"]
        verbose_name = _("filing frequency")
        verbose_name_plural = _("filing frequencies")
        constraints = [
            models.UniqueConstraint(fields=["account", "effective_from"], name="frequency_one_per_day"),
            models.CheckConstraint(
                condition=Q(effective_from__day=1, effective_from__month__in=(1, 4, 7, 10)),
                name="frequency_from_quarter_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account.number} {self.frequency} from {self.effective_from}"


def frequency_on(changes: list[AccountFrequency], day: date) -> str:
    """The frequency in force on `day` among an account's `changes` (oldest first): monthly before the first."""
    frequency = AccountFrequency.Frequency.MONTHLY.value
    for change in changes:
        if change.effective_from > day:
            break
        frequency = change.frequency
    return frequency
