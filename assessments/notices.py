"""Notices: of assessment and reassessment (and, through `notice_issue`, every other kind): rendered once as a PDF (WeasyPrint) by a Celery job, kept in Django's
default storage, announced by e-mail to the people who may read them.

The notice of an assessment is issued once by assessments.skeleton.notice_issue_once (safe to run twice and
concurrently: it locks the assessment's row, and a notice already issued for it is returned as is; a notice is
unique per assessment and never re-rendered: an issued notice never changes); the return's notice content is
here (`notice_content`, `notice_html`), the claim's letter in assessments/claims.py. Everything the notice shows
is fixed when the assessment is made: the lines with the rates they copied, the amounts, the payment due date
and the objection deadline stored on the assessment, and the period's transactions up to the last posting the
assessment made (its tax, and whatever a rule of assessment posted with it under the same source reference,
e.g. a late-filing penalty), so penalties and interest posted later appear on a later notice, never on this
one.

The e-mail names the account, the period and the kind of notice, never its content: an e-mail may be read by
anyone with the mailbox; the figures stay behind the sign-in.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.actors import Actor
from accounts.models import AccessLogEntry, User
from accounts.services import access_log_record, email_queue
from assessments import rules, selectors
from assessments.models import Assessment, LedgerTransaction, Notice, NoticeRead
from filings import status as filing_status
from programs.models import Address, ProgramAccount
from tracs.pdf import pdf_from_html as tracs_pdf_from_html

TEMPLATE = "assessments/notice.html"
REFERENCE_PREFIX = {Assessment.Kind.ASSESSMENT: "NA", Assessment.Kind.REASSESSMENT: "NR"}


@dataclass(frozen=True)
class NoticeContent:
    assessment: Assessment
    title: str
    reference: str
    issued_on: date
    address: Address | None
    statement: list[LedgerTransaction]
    penalties_and_interest: list[LedgerTransaction]
    period_balance: Decimal
    account_balance: Decimal
    objection_days: int
    # The last day with a reason for the extension: the calendar date a year after the notice, then 90 days.
    objection_extended_deadline: date

    @property
    def balance_owing(self) -> bool:
        return self.period_balance > 0


def notice_reference(assessment: Assessment) -> str:
    """`NA-202106-0000123` (NR for a reassessment): the kind, the period, the assessment."""
    return f"{REFERENCE_PREFIX[assessment.kind]}-{assessment.period_start:%Y%m}-{assessment.pk:07d}"


def notice_title(assessment: Assessment) -> str:
    return "Notice of reassessment" if assessment.is_reassessment else "Notice of assessment"


def notice_content(*, assessment: Assessment) -> NoticeContent:
    account = assessment.account
    up_to = selectors.assessment_cutoff(assessment=assessment)
    statement = selectors.period_statement(account=account, period_end=assessment.period_end, up_to_id=up_to)
    kinds = (LedgerTransaction.Kind.PENALTY, LedgerTransaction.Kind.INTEREST)
    return NoticeContent(
        assessment=assessment,
        title=notice_title(assessment),
        reference=notice_reference(assessment),
        issued_on=assessment.assessed_on,
        address=account.addresses.filter(kind=Address.Kind.MAILING).first(),
        statement=statement,
        penalties_and_interest=[row for row in statement if row.kind in kinds],
        period_balance=sum((row.amount for row in statement), start=selectors.ZERO),
        account_balance=selectors.account_balance_at(account=account, up_to_id=up_to),
        objection_days=rules.days_on(rule=rules.OBJECTION_DAYS, day=assessment.assessed_on),
        objection_extended_deadline=rules.objection_extended_deadline(assessed_on=assessment.assessed_on),
    )


@dataclass(frozen=True)
class NoticeBalanceDisagreement:
    """A notice whose printed account balance is not the ledger's balance as of the notice's date and time."""

    reference: str
    issued_on: date
    printed: Decimal
    ledger: Decimal


def notices_disagreeing_with_the_ledger(*, notices: Iterable[Notice]) -> list[NoticeBalanceDisagreement]:
    """The notices of `notices` (those of an assessment: the ones that print an account balance) whose balance
    is not the ledger's as of the notice's date and time: every transaction processed before the date of the
    notice, and those of that day up to the assessment's last posting. A notice prints the balance up to that
    posting (by id); the two differ only if a transaction was later posted with a processed date before the
    notice's, a history written out of order. An issued notice never changes, so this reads what it printed:
    everything `notice_content` reads up to the cutoff is append-only."""
    found = []
    for notice in notices:
        if notice.assessment_id is None:
            continue
        assessment = selectors.assessment_for_notice(assessment_id=notice.assessment_id)
        printed = notice_content(assessment=assessment).account_balance
        ledger = selectors.account_balance_as_of(
            account=assessment.account,
            day=notice.issued_on,
            up_to_id=selectors.assessment_cutoff(assessment=assessment),
        )
        if printed != ledger:
            found.append(
                NoticeBalanceDisagreement(
                    reference=notice.reference, issued_on=notice.issued_on, printed=printed, ledger=ledger
                )
            )
    return found


def notice_html(*, assessment: Assessment, template: str = TEMPLATE) -> str:
    """The notice as HTML, exactly what WeasyPrint prints (`template`: its program's, a fuel tax return's by
    default)."""
    return render_to_string(template, {"notice": notice_content(assessment=assessment)})


def pdf_from_html(html: str) -> bytes:
    return tracs_pdf_from_html(html=html, base_url=str(settings.BASE_DIR))


def notice_issue(
    *,
    account: ProgramAccount,
    kind: str,
    reference: str,
    period_start: date,
    period_end: date,
    issued_on: date,
    html: str,
    amount: Decimal | None = None,
    objection_deadline: date | None = None,
    assessment: Assessment | None = None,
    source_reference: str = "",
    actor: Actor,
) -> Notice:
    """Render `html` to PDF, store it, record the notice, log it and e-mail everyone who may read it: the one
    way every kind of notice is issued (the caller holds a lock or a unique source reference that makes its
    job safe to run twice). Must run inside the caller's transaction: a failure leaves no file behind."""
    pdf = pdf_from_html(html)
    name = default_storage.save(f"notices/{account.number}/{reference}.pdf", ContentFile(pdf))
    try:
        notice = Notice.objects.create(
            assessment=assessment,
            account=account,
            period_start=period_start,
            period_end=period_end,
            kind=kind,
            reference=reference,
            source_reference=source_reference,
            issued_on=issued_on,
            amount=amount,
            objection_deadline=objection_deadline,
            pdf=name,
            sha256=hashlib.sha256(pdf).hexdigest(),
            size=len(pdf),
            rendered_at=timezone.now(),
        )
        access_log_record(
            actor=actor,
            kind=AccessLogEntry.Kind.CHANGE,
            action="notice issued",
            account_number=account.number,
            on_behalf_of=account.on_behalf_of,
            detail=f"{notice.title} {reference} period {notice.period.key}",
        )
        _announce(notice=notice)
    except Exception:
        default_storage.delete(name)  # nothing stored without its record
        raise
    return notice


def _announce(*, notice: Notice) -> None:
    """One e-mail per person (no one sees who else was told): the owners, delegates and representatives whose
    access is in force and includes VIEW_ASSESSMENTS."""
    account = notice.account
    url = settings.TRACS_SITE_URL.rstrip("/") + reverse("notice_list", kwargs={"number": account.number})
    body = (
        f"A {notice.title.lower()} was issued for account {account.number} ({account.display_name}), "
        f"period {notice.period.label}.\n\n"
        f"Notice number: {notice.reference}\n"
        f"Date of notice: {notice.issued_on:%Y-%m-%d}\n\n"
        f"Sign in to TRACS to read it (View Assessment Status, or the account's notices): {url}\n\n"
        "For your security this e-mail does not include the notice or its amounts."
    )
    for address in filing_status.assessment_viewer_emails(account=account):
        email_queue(
            to=[address],
            subject=f"TRACS: {notice.title.lower()} for account {account.number}, {notice.period.label}",
            body=body,
            purpose="notice-issued",
        )


def notice_read_record(*, notice: Notice, user: User, capacity: str) -> None:
    """Remember that `user` opened `notice` (the first time only: one row per person and notice; every
    download is in the access log as well)."""
    NoticeRead.objects.bulk_create(
        [NoticeRead(notice=notice, user=user, capacity=capacity, opened_at=timezone.now())],
        ignore_conflicts=True,
    )
