"""The staff queue of fuel tax returns in Django admin: filters by period, status and lateness; read-only."""

import pytest
import time_machine
from django.urls import reverse

from accounts.models import AccessLogEntry
from filings.models import FuelTaxReturn
from tests.accounts.factories import UserFactory
from tests.conftest import sign_in
from tests.filings.factories import edmonton, file_return

CHANGELIST = reverse("admin:filings_fueltaxreturn_changelist")


@pytest.fixture
def staff_client(client, db):
    return sign_in(client, UserFactory(is_staff=True, is_superuser=True))


@pytest.fixture
def returns(account, owner):
    """March 2021 on time; April 2021 late (due 2021-05-28, received 2021-06-01); April amended."""
    with time_machine.travel(edmonton(2021, 4, 20), tick=False):
        march = file_return(account=account, period="2021-03", user=owner, clear_gasoline__taxable="10")
    with time_machine.travel(edmonton(2021, 6, 1), tick=False):
        april = file_return(account=account, period="2021-04", user=owner)
    from tests.filings.factories import amend_return

    april_amended = amend_return(original=april, user=owner, clear_diesel__taxable="5")
    return {"march": march, "april": april, "april_amended": april_amended}


def _numbers(response) -> set[str]:
    return {r.confirmation_number for r in response.context["cl"].result_list}


def test_the_queue_lists_returns_with_filters(staff_client, returns):
    response = staff_client.get(CHANGELIST)
    assert response.status_code == 200
    assert _numbers(response) == {r.confirmation_number for r in returns.values()}
    page = response.content.decode()
    assert "By period" in page
    assert "By received late" in page
    assert "April 2021" in page


def test_filter_by_period(staff_client, returns):
    response = staff_client.get(CHANGELIST, {"period": "2021-03"})
    assert _numbers(response) == {returns["march"].confirmation_number}


def test_filter_by_lateness(staff_client, returns):
    late = staff_client.get(CHANGELIST, {"late": "yes"})
    on_time = staff_client.get(CHANGELIST, {"late": "no"})
    # the amendment was received today, long after April 2021's due date: late as well
    assert _numbers(late) == {
        returns["april"].confirmation_number,
        returns["april_amended"].confirmation_number,
    }
    assert _numbers(on_time) == {returns["march"].confirmation_number}


def test_filter_by_status_and_kind(staff_client, returns):
    FuelTaxReturn.objects.filter(pk=returns["march"].pk).update(status=FuelTaxReturn.Status.IN_REVIEW)
    assert _numbers(staff_client.get(CHANGELIST, {"status__exact": "in_review"})) == {
        returns["march"].confirmation_number
    }
    assert _numbers(staff_client.get(CHANGELIST, {"kind__exact": "amended"})) == {
        returns["april_amended"].confirmation_number
    }


def test_search_by_confirmation_number(staff_client, returns):
    response = staff_client.get(CHANGELIST, {"q": returns["march"].confirmation_number})
    assert _numbers(response) == {returns["march"].confirmation_number}


def test_a_return_opens_read_only_with_its_lines_and_the_read_is_logged(staff_client, returns, account):
    march = returns["march"]
    response = staff_client.get(reverse("admin:filings_fueltaxreturn_change", args=[march.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert march.confirmation_number in page
    assert "clear_gasoline" in page
    assert 'name="status"' not in page  # nothing editable
    assert "_save" not in page
    assert AccessLogEntry.objects.filter(
        capacity="staff", kind="read", account_number=account.number
    ).exists()


def test_no_returns_are_added_or_deleted_in_admin(staff_client, returns):
    assert staff_client.get(reverse("admin:filings_fueltaxreturn_add")).status_code == 403
    march = returns["march"]
    assert (
        staff_client.post(
            reverse("admin:filings_fueltaxreturn_delete", args=[march.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert FuelTaxReturn.objects.filter(pk=march.pk).exists()
