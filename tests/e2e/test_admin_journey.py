"""Staff administration in a real browser at a laptop's size (issue 10, items 23 and 27).

A superuser (the demo's administrator, made one here: the demo's staff hold roles, docs/staff-roles.md) signs in
at 1280 x 800 and walks the whole admin: the index, every list the index links to, the
first record of each list and each add form. On every page axe-core finds no serious or critical violation
(none excused), and no page scrolls sideways; on every list the table is no wider than the box it sits in,
so no column (Received, Recomputed, Difference, Clean on the returns queue; "Needs a second approval" on
refunds) is cut off. The demo is loaded, and every queue the demo leaves empty gets a row: a return and a
claim to assess, a refund waiting for approval, an objection, a sign-in token of the single sign-on.
"""

from __future__ import annotations

import io
from datetime import date
from urllib.parse import urlsplit

import pytest
import time_machine
from allauth.socialaccount.models import SocialAccount, SocialApp, SocialToken
from django.core.management import call_command
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from accounts import demo
from accounts.models import User
from assessments import claims, objections
from tests.accounts.factories import UserFactory, actor_for
from tests.assessments.claim_factories import assess_claim, claimed_as, june_claim, mailing_address
from tests.assessments.factories import acting, june_2021
from tests.assessments.objection_factories import REPRESENTATIVE
from tests.consent.factories import ProgramAccountFactory, owner_grant
from tests.filings.factories import edmonton

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LAPTOP = {"width": 1280, "height": 800}
STAFF = "admin@demo.tracs.ca"
# The queues the item names, each with the column that was cut off at 1280 px.
QUEUE_COLUMNS = {
    "/admin/assessments/returntoassess/": ["Received", "Recomputed", "Difference", "Clean"],
    "/admin/assessments/refund/": ["Needs a second approval"],
}


@pytest.fixture
def admin_data(django_capture_on_commit_callbacks):
    """The demo, plus a row in each queue it leaves empty."""
    call_command("seed_demo", stdout=io.StringIO())
    User.objects.filter(email=STAFF).update(is_superuser=True)  # every page there is, business and system
    account = ProgramAccountFactory(
        taxpayer__legal_name="Foothills Haulage Ltd.", effective_date=date(2021, 1, 1)
    )
    owner = UserFactory(full_name="Fiona Foothills")
    owner_grant(account=account, user=owner)
    mailing_address(account)
    june_2021(account=account, user=owner)  # filed, not assessed: the returns queue
    claimed_as(june_claim(account=account, user=owner, litres="900"), refund="100.00")  # the claims queue
    assessed = assess_claim(django_capture_on_commit_callbacks, claim=june_claim(account=account, user=owner))
    with time_machine.travel(edmonton(2024, 6, 20, 9), tick=False):
        # The letter's job, run here: its on-commit hook fired at the service's own commit, uncaptured.
        letter = claims.claim_letter_issue(claim_assessment_id=assessed.pk, actor=acting())
    with time_machine.travel(edmonton(2024, 7, 2, 9), tick=False):
        state = objections.objection_subject_check(
            account=account, against="notice", notice_id=letter.pk, amount_in_dispute="130.00"
        )
        objections.objection_submit(
            account=account,
            state={**state, "facts": "The litres were exported."},
            documents=[],
            representative=REPRESENTATIVE,
            actor=actor_for(owner).acting_for(capacity="owner"),
        )
    app = SocialApp.objects.create(provider="openid_connect", name="Alberta.ca Account", client_id="tracs")
    social = SocialAccount.objects.create(user=owner, provider="openid_connect", uid="foothills-1")
    SocialToken.objects.create(app=app, account=social, token="opaque")  # noqa: S106 - a test token
    return {"totp": TOTPDevice.objects.filter(user=owner).first(), "token": SocialToken.objects.get()}


def _widths(page: Page) -> dict:
    return page.evaluate(
        """() => {
            const table = document.querySelector('#result_list');
            return {
                page: document.documentElement.scrollWidth,
                viewport: window.innerWidth,
                table: table ? table.scrollWidth : null,
                box: table ? table.parentElement.clientWidth : null,
            };
        }"""
    )


def _check(page: Page, axe_check, problems: list[str]) -> None:
    axe_check(page)
    widths = _widths(page)
    path = urlsplit(page.url).path
    if widths["page"] > widths["viewport"]:
        problems.append(f"{path}: the page scrolls sideways ({widths['page']} px in {widths['viewport']} px)")
    if widths["table"] is not None and widths["table"] > widths["box"]:
        problems.append(
            f"{path}: the list is {widths['table']} px wide in {widths['box']} px, columns cut off"
        )


def test_every_admin_page_fits_a_laptop_and_passes_axe(new_page, live_server, sign_in, axe_check, admin_data):
    page = new_page()
    page.set_viewport_size(LAPTOP)
    sign_in(page, live_server, STAFF, demo.DEMO_PASSWORD, demo.totp_key_hex(STAFF))
    page.goto(f"{live_server.url}/admin/")
    axe_check(page)
    lists = sorted(
        {
            urlsplit(href).path
            for href in page.locator("#content-main a").evaluate_all("links => links.map(a => a.href)")
            if urlsplit(href).path.count("/") == 4 and not urlsplit(href).path.endswith("/add/")
        }
    )
    assert set(QUEUE_COLUMNS) <= set(lists)
    problems: list[str] = []
    for path in lists:
        page.goto(f"{live_server.url}{path}")
        _check(page, axe_check, problems)
        for heading in QUEUE_COLUMNS.get(path, []):
            expect(page.locator("#result_list thead th", has_text=heading).first).to_be_in_viewport()
        record = page.locator("#result_list tbody tr:first-child a[href$='/change/']")
        if record.count():
            page.goto(record.first.evaluate("a => a.href"))
            _check(page, axe_check, problems)
        if page.goto(f"{live_server.url}{path}add/").status == 200:
            _check(page, axe_check, problems)
    for device in (admin_data["totp"], admin_data["token"]):
        opts = device._meta
        page.goto(f"{live_server.url}/admin/{opts.app_label}/{opts.model_name}/{device.pk}/change/")
        expect(page.locator("#content h1")).to_be_visible()
        _check(page, axe_check, problems)
    assert not problems, "\n".join(problems)


def test_the_navigation_sidebar_starts_folded_at_1280_and_opens_on_request(
    new_page, live_server, sign_in, admin_data
):
    page = new_page()
    page.set_viewport_size(LAPTOP)
    sign_in(page, live_server, STAFF, demo.DEMO_PASSWORD, demo.totp_key_hex(STAFF), axe=False)
    page.goto(f"{live_server.url}/admin/assessments/refund/")
    sidebar = page.locator("#nav-sidebar")
    expect(sidebar).to_be_hidden()
    page.get_by_role("button", name="Toggle navigation").click()
    expect(sidebar).to_be_visible()
    page.goto(f"{live_server.url}/admin/assessments/returntoassess/")
    expect(sidebar).to_be_visible()  # the choice is kept
