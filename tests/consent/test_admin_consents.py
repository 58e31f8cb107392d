"""Staff record, approve, reject and revoke consents (AT4931) in Django admin."""

from datetime import date
from pathlib import Path

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.html import escape

from accounts import pins
from accounts.models import AccessLogEntry, Pin
from consent import services
from consent.admin.consents import ACCOUNT_OF_ANOTHER_TAXPAYER, CONSENT_NOT_IN_FORCE, FUTURE_NEEDS_ALL
from consent.models import Consent, Grant
from consent.privileges import Privilege
from tests.accounts.factories import UserFactory, actor_for
from tests.conftest import sign_in
from tests.consent.factories import (
    ConsentFactory,
    ProgramAccountFactory,
    TaxpayerFactory,
    representative_grant,
)
from tests.programs.clamd_server import EICAR, EICAR_THREAT

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:consent_consent_changelist"


@pytest.fixture
def staff(db):
    return UserFactory(is_staff=True, is_superuser=True, full_name="Sam Staff")


@pytest.fixture
def staff_client(client, staff):
    return sign_in(client, staff)


@pytest.fixture
def taxpayer(db):
    return TaxpayerFactory(legal_name="Prairie Fuels Ltd.")


@pytest.fixture
def accounts(taxpayer):
    return [ProgramAccountFactory(taxpayer=taxpayer, program=code) for code in ("fuel_tax", "tefs")]


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def in_review(taxpayer, *, signed=True, **fields) -> Consent:
    consent = ConsentFactory(
        taxpayer=taxpayer,
        representative=None,
        representative_name="Rita Representative",
        representative_email="rita@example.ca",
        status=Consent.Status.RECEIVED,
        reviewed_at=None,
        activated_at=None,
        all_accounts=True,
        **fields,
    )
    if signed:
        consent.signed_form.save("at4931.pdf", ContentFile(b"%PDF-1.4 signed"), save=True)
    return consent


def run(client, name, consents, **data):
    return client.post(
        reverse(CHANGELIST),
        {"action": name, "_selected_action": [c.pk for c in consents], "index": 0, **data},
        follow=True,
    )


def apply(client, name, consents, **data):
    return client.post(
        reverse(CHANGELIST),
        {"action": name, "_selected_action": [c.pk for c in consents], "apply": "1", **data},
        follow=True,
    )


def form_data(taxpayer, **overrides):
    return {
        "taxpayer": taxpayer.pk,
        "representative_name": "Rita Representative",
        "representative_email": "rita@example.ca",
        "signer_name": "Pat Director",
        "signer_capacity": Consent.SignerCapacity.DIRECTOR,
        "signed_on": "2026-01-15",
        "privileges": [Privilege.VIEW_ACCOUNT.value, Privilege.FILE_RETURNS.value],
        "expires_on": "2027-01-14",
        "signed_form": SimpleUploadedFile(
            "at4931.pdf", b"%PDF-1.4 signed form", content_type="application/pdf"
        ),
        **overrides,
    }


# --- Recording a consent ---------------------------------------------------------------------------------


def test_staff_record_a_consent_with_the_signed_form_privileges_and_accounts(
    staff_client, staff, taxpayer, accounts
):
    page = staff_client.get(reverse("admin:consent_consent_add"))
    assert page.status_code == 200
    assert 'type="checkbox" name="privileges"' in page.text
    assert 'type="file" name="signed_form"' in page.text
    assert "selectfilter" in page.text  # accounts in a filter_horizontal widget

    response = staff_client.post(
        reverse("admin:consent_consent_add"), form_data(taxpayer, accounts=[accounts[0].pk]), follow=True
    )

    assert response.status_code == 200
    consent = Consent.objects.get(representative_email="rita@example.ca")
    assert consent.status == Consent.Status.RECEIVED
    assert sorted(consent.privileges) == sorted([Privilege.VIEW_ACCOUNT.value, Privilege.FILE_RETURNS.value])
    assert list(consent.accounts.all()) == [accounts[0]]
    assert consent.expires_on == date(2027, 1, 14)
    assert consent.signed_form.read().startswith(b"%PDF")
    assert AccessLogEntry.objects.filter(
        actor=staff,
        action="consent (AT4931) recorded",
        capacity="staff",
        on_behalf_of__startswith="Prairie Fuels",
    ).exists()


def test_a_consent_covers_only_its_taxpayers_accounts(staff_client, taxpayer, accounts):
    stranger = ProgramAccountFactory()
    response = staff_client.post(
        reverse("admin:consent_consent_add"), form_data(taxpayer, accounts=[accounts[0].pk, stranger.pk])
    )
    assert response.status_code == 200
    assert str(ACCOUNT_OF_ANOTHER_TAXPAYER % {"numbers": stranger.number}) in response.text
    assert not Consent.objects.exists()


def test_only_an_all_accounts_consent_covers_later_accounts(staff_client, taxpayer, accounts):
    response = staff_client.post(
        reverse("admin:consent_consent_add"),
        form_data(taxpayer, accounts=[accounts[0].pk], covers_future_accounts="on"),
    )
    assert str(FUTURE_NEEDS_ALL).replace("'", "&#x27;") in response.text
    assert not Consent.objects.exists()


def test_the_review_queue_filters_by_status(staff_client, taxpayer, accounts):
    waiting = in_review(taxpayer)
    done = ConsentFactory(
        taxpayer=TaxpayerFactory(legal_name="Done Ltd."), representative_name="Already Active"
    )
    listing = staff_client.get(reverse(CHANGELIST), {"status__exact": "received"})
    assert waiting.representative_name in listing.text
    assert done.representative_name not in listing.text
    # As the admin's own date filter sends it: an aware moment.
    since = staff_client.get(reverse(CHANGELIST), {"received_at__gte": "2000-01-01 00:00:00-07:00"})
    assert waiting.representative_name in since.text


def test_opening_a_consent_is_logged(staff_client, staff, taxpayer):
    consent = in_review(taxpayer)
    assert staff_client.get(reverse("admin:consent_consent_change", args=[consent.pk])).status_code == 200
    row = AccessLogEntry.objects.get(kind=AccessLogEntry.Kind.READ, actor=staff)
    assert row.capacity == "staff"
    assert row.on_behalf_of == f"Prairie Fuels Ltd. (BIN {taxpayer.bin})"


def test_a_reviewed_consent_can_no_longer_be_edited(staff_client, taxpayer):
    consent = ConsentFactory(taxpayer=taxpayer)  # active
    response = staff_client.post(
        reverse("admin:consent_consent_change", args=[consent.pk]), {"representative_name": "Someone Else"}
    )
    assert response.status_code == 403
    consent.refresh_from_db()
    assert consent.representative_name != "Someone Else"


# --- Approve -----------------------------------------------------------------------------------------------


def test_staff_approve_and_the_pin_is_e_mailed(
    staff_client, staff, taxpayer, accounts, django_capture_on_commit_callbacks
):
    consent = in_review(taxpayer)
    with django_capture_on_commit_callbacks(execute=True):
        response = run(staff_client, "approve_consents", [consent])

    assert "Consent approved: PIN e-mailed to rita@example.ca (Rita Representative)." in messages_of(response)
    consent.refresh_from_db()
    assert (consent.status, consent.reviewed_by) == (Consent.Status.APPROVED, staff)
    pin = Pin.objects.get(reference=f"consent:{consent.pk}")
    assert pin.account_number == taxpayer.bin
    [email] = mail.outbox
    assert email.to == ["rita@example.ca"]
    assert (
        AccessLogEntry.objects.filter(
            actor=staff, action="consent (AT4931) approved; PIN e-mailed", capacity="staff"
        ).count()
        == 2
    )

    # The representative activates with the BIN and the PIN from the e-mail.
    typed = next(line.strip() for line in email.body.splitlines() if line.startswith("    "))
    rita = UserFactory(email="rita@example.ca")
    grants = services.account_enrol(
        user=rita, account_number=taxpayer.bin, typed_pin=typed, actor=actor_for(rita)
    )
    assert {g.account for g in grants} == set(accounts)


def test_approval_without_the_signed_form_shows_why(staff_client, taxpayer, accounts):
    consent = in_review(taxpayer, signed=False)
    response = run(staff_client, "approve_consents", [consent])
    assert f"{consent}: {services.CONSENT_INCOMPLETE}" in messages_of(response)
    consent.refresh_from_db()
    assert consent.status == Consent.Status.RECEIVED
    assert not Pin.objects.exists()


# --- Reject ------------------------------------------------------------------------------------------------


def test_rejecting_asks_for_the_reason(staff_client, staff, taxpayer):
    consent = in_review(taxpayer)
    page = run(staff_client, "reject_consents", [consent])
    assert page.status_code == 200
    assert "Reason" in page.text
    assert escape(str(consent)) in page.text
    consent.refresh_from_db()
    assert consent.status == Consent.Status.RECEIVED

    missing = apply(staff_client, "reject_consents", [consent], reason="")
    assert "This field is required." in missing.text
    consent.refresh_from_db()
    assert consent.status == Consent.Status.RECEIVED

    response = apply(staff_client, "reject_consents", [consent], reason="The signer's capacity is not given.")
    assert "Consent for Rita Representative rejected." in messages_of(response)
    consent.refresh_from_db()
    assert (consent.status, consent.rejection_reason, consent.reviewed_by) == (
        Consent.Status.REJECTED,
        "The signer's capacity is not given.",
        staff,
    )
    assert AccessLogEntry.objects.filter(actor=staff, action="consent rejected", capacity="staff").exists()


def test_an_approved_consent_cannot_be_rejected(staff_client, taxpayer, accounts):
    consent = in_review(taxpayer)
    staff_member = UserFactory(is_staff=True)
    services.consent_approve(consent=consent, by=staff_member, actor=actor_for(staff_member))
    consent.refresh_from_db()
    response = apply(staff_client, "reject_consents", [consent], reason="Too late")
    assert f"{consent}: {services.CONSENT_NOT_IN_REVIEW}" in messages_of(response)
    consent.refresh_from_db()
    assert consent.status == Consent.Status.APPROVED


# --- Revoke ------------------------------------------------------------------------------------------------


def test_staff_revoke_a_consent_and_its_access_ends(staff_client, staff, taxpayer, accounts):
    consent = ConsentFactory(taxpayer=taxpayer, all_accounts=True)
    grants = [representative_grant(consent=consent, account=account) for account in accounts]

    response = run(staff_client, "revoke_consents", [consent])

    assert (
        f"Consent for {consent.representative_name} revoked; every access it gave has ended."
        in messages_of(response)
    )
    consent.refresh_from_db()
    assert (consent.status, consent.revoked_by) == (Consent.Status.REVOKED, staff)
    assert all(Grant.objects.get(pk=g.pk).status == Grant.Status.REVOKED for g in grants)
    assert (
        AccessLogEntry.objects.filter(
            actor=staff, action="consent (AT4931) revoked", capacity="staff"
        ).count()
        == 2
    )


def test_a_consent_in_review_is_rejected_not_revoked(staff_client, taxpayer):
    consent = in_review(taxpayer)
    response = run(staff_client, "revoke_consents", [consent])
    assert f"{consent}: {CONSENT_NOT_IN_FORCE}" in messages_of(response)
    consent.refresh_from_db()
    assert consent.status == Consent.Status.RECEIVED


def test_revoking_before_activation_cancels_the_pin(staff_client, taxpayer, accounts):
    consent = in_review(taxpayer)
    staff_member = UserFactory(is_staff=True)
    issued = services.consent_approve(consent=consent, by=staff_member, actor=actor_for(staff_member))
    run(staff_client, "revoke_consents", [consent])
    person = UserFactory(email="rita@example.ca")
    with pytest.raises(pins.PinRefused):
        services.account_enrol(
            user=person, account_number=taxpayer.bin, typed_pin=issued.clear, actor=actor_for(person)
        )


def test_a_signed_form_with_malware_is_refused_and_nothing_is_recorded(
    real_clamd, settings, staff_client, taxpayer, accounts
):
    """Scanned by a real clamd with the EICAR test signature (tests/programs/clamd_server.py)."""
    real_clamd.settings_for(settings)
    infected = SimpleUploadedFile(
        "at4931.pdf", b"%PDF-1.4 " + EICAR + b"\n%%EOF", content_type="application/pdf"
    )
    response = staff_client.post(
        reverse("admin:consent_consent_add"),
        form_data(taxpayer, signed_form=infected, accounts=[accounts[0].pk]),
    )
    assert response.status_code == 200
    assert f"at4931.pdf was refused: the malware scan found a threat in it ({EICAR_THREAT})." in response.text
    assert not Consent.objects.exists()
    assert not (Path(settings.MEDIA_ROOT) / "consents").exists()

    response = staff_client.post(
        reverse("admin:consent_consent_add"), form_data(taxpayer, accounts=[accounts[0].pk]), follow=True
    )
    assert Consent.objects.get().signed_form.read().startswith(b"%PDF")
