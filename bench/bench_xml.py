"""A fuel tax return filed by XML upload (issue 5, Build 3 and "Show"): a return with a detailed schedule of
transactions, 5 MB and 50 MB, through the whole upload path, against bare lxml streaming validation of the
same file in the same run.

- Whole upload path, in this process, calling what the views call: filings.xml.validator.xml_return_check
  (the upload page: safe streaming read, each record validated against the XSD, the web form's rules through
  filings.services.return_preview, the schedule's totals), then filings.services.return_submit (the review
  page: the return and its lines stored, the access log, the e-mail queued). Each run is one database
  transaction, rolled back: the bench taxpayer, account and filer made for it vanish with the return.
- Baseline: `etree.iterparse(path, schema=schema)` consumed to the end (lxml validating while it streams,
  which reports errors without line or path, and builds the whole tree).
- Peak RSS (`ru_maxrss`) of a fresh process that does the whole upload path once, for each size; target: less
  than 50 MB more at 50 MB than at 5 MB. The bare baseline's peak RSS at 50 MB is shown for contrast.

Target: median time within 2.0x the baseline's. The files are written to var/bench/ (git-ignored) each run.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

from bench.harness import LOG_DIR, Bench, Row, Timings, run_child

ORDER = 30
SIZES = [("5 MB", 5 * 1024 * 1024, 5), ("50 MB", 50 * 1024 * 1024, 3)]  # (label, bytes, timed runs)
BIN = "899000001"  # a reserved range no real taxpayer gets (TRACS allocates new BINs from 700000001)
ACCOUNT_NUMBER = f"{BIN}-01-001"
PERIOD = "2024-06"
RSS_TARGET_MB = 50
TRANSACTION_BYTES = 272  # one Transaction as the writer lays it out, give or take the digits

# The schedule's mix: (fuel, category) pairs a fuel tax remitter reports in a month.
MIX = [
    ("clear_gasoline", "taxable"),
    ("clear_diesel", "taxable"),
    ("marked_diesel", "taxable"),
    ("propane", "taxable"),
    ("clear_gasoline", "fdr_to_fdr"),
    ("clear_diesel", "export_bulk"),
    ("clear_diesel", "exempt_consumer"),
    ("marked_gasoline", "on_reserve"),
]


def _transactions(count: int) -> Iterator:
    from filings.xml.writer import XmlTransaction

    for i in range(count):
        fuel, category = MIX[i % len(MIX)]
        counterparty = f"BIN {200000000 + i % 5000:09d}" if i % 3 else f"Licence FT-{i % 900:04d}"
        litres = f"{1000 + (i * 37) % 40000}.{i % 1000:03d}"
        yield XmlTransaction(
            f"{PERIOD}-{i % 30 + 1:02d}", f"INV-{i:09d}", counterparty, fuel, category, litres
        )


def generate(path: Path, size: int) -> int:
    """A valid return of about `size` bytes: its lines are the totals of its schedule. Returns the count."""
    from filings.xml.writer import XmlLine, write_return_xml

    count = size // TRANSACTION_BYTES
    totals: dict[tuple[str, str], Decimal] = {}
    for transaction in _transactions(count):
        key = (transaction.fuel, transaction.category)
        totals[key] = totals.get(key, Decimal(0)) + Decimal(transaction.litres)
    lines = [XmlLine(fuel, category, f"{litres:f}") for (fuel, category), litres in totals.items()]
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as out:
        write_return_xml(
            out,
            account_number=ACCOUNT_NUMBER,
            period=PERIOD,
            lines=lines,
            transactions=_transactions(count),
            software="bench_xml",
        )
    return count


def upload_path(path: Path) -> float:
    """The whole upload path once, in a transaction rolled back; returns the seconds it took (setup excluded)."""
    from django.db import transaction

    from accounts.actors import Actor, Door
    from accounts.models import User
    from filings import services
    from filings.periods import Period
    from filings.xml.validator import xml_return_check
    from programs.models import Program
    from programs.services.accounts import account_open, taxpayer_create

    with transaction.atomic():
        bench = Actor.job("bench_xml")
        taxpayer = taxpayer_create(legal_name="Bench XML Fuels Ltd.", bin=BIN, actor=bench)
        account = account_open(
            taxpayer=taxpayer,
            program=Program.objects.get(code="fuel_tax"),
            effective_date=date(2024, 1, 1),
            actor=bench,
        )
        assert account.number == ACCOUNT_NUMBER, account.number
        filer = User.objects.create_user(email="bench-xml@bench.tracs.invalid", full_name="Bench Filer")
        start = time.perf_counter()
        check = xml_return_check(account=account, source=path)  # the upload page
        if not check.ok:
            raise RuntimeError(f"the bench file has errors: {check.error_list[:3]}")
        services.return_submit(  # the review page, once certified
            account=account,
            period_end=Period.from_key(PERIOD).end,
            lines=check.lines,
            certified_name="Bench Filer",
            certified_capacity="Controller",
            actor=Actor(user=filer, door=Door.WEB, capacity="owner"),
        )
        seconds = time.perf_counter() - start
        transaction.set_rollback(True)
    return seconds


def bare_validation(path: Path) -> float:
    from lxml import etree

    from filings.xml.schema import xml_schema

    schema = xml_schema()
    start = time.perf_counter()
    for _event, _element in etree.iterparse(str(path), schema=schema):
        pass
    return time.perf_counter() - start


def _timings(function, path: Path, runs: int) -> Timings:
    function(path)  # warm-up: caches, the schema, the rates, the database connection
    return Timings(tuple(function(path) for _ in range(runs)))


def peak_rss_mb(path: Path, what: str) -> float:
    """Peak RSS of a fresh process that runs `what` ("upload" or "bare") on `path` once.

    Linux hands a child the parent's peak RSS at fork time as the start of its own `ru_maxrss` (kept across
    exec), so these processes are started before this one has read any big file (run() measures first), and
    the child also reports VmHWM (the peak of its own address space only); the larger of the two is used."""
    result = run_child("bench.bench_xml", what, str(path))
    return max(result["peak_rss_kb"], result["vm_hwm_kb"]) / 1024


def run(bench: Bench) -> list[Row]:
    files = {}
    for label, size, _runs in SIZES:
        path = LOG_DIR / f"xml-return-{label.replace(' ', '').lower()}.xml"
        count = generate(path, size)
        files[label] = (path, f"{path.stat().st_size / 1024 / 1024:.1f} MB, {count:,} transactions")
    # Memory first, while this process is still small (see peak_rss_mb).
    small, large = (peak_rss_mb(files[label][0], "upload") for label in ("5 MB", "50 MB"))
    bare_rss = peak_rss_mb(files["50 MB"][0], "bare")
    rows = []
    for label, _size, runs in SIZES:
        path, actual = files[label]
        whole = _timings(upload_path, path, runs)
        bare = _timings(bare_validation, path, runs)
        rows.append(
            Row.from_timings(
                f"XML return {label} ({actual}): validate, compute, store",
                whole,
                "bare lxml iterparse(schema=) of the same file",
                bare,
            )
        )
    growth = large - small
    rows.append(
        Row(
            "peak RSS, whole upload path, 50 MB file (fresh process)",
            f"{large:.0f} MB",
            "same, 5 MB file",
            f"{small:.0f} MB",
            large / small,
            f"peak RSS; grows {growth:+.0f} MB (target < {RSS_TARGET_MB} MB): {'met' if growth < RSS_TARGET_MB else 'MISSED'}",
        )
    )
    rows.append(
        Row(
            "peak RSS, bare iterparse(schema=), 50 MB file",
            f"{bare_rss:.0f} MB",
            "whole upload path, 50 MB file",
            f"{large:.0f} MB",
            bare_rss / large,
            "peak RSS (for contrast: lxml keeps the whole tree)",
        )
    )
    return rows


def _vm_hwm_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0  # pragma: no cover - not Linux


def _child(what: str, path: str) -> None:
    """`python -m bench.bench_xml upload|bare PATH`: one run in this fresh process, then its peak RSS."""
    from bench import harness

    harness.django_setup()
    if what == "upload":
        upload_path(Path(path))
    else:
        bare_validation(Path(path))
    print(
        json.dumps(
            {"peak_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "vm_hwm_kb": _vm_hwm_kb()}
        )
    )


if __name__ == "__main__":
    _child(sys.argv[1], sys.argv[2])
