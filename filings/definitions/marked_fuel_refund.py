"""The automatic carbon levy refund to marked-fuel sellers as a kind of claim (seed 002, "How to get a refund":
"Fuel sellers will automatically receive a refund of carbon levy for marked fuel sold to eligible farmers ...
every 2 weeks ... for the sales transactions entered and processed during that claim period").

A definition on the one claims' skeleton, not new flow: the claim is one row of filings.models.Claim (kind
`marked_fuel_refund`), its lines ClaimLines, assessed, credited and refunded by the services every claim uses.
What is its own:

- **its periods**, dated data (filings/rules/marked_fuel_refund.yaml): 14 days counted from an anchor date, which
  TRA does not publish (docs/adr/0022: ours is marked unverified);
- **its filer**: TRACS itself (assessments/cycles/ files it; no person may, so it is not among the kinds a person
  files: filings.claims.KINDS_BY_PROGRAM);
- **its line**: litres of one marked fuel at the carbon levy rate in force on the date of the sales behind it
  (one line per fuel and rate, its date of purchase the first sale's). No claim window applies: TRA pays it of
  its own motion for the sales it processed in the period, so the carbon levy claimants' 4-year window is shown
  on the line (`deadline`) but not enforced.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import yaml
from django.utils.translation import gettext_lazy as _

from filings import claim_rules
from filings.claim_rules import RuleDataError
from filings.definitions.claims import _claim
from filings.models import Claim
from filings.periods import Period, PeriodKind, PeriodRule

RULES_FILE = Path(__file__).resolve().parent.parent / "rules" / "marked_fuel_refund.yaml"
TEFS = "tefs"

SYSTEM_FILER = _("TRACS (automatic refund every 2 weeks)")
SYSTEM_CAPACITY = _("Tax and Revenue Administration")


@dataclass(frozen=True)
class PeriodEntry:
    effective_from: date
    rule: PeriodRule
    source: str
    verified: bool


def _parse(path: Path) -> tuple[PeriodEntry, ...]:
    data = yaml.safe_load(path.read_text())
    try:
        references, items = data["references"], data["periods"]
    except (KeyError, TypeError) as error:
        raise RuleDataError(f"{path.name}: missing {error}") from error
    entries = []
    for item in items:
        where = f"{path.name}: {item.get('from')}"
        if not isinstance(item.get("from"), date) or not isinstance(item.get("anchor"), date):
            raise RuleDataError(f"{where}: `from` and `anchor` must be dates")
        if item.get("days") != 14:
            raise RuleDataError(f"{where}: a claim period is 14 days (seed 002: every 2 weeks)")
        if item.get("source") not in references:
            raise RuleDataError(f"{where}: source {item.get('source')!r} is not in references")
        entries.append(
            PeriodEntry(
                effective_from=item["from"],
                rule=PeriodRule(PeriodKind.BIWEEKLY, anchor=item["anchor"]),
                source=references[item["source"]],
                verified=item.get("verified", True) is not False,
            )
        )
    dates = [entry.effective_from for entry in entries]
    if not entries or dates != sorted(dates) or len(set(dates)) != len(dates):
        raise RuleDataError(f"{path.name}: periods must be given, with strictly increasing dates")
    return tuple(entries)


@functools.cache
def period_entries() -> tuple[PeriodEntry, ...]:
    return _parse(RULES_FILE)


def period_rule_on(day: date) -> PeriodRule:
    """The claim periods in force for sales processed on `day` (the first entry's before it)."""
    applicable = period_entries()[0]
    for entry in period_entries():
        if entry.effective_from > day:
            break
        applicable = entry
    return applicable.rule


def claim_period_of(day: date) -> Period:
    """The claim period containing `day` (a sale processed that day counts in it): with the anchor 2017-01-02,
    2018-03-14 -> 2018-03-12..2018-03-25."""
    return period_rule_on(day).of(day)


def claim_period_check(period: Period) -> Period:
    """`period` if it is one of the claim periods, else ValueError saying why."""
    return period_rule_on(period.start).check(period)


def validate_all() -> None:
    period_entries()


MARKED_FUEL_REFUND = replace(
    _claim(kind=Claim.Kind.MARKED_FUEL_REFUND, program=TEFS, prefix="MR"),
    periods=period_entries()[0].rule,
    # Rendered the first time it is asked for (filings/documents.py): the cycle files thousands at once.
    confirmation_pdf_on_submit=False,
    item=claim_rules.ITEM_CLAIM,
)
