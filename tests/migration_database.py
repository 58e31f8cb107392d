"""A database of a migration test's own: the migration tests migrate an empty database from nothing to just
before the migrations they test, instead of going back over them from the test database (at the latest
migration), which would first undo every later migration and do them again, a cost that grew with each
migration landed (docs/testing.md "Cost")."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.state import StateApps


@contextmanager
def own_database(suffix: str) -> Iterator[None]:
    """The default connection on a new, empty database (the test database's name + `_suffix`, one per test
    file, so that two xdist workers' tests of different files do not meet) for the length of the block, dropped
    after; the test database is untouched (the migrations' own queries, as the content types' move, go through
    the default connection, so it is that connection that moves)."""
    settings_dict = connection.settings_dict
    name = settings_dict["NAME"]
    own = connection.ops.quote_name(f"{name}_{suffix}")
    with connection._nodb_cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {own}")
        cursor.execute(f"CREATE DATABASE {own}")
    connection.close()
    settings_dict["NAME"] = f"{name}_{suffix}"
    try:
        yield
    finally:
        connection.close()
        settings_dict["NAME"] = name
        ContentType.objects.clear_cache()
        with connection._nodb_cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {own}")


def migrate(targets: list[tuple[str, str]]) -> StateApps:
    """Migrate the default connection's database to `targets`; the models as they are there (rendered afresh from
    the graph: the state the executor returns has re-rendered some models while migrating, so that a relation's
    model and the model got from it for the same name need not be the same class)."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps
