"""Owners by enrolment PIN, caps on owners and delegates, and the last owner (consent.services)."""

import pytest
from django.core.exceptions import ValidationError

from accounts import pins
from accounts.actors import Actor, Door
from accounts.models import AccessLogEntry, Pin
from consent import services
from consent.access import access_for, can
from consent.models import Grant
from consent.privileges import ALL, Privilege
from tests.accounts.factories import UserFactory, actor_for
from tests.consent.factories import ProgramAccountFactory, delegate_grant, owner_grant

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(db):
    return ProgramAccountFactory(taxpayer__legal_name="Prairie Fuels Ltd.")


@pytest.fixture
def staff(db):
    return UserFactory(is_staff=True, full_name="Sam Staff")


@pytest.fixture
def letter_pin(monkeypatch):
    """Issue an enrolment PIN as staff do (PIN and letter in one step) and return its clear value, which
    otherwise exists only inside the letter."""
    captured = {}
    original = pins.pin_issue

    def issue(**kwargs):
        issued = original(**kwargs)
        captured[issued.pin.pk] = issued.clear
        return issued

    monkeypatch.setattr(pins, "pin_issue", issue)

    def make(account, staff) -> str:
        pin = services.enrolment_pin_issue(account=account, by=staff, actor=actor_for(staff))
        return captured[pin.pk]

    return make


def test_enrolment_with_a_staff_issued_pin_makes_an_owner(account, staff, letter_pin):
    clear = letter_pin(account, staff)
    person = UserFactory(full_name="Olivia Owner")

    [grant] = services.account_enrol(
        user=person, account_number=account.number, typed_pin=pins.pin_format(clear), actor=actor_for(person)
    )

    assert (grant.role, grant.status, grant.user) == (Grant.Role.OWNER, Grant.Status.ACTIVE, person)
    access = access_for(user=person, account=account)
    assert access.is_owner
    assert access.privileges == frozenset(ALL)
    assert AccessLogEntry.objects.filter(
        actor=person,
        kind=AccessLogEntry.Kind.CHANGE,
        action="owner enrolled with enrolment PIN",
        account_number=account.number,
    ).exists()
    assert AccessLogEntry.objects.filter(
        actor=staff, action="enrolment PIN issued; letter prepared", capacity="staff"
    ).exists()


def test_the_letter_is_prepared_with_the_pin_and_a_new_letter_cancels_the_old_pin(account, staff, letter_pin):
    first = letter_pin(account, staff)
    old = Pin.objects.get(account_number=account.number)
    assert old.letter_pdf_encrypted is not None

    second = letter_pin(account, staff)

    old.refresh_from_db()
    assert old.state == "cancelled"
    person = UserFactory()
    with pytest.raises(pins.PinRefused):
        services.account_enrol(
            user=person, account_number=account.number, typed_pin=first, actor=actor_for(person)
        )
    person = UserFactory()
    services.account_enrol(
        user=person, account_number=account.number, typed_pin=second, actor=actor_for(person)
    )


def test_other_owners_are_told_when_someone_enrols(
    account, staff, letter_pin, django_capture_on_commit_callbacks
):
    from django.core import mail

    owner_grant(account=account, user=UserFactory(email="olivia@example.ca"))
    clear = letter_pin(account, staff)
    with django_capture_on_commit_callbacks(execute=True):
        person = UserFactory(full_name="Norm Newowner")
        services.account_enrol(
            user=person, account_number=account.number, typed_pin=clear, actor=actor_for(person)
        )
    assert [m.to for m in mail.outbox] == [["olivia@example.ca"]]
    assert "Norm Newowner" in mail.outbox[0].subject


def test_a_delegate_who_enrols_as_owner_keeps_one_grant(account, staff, letter_pin):
    person = UserFactory()
    delegate = delegate_grant(account=account, user=person)
    clear = letter_pin(account, staff)

    [grant] = services.account_enrol(
        user=person, account_number=account.number, typed_pin=clear, actor=actor_for(person)
    )

    delegate.refresh_from_db()
    assert delegate.status == Grant.Status.REVOKED
    assert list(Grant.objects.filter(account=account, user=person, status=Grant.Status.ACTIVE)) == [grant]
    assert grant.role == Grant.Role.OWNER


def test_an_owner_cannot_enrol_again(account, staff, letter_pin):
    person = UserFactory()
    owner_grant(account=account, user=person)
    clear = letter_pin(account, staff)
    with pytest.raises(ValidationError) as caught:
        services.account_enrol(
            user=person, account_number=account.number, typed_pin=clear, actor=actor_for(person)
        )
    assert caught.value.messages == [services.ALREADY_HAS_ACCESS % {"email": person.email}]
    assert (
        Pin.objects.get(account_number=account.number, cancelled_at__isnull=True).used_at is None
    )  # rolled back


# --- Caps ------------------------------------------------------------------------------------------------


def test_the_owner_cap_refuses_one_more_owner_and_leaves_the_pin_usable(account, staff, letter_pin):
    account.max_owners = 2
    account.save()
    owner_grant(account=account)
    owner_grant(account=account)
    clear = letter_pin(account, staff)

    person = UserFactory()
    with pytest.raises(ValidationError) as caught:
        services.account_enrol(
            user=person, account_number=account.number, typed_pin=clear, actor=actor_for(person)
        )

    assert caught.value.messages == [services.OWNER_CAP % {"cap": 2}]
    assert Grant.objects.filter(account=account, role=Grant.Role.OWNER).count() == 2
    assert Pin.objects.get(account_number=account.number, cancelled_at__isnull=True).state == "open"


def test_the_owner_cap_counts_pending_invitations(account):
    account.max_owners = 2
    account.save()
    olivia = UserFactory()
    owner_grant(account=account, user=olivia)
    services.delegate_add(
        account=account,
        by=olivia,
        name="Co Owner",
        email="co@example.ca",
        role=Grant.Role.OWNER,
        privileges=[],
        actor=actor_for(olivia),
    )
    with pytest.raises(ValidationError) as caught:
        services.delegate_add(
            account=account,
            by=olivia,
            name="Third",
            email="third@example.ca",
            role=Grant.Role.OWNER,
            privileges=[],
            actor=actor_for(olivia),
        )
    assert caught.value.messages == [services.OWNER_CAP % {"cap": 2}]


def test_the_delegate_cap_counts_delegates_and_representatives(account):
    account.max_delegates = 2
    account.save()
    olivia = UserFactory()
    owner_grant(account=account, user=olivia)
    delegate_grant(account=account)
    services.delegate_add(
        account=account,
        by=olivia,
        name="Evan",
        email="evan@example.ca",
        role=Grant.Role.DELEGATE,
        privileges=[Privilege.VIEW_ACCOUNT],
        actor=actor_for(olivia),
    )

    with pytest.raises(ValidationError) as caught:
        services.delegate_add(
            account=account,
            by=olivia,
            name="Ed",
            email="ed@example.ca",
            role=Grant.Role.DELEGATE,
            privileges=[Privilege.VIEW_ACCOUNT],
            actor=actor_for(olivia),
        )

    assert caught.value.messages == [services.DELEGATE_CAP % {"cap": 2}]
    # Owners have their own cap: another owner still fits.
    services.delegate_add(
        account=account,
        by=olivia,
        name="Co Owner",
        email="co@example.ca",
        role=Grant.Role.OWNER,
        privileges=[],
        actor=actor_for(olivia),
    )


# --- The last owner --------------------------------------------------------------------------------------


def test_an_account_never_loses_its_last_owner(account, staff):
    olivia, oscar = UserFactory(), UserFactory()
    first = owner_grant(account=account, user=olivia)
    second = owner_grant(account=account, user=oscar)

    services.grant_revoke(grant=second, by=olivia, actor=actor_for(olivia))  # an owner removes a co-owner
    with pytest.raises(ValidationError) as by_owner:
        services.grant_revoke(grant=first, by=olivia, actor=actor_for(olivia))
    with pytest.raises(ValidationError) as by_staff:
        services.grant_revoke(grant=first, by=staff, by_staff=True, actor=actor_for(staff))

    assert by_owner.value.messages == by_staff.value.messages == [services.LAST_OWNER]
    first.refresh_from_db()
    assert first.status == Grant.Status.ACTIVE
    assert can(olivia, account, Privilege.MANAGE_ACCESS)
    assert not can(oscar, account, Privilege.VIEW_ACCOUNT)


def test_staff_remove_an_owner_when_another_remains(account, staff):
    first = owner_grant(account=account)
    second = owner_grant(account=account)
    services.grant_revoke(grant=first, by=staff, by_staff=True, actor=actor_for(staff))
    first.refresh_from_db()
    assert first.status == Grant.Status.REVOKED
    assert first.revoked_by == staff
    row = AccessLogEntry.objects.get(actor=staff, action="Account owner removed")
    assert row.capacity == "staff"
    assert row.account_number == account.number
    assert Grant.objects.get(pk=second.pk).status == Grant.Status.ACTIVE


def test_only_staff_ending_all_access_may_remove_the_last_owner(account, staff):
    """A transfer to another taxpayer ends every access (consent/admin/program_accounts.py); nobody else gets past the rule."""
    olivia = UserFactory()
    only = owner_grant(account=account, user=olivia)
    with pytest.raises(ValidationError):
        services.grant_revoke(grant=only, by=olivia, all_access_ends=True, actor=actor_for(olivia))

    services.grant_revoke(grant=only, by=staff, by_staff=True, all_access_ends=True, actor=actor_for(staff))

    assert access_for(user=olivia, account=account) is None


def test_a_delegate_cannot_manage_access(account):
    evan = UserFactory()
    delegate_grant(account=account, user=evan, privileges=list(Privilege))
    other = delegate_grant(account=account)
    with pytest.raises(ValidationError) as caught:
        services.grant_revoke(grant=other, by=evan, actor=actor_for(evan))
    assert caught.value.messages == [services.OWNERS_ONLY]


# --- Recovered sign-in ---------------------------------------------------------------------------------


def test_a_recovery_is_logged_in_the_persons_name_with_their_address_only_when_they_sent_it(account, staff):
    """A backup code: the person's own request, so their address. A staff reset: the row still names the person
    whose sign-in was recovered, but not staff's address or page, which the person never used."""
    evan = UserFactory()
    delegate_grant(account=account, user=evan)

    services.recovery_notify_owners(
        user=evan,
        how="backup code",
        actor=Actor(user=evan, door=Door.WEB, ip_address="203.0.113.7", path="/two-factor/verify/"),
    )
    services.recovery_notify_owners(
        user=evan,
        how="two-factor reset by TRA staff",
        actor=Actor(user=staff, door=Door.ADMIN, ip_address="10.0.0.5", path="/admin/accounts/user/"),
    )

    rows = AccessLogEntry.objects.filter(action__startswith="sign-in recovered").order_by("pk")
    assert [(row.actor, row.ip_address, row.path, row.door) for row in rows] == [
        (evan, "203.0.113.7", "/two-factor/verify/", "web"),
        (evan, None, "", "admin"),
    ]
