"""The move of objections, waiver requests and their documents from filings to assessments (docs/adr/0014) is
state only: run backwards and forwards over a database, their tables keep their rows and their content types
(so the staff groups' permissions on them) follow them to the app they now belong to."""

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [
    ("filings", "0005_objection_claim_reassessment"),
    ("assessments", "0006_claim_assessments_append_only"),
]
MODELS = ["objection", "waiverrequest", "supportingdocument"]


def _migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)


def _leaves() -> list[tuple[str, str]]:
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def _labels() -> dict[str, tuple[int, str]]:
    rows = ContentType.objects.filter(model__in=MODELS).values_list("model", "pk", "app_label")
    return {model: (pk, label) for model, pk, label in rows}


def test_the_move_keeps_the_tables_and_takes_the_permissions_along():
    ContentType.objects.clear_cache()
    moved = _labels()
    assert {label for _pk, label in moved.values()} == {"assessments"}
    view = Permission.objects.get(codename="view_objection")
    leaves = _leaves()
    try:
        _migrate(BEFORE)
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM filings_objection")  # the table stayed where it was
            assert cursor.fetchone() == (0,)
        ContentType.objects.clear_cache()
        assert _labels() == {model: (pk, "filings") for model, (pk, _label) in moved.items()}
        _migrate(leaves)
        ContentType.objects.clear_cache()
        assert _labels() == moved  # the same rows, labelled assessments again
        assert Permission.objects.get(pk=view.pk).content_type_id == moved["objection"][0]
    finally:
        _migrate(leaves)
