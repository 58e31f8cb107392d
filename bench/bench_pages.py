"""The other pages a person opens often (issue 13, Build 1), each at a realistic large size, against the floor: the
bare one-query view requested by a signed-in person (same middleware), under the same gunicorn in the same run.

Pages: View Assessment Status (10 years of monthly returns and quarterly refund claims), notices (200), messages
(500 threads), the access log (100,000 rows; its first page), the return form of the month owed and its review (the
form POSTed with two lines and step=review: the service's preview, then the figures and the certification; nothing
is stored, filings/views_steps.py). Target (issue 13): each page's median within 4x of the floor, its p99 under
gunicorn within 3x its own median (flagged "OVER 3x" in the row when not). Each row names the page's query count
(CaptureQueriesContext, in this process); each is timed over HTTP (taking turns, so load from anything else on the
machine weighs on each alike) and in this process with Django's test client, with where its time goes
(bench.split) under the in-process row.

The data: one taxpayer with a BIN in a reserved range (800001002; TRACS allocates new BINs from 700000001), one
fuel tax account effective 2015-01-01 and its owner; 120 monthly returns 2015-2024 of two lines each, 40 refund
claims (one a quarter) and 200 letters of assessment (bulk inserts), 500 messages from TRA, and 100,000 access-log
rows (COPY through Django's connection, as the ARCHITECTURE's "Bulk data" lands rows). All removed at the end and
before the start; the notices refuse DELETE (a trigger, migration assessments 0002): the removal disables it for
its own transaction, as the table's owner.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from bench.bench_clients import _interleaved, _median_row, in_process_split, in_process_timings, query_count
from bench.harness import Bench, Form, Row, signed_in_session

ORDER = 35
BIN = "800001002"
OWNER_EMAIL = "bench-pages-owner@bench.tracs.invalid"
RETURNS = 120  # ten years of months, from January 2015
CLAIMS = 40  # a refund claim a quarter over the same ten years
NOTICES = 200
MESSAGES = 500
ACCESS_LOG = 100_000
FIRST = date(2015, 1, 1)
# Each return's lines, and the lines the review page is sent (litres by form field, filings.tax.field_key).
LINES = {"clear_gasoline__taxable": "120000", "clear_diesel__taxable": "80000"}


def _month(index: int) -> date:
    return date(FIRST.year + (FIRST.month - 1 + index) // 12, (FIRST.month - 1 + index) % 12 + 1, 1)


def bulk_returns(account, owner, periods, *, prefix: str) -> None:
    """An original return for each of `periods`, filed on time by `owner`, with the two LINES computed as the
    service computes them (filings.tax.return_compute: the rate in force in the period, copied onto the line):
    bulk inserts. `prefix` keeps the confirmation numbers apart from another benchmark's."""
    from django.utils import timezone

    from consent.models import Grant
    from filings.models import FuelTaxReturn, ReturnLine
    from filings.tax import LineInput, return_compute

    now = timezone.now()
    computed = [
        return_compute(
            period_start=period.start,
            lines=[
                LineInput(fuel=key.split("__")[0], category=key.split("__")[1], litres=litres)
                for key, litres in LINES.items()
            ],
        )
        for period in periods
    ]
    returns = FuelTaxReturn.objects.bulk_create(
        FuelTaxReturn(
            account=account,
            period_start=period.start,
            period_end=period.end,
            due_on=period.due_on,
            total_tax=computation.total,
            received_at=min(now, timezone.make_aware(datetime.combine(period.due_on, time(9)))),
            confirmation_number=f"{prefix}{n:07d}",
            filed_by=owner,
            filed_by_email=owner.email,
            filed_in_capacity=Grant.Role.OWNER,
            certified_name=owner.full_name,
            certified_capacity="Controller",
        )
        for n, (period, computation) in enumerate(zip(periods, computed, strict=True))
    )
    ReturnLine.objects.bulk_create(
        ReturnLine.computed(tax_return, line)
        for tax_return, computation in zip(returns, computed, strict=True)
        for line in computation.lines
    )


def bulk_notices(account, periods, *, prefix: str) -> None:
    """A letter of assessment for each of `periods` (one a fortnight back from today, newest first), its PDF
    named but not stored: the notices page lists them, nothing here opens one (bulk inserts)."""
    from django.utils import timezone

    from assessments.models import Notice

    now = timezone.now()
    Notice.objects.bulk_create(
        Notice(
            account=account,
            period_start=period.start,
            period_end=period.end,
            kind=Notice.Kind.LETTER_OF_ASSESSMENT,
            reference=f"{prefix}-{n:04d}",
            source_reference=f"bench:{prefix}:{n}",
            issued_on=(now - timedelta(days=15 * n)).date(),
            amount=Decimal("500.00"),
            pdf=f"notices/{account.number}/{prefix}-{n:04d}.pdf",
            sha256="0" * 64,
            size=1,
            rendered_at=now,
        )
        for n, period in enumerate(periods)
    )


def remove() -> None:
    """Delete everything this benchmark created (idempotent)."""
    from django.db import connection, transaction
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.models import AccessLogEntry, User
    from assessments.models import Notice, NoticeRead
    from consent.models import Grant
    from filings.models import Claim, FuelTaxReturn, ReturnLine
    from programs.models import Message, ProgramAccount, Taxpayer

    def raw_delete(queryset) -> None:
        queryset._raw_delete(queryset.db)

    with transaction.atomic():
        accounts = ProgramAccount.objects.filter(taxpayer__bin=BIN)
        numbers = list(accounts.values_list("number", flat=True))
        people = User.objects.filter(email=OWNER_EMAIL)
        with connection.cursor() as cursor:
            for model in (NoticeRead, Notice):
                table = model._meta.db_table
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only")
        raw_delete(NoticeRead.objects.filter(notice__account__in=accounts))
        raw_delete(Notice.objects.filter(account__in=accounts))
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the deferred checks now: then ALTER may
            for model in (NoticeRead, Notice):
                table = model._meta.db_table
                cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {table}_append_only")
        raw_delete(ReturnLine.objects.filter(tax_return__account__in=accounts))
        raw_delete(FuelTaxReturn.objects.filter(account__in=accounts))
        raw_delete(Claim.objects.filter(account__in=accounts))
        raw_delete(Message.objects.filter(account__in=accounts))
        raw_delete(AccessLogEntry.objects.filter(account_number__in=numbers))
        raw_delete(AccessLogEntry.objects.filter(actor__in=people))
        raw_delete(Grant.objects.filter(account__in=accounts))
        raw_delete(accounts)
        raw_delete(Taxpayer.objects.filter(bin=BIN))
        raw_delete(TOTPDevice.objects.filter(user__in=people))
        raw_delete(people)


def _access_log(account, owner) -> None:
    """ACCESS_LOG rows of reads and changes of the account over the last years, by COPY."""
    from django.db import connection
    from django.utils import timezone

    from accounts.models import AccessLogEntry

    now = timezone.now()
    columns = (
        "occurred_at, actor_id, actor_email, on_behalf_of, capacity, account_number, kind, action, detail, "
        "ip_address, path, door"
    )
    kinds = [AccessLogEntry.Kind.READ, AccessLogEntry.Kind.CHANGE]
    raw = connection.cursor().connection  # psycopg's own connection, in Django's transaction
    table = AccessLogEntry._meta.db_table
    with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for n in range(ACCESS_LOG):
            copy.write_row(
                (
                    now - timedelta(minutes=30 * n),
                    owner.pk,
                    owner.email,
                    account.taxpayer.legal_name,
                    "owner",
                    account.number,
                    kinds[n % 2],
                    "account detail",
                    f"Bench entry {n:06d}",
                    "127.0.0.1",
                    f"/accounts/{account.number}/",
                    "web",
                )
            )


def create():
    """The owner of one account with ten years of returns, notices, messages and access log (one transaction)."""
    from django.db import connection, transaction
    from django.utils import timezone
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.models import User
    from consent.models import Grant
    from filings.models import Claim
    from filings.periods import Period
    from programs.models import Message, Program, ProgramAccount, Taxpayer

    program = Program.objects.get(code="fuel_tax")
    now = timezone.now()
    with transaction.atomic():
        owner = User.objects.create(email=OWNER_EMAIL, full_name="Bench Pages Owner", is_active=True)
        owner.set_unusable_password()
        owner.save(update_fields=["password"])
        TOTPDevice.objects.create(
            user=owner, name="Authenticator app", key=secrets.token_hex(20), confirmed=True
        )
        taxpayer = Taxpayer.objects.create(legal_name="Bench Pages Fuels Ltd.", bin=BIN)
        account = ProgramAccount.objects.create(
            taxpayer=taxpayer,
            program=program,
            sequence=1,
            number=ProgramAccount.compose_number(bin=BIN, program_number=program.number, sequence=1),
            effective_date=FIRST,
        )
        Grant.objects.create(
            account=account,
            user=owner,
            role=Grant.Role.OWNER,
            status=Grant.Status.ACTIVE,
            name=owner.full_name,
            email=owner.email,
            activated_at=now,
        )
        periods = [Period(_month(n)) for n in range(RETURNS)]
        bulk_returns(account, owner, periods, prefix="B")
        Claim.objects.bulk_create(
            Claim(
                account=account,
                kind=Claim.Kind.FUEL_TAX_REFUND,
                submission_token=uuid.uuid4(),
                refund_method=Claim.RefundMethod.DIRECT_DEPOSIT,
                total_refund=Decimal("250.00"),
                received_at=now - timedelta(days=91 * (CLAIMS - n)),
                confirmation_number=f"BC{n:06d}",
                filed_by=owner,
                filed_by_email=owner.email,
                filed_in_capacity=Grant.Role.OWNER,
                certified_name=owner.full_name,
                certified_capacity="Controller",
            )
            for n in range(CLAIMS)
        )
        bulk_notices(account, [periods[n % RETURNS] for n in range(NOTICES)], prefix=f"BENCH-{BIN}")
        Message.objects.bulk_create(
            Message(
                account=account,
                subject=f"Bench message {n:03d}",
                body="A message from TRA about the account.",
                sent_at=now - timedelta(days=n),
                last_from_tra_at=now - timedelta(days=n),
            )
            for n in range(MESSAGES)
        )
        _access_log(account, owner)
    with connection.cursor() as cursor:
        cursor.execute(
            "ANALYZE accounts_accesslogentry, filings_fueltaxreturn, filings_returnline, filings_claim, "
            "assessments_notice, programs_message"
        )
    return owner, account


def run(bench: Bench) -> list[Row]:
    from django.utils import timezone

    from filings.periods import Period

    remove()
    owner, account = create()
    base = f"/accounts/{account.number}"
    owed = Period.of(timezone.localdate()).previous()  # after the ten years filed: owed, not filed
    form = f"{base}/returns/{owed.key}/file/"
    review = Form({**LINES, "step": "review"})
    # (figure, key, path, text the answer must contain, the form POSTed or None for a GET)
    pages = [
        (
            f"View Assessment Status, {RETURNS} returns, {CLAIMS} claims",
            "status",
            f"{base}/assessments/",
            b"Assessment",
            None,
        ),
        (f"notices, {NOTICES}", "notices", f"{base}/notices/", b"BENCH-", None),
        (f"messages, {MESSAGES} threads", "messages", f"{base}/messages/", b"Bench message", None),
        (
            f"access log, {ACCESS_LOG:,} rows: page 1",
            "access_log",
            f"{base}/access-log/",
            OWNER_EMAIL.encode(),
            None,
        ),
        (f"the return form, {owed.label}", "form", form, b"<form", None),
        (
            f"the return's review (POST, step=review), {owed.label}",
            "review",
            form,
            b"Review the return",
            review,
        ),
    ]
    try:
        session = signed_in_session(owner)
        bench.session_keys.append(session)
        cookies = bench.cookies_for(owner)
        queries = {key: query_count(session, path, sent) for _, key, path, _, sent in pages}
        figures: dict[str, tuple[str, dict]] = {"bare_signed_in": ("/bench/bare/", {"cookies": cookies})}
        for _, key, path, expected, sent in pages:
            figures[key] = (path, {"cookies": cookies, "expect_text": expected, "form": sent})
        stats = _interleaved(bench, figures)
        session = signed_in_session(owner)  # fresh: the load above may outlast a session's 15 idle minutes
        bench.session_keys.append(session)
        timings = {"bare_signed_in": in_process_timings(session, "/bench/bare/")}
        splits = {"bare_signed_in": in_process_split(session, "/bench/bare/")}
        for _, key, path, expected, sent in pages:
            timings[key] = in_process_timings(session, path, expected, sent)
            splits[key] = in_process_split(session, path, sent)
    finally:
        remove()
    floor = "bare view, signed in (same middleware, one query)"
    rows = [
        _median_row(f"{figure} ({queries[key]} queries)", stats[key], floor, stats["bare_signed_in"])
        for figure, key, *_ in pages
    ]
    rows.extend(
        Row.from_timings(
            f"in process, no HTTP: {figure}", timings[key], f"in process: {floor}", timings["bare_signed_in"]
        ).with_details(f"split: {splits[key].describe()}", f"floor: {splits['bare_signed_in'].describe()}")
        for figure, key, *_ in pages
    )
    return rows
