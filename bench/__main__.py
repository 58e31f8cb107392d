"""`make bench`: start the portal under gunicorn once, run every bench/bench_*.py, print one table.

Options through the environment: BENCH_REQUESTS (per figure, default 2000), BENCH_CONCURRENCY (client
threads, default 4), BENCH_WARMUP (default 40), BENCH_WORKERS (gunicorn workers, default 2), BENCH_ONLY
(a comma-separated list of module names, e.g. bench_home).
"""

import importlib
import io
import os
import pkgutil
import sys
import time

from bench import harness


def benchmark_modules():
    only = {name for name in os.environ.get("BENCH_ONLY", "").split(",") if name}
    package = sys.modules["bench"]
    names = [m.name for m in pkgutil.iter_modules(package.__path__) if m.name.startswith("bench_")]
    modules = [importlib.import_module(f"bench.{name}") for name in names if not only or name in only]
    return sorted(modules, key=lambda module: (getattr(module, "ORDER", 100), module.__name__))


def _load(averages: tuple[float, float, float]) -> str:
    return " / ".join(f"{value:.1f}" for value in averages)


def main() -> int:
    started = time.monotonic()
    harness.django_setup()
    from django.core.management import call_command

    from accounts import demo
    from accounts.models import User

    call_command("seed_demo", stdout=io.StringIO())  # idempotent: the same demo data `make run` shows
    users = {person.key: User.objects.get(email=person.email) for person in demo.PEOPLE}
    requests = int(os.environ.get("BENCH_REQUESTS", "2000"))
    concurrency = int(os.environ.get("BENCH_CONCURRENCY", "4"))
    warmup = int(os.environ.get("BENCH_WARMUP", "40"))
    workers = int(os.environ.get("BENCH_WORKERS", "2"))
    rows = []
    load_before = os.getloadavg()
    with harness.gunicorn(workers=workers) as server:
        bench = harness.Bench(
            server=server, users=users, requests=requests, concurrency=concurrency, warmup=warmup
        )
        try:
            for module in benchmark_modules():
                rows.extend(module.run(bench))
        finally:
            bench.close()
    harness.print_table(
        rows,
        title=f"TRACS benchmarks: gunicorn {workers} sync workers on {server.host}; "
        f"{requests} requests per figure over {concurrency} client threads after {warmup} warm-up requests",
        notes=[
            "Ratio: figure / baseline; for load rows, the baseline's requests/s over the figure's "
            "(how many times the baseline's time per request the figure costs).",
            f"Whole run: {time.monotonic() - started:.0f} s on {os.cpu_count()} cores; load average (1, 5, 15 min) "
            f"{_load(load_before)} at the start, {_load(os.getloadavg())} at the end: compare ratios within a run.",
        ],
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
