"""The staff queue of repeated wrong PIN entries (accounts.admin.PinFailureAlertAdmin): staff see the open alerts
first, follow them to the entries, and mark them handled."""

from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccessLogEntry, PinAttempt, PinFailureAlert
from tests.accounts.factories import UserFactory
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(db):
    return UserFactory(is_staff=True, is_superuser=True, full_name="Sam Staff")


@pytest.fixture
def staff_client(client, staff):
    return sign_in(client, staff)


def alert(number, day, **fields):
    return PinFailureAlert.objects.create(
        account_number=number, day=day, failures=10, people=4, last_failure_at=timezone.now(), **fields
    )


def test_staff_see_open_alerts_and_mark_them_handled(staff_client, staff):
    open_one = alert("700000001-01-001", date(2026, 3, 11))
    handled = alert("700000002-01-001", date(2026, 3, 10), handled_at=timezone.now(), handled_by=staff)
    changelist = reverse("admin:accounts_pinfailurealert_changelist")

    listing = staff_client.get(changelist)
    assert listing.status_code == 200
    assert "700000001-01-001" in listing.text
    assert f'href="{reverse("admin:accounts_pinattempt_changelist")}?q=700000001-01-001"' in listing.text
    waiting = staff_client.get(changelist, {"handled": "no"})
    assert "700000001-01-001" in waiting.text
    assert "700000002-01-001" not in waiting.text

    response = staff_client.post(
        changelist, {"action": "mark_handled", "_selected_action": [open_one.pk, handled.pk]}, follow=True
    )

    assert response.status_code == 200
    assert "1 alert(s) marked handled." in response.text
    open_one.refresh_from_db()
    assert open_one.handled_by == staff
    assert open_one.handled_at is not None
    row = AccessLogEntry.objects.get(action="PIN failure alert handled")
    assert (row.actor, row.account_number, row.capacity) == (staff, "700000001-01-001", "staff")
    assert "700000001-01-001" not in staff_client.get(changelist, {"handled": "no"}).text


def test_staff_cannot_add_or_edit_alerts(staff_client):
    one = alert("700000001-01-001", date(2026, 3, 11))
    PinAttempt.objects.create(user=UserFactory(), account_number=one.account_number, succeeded=False)
    assert staff_client.get(reverse("admin:accounts_pinfailurealert_add")).status_code == 403
    page = staff_client.get(reverse("admin:accounts_pinfailurealert_change", args=[one.pk]))
    assert page.status_code == 200
    assert 'name="failures"' not in page.text
