"""Sample files for a seller (docs/marked-fuel-files.md): each record type in CSV and in XML, for the seller's own
account number, month and BFLOs, with the demo registry's numbers (programs/demo.py: F1000001 an active farmer,
T2000001 a county's TEFU), so a downloaded sample sent back as it is is accepted whole. The portal's download view
serves `sample_file`."""

from __future__ import annotations

import csv
import io
from datetime import date
from xml.sax.saxutils import escape

from filings.sales.formats import COLUMNS
from filings.sales.models import RecordType
from filings.sales.xml_format import ELEMENTS, NAMESPACE, column_element
from programs.models import ProgramAccount


def _locations(account: ProgramAccount) -> list[str]:
    numbers = list(
        account.bulk_fuel_locations.filter(active=True).order_by("number").values_list("number", flat=True)
    )
    return numbers or ["B0000000"]


def sample_rows(*, account: ProgramAccount, record_type: str, month: date) -> list[dict[str, str]]:
    """The sample's records, keyed by the CSV column names."""
    first, second = (_locations(account) * 2)[:2]
    day = f"{month:%Y-%m}"
    common = {"account_number": account.number, "month": day}
    if record_type == RecordType.SALES:
        sales = [
            ("05", "1001", "1", "F1000001", "marked_diesel", "1250.000", first),
            ("05", "1001", "2", "F1000001", "marked_gasoline", "200.500", first),
            ("12", "1002", "1", "T2000001", "marked_diesel", "3400.000", second),
            ("20", "1003", "1", "F1000001", "marked_diesel", "980.250", second),
        ]
        return [
            {
                **common,
                "record": "sale",
                "sale_date": f"{day}-{d}",
                "invoice_number": f"SAMPLE-{day}-{invoice}",
                "line": line,
                "exemption_number": number,
                "fuel": fuel,
                "litres": litres,
                "bflo_number": bflo,
            }
            for d, invoice, line, number, fuel, litres, bflo in sales
        ]
    if record_type == RecordType.MOVEMENTS:
        movements = [
            ("acquisition", "02", first, "30000.000", "Prairie Wholesale Fuels Ltd.", "123456789", ""),
            ("import", "09", second, "20000.000", "Saskatoon Bulk Fuel Inc.", "SK-44810", "SK"),
            ("disposition", "15", first, "5000.000", "Lacombe Co-op", "987654321", ""),
            ("export", "27", second, "2500.000", "Lloydminster Farm Supply", "SK-10422", "SK"),
        ]
        return [
            {
                **common,
                "record": "movement",
                "movement": kind,
                "movement_date": f"{day}-{d}",
                "bflo_number": bflo,
                "fuel": "marked_diesel",
                "litres": litres,
                "counterparty_name": name,
                "counterparty_number": number,
                "jurisdiction": where,
                "document_number": f"BOL-{day}-{n}",
            }
            for n, (kind, d, bflo, litres, name, number, where) in enumerate(movements, start=1)
        ]
    return [
        {**common, "count": "closing", "bflo_number": bflo, "fuel": fuel, "litres": litres}
        for bflo, fuel, litres in (
            (first, "marked_diesel", "18250.000"),
            (first, "marked_gasoline", "4100.000"),
            (second, "marked_diesel", "15020.000"),
        )
    ]


def sample_file(*, account: ProgramAccount, record_type: str, format: str, month: date) -> bytes:  # noqa: A002
    """A sample file of `record_type` ("sales", "movements", "inventory") as "csv" or "xml"."""
    rows = sample_rows(account=account, record_type=record_type, month=month)
    columns = COLUMNS[record_type]
    if format == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(columns)
        writer.writerows([row[column] for column in columns] for row in rows)
        return out.getvalue().encode()
    container, element = ELEMENTS[record_type]
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<MarkedFuelFile xmlns="{NAMESPACE}">',
        f"  <Header><AccountNumber>{escape(account.number)}</AccountNumber><Month>{month:%Y-%m}</Month>"
        f"<RecordType>{record_type}</RecordType></Header>",
        f"  <{container}>",
    ]
    for row in rows:
        values = "".join(
            f"<{column_element(c)}>{escape(row[c])}</{column_element(c)}>"
            for c in columns[2:]
            if row[c] or c != "jurisdiction"
        )
        lines.append(f"    <{element}>{values}</{element}>")
    lines += [f"  </{container}>", "</MarkedFuelFile>", ""]
    return "\n".join(lines).encode()


def sample_file_name(*, record_type: str, format: str, month: date) -> str:  # noqa: A002
    return f"marked-fuel-{record_type}-{month:%Y-%m}-sample.{format}"
