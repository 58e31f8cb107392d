"""The malware scan against a real clamd (Debian's clamav-daemon, tests/programs/clamd_server.py) with the EICAR
test signature: through the Submit Documents pages an infected file is refused next to the field and nothing of
it is stored, a clean one is kept as scanned; with clamd stopped, uploads wait for it, then are refused (a scan
required, production's default) or kept as not scanned, as TRACS_MALWARE_SCAN_REQUIRED says; and /health/ready/
names the scanner when it is down."""

import hashlib
import threading
import time
from pathlib import Path

import pytest
from django.urls import reverse

from accounts.models import AccessLogEntry
from programs import documents
from programs.models import Document, DocumentFile
from tests.programs import documents_samples as samples
from tests.programs.clamd_server import EICAR, EICAR_THREAT
from tests.programs.conftest import field_errors

UNAVAILABLE = (
    "good.pdf was not accepted: every file is checked for malware, and the malware scan is not available right "
    "now. Nothing was kept. Try again in a few minutes."
)
PDF_WITH_EICAR = samples.PDF.replace(b"endobj\n", b"endobj\n% " + EICAR + b"\n")


@pytest.fixture
def scanning(real_clamd, settings):
    real_clamd.start()  # a no-op unless a test before stopped it
    real_clamd.settings_for(settings)
    settings.TRACS_MALWARE_SCAN_WAIT_SECONDS = 0
    return real_clamd


@pytest.fixture
def clamd_down(scanning):
    scanning.stop()
    yield scanning
    scanning.start()


def stored_files(settings) -> list[Path]:
    return [path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file()]


def files_step(browser, account) -> str:
    browser.post(
        reverse("documents_submit", kwargs={"number": account.number}), {"document_type": "financial"}
    )
    return reverse("documents_submit_files", kwargs={"number": account.number})


def upload(browser, account, name: str, content: bytes, *, action: str = "add"):
    """Submit Documents' second step, one file, as the browser sends it."""
    url = files_step(browser, account)
    return browser.post(url, {"action": action, "files": [samples.upload(name, content)]})


def wizard_files(browser, account) -> list[dict]:
    return browser.session[f"documents_wizard:{account.number}"]["files"]


def test_the_real_clamd_finds_eicar_alone_and_inside_a_pdf_and_passes_a_clean_file(scanning):
    print(f"clamd answered PING {scanning.startup_seconds[0]:.3f} s after it was started")
    assert scanning.startup_seconds[0] < 5
    found = documents.scan_file(documents.as_file(EICAR))
    assert (found.status, found.threat) == (documents.INFECTED, EICAR_THREAT)
    assert documents.scan_file(documents.as_file(PDF_WITH_EICAR)).infected
    clean = documents.scan_file(documents.as_file(samples.PDF))
    assert (clean.status, clean.detail) == (DocumentFile.ScanStatus.CLEAN, "clamd: OK")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "content"), [("eicar.txt", EICAR), ("statement.pdf", PDF_WITH_EICAR)], ids=["text", "pdf"]
)
def test_an_infected_upload_is_refused_next_to_the_field_and_nothing_is_stored(
    scanning, settings, owner_client, owner, account, name, content
):
    url = files_step(owner_client, account)
    response = owner_client.post(url, {"action": "continue", "files": [samples.upload(name, content)]})
    assert response.status_code == 400
    assert field_errors(response, "files") == [
        f"{name} was refused: the malware scan found a threat in it ({EICAR_THREAT})."
    ]
    assert wizard_files(owner_client, account) == []
    assert stored_files(settings) == []
    assert not Document.objects.exists()
    assert not DocumentFile.objects.exists()
    # Nothing to submit: the review step sends the person back to add a file.
    response = owner_client.post(reverse("documents_submit_review", kwargs={"number": account.number}))
    assert response["Location"] == url
    assert not Document.objects.exists()
    entry = AccessLogEntry.objects.get(kind=AccessLogEntry.Kind.SECURITY)
    assert (entry.action, entry.actor, entry.account_number) == (
        "uploaded file refused: malware found",
        owner,
        account.number,
    )
    assert f"clamd: {EICAR_THREAT} FOUND; sha256 {hashlib.sha256(content).hexdigest()}" == entry.detail


@pytest.mark.django_db
def test_a_clean_upload_is_accepted_and_stored_as_scanned(scanning, settings, owner_client, account):
    response = upload(owner_client, account, "good.pdf", samples.PDF, action="continue")
    assert response.status_code == 302
    owner_client.post(reverse("documents_submit_review", kwargs={"number": account.number}))
    stored = DocumentFile.objects.get()
    assert (stored.original_name, stored.scan_status, stored.scan_detail) == (
        "good.pdf",
        DocumentFile.ScanStatus.CLEAN,
        "clamd: OK",
    )
    assert stored.scanned_at is not None
    with stored.file.open("rb") as handle:
        assert (
            hashlib.sha256(handle.read()).hexdigest()
            == stored.sha256
            == hashlib.sha256(samples.PDF).hexdigest()
        )


@pytest.mark.django_db
def test_with_the_scanner_down_and_a_scan_required_the_upload_is_refused(
    clamd_down, settings, owner_client, account
):
    settings.TRACS_MALWARE_SCAN_REQUIRED = True
    response = upload(owner_client, account, "good.pdf", samples.PDF)
    assert response.status_code == 400
    assert field_errors(response, "files") == [UNAVAILABLE]
    assert wizard_files(owner_client, account) == []
    assert stored_files(settings) == []
    assert not DocumentFile.objects.exists()


@pytest.mark.django_db
def test_with_the_scanner_down_and_no_scan_required_the_upload_is_kept_as_not_scanned(
    clamd_down, settings, owner_client, account
):
    settings.TRACS_MALWARE_SCAN_REQUIRED = False
    response = upload(owner_client, account, "good.pdf", samples.PDF)
    assert response.status_code == 302
    [kept] = wizard_files(owner_client, account)
    assert kept["scan_status"] == DocumentFile.ScanStatus.SCANNER_UNAVAILABLE
    assert "Connection refused" in kept["scan_detail"]
    assert len(stored_files(settings)) == 1  # under its temporary name, until the wizard is submitted


@pytest.mark.django_db
def test_an_upload_waits_for_a_scanner_that_comes_back(clamd_down, settings, owner_client, account):
    """clamd restarts half a second after the upload began; the upload waits (up to 10 s here) and is scanned."""
    settings.TRACS_MALWARE_SCAN_REQUIRED = True
    settings.TRACS_MALWARE_SCAN_WAIT_SECONDS = 10
    url = files_step(owner_client, account)
    restart = threading.Timer(0.5, clamd_down.start)
    began = time.monotonic()
    restart.start()
    try:
        response = owner_client.post(
            url, {"action": "add", "files": [samples.upload("good.pdf", samples.PDF)]}
        )
    finally:
        restart.join()
    waited = time.monotonic() - began
    assert response.status_code == 302
    assert [f["scan_status"] for f in wizard_files(owner_client, account)] == [DocumentFile.ScanStatus.CLEAN]
    assert 0.5 <= waited < 10


@pytest.mark.django_db
def test_readiness_names_the_scanner_when_clamd_stops_and_is_ready_when_it_is_back(scanning, client):
    def ready():
        response = client.get("/health/ready/", HTTP_ACCEPT="text/plain")
        return response.status_code, response.content.decode()

    status, body = ready()
    assert status == 200, body
    assert "MalwareScanner(): OK" in body

    scanning.stop()
    status, body = ready()
    assert status == 503
    assert "MalwareScanner(): Unavailable: clamd could not be reached: ConnectionRefusedError" in body
    assert "Database(alias='default'): OK" in body  # only the scanner fails

    scanning.start()
    status, body = ready()
    assert status == 200, body
