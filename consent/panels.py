"""The panels of the Account Information page, the banners of home and its "overdue first" order: one list
each, naming every app's contribution directly.

Consent owns both pages, but most of what they summarise belongs to other apps (obligations to filings, the balance
to assessments, messages, documents and contact persons to programs). This is an interface module (ADR 0013): it
imports the panel and banner functions of filings (`filings/panels.py`), assessments (`assessments/panels.py`) and
programs (`programs/panels.py`) directly, so each page is declared in one place, with the one privilege (or
privileges, any of which shows it) each panel and banner needs.

Cost rules, so neither page's query count grows with what it lists:
- a panel's `context(account, user)` does a fixed number of queries (a count and a LIMITed list, never a list
  of everything), and is called only for people holding one of its privileges;
- a banner source is called once per home page with the ids of the accounts on that page (only those where the
  person holds one of its privileges), and answers with one aggregate query for all of them.

The panel consent contributes itself (below) is recent changes (owners only): they are the account's access-log
CHANGE rows, naming who changed what: the access log itself is an owners' page (Manage access), so the panel is
shown to owners alone rather than to everyone who may view the account.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from accounts.models import AccessLogEntry
from assessments import panels as assessments_panels
from consent import selectors
from consent.access import Access, privileges_of
from consent.context_processors import unread_message_counts, unread_message_counts_queries
from consent.models import Grant
from consent.privileges import Privilege
from consent.selectors import HomePriority
from consent.sql import SENTINEL_STR, CompiledQuery, Path, Pending, columns_of, instances_of
from filings import panels as filings_panels
from programs import panels as programs_panels
from programs.models import ProgramAccount

PanelContext = Callable[[ProgramAccount, Any], dict]
PanelQueries = Callable[[ProgramAccount, Any], list[Pending]]
BannerSource = Callable[[Any, list[dict]], list[dict]]


# --- Panels of the Account Information page ---------------------------------------------------------------


@dataclass(frozen=True)
class AccountPanel:
    """One panel: shown, in `order`, to people holding **any** of `privilege` (a privilege or a tuple of
    them). `template` is included with the dict returned by `context(account, user)` as `panel`. `queries(account,
    user)` names the compiled queries `context` will ask, so the page sends every panel's in one round trip
    (consent.sql.prefetched, ADR 0027); a query it does not name is run when asked, as before."""

    order: int
    privilege: str | tuple[str, ...]
    template: str
    context: PanelContext
    queries: PanelQueries | None = None

    @property
    def privileges(self) -> tuple[str, ...]:
        return (self.privilege,) if isinstance(self.privilege, str) else tuple(self.privilege)


@dataclass(frozen=True)
class RenderedPanel:
    template: str
    context: dict
    # What the panel's query also answered for the page around it (the header's unread count): the page's view
    # puts it in the page's context, so the layout does not ask again.
    page_context: dict


# A panel's context may carry, under this key, values for the page around it (RenderedPanel.page_context).
PAGE_CONTEXT = "page_context"


def _shown(access: Access) -> list[AccountPanel]:
    return [
        panel
        for panel in sorted(ACCOUNT_PANELS, key=lambda panel: panel.order)
        if any(access.has(privilege) for privilege in panel.privileges)
    ]


def account_panel_queries(*, access: Access, user) -> list[Pending]:
    """The compiled queries of the panels this person may see on this account (their `queries`), for the page to
    send together before it asks `account_panels`."""
    return [
        pending
        for panel in _shown(access)
        if panel.queries
        for pending in panel.queries(access.account, user)
    ]


def account_panels(*, access: Access, user) -> list[RenderedPanel]:
    """The panels this person may see on this account, each with its context, in order."""
    panels = []
    for panel in _shown(access):
        context = panel.context(access.account, user)
        page_context = context.pop(PAGE_CONTEXT, {})
        panels.append(RenderedPanel(template=panel.template, context=context, page_context=page_context))
    return panels


# --- Banners of home ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HomeBanner:
    """A source of home banners: `banners(user, rows)` returns one dict per banner to show,
    `{"account_id": ..., "message": ...}`, for accounts among `rows` (the rows of the page, as
    `consent.selectors.account_rows` makes them, whose accounts the person holds any of `privileges` on), in
    at most one aggregate query."""

    order: int
    privileges: tuple[str, ...]
    banners: BannerSource


def home_banners(*, user, rows: list[dict]) -> list[dict]:
    """The banners of one page of the home list (`consent.selectors.account_rows`): each source is asked once,
    about the accounts of the page where the person holds one of its privileges (worked out from the rows,
    no query). Each banner gets the account's number, taxpayer and link from its row."""
    held_by_account: dict[int, frozenset[str]] = {}
    held_cache: dict[tuple[str, frozenset[str]], frozenset[str]] = {}
    for row in rows:
        key = (row["role"], frozenset(row["privileges"] or ()))
        if key not in held_cache:
            held_cache[key] = privileges_of(Grant(role=key[0], privileges=list(key[1])))
        held_by_account[row["account_id"]] = held_cache[key]
    by_id = {row["account_id"]: row for row in rows}
    position = {row["account_id"]: index for index, row in enumerate(rows)}
    shown = []
    for source in sorted(HOME_BANNERS, key=lambda source: source.order):
        held_rows = [
            row
            for row in rows
            if any(privilege in held_by_account[row["account_id"]] for privilege in source.privileges)
        ]
        if not held_rows:
            continue
        answered = [banner for banner in source.banners(user, held_rows) if banner["account_id"] in by_id]
        for banner in sorted(answered, key=lambda banner: position[banner["account_id"]]):
            row = by_id[banner["account_id"]]
            shown.append(
                {**banner, "number": row["number"], "legal_name": row["legal_name"], "url": row["url"]}
            )
    return shown


# --- The panel consent shows itself ---------------------------------------------------------------------

RECENT_CHANGES = 10


ENTRY_PATHS: tuple[Path, ...] = (("", AccessLogEntry),)
# Every owner's Account Information request reads them: compiled once per process (consent.sql, ADR 0018).
RECENT_CHANGE_ENTRIES = CompiledQuery(
    lambda shown, number: selectors.access_log_for_account(
        account=ProgramAccount(number=number),  # the selector reads the account's number alone
        kind=AccessLogEntry.Kind.CHANGE,
    ).values_list(*columns_of(ENTRY_PATHS))[:shown],
    number=SENTINEL_STR,
)


def recent_activity_queries(account: ProgramAccount, user) -> list[Pending]:
    return [RECENT_CHANGE_ENTRIES.pending(RECENT_CHANGES, number=account.number)]


def recent_activity_panel(account: ProgramAccount, user) -> dict:
    """The last ten changes made to the account (access log, kind CHANGE): one query."""
    rows = RECENT_CHANGE_ENTRIES.rows(RECENT_CHANGES, number=account.number)
    return {"entries": [instances_of(row, ENTRY_PATHS)[0] for row in rows]}


def messages_queries(account: ProgramAccount, user) -> list[Pending]:
    return [
        *unread_message_counts_queries(user_id=user.pk, account_id=account.pk),
        *programs_panels.messages_queries(account, user),
    ]


def messages_panel(account: ProgramAccount, user) -> dict:
    """Programs' messages panel, with its unread count and the header's counted by one query (the header's count
    covers every account whose messages the person reads, this one among them: the panel is shown only to those
    who read this account's messages): two queries for the panel and the header, not three."""
    everywhere, here = unread_message_counts(user_id=user.pk, account_id=account.pk)
    return {
        **programs_panels.messages_panel(account, user, unread=here),
        PAGE_CONTEXT: {"unread_messages_count": everywhere},
    }


# --- What each page shows ---------------------------------------------------------------------------------

# Account Information: open returns first, where people look; then what the account owes; then programs' details
# (messages, documents, contact persons); then consent's own.
ACCOUNT_PANELS: tuple[AccountPanel, ...] = (
    AccountPanel(
        10,
        filings_panels.OBLIGATIONS_PRIVILEGES,
        "filings/includes/panel_obligations.html",
        filings_panels.obligations_panel,
        filings_panels.obligations_queries,
    ),
    AccountPanel(
        20,
        Privilege.VIEW_ACCOUNT,
        "assessments/includes/panel_balance.html",
        assessments_panels.balance_panel,
        assessments_panels.balance_queries,
    ),
    AccountPanel(
        40, Privilege.MESSAGES, "programs/includes/panel_messages.html", messages_panel, messages_queries
    ),
    AccountPanel(
        50,
        Privilege.SUBMIT_DOCUMENTS,
        "programs/includes/panel_documents.html",
        programs_panels.documents_panel,
        programs_panels.documents_queries,
    ),
    AccountPanel(
        60,
        Privilege.VIEW_ACCOUNT,
        "programs/includes/panel_contacts.html",
        programs_panels.contacts_panel,
        programs_panels.contacts_queries,
    ),
    AccountPanel(
        90,
        Privilege.MANAGE_ACCESS,
        "consent/includes/panel_activity.html",
        recent_activity_panel,
        recent_activity_queries,
    ),
)

# Home: "N return(s) outstanding" (filings), then "N period(s) with an outstanding balance" (assessments).
HOME_BANNERS: tuple[HomeBanner, ...] = (
    HomeBanner(10, filings_panels.OBLIGATIONS_PRIVILEGES, filings_panels.outstanding_returns_banners),
    HomeBanner(20, (Privilege.VIEW_ACCOUNT,), assessments_panels.owing_periods_banners),
)

# Home's "overdue first" order (consent.selectors.accounts_for_user): the accounts with the most overdue returns
# first; each row carries the count under the name, for the returns banner.
HOME_PRIORITIES: dict[str, HomePriority] = {filings_panels.OVERDUE: filings_panels.home_overdue_first}
