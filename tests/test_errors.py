"""Bad input gets a clear page in the portal's layout and the right status code, never a stack trace."""

import pytest
from django.test import Client
from django.urls import path

from tests.accounts.factories import PASSWORD, UserFactory
from tests.conftest import sign_in
from tracs.urls import handler400, handler403, handler404, handler500  # noqa: F401 - this module is a URLconf
from tracs.urls import urlpatterns as portal_urlpatterns


def _broken_view(request):
    raise RuntimeError("secret internal detail: DATABASE password=hunter2")


# A URLconf for the 500 test only: the portal's URLs plus one view that fails.
urlpatterns = [*portal_urlpatterns, path("broken/", _broken_view)]

NO_TRACE = ("Traceback", "RuntimeError", "hunter2", "File &quot;", 'File "', "django/core/handlers")


def html(response):
    return response.content.decode().replace("&#x27;", "'")


def assert_in_layout_without_trace(page):
    assert 'class="portal-header"' in page
    for leak in NO_TRACE:
        assert leak not in page


@pytest.mark.django_db
def test_unknown_url_gets_a_404_page_in_the_layout(client):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    page = html(response)
    assert "<h1>Page not found</h1>" in page
    assert "There is no page at this address" in page
    assert 'href="/"' in page  # a way back
    assert 'class="portal-header"' in page
    assert 'class="portal-footer"' in page
    assert_in_layout_without_trace(page)


@pytest.mark.django_db
def test_unknown_url_for_a_signed_in_person_is_a_404_too(client, user):
    sign_in(client, user)
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    page = html(response)
    assert "Page not found" in page
    assert user.display_name in page  # still in the signed-in layout
    assert_in_layout_without_trace(page)


@pytest.mark.django_db
def test_unknown_static_file_is_a_plain_404(client):
    assert client.get("/static/no-such-file.css").status_code == 404


@pytest.mark.django_db
def test_post_without_csrf_token_gets_the_form_expired_page():
    user = UserFactory()
    client = Client(enforce_csrf_checks=True)
    response = client.post("/auth/login/", {"login": user.email, "password": PASSWORD})
    assert response.status_code == 403
    page = html(response)
    assert "This form has expired" in page
    assert "Nothing was saved" in page
    assert 'class="portal-header"' in page
    assert_in_layout_without_trace(page)
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_post_with_a_wrong_csrf_token_gets_the_same_page(user):
    client = Client(enforce_csrf_checks=True)
    sign_in(client, user)
    client.get("/two-factor/")  # sets the CSRF cookie
    response = client.post("/two-factor/", {"csrfmiddlewaretoken": "x" * 64})
    assert response.status_code == 403
    assert "This form has expired" in html(response)


@pytest.mark.django_db
def test_post_with_the_csrf_token_of_the_page_works():
    user = UserFactory()
    client = Client(enforce_csrf_checks=True)
    client.get("/auth/login/")
    token = client.cookies["csrftoken"].value
    response = client.post(
        "/auth/login/", {"login": user.email, "password": PASSWORD, "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302


@pytest.mark.django_db
def test_unknown_host_gets_a_400_page_without_detail(client):
    response = client.get("/auth/login/", HTTP_HOST="attacker.example")
    assert response.status_code == 400
    page = html(response)
    assert "attacker.example" not in page
    for leak in NO_TRACE:
        assert leak not in page


@pytest.mark.django_db
@pytest.mark.urls("tests.test_errors")
def test_a_failure_on_our_side_gets_a_500_page_without_a_trace(user):
    client = Client(raise_request_exception=False)
    sign_in(client, user)
    response = client.get("/broken/")
    assert response.status_code == 500
    page = html(response)
    assert "Something went wrong on our side" in page
    assert "try again" in page
    for leak in NO_TRACE:
        assert leak not in page


@pytest.mark.django_db
def test_a_wrong_method_is_refused_with_405(client, user):
    sign_in(client, user)
    assert client.put("/two-factor/verify/").status_code == 405


@pytest.mark.django_db
def test_non_staff_in_admin_get_a_clear_403_page(client, user):
    sign_in(client, user)
    response = client.get("/admin/", follow=True)
    assert response.status_code == 403
    page = html(response)
    assert "You do not have permission to do this" in page
    assert "TRA staff only" in page
    assert_in_layout_without_trace(page)
