"""Demo tourism levy data for `make run`: Rocky Mountain Lodging Ltd., a hotel operator (Hana Hotelier, its owner)
with two establishments, each its own account: the Bow River Inn, filing monthly, and the Cascade Chalets, filing
quarterly. A year of returns up to the last period whose due date has passed, each received a few days before
its due date, except the inn's month before last, received 12 days late; the inn's returns report stays of 28
days or more in winter (crews on long contracts), and the chalets' shoulder-season quarter is a nil return.
Each return is filed at the moment it happened (accounts.demo.as_of), through the service, as the owner.
Idempotent: nothing is added to an operator that has returns already."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import partial
from zoneinfo import ZoneInfo

from django.utils import timezone

from accounts.actors import Actor
from accounts.demo import as_of
from accounts.models import User
from consent.models import Grant
from filings.definitions.tourism_levy import TOURISM_LEVY_RETURN
from filings.models import TourismLevyReturn
from filings.periods import Period, PeriodKind
from filings.services_tourism_levy import tourism_levy_return_submit
from filings.tourism_levy import LevyInput
from programs.models import AccountFrequency, Address, Program, ProgramAccount, Taxpayer
from programs.services.accounts import account_open

EDMONTON = ZoneInfo("America/Edmonton")
BIN = "567891234"
LEGAL_NAME = "Rocky Mountain Lodging Ltd."
INN, CHALETS = "Bow River Inn", "Cascade Chalets"
MAILING = {"line1": "101 Banff Avenue", "city": "Banff", "province": "AB", "postal_code": "T1L 1A1"}
DAYS_EARLY, DAYS_LATE = 3, 12
YEAR = 12  # months of returns


def _last_due(today: date, kind: PeriodKind) -> Period:
    """The latest period of `kind` whose due date has passed by `today`."""
    period = Period.of(today, kind).previous()
    while TOURISM_LEVY_RETURN.due_on(period) >= today:
        period = period.previous()
    return period


def _establishment(taxpayer: Taxpayer, *, name: str, opened: date, quarterly: bool) -> ProgramAccount:
    account = ProgramAccount.objects.filter(taxpayer=taxpayer, trade_name=name).first()
    if account is None:
        account = account_open(
            taxpayer=taxpayer,
            program=Program.objects.get(code=TOURISM_LEVY_RETURN.program),
            effective_date=opened,
            trade_name=name,
            mailing_address=MAILING,
            actor=Actor.job("demo data"),
        )
        Address.objects.get_or_create(account=account, kind=Address.Kind.MAILING, defaults=MAILING)
        if quarterly:
            AccountFrequency.objects.create(
                account=account,
                frequency=AccountFrequency.Frequency.QUARTERLY,
                effective_from=opened,
                reason="Registered as a quarterly filer",
            )
    return account


def _owner(account: ProgramAccount, user: User) -> None:
    Grant.objects.get_or_create(
        account=account,
        user=user,
        status=Grant.Status.ACTIVE,
        defaults={
            "role": Grant.Role.OWNER,
            "name": user.display_name,
            "email": user.email,
            "activated_at": timezone.now(),
        },
    )


def _figures(period: Period, index: int) -> LevyInput:
    """A month's (or a quarter's) stays: more in summer; long stays (28 days or more) in the winter months."""
    if period.kind is PeriodKind.QUARTERLY and period.quarter == 2:
        return LevyInput(gross_revenue="0", exempt={})  # the chalets close for the spring: a nil return
    months = 3 if period.kind is PeriodKind.QUARTERLY else 1
    gross = Decimal(24_000 + 2_500 * (index % 4)) * months
    exempt = {"long_stay": str(Decimal(6_200) * months)} if period.start.month in (1, 2, 11, 12) else {}
    taxable = gross - sum((Decimal(value) for value in exempt.values()), start=Decimal(0))
    return LevyInput(gross_revenue=str(gross), exempt=exempt, levy_collected=str(taxable * Decimal("0.04")))


def _file(*, account: ProgramAccount, owner: User, period: Period, index: int) -> None:
    tourism_levy_return_submit(
        account=account,
        period=period,
        levy_input=_figures(period, index),
        certified_name=owner.display_name,
        certified_capacity="Owner",
        actor=Actor.job("demo data", user=owner).acting_for(capacity="owner"),
    )


def seed(*, users) -> None:
    owner = users.get("operator")
    if owner is None:
        return
    today = timezone.localdate()
    last_month, last_quarter = _last_due(today, PeriodKind.MONTHLY), _last_due(today, PeriodKind.QUARTERLY)
    first_month, first_quarter = last_month, last_quarter
    for _ in range(YEAR - 1):
        first_month = first_month.previous()
    for _ in range(YEAR // 3 - 1):
        first_quarter = first_quarter.previous()
    taxpayer, _ = Taxpayer.objects.get_or_create(bin=BIN, defaults={"legal_name": LEGAL_NAME})
    inn = _establishment(taxpayer, name=INN, opened=first_month.start, quarterly=False)
    chalets = _establishment(taxpayer, name=CHALETS, opened=first_quarter.start, quarterly=True)
    for account in (inn, chalets):
        _owner(account, owner)
    if TourismLevyReturn.objects.filter(account__taxpayer=taxpayer).exists():
        return
    late = last_month.previous()
    events: list[tuple[datetime, Callable[[], None]]] = []
    for account, first, last in ((inn, first_month, last_month), (chalets, first_quarter, last_quarter)):
        period, index = first, 0
        while period <= last:
            due = TOURISM_LEVY_RETURN.due_on(period)
            day = (
                due + timedelta(days=DAYS_LATE)
                if period == late and account == inn
                else due - timedelta(DAYS_EARLY)
            )
            moment = datetime.combine(day, time(10, 15), tzinfo=EDMONTON)
            events.append((moment, partial(_file, account=account, owner=owner, period=period, index=index)))
            period, index = period.next(), index + 1
    for moment, event in sorted(events, key=lambda pair: pair[0]):
        with as_of(moment):
            event()
