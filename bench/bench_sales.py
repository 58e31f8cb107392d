"""Marked-fuel sales through the one ingestion path (issue 14, "Show"): a month of BENCH_SALES_ROWS sales
(1,000,000 by default) from one seller with two BFLOs, checked against a registry of BENCH_SALES_HOLDERS holders
(100,000 by default), as CSV and as XML, each against its baseline in the same run, at a tenth of the size and
at the full size (rows/s and the process's peak RSS at each: flat means memory is bounded by the chunking, not
by the file).

- Whole path: filings.sales.ingestion.ingestion_receive (streamed to disk in 1 MB chunks, hashed, counted,
  decoded as UTF-8, header checked) then ingestion_run (read streaming, COPY'd into staging in chunks, every rule
  one SQL statement with the registry joined on each sale date and the BFLOs joined, the sales stored, the
  counters committed) — what the upload page and the SFTP inbox call.
- CSV baseline: psycopg `COPY ... FROM STDIN (FORMAT csv, HEADER)` of the same file's bytes into a bare table of
  the same ten columns (text): the least any import of the file costs. Target: <= 2.0x.
- XML baseline: a bare lxml `iterparse(schema=)` of the same file (records cleared as they end, nothing else
  done): the least a schema-checked streaming read costs. Target: <= 1.5x.

The registry, the seller and every stored row are made inside one transaction that is rolled back, so the
database is as before. Each figure is one run (a million-row month is long; the machine is shared): read the
ratio, not the second digit. BENCH_SALES_ROWS=20000 for a quick run.
"""

from __future__ import annotations

import os
import resource
import time
from datetime import date
from pathlib import Path

from bench.harness import LOG_DIR, Row, Timings

ORDER = 45
MONTH = date(2026, 10, 1)
CHUNK = 1024 * 1024


def _registry(holders: int) -> None:
    """`holders` holders, each with an active AFFB (F6000000 + i) or TEFU (T6000000 + i), one set-based insert."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """INSERT INTO programs_exemptionholder (reference, name, line1, line2, city, province, postal_code,
                   created_at, updated_at)
               SELECT 'BENCH-' || i, 'Bench holder ' || i, 'RR 1', '', 'Lacombe', 'AB', 'T4L 2N2', now(), now()
               FROM generate_series(0, %s - 1) i""",
            [holders],
        )
        cursor.execute(
            """INSERT INTO programs_exemptioncertificate (kind, number, holder_id, registered_on, eligible_until,
                   created_at)
               SELECT CASE WHEN i %% 2 = 0 THEN 'affb' ELSE 'tefu' END,
                      CASE WHEN i %% 2 = 0 THEN 'F' ELSE 'T' END || lpad((6000000 + i)::text, 7, '0'),
                      h.id, date '2024-01-01', CASE WHEN i %% 2 = 0 THEN date '2027-01-01' END, now()
               FROM (SELECT id, substr(reference, 7)::int AS i FROM programs_exemptionholder
                     WHERE reference LIKE 'BENCH-%%') h""",
            [],
        )
        cursor.execute(
            """INSERT INTO programs_exemptionstatusperiod (certificate_id, status, during, reason, recorded_at)
               SELECT id, 'active', daterange(registered_on, eligible_until), '', now()
               FROM programs_exemptioncertificate WHERE number ~ '^[FT]6'"""
        )
        cursor.execute("ANALYZE programs_exemptioncertificate")
        cursor.execute("ANALYZE programs_exemptionstatusperiod")


def _seller():
    from accounts.actors import Actor
    from programs.models import BulkFuelLocation, Program, Taxpayer
    from programs.services.accounts import account_open

    taxpayer = Taxpayer.objects.create(
        legal_name="Bench Fuels Ltd.", bin="999999990", kind=Taxpayer.Kind.BUSINESS
    )
    account = account_open(
        taxpayer=taxpayer,
        program=Program.objects.get(code="tefs"),
        effective_date=date(2024, 1, 1),
        trade_name="",
        mailing_address={"line1": "1 Main St", "city": "Lacombe", "province": "AB", "postal_code": "T4L 2N2"},
        actor=Actor.job("bench"),
    )
    for n in (1, 2):
        BulkFuelLocation.objects.create(
            account=account, number=f"BENCH{n}", name=f"Bench {n}", address="Lacombe"
        )
    return account


def _records(account_number: str, rows: int, holders: int):
    for i in range(rows):
        h = (i * 7919) % holders
        number = f"F{6_000_000 + h:07d}" if h % 2 == 0 else f"T{6_000_000 + h:07d}"
        yield (
            account_number,
            "2026-10",
            "sale",
            f"2026-10-{1 + i % 31:02d}",
            f"INV{i // 3:08d}",
            str(1 + i % 3),
            number,
            "marked_diesel" if i % 4 else "marked_gasoline",
            f"{100 + i % 900}.{i % 1000:03d}",
            f"BENCH{1 + i % 2}",
        )


def generate(*, account_number: str, rows: int, holders: int) -> tuple[Path, Path]:
    from filings.sales.formats import COLUMNS
    from filings.sales.xml_format import NAMESPACE, column_element

    LOG_DIR.mkdir(parents=True, exist_ok=True)
    csv_path, xml_path = LOG_DIR / f"sales-{rows}.csv", LOG_DIR / f"sales-{rows}.xml"
    names = [column_element(column) for column in COLUMNS["sales"][2:]]
    with (
        csv_path.open("w", encoding="utf-8", newline="") as csv_out,
        xml_path.open("w", encoding="utf-8") as xml_out,
    ):
        csv_out.write(",".join(COLUMNS["sales"]) + "\r\n")
        xml_out.write(
            f'<?xml version="1.0" encoding="UTF-8"?>\n<MarkedFuelFile xmlns="{NAMESPACE}">\n'
            f"<Header><AccountNumber>{account_number}</AccountNumber><Month>2026-10</Month>"
            "<RecordType>sales</RecordType></Header>\n<Sales>\n"
        )
        for record in _records(account_number, rows, holders):
            csv_out.write(",".join(record) + "\r\n")
            values = "".join(
                f"<{name}>{value}</{name}>" for name, value in zip(names, record[2:], strict=True)
            )
            xml_out.write(f"<Sale>{values}</Sale>\n")
        xml_out.write("</Sales>\n</MarkedFuelFile>\n")
    return csv_path, xml_path


def whole_path(*, account, path: Path) -> float:
    from accounts.actors import Actor, Door
    from filings.sales.ingestion import ingestion_receive, ingestion_run
    from filings.sales.models import Ingestion

    started = time.perf_counter()
    with path.open("rb") as source:
        received = ingestion_receive(
            account=account,
            door=Ingestion.Door.SFTP,
            file_name=path.name,
            chunks=iter(lambda: source.read(CHUNK), b""),
            actor=Actor.job("bench", door=Door.SFTP),
        )
    assert received.status == "received", received.refusal
    done = ingestion_run(ingestion_id=received.pk)
    # The run is inside this benchmark's transaction, rolled back at the end: the deferred constraint checks a
    # commit would run are run here, inside the clock.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    elapsed = time.perf_counter() - started
    assert (done.status, done.rows_rejected) == ("done", 0), (
        done.refusal,
        list(done.rejected_rows.all()[:3]),
    )
    # The next size's file is another one: its sales are new. Drop this one's so each run stores its own rows.
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM filings_sale WHERE ingestion_id = %s", [done.pk])
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # its own deferred checks, outside the next clock
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    return elapsed


def store_floor(*, account, rows: int) -> float:
    """What storing `rows` sales costs by itself: one INSERT ... SELECT of as many rows, already typed, into
    filings_sale with its indexes and checks (the constraints a commit would check included), rolled back. No
    ingestion can store its sales for less: the whole path's floor."""
    from django.db import connection, transaction

    from filings.sales.models import Ingestion

    bflos = list(account.bulk_fuel_locations.values_list("pk", flat=True))
    with transaction.atomic():
        ingestion = Ingestion.objects.create(account=account, door="sftp", format="csv", status="done")
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(
                """INSERT INTO filings_sale (account_id, ingestion_id, row_number, kind, revision, sale_date, month,
                       invoice_number, line, exemption_number, exemption_kind, carbon_levy_exempt, fuel, litres,
                       bflo_id, created_at)
                   SELECT %s, %s, i + 2, 'sale', 0, date '2026-10-01' + i %% 31, date '2026-10-01',
                          'FLOOR' || lpad((i / 3)::text, 8, '0'), 1 + i %% 3, 'F' || (6000000 + i %% 100000), 'affb',
                          true, 'marked_diesel', (100 + i %% 900) + (i %% 1000) / 1000.0, (%s::bigint[])[1 + i %% 2],
                          now()
                   FROM generate_series(0, %s - 1) i""",
                [account.pk, ingestion.pk, bflos + bflos, rows],
            )
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        elapsed = time.perf_counter() - started
        transaction.set_rollback(True)
    return elapsed


def bare_copy(path: Path) -> float:
    from django.db import connection

    from filings.sales.formats import COLUMNS

    started = time.perf_counter()
    with connection.cursor() as cursor:
        columns = ", ".join(f"{name} text" for name in COLUMNS["sales"])
        cursor.execute(f"CREATE TEMP TABLE bench_sales_bare ({columns})")
        with (
            path.open("rb") as source,
            cursor.cursor.copy("COPY bench_sales_bare FROM STDIN (FORMAT csv, HEADER)") as copy,
        ):
            for chunk in iter(lambda: source.read(CHUNK), b""):
                copy.write(chunk)
        elapsed = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_sales_bare")
    return elapsed


def bare_iterparse(path: Path) -> float:
    from lxml import etree

    from filings.sales.xml_format import NAMESPACE, xml_schema

    started = time.perf_counter()
    for _event, element in etree.iterparse(
        str(path), events=("end",), tag=f"{{{NAMESPACE}}}Sale", schema=xml_schema()
    ):
        element.clear()
        parent = element.getparent()
        while parent is not None and element.getprevious() is not None:
            del parent[0]
    return time.perf_counter() - started


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(bench) -> list[Row]:
    from django.db import connection, transaction

    rows = int(os.environ.get("BENCH_SALES_ROWS", "1000000"))
    holders = int(os.environ.get("BENCH_SALES_HOLDERS", "100000"))
    result = []
    with transaction.atomic():
        _registry(holders)
        account = _seller()
        with connection.cursor() as cursor:  # the registry's own deferred checks, outside every clock
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        for size in (max(rows // 10, 1), rows):
            csv_path, xml_path = generate(account_number=account.number, rows=size, holders=holders)
            for label, path, baseline, base_label in (
                (
                    "CSV",
                    csv_path,
                    bare_copy,
                    "raw psycopg copy() of the same bytes into a bare table, same columns",
                ),
                ("XML", xml_path, bare_iterparse, "bare lxml iterparse(schema=) of the same file"),
            ):
                whole = whole_path(account=account, path=path)
                peak = _peak_rss_mb()
                base = baseline(path)
                floor = store_floor(account=account, rows=size)
                size_mb = path.stat().st_size / 1024 / 1024
                result.append(
                    Row.from_timings(
                        f"marked-fuel sales {label}, {size:,} rows ({size_mb:.0f} MB), registry of {holders:,} holders:"
                        " receive, read, check every rule, store",
                        Timings((whole,)),
                        base_label,
                        Timings((base,)),
                    ).with_details(
                        f"{size / whole:,.0f} rows/s whole path; {size / base:,.0f} rows/s baseline; "
                        f"peak RSS of the process so far {peak:,.0f} MB; storing {size:,} typed sales alone "
                        f"(the floor) {floor:.2f} s = {floor / base:.1f}x the baseline"
                    )
                )
        transaction.set_rollback(True)
    return result


if __name__ == "__main__":  # python -m bench.bench_sales: this benchmark alone, without the web server
    from bench import harness

    harness.django_setup()
    harness.print_table(run(None), title="TRACS benchmark: marked-fuel sales ingestion")
