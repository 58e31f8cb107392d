"""What the fuel tax return form shows open (issue 10 #14): the fuels and categories the account has reported
before, or registered for, are open; every other box is behind "Add another fuel" (a fuel not open yet) or
"Other categories" (a category of an open fuel not reported yet), native <details> that work without
JavaScript. A hidden box sent empty, or not sent at all, files as zero; a box with litres is open whenever the
form is shown again (errors, "Change the litres")."""

import re
from datetime import date
from decimal import Decimal
from html.parser import HTMLParser

from django.test import Client
from django.urls import reverse

from consent.services import registration_approve
from filings.models import FuelTaxReturn
from programs.models import Registration
from tests.accounts.factories import UserFactory, actor_for
from tests.conftest import sign_in
from tests.filings.factories import file_return
from tests.programs.registration_factories import registration_pending

CERTIFY = {"certified_name": "Olivia Owner", "certified_capacity": "Controller", "declaration": "on"}
EVERY_BOX = 45  # 8 fuels, each with the categories that apply to it (filings.tax.line_kinds)


class Placement(HTMLParser):
    """Where each litres box of the page is: open (in no <details>), or behind the <details> whose class
    names it (`add-fuel` or `other-categories`), with the value it shows and whether it has the focus."""

    def __init__(self, page: str):
        super().__init__()
        self.details: list[str] = []
        self.boxes: dict[str, dict] = {}
        self.open_details: list[str] = []
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "details":
            self.details.append(attrs.get("class") or "")
            if "open" in attrs:
                self.open_details.append(attrs.get("class") or "")
        if tag == "input" and "data-litres" in attrs:
            self.boxes[attrs["name"]] = {
                "behind": self.details[0].split()[0] if self.details else "",
                "value": attrs.get("value", ""),
            }

    def handle_endtag(self, tag):
        if tag == "details":
            self.details.pop()

    def open_boxes(self) -> set[str]:
        return {name for name, box in self.boxes.items() if not box["behind"]}

    def behind(self, control: str) -> set[str]:
        return {name for name, box in self.boxes.items() if box["behind"] == control}


def url(name, account, **kwargs):
    return reverse(name, kwargs={"number": account.number, **kwargs})


def form_of(client, account, period="2021-06") -> Placement:
    response = client.get(url("return_file", account, period=period))
    assert response.status_code == 200
    return Placement(response.content.decode())


def test_a_new_account_sees_clear_gasoline_and_diesel_open_and_the_rest_behind_add_another_fuel(
    account, owner_client
):
    page = form_of(owner_client, account)
    assert len(page.boxes) == EVERY_BOX  # every box is in the form, whether open or not
    assert page.open_boxes() == {"clear_gasoline__taxable", "clear_diesel__taxable"}
    assert "propane__taxable" in page.behind("add-fuel")
    assert "marked_diesel__taxable" in page.behind("add-fuel")
    assert "clear_diesel__export_bulk" in page.behind("other-categories")
    assert page.open_details == []


def test_an_account_with_history_sees_what_it_reported_open(account, owner, owner_client):
    file_return(
        account=account,
        period="2021-02",
        user=owner,
        clear_gasoline__taxable="42000",
        marked_diesel__taxable="9500",
        clear_diesel__export_bulk="4000",
    )
    page = form_of(owner_client, account)
    assert page.open_boxes() == {
        "clear_gasoline__taxable",
        "marked_diesel__taxable",
        "clear_diesel__export_bulk",
    }
    assert {
        "clear_gasoline__exempt_consumer",
        "clear_diesel__taxable",
        "marked_diesel__fdr_to_fdr",
    } <= page.behind("other-categories")
    behind_add = page.behind("add-fuel")
    assert {name.split("__")[0] for name in behind_add} == {
        "marked_gasoline",
        "propane",
        "aviation_gasoline",
        "aviation_jet_fuel",
        "locomotive_fuel",
    }
    assert all(box["value"] == "" for box in page.boxes.values())  # history opens boxes; it fills none


def test_an_account_sees_the_fuels_its_registration_names_open(db):
    """Approved for aviation fuel only, nothing filed yet: the aviation fuels are open, not gasoline and diesel."""
    registrant = UserFactory(full_name="Riley Registrant")
    registration = registration_pending(registrant=registrant, reasons=[Registration.Reason.SELL_AVIATION])
    staff_member = UserFactory(is_staff=True)
    registration_approve(registration=registration, by=staff_member, actor=actor_for(staff_member))
    account = registration.accounts.get()
    account.effective_date = date(2021, 1, 1)
    account.save()
    page = form_of(sign_in(Client(), registrant), account)
    assert page.open_boxes() == {"aviation_gasoline__taxable", "aviation_jet_fuel__taxable"}


def test_the_add_another_fuel_control_lists_each_fuel_not_open_with_its_rate(account, owner_client):
    page = owner_client.get(url("return_file", account, period="2021-06")).content.decode()
    assert page.count('<details class="add-fuel"') == 1
    assert "<summary>Add another fuel</summary>" in page
    words = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", page))
    assert "Propane · rate in June 2021: $0.065/L" in words
    assert "Marked diesel · rate in June 2021: $0.04/L" in words


def test_a_hidden_fuel_with_no_values_files_as_zero(account, owner_client):
    """What a browser sends: every box, the hidden ones empty. 100,000 L clear gasoline x $0.13 = $13,000.00."""
    page = form_of(owner_client, account)
    data = {name: "" for name in page.boxes} | {"clear_gasoline__taxable": "100,000"}
    response = owner_client.post(
        url("return_file", account, period="2021-06"), {**data, "step": "submit", **CERTIFY}
    )
    assert response.status_code == 302
    tax_return = FuelTaxReturn.objects.get()
    assert [(line.fuel, line.category) for line in tax_return.lines.all()] == [("clear_gasoline", "taxable")]
    assert tax_return.total_tax == Decimal("13000.00")


def test_a_fuel_added_keeps_its_litres_and_is_open_when_the_form_is_shown_again(account, owner_client):
    """Propane typed behind "Add another fuel" and clear gasoline: "Change the litres" shows both open, with
    what was typed; 2,000 L propane x $0.065 = $130.00."""
    form_url = url("return_file", account, period="2021-06")
    typed = {"clear_gasoline__taxable": "100,000", "propane__taxable": "2,000"}
    review = owner_client.post(form_url, {**typed, "step": "review"})
    assert review.status_code == 200
    assert "$130.00" in review.content.decode()
    edit = owner_client.post(
        form_url, {"clear_gasoline__taxable": "100000.000", "propane__taxable": "2000.000", "step": "edit"}
    )
    page = Placement(edit.content.decode())
    assert {"clear_gasoline__taxable", "propane__taxable"} <= page.open_boxes()
    assert page.boxes["propane__taxable"]["value"] == "2000.000"
    assert page.boxes["clear_gasoline__taxable"]["value"] == "100000.000"
    assert "propane__taxable" not in page.behind("add-fuel")


def test_a_bad_box_behind_add_another_fuel_is_shown_open_with_its_error(account, owner_client):
    response = owner_client.post(
        url("return_file", account, period="2021-06"),
        {"clear_gasoline__taxable": "100", "locomotive_fuel__railway": "-5", "step": "review"},
    )
    assert response.status_code == 400
    page = Placement(response.content.decode())
    assert "locomotive_fuel__railway" in page.open_boxes()
    assert page.boxes["locomotive_fuel__railway"]["value"] == "-5"
    assert 'id="id_locomotive_fuel__railway_error"' in response.content.decode()
    assert not FuelTaxReturn.objects.exists()


def test_an_amendment_shows_the_lines_of_the_version_it_corrects_open(account, owner, owner_client):
    file_return(account=account, period="2021-06", user=owner, aviation_jet_fuel__foreign_carrier="3000")
    page = Placement(owner_client.get(url("return_amend", account, period="2021-06")).content.decode())
    assert "aviation_jet_fuel__foreign_carrier" in page.open_boxes()
    assert page.boxes["aviation_jet_fuel__foreign_carrier"]["value"] == "3,000"
