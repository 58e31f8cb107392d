"""Property: for any litres, the web form and the XML upload file identical returns with identical tax (one
service, two front doors), and that tax is the sum over the lines of litres x the rate in force in the period,
rounded half up to the cent per line. Each example files through both doors, as people do (the test client),
into two fresh accounts."""

from datetime import date
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from filings.models import FuelTaxReturn
from filings.periods import Period
from filings.tax import TAX, field_key, line_kinds
from filings.views_xml import XML_UPLOAD_SESSION_KEY
from filings.xml.writer import XmlLine, XmlTransaction, return_xml
from programs import money
from programs.rates import rate_on
from tests.conftest import sign_in
from tests.consent.factories import ProgramAccountFactory, owner_grant
from tests.filings.test_xml_upload_views import xml_file

CERTIFY = {"certified_name": "Pat Filer", "certified_capacity": "Controller", "declaration": "on"}
# Months under each kind of rate: the full rates, the relief's zero rate, the 4.5 c/L quarter, 9 c/L, 13 c/L.
PERIODS = ["2016-03", "2019-11", "2022-05", "2022-11", "2023-07", "2024-02", "2024-06"]

litres = st.decimals(
    min_value=0, max_value=Decimal("999999999.999"), places=3, allow_nan=False, allow_infinity=False
)
returns = st.fixed_dictionaries(
    {
        "period": st.sampled_from(PERIODS),
        "lines": st.dictionaries(keys=st.sampled_from(line_kinds()), values=litres, max_size=10),
        "schedule": st.booleans(),
    }
)


def _file_by_web_form(client, account, period, lines):
    data = {
        field_key(fuel, category): money.format_litres(value) for (fuel, category), value in lines.items()
    }
    response = client.post(
        reverse("return_file", kwargs={"number": account.number, "period": period}),
        {**data, "step": "submit", **CERTIFY},
    )
    assert response.status_code == 302, response.content.decode()[:2000]


def _file_by_xml(client, account, period, lines, schedule):
    xml_lines = [XmlLine(fuel, category, f"{value:f}") for (fuel, category), value in lines.items()]
    transactions = None
    if schedule and lines:  # each line split into two transactions that add up to it
        transactions = []
        for (fuel, category), value in lines.items():
            half = (value / 2).quantize(Decimal("0.001"))
            for number, part in ((1, half), (2, value - half)):
                transactions.append(
                    XmlTransaction(
                        f"{period}-15", f"{fuel}-{number}", "BIN 234567891", fuel, category, f"{part:f}"
                    )
                )
    content = return_xml(
        account_number=account.number, period=period, lines=xml_lines, transactions=transactions
    )
    upload_url = reverse("return_xml_upload", kwargs={"number": account.number})
    response = client.post(upload_url, {"file": xml_file(content), "mode": "upload"})
    assert response.status_code == 302, response.content.decode()[:3000]
    token = client.session[XML_UPLOAD_SESSION_KEY % account.number]["token"]
    response = client.post(
        reverse("return_xml_review", kwargs={"number": account.number}), {"upload": token, **CERTIFY}
    )
    assert response.status_code == 302


def _snapshot(tax_return):
    lines = sorted(
        (line.fuel, line.category, line.litres, line.rate_value, line.rate_effective_from, line.tax)
        for line in tax_return.lines.all()
    )
    return lines, tax_return.total_tax, tax_return.period_start, tax_return.kind, tax_return.certified_name


@pytest.mark.django_db
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=returns)
def test_web_form_and_xml_upload_file_the_same_return(data):
    period, lines = data["period"], data["lines"]
    web_account = ProgramAccountFactory(effective_date=date(2016, 1, 1))
    xml_account = ProgramAccountFactory(effective_date=date(2016, 1, 1))
    _file_by_web_form(sign_in(Client(), owner_grant(account=web_account).user), web_account, period, lines)
    _file_by_xml(
        sign_in(Client(), owner_grant(account=xml_account).user), xml_account, period, lines, data["schedule"]
    )

    web = FuelTaxReturn.objects.get(account=web_account)
    xml = FuelTaxReturn.objects.get(account=xml_account)
    assert _snapshot(web) == _snapshot(xml)

    # tax = sum over the lines of cents(litres x the rate in force on the period's first day), taxable lines only
    start = Period.from_key(period).start
    expected = sum(
        (
            money.line_tax(litres=value, rate=rate_on(fuel=fuel, day=start, tax=TAX).value)
            for (fuel, category), value in lines.items()
            if category == "taxable" and value > 0
        ),
        start=Decimal("0.00"),
    )
    assert xml.total_tax == expected
