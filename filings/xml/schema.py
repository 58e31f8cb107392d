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


def xml_schema() -> etree.XMLSchema:
    """The compiled XSD, one per thread: an XMLSchema object keeps the error log of its last validation, so
    threads (the development server, the browser tests' live server) must not share one."""
    schema = getattr(_local, "schema", None)
    if schema is None:
        schema = etree.XMLSchema(etree.parse(str(XSD_PATH), _safe_parser()))
        _local.schema = schema
    return schema


def schema_enumeration(type_name: str) -> list[str]:
    """The values the XSD enumerates for the simple type `type_name` (Fuel, Category), in order."""
    document = etree.parse(str(XSD_PATH), _safe_parser())
    xs = "http://www.w3.org/2001/XMLSchema"
    return document.xpath(
        "/xs:schema/xs:simpleType[@name=$name]/xs:restriction/xs:enumeration/@value",
        namespaces={"xs": xs},
        name=type_name,
    )
