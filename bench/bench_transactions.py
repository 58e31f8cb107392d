"""View Financial Transaction Details (issue 6, Build 4) with 50,000 transactions on one account, against the
floor (the bare one-query view) under the same gunicorn in the same run.

Target: median server time within 3x that of the bare view. Figures, taking turns under the same gunicorn (so
load from anything else on the machine weighs on each alike): the page as it opens (the latest 25), a period's
transactions (page 1) and a year of processed dates (page 1, with its count); each names its query count
(CaptureQueriesContext, in this process), which must not grow with the rows. Each is reported against two
floors (the bare view served anonymously, as the issue measures it, and the same bare view for a signed-in
person: session, user and two-factor device read by the middleware), and the page as it opens is also set
against the same page on an account with 25 transactions (what the 50,000 rows cost) and against the Account
Information page of the account (what any account page costs: the same middleware, access check, access-log
row and layout). Then the same, timed in this process with Django's test client, one request at a time: the
server's own time, steadier than load figures on a busy machine.

The data: one taxpayer with a BIN in a reserved range (800001000; TRACS allocates new BINs from 700000001), two
fuel tax accounts and their owner; 50,000 ledger transactions over 10 years of periods on one, 25 on the other,
inserted with COPY (psycopg's copy through Django's connection). All removed at the end (and before the start,
in case an earlier run was interrupted). The ledger refuses DELETE (a trigger, migration assessments 0002): the
removal disables the trigger for its own transaction, as the table's owner, and enables it again before
committing.
"""

from __future__ import annotations

import secrets
from datetime import date, timedelta
from decimal import Decimal

from bench.bench_clients import _interleaved, _median_row, in_process_timings, query_count
from bench.harness import Bench, Row, signed_in_session

ORDER = 30
TRANSACTIONS = 50_000
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
    from assessments.models import LedgerTransaction
    from consent.models import Grant
    from programs.models import ProgramAccount, Taxpayer

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
        raw_delete(AccessLogEntry.objects.filter(account_number__in=numbers))
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


def create():
    """The owner of two accounts: one with 50,000 transactions, one with 25 (COPY, one transaction)."""
    from django.db import connection, transaction
    from django.utils import timezone
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.models import User
    from consent.models import Grant
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
    with connection.cursor() as cursor:
        # Visibility map and planner statistics, as autovacuum would leave them after such an insert.
        cursor.execute(f"VACUUM (ANALYZE) {_tables()}")
    return owner, accounts[0], accounts[1]


def run(bench: Bench) -> list[Row]:
    remove()
    owner, account, small = create()
    base = f"/accounts/{account.number}/transactions/"
    period = _period_end(PERIODS // 2).isoformat()
    text = b"Bench transaction"
    pages = [
        ("latest 25 (as it opens)", base),
        ("one period, page 1 of 9", f"{base}?show=period&period_end={period}"),
        (
            "a year of processed dates, page 1",
            f"{base}?show=range&processed_from=2020-01-01&processed_to=2020-12-31",
        ),
    ]
    small_page = f"/accounts/{small.number}/transactions/"
    information = f"/accounts/{account.number}/"
    try:
        session = signed_in_session(owner)
        bench.session_keys.append(session)
        cookies = bench.cookies_for(owner)
        queries = {path: query_count(session, path) for _, path in pages}
        queries[small_page] = query_count(session, small_page)
        queries[information] = query_count(session, information)
        figures = {"bare": ("/bench/bare/", {}), "bare_signed_in": ("/bench/bare/", {"cookies": cookies})}
        for path in [*(path for _, path in pages), small_page]:
            figures[path] = (path, {"cookies": cookies, "expect_text": text})
        figures[information] = (information, {"cookies": cookies, "expect_text": b"Account Information"})
        stats = _interleaved(bench, figures)
        timings = {
            "bare": in_process_timings(None, "/bench/bare/"),
            "bare_signed_in": in_process_timings(session, "/bench/bare/"),
            "page": in_process_timings(session, base, text),
            "small": in_process_timings(session, small_page, text),
            "information": in_process_timings(session, information),
        }
    finally:
        remove()
    # Two floors, as bench_clients: the bare view served anonymously (the baseline), and the same view
    # for a signed-in person (session, user and two-factor device read by the middleware, then one query).
    floors = [
        ("bare view, one query", "bare"),
        ("bare view, signed in (same middleware, one query)", "bare_signed_in"),
    ]
    rows = [
        _median_row(
            f"transactions, {TRANSACTIONS:,} on the account: {figure} ({queries[path]} queries)",
            stats[path],
            floor,
            stats[key],
        )
        for figure, path in pages
        for floor, key in floors
    ]
    rows.append(
        _median_row(
            f"transactions, {TRANSACTIONS:,} on the account: latest 25",
            stats[base],
            f"same page, {SMALL} on the account ({queries[small_page]} queries)",
            stats[small_page],
        )
    )
    rows.append(
        _median_row(
            f"transactions, {TRANSACTIONS:,} on the account: latest 25",
            stats[base],
            f"Account Information page of the same account ({queries[information]} queries)",
            stats[information],
        )
    )
    figure = f"in process, no HTTP: transactions, {TRANSACTIONS:,} on the account, latest 25"
    rows.extend(
        Row.from_timings(figure, timings["page"], f"in process: {floor}", timings[key])
        for floor, key in floors
    )
    rows.append(
        Row.from_timings(
            figure, timings["page"], f"in process: same page, {SMALL} on the account", timings["small"]
        )
    )
    rows.append(
        Row.from_timings(
            figure, timings["page"], "in process: Account Information page", timings["information"]
        )
    )
    return rows
