"""The authorization matrix: every account-scoped URL pattern (every pattern with a `number`), GET and POST,
as every kind of person. A new account-scoped pattern is picked up automatically; one whose view is not
wrapped by consent.access.account_view fails `test_every_account_pattern_is_guarded`.

Policy (docs/adr/0003-one-access-policy.md): anonymous -> 302 to sign-in; no access in force -> 404, the
same as a made-up account number; access without the privilege -> 403; otherwise the page answers.
"""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from consent.models import Grant
from consent.privileges import GRANTABLE, Privilege
from tests.accounts.factories import UserFactory
from tests.conftest import sign_in
from tests.security.world import make_consent, make_grant, module_world

ROLES = [
    "anonymous",
    "outsider",
    "delegate_lacking",
    "delegate_with",
    "representative_in_scope",
    "representative_out_of_scope",
    "revoked_delegate",
    "expired_representative",
    "owner",
    "staff",
]


def _walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def account_patterns() -> list[tuple[str, URLPattern]]:
    return sorted(
        (
            (route, entry)
            for route, entry in _walk(get_resolver().url_patterns)
            if "<number>" in route or "<str:number>" in route
        ),
        key=lambda item: item[0],
    )


PATTERNS = account_patterns()


def test_there_are_account_scoped_pages():
    assert len(PATTERNS) >= 5, [route for route, _ in PATTERNS]


@pytest.mark.parametrize(("route", "entry"), PATTERNS, ids=[route for route, _ in PATTERNS])
def test_every_account_pattern_is_guarded(route, entry):
    assert getattr(entry.callback, "required_privilege", None) in set(Privilege), (
        f"{route} takes an account number but its view is not wrapped by consent.access.account_view"
    )


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """Built once for the module (tests/security/world.py): each cell runs in its own savepoint over it."""
    with module_world(django_db_blocker, tmp_path_factory) as built:
        yield built


@pytest.fixture(autouse=True)
def _cell(db, world, settings):
    """Every cell runs in its own savepoint over the module's world, and reads the world's files."""
    settings.MEDIA_ROOT = world["media_root"]


def _accounts(route: str) -> list[str]:
    """The accounts a route is tried on: a marked-fuel seller's pages on the taxpayer's TEFS account (the fuel tax
    account would only be told it sells no marked fuel), a tourism levy establishment's on its establishment, the
    upload pages (every uploading program's, by the definition's format) on both the fuel tax account and the
    establishment, every other page on its fuel tax account."""
    if "/marked-fuel/" in route or "/dye-sites/" in route:
        return ["tefs_account"]
    if "/tourism-levy/" in route:
        return ["tourism_account"]
    if "/returns/upload/" in route:
        return ["account", "tourism_account"]
    return ["account"]


def _account(route: str, world, on: str | None = None):
    return world[on or _accounts(route)[0]]


def _person(role: str, privilege: str, world, account) -> object | None:
    other = [p for p in GRANTABLE if p != privilege][0]
    grantable = privilege != Privilege.MANAGE_ACCESS
    if role == "anonymous":
        return None
    user = UserFactory(is_staff=(role == "staff"), is_superuser=(role == "staff"))
    if role == "delegate_lacking":
        make_grant(account, user, Grant.Role.DELEGATE, [other])
    elif role == "delegate_with":
        make_grant(account, user, Grant.Role.DELEGATE, [privilege] if grantable else list(GRANTABLE))
    elif role == "representative_in_scope":
        consent = make_consent(world["taxpayer"], user, [privilege] if grantable else list(GRANTABLE))
        make_grant(account, user, Grant.Role.REPRESENTATIVE, consent.privileges, consent=consent)
    elif role == "representative_out_of_scope":
        consent = make_consent(world["other_account"].taxpayer, user, list(GRANTABLE))
        make_grant(
            world["other_account"], user, Grant.Role.REPRESENTATIVE, consent.privileges, consent=consent
        )
    elif role == "revoked_delegate":
        make_grant(
            account,
            user,
            Grant.Role.DELEGATE,
            [privilege] if grantable else list(GRANTABLE),
            status=Grant.Status.REVOKED,
        )
    elif role == "expired_representative":
        yesterday = timezone.localdate() - timedelta(days=1)
        consent = make_consent(world["taxpayer"], user, list(GRANTABLE), expires_on=yesterday)
        make_grant(
            account, user, Grant.Role.REPRESENTATIVE, consent.privileges, consent=consent, ends_on=yesterday
        )
    elif role == "owner":
        user = world["owner"]
    return user


def expected(role: str, privilege: str) -> str:
    if role == "anonymous":
        return "sign-in"
    if role in (
        "outsider",
        "representative_out_of_scope",
        "revoked_delegate",
        "expired_representative",
        "staff",
    ):
        return "404"
    if role == "owner":
        return "allowed"
    if role == "delegate_lacking":
        return "403"
    # delegates and representatives never hold manage_access, whatever they were given
    return "403" if privilege == Privilege.MANAGE_ACCESS else "allowed"


def _kwargs(route: str, world, on: str | None = None) -> dict:
    ids = world["ids"]
    kwargs = {"number": _account(route, world, on).number}
    if "<int:grant_id>" in route:
        kwargs["grant_id"] = world["target"].pk
    if "<int:consent_id>" in route:
        kwargs["consent_id"] = ids["consent_id"]
    if "<str:kind>" in route:  # an address of the account: mailing or location
        kwargs["kind"] = "mailing"
    if "<int:contact_id>" in route:
        kwargs["contact_id"] = ids["contact_id"]
    if "<period:period>" in route:  # a month the account owes a return for, not yet filed (filings)
        kwargs["period"] = "2024-01"
    if "<tl_period:period>" in route:  # a tourism levy period (the fuel tax account is sent to File a Return)
        kwargs["period"] = "2024-01"
    if (
        "<str:confirmation_number>" in route
    ):  # a return the account filed (filings): the establishment's its own
        tourism = "/tourism-levy/" in route
        kwargs["confirmation_number"] = ids[
            "tourism_levy_confirmation_number" if tourism else "confirmation_number"
        ]
        if "/dye-sites/" in route:  # a dye site report the TEFS account filed
            kwargs["confirmation_number"] = ids["dye_confirmation_number"]
    if (
        "<int:site_id>" in route
    ):  # a dye site of the TEFS account, from January 2024 (filings.views_dye_sites)
        kwargs["site_id"] = ids["dye_site_id"]
    if "<dye_report:report>" in route:  # one of its two monthly reports
        kwargs["report"] = "stock"
    if "<int:message_id>" in route:  # a message from TRA to the account (programs)
        kwargs["message_id"] = ids["message_id"]
    if "<int:document_id>" in route:  # a document of the account, with one file (programs)
        kwargs["document_id"] = ids["document_id"]
        if "<int:file_id>" in route:
            kwargs["file_id"] = ids["file_id"]
    if "<claim_kind:kind>" in route:  # a kind of claim the fuel tax account files (filings)
        kwargs["kind"] = "fuel-tax-refund"
    if "<str:claim_number>" in route:  # a claim the account filed (filings)
        kwargs["claim_number"] = ids["claim_number"]
    if "<int:notice_id>" in route:  # a notice of assessment of the account (assessments)
        kwargs["notice_id"] = ids["notice_id"]
    if "<int:objection_id>" in route:  # a Notice of Objection, and a document filed with it
        kwargs["objection_id"] = ids["objection_id"]
        if "<int:document_id>" in route:
            kwargs["document_id"] = ids["objection_document_id"]
    if "<int:rejected_id>" in route:  # a rejected marked-fuel sale of the TEFS account (filings.sales)
        kwargs["rejected_id"] = ids["rejected_id"]
    if "<int:sale_id>" in route:  # an accepted marked-fuel sale
        kwargs["sale_id"] = ids["sale_id"]
    if "<int:movement_id>" in route:  # an accepted marked-fuel movement
        kwargs["movement_id"] = ids["movement_id"]
    if "<str:report_number>" in route:  # a marked-fuel monthly report the TEFS account filed
        kwargs["report_number"] = ids["report_number"]
    if "<int:waiver_id>" in route:  # a waiver request, and a document filed with it
        kwargs["waiver_id"] = ids["waiver_id"]
        if "<int:document_id>" in route:
            kwargs["document_id"] = ids["waiver_document_id"]
    if "<int:export_id>" in route:  # a Sales Summary Excel of the TEFS account (assessments.cycles)
        kwargs["export_id"] = ids["export_id"]
    if "<int:ingestion_id>" in route:  # a marked-fuel file of the account (filings.sales)
        kwargs["ingestion_id"] = ids["ingestion_id"]
    if "<int:key_id>" in route:  # an SFTP key of the account (filings.sales.sftp)
        kwargs["key_id"] = ids["sftp_key_id"]
    unknown = set(_route_params(route)) - set(kwargs)
    assert not unknown, f"teach the matrix how to fill {unknown} in {route}"
    return kwargs


def _route_params(route: str) -> list[str]:
    import re

    return [name for name in re.findall(r"<(?:\w+:)?(\w+)>", route)]


CASES = [
    (route, entry, on, role, method)
    for (route, entry), role, method in itertools.product(PATTERNS, ROLES, ["get", "post"])
    for on in _accounts(route)
]


@pytest.mark.parametrize(
    ("route", "entry", "on", "role", "method"),
    CASES,
    ids=[
        f"{route}|{on}|{role}|{method}" if on != "account" else f"{route}|{role}|{method}"
        for route, _, on, role, method in CASES
    ],
)
def test_matrix_cell(client, world, route, entry, on, role, method):
    privilege = entry.callback.required_privilege
    url = reverse(entry.name, kwargs=_kwargs(route, world, on))
    account = _account(route, world, on)
    person = _person(role, privilege, world, account)
    if person is not None:
        sign_in(client, person)
    response = getattr(client, method)(url)
    outcome = expected(role, privilege)
    content = (
        b"".join(response.streaming_content) if response.streaming else response.content
    )  # downloads stream
    body = content.decode(errors="replace")
    if outcome == "sign-in":
        assert response.status_code == 302
        assert "/auth/login/" in response["Location"]
    elif outcome == "404":
        assert response.status_code == 404
        assert world["taxpayer"].legal_name not in body
        assert account.number not in body
        made_up = getattr(client, method)(
            reverse(entry.name, kwargs={**_kwargs(route, world, on), "number": "000000000-01-001"})
        )
        assert made_up.status_code == 404
    elif outcome == "403":
        assert response.status_code == 403
        assert str(Privilege(privilege).label) in body or privilege == Privilege.MANAGE_ACCESS
    else:
        assert response.status_code in (200, 302, 400, 405), response.status_code
        if response.status_code == 302:
            assert "/auth/login/" not in response["Location"]
    # Nothing of another taxpayer ever appears.
    assert "Elsewhere Energy" not in body
