"""The refusals every filed thing shares, so the step machine (filings/views_steps.py) answers them the same way
for every program."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from django.core.exceptions import ValidationError

F = TypeVar("F")


class AlreadyFiled(Exception, Generic[F]):
    """What was sent is already filed (the same form sent twice, an original return for a period that has one,
    a declaration made once); `existing` is it, to show it; `message` says so in the program's words."""

    def __init__(self, existing: F, message: str) -> None:
        self.existing = existing
        self.message = message
        super().__init__(message)


def period_already_filed(existing: Any, template: Any) -> str:
    """`template` (the program's words, with %(period)s and %(confirmation)s) of the return already filed."""
    return str(template % {"period": existing.period.label, "confirmation": existing.confirmation_number})


class FiguresInvalid(ValidationError):
    """A return's figures refused; `errors_by_field` maps each of its form's fields to its message."""

    def __init__(self, errors_by_field: dict[str, str]):
        self.errors_by_field = errors_by_field
        super().__init__(list(errors_by_field.values()))
