"""The rules of claims as dated data (filings/rules/*.yaml): windows, inventory declarations and service
standards, their arithmetic and the validation of the files."""

from datetime import date
from decimal import Decimal

import pytest

from filings import claim_rules
from filings.claim_rules import RuleDataError, Window
from programs.rates import rate_on


@pytest.mark.parametrize(
    ("rule", "count", "anchor", "deadline"),
    [
        ("years_after_end_of_year", 3, date(2021, 6, 10), date(2024, 12, 31)),
        ("years_after_end_of_year", 3, date(2021, 1, 1), date(2024, 12, 31)),
        ("years_after_end_of_year", 3, date(2021, 12, 31), date(2024, 12, 31)),
        ("years_after_end_of_year", 4, date(2019, 5, 29), date(2023, 12, 31)),
        ("years_after", 1, date(2024, 3, 15), date(2025, 3, 15)),
        ("years_after", 1, date(2024, 2, 29), date(2025, 2, 28)),
        ("days_after", 90, date(2024, 5, 1), date(2024, 7, 30)),
        ("days_after", 90, date(2023, 12, 1), date(2024, 2, 29)),
    ],
)
def test_window_deadlines(rule, count, anchor, deadline):
    """years_after_end_of_year N: 31 December of (anchor year + N): 2021-06-10, 3 -> 2024-12-31 whatever the
    day in 2021; 2019-05-29, 4 -> 2023-12-31.
    years_after N: the same day N years on: 2024-03-15 -> 2025-03-15; 2024-02-29 -> 2025-02-28 (no 29th).
    days_after N: anchor + N days: 2024-05-01 + 90 = 30 (to May 31) + 30 (June) + 30 (to July 30) -> 2024-07-30;
    2023-12-01 + 90 = 30 (to Dec 31) + 31 (January) + 29 (February, a leap year) -> 2024-02-29."""
    window = Window(effective_from=date(2007, 4, 1), anchor="purchase", rule=rule, count=count, source="test")
    assert window.deadline(anchor) == deadline


def test_the_reasons_of_the_seed_page_each_with_its_window():
    """Fuel tax seed page, "Eligibility for a fuel tax rebate or refund": stolen or destroyed, contamination,
    bad debt, rebranded to a lower rate, exported in bulk; TRA's refund page: bad debt 90 days, theft or
    destruction 1 year (from the event); the default 3 years from the end of the year of purchase."""
    reasons = claim_rules.refund_reasons()
    assert list(reasons) == ["stolen_or_destroyed", "contaminated", "bad_debt", "rebranded", "exported_bulk"]
    today = date(2026, 1, 1)
    summary = {code: (w.anchor, w.rule, w.count) for code, r in reasons.items() for w in [r.window_on(today)]}
    assert summary == {
        "stolen_or_destroyed": ("event", "years_after", 1),
        "contaminated": ("event", "years_after_end_of_year", 3),
        "bad_debt": ("event", "days_after", 90),
        "rebranded": ("purchase", "years_after_end_of_year", 3),
        "exported_bulk": ("purchase", "years_after_end_of_year", 3),
    }
    assert all(window.source for reason in reasons.values() for window in reason.windows)
    assert reasons["bad_debt"].needs_event_date
    assert not reasons["exported_bulk"].needs_event_date
    carbon = claim_rules.carbon_levy_reason().window_on(today)
    assert (carbon.anchor, carbon.rule, carbon.count) == ("purchase", "years_after_end_of_year", 4)


def test_no_window_before_the_first_is_in_force():
    assert claim_rules.carbon_levy_reason().window_on(date(2016, 12, 31)) is None


def test_the_inventory_declaration_of_the_fuel_tax_relief():
    """$0.13/L clear and $0.04/L marked, held on 2022-04-01, received on or before 2023-03-31, by cheque:
    exactly the rates in force the day before the relief (programs/rates/fuel_tax.yaml) less the relief's 0."""
    (declaration,) = claim_rules.inventory_declarations()
    assert declaration.inventory_date == date(2022, 4, 1)
    assert declaration.receive_by == date(2023, 3, 31)
    assert declaration.refund_method == "cheque"
    assert declaration.rates == {
        "clear_gasoline": Decimal("0.13"),
        "clear_diesel": Decimal("0.13"),
        "marked_gasoline": Decimal("0.04"),
        "marked_diesel": Decimal("0.04"),
    }
    for fuel, refund in declaration.rates.items():
        before = rate_on(fuel=fuel, day=date(2022, 3, 31)).value
        after = rate_on(fuel=fuel, day=date(2022, 4, 1)).value
        assert refund == before - after


@pytest.mark.parametrize(
    ("received", "open_"),
    [
        (date(2022, 3, 31), False),
        (date(2022, 4, 1), True),
        (date(2023, 3, 31), True),
        (date(2023, 4, 1), False),
    ],
)
def test_inventory_declaration_open_between_its_dates(received, open_):
    assert (claim_rules.inventory_declaration_open_on(received) is not None) is open_


@pytest.mark.parametrize(
    ("program", "item", "received", "expected"),
    [
        ("fuel_tax", "return", date(2024, 1, 31), date(2024, 3, 1)),
        ("fuel_tax", "claim", date(2024, 1, 31), date(2024, 3, 31)),
        ("carbon_levy", "claim", date(2019, 6, 1), date(2019, 7, 31)),
        ("carbon_levy", "return", date(2019, 6, 1), None),
        ("tefs", "return", date(2024, 1, 1), date(2024, 1, 31)),
    ],
)
def test_expected_processing_date_from_the_service_standard(program, item, received, expected):
    """Fuel tax returns 30 days: 2024-01-31 + 30 = 2024-03-01 (29 days of February 2024, then 1); claims 60
    days: 2024-01-31 + 60 = 2024-03-31; carbon levy claims 60: 2019-06-01 + 60 = 2019-07-31. No standard for
    the item: no date."""
    assert claim_rules.expected_processing_on(program=program, item=item, received_on=received) == expected


def test_a_new_service_standard_applies_from_its_date(tmp_path, monkeypatch):
    """A changed standard is a new entry: items received before it keep the date promised to them."""
    path = tmp_path / "standards.yaml"
    path.write_text(
        "references: {s: 'a source'}\n"
        "standards:\n  fuel_tax:\n    return:\n"
        "      - {from: 2007-04-01, days: 30, source: s}\n      - {from: 2025-01-01, days: 20, source: s}\n"
    )
    monkeypatch.setattr(claim_rules, "STANDARDS_FILE", path)
    claim_rules.service_standards.cache_clear()
    try:
        assert claim_rules.expected_processing_on(
            program="fuel_tax", item="return", received_on=date(2024, 12, 31)
        ) == date(2025, 1, 30)
        assert claim_rules.expected_processing_on(
            program="fuel_tax", item="return", received_on=date(2025, 1, 1)
        ) == date(2025, 1, 21)
    finally:
        claim_rules.service_standards.cache_clear()


BAD_WINDOWS = [
    ("references: {}\nkinds: {}\n", "no windows for"),
    (
        "references: {s: x}\nkinds:\n  fuel_tax_refund:\n    reasons:\n      a: {label: A, windows: [{from: 2020-01-01, anchor: purchase, rule: weeks_after, count: 1, source: s}]}\n",
        "rule must be",
    ),
    (
        "references: {s: x}\nkinds:\n  fuel_tax_refund:\n    reasons:\n      a: {label: A, windows: [{from: 2020-01-01, anchor: delivery, rule: days_after, count: 1, source: s}]}\n",
        "anchor must be",
    ),
    (
        "references: {s: x}\nkinds:\n  fuel_tax_refund:\n    reasons:\n      a: {label: A, windows: [{from: 2020-01-01, anchor: purchase, rule: days_after, count: 0, source: s}]}\n",
        "count must be",
    ),
    (
        "references: {s: x}\nkinds:\n  fuel_tax_refund:\n    reasons:\n      a: {label: A, windows: [{from: 2020-01-01, anchor: purchase, rule: days_after, count: 5, source: t}]}\n",
        "not in references",
    ),
    (
        "references: {s: x}\nkinds:\n  fuel_tax_refund:\n    reasons:\n      a: {label: A, windows: [{from: 2020-01-01, anchor: event, rule: days_after, count: 5, source: s}]}\n",
        "needs an event_label",
    ),
    (
        "references: {s: x}\nkinds:\n  fuel_tax_refund:\n    reasons:\n      a: {label: A, windows: [{from: 2021-01-01, anchor: purchase, rule: days_after, count: 5, source: s}, {from: 2020-01-01, anchor: purchase, rule: days_after, count: 5, source: s}]}\n",
        "strictly increasing",
    ),
    (
        "references: {s: x}\nkinds:\n  fuel_tax_refund:\n    reasons:\n      a: {label: A, windows: [{from: soon, anchor: purchase, rule: days_after, count: 5, source: s}]}\n",
        "expected a date",
    ),
    (
        "references: {s: x}\nkinds:\n  carbon_levy:\n    windows: [{from: 2020-01-01, anchor: event, rule: days_after, count: 5, source: s}]\n",
        "runs from the purchase",
    ),
    ("kinds: {}\n", "missing"),
]


@pytest.mark.parametrize(("text", "message"), BAD_WINDOWS)
def test_a_malformed_windows_file_is_refused(tmp_path, text, message):
    path = tmp_path / "windows.yaml"
    path.write_text(text)
    with pytest.raises(RuleDataError, match=message):
        claim_rules._parse_windows(path)


BAD_INVENTORY = [
    ("declarations: []\n", "missing"),
    (
        "references: {s: x}\ndeclarations:\n  - {inventory_date: 2022-04-01, label: L, opens_on: 2022-04-01, receive_by: 2023-03-31, refund_method: cash, source: s, rates: {a: '0.1'}}\n",
        "refund_method",
    ),
    (
        "references: {s: x}\ndeclarations:\n  - {inventory_date: 2022-04-01, label: L, opens_on: 2022-04-01, receive_by: 2023-03-31, refund_method: cheque, source: s, rates: {a: 0.1}}\n",
        "quoted decimals",
    ),
    (
        "references: {s: x}\ndeclarations:\n  - {inventory_date: 2022-04-01, label: L, opens_on: 2022-04-01, receive_by: 2023-03-31, refund_method: cheque, source: s, rates: {a: 'x'}}\n",
        "not a number",
    ),
    (
        "references: {s: x}\ndeclarations:\n  - {inventory_date: 2022-04-01, label: L, opens_on: 2022-04-01, receive_by: 2023-03-31, refund_method: cheque, source: s, rates: {a: '0'}}\n",
        "must be positive",
    ),
    (
        "references: {s: x}\ndeclarations:\n  - {inventory_date: 2022-04-01, label: L, opens_on: 2022-04-01, receive_by: 2021-03-31, refund_method: cheque, source: s, rates: {a: '0.1'}}\n",
        "must not precede",
    ),
    (
        "references: {s: x}\ndeclarations:\n  - {inventory_date: 2022-04-01, label: L, opens_on: 2022-04-01, receive_by: 2023-03-31, refund_method: cheque, source: t, rates: {a: '0.1'}}\n",
        "not in references",
    ),
    (
        "references: {s: x}\ndeclarations:\n  - {inventory_date: 2022-04-01, label: L, opens_on: 2022-04-01, receive_by: 2023-03-31, refund_method: cheque, source: s, rates: {a: '0.1'}}\n  - {inventory_date: 2022-04-01, label: L, opens_on: 2022-04-01, receive_by: 2023-03-31, refund_method: cheque, source: s, rates: {a: '0.1'}}\n",
        "strictly increasing",
    ),
]


@pytest.mark.parametrize(("text", "message"), BAD_INVENTORY)
def test_a_malformed_inventory_file_is_refused(tmp_path, text, message):
    path = tmp_path / "inventory.yaml"
    path.write_text(text)
    with pytest.raises(RuleDataError, match=message):
        claim_rules._parse_inventory(path)


BAD_STANDARDS = [
    ("standards: {}\n", "missing"),
    (
        "references: {s: x}\nstandards:\n  fuel_tax:\n    objection: [{from: 2020-01-01, days: 5, source: s}]\n",
        "items are",
    ),
    (
        "references: {s: x}\nstandards:\n  fuel_tax:\n    return: [{from: 2020-01-01, days: 0, source: s}]\n",
        "days must be",
    ),
    (
        "references: {s: x}\nstandards:\n  fuel_tax:\n    return: [{from: 2020-01-01, days: 5, source: t}]\n",
        "not in references",
    ),
    ("references: {s: x}\nstandards:\n  fuel_tax:\n    return: []\n", "strictly increasing"),
]


@pytest.mark.parametrize(("text", "message"), BAD_STANDARDS)
def test_a_malformed_standards_file_is_refused(tmp_path, text, message):
    path = tmp_path / "standards.yaml"
    path.write_text(text)
    with pytest.raises(RuleDataError, match=message):
        claim_rules._parse_standards(path)


def test_the_shipped_files_are_valid():
    claim_rules.validate_all()
