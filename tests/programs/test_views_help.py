"""Help: the index of programs and one page per program saying what its clients can do in TRACS."""

import pytest
from django.urls import reverse

from programs.models import Program
from tests.accounts.factories import UserFactory
from tests.consent.factories import ProgramAccountFactory

pytestmark = pytest.mark.django_db


def test_every_program_has_a_help_page_linked_from_the_index(client):
    index = client.get(reverse("help"))

    assert index.status_code == 200
    programs = list(Program.objects.all())
    assert len(programs) == 6
    for program in programs:
        url = reverse("help_program", kwargs={"code": program.code})
        assert f'href="{url}"' in index.text
        page = client.get(url)
        assert page.status_code == 200, program.code
        assert f"{program.name} in TRACS" in page.text
        assert "What you can do in TRACS" in page.text
        assert reverse("contact") in page.text


@pytest.mark.parametrize(
    ("code", "phrases"),
    [
        (
            "fuel_tax",
            ["Online Registration", "28th day of the month", "XML file", "Notice of Objection", "3 years"],
        ),
        ("tefs", ["AFFB", "TEFU", "inventory, imports, acquisitions, dispositions and exports", "SFTP"]),
        ("carbon_levy", ["May 30, 2019", "AT5135", "AT5133", "Manage Direct Deposit", "4 years"]),
        ("aite", ["Each Sunday", "cancelled cards, rejected sales and the variance report", "4 years"]),
        ("prop", ["status of submitted claims", "Manage access"]),
        ("tourism_levy", ["tourism levy return for every collection period", "Tourism Levy Act"]),
    ],
)
def test_each_program_page_says_what_that_program_offers(client, code, phrases):
    page = client.get(reverse("help_program", kwargs={"code": code}))
    for phrase in phrases:
        assert phrase in page.text, phrase


def test_an_unknown_program_is_not_found(client):
    assert client.get(reverse("help_program", kwargs={"code": "tobacco"})).status_code == 404


def test_help_is_open_to_a_signed_in_person_without_two_factor_yet(client):
    account = ProgramAccountFactory()
    client.force_login(UserFactory())  # password only: two-factor not yet passed this session
    assert client.get(reverse("help_program", kwargs={"code": account.program.code})).status_code == 200
