"""The file formats returns are uploaded in, one per program that takes uploads: what the upload page, its
sample and its help page need of each. A definition names its format by `upload_format`
(filings/skeleton/definition.py); `upload_format_of` finds it. A plain tuple, no registry.

Kept apart from the definitions because a format's check calls its program's service, which imports its
definition (filings/services_tourism_levy.py): the definition names the format by its code, and this module,
above both, holds the rest.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _

from filings.xml import schema as fuel_tax_schema
from filings.xml.sample import sample_name, sample_return_xml
from filings.xml.tourism_levy import reader as levy_reader
from filings.xml.tourism_levy.sample import levy_sample_name, levy_sample_xml
from filings.xml.tourism_levy.validator import levy_figures, xml_levy_return_check
from filings.xml.validator import xml_return_check

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from filings.skeleton.definition import FilingDefinition


@dataclass(frozen=True)
class UploadFormat:
    code: str  # what definitions name it by; its XSD is "<code>.xsd"
    title: StrOrPromise  # its help page's heading
    namespace: str
    xsd_path: Path
    sample_path: Path
    # (account=, source=) -> a check with `ok`, `errors` (filings.xml.records.ErrorList), `period`; stores nothing
    check: Callable[..., Any]
    # The published sample made out for an account and period, and its file name.
    sample: Callable[..., bytes]
    sample_name: Callable[..., str]
    # What the session keeps of a valid file for its review (JSON: text, lists, dicts), beside the period.
    pending: Callable[[Any], dict[str, Any]]
    help_url: str  # URL names of its public help page and downloads
    schema_url: str
    sample_url: str
    review_url: str  # the URL name of the page that reviews, certifies and submits an upload
    intro: StrOrPromise  # what the upload page says first
    result_template: str  # what validate-only shows the file would file
    sample_hint: StrOrPromise  # what to change in the sample before filing it
    max_bytes: int | None = None  # None: settings.TRACS_XML_UPLOAD_MAX_BYTES


FUEL_TAX_RETURN_XML = UploadFormat(
    code="fuel-tax-return-1",
    title=_("Fuel tax return: XML format, version 1"),
    namespace=fuel_tax_schema.NAMESPACE,
    xsd_path=fuel_tax_schema.XSD_PATH,
    sample_path=fuel_tax_schema.SAMPLE_PATH,
    check=xml_return_check,
    sample=sample_return_xml,
    sample_name=sample_name,
    pending=lambda check: {
        "lines": [[line.fuel, line.category, str(line.litres)] for line in check.lines],
        "transactions": check.transaction_count,
    },
    help_url="xml_help",
    schema_url="xml_schema_download",
    sample_url="xml_sample_download",
    review_url="return_xml_review",
    intro=_(
        "File a monthly fuel tax return from a file your software writes, in the TRACS XML format. The file "
        "names the account and the month; TRACS checks it against the schema and the same rules as the web "
        "form, and computes the tax."
    ),
    result_template="filings/includes/xml_result_fuel_tax.html",
    sample_hint=_("change the litres to the month's own before you file it"),
)

TOURISM_LEVY_RETURN_XML = UploadFormat(
    code="tourism-levy-return-1",
    title=_("Tourism levy return: XML format, version 1"),
    namespace=levy_reader.NAMESPACE,
    xsd_path=levy_reader.XSD_PATH,
    sample_path=levy_reader.SAMPLE_PATH,
    check=xml_levy_return_check,
    sample=levy_sample_xml,
    sample_name=levy_sample_name,
    pending=lambda check: {"figures": levy_figures(check.levy_input)},
    help_url="tourism_levy_xml_help",
    schema_url="tourism_levy_xml_schema_download",
    sample_url="tourism_levy_xml_sample_download",
    review_url="tourism_levy_return_xml_review",
    intro=_(
        "File this establishment's tourism levy return from a file your software writes, in the TRACS XML "
        "format. The file names the establishment and the collection period (a month, or a quarter for a "
        "quarterly filer); TRACS checks it against the schema and the same rules as the web form, and computes "
        "the levy."
    ),
    result_template="filings/tourism_levy/xml_result.html",
    sample_hint=_("change the amounts to the period's own before you file it"),
    max_bytes=levy_reader.MAX_BYTES,
)

FORMATS = (FUEL_TAX_RETURN_XML, TOURISM_LEVY_RETURN_XML)


def upload_format_of(definition: FilingDefinition[Any] | None) -> UploadFormat | None:
    """The format `definition`'s returns are uploaded in, or None (filed by web form only)."""
    if definition is None or not definition.upload_format:
        return None
    return next(upload for upload in FORMATS if upload.code == definition.upload_format)
