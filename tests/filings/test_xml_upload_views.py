"""Filing by XML upload through the test client: upload -> review -> certify -> the same service as the web form
-> the confirmation; validate-only; every kind of refused file (a clear message, nothing stored); the size
limit; CSRF; access."""

import html
import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccessLogEntry
from filings.models import FuelTaxReturn
from filings.services import ALREADY_FILED, PERIOD_NOT_ENDED
from filings.views_xml import NO_PENDING_UPLOAD, UPLOAD_EXPIRED, UPLOAD_REPLACED, XML_UPLOAD_SESSION_KEY
from filings.xml import parser
from filings.xml.forms import CHOOSE_A_FILE, megabytes
from filings.xml.schema import SAMPLE_PATH
from filings.xml.validator import ACCOUNT_MISMATCH
from filings.xml.writer import XmlLine, XmlTransaction, return_xml
from tests.accounts.factories import UserFactory
from tests.conftest import sign_in
from tests.consent.factories import ProgramAccountFactory, TaxpayerFactory, owner_grant
from tests.filings.factories import file_return

EDMONTON = ZoneInfo("America/Edmonton")
CERTIFY = {"certified_name": "Olivia Owner", "certified_capacity": "Controller", "declaration": "on"}
JUNE_2021_WEB = {"clear_gasoline__taxable": "100,000", "marked_diesel__taxable": "20000"}
JUNE_2021_LINES = [
    XmlLine("clear_gasoline", "taxable", "100000"),
    XmlLine("marked_diesel", "taxable", "20000"),
]


def url(name, account, **kwargs):
    return reverse(name, kwargs={"number": account.number, **kwargs})


def text(response) -> str:
    return re.sub(r"\s+", " ", html.unescape(response.content.decode()))


def xml_file(content: bytes, name: str = "return.xml") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/xml")


def june_2021(account, lines=JUNE_2021_LINES, **kwargs) -> bytes:
    return return_xml(account_number=account.number, period="2021-06", lines=lines, **kwargs)


def upload(client, account, content: bytes, mode="upload", name="return.xml"):
    return client.post(url("return_xml_upload", account), {"file": xml_file(content, name), "mode": mode})


def errors_table(response) -> list[tuple[str, str, str]]:
    """The rows of the error table: (line, path, message)."""
    body = response.content.decode()
    table = re.search(r"<table class=\"data\" data-xml-errors>(.*?)</table>", body, re.S)
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


def nothing_stored(client, account):
    assert not FuelTaxReturn.objects.exists()
    assert XML_UPLOAD_SESSION_KEY % account.number not in client.session


@pytest.fixture
def sample_account(db):
    """The sample file's account: Prairie Fuels Ltd., BIN 123456789, fuel tax account 123456789-01-001."""
    taxpayer = TaxpayerFactory(legal_name="Prairie Fuels Ltd.", bin="123456789")
    account = ProgramAccountFactory(
        taxpayer=taxpayer, effective_date=timezone.localdate().replace(year=2021, month=1, day=1)
    )
    assert account.number == "123456789-01-001"
    return account


# --- The journey ---------------------------------------------------------------------------------------


def test_upload_page(account, owner_client):
    response = owner_client.get(url("return_xml_upload", account))
    assert response.status_code == 200
    page = text(response)
    assert "Upload a return (XML)" in page
    assert "Validate only" in page
    assert "Upload for review" in page
    assert reverse("xml_help") in page
    assert 'enctype="multipart/form-data"' in page
    assert AccessLogEntry.objects.filter(
        kind="read", action="return xml upload", account_number=account.number
    ).exists()


def test_sample_file_uploaded_reviewed_and_filed(sample_account):
    owner = owner_grant(account=sample_account).user
    client = sign_in(Client(), owner)
    response = upload(client, sample_account, SAMPLE_PATH.read_bytes(), name="fuel-tax-return-1-sample.xml")
    assert response.status_code == 302
    assert response["Location"] == url("return_xml_review", sample_account)
    assert not FuelTaxReturn.objects.exists()  # nothing is filed before the filer certifies

    review = client.get(response["Location"])
    assert review.status_code == 200
    page = text(review)
    assert "Review the return for June 2024" in page
    assert "Uploaded from fuel-tax-return-1-sample.xml" in page
    # June 2024: 100,000 L clear gasoline x $0.13 = $13,000.00; 50,000.5 L clear diesel x $0.13 = $6,500.065
    # -> $6,500.07 (half up, per line); 20,000 L marked diesel x $0.04 = $800.00; tax-out lines $0.00.
    assert "$13,000.00" in page
    assert "$6,500.07" in page
    assert "$800.00" in page
    assert "$20,300.07" in page
    assert "The file's schedule lists 7 transactions; their totals agree with the lines." in page
    token = client.session[XML_UPLOAD_SESSION_KEY % sample_account.number]["token"]

    submitted = client.post(url("return_xml_review", sample_account), {"upload": token, **CERTIFY})
    tax_return = FuelTaxReturn.objects.get()
    assert submitted["Location"] == url(
        "return_confirmation", sample_account, confirmation_number=tax_return.confirmation_number
    )
    assert tax_return.total_tax == Decimal("20300.07")
    assert tax_return.certified_name == "Olivia Owner"
    assert tax_return.filed_by == owner
    assert {(line.fuel, line.category, line.litres, line.tax) for line in tax_return.lines.all()} == {
        ("clear_gasoline", "taxable", Decimal("100000.000"), Decimal("13000.00")),
        ("clear_diesel", "taxable", Decimal("50000.500"), Decimal("6500.07")),
        ("marked_diesel", "taxable", Decimal("20000.000"), Decimal("800.00")),
        ("clear_gasoline", "fdr_to_fdr", Decimal("25000.000"), Decimal("0.00")),
        ("clear_diesel", "export_bulk", Decimal("12000.000"), Decimal("0.00")),
    }
    confirmation = client.get(submitted["Location"])
    assert "Return received" in text(confirmation)
    assert AccessLogEntry.objects.filter(
        kind="change", action="fuel tax return filed", account_number=sample_account.number
    ).exists()


def test_the_upload_page_offers_a_sample_made_out_for_the_account(account, owner_client):
    """The published sample names another account and June 2024, so it cannot be uploaded as it is; the upload
    page offers the same file for this account and the next return it has to file (the oldest not filed)."""
    file_return(account=account, period="2021-01", user=account.grants.get().user)
    page = text(owner_client.get(url("return_xml_upload", account)))
    assert "download a sample return for this account and February 2021" in page
    assert url("return_xml_sample", account) in page

    response = owner_client.get(url("return_xml_sample", account))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml"
    assert response["Content-Disposition"] == (
        f'attachment; filename="fuel-tax-return-{account.number}-2021-02-sample.xml"'
    )
    sample = response.content
    assert f"<AccountNumber>{account.number}</AccountNumber>".encode() in sample
    assert b"<Period>2021-02</Period>" in sample
    assert b"<Date>2021-02-28</Date>" in sample  # the sample's 2024-06-28, in February 2021
    assert b"<DocumentNumber>INV-2021-02-0001</DocumentNumber>" in sample
    assert b"2024-06" not in sample

    uploaded = upload(owner_client, account, sample, name="sample.xml")
    assert uploaded.status_code == 302, errors_table(uploaded)
    review = text(owner_client.get(uploaded["Location"]))
    assert "Review the return for February 2021" in review
    assert "The file's schedule lists 7 transactions; their totals agree with the lines." in review


def test_with_every_return_filed_the_sample_is_for_the_month_under_way(owner_client):
    """Nothing owed: the sample is for the current month, which uploads once it has ended."""
    account = ProgramAccountFactory(effective_date=date(2026, 11, 1))
    owner_grant(account=account, user=UserFactory())
    client = sign_in(Client(), account.grants.get().user)
    with time_machine.travel(datetime(2026, 11, 20, 12, tzinfo=EDMONTON)):
        page = text(client.get(url("return_xml_upload", account)))
        assert "Every return owed is filed." in page
        assert "Download a sample return for this account and November 2026" in page
        sample = client.get(url("return_xml_sample", account)).content
    assert b"<Period>2026-11</Period>" in sample
    with time_machine.travel(datetime(2026, 12, 1, 9, tzinfo=EDMONTON)):
        client = sign_in(Client(), account.grants.get().user)  # the other session timed out meanwhile
        validated = upload(client, account, sample, mode="validate")
        assert validated.status_code == 200, errors_table(validated)
        assert "No errors: this file would be accepted" in text(validated)


def _lines(tax_return):
    return sorted(
        (line.fuel, line.category, line.litres, line.rate_value, line.rate_effective_from, line.tax)
        for line in tax_return.lines.all()
    )


def test_xml_return_is_identical_to_the_web_form_return(db):
    """The same litres through both doors: the same lines, rates and tax (one service, two front doors)."""
    web_account = ProgramAccountFactory(
        effective_date=timezone.localdate().replace(year=2021, month=1, day=1)
    )
    xml_account = ProgramAccountFactory(effective_date=web_account.effective_date)
    web_client = sign_in(Client(), owner_grant(account=web_account).user)
    xml_client = sign_in(Client(), owner_grant(account=xml_account).user)

    web_client.post(
        url("return_file", web_account, period="2021-06"), {**JUNE_2021_WEB, "step": "submit", **CERTIFY}
    )
    upload(xml_client, xml_account, june_2021(xml_account))
    token = xml_client.session[XML_UPLOAD_SESSION_KEY % xml_account.number]["token"]
    xml_client.post(url("return_xml_review", xml_account), {"upload": token, **CERTIFY})

    web = FuelTaxReturn.objects.get(account=web_account)
    xml = FuelTaxReturn.objects.get(account=xml_account)
    assert _lines(web) == _lines(xml)
    assert web.total_tax == xml.total_tax == Decimal("13800.00")
    assert (web.period_start, web.kind, web.version, web.certified_capacity) == (
        xml.period_start,
        xml.kind,
        xml.version,
        xml.certified_capacity,
    )


def test_nil_return_by_xml(account, owner_client):
    upload(owner_client, account, june_2021(account, lines=[]))
    token = owner_client.session[XML_UPLOAD_SESSION_KEY % account.number]["token"]
    assert "Nil return:" in text(owner_client.get(url("return_xml_review", account)))
    owner_client.post(url("return_xml_review", account), {"upload": token, **CERTIFY})
    tax_return = FuelTaxReturn.objects.get()
    assert tax_return.is_nil
    assert tax_return.total_tax == 0


def test_review_needs_the_certification(account, owner_client):
    upload(owner_client, account, june_2021(account))
    token = owner_client.session[XML_UPLOAD_SESSION_KEY % account.number]["token"]
    response = owner_client.post(
        url("return_xml_review", account), {"upload": token, "certified_name": "Olivia Owner"}
    )
    assert response.status_code == 400
    assert "Tick the box to certify the return before you submit it." in text(response)
    assert not FuelTaxReturn.objects.exists()


def test_submitting_twice_files_one_return_and_shows_it(account, owner_client):
    upload(owner_client, account, june_2021(account))
    token = owner_client.session[XML_UPLOAD_SESSION_KEY % account.number]["token"]
    first = owner_client.post(url("return_xml_review", account), {"upload": token, **CERTIFY})
    again = owner_client.post(
        url("return_xml_review", account), {"upload": token, **CERTIFY}
    )  # double click / back
    assert FuelTaxReturn.objects.count() == 1
    assert first["Location"].startswith(url("return_confirmation", account, confirmation_number="X")[:-2])
    assert again["Location"] == url("return_period", account, period="2021-06")
    filed = FuelTaxReturn.objects.get()
    shown = owner_client.get(again["Location"])
    assert str(ALREADY_FILED % {"period": "June 2021", "confirmation": filed.confirmation_number}) in text(
        shown
    )


def test_a_period_filed_by_someone_else_meanwhile(account, owner, owner_client):
    upload(owner_client, account, june_2021(account))
    token = owner_client.session[XML_UPLOAD_SESSION_KEY % account.number]["token"]
    filed = file_return(account=account, period="2021-06", user=owner)  # a colleague, by web form
    response = owner_client.post(url("return_xml_review", account), {"upload": token, **CERTIFY})
    assert response["Location"] == url("return_period", account, period="2021-06")
    assert FuelTaxReturn.objects.get() == filed


def test_a_newer_upload_replaces_the_one_under_review(account, owner_client):
    upload(owner_client, account, june_2021(account))
    old_token = owner_client.session[XML_UPLOAD_SESSION_KEY % account.number]["token"]
    upload(
        owner_client, account, june_2021(account, lines=[XmlLine("propane", "taxable", "10")])
    )  # another tab
    response = owner_client.post(url("return_xml_review", account), {"upload": old_token, **CERTIFY})
    assert response["Location"] == url("return_xml_review", account)
    assert not FuelTaxReturn.objects.exists()
    page = text(owner_client.get(response["Location"]))
    assert str(UPLOAD_REPLACED) in page
    assert "Propane" in page


def test_review_without_an_upload(account, owner_client):
    response = owner_client.get(url("return_xml_review", account))
    assert response["Location"] == url("return_xml_upload", account)
    assert str(NO_PENDING_UPLOAD) in text(owner_client.get(response["Location"]))
    assert owner_client.post(url("return_xml_review", account), CERTIFY)["Location"] == url(
        "return_xml_upload", account
    )


def test_an_upload_expires_after_an_hour(account, owner_client):
    upload(owner_client, account, june_2021(account))
    token = owner_client.session[XML_UPLOAD_SESSION_KEY % account.number]["token"]
    start = timezone.now()
    for minutes in range(10, 70, 10):  # the filer stays active (a session ends after 15 minutes idle)
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            assert owner_client.get(url("returns_owed", account)).status_code == 200
    with time_machine.travel(start + timedelta(minutes=61), tick=False):
        response = owner_client.post(url("return_xml_review", account), {"upload": token, **CERTIFY})
        assert response["Location"] == url("return_xml_upload", account)
        assert str(UPLOAD_EXPIRED) in text(owner_client.get(response["Location"]))
    assert not FuelTaxReturn.objects.exists()
    assert XML_UPLOAD_SESSION_KEY % account.number not in owner_client.session


# --- Validate only -------------------------------------------------------------------------------------


def test_validate_only_a_valid_file_stores_nothing(account, owner_client):
    response = upload(owner_client, account, june_2021(account), mode="validate")
    assert response.status_code == 200
    page = text(response)
    assert "No errors: this file would be accepted" in page
    assert "$13,800.00" in page
    nothing_stored(owner_client, account)


def test_validate_only_shows_the_errors_a_submission_would(account, owner_client):
    bad = june_2021(
        account, lines=[XmlLine("clear_gasoline", "taxable", "-5"), XmlLine("propane", "railway", "10")]
    )
    validated = upload(owner_client, account, bad, mode="validate")
    uploaded = upload(owner_client, account, bad, mode="upload")
    assert validated.status_code == uploaded.status_code == 400
    assert errors_table(validated) == errors_table(uploaded)
    # both kinds at once: the schema's (line 1's litres) and the web form's rules (line 2, on a valid record)
    assert errors_table(validated) == [
        (
            "11",
            "/FuelTaxReturn/Lines/Line[1]/Litres",
            "Litres: “-5” is not a number of litres: digits, optionally a point and up to 3 decimals (e.g. 1250.5), no sign, no thousands separator.",
        ),
        ("13", "/FuelTaxReturn/Lines/Line[2]", "propane cannot be reported as “railway”."),
    ]
    nothing_stored(owner_client, account)


def test_business_errors_carry_the_line_and_path(account, owner, owner_client):
    file_return(account=account, period="2021-05", user=owner)
    content = return_xml(
        account_number="999999999-01-001",
        period="2021-05",
        lines=[XmlLine("propane", "railway", "10"), XmlLine("clear_gasoline", "taxable", "5")],
    )
    response = upload(owner_client, account, content, mode="validate")
    assert response.status_code == 400
    filed = FuelTaxReturn.objects.get()
    assert errors_table(response) == [
        (
            "4",
            "/FuelTaxReturn/Header/AccountNumber",
            str(ACCOUNT_MISMATCH % {"file": "999999999-01-001", "account": account.number}),
        ),
        (
            "5",
            "/FuelTaxReturn/Header/Period",
            str(ALREADY_FILED % {"period": "May 2021", "confirmation": filed.confirmation_number}),
        ),
        ("8", "/FuelTaxReturn/Lines/Line[1]", "propane cannot be reported as “railway”."),
    ]
    assert FuelTaxReturn.objects.count() == 1


def test_a_period_not_ended_is_refused_like_the_web_form(account, owner_client):
    with time_machine.travel(timezone.now().replace(year=2021, month=6, day=15), tick=False):
        response = upload(owner_client, account, june_2021(account), mode="validate")
    assert response.status_code == 400
    assert errors_table(response) == [
        (
            "5",
            "/FuelTaxReturn/Header/Period",
            str(PERIOD_NOT_ENDED % {"period": "June 2021", "first_day": "2021-07-01"}),
        ),
    ]


def test_many_errors_in_one_file_are_all_listed(account, owner_client):
    transactions = [
        XmlTransaction(f"2021-06-{day:02d}", f"INV-{day}", "BIN 123", "clear_gasoline", "taxable", "1,000")
        for day in range(1, 31)
    ]
    response = upload(owner_client, account, june_2021(account, transactions=transactions), mode="validate")
    rows = errors_table(response)
    assert "The file has 60 errors" in text(response)
    assert len(rows) == 60
    # Transaction 1 starts on line 20 and each takes 8 lines: its BIN is on line 23, its litres on line 26
    assert rows[0] == (
        "23",
        "/FuelTaxReturn/Schedule/Transaction[1]/Counterparty/BIN",
        "BIN: “123” is not a BIN: 9 digits.",
    )
    assert rows[1][:2] == ("26", "/FuelTaxReturn/Schedule/Transaction[1]/Litres")
    assert rows[-1][:2] == (str(26 + 29 * 8), "/FuelTaxReturn/Schedule/Transaction[30]/Litres")


def test_past_the_error_limit_the_count_is_still_given(account, owner_client, monkeypatch):
    monkeypatch.setattr(parser, "MAX_ERRORS_LISTED", 1000)
    transactions = [
        XmlTransaction("2021-06-01", f"INV-{i}", "BIN 123456789", "clear_gasoline", "taxable", "x")
        for i in range(1005)
    ]
    response = upload(owner_client, account, june_2021(account, transactions=transactions), mode="validate")
    assert len(errors_table(response)) == 1000
    page = text(response)
    assert "The file has 1,005 errors" in page
    assert "The first 1,000 of 1,005 errors are listed." in page


# --- Refused files: a clear message, nothing stored ----------------------------------------------------

NS = b'xmlns="urn:ab:tra:tracs:fueltax:return:1"'
BILLION_LAUGHS = (
    b"""<?xml version="1.0"?>
<!DOCTYPE FuelTaxReturn [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<FuelTaxReturn """
    + NS
    + b"""><Header><AccountNumber>&lol9;</AccountNumber></Header></FuelTaxReturn>"""
)
EXTERNAL_ENTITY = (
    b'<?xml version="1.0"?>\n<!DOCTYPE FuelTaxReturn [<!ENTITY passwd SYSTEM "file:///etc/passwd">]>\n'
    b"<FuelTaxReturn " + NS + b"><Header><AccountNumber>&passwd;</AccountNumber></Header></FuelTaxReturn>"
)


def refused(client, account, content: bytes, mode="upload"):
    response = upload(client, account, content, mode=mode)
    assert response.status_code == 400
    nothing_stored(client, account)
    return errors_table(response)


def test_billion_laughs_is_refused(account, owner_client):
    rows = refused(owner_client, account, BILLION_LAUGHS)
    assert rows == [("2", "–", str(parser.DOCTYPE_REFUSED))]
    assert "lollol" not in text(owner_client.get(url("return_xml_upload", account)))


def test_an_external_entity_is_refused_and_never_read(account, owner_client):
    response = upload(owner_client, account, EXTERNAL_ENTITY)
    assert errors_table(response) == [("2", "–", str(parser.DOCTYPE_REFUSED))]
    assert "root:" not in response.content.decode()
    nothing_stored(owner_client, account)


def test_any_doctype_is_refused(account, owner_client):
    content = june_2021(account).replace(b"<FuelTaxReturn", b"<!DOCTYPE FuelTaxReturn>\n<FuelTaxReturn", 1)
    assert refused(owner_client, account, content) == [("2", "–", str(parser.DOCTYPE_REFUSED))]


def test_a_wrong_namespace_is_refused(account, owner_client):
    content = june_2021(account).replace(b"urn:ab:tra:tracs:fueltax:return:1", b"urn:example:fuel:2")
    assert refused(owner_client, account, content) == [
        (
            "2",
            "/FuelTaxReturn",
            str(
                parser.WRONG_NAMESPACE
                % {"found": "urn:example:fuel:2", "expected": "urn:ab:tra:tracs:fueltax:return:1"}
            ),
        ),
    ]


def test_no_namespace_is_refused(account, owner_client):
    content = june_2021(account).replace(b' xmlns="urn:ab:tra:tracs:fueltax:return:1"', b"")
    assert refused(owner_client, account, content) == [
        ("2", "/FuelTaxReturn", str(parser.NO_NAMESPACE % {"expected": "urn:ab:tra:tracs:fueltax:return:1"})),
    ]


def test_utf16_declared_as_utf8_is_refused(account, owner_client):
    content = june_2021(account).decode().encode("utf-16")
    assert refused(owner_client, account, content) == [
        ("1", "–", str(parser.NOT_UTF8 % {"encoding": "UTF-16"}))
    ]


def test_another_declared_encoding_is_refused(account, owner_client):
    content = june_2021(account).replace(b'encoding="UTF-8"', b'encoding="ISO-8859-1"')
    assert refused(owner_client, account, content) == [
        ("1", "–", str(parser.NOT_UTF8 % {"encoding": "ISO-8859-1"}))
    ]


def test_invalid_utf8_bytes_are_refused_at_their_line(account, owner_client):
    content = june_2021(account).replace(b"<Software>", b"").replace(b"100000", b"10\xe9000")
    rows = refused(owner_client, account, content)
    assert len(rows) == 1
    assert rows[0][0] == "11"
    assert rows[0][2].startswith("The file is not valid UTF-8")


def test_a_file_that_is_not_xml(account, owner_client):
    rows = refused(owner_client, account, b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n")
    assert rows == [("1", "–", str(parser.NOT_XML % {"detail": "Start tag expected, '<' not found"}))]


def test_an_empty_file(account, owner_client):
    assert refused(owner_client, account, b"") == [("–", "–", str(parser.EMPTY_FILE))]


def test_a_file_cut_short(account, owner_client):
    content = june_2021(account)[:-40]
    rows = refused(owner_client, account, content)
    assert rows[-1][2].startswith("The file is not well-formed XML")


def test_no_file_chosen(account, owner_client):
    response = owner_client.post(url("return_xml_upload", account), {"mode": "upload"})
    assert response.status_code == 400
    assert str(CHOOSE_A_FILE) in text(response)


def test_over_the_size_limit_the_body_is_never_read(account, owner_client, settings):
    settings.TRACS_XML_UPLOAD_MAX_BYTES = 1024
    content = june_2021(
        account,
        transactions=[
            XmlTransaction("2021-06-01", f"INV-{i}", "BIN 123456789", "clear_gasoline", "taxable", "1")
            for i in range(400)
        ],
    )
    assert len(content) > 1024 + 64 * 1024
    response = upload(owner_client, account, content)
    assert response.status_code == 413
    assert "the largest file accepted is 1 KB" in text(response)
    nothing_stored(owner_client, account)


def test_over_the_size_limit_within_the_multipart_allowance(account, owner_client, settings):
    settings.TRACS_XML_UPLOAD_MAX_BYTES = 1024
    content = june_2021(account, software="x" * 100, lines=JUNE_2021_LINES * 4)
    assert 1024 < len(content) < 2048
    response = upload(owner_client, account, content)
    assert response.status_code == 413
    assert f"The file is {megabytes(len(content))}; the largest file accepted is 1 KB." in text(response)
    nothing_stored(owner_client, account)


def test_the_upload_checks_the_csrf_token(account, owner):
    client = sign_in(Client(enforce_csrf_checks=True), owner)
    response = upload(client, account, june_2021(account))
    assert response.status_code == 403
    nothing_stored(client, account)


def test_the_upload_with_its_csrf_token(account, owner):
    client = sign_in(Client(enforce_csrf_checks=True), owner)
    client.get(url("return_xml_upload", account))
    token = client.cookies["csrftoken"].value
    response = client.post(
        url("return_xml_upload", account),
        {"file": xml_file(june_2021(account)), "mode": "upload", "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302


# --- Access --------------------------------------------------------------------------------------------


def test_an_outsider_gets_404(account, db):
    outsider = sign_in(Client(), owner_grant(account=ProgramAccountFactory()).user)
    assert outsider.get(url("return_xml_upload", account)).status_code == 404
    assert upload(outsider, account, june_2021(account)).status_code == 404
    assert outsider.get(url("return_xml_review", account)).status_code == 404
    assert not FuelTaxReturn.objects.exists()


def test_a_delegate_without_file_returns_gets_403(account, db):
    from consent.privileges import Privilege
    from tests.accounts.factories import UserFactory
    from tests.consent.factories import delegate_grant

    viewer = UserFactory()
    delegate_grant(account=account, user=viewer, privileges=(Privilege.VIEW_ACCOUNT,))
    client = sign_in(Client(), viewer)
    assert client.get(url("return_xml_upload", account)).status_code == 403
    assert upload(client, account, june_2021(account)).status_code == 403
    assert client.post(url("return_xml_review", account), CERTIFY).status_code == 403
    assert not FuelTaxReturn.objects.exists()


def test_a_delegate_with_file_returns_files_by_xml(account, filer, filer_client):
    upload(filer_client, account, june_2021(account))
    token = filer_client.session[XML_UPLOAD_SESSION_KEY % account.number]["token"]
    filer_client.post(
        url("return_xml_review", account), {"upload": token, **CERTIFY, "certified_name": "Fiona Filer"}
    )
    tax_return = FuelTaxReturn.objects.get()
    assert tax_return.filed_by == filer
    assert tax_return.filed_in_capacity == "delegate"
