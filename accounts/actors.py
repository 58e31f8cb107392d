"""Who acts, for whom, from where and through which door: the one value services take instead of a request.

The interface layer builds it once per request (tracs/actors.py) or job and passes it down; services hand it
to the access log (ARCHITECTURE.md, "Services get an actor, not a request"). Services never see HttpRequest.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from accounts.models import User


class Door(enum.StrEnum):
    """How the action reached TRACS; recorded on each access-log row."""

    WEB = "web"  # the portal's pages
    ADMIN = "admin"  # TRA staff in Django admin
    FILE = "file"  # a file uploaded through the portal, processed after the request
    SFTP = "sftp"  # a file dropped in the SFTP inbox
    JOB = "job"  # a scheduled or queued job acting on its own


@dataclass(frozen=True, slots=True)
class Actor:
    """`user` is None for a job or for someone not signed in yet. `capacity` and `on_behalf_of` are filled in
    once the access policy has decided in what role the person reaches the account (`acting_for`)."""

    user: User | None
    door: Door
    ip_address: str | None = None
    path: str = ""
    capacity: str = ""  # owner, delegate, representative, staff
    on_behalf_of: str = ""  # the taxpayer acted for, as the access log names them

    @classmethod
    def job(cls, name: str, *, door: Door = Door.JOB, user: User | None = None) -> Actor:
        """A job (or file ingestion) acting on its own; `name` goes where a page's path would."""
        return cls(user=user, door=door, path=name[:500])

    def acting_for(self, *, capacity: str = "", on_behalf_of: str = "") -> Actor:
        return replace(
            self, capacity=capacity or self.capacity, on_behalf_of=on_behalf_of or self.on_behalf_of
        )

    def as_user(self, user: User | None) -> Actor:
        """The same request on behalf of another identity (two-factor stages act before sign-in completes)."""
        return replace(self, user=user)
