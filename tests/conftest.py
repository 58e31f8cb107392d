import asyncio

import pytest
from django.test import override_settings
from django_otp import DEVICE_ID_SESSION_KEY

from tests.accounts.factories import UserFactory


def pytest_configure(config):
    from tracs.celery import app

    # Jobs run inline in tests unless a test starts a real worker (tests/test_celery_worker.py).
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    _empty_tables_by_delete()


def _empty_tables_by_delete():
    """The end of a test on `transactional_db` (every browser journey) empties every table with PostgreSQL's
    TRUNCATE, which makes each of the ~80 tables and their indexes new files: about a second a test on this
    machine, for tables holding a few rows. DELETE empties them in a few hundredths of a second, in one
    transaction, to the same end: no rows, the sequences where they were (Django's test flush does not reset
    them either), then post_migrate puts back the content types, permissions and staff groups as before. The
    tables' own triggers (the ledger's monthly totals, the append-only refusals) are off while the rows go, as
    TRUNCATE skips them too; foreign keys (all deferrable) are checked before the transaction ends. A flush that
    resets sequences or cascades (`manage.py flush`, available_apps) still truncates."""
    from django.db.backends.postgresql.operations import DatabaseOperations

    truncate = DatabaseOperations.sql_flush

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        if reset_sequences or allow_cascade or not tables:
            return truncate(self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
        with self.connection.cursor() as cursor:
            cursor.execute(
                "SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE NOT t.tgisinternal AND c.relname = ANY(%s) ORDER BY 1",
                [list(tables)],
            )
            triggered = [self.quote_name(row[0]) for row in cursor.fetchall()]
        return [
            *[f"ALTER TABLE {table} DISABLE TRIGGER USER;" for table in triggered],
            "SET CONSTRAINTS ALL DEFERRED;",
            *[f"DELETE FROM {self.quote_name(table)};" for table in tables],
            "SET CONSTRAINTS ALL IMMEDIATE;",  # a table's triggers cannot change while checks are pending
            *[f"ALTER TABLE {table} ENABLE TRIGGER USER;" for table in triggered],
        ]

    DatabaseOperations.sql_flush = sql_flush


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, request, django_db_blocker):
    """Under xdist, the workers' test databases are copies of one built once per run (tests/template_db.py):
    every migration runs once, not once per worker.

    Every session of the tests' own commits without waiting for PostgreSQL to flush the WAL to disk
    (`synchronous_commit=off`): a commit is still atomic and seen at once by every other session, only a crash of
    the database server could lose the last few, which a test database can afford. Each commit waited 7-10 ms for
    the flush here (0.6 ms without), and the tests on `transactional_db` commit at every service (one of the
    demo's money-story tests ends about 1,600 transactions). Children a test starts read DATABASE_URL and keep
    the server's setting."""
    from django.db import connections

    settings_dict = connections["default"].settings_dict  # the same dict as settings.DATABASES["default"]
    settings_dict.setdefault("OPTIONS", {})["options"] = "-c synchronous_commit=off"
    connections["default"].close()
    workerinput = getattr(request.config, "workerinput", None)
    if workerinput is None or request.config.getvalue("nomigrations"):
        return
    from tests.template_db import use_template

    keepdb = request.config.getvalue("reuse_db") and not request.config.getvalue("create_db")
    with django_db_blocker.unblock():
        use_template(run_id=workerinput["testrunuid"], keepdb=keepdb)


DATABASE_FIXTURES = {"db", "transactional_db", "django_db_reset_sequences", "django_db_serialized_rollback"}


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """After every test that used the database: every notice it issued prints the account balance the ledger holds
    as of the notice's date and time (issue 10 item 9), and every stored ledger month agrees with the ledger (issue
    13; also after a history written out of order on purpose). Run after the test body, inside its database, so a
    test that wrote a history out of order fails on the notice it left, wherever that came from (a service, the
    demo, a factory). Two queries when the test issued no notice of an assessment."""
    result = yield
    if item.get_closest_marker("django_db") is not None or DATABASE_FIXTURES & set(item.fixturenames):
        if item.get_closest_marker("ledger_out_of_order") is None:
            _notices_agree_with_the_ledger()
        _ledger_months_agree_with_the_ledger()
    return result


def _ledger_months_agree_with_the_ledger():
    """Every stored ledger month holds its transactions' sum and count (ADR 0017), after whatever the test posted,
    by whichever path (assessments, payments, refunds, interest, penalties, waivers, reversals, claims, refund
    cycles, a factory, a bulk insert): the month-end balances Account Information draws are the ledger's. One
    query."""
    from django.db import connection

    from assessments.services.ledger import ledger_months_disagreeing

    if connection.needs_rollback:
        return
    disagreeing = ledger_months_disagreeing()
    assert not disagreeing, f"ledger months that are not their transactions' sum and count: {disagreeing}"


def _notices_agree_with_the_ledger():
    from django.db import connection

    from assessments.models import Notice
    from assessments.notices import notices_disagreeing_with_the_ledger

    if connection.needs_rollback:  # the test broke its own transaction on purpose: nothing more can be read
        return
    issued = Notice.objects.filter(assessment__isnull=False).order_by("id")
    disagreeing = notices_disagreeing_with_the_ledger(notices=issued)
    assert not disagreeing, f"notices whose account balance is not the ledger's on their date: {disagreeing}"


@pytest.fixture(scope="session", autouse=True)
def _placeholder_pdfs_outside_tests():
    """The placeholder and the cheap password hasher also for what runs before a test's own fixtures: a module's
    world (the authorization matrices) is built in the first test's setup, before _test_settings, and would
    render its notices for real and hash each person's password with PBKDF2 (a million rounds, about 0.2 s of
    CPU each: the staff matrix's world makes 19 people)."""
    with override_settings(
        TRACS_RENDER_PDFS=False, PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]
    ):
        yield


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path, request):
    # PDFs are a tiny placeholder unless the test looks at one (@pytest.mark.pdf; docs/testing.md, issue 11 item 10).
    settings.TRACS_RENDER_PDFS = request.node.get_closest_marker("pdf") is not None
    settings.STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.TRACS_SFTP_ROOT = str(
        tmp_path / "sftp"
    )  # the SFTP door's folders (and the demo's key pair beside them)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


@pytest.fixture(autouse=True)
def _outside_playwrights_event_loop(request):
    """Playwright's sync API keeps an event loop marked running in the thread of the xdist worker that ran a
    browser test, for the rest of that worker's session. A later test there that calls an async view through
    the test client (the health checks) would then be refused by asgiref ("You cannot use AsyncToSync in the
    same thread as an async event loop"), depending only on which worker it landed on. Outside the browser
    tests no loop is running in this thread, as in production."""
    loop = asyncio.events._get_running_loop()
    if loop is None or request.node.get_closest_marker("e2e") is not None:
        yield
        return
    asyncio.events._set_running_loop(None)
    try:
        yield
    finally:
        asyncio.events._set_running_loop(loop)


@pytest.fixture
def user(db):
    return UserFactory()


def sign_in(client, user):
    """Sign in as `user` with the two-factor step done, as after a real TOTP verification."""
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = user.totpdevice_set.get(confirmed=True).persistent_id
    session.save()
    return client


@pytest.fixture
def signed_in(client, user):
    return sign_in(client, user)


@pytest.fixture(scope="module")
def real_clamd(tmp_path_factory):
    """A real clamd with the EICAR test signature on a free loopback port, one per module that asks
    (tests/programs/clamd_server.py; it starts in a few hundredths of a second)."""
    from tests.programs.clamd_server import RealClamd

    server = RealClamd(tmp_path_factory.mktemp("clamd"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def sftp_server(tmp_path_factory):
    """TRACS's SFTP server on a free loopback port (tests/sftp_server.py), one per test session, started by the first
    test that asks."""
    from tests.sftp_server import running_sftp

    with running_sftp(tmp_path_factory.mktemp("sftp-host") / "ssh_host_ed25519_key") as running:
        yield running


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory):
    """The tests' own OpenID Connect provider (tests/oidc_provider/), a separate process on a free loopback port:
    started once per test session by the first test that asks, stopped at the end."""
    from tests.oidc_provider.fixture import running_provider

    with running_provider(tmp_path_factory.mktemp("oidc_provider")) as provider:
        yield provider


@pytest.fixture
def oidc_portal(settings, oidc_provider):
    """The portal set up to sign in through the test provider, as OIDC_* would set it up (tracs/settings.py), with
    the provider's origin allowed as a form target (the sign-in and sign-out forms redirect there)."""
    openid_connect = settings.SOCIALACCOUNT_PROVIDERS["openid_connect"]
    settings.SOCIALACCOUNT_PROVIDERS = {
        **settings.SOCIALACCOUNT_PROVIDERS,
        "openid_connect": {**openid_connect, "APPS": [oidc_provider.app_settings()]},
    }
    policy = settings.CONTENT_SECURITY_POLICY
    directives = {
        **policy["DIRECTIVES"],
        "form-action": [*policy["DIRECTIVES"]["form-action"], oidc_provider.origin],
    }
    settings.CONTENT_SECURITY_POLICY = {**policy, "DIRECTIVES": directives}
    return oidc_provider
