"""From a filed return to a zero balance in a real browser (issue 6, "Show"), axe-core on every page visited.

The owner files October 2026's return on the web form -> staff open it in the assessment queue in Django admin
and assess it -> the notice of assessment appears on the account's notices page and downloads as a PDF ->
Financial transactions show the assessed tax and View Account Summary Balance shows it owing -> staff record
the payment received in admin -> the balance is zero, nothing owing.

Portal pages get the strict `axe_check`, admin pages `_admin_axe_check` (tests/e2e/test_access_journeys.py).
The notice is rendered by its Celery job, run eagerly in the live server's thread (tests/conftest.py).
"""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from playwright.sync_api import Page, expect

from assessments.models import Assessment, LedgerTransaction, Notice, Payment
from filings.models import FuelTaxReturn
from programs import money
from tests.accounts.factories import PASSWORD
from tests.consent.factories import ProgramAccountFactory, owner_grant
from tests.e2e.test_access_journeys import _admin_axe_check
from tests.e2e.test_messages_journey import _person
from tests.filings.factories import edmonton

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

STAFF_KEY = "5152535455565758595a5b5c5d5e5f6061626364"
OWNER_KEY = "6162636465666768696a6b6c6d6e6f7071727374"
# Filed and assessed before its due date (2026-11-30: the 28th is a Saturday): no penalty, no interest.
TODAY = edmonton(2026, 11, 24, 10)


@pytest.fixture
def people(db):
    account = ProgramAccountFactory(
        taxpayer__legal_name="Prairie Fuels Ltd.", effective_date=date(2026, 10, 1)
    )
    owner = _person(key=OWNER_KEY, full_name="Olivia Owner", email="olivia@example.ca")
    owner_grant(account=account, user=owner)
    staff = _person(
        key=STAFF_KEY, full_name="Sam Staff", email="sam@gov.ab.ca", is_staff=True, is_superuser=True
    )
    return {"account": account, "owner": owner, "staff": staff}


def test_return_filed_assessed_notice_downloaded_payment_recorded_balance_zero(
    page: Page, new_page, live_server, sign_in, axe_check, people
):
    account, number = people["account"], people["account"].number
    with time_machine.travel(TODAY, tick=True):
        # The owner files October's return.
        owner = page
        sign_in(owner, live_server, people["owner"].email, PASSWORD, OWNER_KEY, axe=False)
        owner.goto(f"{live_server.url}/accounts/{number}/returns/2026-10/file/")
        owner.get_by_label("Clear gasoline: Taxable sales and removals").fill("10,000")
        owner.get_by_role("button", name="Review the return").click()
        owner.get_by_label("I certify that the information").check()
        owner.get_by_label("Your position or title").fill("Controller")
        owner.get_by_role("button", name="Submit the return").click()
        expect(owner.get_by_role("heading", level=1)).to_have_text("Return received")
        tax_return = FuelTaxReturn.objects.get(account=account)
        tax = tax_return.total_tax
        assert tax > 0
        shown = f"${tax:,.2f}"

        # Staff find it in the assessment queue and assess it.
        staff = new_page()
        sign_in(staff, live_server, people["staff"].email, PASSWORD, STAFF_KEY)
        staff.goto(f"{live_server.url}/admin/assessments/returntoassess/")
        _admin_axe_check(staff)
        with staff.expect_navigation():
            staff.get_by_role("link", name=tax_return.confirmation_number).click()
        expect(staff.locator("#content")).to_contain_text(
            "Clean: every line recomputes to what was reported."
        )
        _admin_axe_check(staff)
        with staff.expect_navigation():
            staff.get_by_role("button", name="Assess this return").click()
        # Nothing is assessed before staff confirm on the page that shows the taxpayer, the notice, the amount.
        expect(staff.locator("#confirm-rows")).to_contain_text("Notice of assessment")
        expect(staff.locator("#confirm-rows")).to_contain_text(money.format_money(tax))
        _admin_axe_check(staff)
        assert not Assessment.objects.filter(tax_return=tax_return).exists()
        with staff.expect_navigation():
            staff.get_by_role("button", name="Confirm: assess and issue the notice").click()
        expect(staff.locator(".messagelist")).to_contain_text("the notice is being issued")
        assessment = Assessment.objects.get(tax_return=tax_return)
        assert assessment.assessed_tax == tax
        notice = Notice.objects.get(assessment=assessment)

        # The notice appears on the account's notices page and downloads.
        owner.goto(f"{live_server.url}/accounts/{number}/notices/")
        expect(owner.get_by_role("main")).to_contain_text(notice.reference)
        expect(owner.get_by_role("main")).to_contain_text("New")
        axe_check(owner)
        link = owner.get_by_role("link", name=f"PDF {notice.reference}")
        response = owner.request.get(link.get_attribute("href"))  # with the owner's session
        assert response.status == 200
        assert response.headers["content-type"] == "application/pdf"
        assert response.body()[:5] == b"%PDF-"

        # The assessed tax shows in the financial transactions and the balance is owing.
        owner.goto(f"{live_server.url}/accounts/{number}/transactions/")
        expect(owner.get_by_role("main")).to_contain_text("Assessment of the return for October 2026")
        expect(owner.get_by_role("main")).to_contain_text(shown)
        axe_check(owner)
        owner.goto(f"{live_server.url}/accounts/{number}/balances/")
        expect(owner.get_by_role("main")).to_contain_text(shown)
        expect(owner.get_by_role("main")).to_contain_text("owing")
        axe_check(owner)
        owner.get_by_role("link", name="Payment Options").click()
        expect(owner.get_by_role("heading", level=1)).to_have_text("Payment Options")
        expect(owner.get_by_role("main")).to_contain_text(number)
        expect(owner.get_by_role("main")).to_contain_text("2026-10-31")
        axe_check(owner)

        # Staff record the payment received.
        staff.goto(f"{live_server.url}/admin/assessments/payment/add/")
        _admin_axe_check(staff)
        staff.locator("#id_account").fill(str(account.pk))
        staff.locator("#id_amount").fill(str(tax))
        staff.locator("#id_received_on").fill("2026-11-24")
        staff.locator("#id_method").select_option("online_banking")
        staff.locator("#id_reference").fill("BANK-20261124-0001")
        with staff.expect_navigation():
            staff.locator("input[name=_save]").click()
        expect(staff.locator("#confirm-rows")).to_contain_text(money.format_money(tax))
        _admin_axe_check(staff)
        with staff.expect_navigation():
            staff.get_by_role("button", name="Confirm: record the payment").click()
        expect(staff.locator(".messagelist")).to_contain_text("was added successfully")
        _admin_axe_check(staff)
        assert Payment.objects.get().amount == tax

        # The balance goes to zero.
        owner.goto(f"{live_server.url}/accounts/{number}/balances/")
        expect(owner.get_by_role("main")).to_contain_text("nothing owing")
        expect(owner.get_by_role("main")).to_contain_text("$0.00")
        axe_check(owner)
        owner.goto(f"{live_server.url}/accounts/{number}/transactions/")
        expect(owner.get_by_role("main")).to_contain_text("Payment")
        expect(owner.get_by_role("main")).to_contain_text(f"({shown})")  # a credit, in brackets
        axe_check(owner)
    assert sum(LedgerTransaction.objects.filter(account=account).values_list("amount", flat=True)) == 0
