"""Filing a tourism levy return by XML upload through the test client: File a Return offers the upload because
the definition names a format; the shared upload page checks the file in the establishment's format; validate
only stores nothing; errors are listed by line; the review is computed by the service and submitting files
through tourism_levy_return_submit, as the web form; the sample is each establishment's own; the format's
public help page, XSD and sample."""

import html
import re
from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from accounts.models import AccessLogEntry
from filings.definitions import DEFINITIONS
from filings.models import TourismLevyReturn
from filings.tourism_levy import EXEMPT_MORE_THAN_REVENUE
from filings.views_xml import XML_UPLOAD_SESSION_KEY
from filings.xml.formats import FORMATS, upload_format_of
from filings.xml.tourism_levy.reader import SAMPLE_PATH, XSD_PATH
from filings.xml.tourism_levy.writer import levy_return_xml
from tests.accounts.factories import UserFactory
from tests.conftest import sign_in
from tests.consent.factories import owner_grant
from tests.filings.factories import edmonton
from tests.filings.tourism_levy_factories import establishment

CERTIFY = {"certified_name": "Hana Hotelier", "certified_capacity": "Owner", "declaration": "on"}
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(edmonton(2024, 12, 3), tick=False):
        yield


@pytest.fixture
def world():
    inn = establishment(name="Bow River Inn", opened=date(2024, 1, 1))
    chalets = establishment(
        taxpayer=inn.taxpayer,
        name="Cascade Chalets",
        opened=date(2024, 1, 1),
        quarterly_from=date(2024, 1, 1),
    )
    owner = UserFactory(full_name="Hana Hotelier")
    owner_grant(account=inn, user=owner)
    owner_grant(account=chalets, user=owner)
    return {"inn": inn, "chalets": chalets, "client": sign_in(Client(), owner)}


def url(name, account, **kwargs):
    return reverse(name, kwargs={"number": account.number, **kwargs})


def text(response) -> str:
    return re.sub(r"\s+", " ", html.unescape(response.content.decode()))


def upload(client, account, content: bytes, mode="upload", name="return.xml"):
    file = SimpleUploadedFile(name, content, content_type="application/xml")
    return client.post(url("return_xml_upload", account), {"file": file, "mode": mode})


def errors_table(response) -> list[tuple[str, str, str]]:
    table = re.search(r"<table class=\"data\" data-xml-errors>(.*?)</table>", response.content.decode(), re.S)
    assert table, "no error table on the page"
    rows = re.findall(
        r"<tr>\s*<td class=\"num\">(.*?)</td>\s*<td><code>(.*?)</code></td>\s*<td>(.*?)</td>",
        table.group(1),
        re.S,
    )
    return [
        (line, html.unescape(path.replace("<wbr>", "")), html.unescape(message))
        for line, path, message in rows
    ]


def test_every_definition_that_names_a_format_has_one():
    named = [definition for definition in DEFINITIONS if definition.upload_format]
    assert {definition.program for definition in named} == {"fuel_tax", "tourism_levy"}
    assert {upload_format_of(definition) for definition in named} == set(FORMATS)


def test_file_a_return_offers_the_upload_of_each_establishment(world):
    for account in (world["inn"], world["chalets"]):
        page = world["client"].get(url("returns_owed", account)).content.decode()
        assert url("return_xml_upload", account) in page


def test_the_upload_page_is_the_tourism_levy_formats(world):
    page = text(world["client"].get(url("return_xml_upload", world["chalets"])))
    assert "File this establishment's tourism levy return from a file" in page
    assert reverse("tourism_levy_xml_help") in page
    # The chalets file quarterly and have filed nothing: the sample is for their first quarter
    assert "download a sample return for this account and Q1 2024 (January–March)" in page


def test_each_establishments_sample_is_its_own_and_uploads_as_it_is(world):
    client = world["client"]
    for account, period, name in (
        (world["inn"], "2024-01", "January 2024"),
        (world["chalets"], "2024-Q1", "Q1 2024 (January–March)"),
    ):
        response = client.get(url("return_xml_sample", account))
        assert response["Content-Disposition"] == (
            f'attachment; filename="tourism-levy-return-{account.number}-{period}-sample.xml"'
        )
        sample = response.content
        assert f"<AccountNumber>{account.number}</AccountNumber>".encode() in sample
        assert f"<Period>{period}</Period>".encode() in sample
        validated = upload(client, account, sample, mode="validate")
        assert validated.status_code == 200, errors_table(validated)
        page = text(validated)
        assert "No errors: this file would be accepted" in page
        assert f"What it would file for {name}" in page
        assert "$10,000.00" in page  # the taxable purchase price
    assert not TourismLevyReturn.objects.exists()
    assert XML_UPLOAD_SESSION_KEY % world["inn"].number not in client.session


def test_upload_review_certify_and_file_through_the_web_forms_service(world):
    """$12,000.00 + $450.00 of fees - $2,000.00 of long stays - $450.00 to the Government of Canada = $10,000.00
    taxable x 4% = $400.00 payable."""
    client, chalets = world["client"], world["chalets"]
    content = SAMPLE_PATH.read_bytes().replace(b"123456789-06-001", chalets.number.encode())
    content = content.replace(b"<Period>2024-06</Period>", b"<Period>2024-Q2</Period>")
    response = upload(client, chalets, content, name="q2.xml")
    assert response.status_code == 302, errors_table(response)
    assert response["Location"] == url("tourism_levy_return_xml_review", chalets)
    assert not TourismLevyReturn.objects.exists()

    review = client.get(response["Location"])
    page = text(review)
    assert "Review the tourism levy return for Q2 2024 (April–June)" in page
    assert "Uploaded from q2.xml" in page
    assert "$12,450.00" in page
    assert "$10,000.00" in page
    token = client.session[XML_UPLOAD_SESSION_KEY % chalets.number]["token"]

    submitted = client.post(url("tourism_levy_return_xml_review", chalets), {"upload": token, **CERTIFY})
    filed = TourismLevyReturn.objects.get()
    assert submitted["Location"] == url(
        "tourism_levy_return_confirmation", chalets, confirmation_number=filed.confirmation_number
    )
    assert (filed.account, filed.period_kind, filed.period_start) == (chalets, "quarterly", date(2024, 4, 1))
    assert filed.gross_revenue == Decimal("12450.00")
    assert filed.taxable == Decimal("10000.00")
    assert filed.amount_payable == Decimal("400.00")
    assert {(line.reason, line.amount) for line in filed.lines.all()} == {
        ("long_stay", Decimal("2000.00")),
        ("government_of_canada", Decimal("450.00")),
    }
    assert AccessLogEntry.objects.filter(
        kind="change", action="tourism levy return filed", account_number=chalets.number
    ).exists()
    # Sent again (double click, back button): the return already filed, nothing more stored
    again = client.post(url("tourism_levy_return_xml_review", chalets), {"upload": token, **CERTIFY})
    assert again.status_code == 302
    assert TourismLevyReturn.objects.count() == 1


def test_every_error_is_listed_by_line_and_nothing_is_kept(world):
    client, inn = world["client"], world["inn"]
    content = levy_return_xml(
        account_number=inn.number,
        period="2024-06",
        gross_revenue="1000",
        exemptions=[("long_stay", "2000")],
        levy_collected="0",
    )
    for mode in ("validate", "upload"):
        response = upload(client, inn, content, mode=mode)
        assert response.status_code == 400
        assert errors_table(response) == [
            (
                "7",
                "/TourismLevyReturn/GrossRevenue",
                str(EXEMPT_MORE_THAN_REVENUE % {"exempt": "$2,000.00", "gross": "$1,000.00"}),
            )
        ]
        assert "Nothing was filed or kept" in text(response)
    assert not TourismLevyReturn.objects.exists()
    assert XML_UPLOAD_SESSION_KEY % inn.number not in client.session


def test_a_fuel_tax_file_on_an_establishment_is_refused_at_its_root(world):
    from filings.xml.writer import XmlLine, return_xml

    content = return_xml(
        account_number=world["inn"].number, period="2024-06", lines=[XmlLine("propane", "taxable", "1")]
    )
    rows = errors_table(upload(world["client"], world["inn"], content))
    assert [(line, path) for line, path, _message in rows] == [("2", "/FuelTaxReturn")]


def test_the_review_of_another_formats_upload_is_not_shown(world):
    """A fuel tax upload waiting in the session is not an establishment's: its review asks for the file again."""
    client, inn = world["client"], world["inn"]
    session = client.session
    session[XML_UPLOAD_SESSION_KEY % inn.number] = {
        "format": "fuel-tax-return-1",
        "token": "x",
        "period": "2024-06",
    }
    session.save()
    response = client.get(url("tourism_levy_return_xml_review", inn))
    assert response["Location"] == url("return_xml_upload", inn)


def test_the_public_help_page_schema_and_sample():
    client = Client()
    page = text(client.get("/help/xml/tourism-levy-return/"))
    assert "Tourism levy return: XML format, version 1" in page
    assert "urn:ab:tra:tracs:tourismlevy:return:1" in page
    assert "online_broker" in page
    schema = client.get(reverse("tourism_levy_xml_schema_download"))
    assert b"".join(schema.streaming_content) == XSD_PATH.read_bytes()
    sample = client.get(reverse("tourism_levy_xml_sample_download"))
    assert b"".join(sample.streaming_content) == SAMPLE_PATH.read_bytes()


def test_the_programs_help_page_points_to_the_format():
    page = Client().get(reverse("help_program", kwargs={"code": "tourism_levy"})).content.decode()
    assert reverse("tourism_levy_xml_help") in page
    assert "by uploading an XML file" in page
