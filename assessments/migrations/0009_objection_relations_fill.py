"""Fill the relations 0008 added from the columns that named them: the notice objected to by its number (a notice
of the objection's account), the reassessments by their ids, and a WaiverCharge per transaction a waiver request
named (waived if its decision named it too). An old value that points at nothing is not guessed at or dropped: the
migration stops with DanglingReference, naming the row and the value, for someone to look at. Reversed, the old
columns are filled back from the relations."""

from django.db import migrations


class DanglingReference(Exception):
    """An objection or waiver request names a notice, assessment or transaction that does not exist (or is not
    its account's)."""


def _dangling(row: str, what: str, value: object) -> DanglingReference:
    return DanglingReference(
        f"{row} names {what} {value!r}, which does not exist: fix or remove it, then migrate again"
    )


def relations_fill(apps, schema_editor):
    objection_model = apps.get_model("assessments", "Objection")
    notice_model = apps.get_model("assessments", "Notice")
    assessment_model = apps.get_model("assessments", "Assessment")
    claim_assessment_model = apps.get_model("assessments", "ClaimAssessment")
    waiver_model = apps.get_model("assessments", "WaiverRequest")
    transaction_model = apps.get_model("assessments", "LedgerTransaction")
    charge_model = apps.get_model("assessments", "WaiverCharge")
    for objection in objection_model.objects.order_by("pk").iterator():
        row = f"Objection {objection.pk} ({objection.reference_number})"
        if objection.notice_reference:
            objection.notice = notice_model.objects.filter(
                account_id=objection.account_id, reference=objection.notice_reference
            ).first()
            if objection.notice is None:
                raise _dangling(row, "notice", objection.notice_reference)
        if objection.old_reassessment_id is not None:
            objection.reassessment = assessment_model.objects.filter(pk=objection.old_reassessment_id).first()
            if objection.reassessment is None:
                raise _dangling(row, "reassessment", objection.old_reassessment_id)
        if objection.old_claim_reassessment_id is not None:
            objection.claim_reassessment = claim_assessment_model.objects.filter(
                pk=objection.old_claim_reassessment_id
            ).first()
            if objection.claim_reassessment is None:
                raise _dangling(row, "claim reassessment", objection.old_claim_reassessment_id)
        objection.save(update_fields=["notice", "reassessment", "claim_reassessment"])
    for waiver in waiver_model.objects.order_by("pk").iterator():
        row = f"WaiverRequest {waiver.pk} ({waiver.reference_number})"
        found = set(
            transaction_model.objects.filter(
                account_id=waiver.account_id, pk__in=waiver.transaction_ids
            ).values_list("pk", flat=True)
        )
        for pk in sorted({*waiver.transaction_ids, *waiver.waived_transaction_ids}):
            if pk not in found:
                raise _dangling(row, "transaction", pk)
        charge_model.objects.bulk_create(
            charge_model(
                waiver_request=waiver, transaction_id=pk, waived=pk in set(waiver.waived_transaction_ids)
            )
            for pk in sorted(set(waiver.transaction_ids))
        )


def relations_unfill(apps, schema_editor):
    objection_model = apps.get_model("assessments", "Objection")
    waiver_model = apps.get_model("assessments", "WaiverRequest")
    for objection in objection_model.objects.select_related("notice").iterator():
        objection.notice_reference = objection.notice.reference if objection.notice is not None else ""
        objection.old_reassessment_id = objection.reassessment_id
        objection.old_claim_reassessment_id = objection.claim_reassessment_id
        objection.save(update_fields=["notice_reference", "old_reassessment_id", "old_claim_reassessment_id"])
    for waiver in waiver_model.objects.prefetch_related("waiver_charges").iterator(chunk_size=200):
        charges = list(waiver.waiver_charges.all())
        waiver.transaction_ids = sorted(charge.transaction_id for charge in charges)
        waiver.waived_transaction_ids = sorted(charge.transaction_id for charge in charges if charge.waived)
        waiver.save(update_fields=["transaction_ids", "waived_transaction_ids"])


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0008_objection_relations"),
    ]

    operations = [migrations.RunPython(relations_fill, relations_unfill)]
