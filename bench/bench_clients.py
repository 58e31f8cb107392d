"""The multi-client list (issue 3, Build 7): the home page of a representative with 1,000 client accounts,
against the floor (the bare one-query view) under the same gunicorn in the same run.

Target: median server time within 3x that of the bare view. Figures, all under the same gunicorn and taking
turns (so load from anything else on the machine weighs on each alike): the home page of a representative
of 25 accounts (one full page), and of 1,000 accounts: page 1, a search by name, the last page. Each row
names the page's query count (CaptureQueriesContext, in this process): it must not grow with the accounts.
Then page 1, the search and the last page at 1,000 accounts, page 1 at 25 and the bare view, timed in this process
with Django's test client, one request at a time and no HTTP (the server's own time, steadier than load figures on
a busy machine), with where each page's time goes under its row (bench.split) and the signed-in floor's.
Each figure is reported against two floors: the bare view served anonymously (as the issue first measured
it), and the same bare view requested by a signed-in person (same middleware: session, user and two-factor
device read before the view's one query), which is what any signed-in page pays before its own work.

The data is set up with bulk inserts and removed at the end (and before the start, in case an earlier run
was interrupted): 1,000 taxpayers with BINs in a reserved range (800000000-800000999; TRACS allocates new
BINs from 700000001), one fuel tax account each, an active all-accounts consent (AT4931) per taxpayer and
the representative's in-force grant under it. The demo pages never show them: nobody else reaches them.
"""

from __future__ import annotations

import secrets

from bench.harness import Bench, Form, LoadStats, Row, Timings, time_calls

ORDER = 10
ROUNDS = 5
IN_PROCESS_REPEAT = 200

CLIENTS = 1000
BIN_FIRST = 800_000_000
BIN_LAST = BIN_FIRST + CLIENTS - 1
REPRESENTATIVE_EMAIL = "bench-representative@bench.tracs.invalid"
SMALL_REPRESENTATIVE_EMAIL = "bench-representative-small@bench.tracs.invalid"
SMALL_CLIENTS = 25
NAME = "Bench Client {:04d} Ltd."

# (figure, path, text the answer must contain)
PAGES = [
    ("page 1 of 40", "/", NAME.format(0).encode()),
    ("search by name, 100 hits", "/?q=Client+07", NAME.format(700).encode()),
    ("last page (40)", "/?page=40", NAME.format(CLIENTS - 1).encode()),
]


def _bench_bins():
    return [f"{BIN_FIRST + i:09d}" for i in range(CLIENTS)]


def remove() -> None:
    """Delete everything this benchmark created (idempotent). Row by table, without the ORM's cascade: only
    the rows made here go, and a row anyone else made that points at them stops the deletion loudly."""
    from django.db import transaction
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.models import User
    from consent.models import Consent, Grant
    from programs.models import ProgramAccount, Taxpayer

    def raw_delete(queryset) -> None:
        queryset._raw_delete(queryset.db)

    with transaction.atomic():
        taxpayers = Taxpayer.objects.filter(bin__gte=f"{BIN_FIRST:09d}", bin__lte=f"{BIN_LAST:09d}")
        people = User.objects.filter(email__in=[REPRESENTATIVE_EMAIL, SMALL_REPRESENTATIVE_EMAIL])
        raw_delete(Grant.objects.filter(account__taxpayer__in=taxpayers))
        raw_delete(Consent.objects.filter(taxpayer__in=taxpayers))
        raw_delete(ProgramAccount.objects.filter(taxpayer__in=taxpayers))
        raw_delete(taxpayers)
        raw_delete(TOTPDevice.objects.filter(user__in=people))
        raw_delete(people)


def _representative(email: str, name: str):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.models import User

    user = User.objects.create(email=email, full_name=name, is_active=True)
    user.set_unusable_password()
    user.save(update_fields=["password"])
    TOTPDevice.objects.create(user=user, name="Authenticator app", key=secrets.token_hex(20), confirmed=True)
    return user


def client_accounts(clients: list[tuple[str, str]], *, effective_date):
    """A taxpayer (legal name, BIN) and its fuel tax account for each of `clients` (bulk inserts)."""
    from programs.models import Program, ProgramAccount, Taxpayer

    program = Program.objects.get(code="fuel_tax")
    taxpayers = Taxpayer.objects.bulk_create(Taxpayer(legal_name=name, bin=bin_) for name, bin_ in clients)
    return ProgramAccount.objects.bulk_create(
        ProgramAccount(
            taxpayer=taxpayer,
            program=program,
            sequence=1,
            number=ProgramAccount.compose_number(bin=taxpayer.bin, program_number=program.number, sequence=1),
            effective_date=effective_date,
        )
        for taxpayer in taxpayers
    )


def represent(holders: list[tuple]) -> None:
    """For each (representative, account) of `holders`: an active all-accounts consent (AT4931) of the account's
    taxpayer naming the representative, and the representative's in-force grant under it (bulk inserts)."""
    from django.utils import timezone

    from consent.models import Consent, Grant
    from consent.privileges import Privilege

    privileges = [Privilege.VIEW_ACCOUNT, Privilege.VIEW_ASSESSMENTS, Privilege.FILE_RETURNS]
    now = timezone.now()
    consents = Consent.objects.bulk_create(
        Consent(
            taxpayer=account.taxpayer,
            representative_name=user.full_name,
            representative_email=user.email,
            signer_name="Bench Signer",
            signer_capacity=Consent.SignerCapacity.OWNER,
            signed_on=now.date(),
            privileges=privileges,
            all_accounts=True,
            status=Consent.Status.ACTIVE,
            reviewed_at=now,
            representative=user,
            activated_at=now,
        )
        for user, account in holders
    )
    Grant.objects.bulk_create(
        Grant(
            account=account,
            user=user,
            role=Grant.Role.REPRESENTATIVE,
            privileges=privileges,
            status=Grant.Status.ACTIVE,
            name=user.full_name,
            email=user.email,
            consent=consent,
            activated_at=now,
        )
        for (user, account), consent in zip(holders, consents, strict=True)
    )


def create() -> tuple:
    """1,000 clients for one representative, 25 of them for another (bulk inserts, one transaction)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from consent.models import Consent, Grant
    from programs.models import ProgramAccount, Taxpayer

    with transaction.atomic():
        big = _representative(REPRESENTATIVE_EMAIL, "Bench Representative")
        small = _representative(SMALL_REPRESENTATIVE_EMAIL, "Bench Representative Small")
        accounts = client_accounts(
            [(NAME.format(i), bin_) for i, bin_ in enumerate(_bench_bins())],
            effective_date=timezone.now().date().replace(month=1, day=1),
        )
        represent(
            [(big, account) for account in accounts]
            + [(small, account) for account in accounts[:SMALL_CLIENTS]]
        )
    # Planner statistics, as autovacuum would gather them on a live database after such an insert (without
    # them PostgreSQL plans for 3 rows, not 1,000).
    with connection.cursor() as cursor:
        tables = [Grant, Consent, ProgramAccount, Taxpayer]
        cursor.execute("ANALYZE " + ", ".join(connection.ops.quote_name(m._meta.db_table) for m in tables))
    return big, small


def in_process_client(session_key: str | None = None):
    """Django's test client in this process (same settings and database as gunicorn), no HTTP: what the
    server itself spends on a request, one at a time."""
    from django.conf import settings
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    if session_key:
        client.cookies[settings.SESSION_COOKIE_NAME] = session_key
    return client


def in_process_get(client, path: str, text: bytes | None = None, form: Form | None = None) -> None:
    """GET `path` (or POST `form`'s fields to it: the test client skips the CSRF check) and check the answer."""
    response = client.get(path) if form is None else client.post(path, form.fields)
    if response.status_code != 200 or (text is not None and text not in response.content):
        raise RuntimeError(
            f"{response.request['REQUEST_METHOD']} {path} in process: status {response.status_code}"
        )


def query_count(session_key: str, path: str, form: Form | None = None) -> int:
    """Queries of one request of `path`, counted in this process."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = in_process_client(session_key)
    in_process_get(client, path, form=form)  # warm up: the first request of a process fills caches
    with CaptureQueriesContext(connection) as queries:
        in_process_get(client, path, form=form)
    return len(queries)


def in_process_timings(
    session_key: str | None, path: str, text: bytes | None = None, form: Form | None = None
) -> Timings:
    client = in_process_client(session_key)
    return time_calls(lambda: in_process_get(client, path, text, form), repeat=IN_PROCESS_REPEAT, warmup=10)


def in_process_split(session_key: str | None, path: str, form: Form | None = None):
    """Where the time of one request of `path` goes, in this process (bench.split)."""
    from bench import split

    return split.measure(in_process_client(session_key), path, repeat=IN_PROCESS_REPEAT // 2, form=form)


def _median_row(figure: str, stats: LoadStats, baseline: str, base: LoadStats) -> Row:
    return Row(figure, stats.describe(), baseline, base.describe(), stats.p50 / base.p50, "median time")


def _merged(parts: list[LoadStats]) -> LoadStats:
    latencies = sorted(latency for part in parts for latency in part.latencies_ms)
    return LoadStats(
        len(latencies), parts[0].concurrency, sum(part.seconds for part in parts), tuple(latencies)
    )


def _interleaved(bench: Bench, figures: dict[str, tuple[str, dict]]) -> dict[str, LoadStats]:
    """Each figure's requests in ROUNDS slices, taking turns: whatever else the machine does during the run
    weighs on every figure alike, so the ratios hold even where the absolute times drift."""
    per_round = max(1, bench.requests // ROUNDS)
    parts: dict[str, list[LoadStats]] = {name: [] for name in figures}
    for round_ in range(ROUNDS):
        for name, (path, options) in figures.items():
            warmup = bench.warmup if round_ == 0 else 0
            parts[name].append(bench.load(path, requests=per_round, warmup=warmup, **options))
    return {name: _merged(loads) for name, loads in parts.items()}


def run(bench: Bench) -> list[Row]:
    from bench.harness import signed_in_session

    remove()
    big, small = create()
    try:
        big_session = signed_in_session(big)
        small_session = signed_in_session(small)
        bench.session_keys.extend([big_session, small_session])
        big_cookies = bench.cookies_for(big)
        small_cookies = bench.cookies_for(small)
        queries = {path: query_count(big_session, path) for _, path, _ in PAGES}
        small_queries = query_count(small_session, "/")
        figures = {
            "bare": ("/bench/bare/", {}),
            "bare_signed_in": ("/bench/bare/", {"cookies": big_cookies}),
            "small": ("/", {"cookies": small_cookies, "expect_text": NAME.format(1).encode()}),
        }
        for _, path, text in PAGES:
            figures[path] = (path, {"cookies": big_cookies, "expect_text": text})
        stats = _interleaved(bench, figures)
        # Fresh sessions for the in-process part: on a loaded machine the load above outlasts the 15 minutes a
        # session may sit idle (tracs.settings), and the first ones would now be sent to the sign-in page.
        big_session, small_session = signed_in_session(big), signed_in_session(small)
        bench.session_keys.extend([big_session, small_session])
        timings = {
            "bare": in_process_timings(None, "/bench/bare/"),
            "bare_signed_in": in_process_timings(big_session, "/bench/bare/"),
            "small": in_process_timings(small_session, "/", NAME.format(1).encode()),
            "big": in_process_timings(big_session, "/", PAGES[0][2]),
        }
        for _, path, text in PAGES[1:]:
            timings[path] = in_process_timings(big_session, path, text)
        splits = {path: in_process_split(big_session, path) for _, path, _ in PAGES}
        splits["bare_signed_in"] = in_process_split(big_session, "/bench/bare/")
    finally:
        remove()
    # Two floors: the bare view served anonymously, and the same view for a signed-in person (the same
    # middleware reads the session, the user and the two-factor device: three queries before the view's one).
    bare = "bare view, one query"
    bare_signed_in = "bare view, signed in (same middleware, one query)"
    floors = [(bare, "bare"), (bare_signed_in, "bare_signed_in")]
    small_figure = f"home, representative of {SMALL_CLIENTS} accounts ({small_queries} queries)"
    rows = []
    for floor, key in floors:
        rows.append(_median_row(small_figure, stats["small"], floor, stats[key]))
        for figure, path, _ in PAGES:
            rows.append(
                _median_row(
                    f"home, representative of {CLIENTS:,} accounts: {figure} ({queries[path]} queries)",
                    stats[path],
                    floor,
                    stats[key],
                )
            )
    rows.append(
        _median_row(
            f"home, representative of {CLIENTS:,} accounts: page 1",
            stats["/"],
            f"same page, {SMALL_CLIENTS} accounts",
            stats["small"],
        )
    )
    big_figure = f"in process, no HTTP: home, representative of {CLIENTS:,} accounts, page 1"
    rows.append(Row.from_timings(big_figure, timings["big"], f"in process: {bare}", timings["bare"]))
    floor_split = f"floor: {splits['bare_signed_in'].describe()}"
    for figure, path, _ in PAGES:
        rows.append(
            Row.from_timings(
                f"in process, no HTTP: home, representative of {CLIENTS:,} accounts: {figure}",
                timings["big"] if path == "/" else timings[path],
                f"in process: {bare_signed_in}",
                timings["bare_signed_in"],
            ).with_details(f"split: {splits[path].describe()}", floor_split)
        )
    rows.append(
        Row.from_timings(
            big_figure, timings["big"], f"in process: same page, {SMALL_CLIENTS} accounts", timings["small"]
        )
    )
    return rows
