"""Compiled queries (consent/sql.py) answer exactly what their ORM queryset answers, for every person and
day, and refuse a queryset that does not use an argument they were told to swap in."""

from datetime import date, timedelta

import pytest

from accounts.models import User
from consent.sql import SENTINEL_INT, SENTINEL_INT_2, CompiledQuery, count_of, page_of
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


def _joined_since(day: date, user_id: int):
    return User.objects.filter(date_joined__date__gte=day, pk__gte=user_id).order_by("pk").values_list("pk")


def test_the_compiled_query_answers_as_the_orm_for_each_argument_and_key():
    people = [UserFactory() for _ in range(5)]
    query = CompiledQuery(_joined_since, user_id=SENTINEL_INT)
    for day in (date(2000, 1, 1), date.today() + timedelta(days=1)):
        for person in people:
            assert query.rows(day, user_id=person.pk) == list(_joined_since(day, person.pk))


def test_a_count_and_a_page_wrap_the_same_query():
    people = [UserFactory() for _ in range(7)]
    first = people[0].pk
    counted = CompiledQuery(_joined_since, wrap=count_of, user_id=SENTINEL_INT)
    paged = CompiledQuery(_joined_since, wrap=page_of, user_id=SENTINEL_INT)
    day = date(2000, 1, 1)
    assert counted.rows(day, user_id=first) == [(7,)]
    assert paged.rows(day, user_id=first, tail=(3, 2)) == [(p.pk,) for p in people[2:5]]


def test_a_queryset_that_ignores_an_argument_is_refused():
    query = CompiledQuery(lambda key, user_id: User.objects.values_list("pk"), user_id=SENTINEL_INT)
    with pytest.raises(ValueError, match="does not use"):
        query.rows("any", user_id=1)


def _loaded(access):
    """What a page reads of an Access: the grant's columns, its account, taxpayer, program and consent."""
    if access is None:
        return None
    grant, account = access.grant, access.account
    consent = grant.consent
    return (
        [getattr(grant, field.attname) for field in grant._meta.concrete_fields],
        [getattr(account, field.attname) for field in account._meta.concrete_fields],
        account.taxpayer.legal_name,
        account.program.code,
        None if consent is None else (consent.pk, consent.status, consent.privileges, consent.expires_on),
        access.privileges,
    )


def test_the_compiled_access_check_loads_what_the_orm_loads_for_every_kind_of_grant():
    """consent.access.access_to_number (one compiled query) against access_for (the ORM's select_related), for
    an owner, a delegate whose grant ended yesterday, a revoked delegate, a representative under an active
    consent and one under a lapsed consent, and for a number no account has."""
    from django.utils import timezone

    from consent.access import access_for, access_to_number
    from consent.models import Consent, Grant
    from tests.consent.factories import (
        ConsentFactory,
        ProgramAccountFactory,
        delegate_grant,
        owner_grant,
        representative_grant,
    )

    account = ProgramAccountFactory()
    today = timezone.localdate()
    people = [
        owner_grant(account=account).user,
        delegate_grant(account=account, ends_on=today - timedelta(days=1)).user,
        delegate_grant(account=account, status=Grant.Status.REVOKED).user,
    ]
    for expires_on in (None, today - timedelta(days=1)):
        consent = ConsentFactory(taxpayer=account.taxpayer, accounts=[account], expires_on=expires_on)
        representative_grant(consent=consent, account=account)
        people.append(consent.representative)
    assert Consent.objects.count() == 2
    found = []
    for person in people:
        compiled = access_to_number(user=person, number=account.number)
        assert _loaded(compiled) == _loaded(access_for(user=person, account=account))
        found.append(compiled is not None)
    assert found == [True, False, False, True, False]
    assert access_to_number(user=people[0], number="999999999-01-001") is None


def test_two_arguments_with_one_sentinel_are_refused():
    """Each argument's positions are found by its sentinel's value: two arguments sharing one would each be swapped
    into the other's places (the header's unread count once counted person 0's messages)."""
    with pytest.raises(ValueError, match="its own sentinel"):
        CompiledQuery(_joined_since, user_id=SENTINEL_INT, other_id=SENTINEL_INT)


def test_two_int_arguments_each_land_in_their_own_place():
    people = [UserFactory() for _ in range(4)]
    query = CompiledQuery(
        lambda key, low, high: (
            User.objects.filter(pk__gte=low, pk__lte=high).order_by("pk").values_list("pk")
        ),
        low=SENTINEL_INT,
        high=SENTINEL_INT_2,
    )
    assert query.rows(None, low=people[1].pk, high=people[2].pk) == [(people[1].pk,), (people[2].pk,)]


# --- Several compiled queries in one round trip (consent.sql.prefetched, ADR 0027) --------------------------


def _in_pipeline():
    """A list of each query run inside the wrapper returned with it, and whether psycopg sent it in pipeline mode."""
    from django.db import connection
    from psycopg import pq

    ran: list[tuple[str, bool]] = []

    def wrapper(execute, sql, params, many, context):
        ran.append((sql, connection.connection.pgconn.pipeline_status != pq.PipelineStatus.OFF))
        return execute(sql, params, many, context)

    return ran, connection.execute_wrapper(wrapper)


def test_prefetched_queries_are_sent_together_and_answered_from_what_came_back():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from consent.sql import prefetched

    people = [UserFactory() for _ in range(3)]
    query = CompiledQuery(_joined_since, user_id=SENTINEL_INT)
    day = date(2000, 1, 1)
    expected = {person.pk: list(_joined_since(day, person.pk)) for person in people}
    ran, wrapper = _in_pipeline()
    with wrapper, CaptureQueriesContext(connection) as captured:
        with prefetched([query.pending(day, user_id=person.pk) for person in people]):
            sent = len(captured)
            answers = {person.pk: query.rows(day, user_id=person.pk) for person in people}
            assert len(captured) == sent  # answered from the pipeline's rows: no query more
            again = query.rows(day, user_id=people[0].pk)  # asked twice: the second time, the database
    assert answers == expected
    assert again == expected[people[0].pk]
    assert [in_pipeline for _, in_pipeline in ran] == [True, True, True, False]


def test_a_query_not_declared_is_run_when_asked_and_rows_never_asked_are_dropped():
    from consent.sql import _PREFETCHED, prefetched

    person = UserFactory()
    query = CompiledQuery(_joined_since, user_id=SENTINEL_INT)
    day = date(2000, 1, 1)
    with prefetched([query.pending(day, user_id=person.pk)]):
        assert query.rows(date(1999, 1, 1), user_id=person.pk) == list(_joined_since(day, person.pk))
    assert _PREFETCHED.get() is None
    with prefetched([]):
        assert query.rows(day, user_id=person.pk) == list(_joined_since(day, person.pk))
