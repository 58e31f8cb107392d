"""The published XML format of a fuel tax return: its namespace, its XSD and its sample file.

The XSD and the sample are the files the help page offers for download (filings.views_xml.xml_schema_download
and xml_sample_download), so what vendors validate against is exactly what TRACS validates against.
"""

from __future__ import annotations

import threading
from pathlib import Path

from lxml import etree

NAMESPACE = "urn:ab:tra:tracs:fueltax:return:1"
SCHEMA_DIR = Path(__file__).resolve().parent / "schema"
XSD_NAME = "fuel-tax-return-1.xsd"
SAMPLE_NAME = "fuel-tax-return-1-sample.xml"
XSD_PATH = SCHEMA_DIR / XSD_NAME
SAMPLE_PATH = SCHEMA_DIR / SAMPLE_NAME

# The elements the reader knows, as lxml spells them ("{namespace}local").
ROOT = f"{{{NAMESPACE}}}FuelTaxReturn"
HEADER = f"{{{NAMESPACE}}}Header"
LINES = f"{{{NAMESPACE}}}Lines"
LINE = f"{{{NAMESPACE}}}Line"
SCHEDULE = f"{{{NAMESPACE}}}Schedule"
TRANSACTION = f"{{{NAMESPACE}}}Transaction"

_local = threading.local()


def _safe_parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, remove_comments=True)


def compiled_schema(path: Path) -> etree.XMLSchema:
    """The compiled XSD at `path`, one per thread: an XMLSchema object keeps the error log of its last
    validation, so threads (the development server, the browser tests' live server) must not share one."""
    schemas = getattr(_local, "schemas", None)
    if schemas is None:
        schemas = _local.schemas = {}
    if path not in schemas:
        schemas[path] = etree.XMLSchema(etree.parse(str(path), _safe_parser()))
    return schemas[path]


def xsd_enumeration(path: Path, type_name: str) -> list[str]:
    """The values the XSD at `path` enumerates for the simple type `type_name`, in order."""
    document = etree.parse(str(path), _safe_parser())
    xs = "http://www.w3.org/2001/XMLSchema"
    return document.xpath(
        "/xs:schema/xs:simpleType[@name=$name]/xs:restriction/xs:enumeration/@value",
        namespaces={"xs": xs},
        name=type_name,
    )


def xml_schema() -> etree.XMLSchema:
    """The fuel tax return's compiled XSD (one per thread)."""
    return compiled_schema(XSD_PATH)


def schema_enumeration(type_name: str) -> list[str]:
    """The values the XSD enumerates for the simple type `type_name` (Fuel, Category), in order."""
    return xsd_enumeration(XSD_PATH, type_name)
