"""Reads of dye sites and their monthly reports, for the account's pages (filings/views_dye_sites.py): a fixed
number of queries whatever the number of sites and months."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Prefetch

from filings import dye_sites
from filings.definitions.dye_sites import DYE_SITE_REPORTS
from filings.models_dye_sites import DyeSiteReport
from filings.periods import Period, days_late, periods_owed
from filings.skeleton.definition import FilingDefinition
from programs.models import DyeSite, ProgramAccount


def has_dye_site(*, account: ProgramAccount) -> bool:
    """Whether TRA approved a dye site on the account (approval is what creates one)."""
    return DyeSite.objects.filter(account=account).exists()


def dye_site_of(*, account: ProgramAccount, site_id: int) -> DyeSite | None:
    return DyeSite.objects.filter(account=account, pk=site_id).select_related("location").first()


@dataclass(frozen=True)
class MonthRow:
    """One month a site owes its two reports: each one's latest version, or None when not filed."""

    period: Period
    due_on: date
    latest: tuple[DyeSiteReport | None, ...]  # in DYE_SITE_REPORTS' order
    days_overdue: int

    @property
    def reports(self) -> list[tuple[FilingDefinition[Any], DyeSiteReport | None]]:
        return list(zip(DYE_SITE_REPORTS, self.latest, strict=True))

    @property
    def complete(self) -> bool:
        return all(report is not None for report in self.latest)


@dataclass(frozen=True)
class SiteMonths:
    site: DyeSite
    months: list[MonthRow]  # newest first

    @property
    def outstanding(self) -> int:
        return sum(1 for month in self.months if not month.complete)


def dye_sites_with_months(*, account: ProgramAccount, today: date) -> list[SiteMonths]:
    """Every dye site of the account with each month it owes its reports (from its effective date to the last
    month ended, no later than its closure), newest first, and each report's latest version."""
    sites = list(DyeSite.objects.filter(account=account).select_related("location").order_by("name", "id"))
    latest: dict[tuple[int, int, date], DyeSiteReport] = {}
    for index, definition in enumerate(DYE_SITE_REPORTS):
        for report in definition.model.objects.filter(account=account).order_by("period_start", "version"):
            latest[(index, report.site_id, report.period_start)] = report  # the last version wins
    result = []
    for site in sites:
        months = []
        for period in reversed(
            periods_owed(effective_date=site.effective_date, closed_on=site.closed_on, today=today)
        ):
            due_on = dye_sites.due_on(period)
            found = tuple(
                latest.get((index, site.pk, period.start)) for index in range(len(DYE_SITE_REPORTS))
            )
            overdue = days_late(due_on=due_on, on=today) if any(report is None for report in found) else 0
            months.append(MonthRow(period=period, due_on=due_on, latest=found, days_overdue=overdue))
        result.append(SiteMonths(site=site, months=months))
    return result


def month_versions(
    *, site: DyeSite, period: Period
) -> list[tuple[FilingDefinition[Any], list[DyeSiteReport]]]:
    """Both reports of the site's month, each with every version filed, newest first."""
    return [
        (
            definition,
            list(
                definition.model.objects.filter(site=site, period_start=period.start)
                .prefetch_related(
                    Prefetch("lines", queryset=definition.line_model._default_manager.order_by("id"))
                )
                .order_by("-version")
            ),
        )
        for definition in DYE_SITE_REPORTS
    ]


def report_by_confirmation(*, account: ProgramAccount, confirmation_number: str) -> DyeSiteReport | None:
    """The account's dye site report with this confirmation number (either kind, by its prefix), or None."""
    number = confirmation_number.upper()
    for definition in DYE_SITE_REPORTS:
        if number.startswith(f"{definition.confirmation_prefix}-"):
            return (
                definition.model.objects.filter(account=account, confirmation_number=number)
                .select_related("account__taxpayer", "account__program", "site__location", "amends")
                .prefetch_related(
                    Prefetch("lines", queryset=definition.line_model._default_manager.order_by("id"))
                )
                .first()
            )
    return None
