"""Staff issue an enrolment PIN from admin, download the letter once for mailing, and manage PINs."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils.html import escape

from accounts import pins
from accounts.admin import LETTER_NOT_AVAILABLE
from accounts.models import AccessLogEntry, Pin, PinAttempt
from consent import services
from consent.models import Grant
from tests.accounts.factories import UserFactory, actor_for
from tests.conftest import sign_in
from tests.consent.factories import ProgramAccountFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(db):
    return UserFactory(is_staff=True, is_superuser=True, full_name="Sam Staff")


@pytest.fixture
def staff_client(client, staff):
    return sign_in(client, staff)


@pytest.fixture
def account(db):
    return ProgramAccountFactory(taxpayer__legal_name="Prairie Fuels Ltd.")


@pytest.fixture
def generated(monkeypatch):
    """Clear values of the PINs generated in the letter job, keyed by PIN id."""
    captured: dict[int, str] = {}
    original = pins.pin_issue

    def issue(**kwargs):
        issued = original(**kwargs)
        captured[issued.pin.pk] = issued.clear
        return issued

    monkeypatch.setattr(pins, "pin_issue", issue)
    return captured


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def issue_from_admin(client, account, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(
            reverse("admin:programs_programaccount_changelist"),
            {"action": "issue_enrolment_pin", "_selected_action": [account.pk], "index": 0},
            follow=True,
        )
    return response, callbacks


def test_staff_issue_a_pin_download_the_letter_once_and_it_is_gone(
    staff_client, staff, account, generated, django_capture_on_commit_callbacks
):
    response, callbacks = issue_from_admin(staff_client, account, django_capture_on_commit_callbacks)

    # The letter is prepared by the Celery job after the request commits.
    assert len(callbacks) == 1
    [message] = messages_of(response)
    assert f"The enrolment letter for account {account.number} is being prepared" in message
    assert "PIN list" in message
    pin = Pin.objects.get(account_number=account.number, purpose=Pin.Purpose.ENROLMENT)
    assert pin.letter_pdf_encrypted is not None
    assert pin.created_by == staff

    # The PIN list shows it, with the letter ready, and never the hash.
    listing = staff_client.get(reverse("admin:accounts_pin_changelist"), {"q": account.number})
    letter_url = reverse("admin:accounts_pin_letter", args=[pin.pk])
    assert letter_url in listing.text
    assert "Download letter" in listing.text
    assert pin.pin_hash not in listing.text
    detail = staff_client.get(reverse("admin:accounts_pin_change", args=[pin.pk]))
    assert detail.status_code == 200
    assert pin.pin_hash not in detail.text
    assert "pin_hash" not in detail.text
    assert "Pin hash" not in detail.text

    # The download page explains; the download itself is a POST that hands out the PDF once.
    confirm = staff_client.get(letter_url)
    assert confirm.status_code == 200
    assert "deleted" in confirm.text
    download = staff_client.post(letter_url)
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"] == f'attachment; filename="enrolment-letter-{account.number}.pdf"'
    assert "no-store" in download["Cache-Control"]
    assert download.content.startswith(b"%PDF")

    pin.refresh_from_db()
    assert pin.letter_pdf_encrypted is None
    assert pin.letter_downloaded_at is not None
    assert AccessLogEntry.objects.filter(
        actor=staff, action="enrolment letter downloaded for mailing", account_number=account.number
    ).exists()

    # A second download is refused; nothing is left to hand out.
    again = staff_client.post(letter_url, follow=True)
    assert again.redirect_chain[-1][0] == reverse("admin:accounts_pin_changelist")
    assert str(LETTER_NOT_AVAILABLE) in messages_of(again)
    assert not Pin.objects.filter(letter_pdf_encrypted__isnull=False).exists()
    assert "Download letter" not in staff_client.get(reverse("admin:accounts_pin_changelist")).text

    # The PIN in the letter works: the person enrols as owner.
    person = UserFactory()
    [grant] = services.account_enrol(
        user=person, account_number=account.number, typed_pin=generated[pin.pk], actor=actor_for(person)
    )
    assert grant.role == Grant.Role.OWNER


def test_the_letter_of_a_cancelled_pin_is_not_handed_out(
    staff_client, account, django_capture_on_commit_callbacks
):
    issue_from_admin(staff_client, account, django_capture_on_commit_callbacks)
    pin = Pin.objects.get(account_number=account.number)

    response = staff_client.post(
        reverse("admin:accounts_pin_changelist"),
        {"action": "cancel_pins", "_selected_action": [pin.pk], "index": 0},
        follow=True,
    )

    assert "1 PIN(s) cancelled." in messages_of(response)
    pin.refresh_from_db()
    assert pin.state == "cancelled"
    refused = staff_client.post(reverse("admin:accounts_pin_letter", args=[pin.pk]), follow=True)
    assert str(LETTER_NOT_AVAILABLE) in messages_of(refused)
    assert AccessLogEntry.objects.filter(
        action="PIN cancelled by staff", account_number=account.number, capacity="staff"
    ).exists()


def test_cancelling_a_consent_pin_cancels_it_for_every_account_number(staff_client, staff):
    issued = pins.pin_issue(
        purpose=Pin.Purpose.CONSENT,
        account_number="111111111-01-001",
        also_for=("111111111-02-001",),
        reference="consent:99",
    )
    response = staff_client.post(
        reverse("admin:accounts_pin_changelist"),
        {"action": "cancel_pins", "_selected_action": [issued.pin.pk], "index": 0},
        follow=True,
    )
    assert "1 PIN(s) cancelled." in messages_of(response)
    assert Pin.objects.count() == 2
    assert not Pin.objects.filter(cancelled_at__isnull=True).exists()


def test_a_new_letter_replaces_the_old_pin(staff_client, account, django_capture_on_commit_callbacks):
    issue_from_admin(staff_client, account, django_capture_on_commit_callbacks)
    issue_from_admin(staff_client, account, django_capture_on_commit_callbacks)
    states = sorted(pin.state for pin in Pin.objects.filter(account_number=account.number))
    assert states == ["cancelled", "open"]


def test_staff_reissue_a_pin_locked_after_repeated_failures(
    staff_client, account, generated, django_capture_on_commit_callbacks, settings
):
    settings.TRACS_PIN_LOCK_FAILURES = 3  # 100 in production (tests/accounts/test_pins.py)
    issue_from_admin(staff_client, account, django_capture_on_commit_callbacks)
    locked = Pin.objects.get(account_number=account.number)
    for n in range(3):
        person = UserFactory(email=f"guess{n}@example.ca")
        with pytest.raises(pins.PinRefused):
            services.account_enrol(
                user=person,
                account_number=account.number,
                typed_pin="2222-2222-2222",
                actor=actor_for(person),
            )
    locked.refresh_from_db()
    assert locked.state == "locked"
    listing = staff_client.get(reverse("admin:accounts_pin_changelist"), {"state": "locked"})
    assert account.number in listing.text
    assert (
        reverse("admin:accounts_pin_letter", args=[locked.pk]) not in listing.text
    )  # a locked PIN's letter is useless

    issue_from_admin(staff_client, account, django_capture_on_commit_callbacks)

    new = Pin.objects.get(account_number=account.number, cancelled_at__isnull=True)
    person = UserFactory()
    [grant] = services.account_enrol(
        user=person, account_number=account.number, typed_pin=generated[new.pk], actor=actor_for(person)
    )
    assert grant.role == Grant.Role.OWNER


@pytest.mark.parametrize("state", ["open", "used", "cancelled", "locked", "expired"])
def test_the_pin_list_filters_by_state(staff_client, account, state):
    from datetime import timedelta

    from django.utils import timezone

    issued = pins.pin_issue(purpose=Pin.Purpose.ENROLMENT, account_number=account.number, reference="x")
    now = timezone.now()
    changes = {
        "open": {},
        "used": {"used_at": now},
        "cancelled": {"cancelled_at": now},
        "locked": {"locked_at": now},
        "expired": {"expires_at": now - timedelta(days=1)},
    }[state]
    Pin.objects.filter(pk=issued.pin.pk).update(**changes)
    for candidate in ["open", "used", "cancelled", "locked", "expired"]:
        listing = staff_client.get(reverse("admin:accounts_pin_changelist"), {"state": candidate})
        shown = escape(reverse("admin:accounts_pin_change", args=[issued.pin.pk])) in listing.text
        assert shown is (candidate == state), candidate


def test_pin_entries_are_listed_read_only(staff_client, account):
    PinAttempt.objects.create(
        user=UserFactory(email="guess@example.ca"), account_number=account.number, succeeded=False
    )
    listing = staff_client.get(reverse("admin:accounts_pinattempt_changelist"), {"succeeded__exact": "0"})
    assert "guess@example.ca" in listing.text
    assert account.number in listing.text
    assert staff_client.get(reverse("admin:accounts_pinattempt_add")).status_code == 403
    assert staff_client.get(reverse("admin:accounts_pin_add")).status_code == 403


def test_the_consent_and_pin_officer_issues_and_mails_a_pin_and_the_auditor_cannot_take_the_letter(
    client, account, django_capture_on_commit_callbacks
):
    """Issuing a PIN and taking its letter (the PIN in clear, deleted as it is handed out) need the consent and PIN
    officer's permissions: the auditor, who reads every PIN's row, gets neither the action, the link nor the
    letter, which stays for the officer."""
    from django.test import Client

    from tests.accounts.factories import staff_member

    officer = sign_in(client, staff_member("consent_pin_officer"))
    issue_from_admin(officer, account, django_capture_on_commit_callbacks)
    pin = Pin.objects.get(account_number=account.number)
    letter_url = reverse("admin:accounts_pin_letter", args=[pin.pk])
    auditor = sign_in(Client(), staff_member("auditor"))
    listing = auditor.get(reverse("admin:accounts_pin_changelist"))
    assert listing.status_code == 200
    assert letter_url not in listing.text
    assert auditor.get(letter_url).status_code == 403
    assert auditor.post(letter_url).status_code == 403
    assert (
        'value="issue_enrolment_pin"'
        not in auditor.get(reverse("admin:programs_programaccount_changelist")).text
    )
    issue_from_admin(auditor, account, django_capture_on_commit_callbacks)  # posted anyway: nothing is run
    assert Pin.objects.filter(account_number=account.number).count() == 1
    pin.refresh_from_db()
    assert pin.letter_pdf_encrypted is not None
    download = officer.post(letter_url)
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
