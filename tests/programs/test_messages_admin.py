"""Staff write messages in Django admin (to one account, or to every account of a program), see the
account's answers in the thread and answer them; the e-mails go to whom the access layer names."""

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import AccessLogEntry
from consent.privileges import Privilege
from programs.models import Message, MessageReply, Program
from programs.services import messages as message_services
from tests.accounts.factories import UserFactory, actor_for
from tests.conftest import sign_in
from tests.consent.factories import ProgramAccountFactory, delegate_grant, owner_grant

pytestmark = pytest.mark.django_db

ADD = "admin:programs_message_add"


@pytest.fixture
def staff(db):
    return UserFactory(is_staff=True, is_superuser=True, full_name="Sam Staff", email="sam@gov.ab.ca")


@pytest.fixture
def staff_client(client, staff):
    return sign_in(client, staff)


@pytest.fixture
def dana(account):
    user = UserFactory(email="dana@example.ca")
    delegate_grant(account=account, user=user, privileges=[Privilege.MESSAGES])
    return user


def test_staff_write_to_one_account_and_its_readers_are_told(
    staff_client, staff, account, owner, co_owner, dana, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            reverse(ADD),
            {
                "account": account.pk,
                "send_to_program": "",
                "subject": "Audit notice",
                "body": "Please call us.",
            },
        )
    assert response.status_code == 302
    message = Message.objects.get()
    assert (message.account, message.subject, message.sent_by, message.program_wide) == (
        account,
        "Audit notice",
        staff,
        None,
    )
    assert sorted(e.to[0] for e in mail.outbox) == [
        "dana@example.ca",
        "olivia@example.ca",
        "oscar@example.ca",
    ]
    assert all(
        "Audit notice" not in e.subject + e.body and "Please call us" not in e.body for e in mail.outbox
    )


def test_a_message_sent_in_admin_is_logged_through_the_admin_door(staff_client, staff, account, settings):
    settings.TRACS_PROXY_COUNT = 0
    staff_client.post(
        reverse(ADD),
        {"account": account.pk, "send_to_program": "", "subject": "Audit notice", "body": "Please call us."},
        REMOTE_ADDR="198.51.100.20",
    )

    entry = AccessLogEntry.objects.get(action="message from TRA sent")
    assert (entry.actor, entry.ip_address, entry.path, entry.door) == (
        staff,
        "198.51.100.20",
        reverse(ADD),
        "admin",
    )
    assert (entry.capacity, entry.account_number, entry.on_behalf_of) == (
        "staff",
        account.number,
        account.on_behalf_of,
    )


def test_staff_write_to_every_account_of_a_program(
    staff_client, staff, account, owner, django_capture_on_commit_callbacks
):
    second = ProgramAccountFactory(program=account.program)
    owner_grant(account=second, user=UserFactory(email="bob@example.ca"))
    ProgramAccountFactory(program="tefs")
    program = account.program
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            reverse(ADD),
            {"account": "", "send_to_program": program.pk, "subject": "Rates", "body": "New rates."},
            follow=True,
        )
    assert response.status_code == 200
    assert "sent to the 2 active accounts" in response.text
    assert set(Message.objects.values_list("account_id", flat=True)) == {account.pk, second.pk}
    assert set(Message.objects.values_list("program_wide", flat=True)) == {program.pk}
    assert sorted(e.to[0] for e in mail.outbox) == ["bob@example.ca", "olivia@example.ca"]


@pytest.mark.parametrize("both", [True, False], ids=["account-and-program", "neither"])
def test_staff_choose_one_account_or_one_program(staff_client, account, both):
    program = account.program
    data = {
        "account": account.pk if both else "",
        "send_to_program": program.pk if both else "",
        "subject": "S",
        "body": "B",
    }
    response = staff_client.post(reverse(ADD), data)
    assert response.status_code == 200
    assert "Choose one account, or a program" in response.text
    assert not Message.objects.exists()


def test_a_program_without_active_accounts_is_refused_in_the_form(staff_client):
    program = Program.objects.get(code="prop")
    response = staff_client.post(
        reverse(ADD), {"account": "", "send_to_program": program.pk, "subject": "S", "body": "B"}
    )
    assert response.status_code == 200
    assert "has no active accounts" in response.text
    assert not Message.objects.exists()


def test_staff_see_the_thread_and_answer_it(
    staff_client, staff, account, owner, co_owner, django_capture_on_commit_callbacks
):
    message = message_services.message_send(
        account=account,
        subject="Audit notice",
        body="Please call us.",
        by=staff,
        actor=actor_for(staff),
    )
    message_services.message_reply(
        message=message,
        body="Which invoices do you need?",
        by=owner,
        actor=actor_for(owner).acting_for(capacity="owner"),
    )

    queue = staff_client.get(reverse("admin:programs_message_changelist") + "?awaiting=yes")
    assert "Audit notice" in queue.text
    assert (
        "Audit notice"
        not in staff_client.get(reverse("admin:programs_message_changelist") + "?awaiting=no").text
    )

    change = reverse("admin:programs_message_change", args=[message.pk])
    page = staff_client.get(change)
    assert page.status_code == 200
    assert "Which invoices do you need?" in page.text
    assert "Olivia Owner" in page.text
    assert AccessLogEntry.objects.filter(
        kind=AccessLogEntry.Kind.READ, actor=staff, account_number=account.number, capacity="staff"
    ).exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            change, {"answer": "The May ones.", "replies-TOTAL_FORMS": 1, "replies-INITIAL_FORMS": 1}
        )
    assert response.status_code == 302, response.content.decode()[:3000]
    answer = MessageReply.objects.get(from_tra=True)
    assert (answer.body, answer.author, answer.capacity) == ("The May ones.", staff, "staff")
    message.refresh_from_db()
    assert not message.awaiting_tra
    assert sorted(e.to[0] for e in mail.outbox) == ["olivia@example.ca", "oscar@example.ca"]
    assert all("May ones" not in e.body for e in mail.outbox)
    assert "The May ones." in staff_client.get(change).text


def test_saving_without_an_answer_changes_nothing(staff_client, staff, account):
    message = message_services.message_send(
        account=account,
        subject="Audit notice",
        body="Please call us.",
        by=staff,
        actor=actor_for(staff),
    )
    change = reverse("admin:programs_message_change", args=[message.pk])
    response = staff_client.post(change, {"answer": "", "replies-TOTAL_FORMS": 0, "replies-INITIAL_FORMS": 0})
    assert response.status_code == 302
    assert not MessageReply.objects.exists()


def test_sent_messages_are_never_deleted(staff_client, staff, account):
    message = message_services.message_send(
        account=account,
        subject="Audit notice",
        body="Please call us.",
        by=staff,
        actor=actor_for(staff),
    )
    assert staff_client.get(reverse("admin:programs_message_delete", args=[message.pk])).status_code == 403
