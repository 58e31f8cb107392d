"""Every filing TRACS takes, as a definition (filings/skeleton/definition.py): a plain tuple, no registry.

A new return-like program adds its module here and its constant to DEFINITIONS
(docs/adr/0015-one-filing-skeleton.md, "Adding a return-like program").
"""

from __future__ import annotations

from typing import Any

from filings.definitions.claims import (
    CARBON_LEVY_INDIAN,
    CARBON_LEVY_VENDOR,
    CLAIMS,
    FUEL_TAX_REFUND,
    INVENTORY_DECLARATION,
    PROP_CLAIM,
)
from filings.definitions.fuel_tax import FUEL_TAX_RETURN
from filings.definitions.marked_fuel import MARKED_FUEL_REPORT
from filings.models import Claim
from filings.skeleton.definition import FilingDefinition
from filings.skeleton.models import Filing

DEFINITIONS: tuple[FilingDefinition[Any], ...] = (
    FUEL_TAX_RETURN,
    FUEL_TAX_REFUND,
    CARBON_LEVY_VENDOR,
    CARBON_LEVY_INDIAN,
    INVENTORY_DECLARATION,
    PROP_CLAIM,
    MARKED_FUEL_REPORT,
)


def definition_of(filing: Filing) -> FilingDefinition[Any]:
    """The definition `filing` was filed under (by its model and, for claims, its kind)."""
    for definition in DEFINITIONS:
        if definition.files(filing):
            return definition
    raise LookupError(f"no filing definition for {type(filing).__name__} {filing.pk}")


def claim_definition(kind: str) -> FilingDefinition[Claim]:
    """The definition of a kind of claim (filings.models.Claim.Kind)."""
    for definition in CLAIMS:
        if definition.kind == kind:
            return definition
    raise LookupError(f"not a kind of claim: {kind!r}")
