"""The logs say what needs attention: an intended refusal is one line, a real error keeps its traceback, kombu's
start-up warning about the file broker's hostname is not printed, e-mail shown by the console backend in the
worker is not a warning, and the browser's request for /favicon.ico finds an icon."""

import logging
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.test import Client
from django.urls import reverse

from consent.privileges import Privilege
from tests.accounts.factories import UserFactory
from tests.conftest import sign_in
from tests.consent.factories import ProgramAccountFactory, delegate_grant
from tracs.celery import app


def request_records(caplog):
    return [record for record in caplog.records if record.name == "django.request"]


@pytest.mark.django_db
def test_an_intended_403_is_logged_as_one_line_without_a_traceback(caplog):
    account = ProgramAccountFactory()
    delegate = UserFactory()
    delegate_grant(account=account, user=delegate, privileges=[Privilege.FILE_RETURNS])
    client = sign_in(Client(), delegate)
    url = reverse("account_detail", kwargs={"number": account.number})

    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = client.get(url)

    assert response.status_code == 403  # the access policy refuses the function, not the account
    [record] = request_records(caplog)
    assert record.levelno == logging.WARNING
    assert record.getMessage() == f"Forbidden (Permission denied): {url}"
    assert record.exc_info is None
    assert "Traceback" not in caplog.text


@pytest.mark.django_db
@pytest.mark.urls("tests.test_errors")  # the portal's URLs and one view that fails
def test_a_real_error_keeps_its_traceback(caplog):
    client = Client(raise_request_exception=False)
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = client.get("/broken/")
    assert response.status_code == 500
    [record] = request_records(caplog)
    assert record.levelno == logging.ERROR
    assert record.exc_info is not None
    assert isinstance(record.exc_info[1], RuntimeError)
    assert "Traceback" in caplog.text


def test_the_file_broker_does_not_warn_about_a_hostname_at_every_start(caplog, settings):
    assert settings.CELERY_BROKER_URL == "filesystem://"
    with caplog.at_level(logging.WARNING, logger="kombu"):
        app.connection_for_write(url="filesystem://").info()
    assert "No hostname was supplied" not in caplog.text


def test_the_console_email_backend_printing_in_the_worker_is_not_a_warning(settings):
    """Celery logs what the worker prints (the console backend's e-mails, with EMAIL_URL=consolemail://) at
    this level: information, not a warning at every e-mail."""
    assert settings.CELERY_WORKER_REDIRECT_STDOUTS_LEVEL == "INFO"
    assert app.conf.worker_redirect_stdouts_level == "INFO"


@pytest.mark.django_db
def test_the_browsers_favicon_request_finds_the_portals_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302  # not permanent: the hashed name changes with the icon
    assert response["Location"] == static("img/favicon.ico")
    assert Path(finders.find("img/favicon.ico")).read_bytes()[:4] == b"\x00\x00\x01\x00"  # an ICO file


@pytest.mark.django_db
def test_pages_link_the_icon(client):
    page = client.get(reverse("account_login")).content.decode()
    assert 'rel="icon"' in page
