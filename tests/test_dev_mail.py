"""The demo's mail catcher: under `make run` (no EMAIL_URL, not production) the e-mails the worker sends are kept
under var/mail and shown at /dev/mail/, so a new person can open the verification link of their sign-up. Off, the
page does not exist; production refuses the setting outright."""

import re

import pytest
from django.core.cache import cache
from django.urls import reverse

from tests.accounts.factories import PASSWORD
from tests.test_deploy_check import manage, with_the_settings

DEV_MAIL_BACKEND = "tracs.dev_mail.EmailBackend"


@pytest.fixture
def catcher(settings, tmp_path):
    settings.TRACS_DEV_MAIL = True
    settings.TRACS_DEV_MAIL_DIR = tmp_path / "mail"
    settings.EMAIL_BACKEND = DEV_MAIL_BACKEND
    cache.clear()  # allauth's sign-up rate limit
    yield tmp_path / "mail"
    cache.clear()


def sign_up(client, django_capture_on_commit_callbacks, email):
    data = {"full_name": "Jeanne Tremblay", "email": email, "password1": PASSWORD, "password2": PASSWORD}
    with django_capture_on_commit_callbacks(execute=True):  # the outbox sends once the sign-up commits
        return client.post("/auth/signup/", data)


@pytest.mark.django_db
def test_the_mail_page_lists_a_sign_ups_verification_email_and_its_link_works(
    client, catcher, django_capture_on_commit_callbacks
):
    assert sign_up(client, django_capture_on_commit_callbacks, "new.filer@example.ca").status_code == 302
    [kept] = list(catcher.glob("*.eml"))

    listing = client.get(reverse("dev_mail"))
    assert listing.status_code == 200
    page = listing.content.decode()
    assert "new.filer@example.ca" in page
    assert "TRACS: Please Confirm Your Email Address" in page
    detail_url = reverse("dev_mail_message", kwargs={"name": kept.name})
    assert f'href="{detail_url}"' in page

    message = client.get(detail_url).content.decode()
    [link] = re.findall(r'<a href="http://testserver(/auth/confirm-email/[^"]+)"', message)
    assert client.get(link).status_code == 200
    client.post(link)
    from allauth.account.models import EmailAddress

    assert EmailAddress.objects.get(email="new.filer@example.ca").verified


@pytest.mark.django_db
def test_the_mail_page_says_where_e_mail_goes_when_there_is_none(client, catcher):
    page = client.get(reverse("dev_mail")).content.decode()
    assert "No e-mail yet" in page


@pytest.mark.django_db
def test_a_name_that_is_not_a_kept_message_is_not_found(client, catcher):
    (catcher.parent / "secret.eml").write_text("Subject: not mail\n\nnot kept by the catcher")
    assert client.get(reverse("dev_mail_message", kwargs={"name": "..%2Fsecret.eml"})).status_code == 404
    assert (
        client.get(
            reverse("dev_mail_message", kwargs={"name": "20261201T101010.000000-abcdef12.eml"})
        ).status_code
        == 404
    )


@pytest.mark.django_db
def test_with_the_setting_off_the_mail_page_does_not_exist(client, settings, tmp_path):
    settings.TRACS_DEV_MAIL = False
    settings.TRACS_DEV_MAIL_DIR = tmp_path / "mail"
    assert client.get(reverse("dev_mail")).status_code == 404
    name = "20261201T101010.000000-abcdef12.eml"
    assert client.get(reverse("dev_mail_message", kwargs={"name": name})).status_code == 404


# Production needs these (issue 10, item 6); given, so that the refusal tested is the catcher's.
PRODUCTION_MAIL = {
    "EMAIL_URL": "smtp+tls://user:password@smtp.example.ca:587",
    "CACHE_URL": "redis://127.0.0.1:6379/1",
    "OUTBOX_KEY": "QxH20n7xtP6ILXa8Jj-CarP7gkmwSWGkcuBh1bbMRlw=",
}


@pytest.mark.django_db
def test_production_refuses_the_mail_catcher():
    result = manage("check", TRACS_DEV_MAIL="1", **PRODUCTION_MAIL)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "TRACS_DEV_MAIL" in output
    assert "never in production" in output


@pytest.mark.django_db
def test_production_keeps_the_mail_catcher_off_by_default():
    code = "from django.conf import settings; print(settings.TRACS_DEV_MAIL, settings.EMAIL_BACKEND)"
    result = with_the_settings(code, **PRODUCTION_MAIL)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.split() == ["False", "django.core.mail.backends.smtp.EmailBackend"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("email_url", "expected"),
    [
        (None, ["True", DEV_MAIL_BACKEND]),  # the embedded default: e-mail has nowhere else to go
        ("smtp://127.0.0.1:1025", ["False", "django.core.mail.backends.smtp.EmailBackend"]),  # a mail server
    ],
)
def test_the_mail_catcher_is_on_by_default_only_where_e_mail_has_nowhere_to_go(email_url, expected):
    code = "from django.conf import settings; print(settings.TRACS_DEV_MAIL, settings.EMAIL_BACKEND)"
    result = with_the_settings(code, TRACS_PRODUCTION=None, EMAIL_URL=email_url, TRACS_DEV_MAIL=None)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.split() == expected
