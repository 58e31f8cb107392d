"""Migrations 0008-0010 give objections and waiver requests real relations (issue 11, item 7) and carry the rows
over: an objection's notice number, reassessment id and claim reassessment id become foreign keys, a waiver
request's transaction ids rows of WaiverCharge (marked when waived); an old id that points at nothing stops the
migration with DanglingReference naming the row and the id."""

import importlib
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from assessments.models import LedgerTransaction
from assessments.models_objections import Objection, WaiverCharge, WaiverRequest
from tests.assessments.objection_factories import assessed_fixture  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db(transaction=True)

OLD = [("assessments", "0007_objections_from_filings")]
ADDED = [("assessments", "0008_objection_relations")]
FILL = importlib.import_module("assessments.migrations.0009_objection_relations_fill")


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _leaves():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def _filed(account, n: int) -> dict:
    return {
        "account_id": account.pk,
        "reference_number": f"NOO-20211001-ABCD{n:02d}",
        "facts": "The litres were exported.",
        "representative_name": "Rita Rep",
        "representative_position": "Controller",
        "representative_address": "Edmonton",
        "representative_phone": "780-555-0101",
        "filed_by_email": "owner@example.com",
        "capacity": "owner",
        "received_at": timezone.now(),
    }


def _decided(staff) -> dict:
    return {
        "status": "decided",
        "decided_by_id": staff.pk,
        "decided_at": timezone.now(),
        "decided_on": date(2021, 10, 5),
        "decision_reasons": "Exported.",
        "decision_notice_reference": "ND-202110-0000001",
    }


def _old_objection(apps, account, staff, notice, *, reassessment_id, n=1):
    return apps.get_model("assessments", "Objection").objects.create(
        **_filed(account, n),
        **_decided(staff),
        against="notice",
        notice_reference=notice.reference,
        period_start=notice.period_start,
        period_end=notice.period_end,
        dated_on=notice.issued_on,
        amount_in_dispute=Decimal("1380.00"),
        outcome="varied",
        reassessment_id=reassessment_id,
    )


def _old_waiver(apps, account, staff, *, transaction_ids, waived):
    fields = _filed(account, 1) | _decided(staff) | {"reference_number": "WPI-20211001-ABCD01"}
    return apps.get_model("assessments", "WaiverRequest").objects.create(
        **fields,
        transaction_ids=transaction_ids,
        amount_requested=Decimal("700.00"),
        period_ends=[date(2021, 6, 30)],
        grounds=["extraordinary"],
        outcome="partly_granted",
        waived_transaction_ids=waived,
        amount_waived=Decimal("10.00"),
    )


def test_the_old_columns_become_relations(account, staff, assessed):
    notice = assessed.notice
    penalty = LedgerTransaction.objects.get(account=account, kind="penalty")
    charged = LedgerTransaction.objects.get(account=account, kind="interest")
    leaves = _leaves()
    try:
        old = _migrate(OLD)
        objection = _old_objection(old, account, staff, notice, reassessment_id=assessed.pk)
        waiver = _old_waiver(
            old, account, staff, transaction_ids=[penalty.pk, charged.pk], waived=[charged.pk]
        )
        _migrate(leaves)
        migrated = Objection.objects.get(pk=objection.pk)
        assert (migrated.notice, migrated.reassessment, migrated.claim_reassessment) == (
            notice,
            assessed,
            None,
        )
        charges = WaiverCharge.objects.filter(waiver_request_id=waiver.pk).order_by("transaction_id")
        assert [(c.transaction, c.waived) for c in charges] == [(penalty, False), (charged, True)]
        assert WaiverRequest.objects.get(pk=waiver.pk).waived_transaction_ids == [charged.pk]
    finally:
        _migrate(leaves)


def test_an_id_pointing_at_nothing_stops_the_migration(account, staff, assessed):
    leaves = _leaves()
    try:
        old = _migrate(OLD)
        objection = _old_objection(old, account, staff, assessed.notice, reassessment_id=999_999)
        with pytest.raises(FILL.DanglingReference) as stopped:
            _migrate(leaves)
        assert f"Objection {objection.pk}" in str(stopped.value)
        assert "999999" in str(stopped.value)
        # 0009 ran in its own transaction: nothing of it stayed; the row is fixed and the migration goes through.
        added = MigrationExecutor(connection).loader.project_state(ADDED).apps
        added.get_model("assessments", "Objection").objects.filter(pk=objection.pk).update(
            old_reassessment_id=assessed.pk
        )
        _migrate(leaves)
        assert Objection.objects.get(pk=objection.pk).reassessment == assessed
    finally:
        _migrate(leaves)


def test_a_waived_transaction_that_is_gone_stops_the_migration(account, staff, assessed):
    penalty = LedgerTransaction.objects.get(account=account, kind="penalty")
    leaves = _leaves()
    try:
        old = _migrate(OLD)
        waiver = _old_waiver(old, account, staff, transaction_ids=[penalty.pk, 888_888], waived=[penalty.pk])
        with pytest.raises(FILL.DanglingReference, match=f"WaiverRequest {waiver.pk} .*888888"):
            _migrate(leaves)
        added = MigrationExecutor(connection).loader.project_state(ADDED).apps
        added.get_model("assessments", "WaiverRequest").objects.filter(pk=waiver.pk).delete()
    finally:
        _migrate(leaves)
