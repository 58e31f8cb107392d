"""Notices: a PDF per assessment, rendered once by a Celery job, stored, showing what the assessment decided
(lines with their rates, amounts, penalties and interest of the period, the balance, the payment due date, how
to object); announced to the people who may read it, never with its content; downloads remembered."""

import re
import shutil
import subprocess
from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.core.files.storage import default_storage

from accounts.models import OutboxEmail
from accounts.services import outbox_send
from assessments import notices
from assessments.models import LedgerTransaction, Notice
from assessments.services import ledger, returns
from consent.privileges import Privilege
from tests.accounts.factories import UserFactory
from tests.assessments.factories import acting, assess, june_2021
from tests.consent.factories import ConsentFactory, delegate_grant, representative_grant
from tests.filings.factories import edmonton


def _pdf_text(data: bytes, tmp_path) -> str | None:
    if shutil.which("pdftotext") is None:
        return None
    path = tmp_path / "notice.pdf"
    path.write_bytes(data)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


@pytest.mark.pdf  # reads the printed text back with pdftotext
def test_a_notice_pdf_is_produced_and_stored(account, owner, django_capture_on_commit_callbacks, tmp_path):
    tax_return = june_2021(account=account, user=owner)
    assessment = assess(django_capture_on_commit_callbacks, tax_return=tax_return, when=edmonton(2021, 7, 10))
    notice = Notice.objects.get(assessment=assessment)
    with default_storage.open(notice.pdf.name, "rb") as stored:
        data = stored.read()
    assert data.startswith(b"%PDF")
    assert (notice.size, notice.kind, notice.issued_on) == (len(data), "assessment", date(2021, 7, 10))
    assert notice.reference == f"NA-202106-{assessment.pk:07d}"
    html = notices.notice_html(assessment=assessment)  # exactly what was printed
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    for expected in [
        "Notice of assessment",
        account.number,
        "Prairie Fuels Ltd.",
        "June 2021 (2021-06-01 to 2021-06-30)",
        "Clear gasoline",
        "$0.13/L",
        "$13,000.00",
        "Marked diesel",
        "$0.04/L",
        "$800.00",
        "Tax assessed for the period $13,800.00",
        "Balance of the period $13,800.00",
        "Amount to pay for this period: $13,800.00, due on or before July 28, 2021",
        "Notice of Objection (form AT4762) within 90 days",
        "on or before October 8, 2021",
        # 1 year and 90 days: 2022-07-10 + 90 days, a date rather than a count of days.
        "A Notice of Objection filed later, up to October 8, 2022 (1 year and 90 days after the date of this notice)",
    ]:
        assert expected in text, expected
    assert "455" not in text
    pdf_text = _pdf_text(data, tmp_path)
    if pdf_text is not None:  # poppler-utils installed: the PDF itself says it
        assert account.number in pdf_text


def test_the_notice_shows_penalties_and_interest_of_the_period_up_to_its_posting(
    account, owner, staff, django_capture_on_commit_callbacks
):
    """A $690.00 penalty and $5.25 interest posted before the assessment show on its notice; $9.99 of interest
    posted after it does not (it will be on a later notice)."""
    tax_return = june_2021(account=account, user=owner)
    for kind, amount in [("penalty", "690.00"), ("interest", "5.25")]:
        ledger.ledger_post(
            account=account,
            period_end=tax_return.period_end,
            kind=kind,
            amount=Decimal(amount),
            description=f"Late {kind}",
            actor=acting(),
        )
    assessment = assess(django_capture_on_commit_callbacks, tax_return=tax_return, by=staff)
    ledger.ledger_post(
        account=account,
        period_end=tax_return.period_end,
        kind="interest",
        amount=Decimal("9.99"),
        description="Later",
        actor=acting(),
    )
    content = notices.notice_content(assessment=assessment)
    assert [row.amount for row in content.penalties_and_interest] == [Decimal("690.00"), Decimal("5.25")]
    assert content.period_balance == Decimal("14495.25")  # 13,800.00 + 690.00 + 5.25
    html = notices.notice_html(assessment=assessment)
    assert "Penalties and interest included above: penalty $690.00; interest $5.25." in html
    assert "$9.99" not in html


def _june_notice_of_2021_07_10(account, owner, capture):
    assessment = assess(
        capture, tax_return=june_2021(account=account, user=owner), when=edmonton(2021, 7, 10, 9)
    )
    return Notice.objects.get(assessment=assessment)


def _payment(account, amount, *, processed_on):
    return ledger.ledger_post(
        account=account,
        period_end=date(2021, 6, 30),
        kind="payment",
        amount=Decimal(amount),
        description="Payment",
        processed_on=processed_on,
        actor=acting(),
    )


def test_a_notice_prints_the_ledgers_balance_as_of_its_date_and_time(
    account, owner, django_capture_on_commit_callbacks
):
    """The notice of 2021-07-10 prints $13,800.00: a payment posted later that day, or on a later day, is not on
    it, and the ledger dated as of the notice agrees (the check run after every test)."""
    notice = _june_notice_of_2021_07_10(account, owner, django_capture_on_commit_callbacks)
    with time_machine.travel(edmonton(2021, 7, 10, 16), tick=False):
        _payment(account, "-800.00", processed_on=None)
    with time_machine.travel(edmonton(2021, 7, 12, 9), tick=False):
        _payment(account, "-1000.00", processed_on=None)
    assert notices.notice_content(assessment=notice.assessment).account_balance == Decimal("13800.00")
    assert notices.notices_disagreeing_with_the_ledger(notices=[notice]) == []


@pytest.mark.ledger_out_of_order
def test_a_posting_dated_before_an_issued_notice_is_found(account, owner, django_capture_on_commit_callbacks):
    """A payment posted on 2021-07-20 with the processed date 2021-07-08 puts a credit into the ledger before
    the notice of 2021-07-10, which printed $13,800.00 without it: the ledger says $12,800.00 as of that notice."""
    notice = _june_notice_of_2021_07_10(account, owner, django_capture_on_commit_callbacks)
    with time_machine.travel(edmonton(2021, 7, 20, 9), tick=False):
        _payment(account, "-1000.00", processed_on=date(2021, 7, 8))
    assert notices.notices_disagreeing_with_the_ledger(notices=Notice.objects.filter(account=account)) == [
        notices.NoticeBalanceDisagreement(
            reference=notice.reference,
            issued_on=date(2021, 7, 10),
            printed=Decimal("13800.00"),
            ledger=Decimal("12800.00"),
        )
    ]


def test_a_credit_shows_in_brackets_on_the_notice(account, owner, staff, django_capture_on_commit_callbacks):
    tax_return = june_2021(account=account, user=owner)
    ledger.ledger_post(
        account=account,
        period_end=tax_return.period_end,
        kind="payment",
        amount=Decimal("-14000.00"),
        description="Payment",
        actor=acting(),
    )
    assessment = assess(django_capture_on_commit_callbacks, tax_return=tax_return, by=staff)
    html = notices.notice_html(assessment=assessment)
    assert "This period has a credit of ($200.00)." in html


def test_rendering_twice_issues_one_notice(account, owner, django_capture_on_commit_callbacks):
    assessment = assess(django_capture_on_commit_callbacks, tax_return=june_2021(account=account, user=owner))
    first = Notice.objects.get(assessment=assessment)
    again = returns.notice_render(assessment_id=assessment.pk, actor=acting())
    assert again == first
    assert Notice.objects.count() == 1
    assert OutboxEmail.objects.filter(purpose="notice-issued").count() == 1  # only the owner here, once


def test_the_email_goes_to_owners_and_holders_of_view_assessments_without_the_content(
    account, owner, django_capture_on_commit_callbacks
):
    viewer = UserFactory(email="viewer@example.ca")
    delegate_grant(account=account, user=viewer, privileges=(Privilege.VIEW_ASSESSMENTS,))
    filer = UserFactory(email="filer@example.ca")
    delegate_grant(account=account, user=filer, privileges=(Privilege.FILE_RETURNS,))
    consent = ConsentFactory(
        taxpayer=account.taxpayer, accounts=[account], representative__email="rep@example.ca"
    )
    representative_grant(consent=consent, account=account)
    assess(django_capture_on_commit_callbacks, tax_return=june_2021(account=account, user=owner))
    emails = OutboxEmail.objects.filter(purpose="notice-issued")
    assert sorted(address for email in emails for address in email.to) == sorted(
        [owner.email, "viewer@example.ca", "rep@example.ca"]
    )
    assert all(len(email.to) == 1 for email in emails)  # one each: nobody sees who else was told
    for email in emails:
        outbox_send(email_id=email.pk)
    bodies = [message.body for message in mail.outbox if "notice of assessment" in message.subject]
    assert len(bodies) == 3
    for body in bodies:
        assert account.number in body
        assert "$" not in body  # no amount, ever
        assert "13,800" not in body
        assert "13800" not in body


@pytest.fixture
def notice(account, owner, django_capture_on_commit_callbacks):
    assessment = assess(django_capture_on_commit_callbacks, tax_return=june_2021(account=account, user=owner))
    return Notice.objects.get(assessment=assessment)


def test_a_failed_issue_leaves_no_file_and_no_notice(account, owner, django_capture_on_commit_callbacks):
    """The notice's insert fails (here: its number is taken, as a corrupted sequence could make it): the PDF
    already saved is deleted with the rollback, so no file is left without its record."""
    import time_machine
    from django.db import IntegrityError

    june = june_2021(account=account, user=owner)
    with time_machine.travel(edmonton(2021, 8, 5), tick=False):
        from tests.filings.factories import file_return

        july = file_return(account=account, period="2021-07", user=owner)
    with django_capture_on_commit_callbacks(execute=False):  # no notice job yet
        first = returns.assessment_make(tax_return=june, actor=acting())
        second = returns.assessment_make(tax_return=july, actor=acting())
    Notice.objects.create(
        assessment=first, account=account, period_start=first.period_start, period_end=first.period_end,
        kind=first.kind, reference=notices.notice_reference(second), issued_on=first.assessed_on,
        pdf="notices/elsewhere.pdf", sha256="0" * 64, size=1, rendered_at=first.assessed_at,
    )  # fmt: skip
    with pytest.raises(IntegrityError):
        returns.notice_render(assessment_id=second.pk, actor=acting())
    assert not Notice.objects.filter(assessment=second).exists()
    assert not default_storage.exists(f"notices/{account.number}/{notices.notice_reference(second)}.pdf")
    assert default_storage.listdir(f"notices/{account.number}")[1] == []


def test_notice_ledger_rows_are_the_assessments_posting(notice):
    posting = LedgerTransaction.objects.get(source_reference=f"assessment:{notice.assessment_id}")
    assert posting.amount == Decimal("13800.00")


def test_a_penalty_posted_with_the_assessment_is_on_its_notice(
    account, owner, django_capture_on_commit_callbacks
):
    """A rule of assessment (a late-filing penalty, issue 6 item 5) posts in the assessment's transaction under
    its source reference: the notice, rendered once that transaction commits, shows it."""
    from django.db import transaction

    from assessments import selectors

    tax_return = june_2021(account=account, user=owner)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        assessment = returns.assessment_make(tax_return=tax_return, actor=acting())
        ledger.ledger_post(
            account=account,
            period_end=tax_return.period_end,
            kind="penalty",
            amount=Decimal("690.00"),
            description="Late-filing penalty",
            source_reference=selectors.assessment_source(assessment),
            actor=acting(),
        )
    content = notices.notice_content(assessment=assessment)
    assert [row.kind for row in content.statement] == ["assessed_tax", "penalty"]
    assert content.period_balance == Decimal("14490.00")
    assert Notice.objects.filter(assessment=assessment).exists()
