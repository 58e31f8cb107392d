"""The schema validator's messages, said the way a filer understands them.

libxml2 reports a record that breaks the XSD in its own words (`Element 'Fuel': [facet 'enumeration'] The
value 'kerosene' is not an element of the set {...}`). A filer fixing a file needs the field, what is wrong
with the value and what is allowed, so every message shape libxml2 writes for this format is turned into a
sentence that names the element and the allowed values or format (tests/filings/test_xml_messages.py walks
every shape). A shape we do not know yet still loses libxml2's jargon: the element is named and the help page
pointed to.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

from filings.xml.schema import NAMESPACE

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# The format of each simple type of the XSD, in a filer's words (the help page says the same).
VALUE_FORMATS = {
    "Litres": _(
        "a number of litres: digits, optionally a point and up to 3 decimals (e.g. 1250.5), no sign, no "
        "thousands separator"
    ),
    "AccountNumber": _("an account number: BIN-PP-SSS, e.g. 123456789-01-001"),
    "Period": _("a period: YYYY-MM, e.g. 2024-06"),
    "Date": _("a date: YYYY-MM-DD, e.g. 2024-06-30"),
    "BIN": _("a BIN: 9 digits"),
    "Licence": _("a licence number: capital letters, digits and hyphens, at most 20"),
    "DocumentNumber": _("a document number: 1 to 40 characters, with no space at the start or the end"),
    "Software": _("the name and version of your software, 1 to 100 characters (or leave Software out)"),
}

# What each element holds, in order: said when a child is missing, out of order or unknown.
CONTENTS = {
    "Header": _("a Header holds AccountNumber, Period and an optional Software, in this order"),
    "Line": _("a Line holds Fuel, Category and Litres, in this order"),
    "Transaction": _(
        "a Transaction holds Date, DocumentNumber, Counterparty, Fuel, Category and Litres, in this order"
    ),
    "Counterparty": _("a Counterparty holds one BIN or one Licence"),
}

NOT_A_VALUE = _("%(element)s: “%(value)s” is not %(format)s.")
NOT_ALLOWED_VALUE = _("%(element)s: “%(value)s” is not one of the allowed values: %(allowed)s.")
SPACES_AROUND = _("%(element)s: “%(value)s” has spaces around it; remove them (allowed values: %(allowed)s).")
EMPTY_VALUE = _("%(element)s is empty: it must be %(format)s.")
TOO_LONG = _("%(element)s is %(length)s characters long; at most %(limit)s are allowed.")
TOO_SHORT = _("%(element)s is %(length)s characters long; at least %(limit)s are needed.")
UNEXPECTED_CHILD = _(
    "Element “%(element)s” is not expected here: the next element must be %(expected)s%(contents)s."
)
UNEXPECTED_CHILD_ANYWHERE = _("Element “%(element)s” is not expected here%(contents)s.")
MISSING_CHILD = _("%(element)s is missing %(expected)s%(contents)s.")
UNEXPECTED_ATTRIBUTE = _("Attribute “%(name)s” is not expected on element “%(element)s”.")
TEXT_IN_CONTAINER = _("%(element)s holds elements only: remove the text written directly inside it.")
UNKNOWN_PROBLEM = _("%(element)s: %(detail)s (the help page describes each element and its allowed values).")
OR = _(" or ")

_ELEMENT = r"Element '(?P<element>[\w:.-]+)'"
_SHAPES = [
    (
        "enumeration",
        re.compile(
            _ELEMENT
            + r": \[facet 'enumeration'\] The value '(?P<value>.*)' is not an element of the set \{(?P<set>.*)\}\.?",
            re.S,
        ),
    ),
    (
        "pattern",
        re.compile(
            _ELEMENT + r": \[facet 'pattern'\] The value '(?P<value>.*)' is not accepted by the pattern .*",
            re.S,
        ),
    ),
    (
        "type",
        re.compile(
            _ELEMENT + r": '(?P<value>.*)' is not a valid value of the (?:local )?atomic type .*", re.S
        ),
    ),
    (
        "too_long",
        re.compile(
            _ELEMENT
            + r": \[facet '(?:maxLength|length)'\] The value has a length of '(?P<length>\d+)'; this exceeds the allowed maximum length of '(?P<limit>\d+)'\.?"
        ),
    ),
    (
        "too_short",
        re.compile(
            _ELEMENT
            + r": \[facet '(?:minLength|length)'\] The value has a length of '(?P<length>\d+)'; this underruns the allowed minimum length of '(?P<limit>\d+)'\.?"
        ),
    ),
    (
        "unexpected",
        re.compile(
            _ELEMENT
            + r": This element is not expected\.(?: Expected is (?:one of )?\( (?P<expected>.*) \)\.?)?"
        ),
    ),
    (
        "missing",
        re.compile(
            _ELEMENT + r": Missing child element\(s\)\. Expected is (?:one of )?\( (?P<expected>.*) \)\.?"
        ),
    ),
    (
        "attribute",
        re.compile(_ELEMENT + r", attribute '(?P<attribute>[\w:.-]+)': The attribute '.*' is not allowed\.?"),
    ),
    (
        "text",
        re.compile(
            _ELEMENT
            + r": Character content other than whitespace is not allowed because the content type is 'element-only'\.?"
        ),
    ),
]
_SET_ITEM = re.compile(r"'([^']*)'")
_JARGON = re.compile(r"^" + _ELEMENT + r":\s*")


def _local(name: str) -> str:
    return name.rpartition(":")[2]


def _names(expected: str) -> str:
    """`BIN, Licence` or `{urn:…}Category` (libxml2's list of expected elements) -> `BIN or Licence`."""
    return str(OR).join(_local(name.strip()) for name in expected.split(","))


def _contents(parent: str | None, contents: Mapping[str, StrOrPromise]) -> str:
    return f" ({contents[parent]})" if parent is not None and parent in contents else ""


def schema_message(
    raw: str,
    *,
    parent: str | None = None,
    namespace: str = NAMESPACE,
    formats: Mapping[str, StrOrPromise] = VALUE_FORMATS,
    contents: Mapping[str, StrOrPromise] = CONTENTS,
) -> str:
    """libxml2's message for one record -> a filer's sentence. `parent` is the element the one at fault sits
    in, when known (it says what that element holds). Another format (the tourism levy's) gives its
    namespace, the format of its values and what its elements hold."""
    text = raw.replace("{" + namespace + "}", "").strip()
    for shape, pattern in _SHAPES:
        match = pattern.fullmatch(text)
        if match is None:
            continue
        found = match.groupdict()
        element = found["element"]
        if shape == "enumeration":
            allowed = ", ".join(_SET_ITEM.findall(found["set"]))
            value = found["value"]
            message = (
                SPACES_AROUND
                if value.strip() != value and value.strip() in allowed.split(", ")
                else NOT_ALLOWED_VALUE
            )
            return str(message % {"element": element, "value": value, "allowed": allowed})
        if shape in ("pattern", "type"):
            value_format = formats.get(element, _("in the format the help page gives for it"))
            if found["value"] == "":
                return str(EMPTY_VALUE % {"element": element, "format": value_format})
            return str(NOT_A_VALUE % {"element": element, "value": found["value"], "format": value_format})
        if shape == "too_long":
            return str(TOO_LONG % {"element": element, "length": found["length"], "limit": found["limit"]})
        if shape == "too_short":
            if found["length"] == "0":
                value_format = formats.get(element, _("a value"))
                return str(EMPTY_VALUE % {"element": element, "format": value_format})
            return str(TOO_SHORT % {"element": element, "length": found["length"], "limit": found["limit"]})
        if shape == "unexpected":
            if found["expected"]:
                return str(
                    UNEXPECTED_CHILD
                    % {
                        "element": element,
                        "expected": _names(found["expected"]),
                        "contents": _contents(parent, contents),
                    }
                )
            return str(
                UNEXPECTED_CHILD_ANYWHERE % {"element": element, "contents": _contents(parent, contents)}
            )
        if shape == "missing":
            return str(
                MISSING_CHILD
                % {
                    "element": element,
                    "expected": _names(found["expected"]),
                    "contents": _contents(element, contents),
                }
            )
        if shape == "attribute":
            return str(UNEXPECTED_ATTRIBUTE % {"element": element, "name": found["attribute"]})
        return str(TEXT_IN_CONTAINER % {"element": element})
    match = _JARGON.match(text)
    if match is None:
        return text
    detail = re.sub(r"\[facet '\w+'\]\s*", "", text[match.end() :]).rstrip(".")
    return str(UNKNOWN_PROBLEM % {"element": match.group("element"), "detail": detail})
