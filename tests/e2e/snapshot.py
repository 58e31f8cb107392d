"""A module's committed world, built once and put back for each of its browser tests.

A browser test runs on `transactional_db` (the live server reads committed rows only), which empties every table
after the test. A module whose tests all read the same large world (the admin walk: the demo and a row in every
queue) would otherwise build it again for each test. `Snapshot` copies every table of the project's models, as
committed, into a schema of its own once (`take`), and `restore` puts those rows back into the emptied tables in
one transaction, as they were (same ids; the sequences were never reset, so rows a test adds get new ids), with
the tables' own triggers (the ledger's monthly totals, append-only refusals) off while the rows go back in, since
what they maintain is among the rows restored. The schema is the test database's own (each xdist worker has its
own database) and is dropped at the end (`drop`).
"""

from __future__ import annotations

from django.db import connection, transaction

SCHEMA = "e2e_snapshot"


def _tables() -> list[str]:
    return sorted(connection.introspection.django_table_names(only_existing=True, include_views=False))


def _quoted(tables: list[str], schema: str | None = None) -> str:
    prefix = f"{connection.ops.quote_name(schema)}." if schema else ""
    return ", ".join(prefix + connection.ops.quote_name(table) for table in tables)


class Snapshot:
    def __init__(self) -> None:
        self.tables: list[str] = []
        self.triggered: list[
            str
        ] = []  # tables with triggers of their own (not the foreign keys' internal ones)

    def take(self) -> None:
        """Copy every table aside, then empty them (as a test's end does), keeping the sequences where they are."""
        self.tables = _tables()
        quote = connection.ops.quote_name
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"DROP SCHEMA IF EXISTS {quote(SCHEMA)} CASCADE")
            cursor.execute(f"CREATE SCHEMA {quote(SCHEMA)}")
            for table in self.tables:
                cursor.execute(f"CREATE TABLE {quote(SCHEMA)}.{quote(table)} AS TABLE {quote(table)}")
            cursor.execute(
                "SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE NOT t.tgisinternal AND c.relname = ANY(%s) ORDER BY c.relname",
                [self.tables],
            )
            self.triggered = [row[0] for row in cursor.fetchall()]
            cursor.execute(f"TRUNCATE {_quoted(self.tables)}")

    def restore(self) -> None:
        """Empty the tables (post_migrate's content types, permissions and staff groups included) and put the
        snapshot's rows back, in one transaction, every foreign key checked."""
        quote = connection.ops.quote_name
        with transaction.atomic(), connection.cursor() as cursor:
            for table in self.triggered:
                cursor.execute(f"ALTER TABLE {quote(table)} DISABLE TRIGGER USER")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")  # the tables in any order
            for table in self.tables:  # DELETE, not TRUNCATE: a few rows each (tests/conftest.py says why)
                cursor.execute(f"DELETE FROM {quote(table)}")
            for table in self.tables:
                cursor.execute(f"INSERT INTO {quote(table)} SELECT * FROM {quote(SCHEMA)}.{quote(table)}")
            # Every foreign key checked now: a table's triggers cannot be changed while checks are pending.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for table in self.triggered:
                cursor.execute(f"ALTER TABLE {quote(table)} ENABLE TRIGGER USER")

    def drop(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP SCHEMA IF EXISTS {connection.ops.quote_name(SCHEMA)} CASCADE")
