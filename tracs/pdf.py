"""The one place TRACS turns HTML into PDF bytes (WeasyPrint): notices, claim letters, confirmations, PIN and
registration letters all call `pdf_from_html`.

`settings.TRACS_RENDER_PDFS` (default True) is the seam the test suite uses: a real render costs a few hundred
milliseconds of CPU, and most tests only need a notice or a letter to exist. With the setting False the bytes
are `PLACEHOLDER_PDF`, a tiny valid one-page PDF, so stored sizes, hashes and downloads still work. Tests that
look at a PDF's content ask for the real render with `@pytest.mark.pdf` (docs/testing.md). Production never
sets it.
"""

from __future__ import annotations

from django.conf import settings

# A minimal valid one-page PDF (blank page); xref offsets are correct so viewers and parsers accept it.
PLACEHOLDER_PDF = (
    b"%PDF-1.4\n"
    b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n"
    b"3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>\nendobj\n"
    b"xref\n0 4\n"
    b"0000000000 65535 f \n"
    b"0000000009 00000 n \n"
    b"0000000058 00000 n \n"
    b"0000000115 00000 n \n"
    b"trailer\n<< /Size 4 /Root 1 0 R >>\nstartxref\n186\n%%EOF\n"
)


def pdf_from_html(*, html: str, base_url: str | None = None) -> bytes:
    if not getattr(settings, "TRACS_RENDER_PDFS", True):
        return PLACEHOLDER_PDF
    from weasyprint import HTML  # slow to import (about a second); only jobs that print need it

    pdf: bytes = HTML(string=html, base_url=base_url).write_pdf()
    return pdf
