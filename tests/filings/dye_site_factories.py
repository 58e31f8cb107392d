"""A business registered to dye fuel: its Tax Exempt Fuel Sales account with a BFLO and a dye site approved on it,
and its reports filed through the service, as people file them."""

from datetime import date
from decimal import Decimal

from filings.definitions.dye_sites import DYE_STOCK_REPORT, LITRES_DYED_REPORT
from filings.dye_sites import DyedInput, StockInput
from filings.periods import Period
from filings.services_dye_sites import dye_report_submit
from programs.models import BulkFuelLocation, DyeSite
from tests.consent.factories import ProgramAccountFactory
from tests.filings.factories import filer_actor


def dye_site(*, account=None, name="Nisku terminal", effective=date(2026, 1, 1), bflo="400900", **criteria):
    account = account or ProgramAccountFactory(
        program="tefs", taxpayer__legal_name="Red Dye Fuels Ltd.", effective_date=date(2025, 1, 1)
    )
    location = BulkFuelLocation.objects.create(account=account, number=bflo, name=name, address="Nisku, AB")
    values = {
        "name": name,
        "line1": "NW-12-50-25-W4",
        "city": "Leduc County",
        "province": "AB",
        "storage_litres": Decimal(750_000),
        "security_features": "Fenced yard, locked gate, cameras",
        "supplied_by": ["rail", "truck"],
        "outlets": ["bulk_consumers"],
        "injector_security": "Sealed, locked injector cabinet",
        **criteria,
    }
    return DyeSite.objects.create(account=account, location=location, effective_date=effective, **values)


def file_stock(
    *, site, period: str, user, opening="0", received="0", used="0", closing="0", adjustment="", reason=""
):
    return dye_report_submit(
        definition=DYE_STOCK_REPORT,
        site=site,
        period=Period.from_key(period),
        figures=StockInput(
            opening=opening,
            received=received,
            used=used,
            closing=closing,
            adjustment=adjustment,
            adjustment_reason=reason,
        ),
        certified_name=user.display_name,
        certified_capacity="Terminal manager",
        actor=filer_actor(user),
    )


def file_dyed(*, site, period: str, user, diesel="0", gasoline="0", concentrate="0"):
    return dye_report_submit(
        definition=LITRES_DYED_REPORT,
        site=site,
        period=Period.from_key(period),
        figures=DyedInput(litres={"diesel": diesel, "gasoline": gasoline}, concentrate_used=concentrate),
        certified_name=user.display_name,
        certified_capacity="Terminal manager",
        actor=filer_actor(user),
    )
