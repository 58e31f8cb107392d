"""Demo taxpayers and program accounts (idempotent)."""

import io
from datetime import date, timedelta

from django.utils import timezone

from accounts.actors import Actor, Door
from programs.models import Address, BulkFuelLocation, ExemptionCertificate, Program, ProgramAccount, Taxpayer
from programs.registries import services as registry_services
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
    # A historical PROP claimant (assessments/demo_prop.py files and assesses its claims of 2007 to 2011).
    ("456789123", "Muskeg Fluid Hauling Ltd.", [("prop", date(2006, 11, 29))]),
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

    seed_registry(today=timezone.localdate())


def registry_rows(*, today: date) -> list[list[str]]:
    """The demo's exemption registry (README, "Check AFFB/TEFU Eligibility"), dated from `today` so each number
    says the same whatever the day the demo is loaded: F1000001 an active farmer, T2000001 a county's TEFU with
    its carbon levy exemption certificate CL3000001 (since 2018: check a 2018 date for the levy exemption),
    T2000002 suspended a month ago, F1000002 cancelled, F1000003 an AFFB not renewed (3 years and 2 months old)."""
    farmer_since = today - timedelta(days=365)
    lapsed_since = today - timedelta(days=3 * 365 + 60)
    address = ["RR 2", "", "Lacombe", "AB", "T4L 2N2"]
    return [
        ["register", "F1000001", farmer_since.isoformat(), "DEMO-1", "Prairie Acres Farm", *address, ""],
        [
            "register",
            "T2000001",
            "2018-01-15",
            "DEMO-2",
            "County of Leduc Roads",
            "1101 5 Street",
            "",
            "Nisku",
            "AB",
            "T9E 2X3",
            "",
        ],
        ["register", "CL3000001", "2018-01-15", "DEMO-2", "", "", "", "", "", "", ""],
        [
            "register",
            "T2000002",
            "2021-05-01",
            "DEMO-3",
            "Northern Heating Ltd.",
            "9 Main Street",
            "",
            "Athabasca",
            "AB",
            "T9S 1A1",
            "",
        ],
        [
            "suspend",
            "T2000002",
            (today - timedelta(days=30)).isoformat(),
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "Under audit",
        ],
        ["register", "F1000002", "2023-01-10", "DEMO-4", "Old Quarter Farm", *address, ""],
        ["cancel", "F1000002", "2024-06-30", "", "", "", "", "", "", "", "No longer farming"],
        ["register", "F1000003", lapsed_since.isoformat(), "DEMO-5", "Willow Creek Ranch", *address, ""],
    ]


def seed_registry(*, today: date) -> None:
    """Load the demo registry once, through the registry's own import (so it obeys the same rules)."""
    if ExemptionCertificate.objects.exists():
        return
    lines = [",".join(registry_services.HEADER), *(",".join(row) for row in registry_rows(today=today))]
    result = registry_services.registry_file_import(
        stream=io.BytesIO("\n".join(lines).encode()),
        filename=f"demo-registry-{today.isoformat()}.csv",
        actor=Actor.job("demo data", door=Door.FILE),
    )
    if not result.stored:
        raise RuntimeError(f"The demo registry did not import: {[str(e) for e in result.errors]}")
