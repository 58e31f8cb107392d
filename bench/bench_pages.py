"""The other pages a person opens often (issue 13, Build 1), each at a realistic large size, against the floor: the
bare one-query view requested by a signed-in person (same middleware), under the same gunicorn in the same run.

Pages: View Assessment Status (10 years of monthly returns), notices (200), messages (500 threads), the access
log (100,000 rows; its first page) and the return form of the month owed. Target (issue 13): each page's median
within 4x of the floor, its p99 under gunicorn within 3x its own median. Each row names the page's query count
(CaptureQueriesContext, in this process); each is timed over HTTP (taking turns, so load from anything else on
the machine weighs on each alike) and in this process with Django's test client, with where its time goes
(bench.split) under the in-process row.

The data: one taxpayer with a BIN in a reserved range (800001002; TRACS allocates new BINs from 700000001), one
fuel tax account effective 2015-01-01 and its owner; 120 monthly returns 2015-2024 and 200 letters of assessment
(bulk inserts), 500 messages from TRA, and 100,000 access-log rows (COPY through Django's connection, as the
ARCHITECTURE's "Bulk data" lands rows). All removed at the end and before the start; the notices refuse DELETE (a
trigger, migration assessments 0002): the removal disables it for its own transaction, as the table's owner.
"""

from __future__ import annotations

import secrets
from datetime import date, timedelta
from decimal import Decimal

from bench.bench_clients import _interleaved, _median_row, in_process_split, in_process_timings, query_count
from bench.harness import Bench, Row, signed_in_session

ORDER = 35
BIN = "800001002"
OWNER_EMAIL = "bench-pages-owner@bench.tracs.invalid"
RETURNS = 120  # ten years of months, from January 2015
NOTICES = 200
MESSAGES = 500
ACCESS_LOG = 100_000
FIRST = date(2015, 1, 1)


def _month(index: int) -> date:
    return date(FIRST.year + (FIRST.month - 1 + index) // 12, (FIRST.month - 1 + index) % 12 + 1, 1)


def remove() -> None:
    """Delete everything this benchmark created (idempotent)."""
    from django.db import connection, transaction
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.models import AccessLogEntry, User
    from assessments.models import Notice, NoticeRead
    from consent.models import Grant
    from filings.models import FuelTaxReturn
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
        raw_delete(FuelTaxReturn.objects.filter(account__in=accounts))
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
    from assessments.models import Notice
    from consent.models import Grant
    from filings.models import FuelTaxReturn
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
        FuelTaxReturn.objects.bulk_create(
            FuelTaxReturn(
                account=account,
                period_start=period.start,
                period_end=period.end,
                due_on=period.due_on,
                total_tax=Decimal("1300.00"),
                received_at=now - timedelta(days=30 * (RETURNS - n)),
                confirmation_number=f"B{n:07d}",
                filed_by=owner,
                filed_by_email=owner.email,
                filed_in_capacity=Grant.Role.OWNER,
                certified_name=owner.full_name,
                certified_capacity="Controller",
            )
            for n, period in enumerate(periods)
        )
        Notice.objects.bulk_create(
            Notice(
                account=account,
                period_start=periods[n % RETURNS].start,
                period_end=periods[n % RETURNS].end,
                kind=Notice.Kind.LETTER_OF_ASSESSMENT,
                reference=f"BENCH-{BIN}-{n:04d}",
                source_reference=f"bench:{BIN}:{n}",
                issued_on=(now - timedelta(days=15 * n)).date(),
                amount=Decimal("500.00"),
                pdf=f"notices/{account.number}/bench-{n:04d}.pdf",
                sha256="0" * 64,
                size=1,
                rendered_at=now,
            )
            for n in range(NOTICES)
        )
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
            "ANALYZE accounts_accesslogentry, filings_fueltaxreturn, assessments_notice, programs_message"
        )
    return owner, account


def run(bench: Bench) -> list[Row]:
    from django.utils import timezone

    from filings.periods import Period

    remove()
    owner, account = create()
    base = f"/accounts/{account.number}"
    owed = Period.of(timezone.localdate()).previous()  # after the ten years filed: owed, not filed
    pages = [
        (f"View Assessment Status, {RETURNS} returns", f"{base}/assessments/", b"Assessment"),
        (f"notices, {NOTICES}", f"{base}/notices/", b"BENCH-"),
        (f"messages, {MESSAGES} threads", f"{base}/messages/", b"Bench message"),
        (f"access log, {ACCESS_LOG:,} rows: page 1", f"{base}/access-log/", OWNER_EMAIL.encode()),
        (f"the return form, {owed.label}", f"{base}/returns/{owed.key}/file/", b"<form"),
    ]
    try:
        session = signed_in_session(owner)
        bench.session_keys.append(session)
        cookies = bench.cookies_for(owner)
        queries = {path: query_count(session, path) for _, path, _ in pages}
        figures: dict[str, tuple[str, dict]] = {"bare_signed_in": ("/bench/bare/", {"cookies": cookies})}
        for _, path, expected in pages:
            figures[path] = (path, {"cookies": cookies, "expect_text": expected})
        stats = _interleaved(bench, figures)
        timings = {"bare_signed_in": in_process_timings(session, "/bench/bare/")}
        splits = {"bare_signed_in": in_process_split(session, "/bench/bare/")}
        for _, path, expected in pages:
            timings[path] = in_process_timings(session, path, expected)
            splits[path] = in_process_split(session, path)
    finally:
        remove()
    floor = "bare view, signed in (same middleware, one query)"
    rows = [
        _median_row(f"{figure} ({queries[path]} queries)", stats[path], floor, stats["bare_signed_in"])
        for figure, path, _ in pages
    ]
    rows.extend(
        Row.from_timings(
            f"in process, no HTTP: {figure}", timings[path], f"in process: {floor}", timings["bare_signed_in"]
        ).with_details(f"split: {splits[path].describe()}", f"floor: {splits['bare_signed_in'].describe()}")
        for figure, path, _ in pages
    )
    return rows
