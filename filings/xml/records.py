"""What reading a return file yields: its records (the Header, each Line, each Transaction) and its errors.

Kept apart from the reader (filings/xml/parser.py) because the validator, the forms and the pages use these
values without reading a file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

MAX_ERRORS_LISTED = 1000
MAX_MESSAGE_LENGTH = 300  # an error quotes the value at fault; a hostile value must not fill the page


def megabytes(size: int) -> str:
    """1048576 -> "1 MB", 157286400 -> "150 MB", 2500 -> "2.4 KB"."""
    if size >= 1024 * 1024:
        value, unit = size / (1024 * 1024), "MB"
    else:
        value, unit = size / 1024, "KB"
    return f"{value:,.1f}".removesuffix(".0") + f" {unit}"


@dataclass(frozen=True)
class XmlError:
    """One problem in a file: the line it is on (None: the whole file), the element's path, the message."""

    line: int | None
    path: str
    message: str


@dataclass
class ErrorList:
    """The first `limit` errors in file order, and how many there are in all."""

    limit: int = MAX_ERRORS_LISTED
    items: list[XmlError] = field(default_factory=list)
    count: int = 0

    def add(self, line: int | None, path: str, message) -> None:
        self.count += 1
        if len(self.items) < self.limit:
            text = str(message)
            if len(text) > MAX_MESSAGE_LENGTH:
                text = text[: MAX_MESSAGE_LENGTH - 1] + "…"
            self.items.append(XmlError(line=line, path=path, message=text))

    @property
    def truncated(self) -> bool:
        return self.count > len(self.items)

    def __bool__(self) -> bool:
        return self.count > 0


class HeaderRecord(NamedTuple):
    account_number: str
    period: str  # YYYY-MM, as the XSD requires
    software: str
    line: int
    account_number_line: int
    period_line: int


class LineRecord(NamedTuple):
    index: int  # type: ignore[assignment]  # 1-based position among the Lines (shadows tuple.index, unused)
    line: int
    fuel: str
    category: str
    litres: str  # as written: the service parses it (programs.money), as it parses the web form's text


class TransactionRecord(NamedTuple):
    index: int  # type: ignore[assignment]  # 1-based position among the Transactions
    line: int
    date: str  # YYYY-MM-DD
    document_number: str
    counterparty: str  # "BIN 123456789" or "Licence FT-1234"
    fuel: str
    category: str
    litres: str


Record = HeaderRecord | LineRecord | TransactionRecord

HEADER_PATH = "/FuelTaxReturn/Header"
LINE_PATH = "/FuelTaxReturn/Lines/Line[%d]"
TRANSACTION_PATH = "/FuelTaxReturn/Schedule/Transaction[%d]"
