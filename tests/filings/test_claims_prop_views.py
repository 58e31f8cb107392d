"""The PROP claim's pages through the test client, on the claims' one set of pages: File a Claim, the form with
its claim period (period -> lines -> review -> certify -> submit), the confirmation, every refusal beside its
box with nothing stored, and today's answer: closed, with both reasons."""

from datetime import date

import pytest
import time_machine
from django.test import Client

from filings.definitions.prop_lines import NO_PERCENTAGE, PERIOD_END_BEFORE_START, PERIOD_OVERLAPS
from filings.models import Claim
from tests.accounts.factories import UserFactory
from tests.conftest import sign_in
from tests.consent.factories import ProgramAccountFactory, owner_grant
from tests.filings.factories import edmonton
from tests.filings.test_claims_views import CERTIFY, field_error, posted, text, url

HAULING = {
    "sector": "oil_and_gas",
    "activity": "hauling_crude_lpg_production_fluids",
    "vehicle_category": "licensed_vehicle",
    "fuel": "clear_diesel",
    "document_number": "Units 7-9",
    "litres": "10,000",
}
YEAR_2009 = {"period-period_start": "2009-01-01", "period-period_end": "2009-12-31"}


@pytest.fixture
def prop_account(db):
    return ProgramAccountFactory(
        program="prop", taxpayer__legal_name="Muskeg Fluid Hauling Ltd.", effective_date=date(2006, 11, 29)
    )


@pytest.fixture
def prop_client(prop_account):
    user = UserFactory(full_name="Olivia Owner")
    owner_grant(account=prop_account, user=user)
    with time_machine.travel(edmonton(2010, 3, 15, 10), tick=False):
        yield sign_in(Client(), user)


def prop_url(account):
    return url("claim_file", account, kind="prop")


def test_a_prop_claim_is_filed_for_its_period_and_confirmed(prop_account, prop_client):
    """2009-01-01 to 2009-12-31, 10,000 L clear diesel hauling crude oil, LPG or production fluids: 42% of
    $0.09/L = $0.0378/L; 10,000 x $0.0378 = $378.00."""
    listed = text(prop_client.get(url("claims_list", prop_account)))
    assert "PROP rebate claim" in listed
    assert prop_url(prop_account) in listed
    form = text(prop_client.get(prop_url(prop_account)))
    assert "Claim period" in form
    assert "First day of the claim period" in form
    assert "Hauling crude oil, LPG or production fluids" in form
    assert "Only fuel purchased or used on or before 2011-02-24 can be claimed" in form
    review = prop_client.post(prop_url(prop_account), posted([HAULING], **YEAR_2009))
    assert review.status_code == 200
    page = text(review)
    assert "2009-01-01 to 2009-12-31" in page
    assert "Oil and gas · Hauling crude oil, LPG or production fluids · Licensed vehicle" in page
    assert "42% from 2006-11-29" in page
    assert "$0.0378/L" in page
    assert "$378.00" in page
    assert 'name="period-period_start" value="2009-01-01"' in review.content.decode()
    done = prop_client.post(prop_url(prop_account), posted([HAULING], step="submit", **YEAR_2009, **CERTIFY))
    claim = Claim.objects.get()
    assert done.status_code == 302
    assert (claim.kind, str(claim.total_refund), str(claim.period_end)) == (
        Claim.Kind.PROP,
        "378.00",
        "2009-12-31",
    )
    confirmation = text(prop_client.get(done["Location"]))
    assert claim.confirmation_number in confirmation
    assert "Claim period</dt><dd>2009-01-01 to 2009-12-31" in confirmation
    assert "$378.00" in confirmation


def test_a_category_without_a_prescribed_percentage_is_refused_beside_it(prop_account, prop_client):
    response = prop_client.post(
        prop_url(prop_account), posted([{**HAULING, "activity": "not_listed"}], **YEAR_2009)
    )
    assert response.status_code == 400
    message = field_error(response, "lines-0-activity")
    assert message is not None
    assert message.startswith(str(NO_PERCENTAGE).split("%(sector)s")[0])
    assert "There is a problem" in text(response)
    assert not Claim.objects.exists()


@pytest.mark.parametrize(
    ("period", "field", "words"),
    [
        ({"period-period_start": "2009-01-01", "period-period_end": "2010-01-01"}, "period-period_end", "at most 12 months"),
        ({"period-period_start": "2009-06-01", "period-period_end": "2009-01-01"}, "period-period_end", str(PERIOD_END_BEFORE_START)),
        ({"period-period_start": "", "period-period_end": "2009-01-01"}, "period-period_start", "Enter the first and the last day"),
        ({"period-period_start": "2011-01-01", "period-period_end": "2011-02-25"}, "period-period_end", "ended for fuel purchased or used after 2011-02-24"),
    ],
)  # fmt: skip
def test_a_bad_period_is_refused_beside_its_box(prop_account, prop_client, period, field, words):
    response = prop_client.post(prop_url(prop_account), posted([HAULING], **period))
    assert response.status_code == 400
    assert words in (field_error(response, field) or "")
    assert not Claim.objects.exists()


def test_negative_litres_and_an_overlapping_period_are_refused(prop_account, prop_client):
    response = prop_client.post(prop_url(prop_account), posted([{**HAULING, "litres": "-5"}], **YEAR_2009))
    assert response.status_code == 400
    assert field_error(response, "lines-0-litres")
    prop_client.post(prop_url(prop_account), posted([HAULING], step="submit", **YEAR_2009, **CERTIFY))
    first = Claim.objects.get()
    again = prop_client.post(
        prop_url(prop_account),
        posted([HAULING], **{"period-period_start": "2009-12-01", "period-period_end": "2010-02-28"}),
    )
    assert again.status_code == 400
    assert field_error(again, "period-period_start") == str(
        PERIOD_OVERLAPS
        % {"confirmation": first.confirmation_number, "start": "2009-01-01", "end": "2009-12-31"}
    )
    assert Claim.objects.count() == 1


def test_a_prop_claim_today_is_refused_with_both_reasons(prop_account):
    user = UserFactory()
    owner_grant(account=prop_account, user=user)
    client = sign_in(Client(), user)
    listed = text(client.get(url("claims_list", prop_account)))
    assert (
        "PROP rebate claim (Prescribed Rebate Off-road Percentages) — closed: had to be received by 2014-12-31"
        in listed
    )
    assert "ended for fuel purchased or used after 2011-02-24" in listed
    assert prop_url(prop_account) not in listed
    page = client.get(prop_url(prop_account))
    assert page.status_code == 200
    words = text(page)
    assert "This claim can no longer be filed" in words
    assert "PROP claims can no longer be filed, for two reasons." in words
    assert "no later than 3 years from the end of the year of the purchase" in words
    sent = client.post(prop_url(prop_account), posted([HAULING], step="submit", **YEAR_2009, **CERTIFY))
    assert sent.status_code == 400
    assert not Claim.objects.exists()
