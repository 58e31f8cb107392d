"""From a notice to its objection: the account's notices page links each notice still open to objection to the
objection wizard (for people who may file one), and the wizard opens with that notice chosen."""

import re

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from assessments.models import Notice
from consent.privileges import Privilege
from tests.accounts.factories import UserFactory
from tests.assessments.objection_factories import late_june_2021
from tests.conftest import sign_in
from tests.consent.factories import delegate_grant
from tests.filings.factories import edmonton

pytestmark = pytest.mark.django_db


def url(name, account, **kwargs):
    return reverse(name, kwargs={"number": account.number, **kwargs})


@pytest.fixture
def notice(account, owner, django_capture_on_commit_callbacks):
    late_june_2021(account=account, user=owner, capture=django_capture_on_commit_callbacks)
    return Notice.objects.get(account=account)


def _reader(account, *privileges):
    user = UserFactory()
    delegate_grant(account=account, user=user, privileges=(Privilege.VIEW_ASSESSMENTS, *privileges))
    return sign_in(Client(), user)


def test_a_notice_open_to_objection_links_to_the_wizard_with_it_chosen(account, notice):
    client = _reader(account, Privilege.FILE_OBJECTIONS)
    link = f"{url('objection_new', account)}?notice={notice.pk}"
    with time_machine.travel(edmonton(2021, 10, 1, 10), tick=False):
        listed = client.get(url("notice_list", account)).content.decode()
        assert link in listed
        assert "Object to this notice" in listed
        wizard = client.get(link).content.decode()
    assert re.search(rf'<option value="{notice.pk}"[^>]* selected', wizard)
    assert re.search(r'<input type="radio" name="against" value="notice"[^>]* checked', wizard)


def test_no_link_once_the_objection_period_is_over_or_without_the_privilege(account, notice):
    with time_machine.travel(edmonton(2021, 10, 1, 10), tick=False):
        assert (
            "Object to this notice" not in _reader(account).get(url("notice_list", account)).content.decode()
        )
    with time_machine.travel(edmonton(2022, 1, 1, 10), tick=False):  # more than 90 days after 2021-08-20
        client = _reader(account, Privilege.FILE_OBJECTIONS)
        assert "Object to this notice" not in client.get(url("notice_list", account)).content.decode()


def test_a_notice_of_another_account_is_not_chosen(account, notice):
    from tests.consent.factories import ProgramAccountFactory

    other = ProgramAccountFactory()
    user = UserFactory()
    delegate_grant(
        account=other, user=user, privileges=(Privilege.FILE_OBJECTIONS, Privilege.VIEW_ASSESSMENTS)
    )
    client = sign_in(Client(), user)
    with time_machine.travel(edmonton(2021, 10, 1, 10), tick=False):
        wizard = client.get(f"{url('objection_new', other)}?notice={notice.pk}").content.decode()
    assert f'value="{notice.pk}"' not in wizard


def test_the_filer_downloads_the_documents_filed_with_an_objection(account, owner, notice):
    from tests.assessments.objection_factories import notice_objection, staged_documents

    with time_machine.travel(edmonton(2021, 10, 1, 10), tick=False):
        documents = staged_documents(account=account, user=owner, count=1)
        objection = notice_objection(account=account, user=owner, notice=notice, documents=documents)
        client = sign_in(Client(), owner)
        page = client.get(url("objection_detail", account, objection_id=objection.pk)).content.decode()
        document = objection.documents.get()
        link = url("objection_document", account, objection_id=objection.pk, document_id=document.pk)
        assert f'href="{link}"' in page
        response = client.get(link)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_a_document_of_another_filing_is_not_found(account, owner, notice):
    from tests.assessments.objection_factories import notice_objection, staged_documents

    with time_machine.travel(edmonton(2021, 10, 1, 10), tick=False):
        first = notice_objection(
            account=account,
            user=owner,
            notice=notice,
            documents=staged_documents(account=account, user=owner, count=1),
        )
        second = notice_objection(account=account, user=owner, notice=notice, facts="Another objection.")
        client = sign_in(Client(), owner)
        document = first.documents.get()
        response = client.get(
            url("objection_document", account, objection_id=second.pk, document_id=document.pk)
        )
    assert response.status_code == 404
