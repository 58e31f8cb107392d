"""One transaction as the unit of a batch job's step (the refund cycle's: one seller), and the checks a service
may leave to the database.

A service runs in one transaction (`@transaction.atomic`); called by another service it runs in a savepoint, so
its caller may catch its refusal and go on. Inside a `unit()` nothing is caught and carried on: an error in any
service ends the whole unit, rolled back, and the job takes it up again from the start of the unit (the cycle's
rerun settles each seller left). There the services that say so (`service_transaction`,
`savepoint_needed`) write no savepoint of their own, and the access-log rows of the unit go to the database in
one statement when it ends (accounts.services.access_log_batched): the same rows, in the same transaction as
what they record. Each savepoint was two round trips to the database and each row one; a seller of the cycle
wrote 12 savepoints and 8 rows (docs/adr/0022).

A service that refuses and whose caller carries on (refund_prepare: no credit left, the cycle keeps the credit
on the account) keeps plain `@transaction.atomic`, so its savepoint undoes it alone, in a unit too.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import ParamSpec, TypeVar

from django.db import connection, transaction
from django.db.models import ForeignKey, Model

from accounts.services import access_log_batched

P = ParamSpec("P")
T = TypeVar("T")

# The unit the current code runs in: the depth of the connection's savepoints when it began, and the ledger's
# advisory locks taken in it (accounts the unit holds until it ends); None: not in a unit.
_unit: ContextVar[_Unit | None] = ContextVar("unit", default=None)


class _Unit:
    def __init__(self, depth: int) -> None:
        self.depth = depth
        self.locks: set[tuple[int, int]] = set()


@contextmanager
def unit() -> Iterator[None]:
    """One transaction (a savepoint, inside a caller's) whose every error rolls it back whole (the module
    docstring); the access-log rows written in it are inserted together as it ends."""
    with transaction.atomic():
        token = _unit.set(_Unit(depth=len(connection.savepoint_ids)))
        try:
            with access_log_batched():
                yield
        finally:
            _unit.reset(token)


def savepoint_needed() -> bool:
    """False inside a unit (an error there ends the whole unit, so no savepoint has anything to undo alone)."""
    return _unit.get() is None


def service_transaction(func: Callable[P, T]) -> Callable[P, T]:
    """`@transaction.atomic` for a service whose callers never carry on after its error inside a unit: its own
    savepoint is left out there (savepoint_needed)."""

    @functools.wraps(func)
    def inner(*args: P.args, **kwargs: P.kwargs) -> T:
        with transaction.atomic(savepoint=savepoint_needed()):
            return func(*args, **kwargs)

    return inner


def lock_held(key: tuple[int, int]) -> bool:
    """Whether the current unit already holds the transaction-scoped advisory lock `key` (then taking it again
    would be a round trip for nothing)."""
    current = _unit.get()
    return current is not None and key in current.locks


def lock_taken(key: tuple[int, int]) -> None:
    """Record that the advisory lock `key` was just taken. Kept only when no savepoint was opened since the unit
    began (a lock taken in a savepoint ends if the savepoint is rolled back; one taken outside lasts until the
    unit's transaction ends)."""
    current = _unit.get()
    if current is not None and all(sid is None for sid in connection.savepoint_ids[current.depth :]):
        current.locks.add(key)


def held_relations(instance: Model, *, also: Iterable[str] = ()) -> list[str]:
    """The foreign keys of `instance` set from a saved instance in hand, with `also`: what full_clean may exclude,
    since the database's foreign key constraint checks each again, race-free, and full_clean's own check of each
    is a query (a key set by its id alone is still checked)."""
    held = [
        field.name
        for field in instance._meta.concrete_fields
        if isinstance(field, ForeignKey)
        and field.is_cached(instance)
        and getattr(instance, field.name) is not None
        and getattr(instance, field.name).pk is not None
    ]
    return [*held, *also]
