"""Request bodies larger than their route accepts are refused from the Content-Length header, before a byte of
them is read (tracs.middleware.RequestBodyLimitMiddleware): 413 with a clear page in the portal's layout.

Each test hands Django a WSGI input that fails the test if anything reads it, through a client that checks CSRF
tokens as browsers' requests are checked (CsrfViewMiddleware reads the body of every POST to find the token)."""

import pytest
from django.conf import settings as django_settings
from django.template.defaultfilters import filesizeformat
from django.test import Client
from django.urls import reverse
from django.utils.crypto import get_random_string

from assessments import payments
from programs.services.documents import DOCUMENT_MAX_FILES
from tests.accounts.factories import UserFactory
from tests.conftest import sign_in
from tests.consent.factories import ProgramAccountFactory, owner_grant
from tracs import middleware

MB = 1000 * 1000


class UnreadableInput:
    """A request body nobody may read: the refusal must come from the Content-Length alone. A read is recorded
    (and fails the test after the response) even where something would swallow the error it raises."""

    def __init__(self):
        self.reads = 0

    def read(self, *args):
        self.reads += 1
        raise OSError("the request body was read")

    readline = read


def browser() -> Client:
    """A client that checks CSRF as for a browser's requests, holding a CSRF cookie as anyone can get one (so
    the middleware goes on to read the body for the token)."""
    client = Client(enforce_csrf_checks=True)
    client.cookies[django_settings.CSRF_COOKIE_NAME] = get_random_string(32)
    return client


def post_claiming(client, url: str, size: int, content_type: str = "multipart/form-data; boundary=x"):
    body = UnreadableInput()
    # Given in the environment: the test client sets the type and length only from a body it was handed.
    response = client.generic(
        "POST", url, CONTENT_TYPE=content_type, CONTENT_LENGTH=str(size), **{"wsgi.input": body}
    )
    assert body.reads == 0, "the request body was read"
    return response


def page(response) -> str:
    return response.content.decode().replace("&#x27;", "'")


@pytest.fixture
def account(db):
    return ProgramAccountFactory()


@pytest.fixture
def owner(account):
    person = UserFactory()
    owner_grant(account=account, user=person)
    return person


@pytest.fixture
def owner_client(owner):
    return sign_in(browser(), owner)


@pytest.mark.django_db
def test_a_200_mb_post_to_the_sign_in_page_is_refused_unread_with_a_clear_page(settings):
    response = post_claiming(browser(), "/auth/login/", 200 * MB)

    assert response.status_code == 413
    text = page(response)
    assert 'class="portal-header"' in text  # the portal's layout, not a bare error
    assert "<h1>What you sent is too large</h1>" in text
    expected = middleware.BODY_TOO_LARGE % {
        "size": filesizeformat(200 * MB),
        "limit": filesizeformat(settings.TRACS_REQUEST_BODY_MAX_BYTES),
    }
    assert str(expected) in text
    assert "Traceback" not in text


@pytest.mark.django_db
def test_a_form_a_person_fills_in_is_far_below_the_default_limit(client, settings):
    """The default leaves room for the largest real form (a fuel tax return, an admin action on many rows)."""
    assert settings.TRACS_REQUEST_BODY_MAX_BYTES >= 512 * 1024
    body = "login=someone%40example.ca&password=" + "x" * 200_000
    response = client.post("/auth/login/", body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200  # read and answered by the sign-in form, not refused


def test_django_never_holds_more_than_the_default_of_form_data_or_of_a_file_in_memory(settings):
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == settings.TRACS_REQUEST_BODY_MAX_BYTES
    assert settings.FILE_UPLOAD_MAX_MEMORY_SIZE <= 2 * 1024 * 1024


@pytest.mark.django_db
def test_a_signed_in_page_without_uploads_has_the_default_limit(owner_client, account, settings):
    url = reverse("account_detail", kwargs={"number": account.number})
    response = post_claiming(owner_client, url, settings.TRACS_REQUEST_BODY_MAX_BYTES + 1)
    assert response.status_code == 413
    assert 'class="portal-header"' in page(response)


@pytest.mark.django_db
def test_submit_documents_accepts_its_files_and_refuses_more_unread(owner_client, account, settings):
    settings.TRACS_DOCUMENT_MAX_BYTES = 1 * MB
    url = reverse("documents_submit_files", kwargs={"number": account.number})
    limit = DOCUMENT_MAX_FILES * 1 * MB + middleware.MULTIPART_ALLOWANCE

    response = post_claiming(owner_client, url, limit + 1)

    assert response.status_code == 413
    expected = middleware.FILES_TOO_LARGE % {
        "size": filesizeformat(limit + 1),
        "limit": filesizeformat(1 * MB),
        "count": DOCUMENT_MAX_FILES,
    }
    assert str(expected) in page(response)


@pytest.mark.django_db
def test_submit_documents_lets_a_body_within_its_limit_reach_the_page(account, owner, settings):
    settings.TRACS_DOCUMENT_MAX_BYTES = 1 * MB
    owner_client = sign_in(Client(), owner)
    url = reverse("documents_submit_files", kwargs={"number": account.number})
    # Far above the default limit, within the page's: the page itself answers (no wizard started: back to step 1).
    body = (
        b'--x\r\nContent-Disposition: form-data; name="action"\r\n\r\n' + b"y" * (2 * MB) + b"\r\n--x--\r\n"
    )
    response = owner_client.generic("POST", url, body, content_type="multipart/form-data; boundary=x")
    assert response.status_code == 302
    assert response["Location"] == reverse("documents_submit", kwargs={"number": account.number})


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["objection_documents", "waiver_documents"])
def test_objection_and_waiver_documents_take_one_document_at_a_time(owner_client, account, settings, name):
    settings.TRACS_DOCUMENT_MAX_BYTES = 1 * MB
    url = reverse(name, kwargs={"number": account.number})
    response = post_claiming(owner_client, url, 1 * MB + middleware.MULTIPART_ALLOWANCE + 1)
    assert response.status_code == 413


@pytest.mark.django_db
def test_the_xml_upload_refuses_an_oversized_return_file_unread(owner_client, account, settings):
    settings.TRACS_XML_UPLOAD_MAX_BYTES = 1024 * 1024
    url = reverse("return_xml_upload", kwargs={"number": account.number})
    response = post_claiming(owner_client, url, 200 * MB)
    assert response.status_code == 413
    assert "the largest file accepted is 1 MB" in page(
        response
    )  # the page's own message, next to the file field


@pytest.mark.django_db
def test_the_payment_import_in_admin_refuses_an_oversized_file_unread():
    staff = UserFactory(is_staff=True, is_superuser=True)
    client = sign_in(browser(), staff)
    url = reverse("admin:assessments_payment_import")
    response = post_claiming(client, url, payments.MAX_FILE_BYTES + middleware.MULTIPART_ALLOWANCE + 1)
    assert response.status_code == 413


def test_every_upload_route_named_in_the_limits_exists():
    """A renamed route would silently fall back to the small default and refuse every upload."""
    for name in middleware.UPLOAD_LIMITS:
        kwargs = {"number": "X"} if not name.startswith("admin:") else {}
        if name.endswith("_change"):
            kwargs = {"object_id": 1}
        assert reverse(name, kwargs=kwargs)


@pytest.mark.django_db
def test_a_marked_fuel_file_past_its_limit_is_refused_unread(owner_client, account, monkeypatch):
    from filings.sales import formats

    monkeypatch.setattr(formats, "MAX_FILE_BYTES", 1 * MB)
    url = reverse("sales_file_upload", kwargs={"number": account.number})
    size = 1 * MB + middleware.MULTIPART_ALLOWANCE + 1
    response = post_claiming(owner_client, url, size)
    assert response.status_code == 413
    expected = middleware.FILE_TOO_LARGE % {"size": filesizeformat(size), "limit": filesizeformat(1 * MB)}
    assert str(expected) in page(response)
