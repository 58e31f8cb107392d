"""Every error the schema finds in an uploaded file reads as plain language: the element at fault, what is
wrong with it and what is allowed (filings.xml.messages). libxml2's own wording ("[facet 'enumeration']",
"{'a', 'b'}", "Element 'X':") never reaches the filer."""

from __future__ import annotations

import io

import pytest
from lxml import etree

from filings.tax import LineCategory, fuels
from filings.xml.messages import CONTENTS, schema_message
from filings.xml.parser import ReturnReader
from filings.xml.records import ErrorList
from filings.xml.schema import XSD_PATH
from filings.xml.writer import XmlTransaction, return_xml

FUELS = ", ".join(code for code, _label in fuels())
CATEGORIES = ", ".join(LineCategory.values)
LINE_HOLDS = "(a Line holds Fuel, Category and Litres, in this order)"
COUNTERPARTY_HOLDS = "(a Counterparty holds one BIN or one Licence)"

LINE = "<Line><Fuel>clear_diesel</Fuel><Category>taxable</Category><Litres>1</Litres></Line>"
TRANSACTION = (
    "<Transaction><Date>2024-06-03</Date><DocumentNumber>INV-1</DocumentNumber>"
    "<Counterparty><BIN>234567891</BIN></Counterparty><Fuel>clear_diesel</Fuel><Category>taxable</Category>"
    "<Litres>1</Litres></Transaction>"
)


def errors_of(*, header: str = "", line: str = LINE, transaction: str = TRANSACTION) -> list[tuple[str, str]]:
    content = return_xml(
        account_number="123456789-01-001",
        period="2024-06",
        lines=[],
        transactions=[XmlTransaction("2024-06-03", "INV-1", "BIN 234567891", "clear_diesel", "taxable", "1")],
    ).decode()
    content = content.replace("<Lines>\n  </Lines>", f"<Lines>{line}</Lines>")
    content = content.replace(
        content[content.index("<Transaction>") : content.index("</Schedule>")], transaction
    )
    if header:
        content = content.replace("</Header>", header + "</Header>")
    errors = ErrorList()
    list(ReturnReader(io.BytesIO(content.encode()), errors).records())
    return [(error.path, error.message) for error in errors.items]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        pytest.param(
            {"line": LINE.replace("clear_diesel", "kerosene")},
            (
                "/FuelTaxReturn/Lines/Line[1]/Fuel",
                f"Fuel: “kerosene” is not one of the allowed values: {FUELS}.",
            ),
            id="a fuel not in the list",
        ),
        pytest.param(
            {"line": LINE.replace("taxable", "exempt")},
            (
                "/FuelTaxReturn/Lines/Line[1]/Category",
                f"Category: “exempt” is not one of the allowed values: {CATEGORIES}.",
            ),
            id="a category not in the list",
        ),
        pytest.param(
            {"line": LINE.replace(">clear_diesel<", "> clear_diesel <")},
            (
                "/FuelTaxReturn/Lines/Line[1]/Fuel",
                f"Fuel: “ clear_diesel ” has spaces around it; remove them (allowed values: {FUELS}).",
            ),
            id="an allowed value with spaces around it",
        ),
        pytest.param(
            {"line": LINE.replace("<Category>taxable</Category>", "")},
            (
                "/FuelTaxReturn/Lines/Line[1]/Litres",
                f"Element “Litres” is not expected here: the next element must be Category {LINE_HOLDS}.",
            ),
            id="a child left out",
        ),
        pytest.param(
            {"line": LINE.replace("<Litres>1</Litres>", "")},
            ("/FuelTaxReturn/Lines/Line[1]", f"Line is missing Litres {LINE_HOLDS}."),
            id="the last child missing",
        ),
        pytest.param(
            {"line": LINE.replace("</Line>", "<Note/></Line>")},
            ("/FuelTaxReturn/Lines/Line[1]/Note", f"Element “Note” is not expected here {LINE_HOLDS}."),
            id="an unknown child at the end",
        ),
        pytest.param(
            {"line": LINE.replace("<Line>", '<Line id="7">')},
            ("/FuelTaxReturn/Lines/Line[1]", "Attribute “id” is not expected on element “Line”."),
            id="an attribute",
        ),
        pytest.param(
            {"line": LINE.replace("<Line>", "<Line>100 litres")},
            (
                "/FuelTaxReturn/Lines/Line[1]",
                "Line holds elements only: remove the text written directly inside it.",
            ),
            id="text inside a record",
        ),
        pytest.param(
            {"header": "<Software></Software>"},
            (
                "/FuelTaxReturn/Header/Software",
                "Software is empty: it must be the name and version of your software, 1 to 100 characters "
                "(or leave Software out).",
            ),
            id="an empty optional element",
        ),
        pytest.param(
            {"transaction": TRANSACTION.replace("INV-1", "")},
            (
                "/FuelTaxReturn/Schedule/Transaction[1]/DocumentNumber",
                "DocumentNumber is empty: it must be a document number: 1 to 40 characters, with no space at "
                "the start or the end.",
            ),
            id="an empty value said once (libxml2 reports both its length and its pattern)",
        ),
        pytest.param(
            {"transaction": TRANSACTION.replace("INV-1", "I" * 41)},
            (
                "/FuelTaxReturn/Schedule/Transaction[1]/DocumentNumber",
                "DocumentNumber is 41 characters long; at most 40 are allowed.",
            ),
            id="too long",
        ),
        pytest.param(
            {"transaction": TRANSACTION.replace("INV-1", " INV-1")},
            (
                "/FuelTaxReturn/Schedule/Transaction[1]/DocumentNumber",
                "DocumentNumber: “ INV-1” is not a document number: 1 to 40 characters, with no space at the "
                "start or the end.",
            ),
            id="a pattern",
        ),
        pytest.param(
            {"transaction": TRANSACTION.replace("<BIN>234567891</BIN>", "")},
            (
                "/FuelTaxReturn/Schedule/Transaction[1]/Counterparty",
                f"Counterparty is missing BIN or Licence {COUNTERPARTY_HOLDS}.",
            ),
            id="a choice with neither",
        ),
        pytest.param(
            {"transaction": TRANSACTION.replace("<BIN>234567891</BIN>", "<GST>1</GST>")},
            (
                "/FuelTaxReturn/Schedule/Transaction[1]/Counterparty/GST",
                f"Element “GST” is not expected here: the next element must be BIN or Licence {COUNTERPARTY_HOLDS}.",
            ),
            id="a choice with another",
        ),
        pytest.param(
            {"transaction": TRANSACTION.replace("2024-06-03", "2024-06-31")},
            (
                "/FuelTaxReturn/Schedule/Transaction[1]/Date",
                "Date: “2024-06-31” is not a date: YYYY-MM-DD, e.g. 2024-06-30.",
            ),
            id="a date that does not exist",
        ),
    ],
)
def test_each_schema_error_names_the_element_and_what_is_allowed(change, expected):
    assert errors_of(**change) == [expected]


JARGON = ("[facet", "{'", "Element '", "atomic type", "Expected is", "underruns", "content type")


def test_no_message_carries_the_validators_jargon():
    """One file with every kind of mistake a record can have: not one message reads like libxml2."""
    header = "<Software>" + "S" * 101 + "</Software><Extra>1</Extra>"
    line = (
        LINE.replace("clear_diesel", "diesel").replace(">1<", ">1,5<")
        + "<Line>x<Category>railway</Category></Line><Line/>"
    )
    transaction = TRANSACTION.replace("2024-06-03", "03/06/2024").replace(
        "<BIN>234567891</BIN>", "<BIN>1</BIN><Licence>a</Licence>"
    )
    messages = [message for _path, message in errors_of(header=header, line=line, transaction=transaction)]
    assert len(messages) >= 8
    for message in messages:
        assert not any(word in message for word in JARGON), message


def test_a_shape_not_known_yet_still_names_the_element_without_jargon():
    message = schema_message(
        "Element 'Litres': [facet 'totalDigits'] The value '1234567890123' has more digits than are allowed ('12')."
    )
    assert message == (
        "Litres: The value '1234567890123' has more digits than are allowed ('12') (the help page describes each "
        "element and its allowed values)."
    )


def test_what_each_record_holds_is_what_the_schema_declares():
    """The sentences of CONTENTS name the children the XSD declares, in its order."""
    xs = {"xs": "http://www.w3.org/2001/XMLSchema"}
    schema = etree.parse(str(XSD_PATH))
    for record in ("Header", "Line", "Transaction"):
        children = schema.xpath(f"/xs:schema/xs:element[@name='{record}']//xs:element/@name", namespaces=xs)
        sentence = str(CONTENTS[record])
        positions = [sentence.index(child) for child in children]
        assert positions == sorted(positions), (record, children)
    choice = schema.xpath(
        "/xs:schema/xs:complexType[@name='Counterparty']/xs:choice/xs:element/@name", namespaces=xs
    )
    assert all(name in str(CONTENTS["Counterparty"]) for name in choice)


def test_a_valid_record_has_no_error():
    assert errors_of() == []
