"""Contact persons of an account: add, change, remove, one primary contact; history, log and the owners'
e-mail (which names neither the person nor their details); the page's query count does not grow with them."""

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import AccessLogEntry, OutboxEmail
from consent.privileges import Privilege
from programs import validators
from programs.models import AccountChange, Contact
from programs.services import contacts as contact_services
from tests.accounts.factories import UserFactory, actor_for
from tests.consent.factories import ProgramAccountFactory, delegate_grant, owner_grant
from tests.programs.conftest import field_errors

pytestmark = pytest.mark.django_db

CARLA = {
    "name": "Carla Controller",
    "title": "Controller",
    "phone": "(780) 555 0123 x 12",
    "email": "Carla@Prairie.example",
}


def _url(name, account, **kwargs):
    return reverse(name, kwargs={"number": account.number, **kwargs})


def _contact(account, **kwargs):
    values = {
        "name": "Pat Payables",
        "title": "Accounts payable",
        "phone": "403-555-0100",
        "email": "",
        "is_primary": False,
    }
    values.update(kwargs)
    contact_services.contact_add(account=account, by=None, **values, actor=actor_for(None))
    return Contact.objects.get(account=account, name=values["name"])


def test_owner_adds_the_first_contact_who_becomes_primary(
    owner_client, owner, account, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(_url("contact_add", account), CARLA)

    assert response.status_code == 302
    assert response.url == _url("contact_information", account)
    carla = Contact.objects.get(account=account)
    assert (carla.name, carla.title, carla.phone, carla.phone_extension, carla.email, carla.is_primary) == (
        "Carla Controller",
        "Controller",
        "780-555-0123",
        "12",
        "carla@prairie.example",
        True,
    )
    change = AccountChange.objects.get(account=account)
    assert (change.subject, change.action, change.before, change.actor, change.capacity) == (
        "contact",
        "added",
        None,
        owner,
        "owner",
    )
    assert change.after == {
        "name": "Carla Controller",
        "title": "Controller",
        "phone": "780-555-0123",
        "phone_extension": "12",
        "email": "carla@prairie.example",
        "is_primary": True,
    }
    assert AccessLogEntry.objects.filter(
        actor=owner, action="a contact person was added", detail="Carla Controller"
    ).exists()
    [email] = mail.outbox
    assert sorted(email.to) == ["olivia@example.ca", "oscar@example.ca"]
    assert "a contact person was added" in email.body
    for confidential in ["Carla", "780-555-0123", "carla@prairie.example", "Controller"]:
        assert confidential not in email.body

    page = owner_client.get(response.url)
    assert "Carla Controller" in page.text
    assert "780-555-0123 ext. 12" in page.text
    assert '<span class="badge">primary</span>' in page.text


def test_choosing_a_new_primary_contact_takes_the_flag_from_the_old_one(owner_client, account):
    pat = _contact(account)
    assert pat.is_primary

    owner_client.post(_url("contact_add", account), {**CARLA, "is_primary": "on"})

    pat.refresh_from_db()
    assert not pat.is_primary
    assert Contact.objects.get(account=account, is_primary=True).name == "Carla Controller"


def test_a_second_contact_is_not_primary_unless_chosen(owner_client, account):
    _contact(account)
    owner_client.post(_url("contact_add", account), CARLA)
    assert not Contact.objects.get(name="Carla Controller").is_primary


def test_owner_changes_a_contact_and_the_history_keeps_before_and_after(
    owner_client, owner, account, django_capture_on_commit_callbacks
):
    pat = _contact(account)
    form = owner_client.get(_url("contact_edit", account, contact_id=pat.pk))
    assert 'value="Pat Payables"' in form.text
    assert 'value="403-555-0100"' in form.text
    assert "To change the primary contact, make another contact primary." in form.text

    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(
            _url("contact_edit", account, contact_id=pat.pk),
            {
                "name": "Pat Payables",
                "title": "Controller",
                "phone": "403 555 0199",
                "email": "pat@prairie.example",
            },
        )

    assert response.status_code == 302
    pat.refresh_from_db()
    assert (pat.title, pat.phone, pat.email, pat.is_primary) == (
        "Controller",
        "403-555-0199",
        "pat@prairie.example",
        True,
    )
    change = AccountChange.objects.get(account=account, action="changed")
    assert change.before["phone"] == "403-555-0100"
    assert change.after["phone"] == "403-555-0199"
    assert change.actor == owner
    [email] = mail.outbox
    assert "a contact person's details were changed" in email.body
    assert "Pat" not in email.body


def test_saving_a_contact_unchanged_records_nothing(owner_client, account):
    pat = _contact(account)
    response = owner_client.post(
        _url("contact_edit", account, contact_id=pat.pk),
        {"name": "Pat Payables", "title": "Accounts payable", "phone": "(403) 555-0100", "email": ""},
        follow=True,
    )
    assert "Nothing was changed" in response.text
    assert AccountChange.objects.filter(action="changed").count() == 0


def test_removing_the_primary_contact_makes_the_longest_standing_one_primary(
    owner_client, account, django_capture_on_commit_callbacks
):
    pat = _contact(account)
    _contact(account, name="Quinn Second", phone="403-555-0101")
    _contact(account, name="Abe Third", phone="403-555-0102")
    confirm = owner_client.get(_url("contact_remove", account, contact_id=pat.pk))
    assert "This is the primary contact" in confirm.text

    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(_url("contact_remove", account, contact_id=pat.pk))

    assert response.status_code == 302
    assert not Contact.objects.filter(pk=pat.pk).exists()
    assert Contact.objects.get(account=account, is_primary=True).name == "Quinn Second"
    change = AccountChange.objects.get(account=account, action="removed")
    assert change.before["name"] == "Pat Payables"
    assert change.after is None
    [email] = mail.outbox
    assert "a contact person was removed" in email.body


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"phone": "555-0123"}, "phone", validators.PHONE_FORMAT),
        ({"phone": "180-555-0123"}, "phone", validators.PHONE_NOT_NANP),
        ({"phone": "780-555-0123 ext. 1234567"}, "phone", validators.PHONE_EXTENSION),
        ({"phone": "", "email": ""}, "phone", contact_services.CONTACT_NEEDS_PHONE_OR_EMAIL),
        ({"email": "carla@"}, "email", "Enter a valid email address."),
        ({"name": ""}, "name", "This field is required."),
    ],
)
def test_bad_contact_input_is_shown_next_to_its_field_and_nothing_is_saved(
    owner_client, account, changes, field, message
):
    response = owner_client.post(_url("contact_add", account), {**CARLA, **changes})

    assert response.status_code == 400
    assert field_errors(response, field) == [str(message).replace("'", "&#x27;")]
    if field != "name":
        assert 'value="Carla Controller"' in response.text
    assert not Contact.objects.exists()
    assert not AccountChange.objects.exists()
    assert not OutboxEmail.objects.exists()


def test_the_service_checks_again_whatever_the_caller(account):
    with pytest.raises(ValidationError) as raised:
        contact_services.contact_add(
            account=account, name=" ", phone="12", email="x", by=None, actor=actor_for(None)
        )
    assert set(raised.value.message_dict) == {"name", "phone", "email"}


def test_a_contact_of_another_account_is_not_found(owner_client, account):
    elsewhere = _contact(ProgramAccountFactory())

    assert owner_client.get(_url("contact_edit", account, contact_id=elsewhere.pk)).status_code == 404
    assert owner_client.post(_url("contact_remove", account, contact_id=elsewhere.pk)).status_code == 404
    assert Contact.objects.filter(pk=elsewhere.pk).exists()


def test_a_delegate_without_the_privilege_is_refused_and_an_outsider_is_not_told_the_account_exists(
    account, client_for
):
    pat = _contact(account)
    viewer = UserFactory()
    delegate_grant(
        account=account, user=viewer, privileges=[Privilege.VIEW_ACCOUNT, Privilege.MANAGE_DIRECT_DEPOSIT]
    )
    viewer_browser, outsider = client_for(viewer), client_for(UserFactory())

    assert viewer_browser.post(_url("contact_add", account), CARLA).status_code == 403
    assert viewer_browser.post(_url("contact_remove", account, contact_id=pat.pk)).status_code == 403
    assert outsider.post(_url("contact_add", account), CARLA).status_code == 404
    assert outsider.post(_url("contact_remove", account, contact_id=pat.pk)).status_code == 404
    assert list(Contact.objects.values_list("name", flat=True)) == ["Pat Payables"]


def _page_queries(browser, account) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = browser.get(_url("contact_information", account))
    assert response.status_code == 200
    return len(queries)


def test_the_page_query_count_does_not_grow_with_the_number_of_contacts(client_for, owner, co_owner):
    few, many = ProgramAccountFactory(), ProgramAccountFactory()
    for account, count in ((few, 5), (many, 50)):
        owner_grant(account=account, user=owner)
        Contact.objects.bulk_create(
            Contact(account=account, name=f"Person {n:02d}", phone="403-555-0100", is_primary=(n == 0))
            for n in range(count)
        )
    browser = client_for(owner)
    _page_queries(browser, few)  # warm up: the session and the two-factor device

    assert _page_queries(browser, few) == _page_queries(browser, many)
    assert browser.get(_url("contact_information", many)).text.count('data-testid="contact-row"') == 50
