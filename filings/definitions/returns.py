"""What every period's return says of itself in its e-mail, on its pages and in the access log, whatever its
program (fuel tax, the tourism levy): the definitions' `email_facts`, `description` and `access_log_detail`.

A return here is any filing with a period, versions (`kind` original or amended) and a `total_tax` (what it
says is payable)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from programs import money

AMENDED = "amended"


def return_email_facts(tax_return: Any) -> Mapping[str, str]:
    return {
        "article": "An amended" if tax_return.kind == AMENDED else "A",
        "period": tax_return.period.label,
        "total": money.format_money(tax_return.total_tax),
    }


def return_description(noun: str) -> Callable[[Any], str]:
    """ "fuel tax return for June 2021", "... (version 2)" for an amendment."""

    def described(tax_return: Any) -> str:
        label = f"{noun} for {tax_return.period.label}"
        return f"{label} (version {tax_return.version})" if tax_return.version > 1 else label

    return described


def return_access_log_detail(tax_return: Any) -> str:
    return (
        f"{tax_return.confirmation_number} period {tax_return.period.key} version {tax_return.version} "
        f"total {money.format_money(tax_return.total_tax)}"
    )
