"""Migrations 0008-0010 give objections and waiver requests real relations (issue 11, item 7) and carry the rows
over: an objection's notice number, reassessment id and claim reassessment id become foreign keys, a waiver
request's transaction ids rows of WaiverCharge (marked when waived); an old id that points at nothing stops the
migration with DanglingReference naming the row and the id.

Each test runs on a database of its own, migrated from nothing to 0007 (tests/migration_database.py), its rows
written with the models as they were there: going back to 0007 from the test database would first undo every later
migration of assessments and of the apps after it and do them again, a cost that grew with each migration landed
(docs/testing.md "Cost")."""

import importlib
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db.migrations.state import StateApps
from django.utils import timezone

from tests.migration_database import migrate, own_database

pytestmark = pytest.mark.django_db(transaction=True)

OLD = [("assessments", "0007_objections_from_filings")]
ADDED = [("assessments", "0008_objection_relations")]
FILLED = [("assessments", "0009_objection_relations_fill")]
CONSTRAINED = [("assessments", "0010_objection_relations_constraints")]
FILL = importlib.import_module("assessments.migrations.0009_objection_relations_fill")
PERIOD_START, PERIOD_END = date(2021, 6, 1), date(2021, 6, 30)


class Assessed:
    """What the decision tests' `assessed` fixture makes, written with the models of 0007: the late June 2021
    return of an account assessed ($13,800.00 tax) with its notice, a late-filing penalty of $690.00 and interest
    accrued through 2021-09-30 on the ledger, and a staff user to decide."""

    def __init__(self, apps: StateApps):
        now = timezone.now()
        program, _created = apps.get_model("programs", "Program").objects.get_or_create(
            code="fuel-tax", defaults={"number": "01", "name": "Fuel Tax", "description": "Fuel tax."}
        )
        taxpayer = apps.get_model("programs", "Taxpayer").objects.create(
            legal_name="Prairie Fuels Ltd.", bin="123456789", created_at=now
        )
        self.account = apps.get_model("programs", "ProgramAccount").objects.create(
            program=program,
            taxpayer=taxpayer,
            number="123456789-01-001",
            trade_name="Prairie Fuels",
            effective_date=date(2020, 1, 1),
            opened_at=now,
        )
        self.staff = apps.get_model("accounts", "User").objects.create(
            email="officer@example.com",
            password="!",
            first_name="Ola",
            last_name="Officer",
            full_name="Ola Officer",
        )
        tax = Decimal("13800.00")
        tax_return = apps.get_model("filings", "FuelTaxReturn").objects.create(
            account=self.account,
            period_start=PERIOD_START,
            period_end=PERIOD_END,
            received_at=now,
            due_on=date(2021, 7, 28),
            confirmation_number="RTN-20210815-ABCD01",
            filed_by_email="owner@example.com",
            filed_in_capacity="owner",
            certified_name="Owen Owner",
            certified_capacity="Owner",
            total_tax=tax,
        )
        self.assessment = apps.get_model("assessments", "Assessment").objects.create(
            account=self.account,
            tax_return=tax_return,
            period_start=PERIOD_START,
            period_end=PERIOD_END,
            sequence=1,
            kind="assessment",
            assessed_at=now,
            assessed_on=date(2021, 8, 20),
            reason="",
            reported_tax=tax,
            recomputed_tax=tax,
            difference=Decimal("0.00"),
            tolerance=Decimal("0.00"),
            tolerance_effective_from=date(2005, 4, 1),
            tolerance_source="rates",
            tolerance_applied=False,
            assessed_tax=tax,
            previously_assessed_tax=Decimal("0.00"),
            change=tax,
            payment_due_on=date(2021, 9, 20),
            objection_deadline=date(2021, 8, 20) + timedelta(days=90),
        )
        self.notice = apps.get_model("assessments", "Notice").objects.create(
            account=self.account,
            assessment=self.assessment,
            period_start=PERIOD_START,
            period_end=PERIOD_END,
            kind="assessment",
            reference="NA-202108-0000001",
            issued_on=date(2021, 8, 20),
            pdf="notices/NA-202108-0000001.pdf",
            sha256="0" * 64,
            size=1,
            rendered_at=now,
            source_reference="",
        )
        ledger = apps.get_model("assessments", "LedgerTransaction").objects
        entry = {"account": self.account, "period_end": PERIOD_END, "posted_at": now}
        self.penalty = ledger.create(
            **entry,
            kind="penalty",
            amount=Decimal("690.00"),
            processed_on=date(2021, 8, 20),
            effective_on=date(2021, 8, 20),
            description="Late-filing penalty",
            source_reference="penalty-2021-06",
        )
        self.interest = ledger.create(
            **entry,
            kind="interest",
            amount=Decimal("10.00"),
            processed_on=date(2021, 10, 1),
            effective_on=date(2021, 9, 30),
            description="Interest through 2021-09-30",
            source_reference="interest-2021-06-20210930",
        )


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


def _relations_hold(apps, *, objection, waiver, assessed) -> None:
    migrated = apps.get_model("assessments", "Objection").objects.get(pk=objection.pk)
    assert (migrated.notice_id, migrated.reassessment_id, migrated.claim_reassessment_id) == (
        assessed.notice.pk,
        assessed.assessment.pk,
        None,
    )
    charges = apps.get_model("assessments", "WaiverCharge").objects.filter(waiver_request_id=waiver.pk)
    assert [(c.transaction_id, c.waived) for c in charges.order_by("transaction_id")] == [
        (assessed.penalty.pk, False),
        (assessed.interest.pk, True),
    ]
    # What WaiverRequest.waived_transaction_ids reads now (a property of the model, not of the migration state).
    waived = apps.get_model("assessments", "WaiverRequest").objects.get(pk=waiver.pk).waiver_charges
    assert sorted(waived.filter(waived=True).values_list("transaction_id", flat=True)) == [
        assessed.interest.pk
    ]


def test_the_old_columns_become_relations():
    with own_database("objection_relations"):
        old = migrate(OLD)
        assessed = Assessed(old)
        objection = _old_objection(
            old, assessed.account, assessed.staff, assessed.notice, reassessment_id=assessed.assessment.pk
        )
        waiver = _old_waiver(
            old,
            assessed.account,
            assessed.staff,
            transaction_ids=[assessed.penalty.pk, assessed.interest.pk],
            waived=[assessed.interest.pk],
        )
        _relations_hold(migrate(FILLED), objection=objection, waiver=waiver, assessed=assessed)

        # Backwards over the fill (0010 does not go back over a waiver request: the transaction_ids column it
        # dropped comes back NOT NULL with no default), the old columns are filled back from the relations;
        # forwards again to the end, the same relations.
        old = migrate(OLD)
        unfilled = old.get_model("assessments", "Objection").objects.get(pk=objection.pk)
        assert (unfilled.notice_reference, unfilled.reassessment_id, unfilled.claim_reassessment_id) == (
            assessed.notice.reference,
            assessed.assessment.pk,
            None,
        )
        unfilled_waiver = old.get_model("assessments", "WaiverRequest").objects.get(pk=waiver.pk)
        assert (unfilled_waiver.transaction_ids, unfilled_waiver.waived_transaction_ids) == (
            sorted([assessed.penalty.pk, assessed.interest.pk]),
            [assessed.interest.pk],
        )
        _relations_hold(migrate(CONSTRAINED), objection=objection, waiver=waiver, assessed=assessed)


def test_an_id_pointing_at_nothing_stops_the_migration():
    with own_database("objection_relations"):
        old = migrate(OLD)
        assessed = Assessed(old)
        objection = _old_objection(
            old, assessed.account, assessed.staff, assessed.notice, reassessment_id=999_999
        )
        with pytest.raises(FILL.DanglingReference) as stopped:
            migrate(CONSTRAINED)
        assert f"Objection {objection.pk}" in str(stopped.value)
        assert "999999" in str(stopped.value)
        # 0009 ran in its own transaction: nothing of it stayed; the row is fixed and the migration goes through.
        added = migrate(ADDED)  # where it stopped: 0008 applied, 0009 not
        added.get_model("assessments", "Objection").objects.filter(pk=objection.pk).update(
            old_reassessment_id=assessed.assessment.pk
        )
        migrated = migrate(CONSTRAINED)
        assert (
            migrated.get_model("assessments", "Objection").objects.get(pk=objection.pk).reassessment_id
            == assessed.assessment.pk
        )


def test_a_waived_transaction_that_is_gone_stops_the_migration():
    with own_database("objection_relations"):
        old = migrate(OLD)
        assessed = Assessed(old)
        penalty = assessed.penalty
        waiver = _old_waiver(
            old, assessed.account, assessed.staff, transaction_ids=[penalty.pk, 888_888], waived=[penalty.pk]
        )
        with pytest.raises(FILL.DanglingReference, match=f"WaiverRequest {waiver.pk} .*888888"):
            migrate(CONSTRAINED)
        added = migrate(ADDED)
        added.get_model("assessments", "WaiverRequest").objects.filter(pk=waiver.pk).delete()
        migrate(CONSTRAINED)  # the row removed, the migration goes through
