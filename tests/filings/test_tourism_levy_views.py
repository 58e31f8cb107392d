"""The tourism levy return's pages, as an operator uses them: File a Return lists each establishment's months or
quarters; the web form goes form -> review -> certify -> submit (filings.views_steps); bad figures are refused
beside their boxes and nothing is saved; the confirmation, the period's versions, the amendment, the nil
return, the PDF, and View Assessment Status."""

import html
import re
from datetime import date

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from filings.models import ConfirmationDocument, TourismLevyReturn
from filings.services_tourism_levy import OTHER_ESTABLISHMENT, WRONG_FREQUENCY
from filings.tourism_levy import EXEMPT_MORE_THAN_REVENUE
from programs.money import NEGATIVE
from tests.accounts.factories import UserFactory
from tests.conftest import sign_in
from tests.consent.factories import owner_grant
from tests.filings.factories import edmonton
from tests.filings.tourism_levy_factories import establishment, file_levy_return

CERTIFY = {"certified_name": "Olga Operator", "certified_capacity": "Owner", "declaration": "on"}


@pytest.fixture
def world(db):
    inn = establishment(name="Lakeview Inn", opened=date(2021, 1, 1))
    motel = establishment(
        taxpayer=inn.taxpayer, name="Summit Motel", opened=date(2021, 1, 1), quarterly_from=date(2021, 1, 1)
    )
    owner = UserFactory(full_name="Olga Operator")
    owner_grant(account=inn, user=owner)
    owner_grant(account=motel, user=owner)
    return {"inn": inn, "motel": motel, "owner": owner, "client": sign_in(Client(), owner)}


def url(name, account, **kwargs):
    return reverse(name, kwargs={"number": account.number, **kwargs})


def field_error(response, name) -> str | None:
    match = re.search(rf'<p class="field-error" id="id_{name}_error">([^<]*)</p>', response.content.decode())
    return html.unescape(match.group(1)) if match else None


@time_machine.travel(edmonton(2021, 8, 3), tick=False)
def test_file_a_return_lists_each_establishments_periods(world):
    client = world["client"]
    inn = client.get(url("returns_owed", world["inn"]))
    assert inn.status_code == 200
    body = inn.content.decode()
    assert "A tourism levy return is owed for each establishment" in body
    assert "July 2021" in body
    assert "January 2021" in body
    assert url("tourism_levy_return_file", world["inn"], period="2021-07") in body
    motel = client.get(url("returns_owed", world["motel"])).content.decode()
    assert "Q2 2021 (April–June)" in html.unescape(motel)
    assert url("tourism_levy_return_nil", world["motel"], period="2021-Q2") in motel
    assert "July 2021" not in motel


@time_machine.travel(edmonton(2021, 7, 5), tick=False)
def test_a_return_is_filed_by_web_form(world):
    """June 2021: $12,000.00 less $2,000.00 of long stays = $10,000.00 x 4% = $400.00 payable."""
    client, inn = world["client"], world["inn"]
    page = url("tourism_levy_return_file", inn, period="2021-06")
    form = client.get(page)
    assert form.status_code == 200
    assert 'name="exempt_online_broker"' not in form.content.decode()  # the broker rule starts 2024-10-01
    figures = {
        "establishment": inn.number,
        "gross_revenue": "12,000",
        "exempt_long_stay": "2000",
        "levy_collected": "400",
    }
    review = client.post(page, {**figures, "step": "review"})
    assert review.status_code == 200
    text = review.content.decode()
    assert "$10,000.00" in text
    assert "$400.00" in text
    assert "Tourism levy at 4%" in text
    assert not TourismLevyReturn.objects.exists()
    filed = client.post(page, {**figures, **CERTIFY, "step": "submit"})
    tax_return = TourismLevyReturn.objects.get()
    assert filed.status_code == 302
    assert filed["Location"] == url(
        "tourism_levy_return_confirmation", inn, confirmation_number=tax_return.confirmation_number
    )
    confirmation = client.get(filed["Location"]).content.decode()
    assert tax_return.confirmation_number in confirmation
    assert "Tourism levy return received" in confirmation
    again = client.get(page)
    assert again.status_code == 302  # already filed: to the period's page
    period_page = client.get(url("tourism_levy_return_period", inn, period="2021-06"))
    assert tax_return.confirmation_number in period_page.content.decode()
    owed = client.get(url("returns_owed", inn)).content.decode()
    assert url("tourism_levy_return_amend", inn, period="2021-06") in owed


@time_machine.travel(edmonton(2021, 7, 5), tick=False)
@pytest.mark.parametrize(
    ("figures", "field", "message"),
    [
        (
            {"gross_revenue": "1000", "exempt_long_stay": "800", "exempt_care_facility": "300"},
            "gross_revenue",
            EXEMPT_MORE_THAN_REVENUE % {"exempt": "$1,100.00", "gross": "$1,000.00"},
        ),
        ({"gross_revenue": "-10"}, "gross_revenue", str(NEGATIVE)),
        ({"gross_revenue": "10", "levy_collected": "-1"}, "levy_collected", str(NEGATIVE)),
        ({"gross_revenue": "10", "exempt_diplomatic": "-1"}, "exempt_diplomatic", str(NEGATIVE)),
    ],
    ids=["exempt-over-revenue", "negative-revenue", "negative-levy", "negative-exempt"],
)
def test_bad_figures_are_refused_beside_their_box_and_nothing_is_saved(world, figures, field, message):
    inn = world["inn"]
    for step in ("review", "submit"):
        response = world["client"].post(
            url("tourism_levy_return_file", inn, period="2021-06"),
            {"establishment": inn.number, **figures, **CERTIFY, "step": step},
        )
        assert response.status_code == 400
        assert field_error(response, field) == message
    assert not TourismLevyReturn.objects.exists()


@time_machine.travel(edmonton(2021, 7, 5), tick=False)
def test_a_return_for_another_establishment_is_refused_beside_the_establishment(world):
    inn, motel = world["inn"], world["motel"]
    response = world["client"].post(
        url("tourism_levy_return_file", inn, period="2021-06"),
        {"establishment": motel.number, "gross_revenue": "10", "step": "review"},
    )
    assert response.status_code == 400
    assert field_error(response, "establishment") == OTHER_ESTABLISHMENT % {
        "number": motel.number,
        "name": "Summit Motel",
        "this": inn.number,
    }
    assert not TourismLevyReturn.objects.exists()


@time_machine.travel(edmonton(2021, 7, 5), tick=False)
def test_a_quarterly_period_on_a_monthly_account_is_refused(world):
    response = world["client"].get(url("tourism_levy_return_file", world["inn"], period="2021-Q2"))
    assert response.status_code == 400
    assert html.unescape(response.content.decode()).count(
        WRONG_FREQUENCY % {"period": "Q2 2021 (April–June)", "kind": "quarterly", "frequency": "monthly"}
    )
    made_up = reverse("tourism_levy_return_file", kwargs={"number": world["inn"].number, "period": "2021-Q1"})
    assert world["client"].get(made_up.replace("2021-Q1", "2021-13")).status_code == 404


@time_machine.travel(edmonton(2020, 5, 5), tick=False)
def test_an_abated_quarter_shows_two_boxes_of_levy_collected(db):
    """Q1 2020 straddles 2020-03-01: levy collected on each side; $30,000.00 x 4% = $1,200.00 less $400.00
    kept = $800.00 payable."""
    motel = establishment(name="Summit Motel", opened=date(2019, 1, 1), quarterly_from=date(2019, 1, 1))
    owner = UserFactory()
    owner_grant(account=motel, user=owner)
    client = sign_in(Client(), owner)
    page = url("tourism_levy_return_file", motel, period="2020-Q1")
    assert 'name="levy_collected_abated"' in client.get(page).content.decode()
    review = client.post(
        page,
        {
            "establishment": motel.number,
            "gross_revenue": "30000",
            "levy_collected": "800",
            "levy_collected_abated": "400",
            "step": "review",
        },
    )
    assert "$800.00" in review.content.decode()
    assert "COVID-19 abatement" in review.content.decode()


@time_machine.travel(edmonton(2021, 10, 5), tick=False)
def test_a_nil_return_an_amendment_and_the_pdf(world, settings):
    client, motel, owner = world["client"], world["motel"], world["owner"]
    nil = client.post(url("tourism_levy_return_nil", motel, period="2021-Q3"), CERTIFY)
    assert nil.status_code == 302
    original = TourismLevyReturn.objects.get()
    assert original.is_nil
    amend_page = url("tourism_levy_return_amend", motel, period="2021-Q3")
    assert client.get(amend_page).status_code == 200
    figures = {
        "establishment": motel.number,
        "gross_revenue": "5000",
        "levy_collected": "200",
        "replaces_version": "1",
    }
    amended = client.post(amend_page, {**figures, **CERTIFY, "step": "submit"})
    assert amended.status_code == 302
    latest = TourismLevyReturn.objects.get(version=2)
    assert latest.amount_payable == 200
    stale = client.post(amend_page, {**figures, **CERTIFY, "step": "submit"})  # version 1 was replaced
    assert stale.status_code == 302
    assert TourismLevyReturn.objects.count() == 2
    pdf = client.get(
        url("tourism_levy_return_confirmation_pdf", motel, confirmation_number=latest.confirmation_number)
    )
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert ConfirmationDocument.objects.get().tourism_levy_return == latest
    assert owner.pk


@time_machine.travel(edmonton(2021, 7, 5), tick=False)
def test_view_assessment_status_lists_the_tourism_levy_returns(world):
    tax_return = file_levy_return(account=world["inn"], period="2021-06", user=world["owner"], gross="100")
    page = world["client"].get(url("assessment_status", world["inn"])).content.decode()
    assert "Tourism levy return, June 2021" in page
    assert tax_return.confirmation_number in page


def test_another_programs_account_is_sent_to_its_file_a_return(db):
    from tests.consent.factories import ProgramAccountFactory

    fuel = ProgramAccountFactory(program="fuel_tax")
    owner = UserFactory()
    owner_grant(account=fuel, user=owner)
    response = sign_in(Client(), owner).get(url("tourism_levy_return_file", fuel, period="2024-01"))
    assert response.status_code == 302
    assert response["Location"] == url("returns_owed", fuel)
    unknown = sign_in(Client(), owner).get(
        url("tourism_levy_return_confirmation", fuel, confirmation_number="TL-202101-XXXXXX")
    )
    assert unknown.status_code == 302


def test_every_account_page_of_an_establishment_with_returns_answers(world):
    """Every menu item of an establishment that has filed (a return, an amendment), and every page those link
    to within the account (its return's period, confirmation, PDF, amendment): a page of its own, no fuel tax
    wording (tests/consent/test_selectors_menu_walk.py walks every program's accounts with nothing filed)."""
    from tests.consent.test_selectors_menu_walk import FUEL_TAX_WORDS, _dead_end, menu_links, page_links

    inn, client = world["inn"], world["client"]
    with time_machine.travel(edmonton(2021, 7, 5), tick=False):
        filed = file_levy_return(
            account=inn, period="2021-06", user=world["owner"], gross="100", long_stay="10"
        )
    with time_machine.travel(edmonton(2021, 8, 3), tick=False):
        links = menu_links(client.get(url("account_detail", inn)).content.decode())
        assert "File a Return" in [label for label, _href in links]
        dead_ends, followed = [], set()
        for label, href in links:
            response = client.get(href)
            if _dead_end(response):
                dead_ends.append((label, href, response.status_code))
                continue
            for link in [href, *page_links(response.content.decode(), number=inn.number)]:
                if link in followed:
                    continue
                followed.add(link)
                reached = client.get(link, follow=True)
                if _dead_end(reached):
                    dead_ends.append((label, link, reached.status_code))
                elif reached["Content-Type"].startswith("text/html"):
                    page = reached.content.decode()
                    assert not [words for words in FUEL_TAX_WORDS if words in page], link
    assert dead_ends == []
    assert (
        url("tourism_levy_return_confirmation", inn, confirmation_number=filed.confirmation_number)
        in followed
    )


def test_file_a_return_and_the_status_page_do_as_many_queries_for_4_returns_as_for_1(world):
    """File a Return, View Assessment Status and Account Information read an establishment's returns in a fixed
    number of queries, whatever their number."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client, counts = world["client"], {}
    for filed in (1, 4):
        account = establishment(taxpayer=world["inn"].taxpayer, name=f"Inn {filed}", opened=date(2021, 1, 1))
        owner_grant(account=account, user=world["owner"])
        for month in range(1, filed + 1):
            with time_machine.travel(edmonton(2021, month + 1, 3), tick=False):
                file_levy_return(
                    account=account, period=f"2021-{month:02d}", user=world["owner"], gross="100"
                )
        counts[filed] = []
        with time_machine.travel(edmonton(2021, 6, 3), tick=False):
            for name in ("returns_owed", "assessment_status", "account_detail"):
                client.get(url(name, account))
                with CaptureQueriesContext(connection) as captured:
                    assert client.get(url(name, account)).status_code == 200
                counts[filed].append(len(captured))
    assert counts[1] == counts[4]


@time_machine.travel(edmonton(2021, 7, 5), tick=False)
def test_the_live_figures_are_the_services(world):
    """$12,000.00 less $2,000.00 = $10,000.00 taxable x 4% = $400.00; a refusal comes back by its box."""
    inn, client = world["inn"], world["client"]
    compute = url("tourism_levy_return_compute", inn, period="2021-06")
    answer = client.post(
        compute, {"establishment": inn.number, "gross_revenue": "12000", "exempt_long_stay": "2000"}
    )
    assert answer.json() == {
        "figures": {"taxable": "$10,000.00", "levy": "$400.00", "amount_payable": "$400.00"},
        "errors": {},
    }
    refused = client.post(compute, {"establishment": inn.number, "gross_revenue": "-1"}).json()
    assert refused == {"figures": {}, "errors": {"gross_revenue": str(NEGATIVE)}}
    not_owed = client.post(url("tourism_levy_return_compute", inn, period="2021-08"), {"gross_revenue": "1"})
    assert not_owed.status_code == 400
    assert client.get(compute).status_code == 405
    assert not TourismLevyReturn.objects.exists()
