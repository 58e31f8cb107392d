"""Queries the busiest pages run on every request, compiled to SQL once per process: home's page of accounts and
its program filter (consent.selectors) and the header's unread count (consent.context_processors), so the layer
lives beside its users, in consent (ADR 0018, with the measurement that keeps it).

Building a queryset's SQL costs Django more than PostgreSQL takes to run it on the home page (a few
milliseconds a page for a handful of queries: Q objects, joins, expressions resolved anew every time). A
`CompiledQuery` keeps the ORM as the one description of the query: it builds the queryset once per key
(e.g. per day, for the in-force grants of consent.access.in_force_grants), with a sentinel value for each
per-request argument (e.g. the person's id), takes its SQL and parameters, and from then on only swaps the
arguments into their positions. So the query is still written once, in the ORM, and tested as such.

The queryset's shape must not depend on the sentinel arguments' values (a value that turns `=` into
`IS NULL`, or a list whose length changes the SQL): use them for ids that are never None.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, cast

import psycopg
from django.db import DEFAULT_DB_ALIAS, connection
from django.db.models import Model, QuerySet

# Values no real argument takes: each marks where its argument goes in the compiled parameters.
SENTINEL_INT = -7_346_291_083
SENTINEL_INT_2 = (
    -7_346_291_084
)  # a second int argument's: each argument's positions are found by its own value
SENTINEL_STR = "\x1ftracs-compiled-argument\x1f"


class CompiledQuery:
    """`query = CompiledQuery(build, user_id=SENTINEL_INT)`, then `query.rows(key, user_id=7)`.

    `build(key, **arguments)` returns the queryset (usually `.values_list(...)` of the columns wanted, in
    order). `key` is what the SQL's shape or its constants depend on (e.g. today's date, for the in-force
    grants): compiled once per key, and only the arguments named as sentinels are swapped in per call. `wrap`
    turns the queryset's SQL into the SQL run (e.g. a COUNT around it, or a LIMIT/OFFSET whose values come
    as `tail` parameters)."""

    KEYS_KEPT = 16  # a key is usually a day: yesterday's compilations are dropped soon enough

    def __init__(
        self,
        build: Callable[..., QuerySet],
        *,
        wrap: Callable[[str], str] | None = None,
        **sentinels: Any,
    ) -> None:
        if len(set(sentinels.values())) != len(sentinels):
            # Each argument's positions are found by its sentinel's value: two alike would take each other's.
            raise ValueError(f"each argument needs its own sentinel: {sentinels}")
        self._build = build
        self._wrap = wrap
        self._sentinels = sentinels
        self._compiled: dict[Hashable, tuple[str, list[Any], dict[str, list[int]]]] = {}
        self._lock = threading.Lock()

    def _compile(self, key: Hashable) -> tuple[str, list[Any], dict[str, list[int]]]:
        compiled = self._compiled.get(key)
        if compiled is not None:
            return compiled
        with self._lock:
            sql, params = self._build(key, **self._sentinels).query.sql_with_params()
            params = list(params)
            positions = {
                name: [index for index, param in enumerate(params) if param == sentinel]
                for name, sentinel in self._sentinels.items()
            }
            missing = [name for name, found in positions.items() if not found]
            if missing:
                raise ValueError(f"the compiled query does not use {missing}")
            if len(self._compiled) >= self.KEYS_KEPT:
                self._compiled.clear()
            compiled = self._compiled[key] = (self._wrap(sql) if self._wrap else sql, params, positions)
        return compiled

    def bound(self, key: Hashable, *, tail: Sequence[Any] = (), **arguments: Any) -> tuple[str, list[Any]]:
        """The SQL and its parameters with `arguments` in their places."""
        sql, params, positions = self._compile(key)
        bound = list(params)
        for name, value in arguments.items():
            for index in positions[name]:
                bound[index] = value
        bound.extend(tail)
        return sql, bound

    def rows(self, key: Hashable, *, tail: Sequence[Any] = (), **arguments: Any) -> list[tuple]:
        store = _PREFETCHED.get()
        if store is not None:
            found = store.pop(self.pending(key, tail=tail, **arguments), None)
            if found is not None:
                return found
        sql, bound = self.bound(key, tail=tail, **arguments)
        with connection.cursor() as cursor:
            cursor.execute(sql, bound)
            return cursor.fetchall()

    def pending(self, key: Hashable, *, tail: Sequence[Any] = (), **arguments: Any) -> Pending:
        """This query with these arguments, named before it is asked, for `prefetched` to send with others."""
        return Pending(self, key, tuple(sorted(arguments.items())), tuple(tail))


# --- Several compiled queries in one round trip -------------------------------------------------------------


@dataclass(frozen=True)
class Pending:
    """A compiled query and the arguments it will be asked with (CompiledQuery.pending)."""

    query: CompiledQuery
    key: Hashable
    arguments: tuple[tuple[str, Any], ...]
    tail: tuple[Any, ...]

    def bound(self) -> tuple[str, list[Any]]:
        return self.query.bound(self.key, tail=self.tail, **dict(self.arguments))


# The rows `prefetched` fetched and nobody has asked for yet, by query and arguments; None outside its block.
_PREFETCHED: ContextVar[dict[Pending, list[tuple]] | None] = ContextVar("prefetched", default=None)


@contextmanager
def prefetched(pending: Sequence[Pending]) -> Iterator[None]:
    """Send every query of `pending` to PostgreSQL at once and wait once (psycopg's pipeline mode: one round trip,
    not one each), then, inside the block, answer `CompiledQuery.rows` for each of them with its rows (once: a second
    call asks the database again). A query asked that was not declared, or with other arguments, is simply run then;
    rows declared and never asked are dropped with the block. ADR 0027: on this shared machine each round trip
    waits for PostgreSQL's process to be scheduled, so Account Information's eight read one after the other cost
    several times one batch.

    The queries go through Django's cursors (so the query log, CaptureQueriesContext and execute wrappers see each
    one), each with a cursor of its own, in whatever transaction is open; their wait is at the end of the pipeline,
    not in any one execute."""
    token = _PREFETCHED.set(_rows_together(pending))
    try:
        yield
    finally:
        _PREFETCHED.reset(token)


def _rows_together(pending: Sequence[Pending]) -> dict[Pending, list[tuple]]:
    if not pending:
        return {}
    connection.ensure_connection()
    raw = connection.connection
    if not isinstance(raw, psycopg.Connection) or not psycopg.Pipeline.is_supported():
        return {}  # each query is then run when asked, as without the block
    cursors = []
    with raw.pipeline():
        for item in pending:
            cursor = connection.cursor()
            cursor.execute(*item.bound())
            cursors.append(cursor)
    rows = {}
    for item, cursor in zip(pending, cursors, strict=True):
        with cursor:
            rows[item] = cursor.fetchall()
    return rows


def count_of(sql: str) -> str:
    """`wrap` for a count of the rows a query returns."""
    return f"SELECT COUNT(*) FROM ({sql}) AS counted"  # noqa: S608 (Django-compiled SQL, values bound apart)


def page_of(sql: str) -> str:
    """`wrap` for one page of an ordered query: `tail=(limit, offset)`."""
    return f"{sql} LIMIT %s OFFSET %s"


# --- Model instances from one joined row -----------------------------------------------------------------

Path = tuple[str, type[Model]]  # ("account__", ProgramAccount): the lookup prefix of a related model, and it


def columns_of(paths: Sequence[Path]) -> list[str]:
    """`values_list` names of every concrete column of each model along `paths` (the first prefix is "")."""
    return [prefix + field.attname for prefix, model in paths for field in model._meta.concrete_fields]


def instances_of(row: Sequence[Any], paths: Sequence[Path]) -> list[Model | None]:
    """One instance per model of `paths` from a row of `columns_of(paths)`, as Django would load them (the
    fields' own converters applied, e.g. a JSON or encrypted column), None for a model whose primary key is
    NULL (an outer join that found nothing). The caller links them (`grant.account = account`)."""
    instances: list[Model | None] = []
    position = 0
    for _prefix, model in paths:
        fields = model._meta.concrete_fields
        values = list(row[position : position + len(fields)])
        position += len(fields)
        if values[[field.primary_key for field in fields].index(True)] is None:
            instances.append(None)
            continue
        for index, field in enumerate(fields):
            for converter in cast(Any, field).get_db_converters(connection):
                values[index] = converter(values[index], None, connection)
        instances.append(model.from_db(DEFAULT_DB_ALIAS, [field.attname for field in fields], values))
    return instances
