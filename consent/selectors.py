"""Reads for the portal pages of consent: the accounts a person reaches, the account menu, who has access
to an account, and the account's access log. Each returns what its page needs in a fixed number of queries."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import quote

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import Count, Expression, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import JSONObject
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.http import RFC3986_SUBDELIMS

from accounts.models import AccessLogEntry, User
from consent.access import Access, in_force_grants, privileges_of
from consent.models import Consent, Grant
from consent.privileges import GRANTABLE, Privilege
from consent.sql import SENTINEL_INT, CompiledQuery, Pending, page_of
from programs.models import Address, BulkFuelLocation, Program, ProgramAccount

# --- Home: the accounts a person reaches ------------------------------------------------------------------

# The home list's order after "overdue first" (issue 3 #7): by taxpayer name, then account number.
HOME_ORDERING = ("account__taxpayer__legal_name", "account__number")
# What reverse() leaves unquoted in a path argument (django.urls.resolvers), so the row links match it.
_PATH_SAFE = RFC3986_SUBDELIMS + "/~:@"


# "Overdue first": what an account owes is known to apps above consent (filings: overdue returns), so the
# interface layer passes named expressions of how overdue the grant's account is on a day (a number, 0 when
# nothing is overdue; consent.panels.HOME_PRIORITIES), worked out by the database for every account of the list
# so the most overdue come first on page 1 of 1,000. Each row of the page carries the value under that name (the
# home banners read it there: no second query).
HomePriority = Callable[[date], Expression]
HomePriorities = Mapping[str, HomePriority]


def accounts_for_user(
    *,
    user: User | int,
    priorities: HomePriorities,
    search: str = "",
    program: str = "",
    today: date | None = None,
) -> QuerySet[Grant]:
    """The accounts `user` (a User or its id) can reach, one in-force grant per account, in the home list's
    order: the most overdue first (`priorities`, in their order), then by taxpayer name and account number.
    Nothing is joined but what the conditions and the order need.

    `search` matches the taxpayer's legal name, the operating name, the BIN or the account number;
    `program` is a program code."""
    today = today or timezone.localdate()
    grants = Grant.objects.filter(in_force_grants(today=today), user=user)
    search = search.strip()
    if search:
        digits = "".join(ch for ch in search if ch.isdigit() or ch == "-")
        condition = Q(account__taxpayer__legal_name__icontains=search) | Q(
            account__trade_name__icontains=search
        )
        if digits:
            condition |= Q(account__taxpayer__bin__startswith=digits.replace("-", "")) | Q(
                account__number__contains=digits
            )
        grants = grants.filter(condition)
    if program:
        grants = grants.filter(account__program__code=program)
    if priorities:
        grants = grants.annotate(**{name: priority(today) for name, priority in priorities.items()})
    return grants.order_by(*(F(name).desc() for name in priorities), *HOME_ORDERING)


# What a row of the home list shows, read as plain values (no model instances): name -> lookup from Grant.
HOME_ROW_FIELDS = {
    "role": "role",
    "privileges": "privileges",
    "account_id": "account_id",  # the home banners ask about the accounts of the page by id
    "number": "account__number",
    "trade_name": "account__trade_name",
    "status": "account__status",
    "legal_name": "account__taxpayer__legal_name",
    "bin": "account__taxpayer__bin",
    "program_name": "account__program__name",
}


def _home_rows(grants: QuerySet[Grant], priorities: Iterable[str]) -> QuerySet[Grant, tuple[Any, ...]]:
    return grants.values_list(*HOME_ROW_FIELDS.values(), *priorities)


def _home_page(
    key: tuple[date, tuple[tuple[str, HomePriority], ...]], user_id: int
) -> QuerySet[Grant, tuple[Any, ...]]:
    today, priorities = key
    listed = accounts_for_user(user=user_id, priorities=dict(priorities), today=today)
    return _home_rows(listed, (name for name, _priority in priorities))


# The unfiltered list, every request of every representative: compiled once a day (consent.sql), keyed by the
# day and the priorities it is ordered by (the same every request: consent.panels.HOME_PRIORITIES).
HOME_PAGE = CompiledQuery(_home_page, wrap=page_of, user_id=SENTINEL_INT)


def account_rows(
    *,
    user: User,
    offset: int,
    limit: int,
    priorities: HomePriorities,
    searched: QuerySet[Grant] | None = None,
) -> list[dict[str, Any]]:
    """One page of `accounts_for_user` (`limit` rows from `offset`; or `searched`, the page of a search already
    sliced), in one query, ready for the template: the role's label, what the holder may do and the link are
    worked out here, once per distinct value, not per row in the template. `priorities` are those the list
    was ordered by (`accounts_for_user`); each row carries their values under their names."""
    values: Iterable[tuple[Any, ...]]
    if searched is not None:
        values = _home_rows(searched, priorities)
    else:
        compiled_for = (timezone.localdate(), tuple(priorities.items()))
        values = HOME_PAGE.rows(compiled_for, user_id=user.pk, tail=(limit, offset))
    # The account number is the only part of the link that changes from row to row.
    placeholder = "0"
    prefix, suffix = reverse("account_detail", kwargs={"number": placeholder}).rsplit(placeholder, 1)
    roles = {role.value: str(role.label) for role in Grant.Role}
    labels: dict[tuple[str, frozenset[str]], list[str]] = {}
    names = [*HOME_ROW_FIELDS, *priorities]
    rows = []
    for value in values:
        row = dict(zip(names, value, strict=True))
        role = row["role"]
        key = (role, frozenset(row["privileges"] or ()))
        if key not in labels:
            labels[key] = _privilege_labels(role, privileges_of(Grant(role=role, privileges=list(key[1]))))
        row["role_label"] = roles.get(role, role)
        row["owner"] = role == Grant.Role.OWNER
        row["privilege_labels"] = labels[key]
        row["closed"] = row["status"] == ProgramAccount.Status.CLOSED
        row["url"] = f"{prefix}{quote(row['number'], safe=_PATH_SAFE)}{suffix}"
        rows.append(row)
    return rows


@dataclass(frozen=True)
class ProgramChoice:
    """A program of the home page's filter, with how many of the person's accounts are in it."""

    code: str
    name: str
    accounts: int


def _programs_of(*, user: User | int, today: date) -> QuerySet[Grant, tuple[Any, ...]]:
    return (
        Grant.objects.filter(in_force_grants(today=today), user=user)
        .values_list("account__program__code", "account__program__name", "account__program__number")
        .annotate(accounts=Count("id"))
        .order_by("account__program__number")
    )


PROGRAMS_OF_USER = CompiledQuery(
    lambda today, user_id: _programs_of(user=user_id, today=today), user_id=SENTINEL_INT
)


def programs_for_user(*, user: User) -> list[ProgramChoice]:
    """The programs of the accounts `user` can reach (the home page's program filter), with the number of
    accounts in each: one aggregate over the in-force grants (no DISTINCT over every account), whose sum is
    also the length of the unfiltered list, so the home page needs no separate count."""
    rows = PROGRAMS_OF_USER.rows(timezone.localdate(), user_id=user.pk)
    return [ProgramChoice(code=code, name=name, accounts=accounts) for code, name, _, accounts in rows]


def privilege_labels(grant: Grant) -> list[str]:
    """What a grant lets its holder do, in menu order, for display."""
    return _privilege_labels(grant.role, privileges_of(grant))


def _privilege_labels(role: str, held: frozenset[str]) -> list[str]:
    return [
        str(p.label)
        for p in Privilege
        if p in held and (p != Privilege.MANAGE_ACCESS or role == Grant.Role.OWNER)
    ]


# --- The account menu ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MenuItem:
    """One function of the account menu. `order` follows TRACS's own menu order (DOMAIN.md, "Menu"):
    10 Account Information, 15 Messages, 20 Delegated Administration, 30 Manage Direct Deposit, 40 Payment Options,
    50 View Account Summary Balance, 60 View Assessment Status, 70 View Financial Transaction Details,
    80 View/Update Contact Information, 90 Submit Documents, 100 File a Notice of Objection,
    110 File a Return, 120 reports. The menu itself is `consent.menu.ACCOUNT_MENU` (an interface module, so it
    names every app's functions directly).

    `applies` says which accounts have the function at all (None: every account), so a program without it is
    not offered a page that would only say so: a Carbon Levy Claimant account files no returns."""

    order: int
    label: str | Promise
    url_name: str
    privilege: str
    fragment: str = ""
    applies: Callable[[ProgramAccount], bool] | None = None


@dataclass(frozen=True)
class MenuLink:
    label: str
    url: str
    current: bool


def account_menu(*, access: Access, items: Iterable[MenuItem], current_url_name: str = "") -> list[MenuLink]:
    """The menu of one account for one person: only the functions among `items` (`consent.menu.ACCOUNT_MENU`)
    of the account's program that their role and privileges allow, in menu order."""
    links = []
    for item in sorted(items, key=lambda existing: existing.order):
        if not access.has(item.privilege):
            continue
        if item.applies is not None and not item.applies(access.account):
            continue
        try:
            url = reverse(item.url_name, kwargs={"number": access.account.number})
        except NoReverseMatch:  # an item whose page is not wired in this deployment
            continue
        links.append(
            MenuLink(
                label=str(item.label),
                url=f"{url}#{item.fragment}" if item.fragment else url,
                current=item.url_name == current_url_name and not item.fragment,
            )
        )
    return links


# --- Account Information -------------------------------------------------------------------------------


def _address_and_bflos(_key: None, *, account_id: int) -> QuerySet[ProgramAccount, tuple[Any, ...]]:
    """The account's mailing address of record (one at most: address_one_per_kind) and its active BFLOs in their
    order, each as JSON, in one row: two lists in one round trip, rather than a query each."""
    mailing = Address.objects.filter(account=OuterRef("pk"), kind=Address.Kind.MAILING).values(
        json=JSONObject(**{name: name for name in ADDRESS_SHOWN})
    )
    bflos = (
        BulkFuelLocation.objects.filter(account=OuterRef("pk"), active=True)
        .order_by("number", "pk")  # BulkFuelLocation's ordering
        .values(json=JSONObject(**{name: name for name in BFLO_SHOWN}))
    )
    return ProgramAccount.objects.filter(pk=account_id).values_list(
        Subquery(mailing[:1]), ArraySubquery(bflos)
    )


ADDRESS_SHOWN = ("line1", "line2", "city", "province", "postal_code", "country")
BFLO_SHOWN = ("number", "name", "address")
# Every Account Information request asks it: compiled once per process (consent.sql, ADR 0018).
ADDRESS_AND_BFLOS = CompiledQuery(_address_and_bflos, account_id=SENTINEL_INT)


def _from_json(value: Any) -> dict[str, Any]:
    # The postgres backend hands jsonb over as text (JSONField parses it itself): parse what is still a string.
    parsed: dict[str, Any] = json.loads(value) if isinstance(value, str) else value
    return parsed


def account_information_queries(*, account: ProgramAccount) -> list[Pending]:
    """What account_information asks, for the page to send with its panels' (consent.sql.prefetched)."""
    return [ADDRESS_AND_BFLOS.pending(None, account_id=account.pk)]


def account_information(*, account: ProgramAccount) -> ProgramAccount:
    """The account with its mailing address of record (`mailing_addresses`, a list of at most one) and active
    BFLOs (`active_bflos`, fuel sellers) loaded: one query, on the account the access check already read with its
    taxpayer and program (consent.access.account_view), rather than reading it a second time. The address and
    the BFLOs are unsaved instances holding what the page shows."""
    [(mailing, bflos)] = ADDRESS_AND_BFLOS.rows(None, account_id=account.pk)
    account.mailing_addresses = (  # type: ignore[attr-defined]
        [Address(account=account, kind=Address.Kind.MAILING, **_from_json(mailing))] if mailing else []
    )
    account.active_bflos = [  # type: ignore[attr-defined]
        BulkFuelLocation(account=account, active=True, **_from_json(bflo)) for bflo in bflos or []
    ]
    return account


# --- Who has access ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AccessOverview:
    owners: list[Grant]
    delegates: list[Grant]
    representatives: list[Consent]


def consents_for_account(*, account: ProgramAccount) -> QuerySet[Consent]:
    """Consents (AT4931) that cover `account` and are not rejected or revoked: named in the consent, or an
    all-accounts consent of the account's taxpayer that covers it (accounts opened after approval only if
    the consent says so; a named account transferred to another taxpayer is no longer covered; see
    consent.services.consent_covered_accounts)."""
    covers_all = Q(all_accounts=True, taxpayer_id=account.taxpayer_id) & (
        Q(covers_future_accounts=True) | Q(reviewed_at__isnull=True) | Q(reviewed_at__gte=account.opened_at)
    )
    named = Q(
        all_accounts=False,
        taxpayer_id=account.taxpayer_id,
        pk__in=Consent.accounts.through.objects.filter(programaccount_id=account.pk).values("consent_id"),
    )
    return (
        Consent.objects.filter(covers_all | named)
        .filter(status__in=[Consent.Status.RECEIVED, Consent.Status.APPROVED, Consent.Status.ACTIVE])
        .select_related("representative")
        .order_by("representative_name")
    )


def access_overview(*, account: ProgramAccount) -> AccessOverview:
    """Owners, delegates (pending and active) and representatives of one account, for its owners."""
    grants = list(
        Grant.objects.filter(account=account, role__in=[Grant.Role.OWNER, Grant.Role.DELEGATE])
        .exclude(status=Grant.Status.REVOKED)
        .select_related("user")
        .order_by("role", "name")
    )
    return AccessOverview(
        owners=[grant for grant in grants if grant.role == Grant.Role.OWNER],
        delegates=[grant for grant in grants if grant.role == Grant.Role.DELEGATE],
        representatives=list(consents_for_account(account=account)),
    )


def grantable_choices() -> list[tuple[str, str]]:
    return [(p.value, str(p.label)) for p in GRANTABLE]


# --- The account's access log ---------------------------------------------------------------------------


def access_log_for_account(*, account: ProgramAccount, kind: str = "") -> QuerySet[AccessLogEntry]:
    """Who looked at (or changed, or was refused) this account, newest first."""
    entries = AccessLogEntry.objects.filter(account_number=account.number)
    if kind:
        entries = entries.filter(kind=kind)
    return entries.order_by("-occurred_at", "-id")


def account_people_ids(*, account: ProgramAccount) -> set[int]:
    """Everyone who holds or held a grant on the account: the access log names them; anyone else who tried
    the account number is shown without their identity (TRA staff see it in admin)."""
    return set(Grant.objects.filter(account=account, user__isnull=False).values_list("user_id", flat=True))


# --- Whom to tell about a change to an account ------------------------------------------------------------


def account_owner_emails(*, account: ProgramAccount) -> list[str]:
    """The e-mail addresses of the account's owners whose access is in force: every change to the account's
    addresses, contacts or direct deposit is announced to them."""
    return list(
        Grant.objects.filter(in_force_grants(), account=account, role=Grant.Role.OWNER, user__isnull=False)
        .order_by("user__email")
        .values_list("user__email", flat=True)
    )


# --- Whom to tell that a message from TRA is waiting -----------------------------------------------------


def _reads_messages() -> Q:
    """A grant whose holder reads the account's messages: an owner, or access that includes messages."""
    return Q(role=Grant.Role.OWNER) | Q(privileges__contains=[Privilege.MESSAGES.value])


def message_account_ids(
    *, user: User | int, today: date | None = None
) -> QuerySet[Grant, Mapping[str, object]]:
    """The accounts whose messages `user` (a User or its id) reads: a subquery of account ids, for the
    header's count."""
    return Grant.objects.filter(in_force_grants(today=today), _reads_messages(), user=user).values(
        "account_id"
    )


def message_recipient_emails(*, account: ProgramAccount) -> list[str]:
    """Everyone told that a message is waiting for `account`: its owners, and the delegates and
    representatives whose access in force includes messages."""
    return list(
        Grant.objects.filter(in_force_grants(), _reads_messages(), account=account, user__isnull=False)
        .order_by("user__email")
        .values_list("user__email", flat=True)
        .distinct()
    )


def message_recipients_by_account(*, program: Program) -> dict[int, list[str]]:
    """`message_recipient_emails` for every account of a program, in one query."""
    recipients: dict[int, list[str]] = {}
    rows = (
        Grant.objects.filter(
            in_force_grants(), _reads_messages(), account__program=program, user__isnull=False
        )
        .order_by("account_id", "user__email")
        .values_list("account_id", "user__email")
        .distinct()
    )
    for account_id, email in rows:
        recipients.setdefault(account_id, []).append(email)
    return recipients
