"""Staff administration's index: sections in TRA's words, the system's own tables only for those who run it (the
administrator role's accounts.administer_system, docs/staff-roles.md)."""

import pytest
from django.contrib.auth.models import Permission

from tests.accounts.factories import UserFactory, staff_member
from tests.conftest import sign_in
from tracs.admin import SYSTEM_APPS

pytestmark = pytest.mark.django_db

BUSINESS_SECTIONS = [
    "Assessments, payments and refunds",
    "Consents and representatives",
    "Identity and sign-in",
    "Programs and accounts",
    "Returns and claims",
]
# Sorted as the index sorts them (by name): after the business sections, thanks to "System:".
SYSTEM_SECTIONS = sorted(
    [
        "System: sign-in e-mail addresses",
        "System: sign-in lockouts",
        "System: single sign-on",
        "System: site address",
        "System: staff groups and permissions",
        "System: two-factor authenticator apps",
        "System: two-factor backup codes",
    ],
    key=str.lower,
)
# What the index showed before: Django's and the libraries' own names for their apps.
TECHNICAL_NAMES = [
    "Axes",
    "OTP_STATIC",
    "Otp_Static",
    "OTP_TOTP",
    "Otp_Totp",
    "Sites",
    "Social Accounts",
    "Accounts",
]
SYSTEM_PAGES = [
    "/admin/account/emailaddress/",
    "/admin/axes/accessattempt/",
    "/admin/axes/accesslog/",
    "/admin/otp_totp/totpdevice/",
    "/admin/otp_static/staticdevice/",
    "/admin/sites/site/",
    "/admin/socialaccount/socialaccount/",
    "/admin/socialaccount/socialtoken/",
    "/admin/socialaccount/socialapp/",
    "/admin/auth/group/",
    "/admin/axes/",
]


def _sections(response) -> list[str]:
    return [app["name"] for app in response.context["app_list"]]


@pytest.fixture
def clerk(client):
    """A staff member who is not a superuser but holds every permission there is (e.g. through a group) but the
    one that opens the technical sections."""
    user = UserFactory(is_staff=True, is_superuser=False)
    user.user_permissions.set(Permission.objects.exclude(codename="administer_system"))
    return sign_in(client, user)


@pytest.fixture(params=["superuser", "administrator role"])
def administrator(client, request):
    if request.param == "superuser":
        return sign_in(client, UserFactory(is_staff=True, is_superuser=True))
    return sign_in(client, staff_member("administrator"))


def test_staff_see_only_the_business_sections_in_tra_words(clerk):
    response = clerk.get("/admin/")
    assert response.status_code == 200
    assert _sections(response) == BUSINESS_SECTIONS
    page = response.content.decode()
    for name in TECHNICAL_NAMES + SYSTEM_SECTIONS:
        assert name not in page


@pytest.mark.parametrize("path", SYSTEM_PAGES)
def test_staff_who_do_not_run_the_system_cannot_open_its_tables(clerk, path):
    assert clerk.get(path).status_code in {403, 404}


def test_the_administrator_sees_the_system_sections_after_the_business_ones(administrator):
    response = administrator.get("/admin/")
    sections = _sections(response)
    # The role opens only "Identity and sign-in" of the business sections (users, the access log, the outbox).
    business = [name for name in BUSINESS_SECTIONS if name in sections]
    assert sections == business + SYSTEM_SECTIONS
    assert "Identity and sign-in" in business


@pytest.mark.parametrize("path", SYSTEM_PAGES)
def test_the_administrator_opens_the_system_tables(administrator, path):
    assert administrator.get(path).status_code == 200


def test_every_app_with_an_admin_is_either_business_or_system(client):
    """A new app registered in admin must be placed on purpose: shown to staff, or kept for administrators."""
    response = sign_in(client, UserFactory(is_staff=True, is_superuser=True)).get("/admin/")
    labels = {app["app_label"] for app in response.context["app_list"]}
    assert labels - SYSTEM_APPS == {"accounts", "assessments", "consent", "filings", "programs"}
