"""The published sample tourism levy return, made out for one establishment and one of its periods, so it
uploads as it is.

The public sample (schema/tourism-levy-return-1-sample.xml) names an example monthly establishment and June
2024. Each establishment's upload page offers the same file with its own account number and the next period it
files (a month, or a quarter for a quarterly filer), without the exempt amounts of a reason not yet in force in
that period (an online broker's stays before 2024-10-01): one source, so the two never drift apart.
"""

from __future__ import annotations

from lxml import etree

from filings.periods import Period
from filings.tourism_levy import reasons_for
from filings.xml.tourism_levy.reader import NAMESPACE, SAMPLE_PATH

_NS = {"r": NAMESPACE}
INTRODUCTION = (
    "\n  Sample TRACS tourism levy return, format version 1 ({namespace}), made out by TRACS for the\n"
    "  establishment {account_number}, {period}. The amounts are examples: replace them with the period's own\n"
    "  before you file. Described element by element at /help/xml/tourism-levy-return/. The file must be UTF-8\n"
    "  and must not contain a DOCTYPE.\n"
)


def levy_sample_name(*, account_number: str, period: Period) -> str:
    return f"tourism-levy-return-{account_number}-{period.key}-sample.xml"


def levy_sample_xml(*, account_number: str, period: Period) -> bytes:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, remove_comments=True)
    root = etree.parse(str(SAMPLE_PATH), parser).getroot()
    introduction = etree.Comment(
        INTRODUCTION.format(namespace=NAMESPACE, account_number=account_number, period=period.label)
    )
    for element in root.iterfind("r:Header/r:AccountNumber", _NS):
        element.text = account_number
    for element in root.iterfind("r:Header/r:Period", _NS):
        element.text = period.key
    in_force = {reason.code for reason in reasons_for(period)}
    for exemption in list(root.iterfind("r:Exemptions/r:Exemption", _NS)):
        if exemption.findtext("r:Reason", namespaces=_NS) not in in_force:
            exemption.getparent().remove(exemption)  # type: ignore[union-attr]  # it sits in Exemptions
    return b"\n".join(
        [b'<?xml version="1.0" encoding="UTF-8"?>', etree.tostring(introduction), etree.tostring(root), b""]
    )
