"""Staff administration in a real browser at a laptop's size (issue 10, items 23 and 27).

A superuser (the demo's administrator, made one here: the demo's staff hold roles, docs/staff-roles.md; a superuser
is the one person who opens every page there is, each form editable, reference data and technical sections
included, so the walk covers every page any role sees) walks the whole admin at 1280 x 800: the index, every list
the index links to, the first record of each list and each add form, the lists shared out in groups of a few
models so that both test processes walk a part (the index's test checks that the groups are exactly the lists it
links to). On every page axe-core finds no serious or critical violation (none excused), and no page scrolls
sideways; on every list the table is no wider than the box it sits in, so no column (Received, Recomputed,
Difference, Clean on the returns queue; "Needs a second approval" on refunds) is cut off. The demo is loaded, and
every queue the demo leaves empty gets a row: a return and a claim to assess, a refund waiting for approval, an
objection, a sign-in token of the single sign-on. That world is built once per test process and put back for each
test (tests/e2e/snapshot.py); the index's test signs in through the sign-in form, the others with a session.
"""

from __future__ import annotations

import io
from contextlib import nullcontext
from datetime import date
from urllib.parse import urlsplit

import pytest
import time_machine
from allauth.socialaccount.models import SocialAccount, SocialApp, SocialToken
from django.conf import settings as django_settings
from django.contrib import admin
from django.core.management import call_command
from django.test import Client, override_settings
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from accounts import demo
from accounts.models import User
from assessments import claims, objections
from tests.accounts.factories import UserFactory, actor_for
from tests.assessments.claim_factories import assess_claim, claimed_as, june_claim, mailing_address
from tests.assessments.factories import acting, june_2021
from tests.assessments.objection_factories import REPRESENTATIVE
from tests.conftest import sign_in as session_sign_in
from tests.consent.factories import ProgramAccountFactory, owner_grant
from tests.e2e.snapshot import Snapshot
from tests.filings.factories import edmonton

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LAPTOP = {"width": 1280, "height": 800}
STAFF = "admin@demo.tracs.ca"
# The queues the item names, each with the column that was cut off at 1280 px.
QUEUE_COLUMNS = {
    "/admin/assessments/returntoassess/": ["Received", "Recomputed", "Difference", "Clean"],
    "/admin/assessments/refund/": ["Needs a second approval"],
}
# Every list of the admin (a superuser sees each), in groups of about six models: eight tests of ~18 pages.
LISTS = sorted(f"/admin/{model._meta.app_label}/{model._meta.model_name}/" for model in admin.site._registry)
GROUP_SIZE = 6
GROUPS = [LISTS[start : start + GROUP_SIZE] for start in range(0, len(LISTS), GROUP_SIZE)]
# Records whose lists do not link them (two-factor devices and sign-in tokens): opened by their address.
DEVICE_LISTS = {"/admin/otp_totp/totpdevice/": "totp", "/admin/socialaccount/socialtoken/": "token"}
# What _test_settings (tests/conftest.py) gives each test, for the world built before the module's first test.
WORLD_SETTINGS = {
    "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    "PASSWORD_HASHERS": ["django.contrib.auth.hashers.MD5PasswordHasher"],
    "CACHES": {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
    "STORAGES": {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    },
}


def _build_world():
    """The demo, plus a row in each queue it leaves empty, committed as it goes (no test transaction here)."""
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
    # Committed as each service commits, so its on-commit jobs run there, as in production.
    assessed = assess_claim(lambda execute: nullcontext(), claim=june_claim(account=account, user=owner))
    with time_machine.travel(edmonton(2024, 6, 20, 9), tick=False):
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
    token = SocialToken.objects.create(app=app, account=social, token="opaque")  # noqa: S106 - a test token
    return {"totp": TOTPDevice.objects.filter(user=owner).first().pk, "token": token.pk}


@pytest.fixture(scope="module")
def admin_world(django_db_setup, django_db_blocker, tmp_path_factory):
    """The world, built once for the module (in this process) and copied aside; its files in a folder of its own."""
    media = tmp_path_factory.mktemp("admin_media")
    snapshot = Snapshot()
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=str(media), **WORLD_SETTINGS):
        devices = _build_world()
        snapshot.take()
    yield snapshot, media, devices
    with django_db_blocker.unblock():
        snapshot.drop()


@pytest.fixture
def admin_data(admin_world, transactional_db, settings):
    """The world, put back for this test (the previous test's end emptied the tables)."""
    snapshot, media, devices = admin_world
    snapshot.restore()
    settings.MEDIA_ROOT = str(media)
    return devices


@pytest.fixture
def staff_page(new_page, live_server, admin_data) -> Page:
    """A laptop-sized page signed in as the superuser with a session made here (two-factor done), as after the
    sign-in form: the form's own test is the index's."""
    client = Client()
    session_sign_in(client, User.objects.get(email=STAFF))
    page = new_page()
    page.set_viewport_size(LAPTOP)
    cookie = django_settings.SESSION_COOKIE_NAME
    page.context.add_cookies(
        [{"name": cookie, "value": client.cookies[cookie].value, "url": live_server.url}]
    )
    return page


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


def test_the_admin_index_passes_axe_and_links_every_list_the_groups_walk(
    new_page, live_server, sign_in, axe_check, admin_data
):
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
    assert lists == LISTS  # each one walked below, in its group
    assert set(QUEUE_COLUMNS) | set(DEVICE_LISTS) <= set(lists)


@pytest.mark.parametrize(
    "lists", GROUPS, ids=[f"{group[0].split('/')[2]}-{group[0].split('/')[3]}" for group in GROUPS]
)
def test_every_admin_page_fits_a_laptop_and_passes_axe(staff_page, live_server, axe_check, admin_data, lists):
    page = staff_page
    problems: list[str] = []
    for path in lists:
        assert page.goto(f"{live_server.url}{path}").status == 200, path
        _check(page, axe_check, problems)
        for heading in QUEUE_COLUMNS.get(path, []):
            expect(page.locator("#result_list thead th", has_text=heading).first).to_be_in_viewport()
        record = page.locator("#result_list tbody tr:first-child a[href$='/change/']")
        if record.count():
            page.goto(record.first.evaluate("a => a.href"))
            _check(page, axe_check, problems)
        if page.goto(f"{live_server.url}{path}add/").status == 200:
            _check(page, axe_check, problems)
        if path in DEVICE_LISTS:
            page.goto(f"{live_server.url}{path}{admin_data[DEVICE_LISTS[path]]}/change/")
            expect(page.locator("#content h1")).to_be_visible()
            _check(page, axe_check, problems)
    assert not problems, "\n".join(problems)


def test_the_navigation_sidebar_starts_folded_at_1280_and_opens_on_request(staff_page, live_server):
    page = staff_page
    page.goto(f"{live_server.url}/admin/assessments/refund/")
    sidebar = page.locator("#nav-sidebar")
    expect(sidebar).to_be_hidden()
    page.get_by_role("button", name="Toggle navigation").click()
    expect(sidebar).to_be_visible()
    page.goto(f"{live_server.url}/admin/assessments/returntoassess/")
    expect(sidebar).to_be_visible()  # the choice is kept
