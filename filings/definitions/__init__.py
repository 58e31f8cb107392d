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
from filings.definitions.dye_sites import DYE_STOCK_REPORT, LITRES_DYED_REPORT
from filings.definitions.fuel_tax import FUEL_TAX_RETURN
from filings.definitions.marked_fuel import MARKED_FUEL_REPORT
from filings.definitions.marked_fuel_refund import MARKED_FUEL_REFUND
from filings.definitions.tourism_levy import TOURISM_LEVY_RETURN
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
    TOURISM_LEVY_RETURN,
    MARKED_FUEL_REFUND,
    DYE_STOCK_REPORT,
    LITRES_DYED_REPORT,
)


def definition_of(filing: Filing) -> FilingDefinition[Any]:
    """The definition `filing` was filed under (by its model and, for claims, its kind)."""
    for definition in DEFINITIONS:
        if definition.files(filing):
            return definition
    raise LookupError(f"no filing definition for {type(filing).__name__} {filing.pk}")


def claim_definition(kind: str) -> FilingDefinition[Claim]:
    """The definition of a kind of claim (filings.models.Claim.Kind)."""
    for definition in (*CLAIMS, MARKED_FUEL_REFUND):  # the last filed by TRACS itself
        if definition.kind == kind:
            return definition
    raise LookupError(f"not a kind of claim: {kind!r}")


def return_definition_for(program: str) -> FilingDefinition[Any] | None:
    """The return a program's accounts owe for every period and file on File a Return's pages (a definition
    with a due date and its pages' `url_prefix`), or None. The marked-fuel monthly report is due every month
    too, but its figures are the month's sales and it has its own pages (filings/sales/views_report.py)."""
    return next(
        (d for d in DEFINITIONS if d.program == program and d.due_date is not None and d.url_prefix), None
    )


def definitions_for(program: str) -> list[FilingDefinition[Any]]:
    """Every definition a program's accounts file under, in DEFINITIONS' order."""
    return [definition for definition in DEFINITIONS if definition.program == program]
