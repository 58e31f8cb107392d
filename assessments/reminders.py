"""Reminders that reach people: a return about to fall due, and a notice not yet opened while its payment is due.

`reminders_send(today=...)` is run once a day by Celery beat (`assessments.tasks_reminders.reminders_send`). It is
safe to run twice and to miss a day:

- a reminder is sent on any day of its window (the last `TRACS_RETURN_REMINDER_DAYS` days before a return's due
  date, the last `TRACS_NOTICE_REMINDER_DAYS` days before a notice's payment due date), so a missed day is caught
  up by the next run;
- each reminder is queued under a dedupe key on the outbox (per account, period and person for a return; per
  notice and person for a notice), so a person is reminded once, however many times the job runs.

Recipients are the people whose access to the account is in force and includes the privilege the reminder is
about (FILE_RETURNS, VIEW_ASSESSMENTS): owners, and delegates and representatives who hold it, since a notice
that reaches the taxpayer but not their agent has not reached the person who acts on it. One e-mail per person
(no one sees who else was told), never an amount: an e-mail may be read by anyone with the mailbox.

Everything is read in a fixed number of queries, whatever the number of accounts or people (plus one lookup and
one insert per e-mail actually queued).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from accounts.models import OutboxEmail
from accounts.services import email_queue
from assessments import selectors
from assessments.models import Notice, NoticeRead
from consent.access import in_force_grants
from consent.models import Grant
from consent.privileges import Privilege
from filings import dye_sites
from filings.definitions.dye_sites import DYE_SITE_REPORTS
from filings.definitions.fuel_tax import FUEL_TAX_RETURN
from filings.definitions.tourism_levy import TOURISM_LEVY_RETURN
from filings.periods import Period
from filings.skeleton.definition import FilingDefinition
from programs.models import DyeSite, ProgramAccount

RETURN_PURPOSE = "return-reminder"
# The returns owed for every period whether or not anything was sold (their reminders): each program's definition.
RETURN_DEFINITIONS: tuple[FilingDefinition, ...] = (FUEL_TAX_RETURN, TOURISM_LEVY_RETURN)
NOTICE_PURPOSE = "notice-reminder"


@dataclass(frozen=True)
class Sent:
    returns: int
    notices: int


def _holders(privilege: str) -> Q:
    """A grant whose holder has `privilege` (owners hold every privilege)."""
    return Q(role=Grant.Role.OWNER) | Q(privileges__contains=[str(privilege)])


def _recipients(*, account_ids, privilege: str, today: date) -> dict[int, list[tuple[int, str]]]:
    """(user id, e-mail) of each holder of `privilege` per account, in one query."""
    rows = (
        Grant.objects.filter(
            in_force_grants(today=today),
            _holders(privilege),
            account_id__in=list(account_ids),
            user__isnull=False,
        )
        .order_by("account_id", "user__email")
        .values_list("account_id", "user_id", "user__email")
        .distinct()
    )
    recipients: dict[int, list[tuple[int, str]]] = {}
    for account_id, user_id, email in rows:
        if email:
            recipients.setdefault(account_id, []).append((user_id, email))
    return recipients


def _already_queued(keys: list[str]) -> set[str]:
    if not keys:
        return set()
    return set(OutboxEmail.objects.filter(dedupe_key__in=keys).values_list("dedupe_key", flat=True))


def _url(name: str, **kwargs) -> str:
    return settings.TRACS_SITE_URL.rstrip("/") + reverse(name, kwargs=kwargs)


# --- Returns about to fall due ----------------------------------------------------------------------------


def return_reminder_key(*, account_id: int, period: Period, user_id: int) -> str:
    return f"{RETURN_PURPOSE}:{account_id}:{period.key}:{user_id}"


def _periods_due_for(
    definition: FilingDefinition, account: ProgramAccount, *, today: date, last_day: date
) -> list[Period]:
    """The ended periods of `account` whose return is due from `today` to `last_day`: walk back from the period
    before today's, each period the one the account files for on the day before the next one starts (its own
    kind: a tourism levy establishment's month or quarter), until a due date is already past."""
    periods = []
    period = definition.period_on(account, definition.period_on(account, today).start - timedelta(days=1))
    while (due_on := definition.due_on(period)) >= today and period.end >= account.effective_date:
        if due_on <= last_day:
            periods.append(period)
        period = definition.period_on(account, period.start - timedelta(days=1))
    return periods


def return_reminders_send(*, today: date, days: int) -> int:
    """Remind every holder of FILE_RETURNS of each active account of a program that owes a return every period
    (fuel tax, the tourism levy: each one's definition) of each return due within `days` days and not filed, and
    of each dye site's monthly reports (`dye_site_reminders_send`). Returns how many e-mails were queued."""
    last_day = today + timedelta(days=days)
    queued = 0
    for definition in RETURN_DEFINITIONS:
        queued += _return_reminders_of(definition, today=today, last_day=last_day)
    return queued + dye_site_reminders_send(today=today, last_day=last_day)


def dye_site_reminder_key(*, code: str, site_id: int, period: Period, user_id: int) -> str:
    return f"{RETURN_PURPOSE}:{code}:site-{site_id}:{period.key}:{user_id}"


def _dye_months_due(site: DyeSite, *, today: date, last_day: date) -> list[Period]:
    """The ended months of `site` whose reports are due from `today` to `last_day` (filings.dye_sites.due_on)."""
    months = []
    period = Period.of(today).previous()
    while (due_on := dye_sites.due_on(period)) >= today and period.end >= site.effective_date:
        if due_on <= last_day and (site.closed_on is None or period.start <= site.closed_on):
            months.append(period)
        period = period.previous()
    return months


def dye_site_reminders_send(*, today: date, last_day: date) -> int:
    """Remind every holder of FILE_RETURNS of each dye site's account of each of the site's two monthly reports
    (Dye Stock Report AT4984, Litres Dyed during the Month AT366) due by `last_day` and not filed: filed per site,
    so walked by site, not by account (filings/definitions/dye_sites.py). Returns how many e-mails were queued."""
    sites = list(
        DyeSite.objects.filter(
            account__status=ProgramAccount.Status.ACTIVE, effective_date__lte=today
        ).select_related("account__taxpayer", "location")
    )
    due = {
        site.pk: months for site in sites if (months := _dye_months_due(site, today=today, last_day=last_day))
    }
    if not due:
        return 0
    by_pk = {site.pk: site for site in sites}
    starts = {month.start for months in due.values() for month in months}
    filed = {
        (definition.code, site_id, start)
        for definition in DYE_SITE_REPORTS
        for site_id, start in definition.model.objects.filter(
            site_id__in=list(due), period_start__in=starts, kind="original"
        ).values_list("site_id", "period_start")
    }
    recipients = _recipients(
        account_ids={by_pk[pk].account_id for pk in due}, privilege=Privilege.FILE_RETURNS, today=today
    )
    todo = [
        (
            dye_site_reminder_key(code=definition.code, site_id=pk, period=month, user_id=user_id),
            definition,
            pk,
            month,
            email,
        )
        for pk, months in due.items()
        for month in months
        for definition in DYE_SITE_REPORTS
        if (definition.code, pk, month.start) not in filed
        for user_id, email in recipients.get(by_pk[pk].account_id, [])
    ]
    done = _already_queued([key for key, *_ in todo])
    queued = 0
    for key, definition, pk, month, email in todo:
        if key in done:
            continue
        site, due_on = by_pk[pk], dye_sites.due_on(month)
        account = site.account
        url = _url("dye_site_report_file", number=account.number, site_id=pk, period=month, report=definition)
        email_queue(
            to=[email],
            subject=f"TRACS: {definition.label} for {month.label} due {due_on:%Y-%m-%d}, dye site {site}",
            body=(
                f"The {definition.label} of dye site {site} (account {account.number}, {account.display_name}) "
                f"for {month.label} has not been filed yet. It must be received by TRA on or before "
                f"{due_on:%B %-d, %Y}.\n\n"
                f"Sign in to TRACS to file it: {url}\n\n"
                "You receive this reminder because your access to the account includes filing returns. "
                "If the report has been filed since this e-mail was sent, there is nothing more to do."
            ),
            purpose=RETURN_PURPOSE,
            dedupe_key=key,
        )
        queued += 1
    return queued


def _return_reminders_of(definition: FilingDefinition, *, today: date, last_day: date) -> int:
    accounts = {
        account.pk: account
        for account in ProgramAccount.objects.filter(
            program__code=definition.program,
            status=ProgramAccount.Status.ACTIVE,
            effective_date__lte=today,
        )
        .select_related("taxpayer")
        .prefetch_related("frequencies")
    }
    if not accounts:
        return 0
    due = {
        account_id: periods
        for account_id, account in accounts.items()
        if (periods := _periods_due_for(definition, account, today=today, last_day=last_day))
    }
    if not due:
        return 0
    filed = set(
        definition.model.objects.filter(
            account_id__in=list(due),
            period_start__in={p.start for periods in due.values() for p in periods},
            kind="original",
        ).values_list("account_id", "period_start")
    )
    recipients = _recipients(account_ids=list(due), privilege=Privilege.FILE_RETURNS, today=today)
    todo = []
    for account_id, people in recipients.items():
        account = accounts[account_id]
        for period in due[account_id]:
            if (account_id, period.start) in filed:
                continue
            for user_id, email in people:
                todo.append(
                    (
                        return_reminder_key(account_id=account_id, period=period, user_id=user_id),
                        account,
                        period,
                        email,
                    )
                )
    done = _already_queued([key for key, *_ in todo])
    queued = 0
    label = str(definition.label)
    for key, account, period, email in todo:
        if key in done:
            continue
        due_on = definition.due_on(period)
        url = _url(f"{definition.url_prefix}_file", number=account.number, period=period)
        email_queue(
            to=[email],
            subject=f"TRACS: {label} for {period.label} due {due_on:%Y-%m-%d}, account {account.number}",
            body=(
                f"The {label} of account {account.number} ({account.display_name}) for {period.label} "
                f"has not been filed yet. It must be received by TRA on or before {due_on:%B %-d, %Y}.\n\n"
                f"Sign in to TRACS to file it: {url}\n\n"
                "You receive this reminder because your access to the account includes filing returns. "
                "If the return has been filed since this e-mail was sent, there is nothing more to do."
            ),
            purpose=RETURN_PURPOSE,
            dedupe_key=key,
        )
        queued += 1
    return queued


# --- Notices not yet opened while payment is due ----------------------------------------------------------


def notice_reminder_key(*, notice_id: int, user_id: int) -> str:
    return f"{NOTICE_PURPOSE}:{notice_id}:{user_id}"


def notice_reminders_send(*, today: date, days: int) -> int:
    """Remind each holder of VIEW_ASSESSMENTS who has not opened it of each notice whose payment is due within
    `days` days while its period still has a balance owing. Returns how many e-mails were queued."""
    notices = list(
        Notice.objects.filter(
            assessment__payment_due_on__gte=today,
            assessment__payment_due_on__lte=today + timedelta(days=days),
        )
        .select_related("account__taxpayer", "assessment")
        .order_by("account_id", "period_start", "-issued_on", "-id")
    )
    latest: dict[tuple[int, date], Notice] = {}
    for notice in notices:  # a reassessment's notice replaces the earlier one of its period
        latest.setdefault((notice.account_id, notice.period_start), notice)
    if not latest:
        return 0
    # Owing as home and Payment Options say it: a period a credit elsewhere on the account covers owes nothing.
    owing = {
        (account_id, period.period_end)
        for account_id, account_owing in selectors.owing_by_account(
            account_ids={notice.account_id for notice in latest.values()}
        ).items()
        for period in account_owing.outstanding
    }
    candidates = [n for n in latest.values() if (n.account_id, n.period_end) in owing]
    if not candidates:
        return 0
    opened = set(
        NoticeRead.objects.filter(notice__in=[n.pk for n in candidates]).values_list("notice_id", "user_id")
    )
    recipients = _recipients(
        account_ids={n.account_id for n in candidates}, privilege=Privilege.VIEW_ASSESSMENTS, today=today
    )
    todo = []
    for notice in candidates:
        for user_id, email in recipients.get(notice.account_id, []):
            if (notice.pk, user_id) not in opened:
                todo.append((notice_reminder_key(notice_id=notice.pk, user_id=user_id), notice, email))
    done = _already_queued([key for key, *_ in todo])
    queued = 0
    for key, notice, email in todo:
        if key in done:
            continue
        account = notice.account
        due_on = notice.assessment.payment_due_on
        url = _url("notice_list", number=account.number)
        email_queue(
            to=[email],
            subject=f"TRACS: unopened {notice.title.lower()} for account {account.number}, {notice.period.label}",
            body=(
                f"A {notice.title.lower()} for account {account.number} ({account.display_name}), period "
                f"{notice.period.label}, has not been opened by you yet. "
                f"Payment for the period is due on or before {due_on:%B %-d, %Y}.\n\n"
                f"Notice number: {notice.reference}\n"
                f"Date of notice: {notice.issued_on:%Y-%m-%d}\n\n"
                f"Sign in to TRACS to read it: {url}\n\n"
                "For your security this e-mail does not include the notice or its amounts."
            ),
            purpose=NOTICE_PURPOSE,
            dedupe_key=key,
        )
        queued += 1
    return queued


@transaction.atomic
def reminders_send(*, today: date | None = None) -> Sent:
    """The daily job: both kinds of reminder, in one transaction (the e-mails leave once it commits)."""
    today = today or timezone.localdate()
    return Sent(
        returns=return_reminders_send(today=today, days=settings.TRACS_RETURN_REMINDER_DAYS),
        notices=notice_reminders_send(today=today, days=settings.TRACS_NOTICE_REMINDER_DAYS),
    )
