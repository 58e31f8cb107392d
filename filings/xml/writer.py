"""Writing a return in the XML format, streaming (a schedule of a million transactions never sits in memory).

Used to build test files and the benchmark's 5 MB and 50 MB returns; the layout is the sample's.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import IO, NamedTuple
from xml.sax.saxutils import escape

from filings.xml.schema import NAMESPACE

COUNTERPARTY_KINDS = ("BIN", "Licence")


class XmlLine(NamedTuple):
    fuel: str
    category: str
    litres: str


class XmlTransaction(NamedTuple):
    date: str  # YYYY-MM-DD
    document_number: str
    counterparty: str  # "BIN 123456789" or "Licence FT-0042"
    fuel: str
    category: str
    litres: str


def write_return_xml(
    out: IO[bytes],
    *,
    account_number: str,
    period: str,
    lines: Iterable[XmlLine],
    transactions: Iterable[XmlTransaction] | None = None,
    software: str | None = None,
) -> None:
    def put(text: str) -> None:
        out.write(text.encode("utf-8"))

    put(f'<?xml version="1.0" encoding="UTF-8"?>\n<FuelTaxReturn xmlns="{NAMESPACE}">\n  <Header>\n')
    put(
        f"    <AccountNumber>{escape(account_number)}</AccountNumber>\n    <Period>{escape(period)}</Period>\n"
    )
    if software:
        put(f"    <Software>{escape(software)}</Software>\n")
    put("  </Header>\n  <Lines>\n")
    for line in lines:
        put(
            f"    <Line>\n      <Fuel>{escape(line.fuel)}</Fuel>\n      <Category>{escape(line.category)}</Category>\n"
            f"      <Litres>{escape(line.litres)}</Litres>\n    </Line>\n"
        )
    put("  </Lines>\n")
    if transactions is not None:
        put("  <Schedule>\n")
        for transaction in transactions:
            kind, _space, number = transaction.counterparty.partition(" ")
            if kind not in COUNTERPARTY_KINDS:
                raise ValueError(
                    f"a counterparty is identified by {' or '.join(COUNTERPARTY_KINDS)}, not {kind!r}"
                )
            put(
                f"    <Transaction>\n      <Date>{escape(transaction.date)}</Date>\n"
                f"      <DocumentNumber>{escape(transaction.document_number)}</DocumentNumber>\n"
                f"      <Counterparty><{kind}>{escape(number)}</{kind}></Counterparty>\n"
                f"      <Fuel>{escape(transaction.fuel)}</Fuel>\n      <Category>{escape(transaction.category)}</Category>\n"
                f"      <Litres>{escape(transaction.litres)}</Litres>\n    </Transaction>\n"
            )
        put("  </Schedule>\n")
    put("</FuelTaxReturn>\n")


def return_xml(**kwargs) -> bytes:
    """The whole file as bytes (for small files: tests)."""
    out = io.BytesIO()
    write_return_xml(out, **kwargs)
    return out.getvalue()
