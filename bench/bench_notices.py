"""Notices of assessment (issue 6, Build 2): how many notice PDFs one worker issues per minute, and what issuing
one costs over bare WeasyPrint printing the same HTML, in this process.

The figure is the whole job one worker runs per notice (assessments.services.returns.notice_render: lock the assessment,
build the notice from the assessment and the period's ledger, render the template, print it with WeasyPrint,
store the PDF through Django's default storage, insert the notice, write the access log), one notice after the
other, as a single Celery worker would. The baseline is WeasyPrint alone on the same HTML (HTML(...).write_pdf()),
timed the same number of times: the ratio is what the portal adds to the printing.

The data: one taxpayer with a BIN in a reserved range (800001001), one fuel tax account with a mailing address,
30 monthly returns of four lines (inserted directly) assessed through assessments.services (their notice job
left out, so the measured loop issues every notice itself). Everything is removed at the end and before the
start: the PDFs from the storage, and the rows (the assessment tables refuse DELETE: the removal disables their
triggers for its own transaction, as the tables' owner).
"""

from __future__ import annotations

import statistics
import time
from datetime import date
from unittest import mock

from bench.harness import Bench, Row, Timings, time_calls

ORDER = 40
NOTICES = 30
BIN = "800001001"
FIRST_PERIOD = date(2019, 1, 1)
APPEND_ONLY = [
    "assessments_noticeread",
    "assessments_notice",
    "assessments_assessmentline",
    "assessments_assessment",
    "assessments_ledgertransaction",
]


def remove() -> None:
    """Delete everything this benchmark created (idempotent)."""
    import contextlib

    from django.core.files.storage import default_storage
    from django.db import connection, transaction

    from accounts.models import AccessLogEntry
    from assessments.models import Assessment, AssessmentLine, LedgerTransaction, Notice, NoticeRead
    from filings.models import FuelTaxReturn, ReturnLine
    from programs.models import Address, ProgramAccount, ProgramAccountEvent, Taxpayer

    def raw_delete(queryset) -> None:
        queryset._raw_delete(queryset.db)

    accounts = ProgramAccount.objects.filter(taxpayer__bin=BIN)
    numbers = list(accounts.values_list("number", flat=True))
    for name in Notice.objects.filter(account__in=accounts).values_list("pdf", flat=True):
        default_storage.delete(name)
    for number in numbers:  # the folder of the account's notices, when the storage has folders
        with contextlib.suppress(NotImplementedError, OSError):
            (__import__("pathlib").Path(default_storage.path(f"notices/{number}"))).rmdir()
    with transaction.atomic():
        with connection.cursor() as cursor:
            for table in APPEND_ONLY:
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only")
        raw_delete(NoticeRead.objects.filter(notice__account__in=accounts))
        raw_delete(Notice.objects.filter(account__in=accounts))
        raw_delete(AssessmentLine.objects.filter(assessment__account__in=accounts))
        raw_delete(Assessment.objects.filter(account__in=accounts))
        raw_delete(LedgerTransaction.objects.filter(account__in=accounts))
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # run the deferred checks now: then ALTER may
            for table in APPEND_ONLY:
                cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {table}_append_only")
        raw_delete(ReturnLine.objects.filter(tax_return__account__in=accounts))
        raw_delete(FuelTaxReturn.objects.filter(account__in=accounts))
        raw_delete(AccessLogEntry.objects.filter(account_number__in=numbers))
        raw_delete(Address.objects.filter(account__in=accounts))
        raw_delete(ProgramAccountEvent.objects.filter(account__in=accounts))
        raw_delete(accounts)
        raw_delete(Taxpayer.objects.filter(bin=BIN))


def _month(index: int) -> date:
    return date(FIRST_PERIOD.year + (index // 12), index % 12 + 1, 1)


def create() -> list[int]:
    """The account, 30 returns and their assessments (without their notices). Returns the assessment ids."""
    from django.db import transaction
    from django.utils import timezone

    from accounts.actors import Actor
    from assessments.services import returns as return_assessments
    from filings.models import FuelTaxReturn, ReturnLine
    from filings.periods import Period
    from filings.tax import LineInput, return_compute
    from programs.models import Address, Program, ProgramAccount, Taxpayer

    program = Program.objects.get(code="fuel_tax")
    with transaction.atomic():
        taxpayer = Taxpayer.objects.create(legal_name="Bench Notices Fuels Ltd.", bin=BIN)
        account = ProgramAccount.objects.create(
            taxpayer=taxpayer,
            program=program,
            sequence=1,
            number=ProgramAccount.compose_number(bin=BIN, program_number=program.number, sequence=1),
            effective_date=date(2015, 1, 1),
        )
        Address.objects.create(
            account=account,
            kind=Address.Kind.MAILING,
            line1="10020 100 Street NW",
            city="Edmonton",
            postal_code="T5J 0N3",
        )
        lines = [
            LineInput("clear_gasoline", "taxable", "104250.5"),
            LineInput("clear_diesel", "taxable", "55800"),
            LineInput("marked_diesel", "taxable", "20125.75"),
            LineInput("clear_diesel", "export_bulk", "9000"),
        ]
        returns = []
        for index in range(NOTICES):
            period = Period(_month(index))
            computation = return_compute(period_start=period.start, lines=lines)
            tax_return = FuelTaxReturn.objects.create(
                account=account,
                period_start=period.start,
                period_end=period.end,
                received_at=timezone.now(),
                due_on=period.due_on,
                confirmation_number=f"FT-{period.start:%Y%m}-BENCH{index:02d}"[:20],
                filed_by_email="bench@bench.tracs.invalid",
                filed_in_capacity="owner",
                certified_name="Bench Certifier",
                certified_capacity="Controller",
                total_tax=computation.total,
            )
            ReturnLine.objects.bulk_create(
                ReturnLine.computed(tax_return, line) for line in computation.lines
            )
            returns.append(tax_return)
    # The notice job is left out here (no broker message, no notice): the loop below issues each notice.
    with mock.patch.object(return_assessments.RETURNS, "follow_ups", return_value=[]):
        actor = Actor.job("bench_notices")
        return [
            return_assessments.assessment_make(tax_return=tax_return, actor=actor).pk
            for tax_return in returns
        ]


def run(bench: Bench) -> list[Row]:
    from django.conf import settings
    from weasyprint import HTML

    from accounts.actors import Actor
    from assessments import notices, selectors
    from assessments.services import returns as return_assessments

    remove()
    ids = create()
    try:
        first = selectors.assessment_for_notice(assessment_id=ids[0])
        html = notices.notice_html(assessment=first)
        for _ in range(2):  # warm up: fonts, templates
            notices.pdf_from_html(html)
        seconds = []
        started = time.perf_counter()
        for assessment_id in ids:
            start = time.perf_counter()
            return_assessments.notice_render(assessment_id=assessment_id, actor=Actor.job("notice_render"))
            seconds.append(time.perf_counter() - start)
        loop = time.perf_counter() - started
        bare = time_calls(
            lambda: HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf(), repeat=NOTICES, warmup=2
        )
    finally:
        remove()
    issued = Timings(tuple(seconds))
    per_minute = len(ids) / loop * 60
    bare_per_minute = 60 / statistics.mean(bare.seconds)
    return [
        Row.from_timings(
            f"notice issued by one worker (render, store, record): {per_minute:,.0f} PDFs/min",
            issued,
            f"bare WeasyPrint of the same HTML: {bare_per_minute:,.0f} PDFs/min",
            bare,
        )
    ]
