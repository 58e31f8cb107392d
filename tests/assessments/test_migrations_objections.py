"""The move of objections, waiver requests and their documents from filings to assessments (docs/adr/0014) is
state only: run forwards and backwards over a database, their tables keep their rows and their content types
(so the staff groups' permissions on them) follow them to the app they now belong to.

The database is one of this test's own, migrated from nothing to just before the move, with the content types and
permissions post_migrate made then: going back over the move from the test database (at the latest migration)
would first undo every later migration of filings and assessments and do them again, a cost that grew with each
migration added to either (docs/testing.md "Cost"); from nothing to the move is a fixed path
(tests/migration_database.py, which tests/assessments/test_migrations_objection_relations.py uses too)."""

import pytest
from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.management import create_contenttypes
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.migration_database import own_database

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [
    ("filings", "0005_objection_claim_reassessment"),
    ("assessments", "0006_claim_assessments_append_only"),
]
MOVED = [  # the move: assessments takes the models over, then filings forgets them
    ("filings", "0006_objections_from_filings"),
    ("assessments", "0007_objections_from_filings"),
]
MODELS = ["objection", "waiverrequest", "supportingdocument"]


def _migrate(targets):
    return MigrationExecutor(connection).migrate(targets)


def _labels() -> dict[str, tuple[int, str]]:
    ContentType.objects.clear_cache()
    rows = ContentType.objects.filter(model__in=MODELS).values_list("model", "pk", "app_label")
    return {model: (pk, label) for model, pk, label in rows}


def test_the_move_keeps_the_tables_and_takes_the_permissions_along():
    with own_database("objections"):
        before = _migrate(BEFORE)
        # What post_migrate made on a database at that point: filings' content types and their permissions.
        filings = global_apps.get_app_config("filings")
        create_contenttypes(filings, verbosity=0, interactive=False, apps=before.apps)
        create_permissions(filings, verbosity=0, interactive=False, apps=before.apps)
        at_first = _labels()
        assert {label for _pk, label in at_first.values()} == {"filings"}
        assert set(at_first) == set(MODELS)
        view = Permission.objects.get(codename="view_objection")

        _migrate(MOVED)
        moved = _labels()
        assert moved == {model: (pk, "assessments") for model, (pk, _label) in at_first.items()}
        assert Permission.objects.get(pk=view.pk).content_type_id == moved["objection"][0]

        _migrate(BEFORE)
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM filings_objection")  # the table stayed where it was
            assert cursor.fetchone() == (0,)
        assert _labels() == at_first

        _migrate(MOVED)
        assert _labels() == moved  # the same rows, labelled assessments again
        assert Permission.objects.get(pk=view.pk).content_type_id == moved["objection"][0]
