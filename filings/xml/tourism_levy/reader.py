"""Reading a tourism levy return file safely, and checking it against its XSD, every error with its line.

The first look is the fuel tax reader's (filings.xml.parser.preflight): an empty file, a file that is not
UTF-8, a DOCTYPE (so no entity is ever declared, let alone expanded or fetched) and a wrong root or namespace
are refused before the body is read. A return is one establishment's figures for one period, a few dozen lines:
the file is then parsed whole, with lxml's protections on (`no_network`, `load_dtd=False`, entities not
resolved, `huge_tree` off, comments and PIs dropped), after a size check (MAX_BYTES: a return is never near
it), and validated against the XSD as one document. libxml2 reports every element at fault, each with its
line; its path (`/*/*[4]/*[2]/*[2]`) is turned into names (`/TourismLevyReturn/Exemptions/Exemption[2]/Amount`)
and its message into a filer's sentence (filings.xml.messages.schema_message, with this format's words).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, NamedTuple

from django.utils.translation import gettext_lazy as _
from lxml import etree

from filings.xml.messages import schema_message
from filings.xml.parser import (
    NOT_WELL_FORMED,
    Document,
    _binary,
    _detail_path,
    _parent_name,
    local_name,
    preflight,
    syntax_error,
)
from filings.xml.records import ErrorList, megabytes
from filings.xml.schema import SCHEMA_DIR, compiled_schema, xsd_enumeration

NAMESPACE = "urn:ab:tra:tracs:tourismlevy:return:1"
XSD_NAME = "tourism-levy-return-1.xsd"
SAMPLE_NAME = "tourism-levy-return-1-sample.xml"
XSD_PATH = SCHEMA_DIR / XSD_NAME
SAMPLE_PATH = SCHEMA_DIR / SAMPLE_NAME
ROOT_NAME = "TourismLevyReturn"
ROOT_PATH = "/" + ROOT_NAME
MAX_BYTES = 1024 * 1024  # a return is about 1 KB; a megabyte is no return, whatever the upload limit

NOT_XML = _("The file is not XML (%(detail)s). Upload the tourism levy return as an XML file.")
WRONG_NAMESPACE = _(
    "The root element is in the namespace “%(found)s”; a TRACS tourism levy return is in the namespace "
    "“%(expected)s”."
)
NO_NAMESPACE = _(
    'The root element has no namespace; a TRACS tourism levy return starts with <TourismLevyReturn xmlns="%(expected)s">.'
)
WRONG_ROOT = _(
    "The root element is “%(found)s”; a TRACS tourism levy return starts with <TourismLevyReturn>."
)
TOO_LARGE = _(
    "A tourism levy return file is at most %(limit)s; this one is larger. Upload one return a file."
)

DOCUMENT = Document(
    root=f"{{{NAMESPACE}}}{ROOT_NAME}",
    name=ROOT_NAME,
    namespace=NAMESPACE,
    not_xml=NOT_XML,
    wrong_namespace=WRONG_NAMESPACE,
    no_namespace=NO_NAMESPACE,
    wrong_root=WRONG_ROOT,
)

# The format of each simple type and what each element holds, in a filer's words (the help page says the same).
VALUE_FORMATS = {
    "AccountNumber": _("an account number: BIN-PP-SSS, e.g. 123456789-06-001"),
    "Period": _(
        "a period: YYYY-MM for a month (e.g. 2024-06) or YYYY-Qn for a calendar quarter (e.g. 2024-Q2)"
    ),
    "GrossRevenue": _("an amount: digits, optionally a point and up to 2 decimals (e.g. 12000.00), no sign"),
    "Fees": _("an amount: digits, optionally a point and up to 2 decimals (e.g. 450.00), no sign"),
    "Amount": _("an amount: digits, optionally a point and up to 2 decimals (e.g. 2000.00), no sign"),
    "LevyCollected": _("an amount: digits, optionally a point and up to 2 decimals (e.g. 400.00), no sign"),
    "LevyCollectedAbated": _("an amount: digits, optionally a point and up to 2 decimals, no sign"),
    "Software": _("the name and version of your software, 1 to 100 characters (or leave Software out)"),
}
CONTENTS = {
    "TourismLevyReturn": _(
        "a return holds Header, GrossRevenue, an optional Fees, an optional Exemptions, LevyCollected and an "
        "optional LevyCollectedAbated, in this order"
    ),
    "Header": _("a Header holds AccountNumber, Period and an optional Software, in this order"),
    "Exemption": _("an Exemption holds Reason and Amount, in this order"),
    "Exemptions": _("Exemptions holds Exemption elements only"),
}

_ONLY_EXEMPTION = re.compile(r"(/Exemptions/Exemption)(?=/|$)")


def _safe_parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        collect_ids=False,
    )


def xml_schema() -> etree.XMLSchema:
    """The compiled XSD (one per thread: an XMLSchema keeps the error log of its last validation)."""
    return compiled_schema(XSD_PATH)


def schema_enumeration(type_name: str) -> list[str]:
    """The values the XSD enumerates for the simple type `type_name` (Reason), in order."""
    return xsd_enumeration(XSD_PATH, type_name)


class Value(NamedTuple):
    """One value of the file as written, where it is."""

    text: str
    line: int
    path: str


@dataclass
class LevyFile:
    """What a file that passed the schema says, each value with its line and path."""

    root_line: int
    account_number: Value
    period: Value
    gross_revenue: Value
    levy_collected: Value
    fees: Value | None = None
    levy_collected_abated: Value | None = None
    exemptions: list[tuple[Value, Value]] = field(default_factory=list)  # (reason, amount), in file order
    software: str = ""


def _value(element, path: str) -> Value:
    return Value(element.text or "", element.sourceline, path)


def _read(root) -> LevyFile:
    """The values of a valid document (its elements are there, in the order the XSD gives)."""
    children = {local_name(child): child for child in root}
    header = children["Header"]
    file = LevyFile(
        root_line=root.sourceline,
        account_number=_value(header[0], ROOT_PATH + "/Header/AccountNumber"),
        period=_value(header[1], ROOT_PATH + "/Header/Period"),
        gross_revenue=_value(children["GrossRevenue"], ROOT_PATH + "/GrossRevenue"),
        levy_collected=_value(children["LevyCollected"], ROOT_PATH + "/LevyCollected"),
        software=header[2].text if len(header) > 2 else "",
    )
    if "Fees" in children:
        file.fees = _value(children["Fees"], ROOT_PATH + "/Fees")
    if "LevyCollectedAbated" in children:
        file.levy_collected_abated = _value(
            children["LevyCollectedAbated"], ROOT_PATH + "/LevyCollectedAbated"
        )
    for index, exemption in enumerate(children.get("Exemptions", ()), start=1):
        path = f"{ROOT_PATH}/Exemptions/Exemption[{index}]"
        file.exemptions.append(
            (_value(exemption[0], path + "/Reason"), _value(exemption[1], path + "/Amount"))
        )
    return file


def read_levy_return(source: str | Path | IO[bytes], errors: ErrorList) -> LevyFile | None:
    """The file's values when it is safe, well-formed and valid against the XSD; else None, every error in
    `errors` with its line and path."""
    with _binary(source) as file:
        root = preflight(file, errors, DOCUMENT)
        if root is None:
            return None
        file.seek(0)
        content = file.read(MAX_BYTES + 1)
    if len(content) > MAX_BYTES:
        errors.add(None, "", TOO_LARGE % {"limit": megabytes(MAX_BYTES)})
        return None
    try:
        document = etree.fromstring(content, _safe_parser())
    except etree.XMLSyntaxError as error:
        syntax_error(errors, error, DOCUMENT)
        return None
    if document is None:  # pragma: no cover - preflight found a root element
        errors.add(None, "", NOT_WELL_FORMED % {"detail": "no root element"})
        return None
    schema = xml_schema()
    if schema.validate(document):
        return _read(document)
    reported = set()
    for entry in schema.error_log:
        # libxml2 leaves out the position of an only child: an Exemption is always numbered, as the rules say it
        at = _ONLY_EXEMPTION.sub(r"\1[1]", _detail_path(document, ROOT_PATH, entry.path))
        message = schema_message(
            entry.message,
            parent=_parent_name(at),
            namespace=NAMESPACE,
            formats=VALUE_FORMATS,
            contents=CONTENTS,
        )
        if (at, message) not in reported:  # libxml2 says an empty value breaks both minLength and pattern
            reported.add((at, message))
            errors.add(entry.line, at, message)
    return None
