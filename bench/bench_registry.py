"""The exemption registry import (issue 14, item 1): a file of BENCH_REGISTRY_ROWS changes (100,000 by default:
register rows, every fourth number then suspended) through the whole path, against a bare COPY of the same
file's bytes into a table with the same columns, in the same run.

- Whole path: programs.registries.services.registry_file_import, what the admin page and the command call (the
  file hashed, each row read and checked for its form, COPYed into the staging table, every rule as one SQL
  statement, the holders, certificates and status periods stored). Each run is one transaction, rolled back.
- Baseline: psycopg `COPY ... FROM STDIN (FORMAT csv, HEADER)` of the file's bytes into a temporary table of
  eleven text columns: the least any import of the file costs.

A set-based import stays a small multiple of the bare COPY as the file grows; a query per row would not.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from bench.harness import LOG_DIR, Bench, Row, Timings

ORDER = 40
RUNS = 3
# Numbers from F5000000 / T5000000: clear of the demo registry's (F1000001, T2000001, ...).


def generate(path: Path, rows: int) -> int:
    from programs.registries.services import HEADER

    path.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(",".join(HEADER) + "\n")
        registrations = rows * 4 // 5
        for i in range(registrations):
            number = f"F{5_000_000 + i:07d}" if i % 2 else f"T{5_000_000 + i:07d}"
            out.write(
                f"register,{number},2024-01-{1 + i % 28:02d},B-{i},Holder {i},RR {i % 90},,Lacombe,AB,T4L 2N2,\n"
            )
            written += 1
        for i in range(0, registrations, 4):
            if written >= rows:
                break
            number = f"F{5_000_000 + i:07d}" if i % 2 else f"T{5_000_000 + i:07d}"
            out.write(f"suspend,{number},2025-03-01,,,,,,,,Bench\n")
            written += 1
    return written


def whole_path(path: Path) -> float:
    from django.db import transaction

    from accounts.actors import Actor, Door
    from programs.registries import services

    started = time.perf_counter()
    with transaction.atomic():
        with path.open("rb") as stream:
            result = services.registry_file_import(
                stream=stream, filename=path.name, actor=Actor.job("bench", door=Door.FILE)
            )
        assert result.stored, result.errors[:5]
        transaction.set_rollback(True)
    return time.perf_counter() - started


def bare_copy(path: Path) -> float:
    from django.db import connection, transaction

    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE bench_registry_bare (action text, number text, effective_date text, "
            "holder_reference text, holder_name text, address_line1 text, address_line2 text, city text, "
            "province text, postal_code text, reason text) ON COMMIT DROP"
        )
        with (
            path.open("rb") as source,
            cursor.cursor.copy("COPY bench_registry_bare FROM STDIN (FORMAT csv, HEADER)") as copy,
        ):
            for chunk in iter(lambda: source.read(1024 * 1024), b""):
                copy.write(chunk)
        transaction.set_rollback(True)
    return time.perf_counter() - started


def _timings(function, path: Path) -> Timings:
    function(path)  # warm-up: the connection, the plans, the file in the page cache
    return Timings(tuple(function(path) for _ in range(RUNS)))


def run(bench: Bench) -> list[Row]:
    rows = int(os.environ.get("BENCH_REGISTRY_ROWS", "100000"))
    path = LOG_DIR / f"exemption-registry-{rows}.csv"
    count = generate(path, rows)
    whole = _timings(whole_path, path)
    bare = _timings(bare_copy, path)
    return [
        Row.from_timings(
            f"exemption registry import, {count:,} changes ({path.stat().st_size / 1024 / 1024:.1f} MB): "
            "read, check every rule, store",
            whole,
            "bare COPY of the same file into a table of its columns",
            bare,
        )
    ]
