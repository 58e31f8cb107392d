"""The staff queues in Django admin: claims (filters by program, kind, month received, status, past the service
standard), returns (the same new filters), and the actions that move them on (received -> in review, and
back), each through the status service (logged, e-mailed)."""

import pytest
import time_machine
from django.urls import reverse

from accounts.models import AccessLogEntry, OutboxEmail
from filings.models import Claim, FuelTaxReturn
from filings.status import filing_status_change
from tests.accounts.factories import UserFactory
from tests.conftest import sign_in
from tests.consent.factories import ProgramAccountFactory, owner_grant
from tests.filings.claim_factories import file_claim, line
from tests.filings.factories import edmonton, file_return, status_actor

CLAIMS = reverse("admin:filings_claim_changelist")
RETURNS = reverse("admin:filings_fueltaxreturn_changelist")


@pytest.fixture
def staff(db):
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def staff_client(client, staff):
    return sign_in(client, staff)


@pytest.fixture
def queue(account, owner):
    """A fuel tax refund claim received 2024-01-10 and one 2024-03-05; a carbon levy claim 2019-06-15."""
    carbon = ProgramAccountFactory(program="carbon_levy")
    claimant = UserFactory()
    owner_grant(account=carbon, user=claimant)
    with time_machine.travel(edmonton(2024, 1, 10, 12), tick=False):
        january = file_claim(
            account=account, user=owner, lines=[line(purchase="2021-12-01", reason="exported_bulk")]
        )
    with time_machine.travel(edmonton(2024, 3, 5, 12), tick=False):
        march = file_claim(
            account=account, user=owner, lines=[line(purchase="2024-02-01", reason="exported_bulk")]
        )
    with time_machine.travel(edmonton(2019, 6, 15, 12), tick=False):
        levy = file_claim(
            account=carbon, user=claimant, kind="carbon_levy_vendor", lines=[line(purchase="2019-01-10")]
        )
    return {"january": january, "march": march, "levy": levy}


def numbers(response) -> set[str]:
    return {row.confirmation_number for row in response.context["cl"].result_list}


def test_the_claims_queue_with_its_filters(staff_client, queue):
    response = staff_client.get(CLAIMS)
    assert response.status_code == 200
    page = response.content.decode()
    for title in ("By program", "By kind", "By month received", "By status", "By processing"):
        assert title in page
    assert numbers(response) == {claim.confirmation_number for claim in queue.values()}
    assert numbers(staff_client.get(CLAIMS, {"program": "carbon_levy"})) == {
        queue["levy"].confirmation_number
    }
    assert numbers(staff_client.get(CLAIMS, {"kind__exact": "fuel_tax_refund"})) == {
        queue["january"].confirmation_number,
        queue["march"].confirmation_number,
    }
    assert numbers(staff_client.get(CLAIMS, {"period": "2024-03"})) == {queue["march"].confirmation_number}
    assert numbers(staff_client.get(CLAIMS, {"period": "2024-13"})) == set()


@pytest.mark.parametrize(
    ("today", "overdue"),
    [
        (edmonton(2024, 3, 10), {"levy"}),  # January's claim expected 2024-03-10: not yet past
        (edmonton(2024, 3, 11), {"january", "levy"}),
        (edmonton(2024, 5, 4), {"january", "levy"}),  # March's expected 2024-05-04: not yet past
        (edmonton(2024, 5, 5), {"january", "march", "levy"}),
    ],
)
def test_claims_past_the_service_standard(staff, queue, today, overdue, client):
    """60 days for claims: received 2024-01-10 -> expected 2024-03-10, past from 2024-03-11; received
    2024-03-05 -> expected 2024-05-04, past from 2024-05-05. The carbon levy claim (2019) is long past."""
    with time_machine.travel(today, tick=False):
        response = sign_in(client, staff).get(CLAIMS, {"processing": "overdue"})
    assert numbers(response) == {queue[key].confirmation_number for key in overdue}


def test_an_assessed_claim_is_never_past_the_standard(staff, staff_client, queue):
    filing_status_change(filing=queue["levy"], status=Claim.Status.ASSESSED, actor=status_actor(staff))
    assert queue["levy"].confirmation_number not in numbers(
        staff_client.get(CLAIMS, {"processing": "overdue"})
    )


def test_move_claims_to_in_review_and_back(staff, staff_client, queue, owner):
    selected = [queue["january"].pk, queue["march"].pk]
    response = staff_client.post(
        CLAIMS, {"action": "move_to_in_review", "_selected_action": selected}, follow=True
    )
    assert response.status_code == 200
    assert set(Claim.objects.filter(pk__in=selected).values_list("status", flat=True)) == {"in_review"}
    page = response.content.decode()
    assert "Moved to “In review”" in page
    assert queue["january"].confirmation_number in page
    assert OutboxEmail.objects.filter(purpose="filing-status", to=[owner.email]).count() == 2
    assert (
        AccessLogEntry.objects.filter(action="claim status changed", actor=staff, capacity="staff").count()
        == 2
    )

    # one in review, one received: "back" moves the first and leaves the other, saying so
    staff_client.post(CLAIMS, {"action": "move_back_to_received", "_selected_action": [queue["january"].pk]})
    response = staff_client.post(
        CLAIMS, {"action": "move_back_to_received", "_selected_action": selected}, follow=True
    )
    page = response.content.decode()
    assert Claim.objects.get(pk=queue["march"].pk).status == "received"
    assert "Left as they were (not “In review”)" in page
    assert queue["january"].confirmation_number in page


def test_a_claim_opened_by_staff_is_logged_and_read_only(staff, staff_client, queue):
    claim = queue["january"]
    response = staff_client.get(reverse("admin:filings_claim_change", args=[claim.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert claim.confirmation_number in page
    assert "exported_bulk" in page
    assert "2024-03-10" in page  # the expected processing date
    assert AccessLogEntry.objects.filter(
        kind=AccessLogEntry.Kind.READ, actor=staff, account_number=claim.account.number
    ).exists()
    assert staff_client.post(reverse("admin:filings_claim_change", args=[claim.pk]), {}).status_code == 403
    assert staff_client.get(reverse("admin:filings_claim_add")).status_code == 403


def test_the_returns_queue_moves_returns_too(staff, staff_client, account, owner):
    with time_machine.travel(edmonton(2024, 6, 3, 9), tick=False):
        may = file_return(account=account, period="2024-05", user=owner)
    response = staff_client.get(RETURNS)
    assert "By program" in response.content.decode()
    assert "By processing" in response.content.decode()
    assert numbers(staff_client.get(RETURNS, {"program": "fuel_tax"})) == {may.confirmation_number}
    assert numbers(staff_client.get(RETURNS, {"program": "carbon_levy"})) == set()
    staff_client.post(RETURNS, {"action": "move_to_in_review", "_selected_action": [may.pk]})
    assert FuelTaxReturn.objects.get(pk=may.pk).status == "in_review"
    assert AccessLogEntry.objects.filter(action="return status changed").count() == 1


@pytest.mark.parametrize(("today", "listed"), [(edmonton(2024, 7, 3), False), (edmonton(2024, 7, 4), True)])
def test_returns_past_the_service_standard(staff, account, owner, client, today, listed):
    """30 days for returns: received 2024-06-03 -> expected 2024-07-03, past from 2024-07-04."""
    with time_machine.travel(edmonton(2024, 6, 3, 9), tick=False):
        may = file_return(account=account, period="2024-05", user=owner)
    with time_machine.travel(today, tick=False):
        response = sign_in(client, staff).get(RETURNS, {"processing": "overdue"})
    assert (may.confirmation_number in numbers(response)) is listed
