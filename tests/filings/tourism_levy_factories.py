"""A hotel operator with establishments (one tourism levy account each), and their returns filed through the
service, as people file them."""

from datetime import date

from filings.periods import Period, PeriodKind
from filings.services_tourism_levy import tourism_levy_return_submit
from filings.tourism_levy import LevyInput
from programs.models import AccountFrequency
from tests.consent.factories import ProgramAccountFactory, TaxpayerFactory
from tests.filings.factories import filer_actor


def establishment(*, taxpayer=None, name="Lakeview Inn", opened=date(2021, 1, 1), quarterly_from=None):
    """An establishment's account: monthly, or quarterly from `quarterly_from` (the first day of a quarter)."""
    account = ProgramAccountFactory(
        taxpayer=taxpayer or TaxpayerFactory(legal_name="Rocky Lodging Ltd."),
        program="tourism_levy",
        trade_name=name,
        effective_date=opened,
    )
    if quarterly_from is not None:
        AccountFrequency.objects.create(
            account=account, frequency=AccountFrequency.Frequency.QUARTERLY, effective_from=quarterly_from
        )
    return account


def period_of(key: str) -> Period:
    return Period.from_key(key, PeriodKind.QUARTERLY if "Q" in key else PeriodKind.MONTHLY)


def file_levy_return(*, account, period: str, user, gross="", collected="", kept="", **exempt):
    return tourism_levy_return_submit(
        account=account,
        period=period_of(period),
        levy_input=LevyInput(
            gross_revenue=gross, exempt=exempt, levy_collected=collected, levy_collected_abated=kept
        ),
        certified_name=user.display_name,
        certified_capacity="Manager",
        actor=filer_actor(user),
    )
