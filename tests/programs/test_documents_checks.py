"""File checks of Submit Documents (programs/documents.py): the type from the content, never the name or
the browser's word; the name must fit the content; the size limit; PDFs TRA could not open are refused; the
reference number of a return or claim by its format, and the hook a higher app registers."""

import io

import pytest
from django.core.exceptions import ValidationError

from filings.status import in_process_reference_check
from programs import documents
from tests.programs import documents_samples as samples


def _file_id(value) -> str:
    """Test ids name the file, never its bytes (zip files carry the time they were built)."""
    return value if isinstance(value, str) else "-"


def _check(name: str, content: bytes, **kwargs):
    return documents.check_file(io.BytesIO(content), name=name, size=len(content), **kwargs)


def _refusal(name: str, content: bytes, **kwargs) -> str:
    with pytest.raises(ValidationError) as refused:
        _check(name, content, **kwargs)
    return " ".join(refused.value.messages)


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [
        ("return.pdf", samples.PDF, "pdf"),
        ("scan.PNG", samples.PNG, "png"),
        ("photo.jpg", samples.JPEG, "jpeg"),
        ("photo.jpeg", samples.JPEG, "jpeg"),
        ("fax.tif", samples.TIFF, "tiff"),
        ("fax.tiff", samples.TIFF_BIG_ENDIAN, "tiff"),
        ("letter.docx", samples.ooxml("docx"), "docx"),
        ("litres.xlsx", samples.ooxml("xlsx"), "xlsx"),
        ("letter.odt", samples.odf("odt"), "odt"),
        ("litres.ods", samples.odf("ods"), "ods"),
        ("notes.txt", samples.TEXT, "text"),
        ("litres.csv", samples.TEXT, "text"),
    ],
    ids=_file_id,
)
def test_accepted_types_are_recognised_by_their_content(name, content, kind):
    checked = _check(name, content)
    assert checked.kind.code == kind
    assert checked.size == len(content)
    assert len(checked.sha256) == 64


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("setup.exe", samples.EXE, "is not a PDF, an image"),
        ("invoice.pdf", samples.EXE, "is not a complete PDF file"),  # named PDF, content is not
        ("archive.zip", samples.plain_zip(), "is not a PDF, an image"),
        ("fake.docx", samples.plain_zip(), "is not a PDF, an image"),  # a ZIP without an office package
        ("old.doc", samples.OLE2, "older Office file"),
        ("protected.docx", samples.OLE2, "protected with a password"),  # encrypted OOXML is an OLE2 container
        ("secret.odt", samples.odf("odt", encrypted=True), "cannot be opened"),
        ("latin1.txt", samples.TEXT_LATIN1, "is not a PDF, an image"),  # not UTF-8
        ("nul.txt", samples.TEXT_WITH_NUL, "is not a PDF, an image"),
        ("locked.pdf", samples.PDF_ENCRYPTED, "protected with a password or encrypted"),
        ("cut.pdf", samples.PDF_TRUNCATED, "is not a complete PDF file"),
    ],
    ids=_file_id,
)
def test_refused_files_are_named_with_the_reason(name, content, message):
    text = _refusal(name, content)
    assert text.startswith(name)
    assert message in text


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("scan.pdf", samples.PNG),
        ("report.exe", samples.PDF),
        ("notes.pdf.txt", samples.PDF),
        ("noextension", samples.PDF),
    ],
    ids=_file_id,
)
def test_the_name_must_fit_the_content(name, content):
    assert "but its name does not end in" in _refusal(name, content)


def test_the_size_limit_and_empty_files(settings):
    settings.TRACS_DOCUMENT_MAX_BYTES = len(samples.PDF)
    assert _check("ok.pdf", samples.PDF).size == len(samples.PDF)
    too_big = samples.PDF + b" "
    assert "each file may be at most" in _refusal("big.pdf", too_big)
    assert "is empty" in _refusal("empty.pdf", b"")


def test_the_encrypt_key_is_found_across_a_chunk_boundary():
    padding = b"%" + b"x" * (documents.CHUNK - 5) + b"\n"
    content = samples.PDF.replace(b"trailer", padding + b"trailer").replace(
        b"/Size 2 >>", b"/Size 2 /Encrypt 9 0 R >>"
    )
    assert "encrypted" in _refusal("long.pdf", content)


def test_a_pdf_that_mentions_encrypt_metadata_only_is_accepted():
    content = samples.PDF.replace(b"/Type /Catalog", b"/Type /Catalog /EncryptMetadata false")
    assert _check("ok.pdf", content).kind.code == "pdf"


@pytest.mark.parametrize(
    "typed", ["FT-202401-7K3M9Q", " ft-202401-7k3m9q ", "FT-202401- 7K3M9Q", "CL-202312-ABCDEF"]
)
def test_reference_numbers_of_returns_and_claims_by_their_format(typed, db):
    from tests.consent.factories import ProgramAccountFactory

    def format_alone(account, reference):  # filings' check aside
        return None

    reference = documents.related_reference_normalize(
        account=ProgramAccountFactory(), value=typed, check=format_alone
    )
    assert reference == "".join(typed.split()).upper()


@pytest.mark.parametrize("typed", ["12345", "FT-2024-7K3M9Q", "DOC-20240101-ABCDEF", "FT-202401-7K3M9"])
def test_malformed_reference_numbers_are_refused(typed, db):
    from tests.consent.factories import ProgramAccountFactory

    with pytest.raises(ValidationError) as refused:
        documents.related_reference_normalize(
            account=ProgramAccountFactory(), value=typed, check=in_process_reference_check
        )
    assert refused.value.messages == [str(documents.RELATED_REFERENCE_FORMAT)]


def test_a_higher_app_can_check_that_the_reference_is_one_of_the_accounts_returns(db):
    from tests.consent.factories import ProgramAccountFactory

    seen = []

    def only_known(account, reference):
        seen.append((account.number, reference))
        if reference != "FT-202401-7K3M9Q":
            raise ValidationError("No return of this account has that reference number.")

    account = ProgramAccountFactory()
    assert (
        documents.related_reference_normalize(account=account, value="FT-202401-7K3M9Q", check=only_known)
        == "FT-202401-7K3M9Q"
    )
    with pytest.raises(ValidationError):
        documents.related_reference_normalize(account=account, value="FT-202402-7K3M9Q", check=only_known)
    assert len(seen) == 2
