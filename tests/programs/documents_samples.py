"""Small files of every kind Submit Documents accepts or refuses, built in memory."""

import io
import zipfile

from django.core.files.uploadedfile import SimpleUploadedFile

PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\nxref\n0 1\ntrailer\n<< /Root 1 0 R /Size 2 >>\nstartxref\n9\n%%EOF\n"
PDF_ENCRYPTED = PDF.replace(
    b"<< /Root 1 0 R /Size 2 >>", b"<< /Root 1 0 R /Size 2 /Encrypt 5 0 R /ID [<ab> <ab>] >>"
)
PDF_TRUNCATED = PDF[: PDF.index(b"trailer")]
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(40)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(60) + b"\xff\xd9"
TIFF = b"II*\x00\x08\x00\x00\x00" + bytes(40)
TIFF_BIG_ENDIAN = b"MM\x00*\x00\x00\x00\x08" + bytes(40)
TEXT = "Litres by month\n2024-01,1000\nCafé Élan: 3 invoices\n".encode()
TEXT_LATIN1 = "Café Élan".encode("latin-1")
TEXT_WITH_NUL = b"Litres\x00by month"
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + bytes(60)
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(60)

OOXML_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
}


def ooxml(kind: str) -> bytes:
    buffer = io.BytesIO()
    part = "/word/document.xml" if kind == "docx" else "/xl/workbook.xml"
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            f'<Override PartName="{part}" ContentType="{OOXML_TYPES[kind]}"/></Types>',
        )
        archive.writestr(part.lstrip("/"), "<document/>")
    return buffer.getvalue()


def odf(kind: str, *, encrypted: bool = False) -> bytes:
    mimetype = {
        "odt": "application/vnd.oasis.opendocument.text",
        "ods": "application/vnd.oasis.opendocument.spreadsheet",
    }[kind]
    manifest = '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
    if encrypted:
        manifest += '<manifest:file-entry manifest:full-path="content.xml"><manifest:encryption-data/></manifest:file-entry>'
    manifest += "</manifest:manifest>"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), mimetype, compress_type=zipfile.ZIP_STORED)
        archive.writestr("META-INF/manifest.xml", manifest, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("content.xml", "<office:document-content/>", compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def plain_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "hello")
    return buffer.getvalue()


def upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    """What the browser sent: the declared content type is ignored by the checks (type by content)."""
    return SimpleUploadedFile(name, content, content_type=content_type)
