"""Who reaches staff administration, staff revoking access (grants), and two-factor reset by staff."""

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.admin import RESET_OWN_TWO_FACTOR
from accounts.models import AccessLogEntry
from accounts.services import backup_codes_generate
from consent import services
from consent.access import access_for
from consent.models import Grant
from tests.accounts.factories import UserFactory, actor_for
from tests.conftest import sign_in
from tests.consent.factories import ProgramAccountFactory, delegate_grant, owner_grant

pytestmark = pytest.mark.django_db

ADMIN_PAGES = [
    ("admin:index", []),
    ("admin:programs_programaccount_changelist", []),
    ("admin:consent_consent_changelist", []),
    ("admin:accounts_pin_changelist", []),
    ("admin:accounts_pinattempt_changelist", []),
    ("admin:accounts_user_changelist", []),
    ("admin:consent_grant_changelist", []),
    ("admin:consent_consent_add", []),
    ("admin:programs_taxpayer_changelist", []),
    ("admin:programs_taxpayer_add", []),
    ("admin:programs_programaccount_add", []),
]


@pytest.fixture
def staff(db):
    return UserFactory(is_staff=True, is_superuser=True, full_name="Sam Staff")


@pytest.fixture
def staff_client(client, staff):
    return sign_in(client, staff)


@pytest.fixture
def account(db):
    return ProgramAccountFactory(taxpayer__legal_name="Prairie Fuels Ltd.")


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- Who reaches /admin/ ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "args"), ADMIN_PAGES)
def test_staff_with_two_factor_reach_admin(staff_client, name, args):
    assert staff_client.get(reverse(name, args=args)).status_code == 200


@pytest.mark.parametrize(("name", "args"), ADMIN_PAGES)
def test_anonymous_people_are_sent_to_sign_in(client, name, args):
    response = client.get(reverse(name, args=args))
    assert response.status_code == 302
    assert "TRACS staff administration" not in response.content.decode()
    # The admin's own login page hands over to the one sign-in page (allauth + TOTP).
    follow = client.get(response.url)
    assert follow.status_code == 302
    assert follow.url.startswith(reverse("account_login"))


@pytest.mark.parametrize(("name", "args"), ADMIN_PAGES)
def test_people_who_are_not_staff_never_see_admin(client, name, args):
    sign_in(client, UserFactory())  # signed in, two-factor done, not staff
    response = client.get(reverse(name, args=args))
    assert response.status_code in (302, 403)
    assert "TRACS staff administration" not in response.content.decode()
    if response.status_code == 302:
        assert not client.get(response.url).content.decode().count("Select program account")


@pytest.mark.parametrize(("name", "args"), ADMIN_PAGES)
def test_staff_who_have_not_passed_two_factor_are_sent_to_verify(client, staff, name, args):
    client.force_login(staff)  # password only
    response = client.get(reverse(name, args=args))
    assert response.status_code == 302
    assert response.url.startswith(reverse("two_factor_verify"))


def test_staff_without_an_authenticator_must_set_one_up_first(client):
    newcomer = UserFactory(is_staff=True, is_superuser=True, two_factor=False)
    client.force_login(newcomer)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("two_factor_setup"))


def test_an_action_posted_without_two_factor_changes_nothing(client, staff, account):
    owner_grant(account=account)
    delegate = delegate_grant(account=account)
    client.force_login(staff)
    client.post(
        reverse("admin:consent_grant_changelist"),
        {"action": "revoke_grants", "_selected_action": [delegate.pk], "index": 0},
    )
    delegate.refresh_from_db()
    assert delegate.status == Grant.Status.ACTIVE


# --- Grants: staff revoke, but never an account's last owner --------------------------------------------


def revoke(client, grants):
    return client.post(
        reverse("admin:consent_grant_changelist"),
        {"action": "revoke_grants", "_selected_action": [g.pk for g in grants], "index": 0},
        follow=True,
    )


def test_the_grant_list_filters_by_role_and_status_and_searches_by_account(staff_client, account):
    owner_grant(account=account, user=UserFactory(full_name="Olivia Owner"))
    delegate_grant(account=account, user=UserFactory(full_name="Evan Employee"))
    listing = staff_client.get(
        reverse("admin:consent_grant_changelist"), {"role__exact": "delegate", "q": account.number}
    )
    assert "Evan Employee" in listing.text
    assert "Olivia Owner" not in listing.text


def test_staff_revoke_a_delegate(staff_client, staff, account, django_capture_on_commit_callbacks):
    owner_grant(account=account, user=UserFactory(email="olivia@example.ca"))
    evan = UserFactory(email="evan@example.ca")
    grant = delegate_grant(account=account, user=evan)

    with django_capture_on_commit_callbacks(execute=True):
        response = revoke(staff_client, [grant])

    assert any("1 access(es) revoked" in m for m in messages_of(response))
    assert access_for(user=evan, account=account) is None
    row = AccessLogEntry.objects.get(actor=staff, action="Delegate removed")
    assert (row.capacity, row.account_number) == ("staff", account.number)
    [email] = mail.outbox
    assert sorted(email.to) == ["evan@example.ca", "olivia@example.ca"]
    assert "Removed by TRA" in email.body


def test_staff_remove_an_owner_but_never_the_last_one(staff_client, account):
    first = owner_grant(account=account)
    second = owner_grant(account=account)

    response = revoke(staff_client, [first, second])

    statuses = {g.pk: Grant.objects.get(pk=g.pk).status for g in (first, second)}
    assert sorted(statuses.values()) == [Grant.Status.ACTIVE, Grant.Status.REVOKED]
    kept = Grant.objects.get(pk=next(pk for pk, status in statuses.items() if status == Grant.Status.ACTIVE))
    shown = messages_of(response)
    assert f"{kept}: {services.LAST_OWNER}" in shown
    assert any("1 access(es) revoked" in m for m in shown)
    assert access_for(user=kept.user, account=account).is_owner


def test_a_grant_page_is_read_only_and_logged(staff_client, staff, account):
    grant = delegate_grant(account=account)
    page = staff_client.get(reverse("admin:consent_grant_change", args=[grant.pk]))
    assert page.status_code == 200
    assert 'name="_save"' not in page.text
    assert AccessLogEntry.objects.filter(
        kind=AccessLogEntry.Kind.READ, actor=staff, account_number=account.number, capacity="staff"
    ).exists()
    assert staff_client.get(reverse("admin:consent_grant_add")).status_code == 403


# --- Two-factor reset after an identity check ----------------------------------------------------------


def test_staff_reset_a_persons_two_factor_after_an_identity_check(
    staff_client, staff, account, django_capture_on_commit_callbacks
):
    owner_grant(account=account, user=UserFactory(email="olivia@example.ca"))
    evan = UserFactory(email="evan@example.ca", full_name="Evan Employee")
    delegate_grant(account=account, user=evan)
    backup_codes_generate(user=evan, actor=actor_for(evan))
    changelist = reverse("admin:accounts_user_changelist")

    page = staff_client.post(
        changelist, {"action": "reset_two_factor", "_selected_action": [evan.pk], "index": 0}
    )
    assert page.status_code == 200
    assert "identity" in page.text
    unchecked = staff_client.post(
        changelist,
        {"action": "reset_two_factor", "_selected_action": [evan.pk], "apply": "1", "how": "call-back"},
    )
    assert unchecked.status_code == 200
    assert "This field is required." in unchecked.text
    assert TOTPDevice.objects.filter(user=evan).exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            changelist,
            {
                "action": "reset_two_factor",
                "_selected_action": [evan.pk],
                "apply": "1",
                "identity_checked": "on",
                "how": "Call-back to the number on file",
            },
            follow=True,
        )

    assert any("Two-factor verification reset for 1 person(s)" in m for m in messages_of(response))
    assert not TOTPDevice.objects.filter(user=evan).exists()
    assert not StaticDevice.objects.filter(user=evan).exists()
    assert AccessLogEntry.objects.filter(
        actor=staff,
        kind=AccessLogEntry.Kind.SECURITY,
        action="two-factor reset by staff for evan@example.ca",
        capacity="staff",
    ).exists()
    assert AccessLogEntry.objects.filter(
        actor=staff,
        action="identity checked before two-factor reset",
        detail="evan@example.ca: Call-back to the number on file",
    ).exists()
    assert AccessLogEntry.objects.filter(
        actor=evan,
        kind=AccessLogEntry.Kind.SECURITY,
        account_number=account.number,
        action__startswith="sign-in recovered",
    ).exists()
    recipients = sorted(tuple(m.to) for m in mail.outbox)
    assert recipients == [("evan@example.ca",), ("olivia@example.ca",)]
    assert "Evan Employee" in next(m for m in mail.outbox if m.to == ["olivia@example.ca"]).body


def test_staff_cannot_reset_their_own_two_factor(staff_client, staff):
    response = staff_client.post(
        reverse("admin:accounts_user_changelist"),
        {
            "action": "reset_two_factor",
            "_selected_action": [staff.pk],
            "apply": "1",
            "identity_checked": "on",
            "how": "mirror",
        },
        follow=True,
    )
    assert str(RESET_OWN_TWO_FACTOR) in messages_of(response)
    assert TOTPDevice.objects.filter(user=staff).exists()
