"""Demo taxpayers and program accounts (idempotent)."""

from datetime import date

from django.utils import timezone

from accounts.actors import Actor
from programs.models import Address, BulkFuelLocation, Program, ProgramAccount, Taxpayer
from programs.services.accounts import account_open

PRAIRIE_HISTORY_MONTHS = 17


def prairie_opened_on(today: date) -> date:
    """Prairie Fuels' accounts opened on the first day of the month 17 months before the demo is loaded, so its
    history (filings.demo) always ends where the demo is looked at, whatever the year."""
    months = today.year * 12 + today.month - 1 - PRAIRIE_HISTORY_MONTHS
    return date(months // 12, months % 12 + 1, 1)


TAXPAYERS = [
    ("123456789", "Prairie Fuels Ltd.", [("fuel_tax", None), ("tefs", None)]),
    ("234567891", "Foothills Cardlock Co-op", [("fuel_tax", date(2022, 1, 1))]),
    (
        "345678912",
        "Peace Country Farm Supply Inc.",
        [("tefs", date(2020, 6, 1)), ("carbon_levy", date(2018, 1, 1))],
    ),
]
MAILING = {"line1": "10020 100 Street NW", "city": "Edmonton", "province": "AB", "postal_code": "T5J 0N3"}


def seed(*, users) -> None:
    for bin_, name, accounts in TAXPAYERS:
        taxpayer, _ = Taxpayer.objects.get_or_create(bin=bin_, defaults={"legal_name": name})
        for code, effective in accounts:
            program = Program.objects.get(code=code)
            account = ProgramAccount.objects.filter(taxpayer=taxpayer, program=program).first()
            if account is None:
                effective = effective or prairie_opened_on(timezone.localdate())
                account = account_open(
                    taxpayer=taxpayer,
                    program=program,
                    effective_date=effective,
                    mailing_address=MAILING,
                    actor=Actor.job("demo data"),
                )
            Address.objects.get_or_create(account=account, kind=Address.Kind.MAILING, defaults=MAILING)
            if code == "tefs":
                BulkFuelLocation.objects.get_or_create(
                    number=f"B{bin_[-6:]}",
                    defaults={
                        "account": account,
                        "name": f"{name} bulk plant",
                        "address": "Highway 2, Leduc County AB",
                    },
                )
