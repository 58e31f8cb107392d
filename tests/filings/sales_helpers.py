"""What the marked-fuel ingestion's tests share (and tefs-forms' and tefs-doors' may): a TEFS seller with two
BFLOs, the registry of tests/programs/registry_helpers.py, and CSV files built from rows."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from filings.sales.formats import COLUMNS
from programs.models import BulkFuelLocation, ProgramAccount
from tests.consent.factories import ProgramAccountFactory
from tests.programs.registry_helpers import registry

MONTH = "2026-10"
OCTOBER = date(2026, 10, 1)


def seller(**fields) -> ProgramAccount:
    """A marked-fuel seller (TEFS) with BFLOs B100001 (Lacombe) and B100002 (Ponoka), and an inactive B100003."""
    account: ProgramAccount = ProgramAccountFactory(program="tefs", **fields)  # type: ignore[assignment]
    for number, name, active in (
        ("B100001", "Lacombe", True),
        ("B100002", "Ponoka", True),
        ("B100003", "Old", False),
    ):
        BulkFuelLocation.objects.create(
            account=account,
            number=f"{number}{account.pk}",
            name=name,
            address=f"1 Main St, {name}",
            active=active,
        )
    return account


def registered_seller() -> ProgramAccount:
    """The registry of tests/programs/registry_helpers.py and a seller."""
    registry()
    return seller()


def bflo(account: ProgramAccount, n: int = 1) -> str:
    return f"B10000{n}{account.pk}"


def sale_row(
    account: ProgramAccount, invoice: str = "INV-1", line: int | str = 1, **values
) -> dict[str, str]:
    row = {
        "account_number": account.number,
        "month": MONTH,
        "record": "sale",
        "sale_date": f"{MONTH}-15",
        "invoice_number": invoice,
        "line": str(line),
        "exemption_number": "F1000001",
        "fuel": "marked_diesel",
        "litres": "1000.5",
        "bflo_number": bflo(account),
    }
    row.update({key: str(value) for key, value in values.items()})
    return row


def movement_row(account: ProgramAccount, document: str = "BOL-1", **values) -> dict[str, str]:
    row = {
        "account_number": account.number,
        "month": MONTH,
        "record": "movement",
        "movement": "acquisition",
        "movement_date": f"{MONTH}-03",
        "bflo_number": bflo(account),
        "fuel": "marked_diesel",
        "litres": "30000",
        "counterparty_name": "Prairie Wholesale Ltd.",
        "counterparty_number": "123456789",
        "jurisdiction": "",
        "document_number": document,
    }
    row.update({key: str(value) for key, value in values.items()})
    return row


def inventory_row(account: ProgramAccount, **values) -> dict[str, str]:
    row = {
        "account_number": account.number,
        "month": MONTH,
        "count": "closing",
        "bflo_number": bflo(account),
        "fuel": "marked_diesel",
        "litres": "12000",
    }
    row.update({key: str(value) for key, value in values.items()})
    return row


def csv_bytes(record_type: str, rows: Iterable[dict[str, str]], header: Iterable[str] | None = None) -> bytes:
    columns = list(header or COLUMNS[record_type])
    lines = [",".join(columns)]
    lines += [",".join(row.get(column, "") for column in columns) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode()


def web_row(row: dict[str, str]) -> dict[str, str]:
    """A file row as the web forms pass it (without account_number and month)."""
    return {key: value for key, value in row.items() if key not in ("account_number", "month")}
