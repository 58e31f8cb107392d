"""Returns are filed through the services, as people file them."""

from datetime import datetime
from zoneinfo import ZoneInfo

from accounts.actors import Actor, Door
from filings.periods import Period
from filings.services import return_amend, return_submit
from filings.tax import LineInput

EDMONTON = ZoneInfo("America/Edmonton")


def edmonton(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    """A moment in Alberta, for time_machine: deadlines are kept by the date in Edmonton."""
    return datetime(year, month, day, hour, minute, tzinfo=EDMONTON)


def lines_of(**litres_by_key) -> list[LineInput]:
    """`lines_of(clear_gasoline__taxable="100000")` -> [LineInput(...)]."""
    result = []
    for key, litres in litres_by_key.items():
        fuel, category = key.split("__")
        result.append(LineInput(fuel=fuel, category=category, litres=litres))
    return result


def filer_actor(user, capacity="owner") -> Actor:
    """What a filing page passes its service (request.actor): the person, through the portal, in their role."""
    return Actor(user=user, door=Door.WEB, capacity=capacity)


def status_actor(user=None) -> Actor:
    """Who moves a return's or claim's status: a member of staff in Django admin, or (no user) an assessment
    made by a job."""
    return Actor.job("test") if user is None else Actor(user=user, door=Door.ADMIN)


def file_return(*, account, period: str, user, capacity="owner", **litres_by_key):
    return return_submit(
        account=account,
        period_end=Period.from_key(period).end,
        lines=lines_of(**litres_by_key),
        certified_name=user.display_name,
        certified_capacity="Controller",
        actor=filer_actor(user, capacity),
    )


def amend_return(*, original, user, capacity="owner", **litres_by_key):
    return return_amend(
        original=original,
        lines=lines_of(**litres_by_key),
        certified_name=user.display_name,
        certified_capacity="Controller",
        actor=filer_actor(user, capacity),
    )
