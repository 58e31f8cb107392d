"""Staff review online registrations in Django admin: a queue filtered by status, program and submitted date;
approve, reject with a reason, request more information (intermediate forms); reads logged."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccessLogEntry
from consent.models import Grant
from programs.models import Document, Program, ProgramAccount, Registration
from programs.services.registration_review import registration_reject
from tests.accounts.factories import UserFactory, actor_for
from tests.conftest import sign_in
from tests.consent.factories import TaxpayerFactory
from tests.programs.registration_factories import registration_draft, registration_pending

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:programs_registration_changelist"


@pytest.fixture
def staff(db):
    return UserFactory(is_staff=True, is_superuser=True, full_name="Sam Staff")


@pytest.fixture
def staff_client(client, staff):
    return sign_in(client, staff)


@pytest.fixture
def registrant(db):
    return UserFactory(full_name="Riley Registrant", email="riley@example.ca")


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def run(client, name, registrations, **data):
    return client.post(
        reverse(CHANGELIST),
        {"action": name, "_selected_action": [r.pk for r in registrations], "index": 0, **data},
        follow=True,
    )


def test_the_queue_shows_sent_registrations_oldest_first_never_drafts(staff_client, registrant):
    first = registration_pending(registrant=registrant)
    second = registration_pending(registrant=registrant, business={"legal_name": "Second Fuels Inc."})
    registration_draft(registrant=registrant, business={"legal_name": "Draft Only Ltd."})

    page = staff_client.get(reverse(CHANGELIST))

    assert page.status_code == 200
    assert page.text.index(first.reference_number) < page.text.index(second.reference_number)
    assert "Draft Only Ltd." not in page.text


def test_the_queue_filters_by_status_program_and_submitted_date(staff_client, registrant, staff):
    pending = registration_pending(registrant=registrant)
    rejected = registration_pending(registrant=registrant, business={"legal_name": "Refused Ltd."})
    registration_reject(registration=rejected, by=staff, reason="No.", actor=actor_for(staff))
    fuel_tax = Program.objects.get(code="fuel_tax")

    by_status = staff_client.get(reverse(CHANGELIST), {"status__exact": "pending"})
    by_program = staff_client.get(
        reverse(CHANGELIST), {"program__id__exact": fuel_tax.pk, "status__exact": "rejected"}
    )
    # The admin's "Today" link: from midnight in Alberta to the next midnight.
    midnight = timezone.localtime(pending.submitted_at).replace(hour=0, minute=0, second=0, microsecond=0)
    by_date = staff_client.get(
        reverse(CHANGELIST),
        {"submitted_at__gte": str(midnight), "submitted_at__lt": str(midnight + timedelta(days=1))},
    )
    by_search = staff_client.get(reverse(CHANGELIST), {"q": rejected.reference_number})

    assert pending.reference_number in by_status.text
    assert rejected.reference_number not in by_status.text
    assert rejected.reference_number in by_program.text
    assert pending.reference_number not in by_program.text
    assert pending.reference_number in by_date.text
    assert rejected.reference_number in by_search.text
    assert pending.reference_number not in by_search.text
    for response in (by_status, by_program, by_date):
        assert "By status" in response.text
        assert "By program" in response.text


def test_the_registration_page_shows_what_was_sent_and_the_read_is_logged(staff_client, staff, registrant):
    TaxpayerFactory(bin="456789123", legal_name="Chinook Holdings")
    registration = registration_pending(registrant=registrant, business={"bin": "456789123"})

    page = staff_client.get(reverse("admin:programs_registration_change", args=[registration.pk]))

    assert page.status_code == 200
    assert "Chinook Bulk Fuels Ltd." in page.text
    assert "456789123 belongs to Chinook Holdings" in page.text
    assert "Sell fuel exempt from tax, including marked fuel" in page.text
    assert "Fuel Tax, Tax Exempt Fuel Sales (marked fuel)" in page.text
    assert "ending in 4321" in page.text
    assert "987654321" not in page.text
    assert "Red Deer bulk plant" in page.text
    assert "Casey Controller" in page.text
    assert 'name="_save"' not in page.text  # kept as sent: staff act with the actions
    assert AccessLogEntry.objects.filter(
        actor=staff, kind=AccessLogEntry.Kind.READ, action="registration opened in staff administration"
    ).exists()


def test_approve_action(staff_client, registrant, django_capture_on_commit_callbacks):
    registration = registration_pending(registrant=registrant)

    with django_capture_on_commit_callbacks(execute=True):
        response = run(staff_client, "approve_registrations", [registration])

    registration.refresh_from_db()
    assert registration.status == Registration.Status.APPROVED
    numbers = sorted(registration.accounts.values_list("number", flat=True))
    (message,) = messages_of(response)
    assert (
        f"Registration {registration.reference_number} approved: BIN {registration.taxpayer.bin}" in message
    )
    assert ", ".join(numbers) in message
    assert Grant.objects.filter(user=registrant, role=Grant.Role.OWNER).count() == 2
    assert Document.objects.count() == 2
    assert registration.letter_issued_at is not None

    # Approving again from the list opens nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        run(staff_client, "approve_registrations", [registration])
    assert ProgramAccount.objects.count() == 2


def test_approve_action_refuses_a_registration_not_pending(staff_client, registrant, staff):
    registration = registration_pending(registrant=registrant)
    registration_reject(registration=registration, by=staff, reason="No.", actor=actor_for(staff))

    response = run(staff_client, "approve_registrations", [registration])

    assert any("Only a registration pending review" in m for m in messages_of(response))
    assert not ProgramAccount.objects.exists()


def test_reject_action_asks_for_the_reason_first(
    staff_client, registrant, django_capture_on_commit_callbacks
):
    registration = registration_pending(registrant=registrant)
    mail.outbox.clear()

    form = run(staff_client, "reject_registrations", [registration])
    assert form.status_code == 200
    assert "Reject registrations" in form.text
    assert 'name="reason"' in form.text
    registration.refresh_from_db()
    assert registration.status == Registration.Status.PENDING

    missing = run(staff_client, "reject_registrations", [registration], apply="1", reason="")
    assert "This field is required." in missing.text
    registration.refresh_from_db()
    assert registration.status == Registration.Status.PENDING

    with django_capture_on_commit_callbacks(execute=True):
        done = run(
            staff_client,
            "reject_registrations",
            [registration],
            apply="1",
            reason="The business sells no fuel.",
        )
    registration.refresh_from_db()
    assert (registration.status, registration.decision_reason) == ("rejected", "The business sells no fuel.")
    assert any("rejected; the reason was e-mailed" in m for m in messages_of(done))
    (email,) = mail.outbox
    assert email.to == [registrant.email]
    assert "The business sells no fuel." in email.body


def test_request_information_action(staff_client, registrant, django_capture_on_commit_callbacks):
    registration = registration_pending(registrant=registrant)
    mail.outbox.clear()

    form = run(staff_client, "request_information", [registration])
    assert 'name="message"' in form.text

    with django_capture_on_commit_callbacks(execute=True):
        done = run(
            staff_client, "request_information", [registration], apply="1", message="Send the tank lease."
        )

    registration.refresh_from_db()
    assert registration.status == Registration.Status.MORE_INFORMATION_REQUESTED
    assert registration.information_request == "Send the tank lease."
    assert any("sent back to the registrant" in m for m in messages_of(done))
    (email,) = mail.outbox
    assert "tank lease" not in email.body


def test_the_letter_can_be_placed_again_when_its_job_did_not_run(
    staff_client, registrant, monkeypatch, django_capture_on_commit_callbacks
):
    from consent import tasks

    original = tasks.registration_letter_issue_job.delay
    monkeypatch.setattr(
        tasks.registration_letter_issue_job, "delay", lambda *a, **k: (_ for _ in ()).throw(ConnectionError())
    )
    registration = registration_pending(registrant=registrant)
    with django_capture_on_commit_callbacks(execute=True):
        run(staff_client, "approve_registrations", [registration])
    registration.refresh_from_db()
    assert registration.letter_issued_at is None
    monkeypatch.setattr(tasks.registration_letter_issue_job, "delay", original)

    with django_capture_on_commit_callbacks(execute=True):
        response = run(staff_client, "issue_letters", [registration])

    registration.refresh_from_db()
    assert registration.letter_issued_at is not None
    assert Document.objects.count() == 2
    assert any("is being placed" in m for m in messages_of(response))
    again = run(staff_client, "issue_letters", [registration])
    assert any("already in the accounts" in m for m in messages_of(again))
    assert Document.objects.count() == 2
