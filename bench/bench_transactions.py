"""Account Information and View Financial Transaction Details (issues 6 and 13) on an account with 50,000 ledger
transactions, 24 months of returns, 500 messages and 500 documents, against the floor: the bare one-query view requested by a signed-in
person (same middleware), under the same gunicorn in the same run.

Target (issue 13): each page's median within 4x of the floor, its p99 under gunicorn within 3x its own median,
and its query count (CaptureQueriesContext, in this process, named in each row) the same as on a small account.
Figures, taking turns under the same gunicorn (so load from anything else on the machine weighs on each alike):
Account Information, the transactions page as it opens (the latest 25), a period's transactions (page 1), a year
of processed dates (page 1, with its count), and the same page on an account with 25 transactions. Then each
timed in this process with Django's test client, one request at a time (the server's own time, steadier than
load figures on a busy machine), with where its time goes (bench.split: middleware, queries, the access-log
write, templates, the view's Python) under the row, and the floor's.

The data: one taxpayer with a BIN in a reserved range (800001000; TRACS allocates new BINs from 700000001), two
fuel tax accounts and their owner; 50,000 ledger transactions over 10 years of periods on one (COPY through
Django's connection; the ledger months follow by their trigger, ADR 0017) with its returns of the last 24 months
(two lines each), messages and documents (bulk inserts), 25 transactions on the other. The months before those 24
are left unfiled: the returns panel's worst case, about ten years of months owed to count. All removed at the end (and before the start, in case an earlier run was
interrupted). The ledger refuses DELETE (a trigger, migration assessments 0002): the removal disables the trigger
for its own transaction, as the table's owner, and enables it again before committing.
"""

from __future__ import annotations

import secrets
from datetime import date, timedelta
from decimal import Decimal

from bench.bench_clients import (
    _interleaved,
    _median_row,
    in_process_split,
    in_process_timings,
    query_count,
)
from bench.bench_pages import bulk_returns
from bench.harness import Bench, Row, signed_in_session

ORDER = 30
TRANSACTIONS = 50_000
MESSAGES = DOCUMENTS = 500  # on the big account, as issue 13 sizes Account Information
RETURNS = 24  # the big account's returns: the 24 months up to the last one ended
SMALL = 25  # the same page on an account with one page of transactions
BIN = "800001000"
OWNER_EMAIL = "bench-ledger-owner@bench.tracs.invalid"
FIRST_PERIOD = date(2015, 1, 31)
PERIODS = 120
KINDS = [
    ("assessed_tax", 1),
    ("payment", -1),
    ("interest", 1),
    ("penalty", 1),
    ("claim_credit", -1),
    ("transfer", -1),
]


def _period_end(index: int) -> date:
    first = date(
        FIRST_PERIOD.year + (FIRST_PERIOD.month - 1 + index) // 12,
        (FIRST_PERIOD.month - 1 + index) % 12 + 1,
        1,
    )
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return following - timedelta(days=1)


def _tables():
    from assessments.models import LedgerTransaction

    return LedgerTransaction._meta.db_table


def remove() -> None:
    """Delete everything this benchmark created (idempotent)."""
    from django.db import connection, transaction
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.models import AccessLogEntry, User
    from assessments.models import LedgerMonth, LedgerTransaction
    from consent.models import Grant
    from filings.models import FuelTaxReturn, ReturnLine
    from programs.models import Document, Message, ProgramAccount, Taxpayer

    def raw_delete(queryset) -> None:
        queryset._raw_delete(queryset.db)

    table = connection.ops.quote_name(_tables())
    with transaction.atomic():
        accounts = ProgramAccount.objects.filter(taxpayer__bin=BIN)
        numbers = list(accounts.values_list("number", flat=True))
        people = User.objects.filter(email=OWNER_EMAIL)
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {_tables()}_append_only")
        raw_delete(LedgerTransaction.objects.filter(account__in=accounts))
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # run the deferred checks now: then ALTER may
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {_tables()}_append_only")
        raw_delete(LedgerMonth.objects.filter(account__in=accounts))  # the delete trigger left none: in case
        raw_delete(AccessLogEntry.objects.filter(account_number__in=numbers))
        raw_delete(ReturnLine.objects.filter(tax_return__account__in=accounts))
        raw_delete(FuelTaxReturn.objects.filter(account__in=accounts))
        raw_delete(Message.objects.filter(account__in=accounts))
        raw_delete(Document.objects.filter(account__in=accounts))
        raw_delete(Grant.objects.filter(account__in=accounts))
        raw_delete(accounts)
        raw_delete(Taxpayer.objects.filter(bin=BIN))
        raw_delete(TOTPDevice.objects.filter(user__in=people))
        raw_delete(people)


def _copy(account, *, count: int, periods: int) -> None:
    """`count` transactions over `periods` months from January 2015, by COPY through Django's connection."""
    from django.db import connection
    from django.utils import timezone

    now = timezone.now()
    columns = "account_id, period_end, kind, amount, processed_on, effective_on, description, source_reference, posted_at"
    per_period = max(1, count // periods)
    raw = connection.cursor().connection  # psycopg's own connection, in Django's transaction
    with raw.cursor() as cursor, cursor.copy(f"COPY {_tables()} ({columns}) FROM STDIN") as copy:
        for n in range(count):
            end = _period_end(min(n // per_period, periods - 1))
            kind, sign = KINDS[n % len(KINDS)]
            processed = end + timedelta(days=1 + n % 60)
            amount = sign * Decimal(100 + (n * 37) % 90_000) / 100
            copy.write_row(
                (account.pk, end, kind, amount, processed, processed, f"Bench transaction {n:05d}", "", now)
            )


def _messages_and_documents(account) -> None:
    """MESSAGES messages from TRA, one a day and all unread (the messages panel's worst case), and DOCUMENTS
    documents submitted (bulk inserts)."""
    from django.utils import timezone

    from programs.models import Document, Message

    now = timezone.now()
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
    Document.objects.bulk_create(
        Document(
            account=account,
            reference_number=f"DOC-{BIN[:8]}-B{n:05d}",
            document_type=Document.Type.RETURN_SUPPORT,
            received_at=now - timedelta(days=n),
            submitted_by_email=OWNER_EMAIL,
            capacity="owner",
        )
        for n in range(DOCUMENTS)
    )


def create():
    """The owner of two accounts: one with 50,000 transactions (COPY), 24 months of returns, 500 messages and 500
    documents, one with 25 transactions (one transaction)."""
    from django.db import connection, transaction
    from django.utils import timezone
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.models import User
    from consent.models import Grant
    from filings.periods import Period
    from programs.models import Program, ProgramAccount, Taxpayer

    program = Program.objects.get(code="fuel_tax")
    with transaction.atomic():
        owner = User.objects.create(email=OWNER_EMAIL, full_name="Bench Ledger Owner", is_active=True)
        owner.set_unusable_password()
        owner.save(update_fields=["password"])
        TOTPDevice.objects.create(
            user=owner, name="Authenticator app", key=secrets.token_hex(20), confirmed=True
        )
        taxpayer = Taxpayer.objects.create(legal_name="Bench Ledger Fuels Ltd.", bin=BIN)
        accounts = []
        for sequence, count, periods in [(1, TRANSACTIONS, PERIODS), (2, SMALL, 5)]:
            account = ProgramAccount.objects.create(
                taxpayer=taxpayer,
                program=program,
                sequence=sequence,
                number=ProgramAccount.compose_number(
                    bin=BIN, program_number=program.number, sequence=sequence
                ),
                effective_date=date(2015, 1, 1),
            )
            Grant.objects.create(
                account=account,
                user=owner,
                role=Grant.Role.OWNER,
                status=Grant.Status.ACTIVE,
                name=owner.full_name,
                email=owner.email,
                activated_at=timezone.now(),
            )
            _copy(account, count=count, periods=periods)
            accounts.append(account)
        _messages_and_documents(accounts[0])
        last = Period.of(timezone.localdate()).previous()
        months = [last]
        while len(months) < RETURNS:
            months.insert(0, months[0].previous())
        bulk_returns(accounts[0], owner, months, prefix="L")
    with connection.cursor() as cursor:
        # Visibility map and planner statistics, as autovacuum would leave them after such an insert.
        cursor.execute(f"VACUUM (ANALYZE) {_tables()}")
        cursor.execute(
            "ANALYZE programs_message, programs_document, assessments_ledgermonth, filings_fueltaxreturn, "
            "filings_returnline"
        )
    return owner, accounts[0], accounts[1]


def run(bench: Bench) -> list[Row]:
    remove()
    owner, account, small = create()
    base = f"/accounts/{account.number}/transactions/"
    period = _period_end(PERIODS // 2).isoformat()
    text = b"Bench transaction"
    big = f"{TRANSACTIONS:,} transactions, {RETURNS} months of returns, {MESSAGES} messages, {DOCUMENTS} documents"
    # (figure, path, text the answer must contain)
    pages = [
        (f"Account Information, {big}", f"/accounts/{account.number}/", b"Account Information"),
        (f"transactions, {TRANSACTIONS:,} on the account: latest 25 (as it opens)", base, text),
        (
            f"transactions, {TRANSACTIONS:,} on the account: one period, page 1 of 9",
            f"{base}?show=period&period_end={period}",
            text,
        ),
        (
            f"transactions, {TRANSACTIONS:,} on the account: a year of processed dates, page 1",
            f"{base}?show=range&processed_from=2020-01-01&processed_to=2020-12-31",
            text,
        ),
        (
            f"transactions, {SMALL} on the account: latest 25",
            f"/accounts/{small.number}/transactions/",
            text,
        ),
    ]
    try:
        session = signed_in_session(owner)
        bench.session_keys.append(session)
        cookies = bench.cookies_for(owner)
        queries = {path: query_count(session, path) for _, path, _ in pages}
        figures = {"bare_signed_in": ("/bench/bare/", {"cookies": cookies})}
        for _, path, expected in pages:
            figures[path] = (path, {"cookies": cookies, "expect_text": expected})
        stats = _interleaved(bench, figures)
        session = signed_in_session(owner)  # fresh: the load above may outlast a session's 15 idle minutes
        bench.session_keys.append(session)
        timings = {"bare_signed_in": in_process_timings(session, "/bench/bare/")}
        splits = {"bare_signed_in": in_process_split(session, "/bench/bare/")}
        for _, path, expected in pages:
            timings[path] = in_process_timings(session, path, expected)
            splits[path] = in_process_split(session, path)
    finally:
        remove()
    # The floor (issue 13): the bare view for a signed-in person (session, user and two-factor device read by the
    # same middleware, then one query), which any signed-in page pays before its own work.
    floor = "bare view, signed in (same middleware, one query)"
    rows = [
        _median_row(f"{figure} ({queries[path]} queries)", stats[path], floor, stats["bare_signed_in"])
        for figure, path, _ in pages
    ]
    rows.extend(
        Row.from_timings(
            f"in process, no HTTP: {figure}",
            timings[path],
            f"in process: {floor}",
            timings["bare_signed_in"],
        ).with_details(f"split: {splits[path].describe()}", f"floor: {splits['bare_signed_in'].describe()}")
        for figure, path, _ in pages
    )
    return rows
