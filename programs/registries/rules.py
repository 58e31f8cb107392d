"""The registry's rules as data: the number formats that tell an AFFB number from a TEFU or carbon levy exemption
certificate number, and how long a grant or renewal of each kind lasts (programs/reference/exemptions.yaml).

Number formats: the seed pages give none, so these are TRACS's own and unverified against TRA's real numbers
(docs/adr/0018-exemption-registry.md): AFFB `F` + 7 digits, TEFU `T` + 7 digits, carbon levy exemption
certificate `CL` + 7 digits. What people type is read without spaces or hyphens and in capitals."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

EXEMPTIONS_FILE = Path(__file__).resolve().parent.parent / "reference" / "exemptions.yaml"

AFFB, TEFU, CARBON_LEVY = "affb", "tefu", "carbon_levy"
# kind -> the stored form of its numbers; the database checks the same patterns (ExemptionCertificate.Meta).
NUMBER_PATTERNS: dict[str, str] = {AFFB: r"^F[0-9]{7}$", TEFU: r"^T[0-9]{7}$", CARBON_LEVY: r"^CL[0-9]{7}$"}
NUMBER_EXAMPLES: dict[str, str] = {AFFB: "F1234567", TEFU: "T1234567", CARBON_LEVY: "CL1234567"}

NUMBER_MALFORMED = _(
    "Enter an AFFB number (F and 7 digits, like F1234567), a TEFU certificate number (T and 7 digits, like "
    "T1234567) or a carbon levy exemption certificate number (CL and 7 digits, like CL1234567)."
)


class ExemptionDataError(Exception):
    """programs/reference/exemptions.yaml is malformed; raised at start-up."""


def number_normalize(typed: str) -> str:
    """` f-123 4567 ` -> `F1234567`: the stored form of a number, or ValidationError(NUMBER_MALFORMED)."""
    number = re.sub(r"[\s-]", "", typed or "").upper()
    if number_kind(number) is None:
        raise ValidationError(NUMBER_MALFORMED, code="number_malformed")
    return number


def number_kind(number: str) -> str | None:
    """The kind of a number in its stored form, or None if it has none of the formats."""
    for kind, pattern in NUMBER_PATTERNS.items():
        if re.fullmatch(pattern, number):
            return kind
    return None


@dataclass(frozen=True)
class Term:
    effective_from: date
    years: int | None  # None: no expiry
    source: str


@dataclass(frozen=True)
class KindRules:
    kind: str
    marked_fuel: bool
    carbon_levy_exemption: bool
    carbon_levy_needs: (
        str | None
    )  # the kind the same holder must also hold, valid that day, for the exemption
    terms: tuple[Term, ...]  # by effective_from


@functools.cache
def kinds() -> dict[str, KindRules]:
    data = yaml.safe_load(EXEMPTIONS_FILE.read_text())
    references = data["references"]
    result = {}
    for kind, spec in data["kinds"].items():
        if kind not in NUMBER_PATTERNS:
            raise ExemptionDataError(f"{EXEMPTIONS_FILE.name}: unknown kind {kind!r}")
        terms = []
        for item in spec["terms"]:
            if not isinstance(item["from"], date) or item.get("source") not in references:
                raise ExemptionDataError(
                    f"{EXEMPTIONS_FILE.name}: {kind}: each term needs a date and a source"
                )
            years = item.get("years")
            if years is not None and (not isinstance(years, int) or years < 1):
                raise ExemptionDataError(
                    f"{EXEMPTIONS_FILE.name}: {kind}: years must be a whole number or null"
                )
            terms.append(Term(item["from"], years, references[item["source"]]))
        if [t.effective_from for t in terms] != sorted({t.effective_from for t in terms}):
            raise ExemptionDataError(
                f"{EXEMPTIONS_FILE.name}: {kind}: term dates must be strictly increasing"
            )
        needs = spec.get("carbon_levy_needs")
        if needs is not None and needs not in NUMBER_PATTERNS:
            raise ExemptionDataError(f"{EXEMPTIONS_FILE.name}: {kind}: carbon_levy_needs names no kind")
        result[kind] = KindRules(
            kind, bool(spec["marked_fuel"]), bool(spec["carbon_levy_exemption"]), needs, tuple(terms)
        )
    if set(result) != set(NUMBER_PATTERNS):
        raise ExemptionDataError(f"{EXEMPTIONS_FILE.name}: every kind needs its rules")
    return result


def term_years(*, kind: str, granted_on: date) -> int | None:
    """Years a grant (or an AFFB renewal) made on `granted_on` lasts; None: no expiry."""
    applicable = None
    for term in kinds()[kind].terms:
        if term.effective_from > granted_on:
            break
        applicable = term
    return applicable.years if applicable is not None else None


def add_years(day: date, years: int) -> date:
    """`day` `years` later; 29 February becomes 1 March in a year without one (the day after 28 February, so
    a 3-year AFFB term granted on 2024-02-29 runs through 2027-02-28)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return date(day.year + years, 3, 1)


def eligible_until(*, kind: str, granted_on: date) -> date | None:
    """The first day a grant made on `granted_on` no longer covers (exclusive end), or None: no expiry."""
    years = term_years(kind=kind, granted_on=granted_on)
    return add_years(granted_on, years) if years is not None else None
