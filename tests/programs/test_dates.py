from datetime import date

import pytest

from programs.dates import is_business_day, next_business_day


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2021, 7, 28), date(2021, 7, 28)),  # Wednesday: stays
        (date(2021, 8, 28), date(2021, 8, 30)),  # Saturday -> Monday
        (date(2021, 11, 28), date(2021, 11, 29)),  # Sunday -> Monday
        (date(2022, 2, 21), date(2022, 2, 22)),  # Alberta Family Day (Monday) -> Tuesday
        (date(2021, 12, 25), date(2021, 12, 28)),  # Christmas on Saturday, observed Monday 27th -> Tuesday
        (date(2024, 3, 29), date(2024, 4, 1)),  # Good Friday -> Monday
        (date(2025, 12, 28), date(2025, 12, 29)),  # Sunday
    ],
)
def test_next_business_day(day, expected):
    assert next_business_day(day) == expected


def test_day_before_and_after_a_holiday_are_business_days():
    assert is_business_day(date(2024, 9, 1)) is False  # Sunday
    assert is_business_day(date(2024, 9, 2)) is False  # Labour Day
    assert is_business_day(date(2024, 8, 30)) is True
    assert is_business_day(date(2024, 9, 3)) is True
