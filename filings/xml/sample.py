"""The published sample return, made out for one account and period, so it can be uploaded as it is.

The public sample (schema/fuel-tax-return-1-sample.xml) names an example account and June 2024; a filer
trying the upload with it is refused (another account, a period before theirs). The upload page offers the
same file with their account number and the next period they have to file, the transactions moved into
that month: one source (the published sample), so the two never drift apart.
"""

from __future__ import annotations

import calendar
from datetime import date

from lxml import etree

from filings.periods import Period
from filings.xml.schema import NAMESPACE, SAMPLE_PATH

_NS = {"r": NAMESPACE}
INTRODUCTION = (
    "\n  Sample TRACS fuel tax return, format version 1 ({namespace}), made out by TRACS for\n"
    "  account {account_number}, {period}. The litres are examples: replace them with the month's own before\n"
    "  you file. Described element by element at /help/xml/fuel-tax-return/. The file must be UTF-8 and must\n"
    "  not contain a DOCTYPE.\n"
)


def sample_name(*, account_number: str, period: Period) -> str:
    return f"fuel-tax-return-{account_number}-{period.key}-sample.xml"


def _in_period(day: date, period: Period) -> date:
    """The same day of the month in `period`, or its last day (the 31st of a 30-day month)."""
    last = calendar.monthrange(period.start.year, period.start.month)[1]
    return period.start.replace(day=min(day.day, last))


def sample_return_xml(*, account_number: str, period: Period) -> bytes:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    document = etree.parse(str(SAMPLE_PATH), parser)
    root = document.getroot()
    introduction = etree.Comment(
        INTRODUCTION.format(namespace=NAMESPACE, account_number=account_number, period=period.label)
    )
    root.find("r:Header/r:AccountNumber", _NS).text = account_number
    sample_period = root.find("r:Header/r:Period", _NS)
    published, sample_period.text = sample_period.text, period.key
    for element in root.iterfind("r:Schedule/r:Transaction/r:Date", _NS):
        element.text = _in_period(date.fromisoformat(element.text), period).isoformat()
    for element in root.iterfind("r:Schedule/r:Transaction/r:DocumentNumber", _NS):
        element.text = element.text.replace(published, period.key)  # INV-2024-06-0001 -> INV-2026-11-0001
    return b"\n".join(
        [b'<?xml version="1.0" encoding="UTF-8"?>', etree.tostring(introduction), etree.tostring(root), b""]
    )
