"""Marked-fuel files in the portal (issue 14, item 8): a file uploaded in the browser streams to disk and is
ingested by its Celery job (inline here); its page shows the rows read, accepted and rejected, refreshing itself
while the job runs (a status URL for the script), then the acknowledgement with every rejected row (row number,
field, reason) and its CSV; validate-only keeps nothing; a file cut short, a file for another account and a file
not in UTF-8 are refused with a clear message; another account's file is not found."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client
from django.urls import reverse

from filings.sales.forms_upload import NO_WHOLE_FILE
from filings.sales.models import Ingestion, Sale
from tests.accounts.factories import UserFactory
from tests.conftest import sign_in
from tests.consent.factories import owner_grant
from tests.filings.sales_helpers import sale_row, seller
from tests.programs.registry_helpers import registry

pytestmark = pytest.mark.django_db


def csv_bytes(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


@pytest.fixture
def account():
    registry()
    return seller()


@pytest.fixture
def client(account):
    person = UserFactory()
    owner_grant(account=account, user=person)
    return sign_in(Client(), person)


def url(account, name, **kwargs):
    return reverse(name, kwargs={"number": account.number, **kwargs})


def upload(client, account, content: bytes, name="sales-2026-10.csv", validate_only=False):
    file = io.BytesIO(content)
    file.name = name
    data: dict[str, object] = {"file": file}
    if validate_only:
        data["validate_only"] = "on"
    return client.post(url(account, "sales_file_upload"), data)


def test_an_uploaded_file_is_ingested_and_acknowledged_row_by_row(
    client, account, django_capture_on_commit_callbacks
):
    assert client.get(url(account, "sales_file_upload")).status_code == 200
    content = csv_bytes([sale_row(account), sale_row(account, line=2, exemption_number="F7654321")])
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, account, content)
    ingestion = Ingestion.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url(account, "sales_file", ingestion_id=ingestion.pk)
    assert (ingestion.door, ingestion.status, ingestion.rows_accepted, ingestion.rows_rejected) == (
        "upload",
        "done",
        1,
        1,
    )

    page = client.get(response["Location"])
    body = page.content.decode()
    assert 'http-equiv="refresh"' not in body  # finished: no more refreshing
    assert "Rejected rows" in body
    rejected = page.context["rejected"].object_list[0]
    assert rejected.field == "exemption_number"
    assert f'<td class="value">{rejected.row_number}</td>' in body
    status = client.get(url(account, "sales_file_status", ingestion_id=ingestion.pk)).json()
    assert (status["finished"], status["rows_accepted"], status["rows_rejected"], status["percent"]) == (
        True,
        1,
        1,
        100,
    )

    download = client.get(url(account, "sales_file_acknowledgement", ingestion_id=ingestion.pk))
    assert download["Content-Disposition"] == 'attachment; filename="sales-2026-10.csv.ack.csv"'
    text = b"".join(download.streaming_content).decode()
    assert text.startswith("file,status,validate_only,rows_read,rows_accepted,rows_rejected,message")
    assert "exemption_number" in text
    listed = client.get(url(account, "sales_files")).content.decode()
    assert "sales-2026-10.csv" in listed
    assert "Browser upload" in listed


def test_while_the_job_runs_the_page_refreshes_itself_and_the_status_says_how_far(client, account):
    ingestion = Ingestion.objects.create(
        account=account,
        door="upload",
        format="csv",
        file_name="big.csv",
        status="running",
        rows_expected=200,
        rows_read=50,
    )
    body = client.get(url(account, "sales_file", ingestion_id=ingestion.pk)).content.decode()
    assert '<meta http-equiv="refresh" content="3">' in body
    assert 'value="25"' in body  # the progress bar, 50 of 200 rows
    assert "js/sales-progress.js" in body
    status = client.get(url(account, "sales_file_status", ingestion_id=ingestion.pk))
    assert status["Cache-Control"] == "private, no-store"
    assert (status.json()["finished"], status.json()["percent"]) == (False, 25)
    # The CSV waits for the end.
    early = client.get(url(account, "sales_file_acknowledgement", ingestion_id=ingestion.pk))
    assert early["Location"] == url(account, "sales_file", ingestion_id=ingestion.pk)


def test_validate_only_checks_every_row_and_keeps_nothing(
    client, account, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, account, csv_bytes([sale_row(account)]), validate_only=True)
    ingestion = Ingestion.objects.get()
    assert (ingestion.validate_only, ingestion.status, ingestion.rows_accepted) == (True, "done", 1)
    assert not Sale.objects.exists()
    assert (
        "validate only: nothing is kept"
        in client.get(url(account, "sales_file", ingestion_id=ingestion.pk)).content.decode()
    )


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"\xff\xfe not UTF-8 at all", "UTF-8"),
        (None, "The file is for account"),  # a file whose rows name another account
    ],
)
def test_a_file_refused_whole_says_why_on_its_page(
    client, account, content, expected, django_capture_on_commit_callbacks
):
    if content is None:
        content = csv_bytes([sale_row(seller())])
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, account, content)
    ingestion = Ingestion.objects.get(account=account)
    assert ingestion.status == "refused"
    page = client.get(response["Location"]).content.decode()
    assert 'role="alert"' in page
    assert expected in ingestion.refusal
    assert not Sale.objects.exists()


def test_an_upload_cut_short_is_refused_with_the_form_again(client, account):
    """The browser's request ends before its declared length (the connection dropped): Django finds no whole
    file in it, and the form says so; nothing is received."""
    content = csv_bytes([sale_row(account)])
    body = (
        b'--x\r\nContent-Disposition: form-data; name="file"; filename="cut.csv"\r\n'
        b"Content-Type: text/csv\r\n\r\n" + content[:40]
    )  # no closing boundary
    response = client.generic(
        "POST",
        url(account, "sales_file_upload"),
        body,
        content_type="multipart/form-data; boundary=x",
    )
    assert response.status_code == 400
    assert response.context["form"].errors["file"] == [str(NO_WHOLE_FILE)]
    assert not Ingestion.objects.exists()


def test_another_accounts_file_is_not_found(client, account):
    theirs = Ingestion.objects.create(account=seller(), door="upload", format="csv", file_name="theirs.csv")
    for name in ("sales_file", "sales_file_status", "sales_file_acknowledgement"):
        assert client.get(url(account, name, ingestion_id=theirs.pk)).status_code == 404


def test_an_account_that_sells_no_marked_fuel_is_told_so(client):
    from tests.consent.factories import ProgramAccountFactory

    person = UserFactory()
    fuel_tax = ProgramAccountFactory(program="fuel_tax")
    owner_grant(account=fuel_tax, user=person)
    other = sign_in(Client(), person)
    for name in ("sales_files", "sales_file_upload"):
        assert "is not a marked fuel (TEFS) account" in other.get(url(fuel_tax, name)).content.decode()
    assert other.post(url(fuel_tax, "sales_file_upload")).status_code == 400
