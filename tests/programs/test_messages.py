"""Messages from TRA: sent to one account or to every account of a program (one copy per account, one
transaction), read state per person, the header's count of unread messages (one query), an e-mail that a
message is waiting (to owners and to the delegates and representatives whose access includes messages; one
e-mail per person; never the message's subject or text), answers in a thread, and the refusals."""

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import AccessLogEntry, OutboxEmail
from consent import selectors as consent_selectors
from consent.models import Grant
from consent.privileges import Privilege
from programs import selectors
from programs.models import Message, MessageRead, MessageReply, Program
from programs.services import messages as message_services
from tests.accounts.factories import UserFactory, actor_for
from tests.consent.factories import (
    ConsentFactory,
    GrantFactory,
    ProgramAccountFactory,
    delegate_grant,
    owner_grant,
    representative_grant,
)
from tests.programs.conftest import field_errors

pytestmark = pytest.mark.django_db

SUBJECT = "Your March return: audit of the Leduc terminal"
BODY = "Please send the bills of lading for shipments 4411 to 4419 by April 30."


def _url(name, account, **kwargs):
    return reverse(name, kwargs={"number": account.number, **kwargs})


@pytest.fixture
def staff(db):
    return UserFactory(is_staff=True, is_superuser=True, email="tra.officer@gov.ab.ca")


@pytest.fixture
def readers(account, owner, co_owner):
    """Who reads the account's messages (owners, a delegate and a representative holding MESSAGES) and who
    does not (a delegate without it, a revoked delegate, an invitation not yet accepted)."""
    dana = UserFactory(full_name="Dana Delegate", email="dana@example.ca")
    delegate_grant(account=account, user=dana, privileges=[Privilege.MESSAGES])
    vic = UserFactory(full_name="Vic Viewer", email="vic@example.ca")
    delegate_grant(account=account, user=vic, privileges=[Privilege.VIEW_ACCOUNT])
    consent = ConsentFactory(
        taxpayer=account.taxpayer,
        representative=UserFactory(full_name="Rita Rep", email="rita@example.ca"),
        privileges=[Privilege.MESSAGES.value],
        accounts=[account],
    )
    representative_grant(consent=consent, account=account)
    gone = UserFactory(email="gone@example.ca")
    delegate_grant(account=account, user=gone, privileges=[Privilege.MESSAGES], status=Grant.Status.REVOKED)
    GrantFactory(
        account=account,
        user=None,
        status=Grant.Status.PENDING,
        privileges=[Privilege.MESSAGES.value],
        email="later@example.ca",
    )
    return {"dana": dana, "vic": vic, "rita": consent.representative, "gone": gone}


def _send(account, staff, **kwargs):
    return message_services.message_send(
        account=account,
        subject=kwargs.get("subject", SUBJECT),
        body=kwargs.get("body", BODY),
        by=staff,
        notify=consent_selectors.message_recipient_emails(account=account),
        actor=actor_for(staff),
    )


# --- Sending --------------------------------------------------------------------------------------------


def test_a_message_is_announced_to_each_reader_alone_and_never_by_its_content(
    account, staff, readers, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        message = _send(account, staff)

    recipients = sorted(address for email in mail.outbox for address in email.to)
    assert recipients == ["dana@example.ca", "olivia@example.ca", "oscar@example.ca", "rita@example.ca"]
    assert all(len(email.to) == 1 for email in mail.outbox)  # nobody learns the others' addresses
    for email in mail.outbox:
        text = f"{email.subject}\n{email.body}"
        assert account.number in email.subject
        assert "audit" not in text.lower()
        assert "Leduc" not in text
        assert "bills of lading" not in text
    assert message.last_from_tra_at == message.sent_at
    entry = AccessLogEntry.objects.get(action="message from TRA sent")
    assert (entry.account_number, entry.capacity, entry.actor) == (account.number, "staff", staff)


def test_a_message_needs_a_subject_and_a_text(account, staff):
    with pytest.raises(ValidationError) as refused:
        message_services.message_send(
            account=account, subject="  ", body="", by=staff, actor=actor_for(staff)
        )
    assert set(refused.value.error_dict) == {"subject", "body"}
    assert not Message.objects.exists()
    assert not OutboxEmail.objects.exists()


def test_a_program_wide_message_is_one_copy_per_active_account_and_one_email_per_person(
    account, staff, owner, co_owner, django_capture_on_commit_callbacks
):
    second = ProgramAccountFactory(taxpayer=account.taxpayer, program=account.program)
    owner_grant(account=second, user=owner)
    closed = ProgramAccountFactory(status="closed")
    other_program = ProgramAccountFactory(program="tefs")
    program = account.program

    with django_capture_on_commit_callbacks(execute=True):
        sent = message_services.message_send_to_program(
            program=program,
            subject="Fuel tax rates change on April 1",
            body="The rate for clear diesel changes.",
            by=staff,
            notify_by_account=consent_selectors.message_recipients_by_account(program=program),
            actor=actor_for(staff),
        )

    assert {m.account for m in sent} == {account, second}
    assert closed not in {m.account for m in sent}
    assert other_program not in {m.account for m in sent}
    assert {m.program_wide for m in sent} == {program}
    to_olivia = [email for email in mail.outbox if email.to == ["olivia@example.ca"]]
    assert len(to_olivia) == 1  # she reaches both accounts: one e-mail naming both
    assert account.number in to_olivia[0].body
    assert second.number in to_olivia[0].body
    assert "diesel" not in to_olivia[0].body
    assert [email.to for email in mail.outbox if email.to != ["olivia@example.ca"]] == [["oscar@example.ca"]]


def test_a_program_without_active_accounts_gets_no_message(staff):
    program = Program.objects.get(code="aite")
    with pytest.raises(ValidationError):
        message_services.message_send_to_program(
            program=program, subject="S", body="B", by=staff, actor=actor_for(staff)
        )
    assert not Message.objects.exists()


def test_a_program_wide_message_is_all_or_nothing(account, staff, monkeypatch):
    ProgramAccountFactory(program=account.program)
    calls = []

    def failing_log(**kwargs):
        calls.append(kwargs)
        if len(calls) == 2:
            raise RuntimeError("database went away")

    monkeypatch.setattr(message_services, "access_log_record", failing_log)
    with pytest.raises(RuntimeError):
        message_services.message_send_to_program(
            program=account.program, subject="S", body="B", by=staff, actor=actor_for(staff)
        )
    assert not Message.objects.exists()


# --- Reading: per person, and the header's count ------------------------------------------------------


def test_reading_marks_the_message_read_for_that_person_only(account, owner, co_owner, staff, client_for):
    message = _send(account, staff)
    olivia, oscar = client_for(owner), client_for(co_owner)

    listing = olivia.get(_url("messages_list", account))
    assert 'class="unread"' in listing.text
    assert SUBJECT in listing.text
    page = olivia.get(_url("message_detail", account, message_id=message.pk))
    assert page.status_code == 200
    assert BODY in page.text
    assert page["Cache-Control"].startswith("max-age=0")

    assert 'class="unread"' not in olivia.get(_url("messages_list", account)).text
    assert 'class="unread"' in oscar.get(_url("messages_list", account)).text
    assert MessageRead.objects.filter(message=message).count() == 1
    assert selectors.unread_message_count(user=owner, account_ids=[account.pk]) == 0
    assert selectors.unread_message_count(user=co_owner, account_ids=[account.pk]) == 1


def _header_count(response) -> str:
    header = response.text.split('data-testid="header-messages"', 1)[1].split("</a>", 1)[0]
    return header


def test_the_header_counts_unread_messages_across_the_accounts_the_person_reads(
    account, owner, co_owner, staff, client_for
):
    second = ProgramAccountFactory(program="tefs")
    owner_grant(account=second, user=owner)
    unseen = ProgramAccountFactory()  # not Olivia's: its messages never count for her
    first = _send(account, staff)
    _send(account, staff, subject="Second")
    _send(second, staff, subject="Third")
    _send(unseen, staff, subject="Elsewhere")
    olivia = client_for(owner)

    assert ">3<" in _header_count(olivia.get(reverse("home")))
    olivia.get(_url("message_detail", account, message_id=first.pk))
    assert ">2<" in _header_count(olivia.get(reverse("home")))
    assert "unread" in _header_count(olivia.get(reverse("home")))  # said, not only shown in red


def test_the_header_count_skips_accounts_whose_messages_the_person_does_not_read(
    account, staff, readers, client_for
):
    _send(account, staff)
    vic = client_for(readers["vic"])  # a delegate without the messages privilege
    assert "badge" not in _header_count(vic.get(reverse("home")))
    dana = client_for(readers["dana"])
    assert ">1<" in _header_count(dana.get(reverse("home")))


def test_the_header_count_is_one_query_whatever_the_number_of_messages(account, owner, staff, client_for):
    olivia = client_for(owner)
    url = reverse("help")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert olivia.get(url).status_code == 200
        return len(captured)

    _send(account, staff)
    queries()  # the first request of a session also writes the session
    with_one = queries()
    for n in range(30):
        _send(account, staff, subject=f"Notice {n}")
    other = ProgramAccountFactory(program="tefs")
    owner_grant(account=other, user=owner)
    _send(other, staff)
    assert queries() == with_one


def test_the_list_of_messages_takes_the_same_queries_for_5_and_for_50(account, owner, staff, client_for):
    olivia = client_for(owner)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert olivia.get(_url("messages_list", account)).status_code == 200
        return len(captured)

    for n in range(5):
        _send(account, staff, subject=f"Notice {n}")
    queries()  # the first request of a session also writes the session
    five = queries()
    for n in range(45):
        _send(account, staff, subject=f"Later {n}")
    assert queries() == five


def test_the_list_of_messages_shows_25_threads_a_page_newest_first(account, owner, staff, client_for):
    for n in range(30):
        _send(account, staff, subject=f"Notice {n:02d}")
    olivia = client_for(owner)
    first = olivia.get(_url("messages_list", account)).text
    second = olivia.get(_url("messages_list", account) + "?page=2").text
    assert first.count('data-testid="message-row"') == 25
    assert second.count('data-testid="message-row"') == 5
    assert "Notice 29" in first
    assert "Notice 00" not in first
    assert "Notice 00" in second
    assert "Page 1 of 2" in first


def test_an_answer_from_tra_makes_the_thread_unread_again_and_is_announced(
    account, owner, staff, readers, client_for, django_capture_on_commit_callbacks
):
    message = _send(account, staff)
    olivia = client_for(owner)
    olivia.get(_url("message_detail", account, message_id=message.pk))
    assert selectors.unread_message_count(user=owner, account_ids=[account.pk]) == 0

    with django_capture_on_commit_callbacks(execute=True):
        message_services.message_answer(
            message=message,
            body="We also need the May invoices.",
            by=staff,
            notify=consent_selectors.message_recipient_emails(account=account),
            actor=actor_for(staff),
        )

    assert selectors.unread_message_count(user=owner, account_ids=[account.pk]) == 1
    assert sorted(e.to[0] for e in mail.outbox) == [
        "dana@example.ca",
        "olivia@example.ca",
        "oscar@example.ca",
        "rita@example.ca",
    ]
    assert all("May invoices" not in e.body for e in mail.outbox)
    page = olivia.get(_url("message_detail", account, message_id=message.pk))
    assert "We also need the May invoices." in page.text
    assert "Tax and Revenue Administration" in page.text


def test_the_messages_page_lists_the_accounts_with_their_unread_counts(account, owner, staff, client_for):
    olivia = client_for(owner)
    # One account: straight to its messages.
    assert olivia.get(reverse("messages_inbox")).url == _url("messages_list", account)
    second = ProgramAccountFactory(program="tefs")
    owner_grant(account=second, user=owner)
    _send(second, staff)
    page = olivia.get(reverse("messages_inbox"))
    assert page.status_code == 200
    assert page.text.count('data-testid="inbox-row"') == 2
    assert "<strong>1</strong>" in page.text
    assert SUBJECT not in page.text  # subjects stay on the account's own pages


def test_the_messages_page_without_accounts_says_so(client_for):
    page = client_for(UserFactory()).get(reverse("messages_inbox"))
    assert page.status_code == 200
    assert "None of the accounts you reach" in page.text


# --- Answering ------------------------------------------------------------------------------------------


def test_a_delegate_with_messages_answers_in_the_thread(account, staff, readers, client_for):
    message = _send(account, staff)
    dana = client_for(readers["dana"])
    response = dana.post(
        _url("message_reply", account, message_id=message.pk),
        {"body": "  The bills are attached under Submit Documents.  "},
    )
    assert response.url == _url("message_detail", account, message_id=message.pk)

    reply = MessageReply.objects.get()
    assert (reply.body, reply.author, reply.from_tra, reply.capacity) == (
        "The bills are attached under Submit Documents.",
        readers["dana"],
        False,
        "delegate",
    )
    message.refresh_from_db()
    assert message.awaiting_tra
    assert "The bills are attached" in dana.get(response.url).text
    entry = AccessLogEntry.objects.get(action="answer to a message from TRA sent")
    assert (entry.actor, entry.capacity, entry.account_number) == (
        readers["dana"],
        "delegate",
        account.number,
    )
    assert selectors.unread_message_count(user=readers["dana"], account_ids=[account.pk]) == 0


def test_an_empty_answer_is_refused_next_to_the_field_and_nothing_is_saved(account, owner, staff, client_for):
    message = _send(account, staff)
    olivia = client_for(owner)
    response = olivia.post(_url("message_reply", account, message_id=message.pk), {"body": "   "})
    assert response.status_code == 400
    assert field_errors(response, "body") == [str(message_services.REPLY_BODY_REQUIRED)]
    assert "There is a problem" in response.text
    assert not MessageReply.objects.exists()
    message.refresh_from_db()
    assert message.last_from_client_at is None


def test_a_too_long_answer_keeps_what_was_typed(account, owner, staff, client_for):
    message = _send(account, staff)
    typed = "x" * (message_services.REPLY_MAX_CHARS + 1)
    response = client_for(owner).post(_url("message_reply", account, message_id=message.pk), {"body": typed})
    assert response.status_code == 400
    assert field_errors(response, "body")
    assert typed in response.text
    assert not MessageReply.objects.exists()


def test_the_reply_page_shows_the_form_and_the_message(account, owner, staff, client_for):
    message = _send(account, staff)
    page = client_for(owner).get(_url("message_reply", account, message_id=message.pk))
    assert page.status_code == 200
    assert 'name="body"' in page.text
    assert BODY in page.text


# --- Refusals ---------------------------------------------------------------------------------------------


def test_a_message_of_another_account_is_not_found(account, owner, staff, client_for):
    elsewhere = ProgramAccountFactory()
    message = _send(elsewhere, staff)
    olivia = client_for(owner)
    assert olivia.get(_url("message_detail", account, message_id=message.pk)).status_code == 404
    assert (
        olivia.post(_url("message_reply", account, message_id=message.pk), {"body": "Hello"}).status_code
        == 404
    )
    assert olivia.get(_url("message_detail", account, message_id=999999)).status_code == 404
    assert not MessageRead.objects.exists()
    assert not MessageReply.objects.exists()


def test_a_delegate_without_messages_is_refused_and_the_refusal_logged(account, staff, readers, client_for):
    message = _send(account, staff)
    vic = client_for(readers["vic"])
    response = vic.get(_url("message_detail", account, message_id=message.pk))
    assert response.status_code == 403
    assert str(Privilege.MESSAGES.label) in response.text
    assert BODY not in response.text
    assert vic.post(_url("message_reply", account, message_id=message.pk), {"body": "Hi"}).status_code == 403
    assert not MessageRead.objects.exists()
    assert not MessageReply.objects.exists()
    assert AccessLogEntry.objects.filter(kind=AccessLogEntry.Kind.DENIED, actor=readers["vic"]).count() == 2


def test_the_menu_shows_messages_only_to_those_who_read_them(account, owner, readers, client_for):
    menu_link = f'href="{_url("messages_list", account)}"'
    assert menu_link in client_for(owner).get(_url("account_detail", account)).text
    assert menu_link in client_for(readers["dana"]).get(_url("messages_list", account)).text
    assert menu_link not in client_for(readers["vic"]).get(_url("account_detail", account)).text


def test_an_account_without_messages_says_so(account, owner, client_for):
    page = client_for(owner).get(_url("messages_list", account))
    assert 'data-testid="no-messages"' in page.text
