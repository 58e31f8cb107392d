"""PIN mechanics (accounts/pins.py): format and entropy, single use, expiry, throttling, locking, logging.

PINs are redeemed through Account Enrolment (consent.services.account_enrol), as a person does it: the
enrolment runs in one transaction that rolls back on refusal, and the evidence is written after."""

import math
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.hashers import check_password, get_hasher
from django.utils import timezone

from accounts import pins
from accounts.crypto import decrypt
from accounts.models import AccessLogEntry, OutboxEmail, Pin, PinAttempt, PinFailureAlert
from consent import services
from consent.models import Grant
from consent.privileges import Privilege
from tests.accounts.factories import UserFactory, actor_for
from tests.consent.factories import ProgramAccountFactory, owner_grant

pytestmark = pytest.mark.django_db

PIN_PATTERN = re.compile(r"^[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{12}$")


@pytest.fixture
def account(db):
    return ProgramAccountFactory(taxpayer__legal_name="Prairie Fuels Ltd.")


@pytest.fixture
def staff(db):
    return UserFactory(is_staff=True, full_name="Sam Staff")


def enrolment_pin(account, staff, **kwargs) -> pins.IssuedPin:
    return pins.pin_issue(
        purpose=Pin.Purpose.ENROLMENT,
        account_number=account.number,
        reference=f"account:{account.pk}",
        created_by=staff,
        **kwargs,
    )


def wrong_pin(clear: str) -> str:
    """A well-formed PIN that differs from `clear` in its last character."""
    last = pins.PIN_ALPHABET[(pins.PIN_ALPHABET.index(clear[-1]) + 1) % len(pins.PIN_ALPHABET)]
    return clear[:-1] + last


def refused(user, number, typed) -> pins.PinRefused:
    with pytest.raises(pins.PinRefused) as caught:
        services.account_enrol(user=user, account_number=number, typed_pin=typed, actor=actor_for(user))
    return caught.value


# --- Format and entropy ------------------------------------------------------------------------------


def test_alphabet_has_31_unambiguous_characters():
    assert len(pins.PIN_ALPHABET) == 31
    assert len(set(pins.PIN_ALPHABET)) == 31
    assert not set("01OIL") & set(pins.PIN_ALPHABET)


def test_a_pin_has_at_least_50_bits_of_entropy():
    """12 characters from 31: log2(31) = 4.954 bits each, 12 x 4.954 = 59.45 bits (>= 50)."""
    bits = pins.PIN_LENGTH * math.log2(len(pins.PIN_ALPHABET))
    assert pins.PIN_LENGTH == 12
    assert bits >= 50
    assert 59.4 < bits < 59.5


def test_generated_pins_are_12_characters_of_the_alphabet_and_do_not_repeat():
    generated = [pins.pin_generate() for _ in range(2000)]
    assert all(PIN_PATTERN.match(pin) for pin in generated)
    assert len(set(generated)) == len(generated)
    # Every character of the alphabet turns up, in every position's share of 24,000 draws.
    assert set("".join(generated)) == set(pins.PIN_ALPHABET)


def test_pin_is_shown_in_groups_of_four_and_typed_any_way():
    assert pins.pin_format("ABCD2345EFGH") == "ABCD-2345-EFGH"
    assert pins.pin_normalize(" abcd-2345 efgh ") == "ABCD2345EFGH"


def test_only_a_hash_of_the_pin_is_stored(account, staff):
    issued = enrolment_pin(account, staff)
    pin = Pin.objects.get(pk=issued.pin.pk)
    assert issued.clear not in pin.pin_hash
    assert check_password(issued.clear, pin.pin_hash)
    assert abs(pin.expires_at - pin.created_at - timedelta(days=90)) < timedelta(seconds=5)


# --- Single use and expiry ---------------------------------------------------------------------------


def test_a_pin_works_once(account, staff):
    issued = enrolment_pin(account, staff)
    first, second = UserFactory(), UserFactory()

    [grant] = services.account_enrol(
        user=first,
        account_number=account.number,
        typed_pin=pins.pin_format(issued.clear).lower(),
        actor=actor_for(first),
    )

    assert grant.role == Grant.Role.OWNER
    assert grant.user == first
    assert Pin.objects.get(pk=issued.pin.pk).state == "used"
    assert str(refused(second, account.number, issued.clear)) == str(pins.PIN_REFUSED)
    assert not Grant.objects.filter(user=second).exists()


def test_a_pin_works_until_its_expiry_and_not_after(account, staff):
    issued_at = timezone.now()
    with time_machine.travel(issued_at, tick=False):
        early = enrolment_pin(account, staff, lifetime=timedelta(days=90))
    with time_machine.travel(issued_at + timedelta(days=90, seconds=-1), tick=False):
        person = UserFactory()
        services.account_enrol(
            user=person, account_number=account.number, typed_pin=early.clear, actor=actor_for(person)
        )

    other = ProgramAccountFactory()
    with time_machine.travel(issued_at, tick=False):
        late = enrolment_pin(other, staff, lifetime=timedelta(days=90))
    with time_machine.travel(issued_at + timedelta(days=90), tick=False):
        error = refused(UserFactory(), other.number, late.clear)
        assert Pin.objects.get(pk=late.pin.pk).state == "expired"
    assert str(error) == str(pins.PIN_REFUSED)


# --- The same message whatever went wrong --------------------------------------------------------------


@pytest.mark.parametrize(
    "case", ["unknown account number", "wrong PIN", "used PIN", "cancelled PIN", "PIN of another account"]
)
def test_the_message_never_tells_whether_the_account_number_exists(account, staff, case):
    issued = enrolment_pin(account, staff)
    other = ProgramAccountFactory()
    number, typed = account.number, issued.clear
    if case == "unknown account number":
        number = "999999999-01-001"
    elif case == "wrong PIN":
        typed = wrong_pin(issued.clear)
    elif case == "used PIN":
        person = UserFactory()
        services.account_enrol(
            user=person, account_number=account.number, typed_pin=issued.clear, actor=actor_for(person)
        )
    elif case == "cancelled PIN":
        pins.pins_cancel(reference=f"account:{account.pk}")
    else:
        number = other.number

    error = refused(UserFactory(), number, typed)

    assert str(error) == str(pins.PIN_REFUSED)
    assert "exist" not in str(error).lower()


def test_unknown_account_and_wrong_pin_are_logged_alike(account, staff):
    issued = enrolment_pin(account, staff)
    person = UserFactory()
    unknown = refused(person, "999999999-01-001", issued.clear)
    wrong = refused(person, account.number, wrong_pin(issued.clear))
    assert str(unknown) == str(wrong)
    denied = AccessLogEntry.objects.filter(actor=person, kind=AccessLogEntry.Kind.DENIED).order_by("id")
    assert [(e.action, e.account_number) for e in denied] == [
        ("PIN entry refused", "999999999-01-001"),
        ("PIN entry refused", account.number),
    ]


# --- The same hashing work whether or not a PIN is waiting (no timing oracle) -----------------------------


@pytest.fixture
def hash_work(monkeypatch):
    """Every run of the password hasher's key derivation (the ~0.25 s of PBKDF2 in production): Django's
    hashers derive in `encode`, whether they check a PIN (`verify`) or hash one (`make_password`)."""
    hasher_class = type(get_hasher())
    derive = hasher_class.encode
    runs = []

    def counted(self, password, salt, *args, **kwargs):
        runs.append(hasher_class.algorithm)
        return derive(self, password, salt, *args, **kwargs)

    monkeypatch.setattr(hasher_class, "encode", counted)
    return runs


def open_delegation_pins(account, count):
    owner = UserFactory()
    owner_grant(account=account, user=owner)
    return [
        services.delegate_add(
            account=account,
            by=owner,
            name=f"Delegate {n}",
            email=f"delegate{n}@example.ca",
            role=Grant.Role.DELEGATE,
            privileges=[Privilege.VIEW_ACCOUNT],
            actor=actor_for(owner),
        )[1]
        for n in range(count)
    ]


@pytest.mark.parametrize(
    "case",
    [
        "unknown account number",
        "account without an open PIN",
        "wrong PIN, one PIN open",
        "wrong PIN, two PINs open",
        "wrong PIN, more PINs open than are checked",
    ],
)
def test_a_refused_pin_costs_the_same_hashing_whether_or_not_a_pin_is_open(account, staff, hash_work, case):
    """A wrong PIN for a number with an open PIN took ~0.25 s (one PBKDF2 check per open PIN), for any other
    number ~0.014 s (none): the clock told anyone which accounts have a PIN waiting. Every entry now runs the
    hasher PIN_HASH_CHECKS times, real PINs first and the hashing of the typed PIN for each missing one."""
    number = account.number
    if case == "unknown account number":
        number = "999999999-01-001"
    elif case == "account without an open PIN":
        pins.pins_cancel(reference=enrolment_pin(account, staff).pin.reference)
    elif case == "wrong PIN, one PIN open":
        enrolment_pin(account, staff)
    elif case == "wrong PIN, two PINs open":
        enrolment_pin(account, staff)
        open_delegation_pins(account, 1)
    else:
        enrolment_pin(account, staff)
        open_delegation_pins(account, pins.PIN_HASH_CHECKS + 2)
    person = UserFactory()
    hash_work.clear()

    assert str(refused(person, number, "ABCD-EFGH-JKMN")) == str(pins.PIN_REFUSED)

    assert len(hash_work) == pins.PIN_HASH_CHECKS


def test_the_right_pin_costs_the_same_hashing_as_a_wrong_one(account, staff, hash_work):
    issued = enrolment_pin(account, staff)
    open_delegation_pins(account, 1)
    person = UserFactory()
    hash_work.clear()
    [grant] = services.account_enrol(
        user=person, account_number=account.number, typed_pin=issued.clear, actor=actor_for(person)
    )
    assert grant.role == Grant.Role.OWNER
    assert len(hash_work) == pins.PIN_HASH_CHECKS


def test_a_persons_own_pin_is_checked_first_however_many_others_are_open(account, staff):
    """Only PIN_HASH_CHECKS open PINs are checked per entry: those meant for the person typing (an enrolment
    PIN, or one issued to their e-mail address) before the rest, so the oldest delegate's PIN still works."""
    enrolment_pin(account, staff)
    first, *others = open_delegation_pins(account, pins.PIN_HASH_CHECKS + 2)
    assert len(others) > pins.PIN_HASH_CHECKS
    person = UserFactory(email="delegate0@example.ca")
    [grant] = services.account_enrol(
        user=person, account_number=account.number, typed_pin=first.clear, actor=actor_for(person)
    )
    assert grant.status == Grant.Status.ACTIVE
    assert grant.email == "delegate0@example.ca"


# --- Every failure is kept, although the enrolment rolls back -------------------------------------------


def test_every_failure_creates_an_attempt_and_a_denied_log_row(account, staff):
    enrolment_pin(account, staff)
    person = UserFactory()
    for attempt in range(1, 4):
        refused(person, account.number, "ABCD-EFGH-JKMN")
        assert (
            PinAttempt.objects.filter(user=person, succeeded=False, account_number=account.number).count()
            == attempt
        )
        assert (
            AccessLogEntry.objects.filter(
                actor=person, kind=AccessLogEntry.Kind.DENIED, account_number=account.number
            ).count()
            == attempt
        )


def test_a_refusal_after_the_pin_matched_rolls_back_the_redemption_but_keeps_the_evidence(account):
    """The delegation PIN matches, but its invitation was withdrawn meanwhile: the transaction that marked
    the PIN used rolls back, and the failed attempt and the denied row are still written."""
    owner = UserFactory()
    owner_grant(account=account, user=owner)
    grant, issued = services.delegate_add(
        account=account,
        by=owner,
        name="Evan Employee",
        email="evan@example.ca",
        role=Grant.Role.DELEGATE,
        privileges=[Privilege.VIEW_ACCOUNT],
        actor=actor_for(owner),
    )
    Grant.objects.filter(pk=grant.pk).update(
        status=Grant.Status.REVOKED
    )  # withdrawn without cancelling the PIN
    evan = UserFactory(email="evan@example.ca")

    error = refused(evan, account.number, issued.clear)

    assert str(error) == str(pins.PIN_REFUSED)
    pin = Pin.objects.get(pk=issued.pin.pk)
    assert pin.used_at is None
    assert pin.used_by is None
    assert list(PinAttempt.objects.filter(user=evan).values_list("succeeded", flat=True)) == [False]
    row = AccessLogEntry.objects.get(actor=evan, kind=AccessLogEntry.Kind.DENIED)
    assert row.detail == "grant no longer pending"


def test_a_pin_meant_for_another_email_is_refused_with_the_same_message(account):
    owner = UserFactory()
    owner_grant(account=account, user=owner)
    grant, issued = services.delegate_add(
        account=account,
        by=owner,
        name="Evan Employee",
        email="evan@example.ca",
        role=Grant.Role.DELEGATE,
        privileges=[Privilege.VIEW_ACCOUNT],
        actor=actor_for(owner),
    )
    intruder = UserFactory(email="mallory@example.ca")

    error = refused(intruder, account.number, issued.clear)

    assert str(error) == str(pins.PIN_REFUSED)
    grant.refresh_from_db()
    assert grant.status == Grant.Status.PENDING
    assert (
        AccessLogEntry.objects.get(actor=intruder, kind=AccessLogEntry.Kind.DENIED).detail
        == "PIN issued to another e-mail"
    )
    # The person it was meant for can still use it.
    person = UserFactory(email="evan@example.ca")
    [accepted] = services.account_enrol(
        user=person, account_number=account.number, typed_pin=issued.clear, actor=actor_for(person)
    )
    assert accepted.pk == grant.pk
    assert accepted.status == Grant.Status.ACTIVE


# --- Per person: an escalating cool-off after 5 failures ----------------------------------------------


def test_after_five_failures_the_person_waits_longer_each_time(account, staff):
    """5 failures are free; then 2^(n-5) minutes after the n-th failure: 1, 2, 4 minutes."""
    issued = enrolment_pin(account, staff)
    person = UserFactory()
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        for _ in range(5):
            assert str(refused(person, account.number, wrong_pin(issued.clear))) == str(pins.PIN_REFUSED)

        throttled = refused(person, account.number, issued.clear)  # even the right PIN waits
        assert throttled.retry_after_minutes == 1
        assert str(throttled) == str(pins.PIN_THROTTLED % {"minutes": 1})
        assert "1 minute(s)" in str(throttled)

        clock.shift(timedelta(minutes=1))
        refused(person, account.number, wrong_pin(issued.clear))  # 6th failure
        assert refused(person, account.number, issued.clear).retry_after_minutes == 2

        clock.shift(timedelta(minutes=2))
        refused(person, account.number, wrong_pin(issued.clear))  # 7th failure
        assert refused(person, account.number, issued.clear).retry_after_minutes == 4

        clock.shift(timedelta(minutes=4))
        [grant] = services.account_enrol(
            user=person, account_number=account.number, typed_pin=issued.clear, actor=actor_for(person)
        )
    assert grant.role == Grant.Role.OWNER


def test_refusals_during_the_cool_off_are_logged_but_do_not_count(account, staff):
    issued = enrolment_pin(account, staff)
    person = UserFactory()
    with time_machine.travel(timezone.now(), tick=False):
        for _ in range(5):
            refused(person, account.number, wrong_pin(issued.clear))
        for _ in range(3):
            refused(person, account.number, issued.clear)
    assert PinAttempt.objects.filter(user=person, succeeded=False).count() == 5
    cool_off_rows = AccessLogEntry.objects.filter(
        actor=person, kind=AccessLogEntry.Kind.DENIED, detail="refused during cool-off"
    )
    assert cool_off_rows.count() == 3


def test_the_cool_off_is_per_person(account, staff):
    issued = enrolment_pin(account, staff)
    guesser = UserFactory()
    with time_machine.travel(timezone.now(), tick=False):
        for _ in range(5):
            refused(guesser, account.number, wrong_pin(issued.clear))
        assert refused(guesser, account.number, issued.clear).retry_after_minutes == 1
        person = UserFactory()
        [grant] = services.account_enrol(
            user=person, account_number=account.number, typed_pin=issued.clear, actor=actor_for(person)
        )
    assert grant.status == Grant.Status.ACTIVE


# --- Per account number: NIST SP 800-63B, lock only after 100 failures; staff alerted at 10 a day ----------

ALBERTA = ZoneInfo("America/Edmonton")


def wrong_entries(account, issued, count):
    """`count` wrong entries naming the account, by throwaway profiles of 5 each (5 are free of the cool-off)."""
    for n in range(count):
        if n % pins.USER_FREE_FAILURES == 0:
            guesser = UserFactory()
        assert str(refused(guesser, account.number, wrong_pin(issued.clear))) == str(pins.PIN_REFUSED)


def alert_emails():
    return OutboxEmail.objects.filter(purpose="pin-failure-alert").order_by("id")


def test_ten_wrong_entries_by_ten_throwaway_profiles_no_longer_lock_the_owner_out(account, staff):
    """With 10 failures locking the account's PINs, anyone could deny its owner their letter's PIN."""
    issued = enrolment_pin(account, staff)
    for _ in range(10):
        refused(UserFactory(), account.number, wrong_pin(issued.clear))
    assert Pin.objects.get(pk=issued.pin.pk).state == "open"
    owner = UserFactory()
    [grant] = services.account_enrol(
        user=owner, account_number=account.number, typed_pin=issued.clear, actor=actor_for(owner)
    )
    assert grant.role == Grant.Role.OWNER


def test_the_100th_wrong_entry_since_a_pin_was_issued_locks_it_until_staff_reissue(account, staff, settings):
    """NIST SP 800-63B 5.2.2: at most 100 consecutive failures. They count from the PIN's issue, however many
    days they take (a daily quota would allow 99 a day forever); failures before a reissue do not count."""
    assert settings.TRACS_PIN_LOCK_FAILURES == 100
    start = datetime(2026, 3, 10, 10, 0, tzinfo=ALBERTA)
    with time_machine.travel(start, tick=False) as clock:
        issued = enrolment_pin(account, staff)
        wrong_entries(account, issued, 60)
        clock.shift(timedelta(days=3))
        wrong_entries(account, issued, 39)
        assert Pin.objects.get(pk=issued.pin.pk).state == "open"
        assert not AccessLogEntry.objects.filter(action="open PINs locked after repeated failures").exists()

        refused(UserFactory(), account.number, wrong_pin(issued.clear))  # the 100th
        assert Pin.objects.get(pk=issued.pin.pk).state == "locked"
        lock_row = AccessLogEntry.objects.get(
            kind=AccessLogEntry.Kind.SECURITY, action="open PINs locked after repeated failures"
        )
        assert lock_row.account_number == account.number
        assert lock_row.detail == "100 wrong entries since the PIN was issued; staff must reissue"

        # The real owner, with the right PIN: refused, with the same message.
        owner = UserFactory()
        assert str(refused(owner, account.number, issued.clear)) == str(pins.PIN_REFUSED)

        # Staff reissue: a new letter (the old PIN is cancelled); the 100 old failures do not lock the new one.
        clock.shift(timedelta(minutes=5))
        new_pin = services.enrolment_pin_issue(account=account, by=staff, actor=actor_for(staff))
        reissued = _clear_of(new_pin)
        assert Pin.objects.get(pk=issued.pin.pk).state == "cancelled"
        refused(UserFactory(), account.number, wrong_pin(reissued))
        assert Pin.objects.get(pk=new_pin.pk).state == "open"
        [grant] = services.account_enrol(
            user=owner, account_number=account.number, typed_pin=reissued, actor=actor_for(owner)
        )
    assert grant.role == Grant.Role.OWNER
    assert grant.user == owner


def test_failures_on_other_account_numbers_do_not_lock(account, staff, settings):
    settings.TRACS_PIN_LOCK_FAILURES = 3
    issued = enrolment_pin(account, staff)
    with time_machine.travel(timezone.now(), tick=False):
        for n in range(12):
            refused(UserFactory(), f"99999999{n % 10}-01-001", issued.clear)
    assert Pin.objects.get(pk=issued.pin.pk).state == "open"


def test_staff_are_alerted_once_a_day_when_an_accounts_pins_fail_ten_times(account, staff, settings):
    """An admin queue row and one e-mail to TRACS_SECURITY_ALERT_EMAIL at the 10th wrong entry of a day naming
    the account, not one per failure: later failures that day update the row's count."""
    settings.TRACS_SECURITY_ALERT_EMAIL = ["security@tra.example", "fraud@tra.example"]
    assert settings.TRACS_PIN_ALERT_FAILURES == 10
    with time_machine.travel(datetime(2026, 3, 10, 10, 0, tzinfo=ALBERTA), tick=False) as clock:
        issued = enrolment_pin(account, staff)
        wrong_entries(account, issued, 9)
        assert not PinFailureAlert.objects.exists()
        assert not alert_emails().exists()

        wrong_entries(account, issued, 1)
        alert = PinFailureAlert.objects.get()
        assert (alert.account_number, alert.day, alert.failures, alert.people) == (
            account.number,
            date(2026, 3, 10),
            10,
            3,
        )
        assert alert.handled_at is None
        [email] = alert_emails()
        assert email.to == ["fraud@tra.example", "security@tra.example"]
        subject, body = decrypt(email.subject_encrypted), decrypt(email.body_encrypted)
        assert subject == f"TRACS: 10 wrong PIN entries today for account {account.number}"
        assert "by 3 people" in body
        assert "locked after 100 wrong entries" in body
        assert f"/admin/accounts/pinfailurealert/{alert.pk}/change/" in body
        assert issued.clear not in body
        staff_row = AccessLogEntry.objects.get(action="staff alerted: repeated wrong PIN entries")
        assert staff_row.account_number == account.number

        clock.shift(timedelta(hours=1))
        wrong_entries(account, issued, 2)
        alert.refresh_from_db()
        assert alert.failures == 12
        assert PinFailureAlert.objects.count() == 1
        assert alert_emails().count() == 1

        clock.shift(timedelta(days=1))
        wrong_entries(account, issued, 10)
        assert Pin.objects.get(pk=issued.pin.pk).state == "open"
    assert list(PinFailureAlert.objects.order_by("day").values_list("day", "failures")) == [
        (date(2026, 3, 10), 12),
        (date(2026, 3, 11), 10),
    ]
    assert alert_emails().count() == 2


def test_with_no_staff_address_the_alert_is_the_admin_queue_alone(account, staff, settings):
    settings.TRACS_SECURITY_ALERT_EMAIL = []
    with time_machine.travel(datetime(2026, 3, 10, 10, 0, tzinfo=ALBERTA), tick=False):
        wrong_entries(account, enrolment_pin(account, staff), 10)
    assert PinFailureAlert.objects.get().failures == 10
    assert not alert_emails().exists()


def test_the_alerts_day_is_albertas(account, staff):
    """9 failures at 23:30 and 1 at 00:30 in Edmonton are 10 on one UTC day (06:30 and 07:30 UTC), 9 and 1 on
    two Alberta days: no alert."""
    with time_machine.travel(datetime(2026, 3, 10, 23, 30, tzinfo=ALBERTA), tick=False) as clock:
        issued = enrolment_pin(account, staff)
        wrong_entries(account, issued, 9)
        clock.shift(timedelta(hours=1))
        wrong_entries(account, issued, 1)
    assert not PinFailureAlert.objects.exists()


def test_numbers_without_a_pin_are_alerted_alike(staff):
    """Whether an alert is raised must not depend on a PIN being open: the work would tell the guesser."""
    with time_machine.travel(datetime(2026, 3, 10, 10, 0, tzinfo=ALBERTA), tick=False):
        guessers = [UserFactory(), UserFactory()]
        for n in range(10):
            refused(guessers[n % 2], "999999999-01-001", "ABCD-EFGH-JKMN")
    assert PinFailureAlert.objects.get().account_number == "999999999-01-001"


def test_every_failure_is_recorded_at_the_moment_it_happened(account, staff):
    moment = datetime(2026, 3, 10, 10, 0, 7, 250_000, tzinfo=ALBERTA)
    issued = enrolment_pin(account, staff)
    person = UserFactory()
    with time_machine.travel(moment, tick=False):
        refused(person, account.number, wrong_pin(issued.clear))
    assert PinAttempt.objects.get(user=person).occurred_at == moment
    assert AccessLogEntry.objects.get(actor=person, kind=AccessLogEntry.Kind.DENIED).occurred_at == moment


_CAPTURED: dict[int, str] = {}


def _clear_of(pin: Pin) -> str:
    return _CAPTURED[pin.pk]


@pytest.fixture(autouse=True)
def _capture_generated_pins(monkeypatch):
    """Keep the clear value of each PIN the letter job generates (it never leaves the job otherwise)."""
    original_issue = pins.pin_issue

    def issue(**kwargs):
        issued = original_issue(**kwargs)
        _CAPTURED[issued.pin.pk] = issued.clear
        return issued

    monkeypatch.setattr(pins, "pin_issue", issue)
    yield
    _CAPTURED.clear()
