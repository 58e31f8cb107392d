"""Compiled queries (consent/sql.py) answer exactly what their ORM queryset answers, for every person and
day, and refuse a queryset that does not use an argument they were told to swap in."""

from datetime import date, timedelta

import pytest

from accounts.models import User
from consent.sql import SENTINEL_INT, CompiledQuery, count_of, page_of
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
