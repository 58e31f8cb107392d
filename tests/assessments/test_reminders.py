"""Reminders that reach people (issue 4 #7): a return about to fall due reminds every holder of FILE_RETURNS, an
unopened notice with payment due reminds every holder of VIEW_ASSESSMENTS who has not opened it (delegates and
representatives included), once each however often the daily job runs, with a missed day caught up, never with
an amount."""

import re
from datetime import date

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.crypto import decrypt
from accounts.models import OutboxEmail
from accounts.services import email_queue
from assessments import reminders
from assessments.models import Notice, NoticeRead
from assessments.tasks_reminders import reminders_send as reminders_task
from consent.privileges import Privilege
from tests.accounts.factories import UserFactory
from tests.assessments.factories import acting, assess, june_2021
from tests.consent.factories import (
    ConsentFactory,
    ProgramAccountFactory,
    delegate_grant,
    owner_grant,
    representative_grant,
)
from tests.filings.factories import edmonton

# June 2021's return is due on Wednesday 2021-07-28; with the default 7 days, reminders start on 2021-07-21.
JUNE_DUE = date(2021, 7, 28)


def run_on(day: date, capture) -> reminders.Sent:
    """The beat job as Celery runs it, on `day` (Edmonton), with the e-mails' on-commit jobs captured."""
    with time_machine.travel(edmonton(day.year, day.month, day.day, 7), tick=False), capture():
        result = reminders_task.apply().get()
    return reminders.Sent(**result)


def outbox(purpose: str) -> list[OutboxEmail]:
    return list(OutboxEmail.objects.filter(purpose=purpose).order_by("id"))


def recipients(purpose: str) -> list[str]:
    return sorted(address for email in outbox(purpose) for address in email.to)


@pytest.fixture
def filer(account):
    user = UserFactory(full_name="Fred Filer")
    delegate_grant(account=account, user=user, privileges=(Privilege.FILE_RETURNS,))
    return user


@pytest.fixture
def onlooker(account):
    """A delegate who may see the account but neither file its returns nor read its notices."""
    user = UserFactory(full_name="Otto Onlooker")
    delegate_grant(account=account, user=user, privileges=(Privilege.VIEW_ACCOUNT,))
    return user


@pytest.fixture
def agent(account):
    """A representative under an AT4931 consent that includes filing returns and reading notices."""
    consent = ConsentFactory(
        taxpayer=account.taxpayer,
        accounts=[account],
        privileges=[Privilege.VIEW_ASSESSMENTS.value, Privilege.FILE_RETURNS.value],
    )
    representative_grant(consent=consent, account=account)
    return consent.representative


# --- The outbox's dedupe key ------------------------------------------------------------------------------


def test_email_queue_with_a_dedupe_key_queues_once(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        first = email_queue(to=["a@example.ca"], subject="S", body="B", purpose="p", dedupe_key="k:1")
        again = email_queue(to=["a@example.ca"], subject="S", body="B", purpose="p", dedupe_key="k:1")
        email_queue(to=["a@example.ca"], subject="S", body="B", purpose="p")
        email_queue(to=["a@example.ca"], subject="S", body="B", purpose="p")  # no key: queued every time
    assert again.pk == first.pk
    assert OutboxEmail.objects.count() == 3
    assert len(callbacks) == 3  # nothing scheduled for the duplicate


# --- Returns about to fall due ----------------------------------------------------------------------------


def test_a_return_reminder_goes_out_n_days_before_the_due_date_and_not_n_plus_one(
    account, owner, django_capture_on_commit_callbacks
):
    assert run_on(date(2021, 7, 20), django_capture_on_commit_callbacks).returns == 0
    assert outbox(reminders.RETURN_PURPOSE) == []
    assert run_on(date(2021, 7, 21), django_capture_on_commit_callbacks).returns == 1
    (email,) = outbox(reminders.RETURN_PURPOSE)
    assert email.to == [owner.email]
    subject, body = decrypt(email.subject_encrypted), decrypt(email.body_encrypted)
    assert "June 2021" in subject
    assert account.number in subject
    assert "on or before July 28, 2021" in body
    assert f"/accounts/{account.number}/returns/2021-06/file/" in body


def test_the_window_follows_the_setting(account, owner, settings, django_capture_on_commit_callbacks):
    settings.TRACS_RETURN_REMINDER_DAYS = 3
    assert run_on(date(2021, 7, 24), django_capture_on_commit_callbacks).returns == 0
    assert run_on(date(2021, 7, 25), django_capture_on_commit_callbacks).returns == 1


def test_no_reminder_for_a_filed_period(account, owner, filer, django_capture_on_commit_callbacks):
    june_2021(account=account, user=owner)
    assert run_on(date(2021, 7, 21), django_capture_on_commit_callbacks).returns == 0
    assert outbox(reminders.RETURN_PURPOSE) == []


def test_every_holder_of_file_returns_is_reminded_and_no_one_else(
    account, owner, filer, onlooker, agent, viewer, django_capture_on_commit_callbacks
):
    run_on(date(2021, 7, 22), django_capture_on_commit_callbacks)
    emails = outbox(reminders.RETURN_PURPOSE)
    assert all(len(email.to) == 1 for email in emails)  # one e-mail per person: no one sees the others
    assert recipients(reminders.RETURN_PURPOSE) == sorted([owner.email, filer.email, agent.email])
    assert onlooker.email not in recipients(reminders.RETURN_PURPOSE)
    assert viewer.email not in recipients(reminders.RETURN_PURPOSE)


def test_running_twice_sends_nothing_more_and_a_missed_day_is_caught_up(
    account, owner, filer, django_capture_on_commit_callbacks
):
    # Nothing ran on the 21st and the 22nd (missed days): the 23rd still reminds, once.
    assert run_on(date(2021, 7, 23), django_capture_on_commit_callbacks).returns == 2
    assert run_on(date(2021, 7, 23), django_capture_on_commit_callbacks).returns == 0
    assert run_on(date(2021, 7, 24), django_capture_on_commit_callbacks).returns == 0
    assert len(outbox(reminders.RETURN_PURPOSE)) == 2
    # The next period is a new reminder.
    assert run_on(date(2021, 8, 23), django_capture_on_commit_callbacks).returns == 2
    assert len(outbox(reminders.RETURN_PURPOSE)) == 4


def test_no_reminder_for_a_closed_account_nor_past_the_due_date(
    account, owner, django_capture_on_commit_callbacks
):
    assert (
        run_on(date(2021, 7, 29), django_capture_on_commit_callbacks).returns == 0
    )  # overdue: not "due soon"
    account.status = account.Status.CLOSED
    account.closed_on = date(2021, 6, 30)
    account.save()
    assert run_on(date(2021, 7, 21), django_capture_on_commit_callbacks).returns == 0


def test_a_revoked_grant_is_not_reminded(account, owner, filer, django_capture_on_commit_callbacks):
    account.grants.filter(user=filer).update(status="revoked")
    run_on(date(2021, 7, 21), django_capture_on_commit_callbacks)
    assert recipients(reminders.RETURN_PURPOSE) == [owner.email]


def test_return_reminders_take_a_flat_number_of_queries(db, django_capture_on_commit_callbacks):
    def setup(n):
        for _ in range(n):
            account = ProgramAccountFactory(effective_date=date(2021, 1, 1))
            owner_grant(account=account, user=UserFactory())
            delegate_grant(account=account, user=UserFactory(), privileges=(Privilege.FILE_RETURNS,))

    def queries_of_a_second_run():  # every key already queued: the reads only
        with django_capture_on_commit_callbacks():
            reminders.return_reminders_send(today=date(2021, 7, 22), days=7)
        with CaptureQueriesContext(connection) as ctx:
            assert reminders.return_reminders_send(today=date(2021, 7, 22), days=7) == 0
        return len(ctx)

    setup(2)
    few = queries_of_a_second_run()
    setup(20)
    many = queries_of_a_second_run()
    assert few == many


# --- Notices not yet opened -------------------------------------------------------------------------------


@pytest.fixture
def notice(account, owner, django_capture_on_commit_callbacks):
    """June 2021 assessed on 2021-07-10: $13,800.00 owing, payment due 2021-07-28."""
    tax_return = june_2021(account=account, user=owner)
    assessment = assess(django_capture_on_commit_callbacks, tax_return=tax_return, when=edmonton(2021, 7, 10))
    assert assessment.payment_due_on == JUNE_DUE
    return Notice.objects.get(assessment=assessment)


def opens(notice, user):
    NoticeRead.objects.create(notice=notice, user=user, capacity="delegate", opened_at=timezone.now())


def test_an_unopened_notice_reminds_each_holder_of_view_assessments_who_has_not_opened_it(
    account, owner, notice, viewer, agent, filer, onlooker, django_capture_on_commit_callbacks
):
    assert run_on(date(2021, 7, 20), django_capture_on_commit_callbacks).notices == 0
    assert run_on(date(2021, 7, 21), django_capture_on_commit_callbacks).notices == 3
    assert recipients(reminders.NOTICE_PURPOSE) == sorted([owner.email, viewer.email, agent.email])
    assert all(len(email.to) == 1 for email in outbox(reminders.NOTICE_PURPOSE))
    body = decrypt(outbox(reminders.NOTICE_PURPOSE)[0].body_encrypted)
    assert notice.reference in body
    assert "on or before July 28, 2021" in body
    assert f"/accounts/{account.number}/notices/" in body


def test_the_notice_reminder_stops_once_the_person_opens_it_and_is_sent_once(
    account, owner, notice, viewer, agent, django_capture_on_commit_callbacks
):
    opens(notice, agent)
    assert run_on(date(2021, 7, 22), django_capture_on_commit_callbacks).notices == 2
    assert agent.email not in recipients(reminders.NOTICE_PURPOSE)
    assert run_on(date(2021, 7, 22), django_capture_on_commit_callbacks).notices == 0  # twice: nothing more
    opens(notice, owner)
    opens(notice, viewer)
    assert run_on(date(2021, 7, 23), django_capture_on_commit_callbacks).notices == 0
    assert len(outbox(reminders.NOTICE_PURPOSE)) == 2


def test_no_notice_reminder_once_the_period_is_paid_or_past_its_window(
    account, owner, notice, staff, django_capture_on_commit_callbacks
):
    assert run_on(date(2021, 7, 29), django_capture_on_commit_callbacks).notices == 0  # payment date passed
    assert run_on(date(2021, 7, 1), django_capture_on_commit_callbacks).notices == 0
    from assessments import selectors
    from assessments.services import ledger

    ledger.ledger_post(
        account=account,
        period_end=notice.period_end,
        kind="payment",
        amount=-selectors.period_balance(account=account, period_end=notice.period_end),
        source_reference=f"test-payment:{notice.pk}",
        description="Payment",
        actor=acting(),
    )
    assert run_on(date(2021, 7, 21), django_capture_on_commit_callbacks).notices == 0


def test_no_notice_reminder_when_a_credit_on_the_account_covers_the_period(
    account, owner, notice, django_capture_on_commit_callbacks
):
    """June owes 13,800.00; a claim credit of 13,800.00 on May is the person's money towards it: the account
    owes nothing (assessments.selectors.Owing, as home and Payment Options say), so no "payment is due" e-mail."""
    from assessments import selectors
    from assessments.services import ledger

    ledger.ledger_post(
        account=account,
        period_end=date(2021, 5, 31),
        kind="claim_credit",
        amount=-selectors.period_balance(account=account, period_end=notice.period_end),
        description="Assessment of a claim: refund allowed",
        actor=acting(),
    )
    assert run_on(date(2021, 7, 21), django_capture_on_commit_callbacks).notices == 0


def test_no_confidential_content_in_any_reminder(
    account, owner, notice, viewer, agent, django_capture_on_commit_callbacks
):
    run_on(date(2021, 7, 21), django_capture_on_commit_callbacks)  # notice reminders
    run_on(date(2021, 8, 23), django_capture_on_commit_callbacks)  # July's return reminder
    emails = outbox(reminders.NOTICE_PURPOSE) + outbox(reminders.RETURN_PURPOSE)
    assert {e.purpose for e in emails} == {reminders.NOTICE_PURPOSE, reminders.RETURN_PURPOSE}
    for email in emails:
        text = decrypt(email.subject_encrypted) + "\n" + decrypt(email.body_encrypted)
        assert "$" not in text
        assert not re.search(r"\d[\d,]*\.\d\d\b", text)  # no amount
        for secret in ["13,800", "13800", "Clear gasoline", "litre"]:
            assert secret not in text


def test_notice_reminders_take_a_flat_number_of_queries(
    account, owner, notice, viewer, django_capture_on_commit_callbacks
):
    def queries_of_a_second_run():  # every key already queued: the reads only
        with django_capture_on_commit_callbacks():
            reminders.notice_reminders_send(today=date(2021, 7, 22), days=7)
        with CaptureQueriesContext(connection) as ctx:
            assert reminders.notice_reminders_send(today=date(2021, 7, 22), days=7) == 0
        return len(ctx)

    few = queries_of_a_second_run()
    for _ in range(10):
        delegate_grant(account=account, user=UserFactory(), privileges=(Privilege.VIEW_ASSESSMENTS,))
    many = queries_of_a_second_run()
    assert few == many
    assert OutboxEmail.objects.filter(purpose=reminders.NOTICE_PURPOSE).count() == 12


# --- The tourism levy: each establishment's own periods ---


def test_each_establishment_is_reminded_of_its_own_period(db, django_capture_on_commit_callbacks):
    """Q1 2026 ends Tuesday 2026-03-31; 28 days later is Tuesday 2026-04-28, the due date of the quarterly
    chalets' Q1 return and of the monthly inn's March return alike. On 2026-04-21 (7 days before) each is
    reminded of its own period, linked to its own page; the inn's February return (due 2026-03-28, moved to
    Monday 2026-03-30) is already past and not reminded; a return filed is not reminded."""
    from tests.filings.tourism_levy_factories import establishment, file_levy_return, period_of

    inn = establishment(name="Lakeview Inn", opened=date(2025, 1, 1))
    chalets = establishment(
        taxpayer=inn.taxpayer,
        name="Lakeview Chalets",
        opened=date(2025, 1, 1),
        quarterly_from=date(2025, 1, 1),
    )
    cabins = establishment(
        taxpayer=inn.taxpayer,
        name="Lakeview Cabins",
        opened=date(2025, 1, 1),
        quarterly_from=date(2025, 1, 1),
    )
    host = UserFactory(full_name="Hana Hotelier", email="hana@example.ca")
    for account in (inn, chalets, cabins):
        owner_grant(account=account, user=host)
    file_levy_return(account=cabins, period="2026-Q1", user=host, gross="0.00", collected="0.00")
    OutboxEmail.objects.all().delete()

    sent = run_on(date(2026, 4, 21), django_capture_on_commit_callbacks)

    emails = outbox(reminders.RETURN_PURPOSE)
    assert sent.returns == 2
    subjects = {decrypt(email.subject_encrypted): decrypt(email.body_encrypted) for email in emails}
    assert sorted(subjects) == sorted(
        [
            f"TRACS: tourism levy return for {period_of('2026-Q1').label} due 2026-04-28, account {chalets.number}",
            f"TRACS: tourism levy return for March 2026 due 2026-04-28, account {inn.number}",
        ]
    )
    bodies = {subject.rsplit(" ", 1)[1]: body for subject, body in subjects.items()}
    assert f"/accounts/{chalets.number}/" in bodies[chalets.number]
    assert "/2026-Q1/file/" in bodies[chalets.number]
    assert "/2026-03/file/" in bodies[inn.number]
    assert "on or before April 28, 2026" in bodies[inn.number]
