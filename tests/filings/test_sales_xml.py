"""The XML door of the one ingestion service and the sample files: the samples (CSV and XML, each record type)
are accepted whole; an XML record's problems name its line and field like a CSV row's; what the return upload
refuses (a DOCTYPE, entities, another encoding, another structure) is refused here too, whole."""

from __future__ import annotations

import pytest
from lxml import etree

from filings.sales import selectors
from filings.sales.models import Ingestion, InventoryCount, Movement, Sale
from filings.sales.samples import sample_file, sample_file_name
from filings.sales.xml_format import NAMESPACE, XSD_PATH
from tests.accounts.factories import UserFactory, actor_for
from tests.filings.sales_helpers import OCTOBER, registered_seller

pytestmark = pytest.mark.django_db


@pytest.fixture
def account():
    return registered_seller()


def receive(account, data: bytes, name: str = "october.xml") -> Ingestion:
    return __import__("filings.sales.ingestion", fromlist=["x"]).ingestion_receive(
        account=account,
        door=Ingestion.Door.SFTP,
        file_name=name,
        chunks=[data[:50], data[50:]],
        actor=actor_for(UserFactory()),
    )


def run(account, data: bytes, name: str = "october.xml") -> Ingestion:
    from filings.sales.ingestion import ingestion_run

    received = receive(account, data, name)
    assert received.status == "received", received.refusal
    return ingestion_run(ingestion_id=received.pk)


@pytest.mark.parametrize("format_", ["csv", "xml"])
def test_the_samples_are_accepted_whole(account, format_):
    for record_type, model, count in (
        ("sales", Sale, 4),
        ("movements", Movement, 4),
        ("inventory", InventoryCount, 3),
    ):
        data = sample_file(account=account, record_type=record_type, format=format_, month=OCTOBER)
        name = sample_file_name(record_type=record_type, format=format_, month=OCTOBER)
        done = run(account, data, name)
        assert (done.format, done.record_type, done.rows_expected) == (format_, record_type, count)
        assert (done.rows_accepted, done.rows_rejected) == (count, 0), list(
            done.rejected_rows.values("reason")
        )
        assert model.objects.filter(ingestion=done).count() == count
    if format_ == "xml":
        schema = etree.XMLSchema(etree.parse(str(XSD_PATH)))
        assert schema.validate(
            etree.fromstring(sample_file(account=account, record_type="sales", format="xml", month=OCTOBER))
        )


def test_an_xml_record_problem_names_its_line_and_field(account):
    data = sample_file(account=account, record_type="sales", format="xml", month=OCTOBER)
    data = data.replace(b"<Litres>200.500</Litres>", b"<Litres>-2</Litres>").replace(
        b"<ExemptionNumber>T2000001", b"<ExemptionNumber>F1000002"
    )
    done = run(account, data)
    rows = {
        row.row_number: (row.field, row.errors[0]["code"])
        for row in selectors.acknowledgement_rows(ingestion=done)
    }
    assert rows == {
        6: ("litres", "litres_positive"),
        7: ("exemption_number", "cancelled"),
    }  # the records' lines
    assert done.rows_accepted == 2


def test_records_on_one_line_keep_a_row_number_each(account):
    """A file written without line breaks: its records share a line, and take the numbers after it (the whole file
    failed before, two rows having the same number)."""
    data = sample_file(account=account, record_type="sales", format="xml", month=OCTOBER)
    one_line = b"\n".join(data.split(b"\n", 1)[:1] + [b"".join(data.split(b"\n")[1:])])
    done = run(account, one_line.replace(b"<Litres>200.500</Litres>", b"<Litres>-2</Litres>"))
    assert (done.status, done.rows_accepted, done.rows_rejected) == ("done", 3, 1)
    assert [row.row_number for row in selectors.acknowledgement_rows(ingestion=done)] == [3]


def _xml(body: str, head: str = '<?xml version="1.0" encoding="UTF-8"?>') -> bytes:
    return f"{head}\n{body}".encode()


def _file(
    account, records: str, container: str = "Sales", record_type: str = "sales", number: str | None = None
) -> str:
    return (
        f'<MarkedFuelFile xmlns="{NAMESPACE}"><Header><AccountNumber>{number or account.number}</AccountNumber>'
        f"<Month>2026-10</Month><RecordType>{record_type}</RecordType></Header><{container}>{records}</{container}>"
        "</MarkedFuelFile>"
    )


SALE = "<Sale><Record>sale</Record><InvoiceNumber>1</InvoiceNumber><Line>1</Line></Sale>"


@pytest.mark.parametrize(
    ("build", "expected"),
    [
        (
            lambda a: _xml(_file(a, SALE), head='<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY e "boom">]>'),
            "DOCTYPE",
        ),
        (lambda a: _xml(_file(a, SALE), head='<?xml version="1.0" encoding="ISO-8859-1"?>'), "ISO-8859-1"),
        (lambda a: _xml("<FuelTaxReturn/>"), "is not a TRACS marked-fuel file"),
        (lambda a: _xml(_file(a, SALE, container="FuelMovements")), "then the records in <Sales>"),
        (lambda a: _xml(_file(a, SALE, number="123456789-02-001")), "is for account 123456789-02-001"),
        (lambda a: _xml(f'<MarkedFuelFile xmlns="{NAMESPACE}"><Header><Month>'), "not well-formed"),
    ],
)
def test_whole_xml_problems_are_refused_up_front(account, build, expected):
    refused = receive(account, build(account))
    assert refused.status == "refused"
    assert expected in refused.refusal


def test_a_file_off_the_schema_is_refused_whole(account):
    records = SALE.replace("1</InvoiceNumber>", "2</InvoiceNumber>") + "<Sale><Bogus/></Sale>" * 2
    done = run(account, _xml(_file(account, SALE + records)))
    assert done.status == "refused"
    assert done.refusal.startswith("The file does not follow the marked-fuel XML schema")
    assert "Bogus" in done.refusal
    assert not Sale.objects.exists()
