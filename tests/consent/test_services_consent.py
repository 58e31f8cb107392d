"""Representatives under consent (AT4931): approval, activation with one PIN, scope, later accounts,
revocation and expiry (consent.services, consent.access)."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile

from accounts import pins
from accounts.models import OutboxEmail, Pin
from consent import services
from consent.access import access_for, can
from consent.models import Consent, Grant
from consent.privileges import GRANTABLE, Privilege
from programs.models import Program
from programs.services.accounts import account_open
from tests.accounts.factories import UserFactory, actor_for
from tests.consent.factories import ProgramAccountFactory, TaxpayerFactory, delegate_grant, owner_grant

pytestmark = pytest.mark.django_db

EDMONTON = ZoneInfo("America/Edmonton")
CONSENTED = [Privilege.VIEW_ACCOUNT.value, Privilege.FILE_RETURNS.value]


@pytest.fixture
def staff(db):
    return UserFactory(is_staff=True, full_name="Sam Staff")


@pytest.fixture
def taxpayer(db):
    return TaxpayerFactory(legal_name="Prairie Fuels Ltd.")


@pytest.fixture
def accounts(taxpayer):
    return [
        ProgramAccountFactory(taxpayer=taxpayer, program=code) for code in ("fuel_tax", "tefs", "carbon_levy")
    ]


@pytest.fixture
def rita(db):
    return UserFactory(email="rita@example.ca", full_name="Rita Representative")


def received_consent(taxpayer, *, signed=True, accounts=(), **fields) -> Consent:
    """An AT4931 as staff record it from the paper form, in review."""
    values = {
        "representative_name": "Rita Representative",
        "representative_email": "rita@example.ca",
        "signer_name": "Pat Director",
        "signer_capacity": Consent.SignerCapacity.DIRECTOR,
        "signed_on": date(2026, 1, 15),
        "privileges": list(CONSENTED),
        **fields,
    }
    consent = Consent.objects.create(taxpayer=taxpayer, **values)
    if accounts:
        consent.accounts.set(accounts)
    if signed:
        consent.signed_form.save("at4931.pdf", ContentFile(b"%PDF-1.4 signed"), save=True)
    return consent


def open_account(taxpayer, code: str):
    account = account_open(
        taxpayer=taxpayer,
        program=Program.objects.get(code=code),
        effective_date=date(2026, 3, 1),
        actor=actor_for(None),
    )
    services.consent_cover_new_account(account=account, actor=actor_for(None))
    return account


# --- Approval ----------------------------------------------------------------------------------------------


def test_approval_requires_the_signed_form(taxpayer, accounts, staff):
    consent = received_consent(taxpayer, signed=False, all_accounts=True)

    with pytest.raises(ValidationError) as caught:
        services.consent_approve(consent=consent, by=staff, actor=actor_for(staff))

    assert caught.value.messages == [services.CONSENT_INCOMPLETE]
    consent.refresh_from_db()
    assert consent.status == Consent.Status.RECEIVED
    assert not Pin.objects.exists()
    assert not OutboxEmail.objects.exists()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"privileges": []}, services.CONSENT_NO_PRIVILEGES),
        ({"all_accounts": False}, services.CONSENT_NO_ACCOUNTS),
    ],
)
def test_approval_requires_privileges_and_accounts(taxpayer, accounts, staff, fields, message):
    consent = received_consent(taxpayer, **{"all_accounts": True, **fields})
    with pytest.raises(ValidationError) as caught:
        services.consent_approve(consent=consent, by=staff, actor=actor_for(staff))
    assert caught.value.messages == [message]


def test_only_a_consent_in_review_is_approved_once(taxpayer, accounts, staff):
    consent = received_consent(taxpayer, all_accounts=True)
    services.consent_approve(consent=consent, by=staff, actor=actor_for(staff))
    with pytest.raises(ValidationError) as caught:
        services.consent_approve(consent=consent, by=staff, actor=actor_for(staff))
    assert caught.value.messages == [services.CONSENT_NOT_IN_REVIEW]
    assert Pin.objects.filter(purpose=Pin.Purpose.CONSENT).count() == 1


def test_approval_e_mails_the_pin_to_the_named_individual(
    taxpayer, accounts, staff, django_capture_on_commit_callbacks
):
    consent = received_consent(taxpayer, all_accounts=True)
    with django_capture_on_commit_callbacks(execute=True):
        issued = services.consent_approve(consent=consent, by=staff, actor=actor_for(staff))
    [email] = mail.outbox
    assert email.to == ["rita@example.ca"]
    assert pins.pin_format(issued.clear) in email.body
    assert taxpayer.bin in email.body
    assert issued.pin.account_number == taxpayer.bin
    assert issued.pin.intended_email == "rita@example.ca"


def test_rejection_needs_a_reason(taxpayer, accounts, staff):
    consent = received_consent(taxpayer, all_accounts=True)
    with pytest.raises(ValidationError):
        services.consent_reject(consent=consent, by=staff, reason="  ", actor=actor_for(staff))
    services.consent_reject(consent=consent, by=staff, reason="Part 4 is not signed.", actor=actor_for(staff))
    consent.refresh_from_db()
    assert (consent.status, consent.rejection_reason, consent.reviewed_by) == (
        Consent.Status.REJECTED,
        "Part 4 is not signed.",
        staff,
    )


# --- Activation: exactly the consented privileges on exactly the covered accounts -----------------------


def test_an_all_accounts_consent_gives_exactly_its_privileges_on_exactly_the_taxpayers_accounts(
    taxpayer, accounts, staff, rita
):
    elsewhere = ProgramAccountFactory()  # another taxpayer's account
    consent = received_consent(taxpayer, all_accounts=True)
    issued = services.consent_approve(consent=consent, by=staff, actor=actor_for(staff))

    grants = services.account_enrol(
        user=rita, account_number=taxpayer.bin, typed_pin=pins.pin_format(issued.clear), actor=actor_for(rita)
    )

    assert sorted(g.account.number for g in grants) == sorted(a.number for a in accounts)
    for account in accounts:
        access = access_for(user=rita, account=account)
        assert access.role == Grant.Role.REPRESENTATIVE
        assert access.privileges == frozenset(CONSENTED)
        for privilege in GRANTABLE:
            assert can(rita, account, privilege) is (privilege.value in CONSENTED)
        assert not can(rita, account, Privilege.MANAGE_ACCESS)
    assert access_for(user=rita, account=elsewhere) is None
    consent.refresh_from_db()
    assert (consent.status, consent.representative) == (Consent.Status.ACTIVE, rita)
    # One PIN, one activation: it is spent.
    with pytest.raises(pins.PinRefused):
        services.account_enrol(
            user=rita, account_number=taxpayer.bin, typed_pin=issued.clear, actor=actor_for(rita)
        )


def test_a_consent_for_some_accounts_works_with_any_of_their_numbers_and_covers_only_them(
    taxpayer, accounts, staff, rita
):
    fuel_tax, tefs, carbon = accounts
    consent = received_consent(taxpayer, accounts=[fuel_tax, tefs])
    issued = services.consent_approve(consent=consent, by=staff, actor=actor_for(staff))

    grants = services.account_enrol(
        user=rita, account_number=tefs.number, typed_pin=issued.clear, actor=actor_for(rita)
    )

    assert {g.account for g in grants} == {fuel_tax, tefs}
    assert can(rita, fuel_tax, Privilege.FILE_RETURNS)
    assert access_for(user=rita, account=carbon) is None
    assert (
        Pin.objects.filter(
            reference=f"consent:{consent.pk}", used_at__isnull=True, cancelled_at__isnull=True
        ).count()
        == 0
    )


def test_the_consent_pin_works_only_for_the_named_individual(taxpayer, accounts, staff):
    consent = received_consent(taxpayer, all_accounts=True)
    issued = services.consent_approve(consent=consent, by=staff, actor=actor_for(staff))
    person = UserFactory(email="someone@example.ca")
    with pytest.raises(pins.PinRefused) as caught:
        services.account_enrol(
            user=person, account_number=taxpayer.bin, typed_pin=issued.clear, actor=actor_for(person)
        )
    assert str(caught.value) == str(pins.PIN_REFUSED)


def test_accounts_opened_later_are_not_covered_by_default(taxpayer, accounts, staff, rita):
    consent = received_consent(taxpayer, all_accounts=True, covers_future_accounts=False)
    issued = services.consent_approve(consent=consent, by=staff, actor=actor_for(staff))
    services.account_enrol(
        user=rita, account_number=taxpayer.bin, typed_pin=issued.clear, actor=actor_for(rita)
    )

    later = open_account(taxpayer, "aite")

    assert access_for(user=rita, account=later) is None
    assert not Grant.objects.filter(account=later).exists()


def test_an_account_opened_between_approval_and_activation_is_not_covered_by_default(
    taxpayer, accounts, staff, rita
):
    consent = received_consent(taxpayer, all_accounts=True)
    issued = services.consent_approve(consent=consent, by=staff, actor=actor_for(staff))
    later = open_account(taxpayer, "aite")
    services.account_enrol(
        user=rita, account_number=taxpayer.bin, typed_pin=issued.clear, actor=actor_for(rita)
    )
    assert access_for(user=rita, account=later) is None
    assert all(access_for(user=rita, account=a) is not None for a in accounts)


def test_a_consent_covering_later_accounts_reaches_them_when_opened(taxpayer, accounts, staff, rita):
    consent = received_consent(taxpayer, all_accounts=True, covers_future_accounts=True)
    issued = services.consent_approve(consent=consent, by=staff, actor=actor_for(staff))
    services.account_enrol(
        user=rita, account_number=taxpayer.bin, typed_pin=issued.clear, actor=actor_for(rita)
    )

    later = open_account(taxpayer, "aite")

    access = access_for(user=rita, account=later)
    assert access.role == Grant.Role.REPRESENTATIVE
    assert access.privileges == frozenset(CONSENTED)
    # Another taxpayer's new account is not the consent's business.
    assert access_for(user=rita, account=open_account(TaxpayerFactory(), "aite")) is None


def test_a_representative_who_already_reaches_an_account_keeps_the_one_grant(taxpayer, accounts, staff, rita):
    fuel_tax = accounts[0]
    delegate_grant(account=fuel_tax, user=rita, privileges=[Privilege.VIEW_ACCOUNT])
    consent = received_consent(taxpayer, all_accounts=True)
    issued = services.consent_approve(consent=consent, by=staff, actor=actor_for(staff))
    grants = services.account_enrol(
        user=rita, account_number=taxpayer.bin, typed_pin=issued.clear, actor=actor_for(rita)
    )
    assert {g.account for g in grants} == set(accounts[1:])
    assert Grant.objects.filter(account=fuel_tax, user=rita, status=Grant.Status.ACTIVE).count() == 1


# --- Revocation and expiry --------------------------------------------------------------------------------


@pytest.fixture
def active_consent(taxpayer, accounts, staff, rita):
    def make(**fields):
        consent = received_consent(taxpayer, all_accounts=True, **fields)
        issued = services.consent_approve(consent=consent, by=staff, actor=actor_for(staff))
        services.account_enrol(
            user=rita, account_number=taxpayer.bin, typed_pin=issued.clear, actor=actor_for(rita)
        )
        consent.refresh_from_db()
        return consent

    return make


@pytest.mark.parametrize("by", ["staff", "owner"])
def test_revoking_a_consent_ends_every_access_it_gave(active_consent, accounts, staff, rita, by):
    consent = active_consent()
    olivia = UserFactory()
    owner_grant(account=accounts[0], user=olivia)
    assert all(can(rita, account, Privilege.VIEW_ACCOUNT) for account in accounts)

    if by == "staff":
        services.consent_revoke(consent=consent, by=staff, by_staff=True, actor=actor_for(staff))
    else:
        services.consent_revoke(consent=consent, by=olivia, actor=actor_for(olivia))

    assert all(access_for(user=rita, account=account) is None for account in accounts)
    consent.refresh_from_db()
    assert consent.status == Consent.Status.REVOKED
    assert not Grant.objects.filter(consent=consent, status=Grant.Status.ACTIVE).exists()


def test_someone_who_is_not_an_owner_cannot_revoke_a_consent(active_consent, accounts):
    consent = active_consent()
    someone = UserFactory()
    with pytest.raises(ValidationError):
        services.consent_revoke(consent=consent, by=someone, actor=actor_for(someone))
    consent.refresh_from_db()
    assert consent.status == Consent.Status.ACTIVE


def test_revoking_an_approved_consent_before_activation_cancels_its_pin(taxpayer, accounts, staff, rita):
    consent = received_consent(taxpayer, all_accounts=True)
    issued = services.consent_approve(consent=consent, by=staff, actor=actor_for(staff))
    services.consent_revoke(consent=consent, by=staff, by_staff=True, actor=actor_for(staff))
    with pytest.raises(pins.PinRefused):
        services.account_enrol(
            user=rita, account_number=taxpayer.bin, typed_pin=issued.clear, actor=actor_for(rita)
        )
    assert Pin.objects.get(pk=issued.pin.pk).state == "cancelled"


def test_an_expired_consent_gives_no_access(active_consent, accounts, rita):
    """Expires on 2026-06-30: access through the last day (Edmonton time), none from 2026-07-01."""
    active_consent(expires_on=date(2026, 6, 30))
    with time_machine.travel(datetime(2026, 6, 30, 23, 59, tzinfo=EDMONTON), tick=False):
        assert all(can(rita, account, Privilege.VIEW_ACCOUNT) for account in accounts)
    with time_machine.travel(datetime(2026, 7, 1, 0, 1, tzinfo=EDMONTON), tick=False):
        assert all(access_for(user=rita, account=account) is None for account in accounts)


def test_a_consent_expiry_moved_earlier_ends_access_although_the_grants_still_say_later(
    active_consent, accounts, rita
):
    consent = active_consent(expires_on=date(2026, 12, 31))
    Consent.objects.filter(pk=consent.pk).update(expires_on=date(2026, 6, 30))
    with time_machine.travel(datetime(2026, 7, 2, 9, 0, tzinfo=EDMONTON), tick=False):
        assert all(access_for(user=rita, account=account) is None for account in accounts)


def test_a_grant_past_its_end_date_gives_no_access(accounts):
    evan = UserFactory()
    delegate_grant(account=accounts[0], user=evan, ends_on=date(2026, 6, 30))
    with time_machine.travel(datetime(2026, 6, 30, 12, 0, tzinfo=EDMONTON), tick=False):
        assert can(evan, accounts[0], Privilege.VIEW_ACCOUNT)
    with time_machine.travel(datetime(2026, 6, 30, 12, 0, tzinfo=EDMONTON) + timedelta(days=1), tick=False):
        assert access_for(user=evan, account=accounts[0]) is None
