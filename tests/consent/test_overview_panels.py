"""Account Information's overview panels (consent/panels.py): who sees which panel, the open returns worked
through the due-date rules, messages, documents, contacts and recent changes, and a query count that does not
grow with the number of messages, documents or contacts (issue 4 #1, "Show")."""

import html
import re
from datetime import date, timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccessLogEntry
from accounts.services import access_log_record
from consent import panels
from consent.privileges import Privilege
from programs.models import Contact, Document, Message
from tests.accounts.factories import UserFactory, actor_for
from tests.conftest import sign_in
from tests.consent.factories import ProgramAccountFactory, delegate_grant, owner_grant
from tests.filings.factories import edmonton, file_return

pytestmark = pytest.mark.django_db

MESSAGES_TITLE = 'id="panel-messages"'
DOCUMENTS_TITLE = 'id="panel-documents"'
CONTACTS_TITLE = 'id="panel-contacts"'
ACTIVITY_TITLE = 'id="panel-activity"'
OBLIGATIONS_TITLE = 'id="panel-obligations"'


def page_text(response) -> str:
    """The page's words, without tags (each tag becomes nothing: "1 return overdue</span>, 1 return due")."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", "", response.content.decode())))


def detail(client, account):
    response = client.get(reverse("account_detail", kwargs={"number": account.number}))
    assert response.status_code == 200
    return response


def client_of(account, *privileges, owner=False):
    user = UserFactory()
    if owner:
        owner_grant(account=account, user=user)
    else:
        delegate_grant(account=account, user=user, privileges=privileges)
    return sign_in(Client(), user)


# --- Who sees which panel --------------------------------------------------------------------------------


def test_the_page_lists_filings_and_consent_panels():
    templates = [panel.template for panel in sorted(panels.ACCOUNT_PANELS, key=lambda panel: panel.order)]
    assert "filings/includes/panel_obligations.html" in templates  # filings.panels.obligations_panel
    assert templates.index("filings/includes/panel_obligations.html") < templates.index(
        "programs/includes/panel_messages.html"
    )


def test_a_viewer_sees_returns_and_contacts_but_not_messages_documents_or_changes():
    account = ProgramAccountFactory()
    text = detail(client_of(account, Privilege.VIEW_ACCOUNT), account).text

    assert OBLIGATIONS_TITLE in text
    assert CONTACTS_TITLE in text
    assert MESSAGES_TITLE not in text
    assert DOCUMENTS_TITLE not in text
    assert ACTIVITY_TITLE not in text
    # No File a Return link without the privilege to file.
    assert reverse("returns_owed", kwargs={"number": account.number}) not in text


def test_messages_and_documents_panels_follow_their_privileges():
    account = ProgramAccountFactory()
    text = detail(
        client_of(account, Privilege.VIEW_ACCOUNT, Privilege.MESSAGES, Privilege.SUBMIT_DOCUMENTS), account
    ).text

    assert MESSAGES_TITLE in text
    assert DOCUMENTS_TITLE in text
    assert ACTIVITY_TITLE not in text


def test_a_filer_gets_the_link_to_file_a_return():
    account = ProgramAccountFactory()
    text = detail(client_of(account, Privilege.VIEW_ACCOUNT, Privilege.FILE_RETURNS), account).text
    assert reverse("returns_owed", kwargs={"number": account.number}) in text


def test_an_owner_sees_every_panel_including_recent_changes():
    account = ProgramAccountFactory()
    text = detail(client_of(account, owner=True), account).text
    for title in (OBLIGATIONS_TITLE, MESSAGES_TITLE, DOCUMENTS_TITLE, CONTACTS_TITLE, ACTIVITY_TITLE):
        assert title in text


def test_a_panel_is_shown_to_holders_of_any_of_its_privileges(monkeypatch):
    """The panels' own rule, with a panel needing FILE_RETURNS or REPORT_FUEL."""
    account = ProgramAccountFactory()
    panel = panels.AccountPanel(
        99, (Privilege.FILE_RETURNS, Privilege.REPORT_FUEL), "consent/includes/panel_x.html", lambda a, u: {}
    )
    reporter = delegate_grant(account=account, privileges=(Privilege.REPORT_FUEL,))
    viewer = delegate_grant(account=account, privileges=(Privilege.VIEW_ACCOUNT,))
    from consent.access import access_for

    monkeypatch.setattr(panels, "ACCOUNT_PANELS", (*panels.ACCOUNT_PANELS, panel))
    shown = panels.account_panels(access=access_for(user=reporter.user, account=account), user=reporter.user)
    hidden = panels.account_panels(access=access_for(user=viewer.user, account=account), user=viewer.user)
    assert panel.template in [p.template for p in shown]
    assert panel.template not in [p.template for p in hidden]


# --- The worked data --------------------------------------------------------------------------------------


def test_open_returns_show_days_late_and_the_next_due_date():
    """Effective 2024-01-01, seen on 2024-03-10: January's return was due 2024-02-28 (a Wednesday), so it is
    11 days late; February's is due 2024-03-28 (Thursday), the next due date."""
    with time_machine.travel(edmonton(2024, 3, 10, 9), tick=False):
        account = ProgramAccountFactory(effective_date=date(2024, 1, 1))
        text = page_text(detail(client_of(account, Privilege.VIEW_ACCOUNT), account))

    assert "1 return overdue, 1 return due" in text
    assert "January 2024: overdue, due 2024-02-28, 11 days late" in text
    assert "February 2024: due 2024-03-28" in text
    assert "Next due date: 2024-03-28" in text


def test_filed_returns_leave_the_list():
    """January filed on time, seen on 2024-03-10: only February is open, and not overdue."""
    with time_machine.travel(edmonton(2024, 2, 5, 9), tick=False):
        account = ProgramAccountFactory(effective_date=date(2024, 1, 1))
        owner = UserFactory()
        owner_grant(account=account, user=owner)
        file_return(account=account, period="2024-01", user=owner, clear_gasoline__taxable="1000")
    with time_machine.travel(edmonton(2024, 3, 10, 9), tick=False):
        text = page_text(detail(sign_in(Client(), owner), account))

    assert "1 return due" in text
    assert "overdue" not in text
    assert "January 2024" not in text
    assert "February 2024: due 2024-03-28" in text


def test_every_return_filed_says_so():
    with time_machine.travel(edmonton(2024, 2, 5, 9), tick=False):
        account = ProgramAccountFactory(effective_date=date(2024, 1, 1))
        owner = UserFactory()
        owner_grant(account=account, user=owner)
        file_return(account=account, period="2024-01", user=owner, clear_gasoline__taxable="1000")
        text = page_text(detail(sign_in(Client(), owner), account))
    assert "Every return owed has been filed." in text
    assert "Next due date: 2024-03-28" in text  # January's return is filed; February's month is running


def test_a_program_without_monthly_returns_says_so():
    account = ProgramAccountFactory(program="tefs")
    text = page_text(detail(client_of(account, Privilege.VIEW_ACCOUNT), account))
    assert "This program has no monthly returns to file online." in text


def test_messages_documents_contacts_and_changes_are_summarised():
    account = ProgramAccountFactory()
    owner = UserFactory()
    owner_grant(account=account, user=owner)
    now = timezone.now()
    Message.objects.bulk_create(
        Message(
            account=account,
            subject=f"Subject {n}",
            body="Body",
            sent_at=now - timedelta(days=n),
            last_from_tra_at=now - timedelta(days=n),
        )
        for n in range(1, 5)
    )
    _documents(account, 2)
    Contact.objects.create(account=account, name="Pat Primary", phone="780-555-0101", is_primary=True)
    Contact.objects.bulk_create(
        Contact(account=account, name=f"Zed {n:02d}", email=f"zed{n}@example.ca") for n in range(6)
    )
    access_log_record(
        actor=actor_for(owner),
        kind=AccessLogEntry.Kind.CHANGE,
        action="contact added",
        account_number=account.number,
        capacity="owner",
    )

    text = page_text(detail(sign_in(Client(), owner), account))

    assert "4 unread messages" in text
    assert "Subject 1" in text
    assert "Subject 3" in text
    assert "Subject 4" not in text  # the latest three only
    assert "2 documents" in text
    assert "Pat Primary" in text
    assert "and 2 more" in text  # 7 contacts, 5 shown
    assert "contact added" in text
    assert text.index("Contact persons") < text.index("Pat Primary") < text.index("Zed 00")


# --- Query count ------------------------------------------------------------------------------------------


def _documents(account, count):
    now = timezone.now()
    Document.objects.bulk_create(
        Document(
            account=account,
            reference_number=f"DOC-{account.pk:08d}-{n:06d}",
            document_type=Document.Type.CORRESPONDENCE,
            received_at=now,
        )
        for n in range(count)
    )


def _fill(account, count):
    now = timezone.now()
    Message.objects.bulk_create(
        Message(account=account, subject=f"Subject {n}", body="Body", sent_at=now, last_from_tra_at=now)
        for n in range(count)
    )
    _documents(account, count)
    Contact.objects.bulk_create(
        Contact(account=account, name=f"Contact {n:03d}", email=f"c{n}@example.ca") for n in range(count)
    )


def _detail_queries(client, account) -> int:
    with CaptureQueriesContext(connection) as queries:
        detail(client, account)
    return len(queries)


def test_query_count_does_not_grow_with_messages_documents_or_contacts():
    few, many = ProgramAccountFactory(), ProgramAccountFactory()
    _fill(few, 5)
    _fill(many, 500)
    few_client, many_client = client_of(few, owner=True), client_of(many, owner=True)
    _detail_queries(few_client, few)  # warm up: the session and the two-factor device
    _detail_queries(many_client, many)

    assert _detail_queries(few_client, few) == _detail_queries(many_client, many)
    assert "500 documents" in detail(many_client, many).text
