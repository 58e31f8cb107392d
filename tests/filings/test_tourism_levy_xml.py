"""A tourism levy return filed as an XML file: the XSD and the sample, the hostile-file protections, every error
(the schema's and the web form's rules, through the web form's service) beside its line, nothing stored on any
error, and the same figures as the web form."""

import io
from datetime import date
from decimal import Decimal

import pytest
import time_machine

from filings.models import TourismLevyReturn
from filings.services_tourism_levy import (
    BEFORE_OPENING,
    OTHER_ESTABLISHMENT,
    WRONG_FREQUENCY,
    TourismLevyAlreadyFiled,
)
from filings.tourism_levy import EXEMPT_MORE_THAN_REVENUE, REASON_NOT_YET, rules
from filings.xml import parser
from filings.xml.tourism_levy import reader
from filings.xml.tourism_levy.reader import SAMPLE_PATH, xml_schema
from filings.xml.tourism_levy.sample import levy_sample_xml
from filings.xml.tourism_levy.validator import ACCOUNT_MISMATCH, REASON_TWICE, xml_levy_return_check
from filings.xml.tourism_levy.writer import levy_return_xml
from tests.accounts.factories import UserFactory
from tests.consent.factories import ProgramAccountFactory, TaxpayerFactory
from tests.filings.factories import edmonton
from tests.filings.tourism_levy_factories import establishment, file_levy_return, period_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def inn():
    return establishment(name="Bow River Inn", opened=date(2021, 1, 1))


@pytest.fixture
def chalets(inn):
    return establishment(
        taxpayer=inn.taxpayer,
        name="Cascade Chalets",
        opened=date(2021, 1, 1),
        quarterly_from=date(2021, 1, 1),
    )


def check(account, content: bytes):
    return xml_levy_return_check(account=account, source=io.BytesIO(content), today=date(2024, 12, 3))


def errors(result) -> list[tuple[int | None, str, str]]:
    return [(error.line, error.path, error.message) for error in result.errors.items]


def june(account, **kwargs) -> bytes:
    figures = {"gross_revenue": "12000.00", "levy_collected": "400.00", "period": "2024-06", **kwargs}
    return levy_return_xml(account_number=account.number, **figures)


def test_the_xsd_lists_every_reason_of_the_rules():
    assert reader.schema_enumeration("Reason") == list(rules().reasons)


def test_the_published_sample_is_valid_against_the_xsd():
    from lxml import etree

    assert xml_schema().validate(etree.parse(str(SAMPLE_PATH)))


def test_a_valid_file_computes_what_the_web_form_would(inn):
    """$12,000.00 of room charges + $450.00 of fees = $12,450.00, less $2,000.00 of long stays and $450.00 billed
    to the Government of Canada = $10,000.00 taxable x 4% = $400.00 payable."""
    result = check(
        inn,
        june(inn, fees="450.00", exemptions=[("long_stay", "2000.00"), ("government_of_canada", "450")]),
    )
    assert result.ok, errors(result)
    assert result.period == period_of("2024-06")
    assert result.computation.gross_revenue == Decimal("12450.00")
    assert result.computation.taxable == Decimal("10000.00")
    assert result.computation.amount_payable == Decimal("400.00")
    assert not TourismLevyReturn.objects.exists()


def test_the_sample_made_out_for_each_establishment_uploads_as_it_is(inn, chalets):
    """The inn's month and the chalets' quarter; Q3 2024 ends before 2024-10-01, so no online broker's stays."""
    month = check(inn, levy_sample_xml(account_number=inn.number, period=period_of("2024-06")))
    assert month.ok, errors(month)
    quarter = check(chalets, levy_sample_xml(account_number=chalets.number, period=period_of("2024-Q3")))
    assert quarter.ok, errors(quarter)
    assert quarter.computation.amount_payable == Decimal("400.00")


def test_schema_errors_are_each_beside_their_line(inn):
    content = june(inn, gross_revenue="-5", levy_collected="1,200", exemptions=[("longstay", "10")])
    result = check(inn, content)
    assert not result.ok
    assert errors(result) == [
        (
            7,
            "/TourismLevyReturn/GrossRevenue",
            str(reader.VALUE_FORMATS["GrossRevenue"]).join(["GrossRevenue: “-5” is not ", "."]),
        ),
        (
            10,
            "/TourismLevyReturn/Exemptions/Exemption[1]/Reason",
            "Reason: “longstay” is not one of the allowed values: long_stay, under_price, small_operator, "
            "care_facility, on_reserve, government_of_canada, diplomatic, online_broker.",
        ),
        (
            14,
            "/TourismLevyReturn/LevyCollected",
            str(reader.VALUE_FORMATS["LevyCollected"]).join(["LevyCollected: “1,200” is not ", "."]),
        ),
    ]


def test_exempt_amounts_above_the_revenue_are_refused_at_the_revenue(inn):
    result = check(inn, june(inn, gross_revenue="1000", exemptions=[("long_stay", "2000")]))
    message = str(EXEMPT_MORE_THAN_REVENUE % {"exempt": "$2,000.00", "gross": "$1,000.00"})
    assert errors(result) == [(7, "/TourismLevyReturn/GrossRevenue", message)]


def test_a_quarterly_period_on_a_monthly_account_is_refused_at_the_period(inn):
    result = check(inn, june(inn, period="2024-Q2"))
    message = str(
        WRONG_FREQUENCY % {"period": "Q2 2024 (April–June)", "kind": "quarterly", "frequency": "monthly"}
    )
    assert errors(result) == [(5, "/TourismLevyReturn/Header/Period", message)]


def test_a_period_before_the_establishment_opened_is_refused_with_the_figures_errors_too(inn):
    result = check(inn, june(inn, period="2020-11", gross_revenue="10", exemptions=[("long_stay", "20")]))
    assert errors(result) == [
        (
            5,
            "/TourismLevyReturn/Header/Period",
            str(BEFORE_OPENING % {"period": "November 2020", "effective": "2021-01-01"}),
        ),
        (
            7,
            "/TourismLevyReturn/GrossRevenue",
            str(EXEMPT_MORE_THAN_REVENUE % {"exempt": "$20.00", "gross": "$10.00"}),
        ),
    ]


def test_another_establishment_of_the_operator_is_refused_at_the_account_number(inn, chalets):
    result = check(
        inn,
        levy_return_xml(
            account_number=chalets.number, period="2024-06", gross_revenue="0", levy_collected="0"
        ),
    )
    message = OTHER_ESTABLISHMENT % {
        "number": chalets.number,
        "name": chalets.display_name,
        "this": inn.number,
    }
    assert errors(result) == [(4, "/TourismLevyReturn/Header/AccountNumber", str(message))]


def test_another_operators_account_is_a_file_for_another_account(inn):
    other = ProgramAccountFactory(taxpayer=TaxpayerFactory(), program="tourism_levy")
    result = check(inn, june(other))
    message = ACCOUNT_MISMATCH % {"file": other.number, "account": inn.number}
    assert errors(result) == [(4, "/TourismLevyReturn/Header/AccountNumber", str(message))]


def test_a_reason_not_yet_in_force_is_refused_at_its_exemption(inn):
    result = check(inn, june(inn, exemptions=[("long_stay", "100"), ("online_broker", "500")]))
    reason = rules().reasons["online_broker"]
    message = REASON_NOT_YET % {"reason": reason.label, "from": "2024-10-01", "period": "June 2024"}
    assert errors(result) == [(14, "/TourismLevyReturn/Exemptions/Exemption[2]", str(message))]
    assert check(inn, june(inn, period="2024-10", exemptions=[("online_broker", "500")])).ok


def test_a_reason_twice_is_refused_at_the_second(inn):
    result = check(inn, june(inn, exemptions=[("long_stay", "100"), ("long_stay", "50")]))
    assert errors(result) == [
        (14, "/TourismLevyReturn/Exemptions/Exemption[2]", str(REASON_TWICE % {"reason": "long_stay"}))
    ]


def test_a_period_already_filed_is_refused_at_the_period(inn):
    filed = file_levy_return(account=inn, period="2024-06", user=UserFactory(), gross="100", collected="4")
    result = check(inn, june(inn))
    assert errors(result) == [(5, "/TourismLevyReturn/Header/Period", TourismLevyAlreadyFiled(filed).message)]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", (None, "", str(parser.EMPTY_FILE))),
        (
            b'<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<r>&x;</r>',
            (2, "", str(parser.DOCTYPE_REFUSED)),
        ),
        (
            b'<?xml version="1.0" encoding="ISO-8859-1"?><TourismLevyReturn/>',
            (1, "", str(parser.NOT_UTF8 % {"encoding": "ISO-8859-1"})),
        ),
        (
            b'<FuelTaxReturn xmlns="urn:ab:tra:tracs:fueltax:return:1"/>',
            (
                1,
                "/FuelTaxReturn",
                str(
                    reader.WRONG_NAMESPACE
                    % {"found": "urn:ab:tra:tracs:fueltax:return:1", "expected": reader.NAMESPACE}
                ),
            ),
        ),
        (
            b"<TourismLevyReturn/>",
            (1, "/TourismLevyReturn", str(reader.NO_NAMESPACE % {"expected": reader.NAMESPACE})),
        ),
        (b"not xml", (1, "", str(reader.NOT_XML % {"detail": "Start tag expected, '<' not found"}))),
    ],
    ids=["empty", "doctype-external-entity", "latin-1", "fuel-tax-file", "no-namespace", "not-xml"],
)
def test_hostile_and_unreadable_files_are_refused_before_reading(inn, content, expected):
    result = check(inn, content)
    assert errors(result) == [expected]


def test_a_billion_laughs_is_refused_unexpanded(inn):
    content = (
        b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>\n'
        b'<TourismLevyReturn xmlns="urn:ab:tra:tracs:tourismlevy:return:1">&lol2;</TourismLevyReturn>'
    )
    assert errors(check(inn, content)) == [(2, "", str(parser.DOCTYPE_REFUSED))]


def test_a_file_larger_than_a_return_is_refused_unparsed(inn):
    content = june(inn).replace(
        b"</TourismLevyReturn>", b"<!--" + b"x" * reader.MAX_BYTES + b"-->\n</TourismLevyReturn>"
    )
    assert errors(check(inn, content)) == [(None, "", str(reader.TOO_LARGE % {"limit": "1 MB"}))]


@time_machine.travel(edmonton(2024, 7, 3), tick=False)
def test_a_period_not_ended_is_refused(inn):
    result = xml_levy_return_check(account=inn, source=io.BytesIO(june(inn, period="2024-07")))
    assert [error.path for error in result.errors.items] == ["/TourismLevyReturn/Header/Period"]
