from django.template.loader import render_to_string
from django.utils import timezone

from programs.models import ProgramAccount
from tracs.pdf import pdf_from_html


def enrolment_letter_pdf(*, account: ProgramAccount, clear_pin: str, expires_at) -> bytes:
    html = render_to_string(
        "consent/enrolment_letter.html",
        {
            "account": account,
            "address": account.addresses.filter(kind="mailing").first(),
            "pin": clear_pin,
            "expires_on": timezone.localtime(expires_at).date(),
            "today": timezone.localdate(),
        },
    )
    return pdf_from_html(html=html)
