"""The claim pages through the test client: File a Claim, the form (lines -> review -> certify -> submit), the
confirmation and its PDF (and the PDF of a return's confirmation), one claim per form, and bad input (a
clear message next to the box, nothing stored)."""

import html
import re
import uuid
from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse

from filings import claims, views_claims
from filings.documents import confirmation_pdf_render
from filings.forms_claims import CLAIM_DECLARATION_REQUIRED
from filings.models import Claim, ConfirmationDocument
from tests.accounts.factories import UserFactory
from tests.conftest import sign_in
from tests.consent.factories import ProgramAccountFactory, owner_grant
from tests.filings.claim_factories import file_claim, line
from tests.filings.factories import edmonton, file_return

CERTIFY = {"certified_name": "Olivia Owner", "certified_capacity": "Controller", "declaration": "on"}
EXPORTED = {
    "reason": "exported_bulk",
    "fuel": "clear_gasoline",
    "purchase_date": "2024-05-10",
    "document_number": "BOL-7781",
    "litres": "1,000",
}


def url(name, account, **kwargs):
    return reverse(name, kwargs={"number": account.number, **kwargs})


def text(response) -> str:
    return re.sub(r"\s+", " ", html.unescape(response.content.decode()))


def field_error(response, name) -> str | None:
    match = re.search(rf'<p class="field-error" id="id_{name}_error">([^<]*)</p>', response.content.decode())
    return html.unescape(match.group(1)) if match else None


def posted(lines, *, step="review", token=None, total=None, **extra) -> dict:
    data = {
        "submission_token": str(token or uuid.uuid4()),
        "step": step,
        "lines-TOTAL_FORMS": str(total if total is not None else len(lines)),
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "200",
    }
    for index, values in enumerate(lines):
        for name, value in values.items():
            data[f"lines-{index}-{name}"] = value
    data.update(extra)
    return data


@pytest.fixture
def june_2024():
    with time_machine.travel(edmonton(2024, 6, 1, 10), tick=False):
        yield


@pytest.fixture
def client_(june_2024, owner):
    return sign_in(Client(), owner)


FILE = "claim_file"
REFUND = "fuel-tax-refund"


# --- File a Claim ----------------------------------------------------------------------------------------


def test_file_a_claim_lists_the_kinds_of_the_account_and_its_claims(account, owner, client_):
    filed = file_claim(account=account, user=owner)
    page = text(client_.get(url("claims_list", account)))
    assert "Fuel tax refund claim" in page
    assert "Fuel tax inventory declaration" in page
    assert "AT5135" not in page
    assert url(FILE, account, kind="fuel-tax-refund") in page
    assert filed.confirmation_number in page
    assert "$130.00" in page
    assert "Received" in page


def test_carbon_levy_accounts_file_carbon_levy_claims(db):
    account = ProgramAccountFactory(program="carbon_levy")
    user = UserFactory()
    owner_grant(account=account, user=user)
    page = text(sign_in(Client(), user).get(url("claims_list", account)))
    assert "fuel vendor (AT5135)" in page
    assert "Indian or Indian band (AT5133)" in page
    assert "inventory declaration" not in page


def test_programs_without_claims_say_so(db):
    account = ProgramAccountFactory(program="tefs")
    user = UserFactory()
    owner_grant(account=account, user=user)
    page = text(sign_in(Client(), user).get(url("claims_list", account)))
    assert "do not file claims in TRACS" in page


def test_the_menu_offers_file_a_claim(account, client_):
    page = client_.get(url("claims_list", account)).content.decode()
    assert f'href="{url("claims_list", account)}" aria-current="page">File a Claim<' in page


# --- The form --------------------------------------------------------------------------------------------


def test_the_form_shows_empty_lines_a_token_and_the_windows(account, client_):
    response = client_.get(url(FILE, account, kind=REFUND))
    assert response.status_code == 200
    page = text(response)
    assert page.count('class="claim-line"') == 3
    assert re.search(r'name="submission_token" value="[0-9a-f-]{36}"', page)
    assert (
        "Bad debt on fuel sold on credit to another fuel seller: within 90 days after the date of the notice"
        in page
    )
    assert (
        "Fuel stolen or destroyed: within 1 year(s) from the date the fuel was stolen or destroyed." in page
    )
    assert 'type="date"' in page
    assert '<label for="id_lines-0-reason">Reason' in page


def test_add_more_lines_keeps_what_was_typed(account, client_):
    response = client_.post(url(FILE, account, kind=REFUND), posted([EXPORTED], step="add", total=3))
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('class="claim-line"') == 6
    assert 'value="BOL-7781"' in page
    assert not Claim.objects.exists()


def test_review_then_submit_files_the_claim(account, owner, client_, mailoutbox):
    token = uuid.uuid4()
    review = client_.post(url(FILE, account, kind=REFUND), posted([EXPORTED, {}, {}], token=token, total=3))
    assert review.status_code == 200
    page = text(review)
    assert "Review the Fuel tax refund claim" in page
    assert "$130.00" in page
    assert "$0.13/L" in page
    assert "2027-12-31" in page
    assert "Cheque, to the mailing address of record" in page
    assert f'name="submission_token" value="{token}"' in page
    assert 'type="hidden" name="lines-0-document_number" value="BOL-7781"' in page
    assert not Claim.objects.exists()

    response = client_.post(
        url(FILE, account, kind=REFUND),
        posted([EXPORTED, {}, {}], token=token, total=3, step="submit", **CERTIFY),
    )
    claim = Claim.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("claim_confirmation", account, claim_number=claim.confirmation_number)
    assert claim.submission_token == token
    assert claim.total_refund == Decimal("130.00")
    assert claim.certified_name == "Olivia Owner"
    assert claim.filed_in_capacity == "owner"
    confirmation = text(client_.get(response["Location"]))
    assert "Claim received" in confirmation
    assert claim.confirmation_number in confirmation
    assert "was received. Confirmation number" in confirmation
    assert "Download the PDF" in confirmation
    assert "BOL-7781" in confirmation


def test_the_same_form_submitted_twice_files_one_claim(account, client_):
    data = posted([EXPORTED], token=uuid.uuid4(), step="submit", **CERTIFY)
    first = client_.post(url(FILE, account, kind=REFUND), data)
    second = client_.post(url(FILE, account, kind=REFUND), data)
    claim = Claim.objects.get()
    assert second.status_code == 302
    assert second["Location"] == first["Location"]
    page = text(client_.get(second["Location"]))
    assert f"This claim was already received (confirmation number {claim.confirmation_number})." in page


def test_change_the_lines_from_the_review(account, client_):
    response = client_.post(url(FILE, account, kind=REFUND), posted([EXPORTED], step="edit"))
    assert response.status_code == 200
    assert "Step 1 of 3" in text(response)
    assert 'value="BOL-7781"' in response.content.decode()


def test_a_line_out_of_its_window_is_refused_with_the_reason_and_the_date(account, client_):
    late = {**EXPORTED, "purchase_date": "2020-12-31"}
    response = client_.post(url(FILE, account, kind=REFUND), posted([EXPORTED, late]))
    assert response.status_code == 400
    message = field_error(response, "lines-1-purchase_date")
    assert message == (
        "Too late to claim: Fuel exported from Alberta in bulk: TRA must receive the claim no later than 3 years "
        "from the end of the year of the purchase (2020-12-31), that is no later than 2023-12-31."
    )
    assert field_error(response, "lines-0-purchase_date") is None
    assert "Line 2, date of purchase: Too late to claim" in text(response)
    assert not Claim.objects.exists()


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        (
            {**EXPORTED, "purchase_date": "10/05/2024"},
            "purchase_date",
            "Enter the date as year-month-day, for example 2024-05-10.",
        ),
        ({**EXPORTED, "litres": "1O0"}, "litres", "Enter a number, for example 1250 or 1,250.5."),
        (
            {**EXPORTED, "reason": "bad_debt"},
            "event_date",
            str(
                claims.EVENT_DATE_REQUIRED
                % {
                    "event": "the date of the notice of bankruptcy or receivership, or of the write-off, whichever is earlier"
                }
            ),
        ),
        (
            {**EXPORTED, "fuel": "moonshine"},
            "fuel",
            "Select a valid choice. moonshine is not one of the available choices.",
        ),
    ],
)
def test_bad_boxes_are_shown_next_to_them(account, client_, values, field, message):
    response = client_.post(url(FILE, account, kind=REFUND), posted([values]))
    assert response.status_code == 400
    assert field_error(response, f"lines-0-{field}") == message
    assert not Claim.objects.exists()


def test_a_claim_without_lines_is_refused(account, client_):
    response = client_.post(url(FILE, account, kind=REFUND), posted([{}, {}], total=2))
    assert response.status_code == 400
    assert str(claims.NO_LINES) in text(response)


def test_the_certification_is_required(account, client_):
    response = client_.post(
        url(FILE, account, kind=REFUND),
        posted([EXPORTED], step="submit", certified_name="Olivia Owner", certified_capacity="Controller"),
    )
    assert response.status_code == 400
    assert field_error(response, "declaration") == str(CLAIM_DECLARATION_REQUIRED)
    assert not Claim.objects.exists()


def test_a_form_without_a_token_starts_again(account, client_):
    data = posted([EXPORTED], step="submit", **CERTIFY)
    data["submission_token"] = "not-a-token"
    response = client_.post(url(FILE, account, kind=REFUND), data)
    assert response.status_code == 400
    assert re.search(r'name="submission_token" value="[0-9a-f-]{36}"', response.content.decode())
    assert not Claim.objects.exists()


def test_a_kind_the_account_does_not_file(account, client_):
    response = client_.get(url(FILE, account, kind="carbon-levy-at5135"))
    assert response.status_code == 200
    assert str(views_claims.NOT_THIS_ACCOUNTS) in text(response)
    assert (
        f"Account {account.number} (Fuel Tax) does not file a carbon levy refund claim, fuel vendor (at5135)."
        in text(response)
    )


def test_an_unknown_kind_is_not_found(account, client_):
    assert client_.get(f"/accounts/{account.number}/claims/new/lottery/").status_code == 404


# --- Kinds of claim whose window has closed (or not opened) ----------------------------------------------


def kind_entry(page: str, label: str) -> str:
    """The entry of File a Claim's list for the kind named `label`."""
    match = re.search(rf"<li>\s*<h2>(?:(?!</li>).)*?{re.escape(label)}(?:(?!</li>).)*</li>", page)
    assert match, label
    return match.group(0)


def test_a_closed_kind_is_listed_as_closed_with_its_deadline_not_as_a_link(account, client_):
    """2024-06-01: the inventory declaration of the fuel tax relief had to be received by 2023-03-31."""
    page = text(client_.get(url("claims_list", account)))
    entry = kind_entry(page, "Fuel tax inventory declaration")
    assert "Fuel tax inventory declaration — closed: had to be received by 2023-03-31" in entry
    assert "<a " not in entry
    assert url(FILE, account, kind="inventory-declaration") not in page
    assert "<a " in kind_entry(page, "Fuel tax refund claim")


@pytest.mark.parametrize(
    ("today", "shown"),
    [
        (edmonton(2022, 3, 31, 16), "Fuel tax inventory declaration — opens on 2022-04-01"),
        (edmonton(2022, 4, 1, 9), None),
        (edmonton(2023, 3, 31, 16), None),
        (
            edmonton(2023, 4, 1, 9),
            "Fuel tax inventory declaration — closed: had to be received by 2023-03-31",
        ),
    ],
    ids=["day_before_it_opens", "opens", "last_day", "day_after"],
)
def test_the_inventory_declaration_on_each_side_of_its_window(account, owner, today, shown):
    with time_machine.travel(today, tick=False):
        page = text(sign_in(Client(), owner).get(url("claims_list", account)))
    entry = kind_entry(page, "Fuel tax inventory declaration")
    if shown is None:
        assert url(FILE, account, kind="inventory-declaration") in entry
    else:
        assert shown in entry
        assert "<a " not in entry


def test_the_inventory_declaration_typed_after_its_deadline_says_it_closed(account, client_):
    response = client_.get(url(FILE, account, kind="inventory-declaration"))
    assert response.status_code == 200
    page = text(response)
    assert (
        str(claims.INVENTORY_CLOSED % {"label": "Fuel tax relief, April 1, 2022", "receive_by": "2023-03-31"})
        in page
    )
    assert str(views_claims.CLOSED) in page
    assert 'name="submission_token"' not in page
    assert url("claims_list", account) in page


def test_an_inventory_declaration_sent_after_its_deadline_is_refused(account, client_):
    data = posted([{"fuel": "clear_diesel", "litres": "20000"}], step="submit", **CERTIFY)
    response = client_.post(url(FILE, account, kind="inventory-declaration"), data)
    assert response.status_code == 400
    assert "had to be received on or before 2023-03-31" in text(response)
    assert not Claim.objects.exists()


@pytest.mark.parametrize(
    ("today", "open_"),
    [(edmonton(2023, 12, 31, 16), True), (edmonton(2024, 1, 1, 9), False)],
    ids=["last_day", "day_after"],
)
def test_carbon_levy_claims_close_4_years_after_the_year_of_the_repeal(db, today, open_):
    """The levy was repealed from 2019-05-30 (programs/rates/carbon_levy.yaml): the last fuel that carried it
    was bought 2019-05-29, and TRA must receive a claim no later than 4 years from the end of the year of
    purchase: 2023-12-31. From 2024-01-01 no carbon levy claim can be filed."""
    account = ProgramAccountFactory(program="carbon_levy", effective_date=date(2017, 1, 1))
    user = UserFactory()
    owner_grant(account=account, user=user)
    with time_machine.travel(today, tick=False):
        client = sign_in(Client(), user)
        page = text(client.get(url("claims_list", account)))
        form = client.get(url(FILE, account, kind="carbon-levy-at5135"))
    for label, slug in [
        ("Carbon levy refund claim, fuel vendor (AT5135)", "carbon-levy-at5135"),
        ("Carbon levy refund claim, Indian or Indian band (AT5133)", "carbon-levy-at5133"),
    ]:
        entry = kind_entry(page, label)
        if open_:
            assert url(FILE, account, kind=slug) in entry
        else:
            assert f"{label} — closed: had to be received by 2023-12-31" in entry
            assert "<a " not in entry
    assert form.status_code == 200
    if open_:
        assert 'name="submission_token"' in form.content.decode()
    else:
        closed = claims.CARBON_LEVY_CLOSED % {"receive_by": "2023-12-31", "repealed": "2019-05-30"}
        assert str(closed) in text(form)


def test_the_inventory_declaration_while_open(account, owner):
    with time_machine.travel(edmonton(2023, 3, 31, 16), tick=False):
        client = sign_in(Client(), owner)
        form = client.get(url(FILE, account, kind="inventory-declaration"))
        assert form.status_code == 200
        page = text(form)
        assert "Litres held" in page
        assert "Date of purchase" not in page
        assert "$0.13/L clear gasoline" in page
        assert "$0.04/L marked diesel" in page
        data = posted(
            [{"fuel": "clear_diesel", "litres": "20000", "document_number": "Tank 3"}],
            step="submit",
            **CERTIFY,
        )
        response = client.post(url(FILE, account, kind="inventory-declaration"), data)
    claim = Claim.objects.get()
    assert response.status_code == 302
    assert (claim.kind, claim.total_refund, claim.refund_method) == (
        "inventory_declaration",
        Decimal("2600.00"),
        "cheque",
    )


def test_a_confirmation_of_another_account_is_not_found(account, owner, client_):
    other = ProgramAccountFactory()
    theirs = file_claim(account=other, user=UserFactory())
    assert (
        client_.get(url("claim_confirmation", account, claim_number=theirs.confirmation_number)).status_code
        == 404
    )
    assert (
        client_.get(
            url("claim_confirmation_pdf", account, claim_number=theirs.confirmation_number)
        ).status_code
        == 404
    )
    mine = file_claim(account=account, user=owner)
    lower = url("claim_confirmation", account, claim_number=mine.confirmation_number.lower())
    assert client_.get(lower).status_code == 200


# --- Confirmation PDFs -----------------------------------------------------------------------------------


def test_the_claim_confirmation_as_a_pdf(account, owner, client_):
    claim = file_claim(account=account, user=owner)
    response = client_.get(url("claim_confirmation_pdf", account, claim_number=claim.confirmation_number))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert (
        response["Content-Disposition"]
        == f'attachment; filename="TRACS-confirmation-{claim.confirmation_number}.pdf"'
    )
    assert response.content.startswith(b"%PDF")
    again = client_.get(url("claim_confirmation_pdf", account, claim_number=claim.confirmation_number))
    assert again.content == response.content
    assert ConfirmationDocument.objects.filter(claim=claim).count() == 1


def test_the_return_confirmation_as_a_pdf(account, owner, client_):
    tax_return = file_return(account=account, period="2024-04", user=owner, clear_gasoline__taxable="100")
    page = text(
        client_.get(url("return_confirmation", account, confirmation_number=tax_return.confirmation_number))
    )
    pdf_url = url("return_confirmation_pdf", account, confirmation_number=tax_return.confirmation_number)
    assert pdf_url in page
    response = client_.get(pdf_url)
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    assert ConfirmationDocument.objects.get().tax_return == tax_return
    missing = url("return_confirmation_pdf", account, confirmation_number="FT-202404-XXXXXX")
    assert client_.get(missing).status_code == 404


def test_the_pdf_pages_say_when_the_job_has_not_run(account, owner, client_, monkeypatch):
    claim = file_claim(account=account, user=owner)
    monkeypatch.setattr(views_claims, "confirmation_pdf_schedule", lambda **kwargs: None)
    response = client_.get(url("claim_confirmation_pdf", account, claim_number=claim.confirmation_number))
    assert response.status_code == 202
    assert "The PDF is being prepared" in text(response)


def test_the_pdf_shows_the_confirmation(account, owner, june_2024):
    claim = file_claim(
        account=account,
        user=owner,
        lines=[line(reason="rebranded", fuel="clear_diesel", rebranded_to="marked_diesel")],
    )
    page = render_to_string(
        "filings/confirmation_pdf.html",
        {
            "filing": claim,
            "is_return": False,
            "lines": list(claim.lines.all()),
            "printed_at": claim.received_at,
        },
    )
    shown = re.sub(r"\s+", " ", html.unescape(page))
    assert claim.confirmation_number in shown
    assert "2024-06-01 10:00:00 MDT" in shown
    assert "Fuel rebranded to a fuel with a lower rate" in shown
    assert "Clear diesel → Marked diesel" in shown
    assert "$0.09/L" in shown
    assert "$90.00" in shown
    assert "Cheque" in shown
    assert confirmation_pdf_render(filing=claim).startswith(b"%PDF")


def test_the_confirmation_pdf_is_made_when_the_claim_is_filed(
    account, owner, django_capture_on_commit_callbacks
):
    with (
        time_machine.travel(edmonton(2024, 6, 1), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        claim = file_claim(account=account, user=owner)
    assert ConfirmationDocument.objects.get().claim == claim
