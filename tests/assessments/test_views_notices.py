"""View Assessment Status, the notices page and the notice download (VIEW_ASSESSMENTS): the notice of another
account is a 404, a download is remembered (NoticeRead) and logged."""

import html
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import AccessLogEntry
from assessments.models import Notice, NoticeRead
from consent.privileges import Privilege
from tests.accounts.factories import UserFactory
from tests.assessments.factories import assess, june_2021
from tests.conftest import sign_in
from tests.consent.factories import ProgramAccountFactory, delegate_grant, owner_grant
from tests.filings.factories import edmonton, file_return


def url(name, account, **kwargs):
    return reverse(name, kwargs={"number": account.number, **kwargs})


def text(response) -> str:
    return re.sub(r"\s+", " ", html.unescape(response.content.decode()))


@pytest.fixture
def notice(account, owner, django_capture_on_commit_callbacks):
    assessment = assess(
        django_capture_on_commit_callbacks,
        tax_return=june_2021(account=account, user=owner),
        when=edmonton(2021, 7, 10),
    )
    return Notice.objects.get(assessment=assessment)


def test_the_notices_page_lists_the_notices(account, owner_client, notice):
    response = owner_client.get(url("notice_list", account))
    assert response.status_code == 200
    page = text(response)
    assert f"Notice of assessment {notice.reference}" in page
    assert "June 2021" in page
    assert "$13,800.00" in page
    assert "2021-10-08" in page
    assert "New" in page
    assert url("notice_download", account, notice_id=notice.pk) in page


def test_the_download_is_the_pdf_and_is_remembered(account, owner, owner_client, notice):
    response = owner_client.get(url("notice_download", account, notice_id=notice.pk))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert f'filename="{notice.reference}.pdf"' in response["Content-Disposition"]
    assert response["Cache-Control"] == "private, no-store"
    read = NoticeRead.objects.get(notice=notice)
    assert (read.user, read.capacity) == (owner, "owner")
    owner_client.get(url("notice_download", account, notice_id=notice.pk))  # the first opening is kept
    assert NoticeRead.objects.filter(notice=notice).count() == 1
    assert AccessLogEntry.objects.filter(action="notice download", actor=owner).count() == 2
    assert "New" not in text(owner_client.get(url("notice_list", account)))


def test_the_notice_of_another_account_is_not_found(
    account, owner, notice, django_capture_on_commit_callbacks
):
    other = ProgramAccountFactory(effective_date=account.effective_date)
    owner_grant(
        account=other, user=owner
    )  # the same person owns both: still, each notice under its own account
    other_notice_assessment = assess(
        django_capture_on_commit_callbacks, tax_return=june_2021(account=other, user=owner)
    )
    other_notice = Notice.objects.get(assessment=other_notice_assessment)
    client = sign_in(Client(), owner)
    assert client.get(url("notice_download", account, notice_id=other_notice.pk)).status_code == 404
    assert client.get(url("notice_download", account, notice_id=999999)).status_code == 404
    assert client.get(url("notice_download", other, notice_id=other_notice.pk)).status_code == 200


def test_outsiders_get_404_and_people_without_the_function_403(account, notice):
    outsider = sign_in(Client(), UserFactory())
    for name, kwargs in [
        ("notice_list", {}),
        ("notice_download", {"notice_id": notice.pk}),
        ("assessment_status", {}),
    ]:
        assert outsider.get(url(name, account, **kwargs)).status_code == 404
    viewer_of_balances = UserFactory()
    delegate_grant(account=account, user=viewer_of_balances, privileges=(Privilege.VIEW_ACCOUNT,))
    client = sign_in(Client(), viewer_of_balances)
    for name, kwargs in [
        ("notice_list", {}),
        ("notice_download", {"notice_id": notice.pk}),
        ("assessment_status", {}),
    ]:
        response = client.get(url(name, account, **kwargs))
        assert response.status_code == 403
        assert str(Privilege.VIEW_ASSESSMENTS.label) in response.content.decode()
    assert not NoticeRead.objects.exists()


def test_a_delegate_with_view_assessments_downloads(account, notice):
    delegate = UserFactory()
    delegate_grant(account=account, user=delegate, privileges=(Privilege.VIEW_ASSESSMENTS,))
    response = sign_in(Client(), delegate).get(url("notice_download", account, notice_id=notice.pk))
    assert response.status_code == 200
    assert NoticeRead.objects.get().capacity == "delegate"


def test_assessment_status_shows_received_processed_and_the_notice(account, owner, owner_client, notice):
    with __import__("time_machine").travel(edmonton(2021, 8, 20), tick=False):
        file_return(account=account, period="2021-07", user=owner, clear_diesel__taxable="10")
    response = owner_client.get(url("assessment_status", account))
    assert response.status_code == 200
    page = text(response)
    in_process, completed = page.split("Completed", 1)
    assert "Fuel tax return, July 2021" in in_process
    assert "Received" in in_process
    assert "Fuel tax return, June 2021" in completed
    assert "2021-07-05" in completed  # received
    assert "2021-07-10" in completed  # processed
    assert "$13,800.00" in completed
    assert f"Notice of assessment {notice.reference}" in completed


def test_assessment_status_query_count_is_flat(
    account, owner, owner_client, django_capture_on_commit_callbacks
):
    def count():
        with CaptureQueriesContext(connection) as queries:
            assert owner_client.get(url("assessment_status", account)).status_code == 200
        return len(queries)

    owner_client.get(url("assessment_status", account))
    # Each assessed in its own month, in order: a notice prints the ledger as of its date (tests/conftest.py).
    assess(
        django_capture_on_commit_callbacks,
        tax_return=june_2021(account=account, user=owner),
        when=edmonton(2021, 7, 10),
    )
    few = count()
    for month in (7, 8, 9):
        with __import__("time_machine").travel(edmonton(2021, month + 1, 3), tick=False):
            assess(
                django_capture_on_commit_callbacks,
                tax_return=file_return(account=account, period=f"2021-{month:02d}", user=owner),
            )
    assert count() == few
