"""The refusals every filed thing shares, so the step machine (filings/views_steps.py) answers them the same way
for every program."""

from __future__ import annotations

from typing import Generic, TypeVar

F = TypeVar("F")


class AlreadyFiled(Exception, Generic[F]):
    """What was sent is already filed (the same form sent twice, an original return for a period that has one,
    a declaration made once); `existing` is it, to show it; `message` says so in the program's words."""

    def __init__(self, existing: F, message: str) -> None:
        self.existing = existing
        self.message = message
        super().__init__(message)
