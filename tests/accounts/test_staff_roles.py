"""Staff roles (accounts/roles.py, docs/staff-roles.md): the groups the migration makes, giving and taking roles
(the services, `manage.py staff_role`, the user's page in staff administration), a name that is no role refused,
and a staff member with no role told so and let into nothing."""

import io

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from accounts import roles
from accounts.actors import Actor, Door
from accounts.models import AccessLogEntry
from tests.accounts.factories import UserFactory, staff_member
from tests.conftest import sign_in
from tracs.admin import NO_STAFF_ROLE

pytestmark = pytest.mark.django_db

JOB = Actor.job("test")


def _unknown(name: str) -> str:
    return str(
        roles.UNKNOWN_ROLE
        % {"name": name, "roles": ", ".join(f"{role.key} ({role.name})" for role in roles.ROLES)}
    )


def test_the_migration_made_one_group_per_role_with_exactly_its_permissions():
    catalogue = roles._catalogue(apps)
    for role in roles.ROLES:
        group = Group.objects.get(name=role.name)
        held = {
            f"{p.content_type.app_label}.{p.codename}"
            for p in group.permissions.select_related("content_type")
        }
        assert held == roles.role_permissions(role, catalogue), role.key
    assert roles.unknown_permissions() == []


def test_no_role_deletes_anything_and_only_the_administrator_opens_the_technical_sections():
    for role in roles.ROLES:
        permissions = Group.objects.get(name=role.name).permissions.values_list(
            "codename", "content_type__app_label"
        )
        business_deletes = [
            code for code, app in permissions if code.startswith("delete_") and app in roles.BUSINESS_APPS
        ]
        assert business_deletes == [], role.key
        assert (("administer_system", "accounts") in set(permissions)) == (role.key == "administrator")


def test_the_auditor_views_every_business_record_and_holds_nothing_else():
    codenames = set(Group.objects.get(name="Auditor").permissions.values_list("codename", flat=True))
    assert codenames
    assert all(codename.startswith("view_") for codename in codenames)
    assert {"view_refund", "view_objection", "view_accesslogentry", "view_user", "view_pin"} <= codenames
    assert "view_outboxemail" not in codenames  # a technical section


def test_a_changed_definition_is_applied_by_the_next_sync():
    """What the post_migrate sync does after every migrate: a group changed by hand is put back."""
    group = Group.objects.get(name="Refund approver")
    group.permissions.clear()
    Group.objects.get(name="Auditor").delete()
    roles.staff_roles_sync()
    assert group.permissions.filter(codename="approve_refund").exists()
    assert Group.objects.filter(name="Auditor").exists()


@pytest.mark.parametrize("name", ["refund_approver", "Refund approver", "  REFUND APPROVER "])
def test_a_role_is_named_by_its_key_or_its_name_in_any_case(name):
    assert roles.role_named(name).key == "refund_approver"


def test_giving_a_role_makes_the_person_staff_and_is_logged():
    person = UserFactory(is_staff=False)
    given = roles.staff_role_grant(user=person, roles=["assessor", "Refund approver"], actor=JOB)
    assert [role.key for role in given] == ["assessor", "refund_approver"]
    person.refresh_from_db()
    assert person.is_staff
    assert person.has_perm("assessments.approve_refund")
    assert not person.has_perm("assessments.decide_objection")
    row = AccessLogEntry.objects.get(action="staff roles given")
    assert (row.kind, row.capacity, row.door) == (AccessLogEntry.Kind.SECURITY, "staff", "job")
    assert row.detail == f"{person.email}: Assessor, Refund approver"
    # Again: nothing new, nothing logged.
    assert roles.staff_role_grant(user=person, roles=["assessor"], actor=JOB) == []
    assert AccessLogEntry.objects.filter(action="staff roles given").count() == 1


def test_taking_a_role_away_keeps_the_others():
    person = staff_member("assessor", "auditor")
    taken = roles.staff_role_revoke(user=person, roles=["auditor"], actor=JOB)
    assert [role.key for role in taken] == ["auditor"]
    assert [role.key for role in roles.staff_roles_of(user=person)] == ["assessor"]
    assert AccessLogEntry.objects.get(action="staff roles taken away").detail == f"{person.email}: Auditor"


def test_an_unknown_role_is_refused_and_nothing_is_given():
    person = UserFactory(is_staff=False)
    with pytest.raises(roles.UnknownRole) as caught:
        roles.staff_role_grant(user=person, roles=["assessor", "tax collector"], actor=JOB)
    assert caught.value.messages == [_unknown("tax collector")]
    person.refresh_from_db()
    assert not person.is_staff
    assert roles.staff_roles_of(user=person) == []
    assert not AccessLogEntry.objects.filter(action__startswith="staff roles").exists()


def test_nobody_changes_their_own_roles():
    administrator = staff_member("administrator")
    with pytest.raises(roles.RoleRefused) as caught:
        roles.staff_role_grant(
            user=administrator, roles=["refund_approver"], actor=Actor(administrator, Door.ADMIN)
        )
    assert caught.value.messages == [str(roles.OWN_ROLES)]
    assert [role.key for role in roles.staff_roles_of(user=administrator)] == ["administrator"]


def test_a_deactivated_profile_is_given_no_role():
    person = UserFactory(is_active=False)
    with pytest.raises(roles.RoleRefused) as caught:
        roles.staff_role_grant(user=person, roles=["auditor"], actor=JOB)
    assert caught.value.messages == [str(roles.INACTIVE_PERSON % {"email": person.email})]


# --- manage.py staff_role ----------------------------------------------------------------------------------------


def _command(*args) -> str:
    out = io.StringIO()
    call_command("staff_role", *args, stdout=out)
    return out.getvalue()


def test_the_command_grants_shows_lists_and_revokes():
    person = UserFactory(email="rae@gov.ab.ca", is_staff=False)
    out = _command("grant", "RAE@gov.ab.ca", "refund_approver", "Objections and waivers officer")
    assert "Roles given to rae@gov.ab.ca: Refund approver, Objections and waivers officer." in out
    person.refresh_from_db()
    assert person.is_staff
    assert "rae@gov.ab.ca holds: Refund approver, Objections and waivers officer." in _command(
        "show", "rae@gov.ab.ca"
    )
    listing = _command("list")
    assert "Refund approver (refund_approver)" in listing
    assert "held by: rae@gov.ab.ca" in listing
    assert "held by: nobody" in listing  # e.g. the auditor
    out = _command("revoke", "rae@gov.ab.ca", "refund_approver")
    assert "Roles taken away from rae@gov.ab.ca: Refund approver." in out
    assert [role.key for role in roles.staff_roles_of(user=person)] == ["objections_officer"]


def test_the_command_refuses_an_unknown_role_with_nothing_changed():
    person = UserFactory(email="sam@gov.ab.ca", is_staff=False)
    with pytest.raises(CommandError) as caught:
        _command("grant", "sam@gov.ab.ca", "assessor", "superhero")
    assert str(caught.value) == _unknown("superhero")
    assert roles.staff_roles_of(user=person) == []


def test_the_command_refuses_an_unknown_person():
    with pytest.raises(CommandError, match="No one signs in with the e-mail address nobody@gov.ab.ca."):
        _command("grant", "nobody@gov.ab.ca", "assessor")


# --- Staff administration --------------------------------------------------------------------------------------


def test_a_staff_member_without_a_role_is_told_so_and_reaches_nothing():
    client = sign_in(Client(), UserFactory(is_staff=True))
    index = client.get(reverse("admin:index"))
    assert index.status_code == 200
    assert str(NO_STAFF_ROLE) in index.text
    assert index.context["app_list"] == []
    assert client.get(reverse("admin:assessments_refund_changelist")).status_code == 403
    assert client.get(reverse("admin:app_list", args=["assessments"])).status_code == 403
    assert client.get(reverse("admin:accounts_user_changelist")).status_code == 403


def test_the_index_names_the_roles_held():
    client = sign_in(Client(), staff_member("assessor", "refund_approver"))
    index = client.get(reverse("admin:index")).text
    assert "Your staff roles: Assessor, Refund approver" in index
    assert str(NO_STAFF_ROLE) not in index


def _user_form(person, **changes) -> dict:
    data = {
        "email": person.email,
        "full_name": person.full_name,
        "first_name": "",
        "last_name": "",
        "is_active": "on",
        "is_staff": "on",
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": person.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": person.date_joined.strftime("%H:%M:%S"),
    }
    data.update(changes)
    return {name: value for name, value in data.items() if value is not None}


def test_an_administrator_gives_roles_on_the_users_page():
    administrator = staff_member("administrator")
    person = UserFactory(is_staff=False)
    client = sign_in(Client(), administrator)
    url = reverse("admin:accounts_user_change", args=[person.pk])
    page = client.get(url).text
    assert "Refund approver: Approves refunds" in page
    response = client.post(url, _user_form(person, staff_roles=["refund_approver", "auditor"]))
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    assert [role.key for role in roles.staff_roles_of(user=person)] == ["refund_approver", "auditor"]
    row = AccessLogEntry.objects.get(action="staff roles given")
    assert (row.actor, row.door, row.detail) == (
        administrator,
        "admin",
        f"{person.email}: Refund approver, Auditor",
    )


def test_an_administrator_neither_changes_their_own_roles_nor_makes_a_superuser():
    administrator = staff_member("administrator")
    client = sign_in(Client(), administrator)
    url = reverse("admin:accounts_user_change", args=[administrator.pk])
    page = client.get(url).text
    assert "Your own roles are changed by another administrator." in page
    response = client.post(
        url, _user_form(administrator, staff_roles=["administrator", "refund_approver"], is_superuser="on")
    )
    assert response.status_code == 302
    administrator.refresh_from_db()
    assert [role.key for role in roles.staff_roles_of(user=administrator)] == ["administrator"]
    assert not administrator.is_superuser


def test_an_administrator_cannot_change_a_superusers_profile():
    client = sign_in(Client(), staff_member("administrator"))
    superuser = UserFactory(is_staff=True, is_superuser=True)
    url = reverse("admin:accounts_user_change", args=[superuser.pk])
    assert client.get(url).status_code == 200  # read only
    assert client.post(url, _user_form(superuser, is_active=None)).status_code == 403
    superuser.refresh_from_db()
    assert superuser.is_active
    assert client.get(reverse("admin:auth_user_password_change", args=[superuser.pk])).status_code == 403


def test_a_role_is_not_given_to_a_deactivated_profile_on_the_users_page():
    client = sign_in(Client(), staff_member("administrator"))
    person = UserFactory(is_staff=False)
    url = reverse("admin:accounts_user_change", args=[person.pk])
    response = client.post(url, _user_form(person, is_active=None, staff_roles=["assessor"]))
    assert response.status_code == 200
    assert str(roles.INACTIVE_PERSON % {"email": person.email}) in response.text
    assert roles.staff_roles_of(user=person) == []
