"""The filing pages through the test client: the returns owed, the web form (form -> review -> submit), the nil
return, the confirmation, amendments, live totals, and every kind of bad input (a clear message next to the
field, nothing stored)."""

import html
import json
import re
from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccessLogEntry
from filings import views
from filings.forms import DECLARATION_REQUIRED
from filings.models import FuelTaxReturn
from filings.services import ALREADY_FILED, AMENDED_MEANWHILE, PERIOD_BEFORE_ACCOUNT, PERIOD_NOT_ENDED
from programs.money import NEGATIVE, NOT_A_NUMBER
from tests.conftest import sign_in
from tests.consent.factories import ProgramAccountFactory, owner_grant
from tests.filings.factories import amend_return, edmonton, file_return

CERTIFY = {"certified_name": "Olivia Owner", "certified_capacity": "Controller", "declaration": "on"}
JUNE_2021 = {"clear_gasoline__taxable": "100,000", "marked_diesel__taxable": "20000"}


def url(name, account, **kwargs):
    return reverse(name, kwargs={"number": account.number, **kwargs})


def text(response) -> str:
    """The page with its markup as is, entities decoded and whitespace collapsed."""
    return re.sub(r"\s+", " ", html.unescape(response.content.decode()))


def field_error(response, name) -> str | None:
    """The error shown next to the field `name` (the paragraph just above its input)."""
    match = re.search(rf'<p class="field-error" id="id_{name}_error">([^<]*)</p>', response.content.decode())
    return match.group(1) if match else None


# --- Returns owed --------------------------------------------------------------------------------------


def test_returns_owed_lists_due_overdue_and_filed(account, owner):
    with time_machine.travel(edmonton(2021, 4, 2), tick=False):
        february = file_return(account=account, period="2021-02", user=owner)
    with time_machine.travel(edmonton(2021, 5, 3), tick=False):
        client = sign_in(Client(), owner)
        response = client.get(url("returns_owed", account))
    assert response.status_code == 200
    page = text(response)
    assert "3 returns outstanding · 2 overdue" in page  # April due; March and January overdue
    # January 2021 was due Monday 2021-03-01 (the 28th a Sunday); on 2021-05-03 it is 63 days late
    assert re.search(
        r"January 2021</th> <td class=\"value\">2021-03-01</td> <td> <span class=\"badge badge--alert\">Overdue</span> 63 days late",
        page,
    )
    assert re.search(
        r"April 2021</th> <td class=\"value\">2021-05-28</td> <td> <span class=\"badge\">Due</span>", page
    )
    # February was received 2021-04-02, due Monday 2021-03-29: filed 4 days late, with its confirmation number
    assert "(4 days late)" in page
    assert february.confirmation_number in page
    assert url("return_nil", account, period="2021-03") in page
    assert url("return_file", account, period="2021-03") in page
    assert url("return_amend", account, period="2021-02") in page
    assert AccessLogEntry.objects.filter(
        kind="read", action="returns owed", account_number=account.number
    ).exists()


def test_returns_owed_when_nothing_is_owed_yet(db):
    account = ProgramAccountFactory(effective_date=timezone.localdate())
    user = owner_grant(account=account).user
    response = sign_in(Client(), user).get(url("returns_owed", account))
    assert response.status_code == 200
    assert "No return is owed yet" in text(response)


# --- Programs without returns in TRACS --------------------------------------------------------------------

OTHER_PROGRAMS = ["carbon_levy", "tefs", "aite", "prop"]  # the tourism levy files its own returns


def test_the_fuel_tax_return_pages_send_a_tourism_levy_account_to_its_file_a_return(db):
    """A tourism levy account files its own returns: the fuel tax return's page sends it to File a Return, which
    lists them (tests/filings/test_tourism_levy_views.py); the upload page is shared and takes its own format
    (tests/filings/test_tourism_levy_xml_views.py)."""
    account = ProgramAccountFactory(program="tourism_levy", effective_date=date(2024, 1, 1))
    client = sign_in(Client(), owner_grant(account=account).user)
    response = client.get(url("return_file", account, period="2024-06"))
    assert response.status_code == 302
    assert response["Location"] == url("returns_owed", account)
    assert client.get(url("return_xml_upload", account)).status_code == 200


@pytest.mark.parametrize("program", OTHER_PROGRAMS)
def test_file_a_return_of_a_program_without_returns_is_that_programs_own_page(db, program):
    """Every address of File a Return answers an account whose program files no returns in TRACS with that
    program's own page: it says so in the program's words and offers what the account has instead."""
    account = ProgramAccountFactory(program=program, effective_date=date(2024, 1, 1))
    user = owner_grant(account=account).user
    client = sign_in(Client(), user)
    for address in (
        url("returns_owed", account),
        url("return_file", account, period="2024-06"),
        url("return_nil", account, period="2024-06"),
        url("return_amend", account, period="2024-06"),
        url("return_period", account, period="2024-06"),
        url("return_xml_upload", account),
        url("return_xml_review", account),
    ):
        response = client.get(address)
        assert response.status_code == 200, address
        page = text(response)
        name = account.program.name
        assert str(views.NO_RETURNS % {"program": name}) in page, address
        assert account.program.description in page
        assert "fuel tax return" not in page.lower(), address
        assert url("return_xml_upload", account) not in page
        assert reverse("help_program", kwargs={"code": program}) in page
        assert (url("claims_list", account) in page) == (program in ("carbon_levy", "prop")), address
    refused = client.post(url("return_file", account, period="2024-06"), {"clear_gasoline__taxable": "10"})
    assert refused.status_code == 400
    assert not FuelTaxReturn.objects.exists()


def test_the_menu_offers_file_a_return_to_fuel_tax_accounts_only(account, owner_client, db):
    page = owner_client.get(url("account_detail", account)).content.decode()
    assert f'<a href="{url("returns_owed", account)}">File a Return</a>' in page
    carbon = ProgramAccountFactory(program="carbon_levy")
    client = sign_in(Client(), owner_grant(account=carbon).user)
    page = client.get(url("account_detail", carbon)).content.decode()
    assert "File a Return" not in page
    assert f'<a href="{url("claims_list", carbon)}">File a Claim</a>' in page


# --- The web form ---------------------------------------------------------------------------------------


def test_file_a_return_through_the_form(account, owner, owner_client, mailoutbox):
    """June 2021: 100,000 L clear gasoline x $0.13 + 20,000 L marked diesel x $0.04 = $13,800.00."""
    form_url = url("return_file", account, period="2021-06")
    response = owner_client.get(form_url)
    assert response.status_code == 200
    page = text(response)
    assert 'name="clear_gasoline__taxable"' in page
    assert 'inputmode="decimal"' in page
    assert "rate in June 2021: $0.13/L" in page
    assert "rate in June 2021: $0.04/L" in page  # marked fuel
    assert "js/return-form.js" in page
    assert 'data-compute-url="' + url("return_compute", account, period="2021-06") + '"' in page

    review = owner_client.post(form_url, {**JUNE_2021, "step": "review"})
    assert review.status_code == 200
    page = text(review)
    assert "Review the return for June 2021" in page
    assert "$13,000.00" in page
    assert "$800.00" in page
    assert "$13,800.00" in page
    assert '<input type="hidden" name="clear_gasoline__taxable" value="100000.000">' in page
    assert (
        'value="' + owner.full_name + '"' in page
    )  # the name is filled in; capacity and declaration are not
    assert not FuelTaxReturn.objects.exists()

    submitted = owner_client.post(
        form_url,
        {
            "clear_gasoline__taxable": "100000.000",
            "marked_diesel__taxable": "20000.000",
            "step": "submit",
            **CERTIFY,
        },
    )
    tax_return = FuelTaxReturn.objects.get()
    assert submitted.status_code == 302
    assert submitted["Location"] == url(
        "return_confirmation", account, confirmation_number=tax_return.confirmation_number
    )
    assert tax_return.total_tax == Decimal("13800.00")
    assert (tax_return.filed_by, tax_return.filed_in_capacity, tax_return.certified_capacity) == (
        owner,
        "owner",
        "Controller",
    )
    assert AccessLogEntry.objects.get(action="fuel tax return filed").ip_address == "127.0.0.1"

    confirmation = owner_client.get(submitted["Location"])
    assert confirmation.status_code == 200
    page = text(confirmation)
    assert tax_return.confirmation_number in page
    received = timezone.localtime(tax_return.received_at)
    assert (
        received.strftime("%Y-%m-%d %H:%M:%S") + (" MST" if received.dst().total_seconds() == 0 else " MDT")
        in page
    )
    assert "June 2021 (2021-06-01 – 2021-06-30)" in page
    assert "$13,800.00" in page
    assert "Clear gasoline" in page
    assert "Certified by</dt><dd>Olivia Owner, Controller" in page
    assert "data-print" in page
    assert "Your return for June 2021 was received." in page


def test_a_delegate_files_as_a_delegate(account, filer, filer_client):
    response = filer_client.post(
        url("return_file", account, period="2021-06"), {"propane__taxable": "11", "step": "submit", **CERTIFY}
    )
    assert response.status_code == 302
    tax_return = FuelTaxReturn.objects.get()
    assert (tax_return.filed_by, tax_return.filed_in_capacity, tax_return.total_tax) == (
        filer,
        "delegate",
        Decimal("0.72"),
    )


def test_change_the_litres_from_the_review(account, owner_client):
    response = owner_client.post(
        url("return_file", account, period="2021-06"),
        {"clear_gasoline__taxable": "100000.000", "step": "edit"},
    )
    assert response.status_code == 200
    page = text(response)
    assert 'name="clear_gasoline__taxable" value="100000.000"' in page
    assert '<td class="num" data-tax-for="clear_gasoline__taxable">$13,000.00</td>' in page
    assert not FuelTaxReturn.objects.exists()


@pytest.mark.parametrize(
    ("litres", "message"),
    [
        ("-5", NEGATIVE),
        ("lots", NOT_A_NUMBER),
        ("1.0001", "Enter at most 3 decimal places."),
        ("1e5", NOT_A_NUMBER),
    ],
)
@pytest.mark.parametrize("step", ["review", "submit"])
def test_bad_litres_are_shown_next_to_the_field_and_nothing_is_stored(
    account, owner_client, litres, message, step
):
    response = owner_client.post(
        url("return_file", account, period="2021-06"),
        {"clear_gasoline__taxable": litres, "propane__taxable": "10", "step": step, **CERTIFY},
    )
    assert response.status_code == 400
    assert field_error(response, "clear_gasoline__taxable") == str(message)
    assert field_error(response, "propane__taxable") is None
    page = text(response)
    assert "There is a problem" in page
    assert (
        f'<a href="#id_clear_gasoline__taxable">Clear gasoline: Taxable sales and removals: {message}</a>'
        in page
    )
    assert f'value="{litres}"' in page  # what was typed is kept, to correct it
    assert not FuelTaxReturn.objects.exists()


def test_every_bad_box_is_reported_at_once(account, owner_client):
    response = owner_client.post(
        url("return_file", account, period="2021-06"),
        {"clear_gasoline__taxable": "-1", "clear_diesel__export_bulk": "x", "step": "review"},
    )
    assert response.status_code == 400
    assert field_error(response, "clear_gasoline__taxable") == str(NEGATIVE)
    assert field_error(response, "clear_diesel__export_bulk") == str(NOT_A_NUMBER)


def test_certification_is_required_to_submit(account, owner_client):
    response = owner_client.post(
        url("return_file", account, period="2021-06"),
        {"clear_gasoline__taxable": "10", "step": "submit", "certified_name": "Olivia Owner"},
    )
    assert response.status_code == 400
    assert field_error(response, "declaration") == str(DECLARATION_REQUIRED)
    assert field_error(response, "certified_capacity") == "Enter your position or title."
    assert "Review the return for June 2021" in text(response)
    assert not FuelTaxReturn.objects.exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_period_not_ended_cannot_be_filed(account, owner_client, method):
    this_month = timezone.localdate().strftime("%Y-%m")
    response = getattr(owner_client, method)(
        url("return_file", account, period=this_month), {"step": "submit", **CERTIFY}
    )
    assert response.status_code == 400
    assert "This return cannot be filed" in text(response)
    assert "has not ended yet" in text(response)
    assert not FuelTaxReturn.objects.exists()


def test_a_period_not_ended_on_its_last_day(account, owner):
    with time_machine.travel(edmonton(2021, 6, 30, 23, 0), tick=False):
        client = sign_in(Client(), owner)
        response = client.post(url("return_nil", account, period="2021-06"), CERTIFY)
    assert response.status_code == 400
    assert str(PERIOD_NOT_ENDED % {"period": "June 2021", "first_day": "2021-07-01"}) in text(response)
    assert not FuelTaxReturn.objects.exists()


def test_a_period_before_the_account_cannot_be_filed(account, owner_client):
    response = owner_client.post(url("return_file", account, period="2020-12"), {"step": "submit", **CERTIFY})
    assert response.status_code == 400
    assert str(PERIOD_BEFORE_ACCOUNT % {"period": "December 2020", "effective": "2021-01-01"}) in text(
        response
    )
    assert not FuelTaxReturn.objects.exists()


@pytest.mark.parametrize("period", ["2021-13", "2021-00", "21-06", "2021-6"])
def test_a_period_that_does_not_exist_is_not_found(account, owner_client, period):
    assert owner_client.get(f"/accounts/{account.number}/returns/{period}/file/").status_code == 404


# --- Filed once only -----------------------------------------------------------------------------------


def test_a_double_submit_files_one_original_and_shows_it(account, owner_client):
    form_url = url("return_file", account, period="2021-06")
    data = {"clear_gasoline__taxable": "100", "step": "submit", **CERTIFY}
    first = owner_client.post(form_url, data)
    second = owner_client.post(form_url, data)
    original = FuelTaxReturn.objects.get()
    assert first["Location"] == url(
        "return_confirmation", account, confirmation_number=original.confirmation_number
    )
    assert second.status_code == 302
    assert second["Location"] == url("return_period", account, period="2021-06")
    page = text(owner_client.get(second["Location"]))
    assert str(ALREADY_FILED % {"period": "June 2021", "confirmation": original.confirmation_number}) in page
    assert original.confirmation_number in page
    assert url("return_amend", account, period="2021-06") in page
    assert FuelTaxReturn.objects.count() == 1


def test_the_form_of_a_filed_period_leads_to_the_filed_return(account, owner, owner_client):
    original = file_return(account=account, period="2021-06", user=owner)
    for name in ("return_file", "return_nil"):
        response = owner_client.get(url(name, account, period="2021-06"))
        assert response["Location"] == url("return_period", account, period="2021-06")
    response = owner_client.post(url("return_nil", account, period="2021-06"), CERTIFY)
    assert response["Location"] == url("return_period", account, period="2021-06")
    assert FuelTaxReturn.objects.get() == original


def test_the_period_page_of_an_unfiled_period_leads_to_the_form(account, owner_client):
    response = owner_client.get(url("return_period", account, period="2021-06"))
    assert response["Location"] == url("return_file", account, period="2021-06")


# --- Nil return --------------------------------------------------------------------------------------------


def test_a_nil_return_in_one_click_and_a_certification(account, owner_client):
    page = owner_client.get(url("return_nil", account, period="2021-03"))
    assert page.status_code == 200
    assert "File a nil return for March 2021" in text(page)
    response = owner_client.post(url("return_nil", account, period="2021-03"), CERTIFY)
    tax_return = FuelTaxReturn.objects.get()
    assert response["Location"] == url(
        "return_confirmation", account, confirmation_number=tax_return.confirmation_number
    )
    assert tax_return.is_nil
    assert tax_return.total_tax == Decimal("0.00")
    assert "Nil return:" in text(owner_client.get(response["Location"]))


def test_a_nil_return_needs_the_certification(account, owner_client):
    response = owner_client.post(
        url("return_nil", account, period="2021-03"), {"certified_name": "Olivia Owner"}
    )
    assert response.status_code == 400
    assert field_error(response, "declaration") == str(DECLARATION_REQUIRED)
    assert not FuelTaxReturn.objects.exists()


# --- Confirmation ------------------------------------------------------------------------------------------


def test_a_confirmation_of_another_account_is_not_found(account, owner, owner_client):
    other = ProgramAccountFactory(effective_date=account.effective_date)
    other_owner = owner_grant(account=other).user
    theirs = file_return(account=other, period="2021-06", user=other_owner)
    assert (
        owner_client.get(
            url("return_confirmation", account, confirmation_number=theirs.confirmation_number)
        ).status_code
        == 404
    )
    assert (
        owner_client.get(
            url("return_confirmation", account, confirmation_number="FT-202106-AAAAAA")
        ).status_code
        == 404
    )
    mine = file_return(account=account, period="2021-06", user=owner)
    lower = mine.confirmation_number.lower()
    assert owner_client.get(url("return_confirmation", account, confirmation_number=lower)).status_code == 200


# --- Amendments -----------------------------------------------------------------------------------------


def test_amend_a_return_through_the_form(account, owner, owner_client):
    original = file_return(account=account, period="2021-06", user=owner, clear_gasoline__taxable="100000")
    amend_url = url("return_amend", account, period="2021-06")
    form = owner_client.get(amend_url)
    page = text(form)
    assert "Amend the return for June 2021" in page
    assert 'name="clear_gasoline__taxable" value="100,000"' in page  # the filed litres, to correct
    assert '<input type="hidden" name="replaces_version" value="1">' in page
    review = owner_client.post(
        amend_url, {"clear_gasoline__taxable": "90,000", "replaces_version": "1", "step": "review"}
    )
    assert '<input type="hidden" name="replaces_version" value="1">' in text(review)
    data = {"clear_gasoline__taxable": "90000.000", "replaces_version": "1", "step": "submit", **CERTIFY}
    submitted = owner_client.post(amend_url, data)
    amended = FuelTaxReturn.objects.get(version=2)
    assert submitted["Location"] == url(
        "return_confirmation", account, confirmation_number=amended.confirmation_number
    )
    assert (amended.kind, amended.amends, amended.total_tax) == ("amended", original, Decimal("11700.00"))
    confirmation = text(owner_client.get(submitted["Location"]))
    assert "Amended return received" in confirmation
    assert f"amends {original.confirmation_number}" in confirmation

    # the same amendment sent again is refused, not stacked as version 3
    again = owner_client.post(amend_url, data)
    assert again["Location"] == url("return_period", account, period="2021-06")
    assert str(AMENDED_MEANWHILE % {"period": "June 2021"}) in text(owner_client.get(again["Location"]))
    assert FuelTaxReturn.objects.count() == 2
    original.refresh_from_db()
    assert original.total_tax == Decimal("13000.00")

    history = text(owner_client.get(url("return_period", account, period="2021-06")))
    assert "2 (Amended)" in history
    assert "1 (Original)" in history


def test_amending_an_unfiled_period_leads_to_the_form(account, owner_client):
    response = owner_client.get(url("return_amend", account, period="2021-06"))
    assert response["Location"] == url("return_file", account, period="2021-06")


# --- Live totals -------------------------------------------------------------------------------------------


def test_live_totals_are_computed_by_the_server(account, owner_client):
    response = owner_client.post(url("return_compute", account, period="2021-06"), JUNE_2021)
    assert response.status_code == 200
    answer = json.loads(response.content)
    assert answer["lines"]["clear_gasoline__taxable"] == "$13,000.00"
    assert answer["lines"]["marked_diesel__taxable"] == "$800.00"
    assert answer["lines"]["propane__taxable"] == ""
    assert (answer["total"], answer["complete"], answer["errors"]) == ("$13,800.00", True, {})
    assert not FuelTaxReturn.objects.exists()


def test_live_totals_report_bad_boxes_and_total_the_rest(account, owner_client):
    response = owner_client.post(
        url("return_compute", account, period="2021-06"), {**JUNE_2021, "propane__taxable": "-3"}
    )
    answer = json.loads(response.content)
    assert answer["errors"] == {"propane__taxable": str(NEGATIVE)}
    assert (answer["total"], answer["complete"]) == ("$13,800.00", False)


def test_live_totals_for_a_period_not_ended(account, owner_client):
    this_month = timezone.localdate().strftime("%Y-%m")
    response = owner_client.post(url("return_compute", account, period=this_month), JUNE_2021)
    assert response.status_code == 400
    assert "has not ended yet" in json.loads(response.content)["errors"]["__all__"]


def test_live_totals_take_posts_only(account, owner_client):
    assert owner_client.get(url("return_compute", account, period="2021-06")).status_code == 405


def test_the_pages_query_count_does_not_grow_with_returns(account, owner, owner_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count(name, **kwargs):
        with CaptureQueriesContext(connection) as queries:
            assert owner_client.get(url(name, account, **kwargs)).status_code == 200
        return len(queries)

    file_return(account=account, period="2021-01", user=owner, clear_gasoline__taxable="1")
    count("returns_owed")  # the first request of the session writes the session; measure after it
    one = count("returns_owed"), count("return_period", period="2021-01")
    for month in range(2, 8):
        filed = file_return(
            account=account,
            period=f"2021-{month:02d}",
            user=owner,
            clear_gasoline__taxable="1",
            propane__taxable="2",
        )
        amend_return(original=filed, user=owner, clear_gasoline__taxable="3")
    amend_return(
        original=FuelTaxReturn.objects.get(period_start="2021-01-01"),
        user=owner,
        propane__taxable="4",
        clear_diesel__taxable="5",
    )
    many = count("returns_owed"), count("return_period", period="2021-01")
    assert many == one
