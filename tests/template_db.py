"""One migrated database per test run, copied for each xdist worker.

Each worker used to build its test database by running every migration (about 95 with Django's own: 22 s of CPU
each, most of it Django rendering the models' historical states). The first worker to get here builds
`<test database>_template` by the same route (Django's create_test_db: every migration, then post_migrate's content
types, permissions, staff groups, reference data and scheduled jobs), the others wait for it on a file lock, and
each worker's database is then made by PostgreSQL as a copy of it (`CREATE DATABASE ... TEMPLATE`, Django's own
TEST["TEMPLATE"] setting): tables, rows, sequences, functions and the triggers the migrations create (append-only
tables, the ledger's monthly totals) all come along. Django still runs `migrate` on the copy, which finds nothing to
do and sends post_migrate as before.

Which run built the template is the database's comment (the xdist run id): a new run (no --reuse-db) builds it again
from nothing, so a migration edited in place is never skipped. With --reuse-db the template is kept and brought up
to date by `migrate` once per run, as the workers' own kept databases are.
"""

from __future__ import annotations

import fcntl
import tempfile
from pathlib import Path

from django.db import connections


def use_template(*, run_id: str, keepdb: bool, alias: str = "default") -> None:
    connection = connections[alias]
    test = connection.settings_dict["TEST"]
    worker_name = test["NAME"]  # test_<name>_gw0: pytest-django's xdist suffix is already on
    template = f"{worker_name.rsplit('_', 1)[0]}_template"
    lock = Path(tempfile.gettempdir()) / f"{template}.lock"
    with lock.open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # released when the file closes
        if _built_by(connection, template) != run_id:
            _build(connection, template, keepdb=keepdb)
            assert run_id.isalnum(), run_id  # xdist's uuid4().hex; COMMENT takes no bound parameter
            with connection._nodb_cursor() as cursor:
                cursor.execute(f"COMMENT ON DATABASE {connection.ops.quote_name(template)} IS '{run_id}'")
    test["TEMPLATE"] = template


def _built_by(connection, template: str) -> str | None:
    with connection._nodb_cursor() as cursor:
        cursor.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", [template]
        )
        row = cursor.fetchone()
    return row[0] if row else None


def _build(connection, template: str, *, keepdb: bool) -> None:
    """Django's own test database creation, under the template's name; the settings are put back after."""
    settings_dict = connection.settings_dict  # the same dict as settings.DATABASES[alias]
    test = settings_dict["TEST"]
    name, worker_name = settings_dict["NAME"], test["NAME"]
    test["NAME"] = template
    if not keepdb:
        with connection._nodb_cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {connection.ops.quote_name(template)}")
    try:
        connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False, keepdb=keepdb)
    finally:
        connection.close()  # nobody may be connected to a template while it is copied
        settings_dict["NAME"], test["NAME"] = name, worker_name
