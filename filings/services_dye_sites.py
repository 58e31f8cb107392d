"""Writes of a dye site's monthly reports: filing and amending the Dye Stock Report (AT4984) and Litres Dyed
during the Month (AT366) of one site and month (filings/definitions/dye_sites.py).

`dye_report_submit` and `dye_report_amend` are the one door for the web form and the nil report, for both
reports: each checks the site and the month (the site's effective date and closure), computes with
filings/dye_sites.py, stores the report and its lines, and hands the rest (certification, filer, confirmation
number, access log, e-mail, PDF) to filings/skeleton/submission.py with the report's definition. One original
per site and month is the database's (`<code>_one_original_per_period`): a race's loser is told
`DyeReportAlreadyFiled`, carrying the winner's report.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.actors import Actor
from filings import dye_sites
from filings.definitions.dye_sites import DYE_STOCK_REPORT, LITRES_DYED_REPORT
from filings.dye_sites import DyedComputation, DyedInput, DyeFiguresError, StockComputation, StockInput
from filings.models_dye_sites import (
    DyeSiteReport,
    DyeStockAdjustment,
    DyeStockReport,
    LitresDyedLine,
    LitresDyedReport,
)
from filings.periods import Period
from filings.skeleton import submission
from filings.skeleton.definition import FilingDefinition
from filings.skeleton.errors import AlreadyFiled, FiguresInvalid, period_already_filed
from programs.models import DyeSite

Figures = StockInput | DyedInput
Computation = StockComputation | DyedComputation

NOT_A_DYE_SITE_OF_THE_ACCOUNT = _("This dye site is not one of account %(number)s's.")
PERIOD_NOT_ENDED = _("The month %(period)s has not ended yet. You can file its report from %(first_day)s.")
BEFORE_SITE = _("No report is owed for %(period)s: the dye site was approved from %(effective)s.")
AFTER_CLOSURE = _("No report is owed for %(period)s: the dye site closed on %(closed)s.")
PERIOD_REFUSALS = submission.PeriodRefusals(
    not_ended=PERIOD_NOT_ENDED, before_account=BEFORE_SITE, after_closure=AFTER_CLOSURE
)
ALREADY_FILED = _(
    "This report for %(period)s was already filed (confirmation number %(confirmation)s). "
    "You can file an amended report instead."
)
AMENDED_MEANWHILE = _(
    "The report for %(period)s was amended after you started this amendment. Nothing new was stored: review the "
    "latest version and amend it again if needed."
)


class DyeReportAlreadyFiled(AlreadyFiled[DyeSiteReport]):
    def __init__(self, existing: DyeSiteReport):
        super().__init__(existing, period_already_filed(existing, ALREADY_FILED))


DyeReportInvalid = FiguresInvalid  # the figures refused, by the form's field


def site_period_check(*, site: DyeSite, period: Period, today: date) -> None:
    """ValidationError unless `site` owes its reports for `period` and they may be filed `today`: the month has
    ended and lies between the site's effective date (its approval) and its closure."""
    submission.span_open_check(
        effective_date=site.effective_date,
        closed_on=site.closed_on,
        period=period,
        today=today,
        refusals=PERIOD_REFUSALS,
    )


def _model(definition: FilingDefinition[Any]) -> Any:
    """The report's model (the definition's, typed loosely: the two reports' concrete models share no manager
    type)."""
    return definition.model


def latest_version(
    *, definition: FilingDefinition[Any], site: DyeSite, period: Period
) -> DyeSiteReport | None:
    """The latest version of the site's report of `period`, or None when none is filed."""
    return (
        _model(definition).objects.filter(site=site, period_start=period.start).order_by("-version").first()
    )


def stock_report_used(*, site: DyeSite, period: Period) -> Decimal | None:
    """The concentrate used on the site's latest Dye Stock Report of `period` (None: not filed)."""
    report = latest_version(definition=DYE_STOCK_REPORT, site=site, period=period)
    return cast(DyeStockReport, report).used if report is not None else None


def _compute(
    *, definition: FilingDefinition[Any], site: DyeSite, period: Period, figures: Figures
) -> Computation:
    try:
        if definition is DYE_STOCK_REPORT:
            return dye_sites.stock_compute(period=period, stock=cast(StockInput, figures))
        return dye_sites.dyed_compute(
            period=period,
            dyed=cast(DyedInput, figures),
            stock_report_used=stock_report_used(site=site, period=period),
        )
    except DyeFiguresError as error:
        raise DyeReportInvalid(error.errors) from error


def dye_report_preview(
    *,
    definition: FilingDefinition[Any],
    site: DyeSite,
    period: Period,
    figures: Figures,
    today: date | None = None,
) -> Computation:
    """Check and compute without storing (the review page): raises ValidationError for the month and
    DyeReportInvalid for the figures, as the submission would."""
    site_period_check(site=site, period=period, today=today or timezone.localdate())
    return _compute(definition=definition, site=site, period=period, figures=figures)


@dataclass(frozen=True)
class _Stored:
    columns: dict[str, object]
    lines: list[models.Model]


def _stored_figures(computation: Computation) -> _Stored:
    """The report's own columns and its lines (the adjustment with its reason; the litres by fuel)."""
    if isinstance(computation, StockComputation):
        adjustments: list[models.Model] = (
            [DyeStockAdjustment(litres=computation.adjustment, reason=computation.adjustment_reason)]
            if computation.adjustment
            else []
        )
        return _Stored(
            columns={
                "opening": computation.opening,
                "received": computation.received,
                "used": computation.used,
                "adjustment": computation.adjustment,
                "closing_computed": computation.closing_computed,
                "closing_reported": computation.closing_reported,
            },
            lines=adjustments,
        )
    return _Stored(
        columns={
            "litres_total": computation.litres_total,
            "concentrate_used": computation.concentrate_used,
            "stock_report_used": computation.stock_report_used,
        },
        lines=[LitresDyedLine(fuel=line.fuel, litres=line.litres) for line in computation.lines],
    )


def _store(
    *,
    definition: FilingDefinition[Any],
    site: DyeSite,
    computation: Computation,
    kind: str,
    version: int,
    amends: DyeSiteReport | None,
    certified_name: str,
    certified_capacity: str,
    actor: Actor,
) -> DyeSiteReport:
    period = computation.period
    filer = submission.filer(actor, definition=definition)
    figures = _stored_figures(computation)

    def store(confirmation_number: str) -> DyeSiteReport:
        report = _model(definition)(
            account=site.account,
            site=site,
            period_start=period.start,
            period_end=period.end,
            kind=kind,
            version=version,
            amends=amends,
            due_on=dye_sites.due_on(period),
            **submission.filing_columns(
                confirmation_number=confirmation_number,
                filer=filer,
                actor=actor,
                certified_name=certified_name,
                certified_capacity=certified_capacity,
            ),
            **figures.columns,
        )
        report.full_clean(validate_unique=False, validate_constraints=False)  # the database's, race-free
        report.save()
        for line in figures.lines:
            line.report = report  # type: ignore[attr-defined]
        definition.line_model._default_manager.bulk_create(figures.lines)
        return report

    return submission.stored_with_fresh_confirmation(
        store, definition=definition, dated=period.start, constraint=definition.confirmation_constraint
    )


@transaction.atomic
def dye_report_submit(
    *,
    definition: FilingDefinition[Any],
    site: DyeSite,
    period: Period,
    figures: Figures,
    certified_name: str,
    certified_capacity: str,
    actor: Actor,
) -> DyeSiteReport:
    """File the original report (`definition`: DYE_STOCK_REPORT or LITRES_DYED_REPORT) of `site` for `period`, by
    `actor`. Every figure zero: a nil report. Raises ValidationError (month, certification), DyeReportInvalid
    (figures, by field) or DyeReportAlreadyFiled."""
    site_period_check(site=site, period=period, today=timezone.localdate())
    submission.certification_check(
        definition=definition, certified_name=certified_name, certified_capacity=certified_capacity
    )
    computation = _compute(definition=definition, site=site, period=period, figures=figures)
    originals = _model(definition).objects.filter(site=site, period_start=period.start, kind="original")
    existing = originals.first()
    if existing is not None:
        raise DyeReportAlreadyFiled(existing)
    try:
        report = _store(
            definition=definition,
            site=site,
            computation=computation,
            kind="original",
            version=1,
            amends=None,
            certified_name=certified_name,
            certified_capacity=certified_capacity,
            actor=actor,
        )
    except IntegrityError as error:  # another request filed this month between our check and our insert
        if submission.violated_constraint(error) not in (
            f"{definition.code}_one_original_per_period",
            f"{definition.code}_unique_version",
        ):
            raise
        raise DyeReportAlreadyFiled(originals.get()) from error
    submission.filing_record(definition=definition, filing=report, actor=actor)
    return report


@transaction.atomic
def dye_report_amend(
    *,
    definition: FilingDefinition[Any],
    original: DyeSiteReport,
    figures: Figures,
    certified_name: str,
    certified_capacity: str,
    actor: Actor,
    replaces_version: int | None = None,
) -> DyeSiteReport:
    """File an amended report for the site and month of `original` (any version): the whole corrected report, a
    new version. Refused with AMENDED_MEANWHILE when the latest version is no longer `replaces_version`."""
    if original.amends is not None:
        original = cast(DyeSiteReport, original.amends)
    site, period = original.site, original.period
    submission.certification_check(
        definition=definition, certified_name=certified_name, certified_capacity=certified_capacity
    )
    computation = _compute(definition=definition, site=site, period=period, figures=figures)
    latest = (
        _model(definition)
        .objects.filter(site=site, period_start=period.start)
        .aggregate(latest=Max("version"))["latest"]
    )
    meanwhile = ValidationError(AMENDED_MEANWHILE % {"period": period.label}, code="amended_meanwhile")
    if replaces_version is not None and replaces_version != latest:
        raise meanwhile
    try:
        report = _store(
            definition=definition,
            site=site,
            computation=computation,
            kind="amended",
            version=latest + 1,
            amends=original,
            certified_name=certified_name,
            certified_capacity=certified_capacity,
            actor=actor,
        )
    except IntegrityError as error:
        if submission.violated_constraint(error) != f"{definition.code}_unique_version":
            raise
        raise meanwhile from error
    submission.filing_record(definition=definition, filing=report, actor=actor, amended=True)
    return report


DEFINITIONS_BY_SLUG: dict[str, FilingDefinition[Any]] = {
    "stock": DYE_STOCK_REPORT,
    "litres-dyed": LITRES_DYED_REPORT,
}
REPORT_MODELS: tuple[type[DyeSiteReport], ...] = (DyeStockReport, LitresDyedReport)


def definition_of_report(report: DyeSiteReport) -> FilingDefinition[Any]:
    """The definition `report` was filed under."""
    return DYE_STOCK_REPORT if isinstance(report, DyeStockReport) else LITRES_DYED_REPORT
