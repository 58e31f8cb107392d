"""Two-factor is mandatory: TOTP set-up with a QR code, verification, reused codes, backup codes, staff admin."""

import base64
from datetime import timedelta
from urllib.parse import quote

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import services
from accounts.forms import CODE_INVALID, CODE_THROTTLED, CODE_THROTTLED_LONGER, SETUP_CODE_INVALID
from accounts.models import AccessLogEntry, OutboxEmail
from tests.accounts.factories import PASSWORD, UserFactory, actor_for, current_code
from tests.conftest import sign_in
from tracs.admin import ADMIN_STAFF_ONLY


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def frozen():
    """Freeze the clock mid-way through a 30-second TOTP step, so codes computed here match the server's."""
    now = timezone.now().replace(microsecond=0)
    start = now - timedelta(seconds=now.second % 30) + timedelta(seconds=10)
    with time_machine.travel(start, tick=False) as traveller:
        yield traveller


def password_sign_in(client, user):
    response = client.post("/auth/login/", {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]
    assert client.session["_auth_user_id"] == str(user.pk)
    return response


def verify(client, token, next_url=""):
    return client.post("/two-factor/verify/", {"token": token, "next": next_url})


def html(response):
    return response.content.decode()


# --- Without a confirmed device: set-up first, whatever page the person asks for -------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    ["/", "/admin/", "/two-factor/", "/two-factor/backup-codes/", "/auth/email/", "/auth/password/change/"],
)
def test_a_person_without_a_confirmed_device_is_sent_to_set_up_from_every_page(client, path):
    user = UserFactory(two_factor=False)
    password_sign_in(client, user)
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == f"/two-factor/setup/?next={quote(path, safe='')}"


@pytest.mark.django_db
def test_an_unconfirmed_device_does_not_count(client):
    user = UserFactory(two_factor=False)
    TOTPDevice.objects.create(user=user, name="half set up", confirmed=False)
    password_sign_in(client, user)
    assert client.get("/")["Location"].startswith("/two-factor/setup/")


@pytest.mark.django_db
def test_setup_shows_the_qr_code_and_the_base32_secret(client):
    user = UserFactory(two_factor=False)
    password_sign_in(client, user)
    response = client.get("/two-factor/setup/?next=/")
    assert response.status_code == 200
    page = html(response)
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    secret = base64.b32encode(device.bin_key).decode()
    assert f'data-testid="totp-secret">{secret}</code>' in page
    assert 'src="data:image/svg+xml' in page
    assert 'alt="QR code for your authenticator app"' in page
    # Reloading the page keeps the same secret, so a half-scanned code still works.
    assert secret in html(client.get("/two-factor/setup/"))
    assert TOTPDevice.objects.filter(user=user).count() == 1


@pytest.mark.django_db
def test_correct_code_confirms_the_device_and_shows_backup_codes_once(client, frozen):
    user = UserFactory(two_factor=False)
    password_sign_in(client, user)
    client.get("/two-factor/setup/")
    device = TOTPDevice.objects.get(user=user)

    response = client.post("/two-factor/setup/", {"token": current_code(device), "next": "/"})
    assert response.status_code == 302
    assert response["Location"] == "/two-factor/backup-codes/"
    device.refresh_from_db()
    assert device.confirmed

    page = html(client.get("/two-factor/backup-codes/"))
    codes = set(StaticToken.objects.filter(device__user=user).values_list("token", flat=True))
    assert len(codes) == services.BACKUP_CODE_COUNT
    assert all(f"<code>{code}</code>" in page for code in codes)
    assert "These codes are shown only once" in page
    assert 'href="/"' in page  # continue to where the person was going

    again = client.get("/two-factor/backup-codes/")
    assert again.status_code == 302
    assert again["Location"] == "/two-factor/"
    assert not any(code in html(client.get("/two-factor/")) for code in codes)

    assert client.get("/").status_code == 200
    assert AccessLogEntry.objects.filter(actor=user, action="two-factor device confirmed").exists()


@pytest.mark.django_db
def test_wrong_code_at_setup_shows_an_error_next_to_the_field(client, frozen):
    user = UserFactory(two_factor=False)
    password_sign_in(client, user)
    client.get("/two-factor/setup/")
    device = TOTPDevice.objects.get(user=user)
    wrong = f"{(int(current_code(device)) + 1) % 1_000_000:06d}"

    response = client.post("/two-factor/setup/", {"token": wrong})
    assert response.status_code == 400
    page = html(response)
    assert f'<p class="field-error" id="id_token_error">{SETUP_CODE_INVALID}</p>' in page.replace(
        "&#x27;", "'"
    )
    assert "There is a problem" in page
    assert base64.b32encode(device.bin_key).decode() in page  # the QR and key are still there to try again
    device.refresh_from_db()
    assert not device.confirmed
    assert client.get("/")["Location"].startswith("/two-factor/setup/")

    frozen.shift(2)  # past django-otp's throttle after one failure
    assert client.post("/two-factor/setup/", {"token": current_code(device)}).status_code == 302


@pytest.mark.django_db
def test_empty_code_is_refused_with_a_field_error(client):
    user = UserFactory(two_factor=False)
    password_sign_in(client, user)
    response = client.post("/two-factor/setup/", {"token": ""})
    assert response.status_code == 400
    assert 'id="id_token_error"' in html(response)


@pytest.mark.django_db
def test_a_password_alone_cannot_replace_an_existing_authenticator(client, frozen):
    """Without this, anyone with the password could enrol their own phone and skip the real second factor."""
    user = UserFactory()
    original = user.totpdevice_set.get()
    password_sign_in(client, user)
    response = client.get("/two-factor/setup/?next=/")
    assert response.status_code == 302
    assert response["Location"] == "/two-factor/verify/?next=%2F"
    assert not TOTPDevice.objects.filter(user=user, confirmed=False).exists()
    response = client.post("/two-factor/setup/", {"token": "123456"})
    assert response["Location"].startswith("/two-factor/verify/")
    assert list(TOTPDevice.objects.filter(user=user)) == [original]


@pytest.mark.django_db
def test_a_password_alone_cannot_mint_backup_codes(client):
    user = UserFactory()
    password_sign_in(client, user)
    response = client.post("/two-factor/")
    assert response["Location"].startswith("/two-factor/verify/")
    assert not StaticToken.objects.filter(device__user=user).exists()


@pytest.mark.django_db
def test_a_verified_person_can_replace_a_lost_authenticator(client, frozen):
    user = UserFactory()
    sign_in(client, user)
    old = user.totpdevice_set.get()
    assert "Set up a new authenticator app" in html(client.get("/two-factor/"))
    assert client.get("/two-factor/setup/").status_code == 200
    new = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post("/two-factor/setup/", {"token": current_code(new)})
    assert response["Location"] == "/two-factor/backup-codes/"
    assert list(TOTPDevice.objects.filter(user=user)) == [new]
    assert not TOTPDevice.objects.filter(pk=old.pk).exists()


# --- With a confirmed device: the verification step ------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/admin/", "/two-factor/", "/auth/email/"])
def test_a_person_with_a_device_must_verify_before_any_page(client, path):
    user = UserFactory(is_staff=True)
    password_sign_in(client, user)
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == f"/two-factor/verify/?next={quote(path, safe='')}"


@pytest.mark.django_db
def test_correct_code_completes_sign_in_and_goes_where_the_person_was_going(client, frozen):
    user = UserFactory()
    password_sign_in(client, user)
    assert client.get("/two-factor/verify/?next=/help/").status_code == 200
    response = verify(client, current_code(user.totpdevice_set.get()), "/help/")
    assert response.status_code == 302
    assert response["Location"] == "/help/"
    home = client.get("/")
    assert home.status_code == 200
    assert user.display_name in html(home)


@pytest.mark.django_db
def test_next_never_leaves_the_site(client, frozen):
    user = UserFactory()
    password_sign_in(client, user)
    response = verify(client, current_code(user.totpdevice_set.get()), "https://evil.example/")
    assert response["Location"] == "/"


@pytest.mark.django_db
def test_wrong_code_shows_an_error_next_to_the_field_and_is_logged(client, frozen):
    user = UserFactory()
    password_sign_in(client, user)
    device = user.totpdevice_set.get()
    wrong = f"{(int(current_code(device)) + 1) % 1_000_000:06d}"
    response = verify(client, wrong)
    assert response.status_code == 400
    page = html(response).replace("&#x27;", "'")
    assert f'<p class="field-error" id="id_token_error">{CODE_INVALID}</p>' in page
    assert "Traceback" not in page
    assert AccessLogEntry.objects.filter(actor=user, action="two-factor code refused").exists()
    assert client.get("/").status_code == 302


@pytest.mark.django_db
def test_a_reused_code_is_refused(client, frozen):
    """django-otp remembers the last time step used: the same code cannot sign in twice (replay)."""
    user = UserFactory()
    code = current_code(user.totpdevice_set.get())
    password_sign_in(client, user)
    assert verify(client, code).status_code == 302
    client.post("/auth/logout/")

    password_sign_in(client, user)
    response = verify(client, code)
    assert response.status_code == 400
    assert "already used" in html(response)
    assert client.get("/").status_code == 302

    frozen.shift(30)  # the next time step brings a new code
    assert verify(client, current_code(user.totpdevice_set.get())).status_code == 302


@pytest.mark.django_db
def test_a_code_from_a_finished_time_step_is_refused_once_a_later_one_was_used(client, frozen):
    user = UserFactory()
    device = user.totpdevice_set.get()
    earlier = current_code(device)
    frozen.shift(30)
    password_sign_in(client, user)
    assert verify(client, current_code(device)).status_code == 302
    client.post("/auth/logout/")
    password_sign_in(client, user)
    assert verify(client, earlier).status_code == 400


@pytest.mark.django_db
def test_a_backup_code_works_once_is_logged_and_emailed(client, frozen, django_capture_on_commit_callbacks):
    user = UserFactory()
    codes = services.backup_codes_generate(user=user, actor=actor_for(user))
    password_sign_in(client, user)

    with django_capture_on_commit_callbacks(execute=True):
        response = verify(client, codes[0], "/")
    assert response.status_code == 302
    assert client.get("/").status_code == 200

    assert (
        AccessLogEntry.objects.filter(
            actor=user, kind="security", action="signed in with a backup code"
        ).count()
        == 1
    )
    queued = OutboxEmail.objects.get(purpose="two-factor-recovery")
    assert queued.to == [user.email]
    assert queued.status == OutboxEmail.Status.SENT
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [user.email]
    assert "backup code was used" in mail.outbox[0].subject
    assert f"Backup codes left: {services.BACKUP_CODE_COUNT - 1}" in mail.outbox[0].body

    client.post("/auth/logout/")
    password_sign_in(client, user)
    frozen.shift(2)
    again = verify(client, codes[0])
    assert again.status_code == 400
    assert client.get("/").status_code == 302
    frozen.shift(2)  # past the throttle that one refused code sets
    assert verify(client, codes[1]).status_code == 302


@pytest.mark.django_db
def test_backup_codes_with_spaces_are_accepted(client):
    user = UserFactory()
    code = services.backup_codes_generate(user=user, actor=actor_for(user))[0]
    password_sign_in(client, user)
    assert verify(client, f" {code[:5]} {code[5:]} ").status_code == 302


@pytest.mark.django_db
def test_new_backup_codes_replace_the_old_ones(client):
    user = UserFactory()
    old = services.backup_codes_generate(user=user, actor=actor_for(user))
    sign_in(client, user)
    assert "Backup codes left" in html(client.get("/two-factor/"))
    response = client.post("/two-factor/")
    assert response["Location"] == "/two-factor/backup-codes/"
    page = html(client.get("/two-factor/backup-codes/"))
    new = set(StaticToken.objects.filter(device__user=user).values_list("token", flat=True))
    assert new.isdisjoint(old)
    assert all(code in page for code in new)


@pytest.mark.django_db
def test_the_verify_page_sends_a_person_without_a_device_to_setup(client):
    user = UserFactory(two_factor=False)
    password_sign_in(client, user)
    assert client.get("/two-factor/verify/")["Location"] == "/two-factor/setup/"


@pytest.mark.django_db
def test_two_factor_pages_need_a_signed_in_person(client):
    for path in ["/two-factor/setup/", "/two-factor/verify/", "/two-factor/"]:
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/auth/login/")


# --- A code entered too soon after a wrong one (django-otp's throttle) ----------------------------------


def wrong_code(device):
    return f"{(int(current_code(device)) + 1) % 1_000_000:06d}"


@pytest.mark.django_db
def test_a_right_code_within_a_second_of_a_wrong_one_says_wait_not_wrong(client, frozen):
    """OTP_TOTP_THROTTLE_FACTOR = 1: after one wrong code django-otp checks no code for 1 second (2, 4, ...
    after more). The right code in that second is refused; the person is told to wait, not that it is wrong."""
    user = UserFactory()
    device = user.totpdevice_set.get()
    password_sign_in(client, user)
    assert verify(client, wrong_code(device)).status_code == 400

    response = verify(client, current_code(device))

    assert response.status_code == 400
    page = html(response).replace("&#x27;", "'")
    assert f'<p class="field-error" id="id_token_error">{CODE_THROTTLED}</p>' in page
    assert "wait a moment and enter the next code" in str(CODE_THROTTLED).lower()
    assert str(CODE_INVALID) not in page
    assert client.get("/").status_code == 302
    refusal = AccessLogEntry.objects.filter(actor=user, action="two-factor code refused").latest("id")
    assert refusal.detail == "entered while throttled after a wrong code"

    frozen.shift(1)
    assert verify(client, current_code(device)).status_code == 302
    assert client.get("/").status_code == 200


@pytest.mark.django_db
def test_a_right_code_within_a_second_of_a_wrong_one_at_setup_says_wait(client, frozen):
    user = UserFactory(two_factor=False)
    password_sign_in(client, user)
    client.get("/two-factor/setup/")
    device = TOTPDevice.objects.get(user=user)
    assert client.post("/two-factor/setup/", {"token": wrong_code(device)}).status_code == 400

    response = client.post("/two-factor/setup/", {"token": current_code(device)})

    assert response.status_code == 400
    page = html(response).replace("&#x27;", "'")
    assert f'<p class="field-error" id="id_token_error">{CODE_THROTTLED}</p>' in page
    assert str(SETUP_CODE_INVALID) not in page
    device.refresh_from_db()
    assert not device.confirmed

    frozen.shift(1)
    assert client.post("/two-factor/setup/", {"token": current_code(device)}).status_code == 302


@pytest.mark.django_db
def test_after_many_wrong_codes_in_a_row_the_wait_is_said_in_minutes(client, frozen):
    """Each wrong code doubles the wait: 1, 2, 4, 8, 16, then 32 seconds after the 6th, longer than a TOTP
    step, so "a moment" would mislead: 32 seconds round up to 1 minute."""
    user = UserFactory()
    device = user.totpdevice_set.get()
    password_sign_in(client, user)
    for wrong in range(6):
        assert str(CODE_INVALID) in html(verify(client, wrong_code(device))).replace("&#x27;", "'")
        frozen.shift(2**wrong)

    frozen.shift(-(2**5))  # back to just after the 6th wrong code
    page = html(verify(client, current_code(device))).replace("&#x27;", "'")
    assert str(CODE_THROTTLED_LONGER % {"minutes": 1}) in page
    assert "wait 1 minute(s)" in page


# --- The session id is renewed at the two-factor step, as at the password step ---------------------------


def session_id(client):
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def with_session_id(key):
    other = Client()
    other.cookies[settings.SESSION_COOKIE_NAME] = key
    return other


@pytest.mark.django_db
def test_a_session_id_from_before_the_code_no_longer_works_after_it(client, frozen):
    """Session fixation: whoever planted or saw the session id before the second factor must not ride on the
    verified session after it."""
    user = UserFactory()
    password_sign_in(client, user)
    before = session_id(client)
    assert with_session_id(before).get("/")["Location"].startswith("/two-factor/verify/")  # it is live now

    assert verify(client, current_code(user.totpdevice_set.get()), "/help/")["Location"] == "/help/"

    assert session_id(client) != before
    assert client.get("/").status_code == 200
    planted = with_session_id(before).get("/")
    assert planted.status_code == 302
    assert planted["Location"].startswith("/auth/login/")


@pytest.mark.django_db
def test_a_session_id_from_before_setup_no_longer_works_after_it(client, frozen):
    user = UserFactory(two_factor=False)
    password_sign_in(client, user)
    client.get("/two-factor/setup/")
    before = session_id(client)
    device = TOTPDevice.objects.get(user=user)

    response = client.post("/two-factor/setup/", {"token": current_code(device), "next": "/help/"})
    assert response.status_code == 302

    assert session_id(client) != before
    page = html(client.get("/two-factor/backup-codes/"))  # the session's data came along to the new id
    assert StaticToken.objects.filter(device__user=user).first().token in page
    assert 'href="/help/"' in page
    assert with_session_id(before).get("/")["Location"].startswith("/auth/login/")


# --- Staff and Django admin -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_staff_reach_admin_only_after_two_factor(client, frozen):
    staff = UserFactory(is_staff=True, is_superuser=True)
    password_sign_in(client, staff)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"] == "/two-factor/verify/?next=%2Fadmin%2F"
    response = verify(client, current_code(staff.totpdevice_set.get()), "/admin/")
    assert response["Location"] == "/admin/"
    page = client.get("/admin/")
    assert page.status_code == 200
    assert "TRACS staff administration" in html(page)


@pytest.mark.django_db
def test_anonymous_visitors_to_admin_are_sent_to_the_portal_sign_in(client):
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0] == "/auth/login/?next=%2Fadmin%2F"
    assert response.status_code == 200


@pytest.mark.django_db
def test_people_who_are_not_staff_get_no_admin(client):
    user = UserFactory()
    sign_in(client, user)
    response = client.get("/admin/", follow=True)
    assert response.status_code == 403
    assert len(response.redirect_chain) <= 1
    assert str(ADMIN_STAFF_ONLY) in html(response).replace("&#x27;", "'")
    assert client.get("/admin/accounts/user/").status_code in {302, 403}
    assert client.get("/admin/accounts/user/", follow=True).status_code == 403


@pytest.mark.django_db
def test_staff_unlock_a_locked_out_person_in_admin(client, frozen):
    """The admin's System: sign-in lockouts > Access attempts list is where staff unlock someone (delete the attempt)."""
    from axes.models import AccessAttempt

    locked = UserFactory()
    for _ in range(5):
        client.post("/auth/login/", {"login": locked.email, "password": "Not-the-password-1"})
    attempt = AccessAttempt.objects.get(username=locked.email)

    staff_client = type(client)()
    staff = UserFactory(is_staff=True, is_superuser=True)
    sign_in(staff_client, staff)
    listing = staff_client.get("/admin/axes/accessattempt/")
    assert listing.status_code == 200
    assert locked.email in html(listing)
    response = staff_client.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username=locked.email).exists()

    assert client.post("/auth/login/", {"login": locked.email, "password": PASSWORD}).status_code == 302
