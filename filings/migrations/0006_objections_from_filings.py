"""Objections, waiver requests and their supporting documents now live in assessments (assessments 0007):
filings forgets them, state only; their tables stay as they are, owned by assessments."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("filings", "0005_objection_claim_reassessment"),
        ("assessments", "0007_objections_from_filings"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name="supportingdocument",
                    name="objection",
                ),
                migrations.RemoveField(
                    model_name="supportingdocument",
                    name="waiver_request",
                ),
                migrations.RemoveField(
                    model_name="waiverrequest",
                    name="account",
                ),
                migrations.RemoveField(
                    model_name="waiverrequest",
                    name="decided_by",
                ),
                migrations.RemoveField(
                    model_name="waiverrequest",
                    name="filed_by",
                ),
                migrations.DeleteModel(
                    name="Objection",
                ),
                migrations.DeleteModel(
                    name="SupportingDocument",
                ),
                migrations.DeleteModel(
                    name="WaiverRequest",
                ),
            ],
        ),
    ]
