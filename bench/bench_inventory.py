"""The inventory pages (issue 15, item 9) at their largest realistic size, against the floor of bench_pages.py: the
bare one-query view requested by a signed-in person (same middleware), under the same gunicorn in the same run,
each with its query count, timed over HTTP (taking turns) and in this process with where its time goes.

- A seller's Inventory Summary of a month: one seller with BENCH_INVENTORY_BFLOS BFLOs (20) in both marked fuels
  (TRACS knows two: marked gasoline and marked diesel) and BENCH_INVENTORY_MONTHS months (24) of sales
  (BENCH_INVENTORY_SALES a month, 40,000 by default: 2,000 a BFLO), fuel movements (per BFLO, fuel and month
  eight acquisitions, an import, a disposition and an export) and closing counts; the page shows the last month,
  its 40 lines.
- Staff's inventory variances of every seller (staff administration): BENCH_INVENTORY_SELLERS sellers (5,000),
  each with two BFLOs, last month's closing counts, ten sales and an acquisition per BFLO and fuel this month and
  the closing counts (one seller in forty counted 100 L short, past tolerance): the page's first 50 lines of the
  20,000, largest variance first, as the assessor opens it, and the same filtered to past tolerance only.

Quick runs: BENCH_INVENTORY_SALES=2000 BENCH_INVENTORY_SELLERS=200 BENCH_REQUESTS=200 BENCH_ONLY=bench_inventory.
The data is inserted set-based (INSERT ... SELECT over generate_series) and removed at the end and before the start;
its BINs are in a reserved range (800002000 for the seller, from 801000000 for the others; TRACS allocates new BINs
from 700000001).
"""

from __future__ import annotations

import os
import time
from datetime import date
from decimal import Decimal
from typing import Any

from bench.bench_clients import _interleaved, _median_row, in_process_split, in_process_timings, query_count
from bench.harness import Bench, Row, owned_account, person, signed_in_session

ORDER = 36
BIN = "800002000"
BIN_BASE = 801_000_000
OWNER_EMAIL = "bench-inventory-owner@bench.tracs.invalid"
STAFF_EMAIL = "bench-inventory-assessor@bench.tracs.invalid"


def _sizes() -> tuple[int, int, int, int]:
    return (
        int(os.environ.get("BENCH_INVENTORY_BFLOS", "20")),
        int(os.environ.get("BENCH_INVENTORY_MONTHS", "24")),
        int(os.environ.get("BENCH_INVENTORY_SALES", "40000")),
        int(os.environ.get("BENCH_INVENTORY_SELLERS", "5000")),
    )


def _month(last: date, back: int) -> date:
    index = last.year * 12 + last.month - 1 - back
    return date(index // 12, index % 12 + 1, 1)


def remove() -> None:
    """Delete everything this benchmark created (idempotent)."""
    from django.db import transaction
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.models import AccessLogEntry, User
    from consent.models import Grant
    from filings.sales.models import Ingestion, InventoryCount, Movement, Sale
    from programs.models import BulkFuelLocation, ProgramAccount, Taxpayer

    def raw_delete(queryset) -> None:
        queryset._raw_delete(queryset.db)

    with transaction.atomic():
        taxpayers = Taxpayer.objects.filter(bin__gte=BIN, bin__lt=str(BIN_BASE + 100_000))
        accounts = ProgramAccount.objects.filter(taxpayer__in=taxpayers)
        people = User.objects.filter(email__in=[OWNER_EMAIL, STAFF_EMAIL])
        for model in (Sale, Movement, InventoryCount):
            raw_delete(model.objects.filter(account__in=accounts))
        raw_delete(Ingestion.objects.filter(account__in=accounts))
        raw_delete(BulkFuelLocation.objects.filter(account__in=accounts))
        raw_delete(AccessLogEntry.objects.filter(actor__in=people))
        raw_delete(Grant.objects.filter(account__in=accounts))
        raw_delete(accounts)
        raw_delete(taxpayers)
        for person in people:
            person.groups.clear()
        raw_delete(TOTPDevice.objects.filter(user__in=people))
        raw_delete(people)


def _big_seller(*, bflos: int, months: int, sales: int, last: date):
    """The seller with many BFLOs, its owner, and its months of sales, movements and counts."""
    from django.db import connection

    from filings.periods import Period
    from filings.sales import inventory_sql
    from filings.sales.models import Ingestion, InventoryCount
    from programs.models import BulkFuelLocation

    first = _month(last, months - 1)
    owner, account = owned_account(
        email=OWNER_EMAIL,
        name="Bench Inventory Owner",
        legal_name="Bench Bulk Fuels Ltd.",
        bin=BIN,
        program="tefs",
        effective_date=first,
    )
    locations = BulkFuelLocation.objects.bulk_create(
        BulkFuelLocation(account=account, number=f"BI{n:06d}", name=f"Bench {n}", address="Lacombe")
        for n in range(bflos)
    )
    ingestion = Ingestion.objects.create(account=account, door="sftp", format="csv", status="done")
    ids: dict[str, Any] = {
        "account": account.pk,
        "ingestion": ingestion.pk,
        "bflos": [b.pk for b in locations],
        "nb": bflos,
    }
    with connection.cursor() as cursor:
        # Each month's sales over its BFLOs and both fuels, 20 to 80 L each.
        cursor.execute(
            """INSERT INTO filings_sale (account_id, ingestion_id, row_number, kind, revision, corrects_id, sale_date,
                   month, invoice_number, line, exemption_number, exemption_kind, carbon_levy_exempt, fuel, litres,
                   bflo_id, created_at)
               SELECT %(account)s, %(ingestion)s, i, 'sale', 0, NULL, m + (i %% 28), m, 'S' || i, 1, 'F1000001',
                      'affb', true,
                      CASE WHEN (i / %(nb)s) %% 2 = 0 THEN 'marked_diesel' ELSE 'marked_gasoline' END,
                      (20 + i %% 60) + (i %% 1000) / 1000.0, (%(bflos)s::bigint[])[1 + i %% %(nb)s], now()
               FROM generate_series(0, %(count)s - 1) i,
                    LATERAL (SELECT (%(first)s::date + make_interval(months => (i / %(per)s)::int))::date AS m) month""",
            {**ids, "count": sales * months, "per": sales, "first": first},
        )
        # Per BFLO, fuel and month: eight acquisitions covering the month's sales, an import, a disposition and
        # an export.
        per_line = sales * 50 // (bflos * 2) + 1000  # litres sold a BFLO, fuel and month (about), and some
        cursor.execute(
            """INSERT INTO filings_movement (account_id, ingestion_id, row_number, month, bflo_id, fuel, litres,
                   created_at, kind, record, revision, corrects_id, movement_date, counterparty_name,
                   counterparty_number, jurisdiction, document_number)
               SELECT %(account)s, %(ingestion)s, row_number() OVER (), m, b, f, litres, now(), kind, 'movement', 0,
                      NULL, m + k, 'Bench Wholesale', '987654321',
                      CASE WHEN kind IN ('import', 'export') THEN 'SK' ELSE '' END,
                      upper(left(kind, 3)) || to_char(m, 'YYYYMM') || '-' || b || upper(left(f, 8)) || k
               FROM generate_series(0, %(months)s - 1) month_index,
                    LATERAL (SELECT (%(first)s::date + make_interval(months => month_index))::date AS m) month,
                    unnest(%(bflos)s::bigint[]) b, unnest(ARRAY['marked_diesel', 'marked_gasoline']) f,
                    generate_series(0, 10) k,
                    LATERAL (SELECT CASE WHEN k < 8 THEN 'acquisition' WHEN k = 8 THEN 'import'
                                         WHEN k = 9 THEN 'disposition' ELSE 'export' END AS kind,
                                    CASE WHEN k < 8 THEN %(per_line)s / 8.0 ELSE 250 END AS litres) what""",
            {**ids, "months": months, "first": first, "per_line": per_line},
        )
        cursor.execute("ANALYZE filings_sale, filings_movement")
    # The counts, month by month (each month's opening is the closing counted the month before): the computed
    # closing a few litres short, one BFLO in ten 2 percent short (past tolerance). The first month's opening count.
    InventoryCount.objects.bulk_create(
        InventoryCount(
            account=account,
            ingestion=ingestion,
            row_number=n,
            month=first,
            bflo=location,
            fuel=fuel,
            kind=InventoryCount.Kind.OPENING,
            litres=20000,
        )
        for n, (location, fuel) in enumerate(
            (b, f) for b in locations for f in ("marked_diesel", "marked_gasoline")
        )
    )
    for back in range(months - 1, -1, -1):
        period = Period(_month(last, back))
        lines = inventory_sql.inventory_lines(
            inventory_sql.Selection(period=period, account_id=account.pk)
        ).lines
        InventoryCount.objects.bulk_create(
            InventoryCount(
                account=account,
                ingestion=ingestion,
                row_number=n,
                month=period.start,
                bflo_id=line.bflo_id,
                fuel=line.fuel,
                kind=InventoryCount.Kind.CLOSING,
                litres=max(
                    Decimal(0), line.closing_computed * (98 if n % 10 == 0 else 100) / 100 - 5
                ).quantize(Decimal("0.001")),
            )
            for n, line in enumerate(lines)
        )
    return owner, account


def _sellers(*, count: int, last: date) -> None:
    """`count` sellers with two BFLOs each, last month's closing counts (their opening), this month's ten sales of
    50 L (at the first BFLO, diesel), an acquisition of 2,000 L per BFLO and fuel, and the closing counts: as
    computed less 2 L, or 100 L short at one seller in forty."""
    from django.db import connection

    from filings.sales.models import Ingestion
    from programs.models import BulkFuelLocation, Program, ProgramAccount, Taxpayer

    program = Program.objects.get(code="tefs")
    taxpayers = Taxpayer.objects.bulk_create(
        Taxpayer(legal_name=f"Bench Variance Seller {i} Ltd.", bin=str(BIN_BASE + i)) for i in range(count)
    )
    accounts = ProgramAccount.objects.bulk_create(
        ProgramAccount(
            taxpayer=taxpayer,
            program=program,
            number=ProgramAccount.compose_number(bin=taxpayer.bin, program_number=program.number, sequence=1),
            effective_date=date(2017, 1, 1),
        )
        for taxpayer in taxpayers
    )
    BulkFuelLocation.objects.bulk_create(
        BulkFuelLocation(account=account, number=f"BV{i:06d}{n}", name="Bench", address="Ponoka")
        for i, account in enumerate(accounts)
        for n in range(2)
    )
    Ingestion.objects.bulk_create(
        Ingestion(account=account, door="sftp", format="csv", status="done") for account in accounts
    )
    params: dict[str, Any] = {
        "base": BIN_BASE,
        "low": str(BIN_BASE),
        "high": str(BIN_BASE + count),
        "month": last,
        "before": _month(last, 1),
    }
    sellers = """SELECT a.id AS account, g.id AS ingestion, b.id AS bflo, b.number AS bflo_number,
                        (t.bin::bigint - %(base)s) AS i
                 FROM programs_programaccount a JOIN programs_taxpayer t ON t.id = a.taxpayer_id
                 JOIN programs_bulkfuellocation b ON b.account_id = a.id
                 JOIN filings_ingestion g ON g.account_id = a.id
                 WHERE t.bin >= %(low)s AND t.bin < %(high)s"""
    fuels = "unnest(ARRAY['marked_diesel', 'marked_gasoline']) f"
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO filings_inventorycount (account_id, ingestion_id, row_number, month, bflo_id, fuel,
                    litres, created_at, kind, revision)
                SELECT s.account, s.ingestion, 1, %(before)s, s.bflo, f, 5000, now(), 'closing', 0
                FROM ({sellers}) s, {fuels}""",
            params,
        )
        cursor.execute(
            f"""INSERT INTO filings_sale (account_id, ingestion_id, row_number, kind, revision, corrects_id, sale_date,
                    month, invoice_number, line, exemption_number, exemption_kind, carbon_levy_exempt, fuel, litres,
                    bflo_id, created_at)
                SELECT s.account, s.ingestion, n, 'sale', 0, NULL, %(month)s::date + n, %(month)s, 'V' || n, 1,
                       'F1000001', 'affb', true, 'marked_diesel', 50, s.bflo, now()
                FROM ({sellers}) s, generate_series(1, 10) n WHERE s.bflo_number LIKE '%%0'""",
            params,
        )
        cursor.execute(
            f"""INSERT INTO filings_movement (account_id, ingestion_id, row_number, month, bflo_id, fuel, litres,
                    created_at, kind, record, revision, corrects_id, movement_date, counterparty_name,
                    counterparty_number, jurisdiction, document_number)
                SELECT s.account, s.ingestion, 1, %(month)s, s.bflo, f, 2000, now(), 'acquisition', 'movement', 0,
                       NULL, %(month)s, 'Bench Wholesale', '987654321', '', 'A-' || s.bflo || '-' || f
                FROM ({sellers}) s, {fuels}""",
            params,
        )
        cursor.execute(
            f"""INSERT INTO filings_inventorycount (account_id, ingestion_id, row_number, month, bflo_id, fuel,
                    litres, created_at, kind, revision)
                SELECT s.account, s.ingestion, 2, %(month)s, s.bflo, f,
                       7000 - CASE WHEN s.bflo_number LIKE '%%0' AND f = 'marked_diesel' THEN 500 ELSE 0 END
                            - CASE WHEN s.i %% 40 = 0 THEN 100 ELSE 2 END,
                       now(), 'closing', 0
                FROM ({sellers}) s, {fuels}""",
            params,
        )
        cursor.execute(
            "ANALYZE filings_sale, filings_movement, filings_inventorycount, programs_programaccount"
        )


def create(*, last: date):
    from django.contrib.auth.models import Group
    from django.db import transaction

    from accounts.roles import ROLES_BY_KEY

    bflos, months, sales, sellers = _sizes()
    with transaction.atomic():
        owner, account = _big_seller(bflos=bflos, months=months, sales=sales, last=last)
        _sellers(count=sellers, last=last)
        staff = person(STAFF_EMAIL, "Bench Inventory Assessor", is_staff=True)
        staff.groups.set([Group.objects.get(name=ROLES_BY_KEY["assessor"].name)])
    return owner, account, staff


def run(bench: Bench) -> list[Row]:
    from django.urls import reverse
    from django.utils import timezone

    from filings.periods import Period

    bflos, months, sales, sellers = _sizes()
    month = Period.of(timezone.localdate()).previous()
    remove()
    made = time.perf_counter()
    owner, account, staff = create(last=month.start)
    made = time.perf_counter() - made
    summary = (
        f"{reverse('marked_fuel_inventory_summary', kwargs={'number': account.number})}?month={month.key}"
    )
    variances = f"{reverse('admin:filings_inventoryvariance_changelist')}?month={month.key}"
    pages = [
        (
            f"Inventory Summary, {bflos} BFLOs x 2 fuels, {months} months of {sales:,} sales a month: the last",
            summary,
            b"Computed closing",
            owner,
        ),
        (
            f"staff inventory variances, {sellers:,} sellers x 4 lines: page 1, largest first",
            variances,
            b"variance-line",
            staff,
        ),
        (
            f"staff inventory variances, {sellers:,} sellers: past tolerance only",
            f"{variances}&flagged=on",
            b"past tolerance</strong>",
            staff,
        ),
    ]
    try:
        sessions = {person.pk: signed_in_session(person) for person in (owner, staff)}
        bench.session_keys.extend(sessions.values())
        cookies = {person.pk: bench.cookies_for(person) for person in (owner, staff)}
        queries = {path: query_count(sessions[person.pk], path) for _, path, _, person in pages}
        figures: dict[str, tuple[str, dict]] = {
            "bare_signed_in": ("/bench/bare/", {"cookies": cookies[owner.pk]})
        }
        for _, path, expected, person in pages:
            figures[path] = (path, {"cookies": cookies[person.pk], "expect_text": expected})
        stats = _interleaved(bench, figures)
        timings = {"bare_signed_in": in_process_timings(sessions[owner.pk], "/bench/bare/")}
        splits = {"bare_signed_in": in_process_split(sessions[owner.pk], "/bench/bare/")}
        for _, path, expected, person in pages:
            timings[path] = in_process_timings(sessions[person.pk], path, expected)
            splits[path] = in_process_split(sessions[person.pk], path)
    finally:
        remove()
    floor = "bare view, signed in (same middleware, one query)"
    rows = [
        _median_row(f"{figure} ({queries[path]} queries)", stats[path], floor, stats["bare_signed_in"])
        for figure, path, _, _ in pages
    ]
    rows.extend(
        Row.from_timings(
            f"in process, no HTTP: {figure}", timings[path], f"in process: {floor}", timings["bare_signed_in"]
        ).with_details(f"split: {splits[path].describe()}", f"floor: {splits['bare_signed_in'].describe()}")
        for figure, path, _, _ in pages
    )
    rows[0] = rows[0].with_details(f"data made in {made:.0f} s")
    return rows
