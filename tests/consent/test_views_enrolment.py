"""Account Enrolment: account number (or BIN) + PIN gives the access the PIN stands for."""

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from accounts import pins
from accounts.models import AccessLogEntry, Pin
from consent import services
from consent.models import Consent, Grant
from consent.privileges import Privilege
from tests.accounts.factories import UserFactory, actor_for
from tests.consent.factories import ConsentFactory, ProgramAccountFactory

pytestmark = pytest.mark.django_db

REFUSED = str(pins.PIN_REFUSED)


def _enrolment_pin(account) -> str:
    issued = pins.pin_issue(
        purpose=Pin.Purpose.ENROLMENT, account_number=account.number, reference=f"account:{account.pk}"
    )
    return pins.pin_format(issued.clear)


def _enrol(client, number, pin):
    return client.post(reverse("account_enrol"), {"account_number": number, "pin": pin})


def test_the_form_asks_for_account_number_and_pin_and_links_the_privacy_notice(signed_in):
    response = signed_in.get(reverse("account_enrol"))

    assert response.status_code == 200
    assert 'name="account_number"' in response.text
    assert 'name="pin"' in response.text
    assert reverse("privacy") in response.text


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(reverse("account_enrol"))
    assert response.status_code == 302
    assert reverse("account_login") in response.url


def test_owner_enrols_with_the_letter_pin_and_lands_on_the_account(signed_in, user):
    account = ProgramAccountFactory(taxpayer__legal_name="Prairie Fuels Ltd.")
    pin = _enrolment_pin(account)

    response = _enrol(signed_in, account.number, pin.lower().replace("-", " "))

    assert response.status_code == 302
    assert response.url == reverse("account_detail", kwargs={"number": account.number})
    page = signed_in.get(response.url)
    assert (
        f"You now have access to account {account.number} of Prairie Fuels Ltd. as account owner."
        in page.text
    )
    assert Grant.objects.get(account=account, user=user).role == Grant.Role.OWNER


def test_the_refusal_is_the_same_for_a_wrong_pin_and_an_unknown_account_number(signed_in):
    account = ProgramAccountFactory()
    real_pin = _enrolment_pin(account)
    wrong_pin = "2222-3333-4444" if real_pin != "2222-3333-4444" else "5555-6666-7777"

    wrong = _enrol(signed_in, account.number, wrong_pin)
    unknown = _enrol(signed_in, "999999999-01-001", real_pin)

    assert wrong.status_code == unknown.status_code == 400
    assert REFUSED in wrong.text
    assert wrong.context["form"].errors == unknown.context["form"].errors
    assert not Grant.objects.filter(account=account).exists()
    assert (
        AccessLogEntry.objects.filter(kind=AccessLogEntry.Kind.DENIED, action="PIN entry refused").count()
        == 2
    )


def test_a_used_pin_is_refused_with_the_same_message(signed_in, client_for):
    account = ProgramAccountFactory()
    pin = _enrolment_pin(account)
    assert _enrol(signed_in, account.number, pin).status_code == 302

    second = _enrol(client_for(UserFactory()), account.number, pin)

    assert second.status_code == 400
    assert REFUSED in second.text


def test_an_invitation_meant_for_another_email_is_refused_and_nothing_changes(client_for, account, owner):
    grant, issued = services.delegate_add(
        account=account,
        by=owner,
        name="Evan Employee",
        email="evan@example.ca",
        role=Grant.Role.DELEGATE,
        privileges=[Privilege.VIEW_ACCOUNT],
        actor=actor_for(owner),
    )
    stranger = UserFactory(email="mallory@example.ca")

    response = _enrol(client_for(stranger), account.number, pins.pin_format(issued.clear))

    assert response.status_code == 400
    assert REFUSED in response.text
    grant.refresh_from_db()
    assert grant.status == Grant.Status.PENDING
    assert grant.user is None
    assert not Grant.objects.filter(user=stranger).exists()
    # The rightful person can still use it.
    evan = UserFactory(email="evan@example.ca")
    assert _enrol(client_for(evan), account.number, pins.pin_format(issued.clear)).status_code == 302


def test_repeated_wrong_pins_make_the_person_wait(signed_in):
    account = ProgramAccountFactory()
    _enrolment_pin(account)
    for _ in range(pins.USER_FREE_FAILURES):
        assert REFUSED in _enrol(signed_in, account.number, "2222-3333-4444").text

    response = _enrol(signed_in, account.number, "2222-3333-4444")

    assert response.status_code == 400
    assert "Too many incorrect PIN entries" in response.text


def test_enrolling_again_on_an_owned_account_is_refused_with_the_reason(signed_in, user):
    account = ProgramAccountFactory()
    assert _enrol(signed_in, account.number, _enrolment_pin(account)).status_code == 302

    response = _enrol(signed_in, account.number, _enrolment_pin(account))

    assert response.status_code == 400
    assert str(services.ALREADY_HAS_ACCESS % {"email": user.email}) in response.text
    assert Grant.objects.filter(account=account, user=user, status=Grant.Status.ACTIVE).count() == 1


def test_missing_fields_are_shown_next_to_the_fields(signed_in):
    response = signed_in.post(reverse("account_enrol"), {"account_number": "", "pin": ""})

    assert response.status_code == 400
    assert "There is a problem" in response.text
    assert response.text.count('class="field-error"') == 2


def test_representative_enrols_with_the_bin_for_an_all_accounts_consent(signed_in, user):
    fuel_tax = ProgramAccountFactory(
        taxpayer__legal_name="Peace Country Farm Supply Inc.", program="fuel_tax"
    )
    tefs = ProgramAccountFactory(taxpayer=fuel_tax.taxpayer, program="tefs")
    consent = ConsentFactory(
        taxpayer=fuel_tax.taxpayer,
        representative=None,
        representative_name="Rita Representative",
        representative_email=user.email,
        status=Consent.Status.RECEIVED,
        all_accounts=True,
        reviewed_at=None,
        activated_at=None,
        signed_form=ContentFile(b"%PDF-1.4 signed", name="at4931.pdf"),
    )
    staff_member = UserFactory(is_staff=True)
    issued = services.consent_approve(consent=consent, by=staff_member, actor=actor_for(staff_member))

    response = _enrol(signed_in, fuel_tax.taxpayer.bin, pins.pin_format(issued.clear))

    assert response.status_code == 302
    page = signed_in.get(response.url)
    assert (
        "You now have access to 2 accounts of Peace Country Farm Supply Inc. as representative." in page.text
    )
    assert set(
        Grant.objects.filter(user=user, status=Grant.Status.ACTIVE).values_list("account", flat=True)
    ) == {fuel_tax.pk, tefs.pk}


def test_a_delegate_without_account_information_lands_on_home(client_for, account, owner):
    _, issued = services.delegate_add(
        account=account,
        by=owner,
        name="Filer",
        email="filer@example.ca",
        role=Grant.Role.DELEGATE,
        privileges=[Privilege.FILE_RETURNS],
        actor=actor_for(owner),
    )
    filer = client_for(UserFactory(email="filer@example.ca"))

    response = _enrol(filer, account.number, pins.pin_format(issued.clear))

    assert response.status_code == 302
    assert response.url == reverse("home")
