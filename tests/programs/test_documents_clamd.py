"""The malware scan: ClamAV's clamd over its unix socket (INSTREAM), faked by a small server in a thread
that speaks the protocol and answers "OK" or "<name> FOUND"; and what happens without a scanner or with one
that cannot be reached."""

import shutil
import socket
import struct
import tempfile
import threading
from pathlib import Path

import pytest
from django.urls import reverse

from accounts.models import AccessLogEntry
from programs import documents
from programs.models import DocumentFile
from tests.programs import documents_samples as samples
from tests.programs.conftest import field_errors

THREAT_MARKER = b"PRETEND-MALWARE"


class FakeClamd:
    """A clamd that reads `zINSTREAM\\0`, then length-prefixed chunks until a zero length, and answers
    `stream: OK` or `stream: Fake.Test.Signature FOUND` (when the data holds THREAT_MARKER)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.commands: list[bytes] = []
        self.streams: list[bytes] = []
        self.chunk_sizes: list[int] = []
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(path)
        self.server.listen(5)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @staticmethod
    def _read_exactly(conn: socket.socket, size: int) -> bytes:
        data = b""
        while len(data) < size:
            more = conn.recv(size - len(data))
            if not more:
                raise ConnectionError("client went away")
            data += more
        return data

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            with conn:
                command = b""
                while not command.endswith(b"\0"):
                    command += conn.recv(1)
                self.commands.append(command)
                data = b""
                while True:
                    (length,) = struct.unpack("!L", self._read_exactly(conn, 4))
                    if length == 0:
                        break
                    self.chunk_sizes.append(length)
                    data += self._read_exactly(conn, length)
                self.streams.append(data)
                verdict = b"Fake.Test.Signature FOUND" if THREAT_MARKER in data else b"OK"
                conn.sendall(b"stream: " + verdict + b"\0")

    def close(self) -> None:
        self.server.close()


@pytest.fixture
def clamd(settings):
    folder = tempfile.mkdtemp(prefix="clamd", dir="/tmp")  # unix socket paths must stay short
    server = FakeClamd(str(Path(folder) / "clamd.sock"))
    settings.CLAMD_SOCKET = server.path
    yield server
    server.close()
    shutil.rmtree(folder, ignore_errors=True)


def _scan(content: bytes):
    import io

    return documents.scan_file(io.BytesIO(content))


def test_a_clean_file_is_scanned_with_the_instream_protocol(clamd):
    content = samples.PDF * 3000  # more than one chunk
    result = _scan(content)
    assert result.status == DocumentFile.ScanStatus.CLEAN
    assert clamd.commands == [b"zINSTREAM\0"]
    assert clamd.streams == [content]
    assert max(clamd.chunk_sizes) <= documents.ClamdScanner.MAX_CHUNK
    assert len(clamd.chunk_sizes) > 1


def test_a_threat_is_found_and_named(clamd):
    result = _scan(samples.TEXT + THREAT_MARKER)
    assert result.infected
    assert result.threat == "Fake.Test.Signature"


def test_without_a_scanner_files_are_marked_not_scanned(settings):
    settings.CLAMD_SOCKET = ""
    settings.CLAMD_HOST = ""
    assert _scan(samples.PDF).status == DocumentFile.ScanStatus.NOT_SCANNED


def test_a_scanner_that_cannot_be_reached_leaves_the_file_not_scanned(settings):
    settings.CLAMD_SOCKET = "/tmp/no-such-clamd.sock"
    settings.TRACS_MALWARE_SCAN_WAIT_SECONDS = 0
    result = _scan(samples.PDF)
    assert result.status == DocumentFile.ScanStatus.SCANNER_UNAVAILABLE
    assert "clamd" in result.detail


def test_clamd_over_tcp_is_chosen_by_host(settings):
    settings.CLAMD_SOCKET = ""
    settings.CLAMD_HOST = "clamav"
    settings.CLAMD_PORT = 3311
    scanner = documents.scanner()
    assert isinstance(scanner, documents.ClamdScanner)
    assert (scanner.host, scanner.port, scanner.unix_socket) == ("clamav", 3311, "")


def test_another_scanner_can_be_plugged_in(settings):
    settings.TRACS_MALWARE_SCANNER = "programs.documents.NoScanner"
    settings.CLAMD_SOCKET = "/tmp/ignored.sock"
    assert isinstance(documents.scanner(), documents.NoScanner)


@pytest.mark.parametrize(
    ("reply", "status"),
    [
        ("stream: OK", DocumentFile.ScanStatus.CLEAN),
        ("stream: Win.Test.EICAR_HDB-1 FOUND", "infected"),
        ("INSTREAM size limit exceeded. ERROR", DocumentFile.ScanStatus.SCANNER_UNAVAILABLE),
        ("", DocumentFile.ScanStatus.SCANNER_UNAVAILABLE),
    ],
)
def test_clamd_answers(reply, status):
    assert documents.ClamdScanner.parse_reply(reply).status == status


# --- Through the wizard ---------------------------------------------------------------------------------------


def _to_files_step(browser, account):
    browser.post(
        reverse("documents_submit", kwargs={"number": account.number}), {"document_type": "financial"}
    )
    return reverse("documents_submit_files", kwargs={"number": account.number})


@pytest.mark.django_db
def test_an_infected_upload_is_refused_next_to_the_field_and_logged(clamd, owner_client, owner, account):
    url = _to_files_step(owner_client, account)
    response = owner_client.post(
        url,
        {
            "action": "add",
            "files": [
                samples.upload("bad.txt", samples.TEXT + THREAT_MARKER),
                samples.upload("good.pdf", samples.PDF),
            ],
        },
    )
    assert response.status_code == 400
    assert field_errors(response, "files") == [
        "bad.txt was refused: the malware scan found a threat in it (Fake.Test.Signature)."
    ]
    assert "good.pdf" in response.text  # the clean file was kept
    state = owner_client.session[f"documents_wizard:{account.number}"]
    assert [f["name"] for f in state["files"]] == ["good.pdf"]
    assert state["files"][0]["scan_status"] == DocumentFile.ScanStatus.CLEAN
    entry = AccessLogEntry.objects.get(kind=AccessLogEntry.Kind.SECURITY)
    assert (entry.action, entry.actor, entry.account_number) == (
        "uploaded file refused: malware found",
        owner,
        account.number,
    )
    assert "Fake.Test.Signature" in entry.detail


@pytest.mark.django_db
def test_a_clean_upload_is_submitted_as_scanned(clamd, owner_client, account):
    url = _to_files_step(owner_client, account)
    owner_client.post(url, {"action": "continue", "files": [samples.upload("good.pdf", samples.PDF)]})
    owner_client.post(reverse("documents_submit_review", kwargs={"number": account.number}))
    stored = DocumentFile.objects.get()
    assert stored.scan_status == DocumentFile.ScanStatus.CLEAN
    assert stored.scanned_at is not None
