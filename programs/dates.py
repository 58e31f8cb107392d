"""Date rules: business days (weekends and Alberta statutory holidays are not), kept as data in
programs/reference/holidays.yaml. Every due date in the portal passes through `next_business_day`."""

from __future__ import annotations

import functools
from datetime import date, timedelta
from pathlib import Path

import yaml

HOLIDAYS_FILE = Path(__file__).resolve().parent / "reference" / "holidays.yaml"


@functools.cache
def holidays() -> dict[date, str]:
    data = yaml.safe_load(HOLIDAYS_FILE.read_text())
    return {item["date"]: item["name"] for item in data["holidays"]}


def is_business_day(day: date) -> bool:
    return day.weekday() < 5 and day not in holidays()


def next_business_day(day: date) -> date:
    """`day` itself if TRA is open that day, else the first business day after it."""
    while not is_business_day(day):
        day += timedelta(days=1)
    return day
