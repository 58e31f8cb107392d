"""The marked-fuel Sales Summary (issue 15, items 3 and 9, "Show"): its Excel in bounded memory, and its page at a
big seller's size.

- **Excel, peak RSS**: assessments.cycles.exports.sales_summary_export_build (what the Celery job runs: the
  cycle's rows for one seller and claim period streamed from a server-side cursor into an openpyxl write-only
  workbook, stored) for BENCH_SUMMARY_SALES sales (1,000,000 by default) against a tenth of that (100,000), each in
  a fresh child process (`python -m bench.bench_sales_summary build <export id>`) that reports its own peak RSS
  (`ru_maxrss`, and VmHWM: see bench.bench_xml.peak_rss_mb); target: flat (ratio near 1, growth under
  RSS_TARGET_MB). Its wall time is shown with its rows per second.
- **Page**: the Sales Summary of one claim period holding BENCH_SUMMARY_PAGE_SALES sales (200,000 by default: a big
  seller's two weeks; not claimed, so the page shows them as the estimate: the same grouped statement, and the
  claim's rows are a fixed number of queries either way); its query count, timed over HTTP under the shared gunicorn (taking turns with
  the floor, BENCH_SUMMARY_REQUESTS requests each, 200 by default: each request reads the period's sales) and in
  this process with Django's test client, with where its time goes (bench.split), against the floor of
  bench.bench_pages: the bare one-query view, signed in.

The data is committed (the child processes must see it): three TEFS sellers with a BIN in a reserved range
(800002001-800002003), an owner, the sales of a claim period of March 2018 (the carbon levy in force) inserted by
one statement each; removed at the end and before the start, exports and their files with them. A quick run:
BENCH_SUMMARY_SALES=20000 BENCH_SUMMARY_PAGE_SALES=20000.
"""

from __future__ import annotations

import json
import os
import resource
import secrets
import sys
import time
from datetime import date

from bench.bench_xml import _vm_hwm_kb
from bench.harness import Bench, Row, run_child, time_calls

ORDER = 47
BINS = ("800002001", "800002002", "800002003")  # large, small (a tenth), page
OWNER_EMAIL = "bench-sales-summary-owner@bench.tracs.invalid"
PERIOD_START = date(2018, 3, 12)  # a claim period (14 days from 2017-01-02), the carbon levy in force
RSS_TARGET_MB = 50
FLOOR = "bare view, signed in (same middleware, one query)"


def remove() -> None:
    """Delete everything this benchmark created, files included (idempotent)."""
    from django.core.files.storage import default_storage
    from django.db import transaction
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.models import AccessLogEntry, User
    from assessments.cycles.models import SalesSummaryExport
    from consent.models import Grant
    from filings.sales.models import Ingestion, Sale
    from programs.models import Address, BulkFuelLocation, ProgramAccount, Taxpayer

    def raw_delete(queryset) -> None:
        queryset._raw_delete(queryset.db)

    accounts = ProgramAccount.objects.filter(taxpayer__bin__in=BINS)
    for name in (
        SalesSummaryExport.objects.filter(account__in=accounts)
        .exclude(file="")
        .values_list("file", flat=True)
    ):
        default_storage.delete(name)
    with transaction.atomic():
        numbers = list(accounts.values_list("number", flat=True))
        people = User.objects.filter(email=OWNER_EMAIL)
        raw_delete(SalesSummaryExport.objects.filter(account__in=accounts))
        raw_delete(Sale.objects.filter(account__in=accounts))
        raw_delete(Ingestion.objects.filter(account__in=accounts))
        raw_delete(AccessLogEntry.objects.filter(account_number__in=numbers))
        raw_delete(AccessLogEntry.objects.filter(actor__in=people))
        raw_delete(Grant.objects.filter(account__in=accounts))
        raw_delete(BulkFuelLocation.objects.filter(account__in=accounts))
        raw_delete(Address.objects.filter(account__in=accounts))
        raw_delete(accounts)
        raw_delete(Taxpayer.objects.filter(bin__in=BINS))
        raw_delete(TOTPDevice.objects.filter(user__in=people))
        raw_delete(people)


def _sales(account, bflo, ingestion, *, count: int, starts) -> None:
    """`count` AFFB sales of one seller accepted over the claim period's 14 days, in one statement."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """INSERT INTO filings_sale (account_id, ingestion_id, row_number, kind, revision, corrects_id, sale_date,
                   month, invoice_number, line, exemption_number, exemption_kind, carbon_levy_exempt, fuel, litres,
                   bflo_id, created_at)
               SELECT %(account)s, %(ingestion)s, i, 'sale', 0, NULL, date '2018-03-12' + (i * 14 / %(count)s),
                      date '2018-03-01', 'S' || i, 1 + i %% 3, 'F' || (1000000 + i %% 5000), 'affb', true,
                      CASE WHEN i %% 4 = 0 THEN 'marked_gasoline' ELSE 'marked_diesel' END,
                      (20 + i %% 60) + (i %% 1000) / 1000.0, %(bflo)s,
                      %(starts)s + make_interval(secs => (i::float8 * 1209599 / %(count)s))
               FROM generate_series(0, %(count)s - 1) i""",
            {
                "account": account.pk,
                "ingestion": ingestion.pk,
                "bflo": bflo.pk,
                "count": count,
                "starts": starts,
            },
        )


def create(sizes: tuple[int, int, int]):
    """The owner of three sellers with `sizes` sales each in the claim period (committed)."""
    from django.db import connection, transaction
    from django.utils import timezone
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.models import User
    from assessments.cycles.services import period_bounds_of
    from consent.models import Grant
    from filings.sales.models import Ingestion
    from programs.models import Address, BulkFuelLocation, Program, ProgramAccount, Taxpayer

    program = Program.objects.get(code="tefs")
    starts, _ends = period_bounds_of(PERIOD_START)
    accounts = []
    with transaction.atomic():
        owner = User.objects.create(email=OWNER_EMAIL, full_name="Bench Summary Owner", is_active=True)
        owner.set_unusable_password()
        owner.save(update_fields=["password"])
        TOTPDevice.objects.create(
            user=owner, name="Authenticator app", key=secrets.token_hex(20), confirmed=True
        )
        for bin_, count in zip(BINS, sizes, strict=True):
            taxpayer = Taxpayer.objects.create(legal_name=f"Bench Summary Fuels {bin_} Ltd.", bin=bin_)
            account = ProgramAccount.objects.create(
                taxpayer=taxpayer,
                program=program,
                sequence=1,
                number=ProgramAccount.compose_number(bin=bin_, program_number=program.number, sequence=1),
                effective_date=date(2017, 1, 1),
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
            Address.objects.create(
                account=account,
                kind=Address.Kind.MAILING,
                line1="1 Main St",
                city="Lacombe",
                postal_code="T4L 2N2",
            )
            bflo = BulkFuelLocation.objects.create(
                account=account, number=f"BS{bin_[-6:]}", name="Bench", address="Lacombe"
            )
            ingestion = Ingestion.objects.create(
                account=account, door="sftp", format="csv", record_type="sales", status="done"
            )
            _sales(account, bflo, ingestion, count=count, starts=starts)
            accounts.append(account)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE filings_sale")
    return owner, accounts


def _export(account) -> int:
    from django.utils import timezone

    from assessments.cycles.models import SalesSummaryExport
    from assessments.cycles.services import claim_period_from_start

    period = claim_period_from_start(PERIOD_START)
    return SalesSummaryExport.objects.create(
        account=account, period_start=period.start, period_end=period.end, requested_at=timezone.now()
    ).pk


def build_in_child(export_id: int) -> dict:
    """The export job's work in a fresh process: its peak RSS (MB), wall seconds and rows."""
    result = run_child("bench.bench_sales_summary", "build", str(export_id))
    result["peak_mb"] = max(result["peak_rss_kb"], result["vm_hwm_kb"]) / 1024
    return result


def _rss_row(large: dict, small: dict, sizes: tuple[int, int, int]) -> Row:
    growth = large["peak_mb"] - small["peak_mb"]
    verdict = "met" if growth < RSS_TARGET_MB else "MISSED"
    return Row(
        f"Sales Summary Excel of {sizes[0]:,} sales (fresh process: cursor -> write-only workbook -> stored)",
        f"peak RSS {large['peak_mb']:.0f} MB; {large['seconds']:.1f} s, {large['rows'] / large['seconds']:,.0f} rows/s, "
        f"{large['size'] / 1024 / 1024:.0f} MB, {large['sheets']} sale sheet(s)",
        f"same, {sizes[1]:,} sales",
        f"peak RSS {small['peak_mb']:.0f} MB; {small['seconds']:.1f} s",
        large["peak_mb"] / small["peak_mb"],
        f"peak RSS; grows {growth:+.0f} MB for {sizes[0] / sizes[1]:.0f}x the sales (target flat, < {RSS_TARGET_MB} MB): "
        f"{verdict}",
    )


def _page_rows(bench: Bench, owner, account, sales: int) -> list[Row]:
    from bench import split
    from bench.bench_clients import _median_row, _merged, in_process_client, in_process_get, query_count
    from bench.harness import signed_in_session

    path = f"/accounts/{account.number}/marked-fuel/sales-summary/?period={PERIOD_START.isoformat()}"
    session = signed_in_session(owner)
    bench.session_keys.append(session)
    queries = query_count(session, path)
    cookies = bench.cookies_for(owner)
    requests = int(os.environ.get("BENCH_SUMMARY_REQUESTS", "200"))
    repeat = int(os.environ.get("BENCH_SUMMARY_REPEAT", "20"))
    figures: dict[str, tuple[str, dict[str, object]]] = {
        "floor": ("/bench/bare/", {"cookies": cookies}),
        "page": (path, {"cookies": cookies, "expect_text": b"$"}),
    }
    parts: dict[str, list] = {name: [] for name in figures}
    # Taking turns, as bench.bench_clients._interleaved does, with fewer requests: each reads the period's sales.
    for round_ in range(5):
        for name, (url, options) in figures.items():
            warmup = min(bench.warmup, 10) if round_ == 0 else 0
            parts[name].append(bench.load(url, requests=max(1, requests // 5), warmup=warmup, **options))
    stats = {name: _merged(loads) for name, loads in parts.items()}
    client = in_process_client(session)
    page = time_calls(lambda: in_process_get(client, path, b"$"), repeat=repeat, warmup=3)
    floor = time_calls(lambda: in_process_get(client, "/bench/bare/"), repeat=repeat * 5, warmup=10)
    page_split = split.measure(in_process_client(session), path, repeat=max(5, repeat // 2))
    floor_split = split.measure(in_process_client(session), "/bench/bare/", repeat=50)
    figure = f"Sales Summary, one claim period of {sales:,} sales ({queries} queries)"
    return [
        _median_row(figure, stats["page"], FLOOR, stats["floor"]),
        Row.from_timings(f"in process, no HTTP: {figure}", page, f"in process: {FLOOR}", floor).with_details(
            f"split: {page_split.describe()}", f"floor: {floor_split.describe()}"
        ),
    ]


def run(bench: Bench | None) -> list[Row]:
    large = int(os.environ.get("BENCH_SUMMARY_SALES", "1000000"))
    sizes = (large, max(1, large // 10), int(os.environ.get("BENCH_SUMMARY_PAGE_SALES", "200000")))
    remove()
    made = time.perf_counter()
    owner, accounts = create(sizes)
    made = time.perf_counter() - made
    try:
        # Memory first, while this process is still small (bench.bench_xml.peak_rss_mb says why).
        small = build_in_child(_export(accounts[1]))
        big = build_in_child(_export(accounts[0]))
        rows = [_rss_row(big, small, sizes).with_details(f"data made in {made:.0f} s")]
        if bench is not None:
            rows.extend(_page_rows(bench, owner, accounts[2], sizes[2]))
    finally:
        remove()
    return rows


def _child(export_id: int) -> None:
    """`python -m bench.bench_sales_summary build EXPORT_ID`: the job's work once, then this process's peak RSS."""
    from bench import harness

    harness.django_setup()
    from django.core.files.storage import default_storage
    from openpyxl import load_workbook

    from assessments.cycles import exports
    from assessments.cycles.models import SalesSummaryExport

    started = time.perf_counter()
    status = exports.sales_summary_export_build(export_id=export_id)
    seconds = time.perf_counter() - started
    export = SalesSummaryExport.objects.get(pk=export_id)
    assert status == "ready", export.error
    peak, hwm = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, _vm_hwm_kb()  # before reading it back
    with default_storage.open(export.file.name, "rb") as stored:
        sheets = len(load_workbook(stored, read_only=True).sheetnames) - 1
    print(
        json.dumps(
            {
                "peak_rss_kb": peak,
                "vm_hwm_kb": hwm,
                "seconds": seconds,
                "rows": export.rows,
                "size": export.size,
                "sheets": sheets,
            }
        )
    )


if (
    __name__ == "__main__"
):  # python -m bench.bench_sales_summary: the Excel rows alone, without the web server
    if sys.argv[1:2] == ["build"]:
        _child(int(sys.argv[2]))
    else:
        from bench import harness

        harness.django_setup()
        harness.print_table(run(None), title="TRACS benchmark: the marked-fuel Sales Summary")
