"""Reads of the exemption registry. One SQL definition of "is this number valid on this day, and for what"
(`eligibility_sql`) serves the seller's check of one number and, later, the check of every sale of a file on
its sale date in one statement (filings' ingestion joins its staging table the same way).

What each kind makes valid comes from programs/reference/exemptions.yaml (seed 002): an active AFFB allows
marked fuel and exempts it from the carbon levy; an active TEFU allows marked fuel, exempt from the levy only if
the same holder's carbon levy exemption certificate is active that day; a carbon levy exemption certificate
allows no marked fuel by itself and exempts only with the holder's TEFU active that day. No read here returns a
holder's name or address."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import connection
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils.translation import gettext_lazy as _

from programs import rates
from programs.models import ProgramAccount
from programs.registries import rules
from programs.registries.models import ExemptionCertificate, ExemptionStatusPeriod

VALID, UNKNOWN, NOT_YET_VALID, LAPSED, SUSPENDED, CANCELLED = (
    "valid",
    "unknown",
    "not_yet_valid",
    "lapsed",
    "suspended",
    "cancelled",
)
# Why a number is (not) valid on a day, in the words a seller reads (the check page, rejected sales).
OUTCOME_MESSAGES = {
    VALID: _("Valid on %(day)s."),
    UNKNOWN: _(
        "Not valid: %(number)s is not in the exemption registry. Check the number on the certificate."
    ),
    NOT_YET_VALID: _("Not valid on %(day)s: %(number)s was not valid yet on that date."),
    LAPSED: _("Not valid on %(day)s: the AFFB eligibility of %(number)s had ended (it was not renewed)."),
    SUSPENDED: _("Not valid on %(day)s: %(number)s was suspended on that date."),
    CANCELLED: _("Not valid on %(day)s: %(number)s was cancelled."),
}
# The marked-fuel rates' names in programs/rates/carbon_levy.yaml: the levy is in force on a day if either is.
_MARKED_FUELS = ("marked_gasoline", "marked_diesel")


def eligibility_sql(*, asked: str) -> str:
    """A SELECT of (key, kind, outcome, marked_fuel, carbon_levy_exempt) for each row of `asked`, a relation
    with columns (key, number, day): number in its stored form. Parameters: `eligibility_params()`.

    One status period covers a day at most (the exclusion constraint), found through its GiST index by
    `during @> day`; the carbon levy pairing is one EXISTS on the holder's other certificate that day."""
    # `asked` is a relation our own code names (a VALUES list, a staging table), never what someone typed.
    return f"""
        SELECT a.key, c.kind,
               CASE WHEN c.id IS NULL THEN '{UNKNOWN}'
                    WHEN p.status = 'active' THEN '{VALID}'
                    WHEN p.status IS NOT NULL THEN p.status
                    WHEN a.day < c.registered_on THEN '{NOT_YET_VALID}'
                    ELSE '{LAPSED}' END AS outcome,
               coalesce(p.status = 'active' AND c.kind = ANY(%(marked_fuel_kinds)s), false) AS marked_fuel,
               coalesce(p.status = 'active' AND c.kind = ANY(%(levy_kinds)s) AND (
                   (%(levy_needs)s::jsonb ->> c.kind) IS NULL
                   OR EXISTS (
                       SELECT 1 FROM programs_exemptioncertificate o
                       JOIN programs_exemptionstatusperiod op
                         ON op.certificate_id = o.id AND op.during @> a.day AND op.status = 'active'
                       WHERE o.holder_id = c.holder_id AND o.kind = (%(levy_needs)s::jsonb ->> c.kind))
               ), false) AS carbon_levy_exempt
        FROM {asked} a
        LEFT JOIN programs_exemptioncertificate c ON c.number = a.number
        LEFT JOIN programs_exemptionstatusperiod p ON p.certificate_id = c.id AND p.during @> a.day
    """  # noqa: S608


def eligibility_params() -> dict[str, Any]:
    kinds = rules.kinds().values()
    return {
        "marked_fuel_kinds": [k.kind for k in kinds if k.marked_fuel],
        "levy_kinds": [k.kind for k in kinds if k.carbon_levy_exemption],
        "levy_needs": json.dumps({k.kind: k.carbon_levy_needs for k in kinds if k.carbon_levy_needs}),
    }


def carbon_levy_in_force(*, day: date) -> bool:
    """Whether marked fuel bore the carbon levy on `day` (2017-01-01 to 2019-05-29; programs/rates)."""
    for fuel in _MARKED_FUELS:
        try:
            if rates.rate_on(tax="carbon_levy", fuel=fuel, day=day).in_force:
                return True
        except rates.RateNotFound:
            continue
    return False


@dataclass(frozen=True)
class Eligibility:
    """What a seller may know of a number on a day: never who holds it."""

    number: str
    day: date
    kind: str | None
    outcome: str
    marked_fuel: bool
    carbon_levy_exempt: bool
    carbon_levy_in_force: bool

    @property
    def valid(self) -> bool:
        return self.outcome == VALID

    @property
    def kind_label(self) -> str:
        return str(ExemptionCertificate.Kind(self.kind).label) if self.kind else ""

    @property
    def message(self) -> str:
        return str(OUTCOME_MESSAGES[self.outcome] % {"day": self.day.isoformat(), "number": self.number})


def eligibility_on(*, number: str, day: date) -> Eligibility:
    """The eligibility of one number (in its stored form: rules.number_normalize) on one day."""
    sql = eligibility_sql(
        asked="(SELECT * FROM (VALUES (1, %(number)s::text, %(day)s::date)) v(key, number, day))"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, {**eligibility_params(), "number": number, "day": day})
        _key, kind, outcome, marked_fuel, levy_exempt = cursor.fetchone()
    return Eligibility(
        number=number,
        day=day,
        kind=kind,
        outcome=outcome,
        marked_fuel=marked_fuel,
        carbon_levy_exempt=levy_exempt,
        carbon_levy_in_force=carbon_levy_in_force(day=day),
    )


def certificates_with_status(*, on: date) -> QuerySet[ExemptionCertificate]:
    """Certificates with their holder and `status_on` (the status of the period covering `on`, or None), for staff."""
    covering = ExemptionStatusPeriod.objects.filter(certificate=OuterRef("pk"), during__contains=on)
    return ExemptionCertificate.objects.select_related("holder").annotate(
        status_on=Subquery(covering.values("status")[:1])
    )


# The program whose accounts sell marked fuel (programs/reference/programs.yaml).
TEFS = "tefs"


def sells_marked_fuel(account: ProgramAccount) -> bool:
    """Whether the account may check AFFB/TEFU numbers: an open marked-fuel (TEFS) account."""
    return account.program.code == TEFS and account.is_active
