"""The one access chokepoint: may this person do this to this program account?

No access to the account at all -> 404, the same as a made-up account number. Access to the account but
not to this function -> 403 naming the privilege. Staff reach accounts through Django admin, not here.
Every read of an account page and every denial is written to the access log, by the Actor the decorator
builds (tracs.actors.actor_from_request, acting in the caller's role for the account's taxpayer); the view gets
the same Actor as `request.actor` to pass to the services it calls. This module takes a request because it is
the chokepoint the views go through; the services below it never do.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol, cast

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponseBase
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.actors import Actor
from accounts.models import AccessLogEntry, User
from accounts.services import access_log_record
from consent.models import Consent, Grant
from consent.privileges import ALL, Privilege
from consent.sql import SENTINEL_INT, SENTINEL_STR, CompiledQuery, Path, columns_of, instances_of
from programs.models import Program, ProgramAccount, Taxpayer
from tracs import log_context
from tracs.actors import actor_from_request

FUNCTION_NOT_GRANTED = _(
    "Your access to account %(number)s does not include “%(privilege)s”. An owner of the account can grant it to you."
)


@dataclass(frozen=True)
class Access:
    account: ProgramAccount
    grant: Grant
    privileges: frozenset[str]

    @property
    def role(self) -> str:
        return self.grant.role

    @property
    def is_owner(self) -> bool:
        return self.grant.role == Grant.Role.OWNER

    def has(self, privilege: str) -> bool:
        return privilege in self.privileges


class AccountRequest(HttpRequest):
    """What a view behind `account_view` receives: the request with the account, the caller's access on it,
    and the Actor (in that role, for the account's taxpayer) for the services the view calls."""

    user: User
    account: ProgramAccount
    access: Access
    actor: Actor


class AccountView(Protocol):
    """A view `account_view` has wrapped: called with the account number, it names the privilege it needs."""

    required_privilege: str

    def __call__(self, request: HttpRequest, number: str, *args: Any, **kwargs: Any) -> HttpResponseBase: ...


def in_force_grants(*, today: date | None = None) -> Q:
    """The condition a grant meets while it gives access (used by `access_for` and by the home page)."""
    today = today or timezone.localdate()
    return (
        Q(status=Grant.Status.ACTIVE)
        & (Q(ends_on__isnull=True) | Q(ends_on__gte=today))
        & (
            Q(consent__isnull=True)
            | (
                Q(consent__status=Consent.Status.ACTIVE)
                & (Q(consent__expires_on__isnull=True) | Q(consent__expires_on__gte=today))
            )
        )
    )


def privileges_of(grant: Grant) -> frozenset[str]:
    if grant.role == Grant.Role.OWNER:
        return frozenset(ALL)
    return frozenset(grant.privileges) - {Privilege.MANAGE_ACCESS}


def access_for(*, user: User | AnonymousUser, account: ProgramAccount) -> Access | None:
    if not user.is_authenticated:
        return None
    grant = (
        Grant.objects.filter(in_force_grants(), account=account, user=user).select_related("consent").first()
    )
    if grant is None:
        return None
    return Access(account=account, grant=grant, privileges=privileges_of(grant))


# The access check of every account page, compiled once a day (consent.sql, ADR 0018): the person's in-force grant
# on the account of this number, with the account, its taxpayer and program and the grant's consent, in one query
# (the ORM built it anew on every request: about 2 ms of each account page, more than the database's part).
GRANT_PATHS: tuple[Path, ...] = (
    ("", Grant),
    ("account__", ProgramAccount),
    ("account__taxpayer__", Taxpayer),
    ("account__program__", Program),
    ("consent__", Consent),
)


def _grant_on_account_numbered(today: date, *, number: str, user_id: int) -> QuerySet[Grant, tuple[Any, ...]]:
    return (
        Grant.objects.filter(in_force_grants(today=today), account__number=number, user=user_id)
        .order_by("account", "role", "name", "pk")  # Grant's ordering, which access_for's .first() follows
        .values_list(*columns_of(GRANT_PATHS))[:1]
    )


GRANT_ON_ACCOUNT = CompiledQuery(_grant_on_account_numbered, number=SENTINEL_STR, user_id=SENTINEL_INT)


def access_to_number(*, user: User, number: str) -> Access | None:
    """`access_for` the account of this number, with the account (its taxpayer and program loaded): None when
    there is no such account or the person holds no grant in force on it, alike. One query."""
    rows = GRANT_ON_ACCOUNT.rows(timezone.localdate(), number=number, user_id=user.pk)
    if not rows:
        return None
    found = instances_of(rows[0], GRANT_PATHS)
    # Inner joins but the consent's: only the consent may be None.
    grant, account = cast(Grant, found[0]), cast(ProgramAccount, found[1])
    account.taxpayer = cast(Taxpayer, found[2])
    account.program = cast(Program, found[3])
    grant.account = account
    grant.consent = cast(Consent | None, found[4])
    return Access(account=account, grant=grant, privileges=privileges_of(grant))


def can(user: User | AnonymousUser, account: ProgramAccount, privilege: str) -> bool:
    access = access_for(user=user, account=account)
    return access is not None and access.has(privilege)


def account_view(
    privilege: str, *, log_reads: bool = True
) -> Callable[[Callable[..., HttpResponseBase]], AccountView]:
    """Decorate a view taking `number` (the account number): resolves the account, checks the privilege,
    logs the read, and puts `request.account`, `request.access` and `request.actor` in place."""

    def decorator(view: Callable[..., HttpResponseBase]) -> AccountView:
        @functools.wraps(view)
        @login_required
        def wrapped(request: AccountRequest, number: str, *args: Any, **kwargs: Any) -> HttpResponseBase:
            # Typed as what it becomes two lines before the view runs: login_required let only a signed-in user by.
            log_context.bind(account=number)  # the request's later log lines name the account, refused or not
            access = access_to_number(user=request.user, number=number)
            if access is None:
                access_log_record(
                    actor=actor_from_request(request),
                    kind=AccessLogEntry.Kind.DENIED,
                    action=f"no access: {view.__name__}",
                    account_number=number,
                )
                raise Http404
            account = access.account
            actor = actor_from_request(request).acting_for(
                capacity=access.role, on_behalf_of=account.on_behalf_of
            )
            if not access.has(privilege):
                access_log_record(
                    actor=actor,
                    kind=AccessLogEntry.Kind.DENIED,
                    action=f"privilege missing ({privilege}): {view.__name__}",
                    account_number=number,
                )
                raise PermissionDenied(
                    FUNCTION_NOT_GRANTED % {"number": number, "privilege": Privilege(privilege).label}
                )
            request.account = account
            request.access = access
            request.actor = actor
            if log_reads and request.method in ("GET", "HEAD"):
                access_log_record(
                    actor=actor,
                    kind=AccessLogEntry.Kind.READ,
                    action=view.__name__.replace("_", " "),
                    account_number=number,
                )
            return view(request, *args, **kwargs)

        # functools.wraps gives no place to say a function carries an attribute: the Protocol names it.
        account_view_function = cast(AccountView, wrapped)
        account_view_function.required_privilege = privilege
        return account_view_function

    return decorator
