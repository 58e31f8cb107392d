"""The marked-fuel XML format (docs/marked-fuel-files.md; XSD filings/sales/schema/marked-fuel-1.xsd): read in one
streaming pass with the hostile-XML protections of the return upload (filings/xml/parser.py): a DOCTYPE is
refused before anything is parsed, lxml never loads a DTD, resolves an entity or touches the network, and
`huge_tree` stays off (libxml2 keeps its limits on depth and text size).

The XSD fixes the structure (a Header, then one container of one record type) and lxml validates the whole
document against it while it streams (`iterparse(schema=)`, in C). Values are text in the XSD and checked row by
row in SQL like a CSV file's, so a wrong date or litres names its record's line and field instead of refusing the
file. Each record is cleared once read, so memory holds one record whatever the size of the file."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.utils.translation import gettext_lazy as _
from lxml import etree

from filings.sales.formats import COLUMNS, FileRefused
from filings.sales.models import RecordType
from filings.xml.parser import _encoding_problem

NAMESPACE = "urn:ab:tra:tracs:markedfuel:1"
SCHEMA_DIR = Path(__file__).resolve().parent / "schema"
XSD_NAME = "marked-fuel-1.xsd"
XSD_PATH = SCHEMA_DIR / XSD_NAME
# record type -> (its container, its record element)
ELEMENTS: dict[str, tuple[str, str]] = {
    RecordType.SALES: ("Sales", "Sale"),
    RecordType.MOVEMENTS: ("FuelMovements", "FuelMovement"),
    RecordType.INVENTORY: ("InventoryCounts", "InventoryCount"),
}
HEADER_FIELDS = ("AccountNumber", "Month", "RecordType")

DOCTYPE_REFUSED = _(
    "The file contains a DOCTYPE declaration. TRACS refuses DTDs and entities, which can make a file read other "
    "files or expand without limit: remove the DOCTYPE and any entity references (&name;)."
)
NOT_UTF8_DECLARED = _("The file declares the encoding %(encoding)s: save it as UTF-8 and send it again.")
NOT_WELL_FORMED = _("The file is not well-formed XML: %(detail)s.")
NOT_A_FILE = _(
    'The file is not a TRACS marked-fuel file: it must start with <MarkedFuelFile xmlns="%(namespace)s"> and its '
    "Header (AccountNumber, Month, RecordType), then the records in <%(container)s>."
)
SCHEMA_INVALID = _(
    "The file does not follow the marked-fuel XML schema (after line %(line)s): %(detail)s. Check it against "
    "marked-fuel-1.xsd."
)


def column_element(column: str) -> str:
    """`sale_date` -> `SaleDate`: a CSV column's element."""
    return "".join(part.capitalize() for part in column.split("_"))


def _tag(local: str) -> str:
    return f"{{{NAMESPACE}}}{local}"


@functools.cache
def xml_schema() -> etree.XMLSchema:
    return etree.XMLSchema(
        etree.parse(str(XSD_PATH), etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False))
    )


def _detail(error: etree.XMLSyntaxError) -> str:
    return (error.msg or str(error)).split(", line ")[0].replace(f"{{{NAMESPACE}}}", "").strip().rstrip(".")


def head_check(*, head: str, path: Path) -> tuple[str, str, str]:
    """(account number, month, record type) from the file's Header, reading only its start; or FileRefused."""
    encoding = _encoding_problem(head[:200].encode())
    if encoding:
        raise FileRefused(str(NOT_UTF8_DECLARED % {"encoding": encoding}))
    if "<!DOCTYPE" in head or "<!ENTITY" in head:
        raise FileRefused(str(DOCTYPE_REFUSED))
    header: dict[str, str] = {}
    root: str | None = None
    container: str | None = None
    try:
        for event, element in etree.iterparse(
            str(path),
            events=("start", "end"),
            remove_comments=True,
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            huge_tree=False,
        ):
            tag = str(element.tag)
            parent = element.getparent()
            parent_tag = str(parent.tag) if parent is not None else None
            if root is None:
                root = tag
            elif event == "end" and parent_tag == _tag("Header"):
                header[tag.rpartition("}")[2]] = (element.text or "").strip()
            elif event == "start" and parent_tag == root and tag != _tag("Header"):
                container = tag.rpartition("}")[2]
                break
    except etree.XMLSyntaxError as error:  # before the first record: reading stops at the container's start
        raise FileRefused(str(NOT_WELL_FORMED % {"detail": _detail(error)})) from None
    record_type = header.get("RecordType", "")
    expected = ELEMENTS.get(record_type, ("Sales", ""))[0]
    if root != _tag("MarkedFuelFile") or set(header) != set(HEADER_FIELDS) or container != expected:
        raise FileRefused(str(NOT_A_FILE % {"namespace": NAMESPACE, "container": expected}))
    return header["AccountNumber"], header["Month"], record_type


def xml_rows(*, path: Path, record_type: str, account_number: str, month: str) -> Iterator[tuple[Any, ...]]:
    """(line of the record, number of values, the values in CSV column order) for each record, streaming."""
    columns = COLUMNS[record_type][2:]
    tags = [_tag(column_element(column)) for column in columns]
    expected = len(COLUMNS[record_type])
    line = 1
    try:
        for _event, record in etree.iterparse(
            str(path),
            events=("end",),
            tag=_tag(ELEMENTS[record_type][1]),
            schema=xml_schema(),
            remove_comments=True,
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            huge_tree=False,
        ):
            # The record's line; records sharing a line (a file written without line breaks) take the next
            # numbers, so each row keeps a number of its own (the staging table's key).
            line = max(record.sourceline or line, line + 1)
            values = {child.tag: child.text or "" for child in record}
            yield (line, expected, account_number, month, *(values.get(tag, "") for tag in tags))
            record.clear()
            parent = record.getparent()
            while parent is not None and record.getprevious() is not None:
                del parent[0]
    except etree.XMLSyntaxError as error:
        raise FileRefused(str(SCHEMA_INVALID % {"line": line, "detail": _detail(error)})) from None
