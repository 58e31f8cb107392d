"""Objections and waiver requests get real relations to what they are about (issue 11, item 7), beside the
columns that named it until now: Objection.notice (the notice objected to, which `notice_reference` named by its
number), Objection.reassessment and claim_reassessment (which the integer columns `reassessment_id` and
`claim_reassessment_id` named by id: renamed `old_...` here, as the foreign keys take their column names), and
WaiverCharge, one row per charge a waiver request asks to be waived (`transaction_ids`), marked when the decision
waived it (`waived_transaction_ids`). 0009 fills them from the old columns; 0010 drops those."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0007_objections_from_filings"),
    ]

    operations = [
        migrations.RenameField(
            model_name="objection", old_name="reassessment_id", new_name="old_reassessment_id"
        ),
        migrations.RenameField(
            model_name="objection", old_name="claim_reassessment_id", new_name="old_claim_reassessment_id"
        ),
        migrations.AddField(
            model_name="objection",
            name="notice",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="objections",
                to="assessments.notice",
                verbose_name="notice objected to",
            ),
        ),
        migrations.AddField(
            model_name="objection",
            name="reassessment",
            field=models.ForeignKey(
                blank=True,
                help_text="Set when the objection was varied",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="assessments.assessment",
                verbose_name="reassessment made",
            ),
        ),
        migrations.AddField(
            model_name="objection",
            name="claim_reassessment",
            field=models.ForeignKey(
                blank=True,
                help_text="Set when an objection to a claim's letter of assessment was varied or vacated",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="assessments.claimassessment",
                verbose_name="claim reassessment made",
            ),
        ),
        migrations.CreateModel(
            name="WaiverCharge",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("waived", models.BooleanField(default=False, verbose_name="waived")),
                (
                    "transaction",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="waiver_charges",
                        to="assessments.ledgertransaction",
                    ),
                ),
                (
                    "waiver_request",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="waiver_charges",
                        to="assessments.waiverrequest",
                    ),
                ),
            ],
            options={
                "verbose_name": "charge asked to be waived",
                "ordering": ["waiver_request", "transaction"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("waiver_request", "transaction"), name="waiver_charge_once"
                    )
                ],
            },
        ),
        migrations.AddField(
            model_name="waiverrequest",
            name="charges",
            field=models.ManyToManyField(
                related_name="waiver_requests",
                through="assessments.WaiverCharge",
                to="assessments.ledgertransaction",
                verbose_name="penalty and interest transactions asked to be waived",
            ),
        ),
    ]
