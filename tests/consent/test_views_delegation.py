"""Delegated administration: owners add, change and remove co-owners and delegates, see representatives
and revoke consents; delegates see exactly what they were given."""

import re
from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from accounts import pins
from accounts.models import AccessLogEntry
from consent import services
from consent.access import FUNCTION_NOT_GRANTED
from consent.models import Consent, Grant
from consent.privileges import Privilege
from consent.views import PIN_SHOWN_ONCE
from tests.accounts.factories import UserFactory, actor_for
from tests.consent.conftest import page_without_tokens
from tests.consent.factories import (
    ConsentFactory,
    ProgramAccountFactory,
    delegate_grant,
    owner_grant,
    representative_grant,
)

pytestmark = pytest.mark.django_db

PIN_ON_PAGE = re.compile(r'data-testid="one-time-pin">([0-9A-Z-]+)<')


def _url(name, account, **kwargs):
    return reverse(name, kwargs={"number": account.number, **kwargs})


def _add(client, account, **data):
    payload = {
        "name": "Evan Employee",
        "email": "evan@example.ca",
        "role": "delegate",
        "privileges": [Privilege.VIEW_ACCOUNT],
        "ends_on": "",
    }
    payload.update(data)
    return client.post(_url("access_add", account), payload)


def _menu(response) -> list[str]:
    menu = response.text.split('class="account-menu"', 1)[1].split("</nav>", 1)[0]
    return re.findall(r"<li><a [^>]*>([^<]+)</a></li>", menu)


def test_owner_adds_a_delegate_who_enrols_and_sees_exactly_the_granted_functions(
    owner_client, account, client_for
):
    response = _add(owner_client, account, privileges=[Privilege.VIEW_ACCOUNT, Privilege.FILE_RETURNS])

    grant = Grant.objects.get(account=account, email="evan@example.ca")
    assert grant.status == Grant.Status.PENDING
    assert response.status_code == 302
    assert response.url == _url("access_pin", account, grant_id=grant.pk)

    pin_page = owner_client.get(response.url)
    assert pin_page.status_code == 200
    assert pin_page["Cache-Control"].startswith("max-age=0")
    pin = PIN_ON_PAGE.search(pin_page.text).group(1)
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", pin)
    assert "data-print" in pin_page.text
    assert timezone.localtime(grant.created_at + timedelta(days=30)).strftime("%Y-%m-%d") in pin_page.text

    again = owner_client.get(response.url)
    assert PIN_ON_PAGE.search(again.text) is None
    assert pin not in again.text
    assert str(PIN_SHOWN_ONCE) in again.text

    listing = owner_client.get(_url("access_list", account))
    assert "Evan Employee" in listing.text
    assert "Pending enrolment" in listing.text

    evan = client_for(UserFactory(email="evan@example.ca"))
    enrolled = evan.post(reverse("account_enrol"), {"account_number": account.number, "pin": pin})
    assert enrolled.url == _url("account_detail", account)
    detail = evan.get(enrolled.url)
    # View/Update Contact Information needs view_account; File a Return and File a Claim: filings registers them; Payment Options,
    # the balances and transactions (view_account): assessments registers them
    assert _menu(detail) == [
        "Account Information",
        "Payment Options",
        "View Account Summary Balance",
        "View Financial Transaction Details",
        "View/Update Contact Information",
        "File a Return",
        "File a Claim",
    ]
    assert str(Privilege.FILE_RETURNS.label) in detail.text
    owner_menu = _menu(owner_client.get(_url("account_detail", account)))
    assert owner_menu == [
        "Account Information",
        "Messages",
        "Manage access",
        "Representatives",
        "Access log",
        "Manage Direct Deposit",
        "Payment Options",
        "View Account Summary Balance",
        "View Assessment Status",
        "View Financial Transaction Details",
        "View/Update Contact Information",
        "Submit Documents",
        "File a Notice of Objection",
        "File a Return",
        "File a Claim",
    ]


def test_the_clear_pin_never_rests_in_the_session_table(owner_client, account):
    response = _add(owner_client, account)
    grant = Grant.objects.get(account=account, email="evan@example.ca")

    stored = " ".join(str(session.get_decoded()) for session in Session.objects.all())
    pin = PIN_ON_PAGE.search(owner_client.get(response.url).text).group(1)

    assert pin not in stored
    assert pin.replace("-", "") not in stored
    assert f"consent:one-time-pin:{grant.pk}" in stored  # it was there, encrypted, until the page took it
    assert f"consent:one-time-pin:{grant.pk}" not in " ".join(
        str(s.get_decoded()) for s in Session.objects.all()
    )


def test_owner_adds_a_co_owner(owner_client, account):
    response = _add(
        owner_client, account, name="Otto Owner", email="otto@example.ca", role="owner", privileges=[]
    )

    grant = Grant.objects.get(account=account, email="otto@example.ca")
    assert response.status_code == 302
    assert grant.role == Grant.Role.OWNER
    assert PIN_ON_PAGE.search(owner_client.get(response.url).text)


def test_the_change_is_logged_by_the_actor_the_access_check_built(owner_client, account, owner, settings):
    """The access decorator hands the view its Actor (request.actor): the service's log row names the owner,
    their address and the page, the portal's door, their role and the taxpayer acted for."""
    settings.TRACS_PROXY_COUNT = 0
    owner_client.post(
        _url("access_add", account),
        {
            "name": "Evan",
            "email": "evan@example.ca",
            "role": "delegate",
            "privileges": [Privilege.VIEW_ACCOUNT],
        },
        REMOTE_ADDR="203.0.113.7",
    )

    entry = AccessLogEntry.objects.get(action="Delegate added (pending)")
    assert (entry.actor, entry.ip_address, entry.path, entry.door) == (
        owner,
        "203.0.113.7",
        _url("access_add", account),
        "web",
    )
    assert (entry.capacity, entry.on_behalf_of) == (
        "owner",
        f"Prairie Fuels Ltd. (BIN {account.taxpayer.bin})",
    )


def test_revoked_delegate_is_out_on_the_next_request(owner_client, account, client_for):
    evan = UserFactory()
    grant = delegate_grant(account=account, user=evan)
    evan_client = client_for(evan)
    assert evan_client.get(_url("account_detail", account)).status_code == 200

    confirm = owner_client.get(_url("access_revoke", account, grant_id=grant.pk))
    assert confirm.status_code == 200
    assert "Remove the access of" in confirm.text
    response = owner_client.post(_url("access_revoke", account, grant_id=grant.pk))

    assert response.url == _url("access_list", account)
    assert evan_client.get(_url("account_detail", account)).status_code == 404
    assert evan.email not in owner_client.get(_url("access_list", account)).text


def test_delegate_without_a_privilege_gets_403_with_the_message(client_for, account):
    evan = UserFactory()
    delegate_grant(account=account, user=evan, privileges=[Privilege.FILE_RETURNS])

    response = client_for(evan).get(_url("account_detail", account))

    assert response.status_code == 403
    expected = FUNCTION_NOT_GRANTED % {"number": account.number, "privilege": Privilege.VIEW_ACCOUNT.label}
    assert expected in response.content.decode()


@pytest.mark.parametrize("page", ["access_list", "access_add", "access_log"])
def test_delegates_and_representatives_cannot_manage_access(client_for, account, page):
    evan = UserFactory()
    delegate_grant(account=account, user=evan, privileges=[Privilege.VIEW_ACCOUNT])
    consent = ConsentFactory(
        taxpayer=account.taxpayer,
        accounts=[account],
        privileges=[p.value for p in Privilege if p != Privilege.MANAGE_ACCESS],
    )
    representative_grant(consent=consent, account=account)

    assert client_for(evan).get(_url(page, account)).status_code == 403
    assert client_for(consent.representative).get(_url(page, account)).status_code == 403
    assert (
        client_for(evan)
        .post(_url("access_add", account), {"name": "X", "email": "x@example.ca", "role": "owner"})
        .status_code
        == 403
    )
    assert not Grant.objects.filter(email="x@example.ca").exists()


def test_an_outsider_gets_the_same_404_as_a_made_up_number(client_for, account, owner):
    outsider = client_for(UserFactory())
    made_up = "999999999-01-001"

    for name in ["account_detail", "access_list", "access_add", "access_log"]:
        real = outsider.get(reverse(name, kwargs={"number": account.number}))
        fake = outsider.get(reverse(name, kwargs={"number": made_up}))
        assert real.status_code == fake.status_code == 404
        assert page_without_tokens(real) == page_without_tokens(fake)
    assert account.taxpayer.legal_name not in outsider.get(_url("account_detail", account)).text


def test_granting_to_oneself_is_refused_next_to_the_email(owner_client, account, owner):
    response = _add(owner_client, account, email=owner.email.upper())

    assert response.status_code == 400
    assert str(services.GRANT_TO_SELF) in response.context["form"].errors["email"]
    assert Grant.objects.filter(account=account).count() == 1


def test_a_delegate_needs_at_least_one_privilege(owner_client, account):
    response = _add(owner_client, account, privileges=[])

    assert response.status_code == 400
    assert response.context["form"].errors["privileges"] == [str(services.NO_PRIVILEGES)]
    assert not Grant.objects.filter(email="evan@example.ca").exists()


def test_managing_access_is_not_a_grantable_privilege(owner_client, account):
    response = _add(owner_client, account, privileges=[Privilege.MANAGE_ACCESS])

    assert response.status_code == 400
    assert "privileges" in response.context["form"].errors
    assert not Grant.objects.filter(email="evan@example.ca").exists()


def test_an_end_date_in_the_past_is_refused(owner_client, account):
    response = _add(owner_client, account, ends_on=(timezone.localdate() - timedelta(days=1)).isoformat())

    assert response.status_code == 400
    assert response.context["form"].errors["ends_on"] == [str(services.END_DATE_PAST)]
    assert not Grant.objects.filter(email="evan@example.ca").exists()


def test_the_owner_cap_is_enforced(owner_client, account):
    account.max_owners = 1
    account.save(update_fields=["max_owners"])

    response = _add(owner_client, account, email="otto@example.ca", role="owner", privileges=[])

    assert response.status_code == 400
    assert str(services.OWNER_CAP % {"cap": 1}) in response.text
    assert not Grant.objects.filter(email="otto@example.ca").exists()


def test_the_delegate_cap_is_enforced(owner_client, account):
    account.max_delegates = 1
    account.save(update_fields=["max_delegates"])
    delegate_grant(account=account)

    response = _add(owner_client, account)

    assert response.status_code == 400
    assert str(services.DELEGATE_CAP % {"cap": 1}) in response.text
    assert not Grant.objects.filter(email="evan@example.ca").exists()


def test_someone_already_invited_is_not_invited_twice(owner_client, account):
    assert _add(owner_client, account).status_code == 302

    response = _add(owner_client, account, email="Evan@Example.ca")

    assert response.status_code == 400
    assert (
        str(services.ALREADY_HAS_ACCESS % {"email": "evan@example.ca"})
        in response.context["form"].errors["email"]
    )
    assert Grant.objects.filter(email="evan@example.ca").count() == 1


def test_the_last_owner_cannot_be_removed(owner_client, account, owner):
    grant = Grant.objects.get(account=account, user=owner)

    response = owner_client.post(_url("access_revoke", account, grant_id=grant.pk))

    assert response.status_code == 400
    assert str(services.LAST_OWNER) in response.text
    grant.refresh_from_db()
    assert grant.status == Grant.Status.ACTIVE


def test_an_owner_removes_a_co_owner_who_left(owner_client, account, client_for):
    leaver = UserFactory()
    grant = owner_grant(account=account, user=leaver)

    response = owner_client.post(_url("access_revoke", account, grant_id=grant.pk))

    assert response.status_code == 302
    assert client_for(leaver).get(_url("account_detail", account)).status_code == 404


def test_an_owner_may_step_down_when_another_owner_remains(owner_client, account, owner):
    owner_grant(account=account)
    own = Grant.objects.get(account=account, user=owner)

    response = owner_client.post(_url("access_revoke", account, grant_id=own.pk))

    assert response.url == reverse("home")
    assert owner_client.get(_url("account_detail", account)).status_code == 404


def test_cancelling_a_pending_invitation_stops_its_pin(owner_client, account, client_for):
    owner_user = Grant.objects.get(account=account, role=Grant.Role.OWNER).user
    _, issued = services.delegate_add(
        account=account,
        by=owner_user,
        name="Evan",
        email="evan@example.ca",
        role=Grant.Role.DELEGATE,
        privileges=[Privilege.VIEW_ACCOUNT],
        actor=actor_for(owner_user),
    )
    grant = Grant.objects.get(email="evan@example.ca")

    assert owner_client.post(_url("access_revoke", account, grant_id=grant.pk)).status_code == 302

    evan = client_for(UserFactory(email="evan@example.ca"))
    response = evan.post(
        reverse("account_enrol"), {"account_number": account.number, "pin": pins.pin_format(issued.clear)}
    )
    assert response.status_code == 400
    assert str(pins.PIN_REFUSED) in response.text


def test_owner_changes_a_delegates_privileges_and_end_date(owner_client, account, client_for):
    evan = UserFactory()
    grant = delegate_grant(account=account, user=evan, privileges=[Privilege.VIEW_ACCOUNT])
    ends_on = timezone.localdate() + timedelta(days=30)

    form = owner_client.get(_url("access_edit", account, grant_id=grant.pk))
    assert re.search(
        r'<input type="checkbox" name="privileges" value="view_account"[^>]* checked>', form.text
    )
    assert not re.search(
        r'<input type="checkbox" name="privileges" value="file_returns"[^>]* checked>', form.text
    )
    response = owner_client.post(
        _url("access_edit", account, grant_id=grant.pk),
        {"privileges": [Privilege.FILE_RETURNS], "ends_on": ends_on.isoformat()},
    )

    assert response.url == _url("access_list", account)
    grant.refresh_from_db()
    assert grant.privileges == [Privilege.FILE_RETURNS]
    assert grant.ends_on == ends_on
    assert client_for(evan).get(_url("account_detail", account)).status_code == 403


def test_changing_privileges_to_none_is_refused_and_nothing_changes(owner_client, account):
    grant = delegate_grant(account=account, privileges=[Privilege.VIEW_ACCOUNT])

    response = owner_client.post(
        _url("access_edit", account, grant_id=grant.pk), {"privileges": [], "ends_on": ""}
    )

    assert response.status_code == 400
    grant.refresh_from_db()
    assert grant.privileges == [Privilege.VIEW_ACCOUNT]


def test_owners_are_not_edited_only_removed(owner_client, account, owner):
    own = Grant.objects.get(account=account, user=owner)
    assert owner_client.get(_url("access_edit", account, grant_id=own.pk)).status_code == 404


def test_grants_of_another_account_are_404(owner_client, account, owner):
    other_account = ProgramAccountFactory()
    foreign = delegate_grant(account=other_account)
    # Even an account the owner also owns: the grant must belong to the account in the URL.
    owner_grant(account=other_account, user=owner)

    for name in ["access_edit", "access_revoke", "access_pin"]:
        assert owner_client.get(_url(name, account, grant_id=foreign.pk)).status_code == 404
    assert owner_client.post(_url("access_revoke", account, grant_id=foreign.pk)).status_code == 404
    foreign.refresh_from_db()
    assert foreign.status == Grant.Status.ACTIVE


def test_owner_sees_representatives_with_consent_details_and_revokes_the_consent(
    owner_client, account, client_for
):
    consent = ConsentFactory(
        taxpayer=account.taxpayer,
        representative_name="Rita Representative",
        all_accounts=True,
        signer_name="Pat Director",
        expires_on=timezone.localdate() + timedelta(days=365),
    )
    representative_grant(consent=consent, account=account)
    rita = client_for(consent.representative)
    assert rita.get(_url("account_detail", account)).status_code == 200

    listing = owner_client.get(_url("access_list", account))
    assert "Rita Representative" in listing.text
    assert "Signed by Pat Director (Corporate director)" in listing.text
    assert "All of the taxpayer's accounts, including accounts opened later" not in listing.text
    assert "All of the taxpayer's accounts" in listing.text

    confirm = owner_client.get(_url("consent_revoke", account, consent_id=consent.pk))
    assert confirm.status_code == 200
    response = owner_client.post(_url("consent_revoke", account, consent_id=consent.pk))

    assert response.url == _url("access_list", account)
    consent.refresh_from_db()
    assert consent.status == Consent.Status.REVOKED
    assert rita.get(_url("account_detail", account)).status_code == 404


def test_a_consent_of_another_taxpayer_is_404(owner_client, account):
    foreign = ConsentFactory(all_accounts=True)

    assert owner_client.get(_url("consent_revoke", account, consent_id=foreign.pk)).status_code == 404
    assert owner_client.post(_url("consent_revoke", account, consent_id=foreign.pk)).status_code == 404
    foreign.refresh_from_db()
    assert foreign.status == Consent.Status.ACTIVE


def test_a_consent_naming_only_another_account_is_404(owner_client, account):
    sibling = ProgramAccountFactory(taxpayer=account.taxpayer, program="tefs")
    consent = ConsentFactory(taxpayer=account.taxpayer, accounts=[sibling])

    assert "representatives" in owner_client.get(_url("access_list", account)).text
    assert consent.representative_name not in owner_client.get(_url("access_list", account)).text
    assert owner_client.get(_url("consent_revoke", account, consent_id=consent.pk)).status_code == 404
