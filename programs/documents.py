"""Checks of the files people submit to TRA (Submit Documents), before anything is stored.

- **Type by content, never by name.** A short signature check (python-magic is not a dependency): PDF
  (`%PDF-`), PNG, JPEG, TIFF, ZIP-based office documents recognised by their `[Content_Types].xml` (Word
  .docx, Excel .xlsx) or their `mimetype` entry (OpenDocument .odt, .ods), and plain text (valid UTF-8
  without NUL bytes). The name must then end in an extension of the type found, so a PDF never reaches
  staff as `report.exe`.
- **Size**: at most `settings.TRACS_DOCUMENT_MAX_BYTES` per file (20 MB by default), never empty.
- **PDFs TRA could not open are refused**: no `%PDF-` header, no `%%EOF` near the end (a cut-off
  download), or an encryption dictionary (`/Encrypt`, password-protected). A byte scan, enough for both.
- **Malware scan, pluggable**: `scanner()` returns the scanner in use. `ClamdScanner` speaks ClamAV's clamd
  INSTREAM protocol over a unix socket (`CLAMD_SOCKET`) or TCP (`CLAMD_HOST`, `CLAMD_PORT`); with neither,
  `NoScanner` marks each file "not scanned", which staff see in admin. `TRACS_MALWARE_SCANNER` names
  another class (dotted path) taking no arguments and offering `scan(chunks) -> ScanResult`. A threat found
  refuses the file. A clamd that cannot be reached is waited for, up to `TRACS_MALWARE_SCAN_WAIT_SECONDS` (a
  restart takes seconds), retrying the connection; if it is still down, or a scanner fails, the file is
  refused when `TRACS_MALWARE_SCAN_REQUIRED` (fail closed: production's default), and otherwise kept, marked
  "not scanned: the scanner could not be reached", with a warning logged, so staff treat it like any unscanned
  file.

Also the reference number of an in-process return or claim: programs cannot see returns (filings sits above
it), so it checks the number's format and calls the check it is given (the interface layer passes
`filings.status.in_process_reference_check`) for whether the number names one of the account's returns or
claims.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import logging
import re
import socket
import struct
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import PurePath
from typing import IO, Protocol

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from programs.models import DocumentFile, ProgramAccount

logger = logging.getLogger(__name__)

CHUNK = 64 * 1024

FILE_EMPTY = _("%(name)s is empty. Choose the file again.")
FILE_TOO_LARGE = _(
    "%(name)s is %(size)s; each file may be at most %(limit)s. Split it or reduce its size, then try again."
)
FILE_TYPE_REFUSED = _(
    "%(name)s is not a PDF, an image (PNG, JPEG, TIFF), an office document (Word .docx, Excel .xlsx, "
    "OpenDocument .odt or .ods) or a plain text file. Save it in one of those formats and try again."
)
FILE_OLD_OFFICE = _(
    "%(name)s is an older Office file (.doc, .xls) or an Office file protected with a password. Save it as "
    ".docx or .xlsx without a password and try again."
)
FILE_NAME_MISMATCH = _(
    "%(name)s is a file of type “%(kind)s”, but its name does not end in %(extensions)s. Rename the file and try again."
)
PDF_ENCRYPTED = _(
    "%(name)s is protected with a password or encrypted, so TRA cannot open it. Save it without protection and try again."
)
PDF_MALFORMED = _(
    "%(name)s is not a complete PDF file: it may be damaged, or its download was cut short. Save it again and try once more."
)
OFFICE_MALFORMED = _(
    "%(name)s cannot be opened as “%(kind)s”: it may be damaged or protected with a password. Save it again and try once more."
)
MALWARE_FOUND = _("%(name)s was refused: the malware scan found a threat in it (%(threat)s).")
MALWARE_SCAN_UNAVAILABLE = _(
    "%(name)s was not accepted: every file is checked for malware, and the malware scan is not available right "
    "now. Nothing was kept. Try again in a few minutes."
)
RELATED_REFERENCE_FORMAT = _(
    "Enter the reference number as it appears in View Assessment Status, for example FT-202401-7K3M9Q."
)


@dataclass(frozen=True)
class FileKind:
    code: str
    label: str
    content_type: str
    extensions: tuple[str, ...]


KINDS: dict[str, FileKind] = {
    kind.code: kind
    for kind in (
        FileKind("pdf", "PDF document", "application/pdf", (".pdf",)),
        FileKind("png", "PNG image", "image/png", (".png",)),
        FileKind("jpeg", "JPEG image", "image/jpeg", (".jpg", ".jpeg")),
        FileKind("tiff", "TIFF image", "image/tiff", (".tif", ".tiff")),
        FileKind(
            "docx",
            "Word document",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            (".docx",),
        ),
        FileKind(
            "xlsx",
            "Excel workbook",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            (".xlsx",),
        ),
        FileKind("odt", "OpenDocument text", "application/vnd.oasis.opendocument.text", (".odt",)),
        FileKind(
            "ods", "OpenDocument spreadsheet", "application/vnd.oasis.opendocument.spreadsheet", (".ods",)
        ),
        FileKind("text", "plain text file", "text/plain; charset=utf-8", (".txt", ".csv")),
    )
}
ACCEPT_ATTRIBUTE = ",".join(ext for kind in KINDS.values() for ext in kind.extensions)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
JPEG_SIGNATURE = b"\xff\xd8\xff"
TIFF_SIGNATURES = (b"II*\x00", b"MM\x00*")
ZIP_SIGNATURE = b"PK\x03\x04"
OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .doc/.xls, and password-protected .docx/.xlsx
PDF_HEADER = b"%PDF-"
PDF_HEADER_WINDOW = 1024  # readers accept the header anywhere in the first 1024 bytes
PDF_EOF_WINDOW = 1024  # `%%EOF` must be in the last 1024 bytes (a truncated download has none)
PDF_ENCRYPT = re.compile(rb"/Encrypt\s*(?:<<|\d+\s+\d+\s+R)")  # the trailer's encryption dictionary
# The main part each OOXML package declares in [Content_Types].xml.
OOXML_MAIN_PARTS = {
    "docx": b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    "xlsx": b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
}
ODF_MIMETYPES = {
    "odt": b"application/vnd.oasis.opendocument.text",
    "ods": b"application/vnd.oasis.opendocument.spreadsheet",
}
SMALL_PART_LIMIT = 1024 * 1024  # [Content_Types].xml and manifest.xml are a few KB; never inflate more


@dataclass(frozen=True)
class CheckedFile:
    kind: FileKind
    size: int
    sha256: str


def _chunks(file: IO[bytes]) -> Iterator[bytes]:
    file.seek(0)
    while chunk := file.read(CHUNK):
        yield chunk


def _head_and_tail(file: IO[bytes], size: int) -> tuple[bytes, bytes]:
    file.seek(0)
    head = file.read(8192)
    file.seek(max(0, size - PDF_EOF_WINDOW))
    tail = file.read(PDF_EOF_WINDOW)
    file.seek(0)
    return head, tail


def _refuse(message, name: str, **values) -> ValidationError:
    return ValidationError(message, code="file_refused", params={"name": name, **values})


def _check_pdf(file: IO[bytes], name: str, head: bytes, tail: bytes) -> None:
    if PDF_HEADER not in head[:PDF_HEADER_WINDOW] or b"%%EOF" not in tail:
        raise _refuse(PDF_MALFORMED, name)
    overlap = b""
    for chunk in _chunks(file):
        window = overlap + chunk
        if PDF_ENCRYPT.search(window):
            raise _refuse(PDF_ENCRYPTED, name)
        overlap = window[-64:]


def _check_zip_office(file: IO[bytes], name: str) -> FileKind:
    """A ZIP is an office document only if its package says so: OOXML by the main part declared in
    [Content_Types].xml, OpenDocument by its first entry `mimetype`. Only those small parts are read."""
    file.seek(0)
    try:
        with zipfile.ZipFile(file) as archive:
            names = archive.namelist()
            if "[Content_Types].xml" in names:
                info = archive.getinfo("[Content_Types].xml")
                if info.file_size > SMALL_PART_LIMIT:
                    raise _refuse(FILE_TYPE_REFUSED, name)
                content_types = archive.read(info)
                for code, main_part in OOXML_MAIN_PARTS.items():
                    if main_part in content_types:
                        return KINDS[code]
                raise _refuse(FILE_TYPE_REFUSED, name)
            if names and names[0] == "mimetype":
                info = archive.getinfo("mimetype")
                mimetype = archive.read(info).strip() if info.file_size <= 200 else b""
                for code, expected in ODF_MIMETYPES.items():
                    if mimetype == expected:
                        _check_odf_not_encrypted(archive, name, KINDS[code])
                        return KINDS[code]
            raise _refuse(FILE_TYPE_REFUSED, name)
    # zipfile raises NotImplementedError for a compression method it cannot read and RuntimeError for an
    # encrypted member: either way not a document we can check, so refused like any other unreadable archive.
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, KeyError, NotImplementedError, RuntimeError):
        raise _refuse(FILE_TYPE_REFUSED, name) from None
    finally:
        file.seek(0)


def _check_odf_not_encrypted(archive: zipfile.ZipFile, name: str, kind: FileKind) -> None:
    try:
        info = archive.getinfo("META-INF/manifest.xml")
    except KeyError:
        raise _refuse(OFFICE_MALFORMED, name, kind=kind.label) from None
    if info.file_size > SMALL_PART_LIMIT or b"encryption-data" in archive.read(info):
        raise _refuse(OFFICE_MALFORMED, name, kind=kind.label)


def _is_text(file: IO[bytes]) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    try:
        for chunk in _chunks(file):
            if b"\x00" in chunk:
                return False
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def detect_kind(file: IO[bytes], *, name: str, size: int) -> FileKind:
    """The kind of file, from its content; a ValidationError if it is none TRA accepts, or one TRA cannot
    open (encrypted or malformed PDF, protected office document)."""
    head, tail = _head_and_tail(file, size)
    if PDF_HEADER in head[:PDF_HEADER_WINDOW]:
        _check_pdf(file, name, head, tail)
        return KINDS["pdf"]
    if head.startswith(PNG_SIGNATURE):
        return KINDS["png"]
    if head.startswith(JPEG_SIGNATURE):
        return KINDS["jpeg"]
    if head.startswith(TIFF_SIGNATURES):
        return KINDS["tiff"]
    if head.startswith(ZIP_SIGNATURE):
        return _check_zip_office(file, name)
    if head.startswith(OLE2_SIGNATURE):
        raise _refuse(FILE_OLD_OFFICE, name)
    if PurePath(name).suffix.lower() == ".pdf":  # named PDF, no header: a damaged PDF, not a text file
        raise _refuse(PDF_MALFORMED, name)
    if _is_text(file):
        return KINDS["text"]
    raise _refuse(FILE_TYPE_REFUSED, name)


def check_file(file: IO[bytes], *, name: str, size: int, max_bytes: int | None = None) -> CheckedFile:
    """Every check but the malware scan: size, type by content, the name's extension, a PDF TRA can open."""
    limit = max_bytes if max_bytes is not None else settings.TRACS_DOCUMENT_MAX_BYTES
    if size <= 0:
        raise _refuse(FILE_EMPTY, name)
    if size > limit:
        raise _refuse(FILE_TOO_LARGE, name, size=filesizeformat(size), limit=filesizeformat(limit))
    kind = detect_kind(file, name=name, size=size)
    if PurePath(name).suffix.lower() not in kind.extensions:
        raise _refuse(FILE_NAME_MISMATCH, name, kind=kind.label, extensions=" or ".join(kind.extensions))
    digest = hashlib.sha256()
    for chunk in _chunks(file):
        digest.update(chunk)
    file.seek(0)
    return CheckedFile(kind=kind, size=size, sha256=digest.hexdigest())


# --- Malware scan ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScanResult:
    status: str  # a DocumentFile.ScanStatus, or INFECTED (never stored: the file is refused)
    threat: str = ""
    detail: str = ""

    @property
    def infected(self) -> bool:
        return self.status == INFECTED


INFECTED = "infected"


class Scanner(Protocol):
    def scan(self, chunks: Iterable[bytes]) -> ScanResult: ...


class NoScanner:
    """No scanner configured: every file is kept and marked "not scanned", which staff see."""

    def scan(self, chunks: Iterable[bytes]) -> ScanResult:
        return ScanResult(status=DocumentFile.ScanStatus.NOT_SCANNED)


class ClamdScanner:
    """ClamAV's daemon over its socket, INSTREAM command (clamd(8)): `zINSTREAM\\0`, then chunks each
    preceded by their length as a 4-byte big-endian integer, then a zero length; clamd answers
    `stream: OK`, `stream: <name> FOUND` or `<reason> ERROR`, ended by a NUL byte.

    A scan that cannot connect tries again every RETRY_SECONDS for up to `wait_seconds`: clamd restarted by its
    container (or reloading after an update) is back within seconds, and the person uploading only waits."""

    TIMEOUT_SECONDS = 60
    CONNECT_SECONDS = 5
    RETRY_SECONDS = 0.25
    MAX_CHUNK = 64 * 1024  # well under clamd's StreamMaxLength; a chunk is never the whole file

    def __init__(
        self, *, unix_socket: str = "", host: str = "", port: int = 3310, wait_seconds: float = 0
    ) -> None:
        if not unix_socket and not host:
            raise ValueError("ClamdScanner needs a unix socket path or a host")
        self.unix_socket = unix_socket
        self.host = host
        self.port = port
        self.wait_seconds = wait_seconds

    def _connect_once(self) -> socket.socket:
        if self.unix_socket:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(self.CONNECT_SECONDS)
            try:
                sock.connect(self.unix_socket)
            except OSError:
                sock.close()
                raise
        else:
            sock = socket.create_connection((self.host, self.port), timeout=self.CONNECT_SECONDS)
        sock.settimeout(self.TIMEOUT_SECONDS)
        return sock

    def _connect(self, *, wait_seconds: float = 0) -> socket.socket:
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                return self._connect_once()
            except OSError:
                if time.monotonic() + self.RETRY_SECONDS > deadline:
                    raise
            time.sleep(self.RETRY_SECONDS)

    def ping(self) -> str:
        """clamd's answer to PING ("PONG" when it is up), for the readiness check; OSError when unreachable."""
        with self._connect() as sock:
            sock.settimeout(5)
            sock.sendall(b"zPING\0")
            return self._read_reply(sock)

    def scan(self, chunks: Iterable[bytes]) -> ScanResult:
        try:
            with self._connect(wait_seconds=self.wait_seconds) as sock:
                sock.sendall(b"zINSTREAM\0")
                for chunk in chunks:
                    for start in range(0, len(chunk), self.MAX_CHUNK):
                        piece = chunk[start : start + self.MAX_CHUNK]
                        sock.sendall(struct.pack("!L", len(piece)) + piece)
                sock.sendall(struct.pack("!L", 0))
                reply = self._read_reply(sock)
        except OSError as error:
            logger.warning("malware scan: clamd could not be reached: %s", error)
            return ScanResult(
                status=DocumentFile.ScanStatus.SCANNER_UNAVAILABLE, detail=f"clamd: {error}"[:200]
            )
        return self.parse_reply(reply)

    @staticmethod
    def _read_reply(sock: socket.socket) -> str:
        received = b""
        while not received.endswith(b"\0"):
            data = sock.recv(4096)
            if not data:
                break
            received += data
            if len(received) > 4096:
                break
        return received.rstrip(b"\0").decode("utf-8", errors="replace").strip()

    @staticmethod
    def parse_reply(reply: str) -> ScanResult:
        """`stream: OK` -> clean; `stream: Eicar-Test-Signature FOUND` -> infected; anything else (`... ERROR`,
        an empty answer) -> the scanner failed, the file is not scanned."""
        verdict = reply.split(":", 1)[1].strip() if ":" in reply else reply
        if verdict == "OK":
            return ScanResult(status=DocumentFile.ScanStatus.CLEAN, detail="clamd: OK")
        if verdict.endswith(" FOUND"):
            return ScanResult(
                status=INFECTED,
                threat=verdict.removesuffix(" FOUND").strip()[:150],
                detail=f"clamd: {verdict}"[:200],
            )
        logger.warning("malware scan: clamd answered %r", reply)
        return ScanResult(
            status=DocumentFile.ScanStatus.SCANNER_UNAVAILABLE, detail=f"clamd: {reply or 'no answer'}"[:200]
        )


def scanner() -> Scanner:
    """The malware scanner of this deployment, from settings (see the module docstring)."""
    if settings.TRACS_MALWARE_SCANNER:
        return import_string(settings.TRACS_MALWARE_SCANNER)()
    wait = settings.TRACS_MALWARE_SCAN_WAIT_SECONDS
    if settings.CLAMD_SOCKET:
        return ClamdScanner(unix_socket=settings.CLAMD_SOCKET, wait_seconds=wait)
    if settings.CLAMD_HOST:
        return ClamdScanner(host=settings.CLAMD_HOST, port=settings.CLAMD_PORT, wait_seconds=wait)
    return NoScanner()


def scan_file(file: IO[bytes]) -> ScanResult:
    result = scanner().scan(_chunks(file))
    file.seek(0)
    return result


def scan_refusal(*, name: str, result: ScanResult) -> ValidationError | None:
    """Why the scan's result refuses the file, or None when the file may be kept: a threat found always
    refuses it; a scanner that failed or could not be reached refuses it when TRACS_MALWARE_SCAN_REQUIRED."""
    if result.infected:
        return _refuse(MALWARE_FOUND, name, threat=result.threat or "unnamed")
    if result.status == DocumentFile.ScanStatus.SCANNER_UNAVAILABLE and settings.TRACS_MALWARE_SCAN_REQUIRED:
        return ValidationError(MALWARE_SCAN_UNAVAILABLE, code="scan_unavailable", params={"name": name})
    return None


# --- The reference number of an in-process return or claim ---------------------------------------------------

# Return and claim reference numbers: a program prefix, the period (YYYYMM) and six characters, as
# filings writes them (`FT-202401-7K3M9Q`, filings.skeleton.submission.confirmation_number_new).
RELATED_REFERENCE_PATTERN = re.compile(r"^[A-Z]{2,4}-[0-9]{6}-[A-Z0-9]{6}$")

# `check(account, reference)` raises a ValidationError unless `reference` names an in-process return or claim
# of `account`. Programs cannot ask itself: returns live above it (ADR 0013), so the caller passes the check.
RelatedReferenceCheck = Callable[[ProgramAccount, str], None]


def related_reference_normalize(*, account: ProgramAccount, value: str, check: RelatedReferenceCheck) -> str:
    reference = "".join(value.split()).upper()
    if not RELATED_REFERENCE_PATTERN.match(reference):
        raise ValidationError(RELATED_REFERENCE_FORMAT, code="reference_format")
    check(account, reference)
    return reference


def as_file(content: bytes) -> IO[bytes]:
    return io.BytesIO(content)
