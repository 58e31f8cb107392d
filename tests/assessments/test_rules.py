"""The dated rules of assessment (assessments/rules/*.yaml): values by date with their source, validated at
start-up, read with rule_on; tested on the day before, on and after a change."""

from datetime import date
from decimal import Decimal

import pytest

from assessments import rules

GOOD = """
references:
  src: "A source"
rules:
  tolerance:
    unit: dollars
    values:
      - {from: 2015-04-01, value: "20.00", source: src}
      - {from: 2030-01-01, value: "25.00", source: src}
      - {from: 2031-01-01, value: null, source: src}
"""


def test_the_shipped_rules_load_with_their_sources():
    tolerance = rules.rule_on(rule=rules.ASSESSMENT_TOLERANCE, day=date(2021, 6, 30))
    assert tolerance.value == Decimal("20.00")
    assert "neither collected nor refunded" in tolerance.source
    assert rules.rule_on(rule=rules.OBJECTION_DAYS, day=date(2021, 7, 10)).value == Decimal("90")


def test_a_value_applies_from_its_date(tmp_path):
    (tmp_path / "a.yaml").write_text(GOOD)
    loaded = rules.load(tmp_path)["tolerance"]
    by_day = {row.effective_from: row.value for row in loaded.values}
    assert by_day == {
        date(2015, 4, 1): Decimal("20.00"),
        date(2030, 1, 1): Decimal("25.00"),
        date(2031, 1, 1): None,
    }


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2029, 12, 31), Decimal("20.00")),
        (date(2030, 1, 1), Decimal("25.00")),
        (date(2030, 1, 2), Decimal("25.00")),
    ],
)
def test_rule_on_the_day_before_on_and_after_a_change(tmp_path, day, expected):
    (tmp_path / "a.yaml").write_text(GOOD)
    table = rules.load(tmp_path)
    assert rules.rule_on(rule="tolerance", day=day, table=table).value == expected
    with pytest.raises(rules.RuleNotFound):
        rules.rule_on(rule="tolerance", day=date(2015, 3, 31), table=table)
    with pytest.raises(rules.RuleNotFound):
        rules.rule_on(rule="unknown", day=day, table=table)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            GOOD.replace("source: src}\n      - {from: 2030", "source: nowhere}\n      - {from: 2030"),
            "is not in references",
        ),
        (GOOD.replace('"20.00"', "20.00"), "quoted decimals"),
        (GOOD.replace('"20.00"', '"-1"'), "cannot be negative"),
        (GOOD.replace('"20.00"', '"twenty"'), "is not a number"),
        (GOOD.replace("2030-01-01", "2014-01-01"), "strictly increasing"),
        (GOOD.replace("from: 2015-04-01", "from: soon"), "must be a date"),
        ("rules: {}\n", "missing"),
    ],
)
def test_a_malformed_file_is_refused(tmp_path, text, message):
    (tmp_path / "a.yaml").write_text(text)
    with pytest.raises(rules.RuleDataError, match=message):
        rules.load(tmp_path)


def test_a_rule_is_defined_once(tmp_path):
    (tmp_path / "a.yaml").write_text(GOOD)
    (tmp_path / "b.yaml").write_text(GOOD)
    with pytest.raises(rules.RuleDataError, match="already defined"):
        rules.load(tmp_path)


@pytest.mark.parametrize(
    ("day", "years", "expected"),
    [
        (date(2023, 2, 28), 1, date(2024, 2, 28)),
        (date(2024, 2, 28), 1, date(2025, 2, 28)),
        (date(2024, 2, 29), 1, date(2025, 2, 28)),  # no 29 February in 2025: the last day of February
        (date(2024, 2, 29), 4, date(2028, 2, 29)),
        (date(2024, 3, 1), 1, date(2025, 3, 1)),
    ],
)
def test_a_year_after_is_the_same_calendar_date(day, years, expected):
    """The Interpretation Act's period of months: the day with the same number, or the month's last day."""
    assert rules.years_after(day, years) == expected
