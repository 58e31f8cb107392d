"""The check of a return file (filings.xml.validator): the web form's rules through the same service, and the
schedule's own rules (totals agree with the lines, dates within the period). Nothing is ever stored."""

import io
from datetime import date
from decimal import Decimal

import pytest

from accounts.models import AccessLogEntry
from filings.models import FuelTaxReturn
from filings.services import NOT_A_FUEL_TAX_ACCOUNT, PERIOD_BEFORE_ACCOUNT
from filings.tax import DUPLICATE_LINE
from filings.xml.schema import SAMPLE_PATH
from filings.xml.validator import (
    SCHEDULE_DISAGREES,
    SCHEDULE_WITHOUT_LINE,
    TRANSACTION_OUTSIDE_PERIOD,
    xml_return_check,
)
from filings.xml.writer import XmlLine, XmlTransaction, return_xml
from tests.consent.factories import ProgramAccountFactory, TaxpayerFactory

TODAY = date(2024, 8, 15)


def transaction(litres, fuel="clear_gasoline", category="taxable", day="2024-06-10", number="INV-1"):
    return XmlTransaction(day, number, "BIN 234567891", fuel, category, litres)


def check(account, lines, transactions=None, period="2024-06"):
    content = return_xml(account_number=account.number, period=period, lines=lines, transactions=transactions)
    return xml_return_check(account=account, source=io.BytesIO(content), today=TODAY)


def errors(result):
    return [(error.line, error.path, error.message) for error in result.errors.items]


@pytest.fixture
def account(db):
    return ProgramAccountFactory(effective_date=date(2021, 1, 1))


def test_the_sample_file_checks_clean(db):
    account = ProgramAccountFactory(
        taxpayer=TaxpayerFactory(bin="123456789"), effective_date=date(2021, 1, 1)
    )
    log_rows = AccessLogEntry.objects.count()
    result = xml_return_check(account=account, source=SAMPLE_PATH, today=TODAY)
    assert errors(result) == []
    assert result.ok
    assert result.period.key == "2024-06"
    assert result.transaction_count == 7
    assert result.computation.total == Decimal("20300.07")
    assert result.schedule["clear_gasoline__taxable"].litres == Decimal("100000")
    assert result.schedule["clear_gasoline__taxable"].count == 2
    assert not FuelTaxReturn.objects.exists()
    assert AccessLogEntry.objects.count() == log_rows  # a check writes nothing at all


def test_schedule_totals_must_equal_the_lines(account):
    result = check(
        account,
        lines=[
            XmlLine("clear_gasoline", "taxable", "100"),
            XmlLine("propane", "taxable", "5"),
            XmlLine("clear_diesel", "taxable", "0"),
        ],
        transactions=[
            transaction("60"),
            transaction("30.5"),
            transaction("7", fuel="marked_diesel"),
            transaction("7", fuel="marked_diesel", number="INV-2"),
        ],
    )
    assert not result.ok
    assert result.computation is None
    assert errors(result) == [
        (
            8,
            "/FuelTaxReturn/Lines/Line[1]",
            str(
                SCHEDULE_DISAGREES
                % {
                    "fuel": "Clear gasoline",
                    "category": "Taxable sales and removals",
                    "schedule": "90.5",
                    "count": 2,
                    "transactions": "2",
                    "line": "100",
                }
            ),
        ),
        (
            13,
            "/FuelTaxReturn/Lines/Line[2]",
            str(
                SCHEDULE_DISAGREES
                % {
                    "fuel": "Propane",
                    "category": "Taxable sales and removals",
                    "schedule": "0",
                    "count": 0,
                    "transactions": "0",
                    "line": "5",
                }
            ),
        ),
        (
            41,
            "/FuelTaxReturn/Schedule/Transaction[3]",
            str(
                SCHEDULE_WITHOUT_LINE
                % {
                    "fuel": "Marked diesel",
                    "category": "Taxable sales and removals",
                    "schedule": "14",
                    "count": 2,
                    "transactions": "2",
                }
            ),
        ),
    ]


def test_schedule_totals_are_exact(account):
    """0.1 L + 0.2 L = 0.3 L exactly (Decimal, never float); the line's tax: 0.3 L x $0.13 = $0.039 -> $0.04."""
    result = check(
        account,
        lines=[XmlLine("clear_gasoline", "taxable", "0.3")],
        transactions=[transaction("0.1"), transaction("0.2", number="INV-2")],
    )
    assert errors(result) == []
    assert result.schedule["clear_gasoline__taxable"].litres == Decimal("0.3")
    assert result.computation.total == Decimal("0.04")


def test_transactions_outside_the_period_and_fuel_category_mismatch(account):
    result = check(
        account,
        lines=[XmlLine("clear_gasoline", "taxable", "10")],
        transactions=[
            transaction("5", day="2024-07-01"),
            transaction("5", day="2024-05-31", number="INV-2"),
            transaction("1", fuel="propane", category="railway", number="INV-3"),
        ],
    )
    assert errors(result) == [
        (
            15,
            "/FuelTaxReturn/Schedule/Transaction[1]",
            str(TRANSACTION_OUTSIDE_PERIOD % {"date": "2024-07-01", "period": "June 2024"}),
        ),
        (
            23,
            "/FuelTaxReturn/Schedule/Transaction[2]",
            str(TRANSACTION_OUTSIDE_PERIOD % {"date": "2024-05-31", "period": "June 2024"}),
        ),
        (31, "/FuelTaxReturn/Schedule/Transaction[3]", "propane cannot be reported as “railway”."),
        (
            31,
            "/FuelTaxReturn/Schedule/Transaction[3]",
            str(
                SCHEDULE_WITHOUT_LINE
                % {
                    "fuel": "Propane",
                    "category": "Sold to a registered railway for use in a locomotive",
                    "schedule": "1",
                    "count": 1,
                    "transactions": "1",
                }
            ),
        ),
    ]


def test_totals_are_not_compared_when_a_record_is_invalid(account):
    """An invalid transaction is not read, so its litres are missing from the totals: comparing them would
    report a disagreement that is only a consequence of the first error."""
    result = check(
        account,
        lines=[XmlLine("clear_gasoline", "taxable", "10")],
        transactions=[transaction("5"), transaction("five", number="INV-2")],
    )
    assert [path for _line, path, _message in errors(result)] == [
        "/FuelTaxReturn/Schedule/Transaction[2]/Litres"
    ]


def test_a_duplicate_line_is_reported_by_the_service_on_each_copy(account):
    result = check(account, lines=[XmlLine("propane", "taxable", "5"), XmlLine("propane", "taxable", "6")])
    message = str(DUPLICATE_LINE % {"fuel": "propane", "category": "taxable"})
    assert errors(result) == [
        (8, "/FuelTaxReturn/Lines/Line[1]", message),
        (13, "/FuelTaxReturn/Lines/Line[2]", message),
    ]


def test_an_invalid_header_skips_the_business_checks(account):
    result = check(account, lines=[XmlLine("propane", "railway", "5")], period="2024-6")
    assert [path for _line, path, _message in errors(result)] == ["/FuelTaxReturn/Header/Period"]
    assert result.header is None


def test_a_period_before_the_account(db):
    account = ProgramAccountFactory(effective_date=date(2024, 7, 1))
    result = check(account, lines=[XmlLine("propane", "taxable", "5")])
    assert errors(result) == [
        (
            5,
            "/FuelTaxReturn/Header/Period",
            str(PERIOD_BEFORE_ACCOUNT % {"period": "June 2024", "effective": "2024-07-01"}),
        ),
    ]


def test_an_account_of_another_program(db):
    account = ProgramAccountFactory(program="tefs", effective_date=date(2021, 1, 1))
    result = check(account, lines=[])
    assert errors(result) == [
        (5, "/FuelTaxReturn/Header/Period", str(NOT_A_FUEL_TAX_ACCOUNT % {"number": account.number}))
    ]
