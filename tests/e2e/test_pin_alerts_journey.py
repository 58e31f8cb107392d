"""Repeated wrong PIN entries, in a real browser (issue 10, item 3): ten wrong entries naming one account in a
day put it in the staff queue in Django admin; staff open the queue from the admin index, follow it to the
entries, and mark it handled. axe-core on every admin page visited (`_admin_axe_check`)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from accounts import pins
from accounts.models import PinFailureAlert
from consent import services
from programs.models import ProgramAccount
from tests.accounts.factories import UserFactory, actor_for
from tests.e2e.test_access_journeys import PRAIRIE_BIN, _admin_axe_check, _people_and_accounts, _sign_in_as

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_staff_see_repeated_wrong_pin_entries_and_mark_them_handled(page, live_server, sign_in):
    users = _people_and_accounts()
    number = ProgramAccount.objects.get(taxpayer__bin=PRAIRIE_BIN, program__code="fuel_tax").number
    for n in range(pins.USER_FREE_FAILURES * 2):
        if n % pins.USER_FREE_FAILURES == 0:
            guesser = UserFactory()
        with pytest.raises(pins.PinRefused):
            services.account_enrol(
                user=guesser, account_number=number, typed_pin="2222-3333-4444", actor=actor_for(guesser)
            )
    alert = PinFailureAlert.objects.get(account_number=number)

    staff = page
    _sign_in_as(sign_in, staff, live_server, users["staff"])
    staff.goto(f"{live_server.url}/admin/")
    with staff.expect_navigation():
        staff.get_by_role("link", name="Repeated wrong PIN entries alerts").click()
    _admin_axe_check(staff)
    row = staff.locator("#result_list tbody tr", has_text=number)
    expect(row).to_contain_text("10")

    with staff.expect_navigation():
        row.get_by_role("link", name="PIN entries").click()
    _admin_axe_check(staff)
    expect(staff.locator("#result_list tbody tr")).to_have_count(10)
    staff.go_back()

    row.locator("input[name=_selected_action]").check()
    staff.locator("select[name=action]").select_option("mark_handled")
    with staff.expect_navigation():
        staff.get_by_role("button", name="Go").click()
    expect(staff.locator(".messagelist")).to_contain_text("1 alert(s) marked handled.")
    _admin_axe_check(staff)
    alert.refresh_from_db()
    assert alert.handled_by == users["staff"]
