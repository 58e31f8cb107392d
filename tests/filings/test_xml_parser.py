"""The streaming reader (filings.xml.parser): what it refuses, the errors it reports (line, path, message, all
of them), that it agrees with the XSD, and that its memory does not grow with the file."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import textwrap

import pytest
from django.conf import settings
from lxml import etree

from filings.tax import LineCategory, fuels
from filings.xml import parser, records
from filings.xml.parser import ReturnReader
from filings.xml.records import ErrorList, HeaderRecord, LineRecord, TransactionRecord
from filings.xml.schema import NAMESPACE, SAMPLE_PATH, XSD_PATH, schema_enumeration, xml_schema
from filings.xml.writer import XmlLine, XmlTransaction, return_xml

ACCOUNT = "123456789-01-001"
LINES = [XmlLine("clear_gasoline", "taxable", "100"), XmlLine("propane", "taxable", "5.5")]
TRANSACTIONS = [
    XmlTransaction("2024-06-03", "INV-1", "BIN 234567891", "clear_gasoline", "taxable", "60"),
    XmlTransaction("2024-06-04", "INV-2", "Licence FT-0042", "clear_gasoline", "taxable", "40"),
    XmlTransaction("2024-06-05", "INV-3", "BIN 234567891", "propane", "taxable", "5.5"),
]


def document(lines=LINES, transactions=TRANSACTIONS, **kwargs) -> bytes:
    return return_xml(
        account_number=ACCOUNT, period="2024-06", lines=lines, transactions=transactions, **kwargs
    )


def read(content: bytes):
    errors = ErrorList()
    reader = ReturnReader(io.BytesIO(content), errors)
    records = list(reader.records())
    return records, [(e.line, e.path, e.message) for e in errors.items], reader


def xsd_accepts(content: bytes) -> bool:
    """The whole document against the XSD, the classic way (a full tree): the reference the reader must match."""
    return xml_schema().validate(
        etree.fromstring(content, etree.XMLParser(resolve_entities=False, no_network=True))
    )


def test_a_valid_file_gives_its_records_in_order():
    records, errors, reader = read(document(software="Books 4.2"))
    assert errors == []
    assert records[0] == HeaderRecord(ACCOUNT, "2024-06", "Books 4.2", 3, 4, 5)
    assert records[1:3] == [
        LineRecord(1, 9, "clear_gasoline", "taxable", "100"),
        LineRecord(2, 14, "propane", "taxable", "5.5"),
    ]
    assert records[3] == TransactionRecord(
        1, 21, "2024-06-03", "INV-1", "BIN 234567891", "clear_gasoline", "taxable", "60"
    )
    assert records[4].counterparty == "Licence FT-0042"
    assert (reader.line_count, reader.transaction_count, reader.schedule_present, reader.fatal) == (
        2,
        3,
        True,
        False,
    )


def test_the_sample_is_valid():
    assert xsd_accepts(SAMPLE_PATH.read_bytes())
    records, errors, _reader = read(SAMPLE_PATH.read_bytes())
    assert errors == []
    assert len(records) == 1 + 5 + 7


def test_the_schema_enumerates_the_fuels_and_categories_of_the_web_form():
    """The XSD is a published file; this keeps it in step with programs/rates/fuel_tax.yaml and filings.tax."""
    assert schema_enumeration("Fuel") == [code for code, _label in fuels()]
    assert schema_enumeration("Category") == list(LineCategory.values)
    assert f'targetNamespace="{NAMESPACE}"' in XSD_PATH.read_text()


def test_every_error_of_every_record_with_its_line_and_path():
    content = document(
        lines=[XmlLine("clear_gasoline", "taxable", "1,000"), XmlLine("kerosene", "taxable", "5")],
        transactions=[
            XmlTransaction("2024-06-31", "INV-1", "BIN 12345", "clear_gasoline", "taxable", "60"),
            XmlTransaction("2024-06-04", " INV-2", "Licence ft-42", "clear_gasoline", "taxable", "-40"),
        ],
    )
    records, errors, reader = read(content)
    assert [type(record) for record in records] == [HeaderRecord]  # invalid records are not read
    assert reader.invalid_records == 4
    assert [(line, path) for line, path, _message in errors] == [
        (11, "/FuelTaxReturn/Lines/Line[1]/Litres"),
        (14, "/FuelTaxReturn/Lines/Line[2]/Fuel"),
        (21, "/FuelTaxReturn/Schedule/Transaction[1]/Date"),
        (23, "/FuelTaxReturn/Schedule/Transaction[1]/Counterparty/BIN"),
        (30, "/FuelTaxReturn/Schedule/Transaction[2]/DocumentNumber"),
        (31, "/FuelTaxReturn/Schedule/Transaction[2]/Counterparty/Licence"),
        (34, "/FuelTaxReturn/Schedule/Transaction[2]/Litres"),
    ]
    messages = [message for _line, _path, message in errors]
    assert messages[0].startswith("Litres: “1,000” is not a number of litres")
    assert messages[1] == (
        "Fuel: “kerosene” is not one of the allowed values: "
        + ", ".join(code for code, _label in fuels())
        + "."
    )
    assert NAMESPACE not in " ".join(messages)
    assert messages[2] == "Date: “2024-06-31” is not a date: YYYY-MM-DD, e.g. 2024-06-30."
    assert messages[3] == "BIN: “12345” is not a BIN: 9 digits."
    assert (
        messages[5]
        == "Licence: “ft-42” is not a licence number: capital letters, digits and hyphens, at most 20."
    )


def test_missing_and_unexpected_children_of_a_record():
    content = document().replace(
        b"<Category>taxable</Category>\n      <Litres>100</Litres>", b"<Litres>100</Litres>", 1
    )
    content = content.replace(b"<Date>2024-06-04</Date>", b"<Date>2024-06-04</Date><Note>late</Note>")
    _records, errors, _reader = read(content)
    assert errors == [
        (
            10,
            "/FuelTaxReturn/Lines/Line[1]/Litres",
            "Element “Litres” is not expected here: the next element must be Category "
            "(a Line holds Fuel, Category and Litres, in this order).",
        ),
        (
            28,
            "/FuelTaxReturn/Schedule/Transaction[2]/Note",
            "Element “Note” is not expected here: the next element must be DocumentNumber (a Transaction "
            "holds Date, DocumentNumber, Counterparty, Fuel, Category and Litres, in this order).",
        ),
    ]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        pytest.param(
            (b"<Lines>", b"<Lines><Extra/>"),
            [(7, "/FuelTaxReturn/Lines/Extra", "Element “Extra” is not expected here.")],
            id="unknown element in Lines",
        ),
        pytest.param(
            (b"</Schedule>", b"<Extra/></Schedule>"),
            [(44, "/FuelTaxReturn/Schedule/Extra", "Element “Extra” is not expected here.")],
            id="unknown element at the end of the Schedule",
        ),
        pytest.param(
            (b"</FuelTaxReturn>", b"<Extra>x</Extra></FuelTaxReturn>"),
            [(45, "/FuelTaxReturn/Extra", "Element “Extra” is not expected here.")],
            id="unknown element in the root",
        ),
        pytest.param(
            (
                b"<Schedule>",
                b"<Schedule><Line><Fuel>propane</Fuel><Category>taxable</Category><Litres>1</Litres></Line>",
            ),
            [(19, "/FuelTaxReturn/Schedule/Line", "Element “Line” is not expected here.")],
            id="a Line in the Schedule",
        ),
        pytest.param(
            (b"<Lines>", b"<Lines>stray text"),
            [(7, "/FuelTaxReturn/Lines", "Text is not allowed here (“stray text”).")],
            id="text in Lines",
        ),
        pytest.param(
            (b"<Lines>", b'<Lines id="1">'),
            [(7, "/FuelTaxReturn/Lines", "Attribute “id” is not expected on element “Lines”.")],
            id="attribute on Lines",
        ),
        pytest.param(
            (b'return:1">', b'return:1" version="2">'),
            [(2, "/FuelTaxReturn", "Attribute “version” is not expected on element “FuelTaxReturn”.")],
            id="attribute on the root",
        ),
        pytest.param(
            (b"<Schedule>", b"<Lines/><Schedule>"),
            [(19, "/FuelTaxReturn/Lines", "Element “Lines” appears more than once; a return has one.")],
            id="two Lines",
        ),
    ],
)
def test_misplaced_elements_are_reported_like_the_xsd_would(change, expected):
    content = document().replace(*change, 1)
    _records, errors, _reader = read(content)
    assert errors == expected
    assert not xsd_accepts(content)


def test_order_and_presence_of_header_lines_schedule():
    header = b"<Header><AccountNumber>123456789-01-001</AccountNumber><Period>2024-06</Period></Header>"
    lines_first = (
        b'<FuelTaxReturn xmlns="urn:ab:tra:tracs:fueltax:return:1">\n<Lines/>\n'
        + header
        + b"\n</FuelTaxReturn>"
    )
    _records, errors, _reader = read(lines_first)
    assert errors == [
        (
            3,
            "/FuelTaxReturn/Header",
            "Element “Header” is out of order: a return has a Header, then Lines, then an optional Schedule.",
        )
    ]
    assert not xsd_accepts(lines_first)

    no_header = return_xml(account_number=ACCOUNT, period="2024-06", lines=LINES).replace(
        b"<Header>\n    <AccountNumber>123456789-01-001</AccountNumber>\n    <Period>2024-06</Period>\n  </Header>\n",
        b"",
    )
    _records, errors, _reader = read(no_header)
    assert errors == [(2, "/FuelTaxReturn", "Element “Header” is missing from “FuelTaxReturn”.")]
    assert not xsd_accepts(no_header)

    empty_schedule = document().split(b"<Schedule>")[0] + b"<Schedule>\n  </Schedule>\n</FuelTaxReturn>\n"
    _records, errors, _reader = read(empty_schedule)
    assert errors == [(19, "/FuelTaxReturn/Schedule", str(parser.EMPTY_SCHEDULE))]
    assert not xsd_accepts(empty_schedule)


def test_comments_and_schema_location_are_fine():
    content = (
        document()
        .replace(
            b'return:1">',
            b'return:1" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
            b'xsi:schemaLocation="urn:ab:tra:tracs:fueltax:return:1 fuel-tax-return-1.xsd"><!-- hello -->',
            1,
        )
        .replace(b"<Lines>", b"<Lines><!-- the month --><?pi x?>", 1)
    )
    records, errors, _reader = read(content)
    assert errors == []
    assert len(records) == 6
    assert xsd_accepts(content)


@pytest.mark.parametrize(
    "change",
    [
        (b"", b""),
        (b"<Litres>100</Litres>", b"<Litres>100.125</Litres>"),
        (b"<Litres>100</Litres>", b"<Litres>100.1250</Litres>"),
        (b"<Litres>100</Litres>", b"<Litres>1e3</Litres>"),
        (b"<Litres>100</Litres>", b"<Litres> 100</Litres>"),
        (b"<Date>2024-06-03</Date>", b"<Date>2024-06-03Z</Date>"),
        (b"<Date>2024-06-03</Date>", b"<Date> 2024-06-03 </Date>"),
        (b"<Date>2024-06-03</Date>", b"<Date>2024-02-30</Date>"),
        (b"<Period>2024-06</Period>", b"<Period>2024-13</Period>"),
        (b"<BIN>234567891</BIN>", b"<BIN>234567891</BIN><Licence>X</Licence>"),
        (b"<BIN>234567891</BIN>", b""),
        (b"<DocumentNumber>INV-1</DocumentNumber>", b"<DocumentNumber>" + b"N" * 41 + b"</DocumentNumber>"),
        (b"<DocumentNumber>INV-1</DocumentNumber>", b"<DocumentNumber>A &amp; B</DocumentNumber>"),
        (b"<Transaction>", b'<Transaction id="7">'),
        (b"<Transaction>", b"<Transaction>text"),
        (b"</Header>", b"<Software></Software></Header>"),
        (b"<Fuel>propane</Fuel>", b'<Fuel xmlns="urn:other">propane</Fuel>'),
    ],
)
def test_the_reader_finds_a_file_valid_exactly_when_the_xsd_does(change):
    """Differential check against full-document XSD validation, on valid files and on broken ones."""
    content = document().replace(*change, 1) if change[0] else document()
    _records, errors, reader = read(content)
    assert (errors == []) == xsd_accepts(content), errors


def test_a_syntax_error_stops_reading_and_keeps_the_errors_before_it():
    content = document(lines=[XmlLine("clear_gasoline", "taxable", "-1")]).replace(
        b"</Schedule>", b"</Schedul>"
    )
    records, errors, reader = read(content)
    assert reader.fatal
    assert errors[0][:2] == (11, "/FuelTaxReturn/Lines/Line[1]/Litres")
    assert errors[-1][0] == 39
    assert (
        errors[-1][2]
        == "The file is not well-formed XML: Opening and ending tag mismatch: Schedule line 14 and Schedul."
    )


def test_an_undeclared_entity_is_a_syntax_error():
    content = document().replace(b"INV-1", b"&inv;")
    _records, errors, reader = read(content)
    assert reader.fatal
    assert errors == [(22, "", "The file is not well-formed XML: Entity 'inv' not defined.")]


def test_a_wrong_root_element():
    _records, errors, reader = read(b'<?xml version="1.0"?>\n<Invoice xmlns="' + NAMESPACE.encode() + b'"/>')
    assert errors == [
        (2, "/Invoice", "The root element is “Invoice”; a TRACS fuel tax return starts with <FuelTaxReturn>.")
    ]
    assert reader.fatal


def test_utf8_with_a_byte_order_mark_is_fine():
    records, errors, _reader = read(b"\xef\xbb\xbf" + document())
    assert errors == []
    assert len(records) == 6


def test_utf16_without_a_byte_order_mark_is_refused():
    _records, errors, _reader = read(document().decode().encode("utf-16-le"))
    assert errors == [(1, "", str(parser.NOT_UTF8 % {"encoding": "UTF-16"}))]


def test_a_hostile_value_is_quoted_short():
    _records, errors, _reader = read(
        document().replace(b"<Litres>60</Litres>", b"<Litres>" + b"9" * 5000 + b"</Litres>")
    )
    assert len(errors) == 1
    assert len(errors[0][2]) == records.MAX_MESSAGE_LENGTH
    assert errors[0][2].endswith("…")


def test_errors_past_the_limit_are_counted_not_kept():
    transactions = [
        XmlTransaction("2024-06-01", f"I{i}", "BIN 1", "propane", "taxable", "1") for i in range(30)
    ]
    errors = ErrorList(limit=10)
    list(ReturnReader(io.BytesIO(document(transactions=transactions)), errors).records())
    assert errors.count == 30
    assert len(errors.items) == 10
    assert errors.truncated


def test_too_many_lines(monkeypatch):
    monkeypatch.setattr(parser, "MAX_LINES", 3)
    records, errors, _reader = read(
        document(lines=[XmlLine("propane", "taxable", str(i)) for i in range(6)], transactions=None)
    )
    assert len([r for r in records if isinstance(r, LineRecord)]) == 3
    assert errors == [(23, "/FuelTaxReturn/Lines/Line[4]", str(parser.TOO_MANY_LINES % {"limit": 3}))]


def test_a_long_stretch_without_a_record_stops_the_reading(monkeypatch):
    """Junk where records belong (or one swollen record) would otherwise grow the tree with the file."""
    monkeypatch.setattr(parser, "CHUNK_BYTES", 1024)
    monkeypatch.setattr(parser, "MAX_GAP_BYTES", 8 * 1024)
    junk = b"<Transaction>" + b"<x/>\n" * 10_000 + b"</Transaction>"
    content = document().replace(b"<Transaction>", junk + b"<Transaction>", 1)
    _records, errors, reader = read(content)
    assert reader.fatal
    line, path, message = errors[-1]
    assert message == str(parser.NO_RECORD_END % {"size": "8 KB"})
    assert 1600 < line < 2200  # where the reading stopped: some 8 to 10 KB (5 bytes a line) into the junk


def test_memory_does_not_grow_with_the_file(tmp_path):
    """Peak RSS reading a 2 MB and a 20 MB file, each in a fresh process: the same, give or take (a full tree
    of the 20 MB file would take about 200 MB)."""
    script = textwrap.dedent(
        """
        import json, resource, sys
        import django
        django.setup()
        from filings.xml.parser import ReturnReader
        from filings.xml.records import ErrorList
        from filings.xml.writer import XmlLine, XmlTransaction, write_return_xml
        path, count = sys.argv[1], int(sys.argv[2])
        transactions = (
            XmlTransaction("2024-06-01", f"INV-{i:09d}", "BIN 234567891", "clear_gasoline", "taxable", "1000.125")
            for i in range(count)
        )
        with open(path, "wb") as out:
            write_return_xml(out, account_number="123456789-01-001", period="2024-06",
                             lines=[XmlLine("clear_gasoline", "taxable", "1")], transactions=transactions)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        errors = ErrorList()
        records = sum(1 for _ in ReturnReader(path, errors).records())
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(json.dumps({"records": records, "errors": errors.count, "growth_kb": after - before}))
        """
    )
    results = {}
    for count in (8_000, 80_000):
        path = tmp_path / f"{count}.xml"
        done = subprocess.run(
            [sys.executable, "-c", script, str(path), str(count)],
            capture_output=True,
            text=True,
            check=True,
            cwd=settings.BASE_DIR,
        )
        results[count] = json.loads(done.stdout.strip().splitlines()[-1])
        assert results[count]["records"] == count + 2
    assert path.stat().st_size > 20_000_000
    assert results[80_000]["growth_kb"] - results[8_000]["growth_kb"] < 10 * 1024, results
