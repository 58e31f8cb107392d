"""Objections, waiver requests and their supporting documents move from filings to assessments (docs/adr/0014):
state only. Their tables keep their names (`db_table`), so no row moves and nothing is locked; filings 0006
takes them out of filings' state. Their content types move with them, so the staff groups' permissions on
them (view_objection, ...) and the admin's history of them stay attached."""

import django.contrib.postgres.fields
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

MODELS = ["objection", "waiverrequest", "supportingdocument"]


def _content_types_move(source: str, target: str):
    def move(apps, schema_editor):
        content_type = apps.get_model("contenttypes", "ContentType")
        for model in MODELS:
            # A fresh database has none yet (post_migrate makes them); one already made for the target wins.
            if not content_type.objects.filter(app_label=target, model=model).exists():
                content_type.objects.filter(app_label=source, model=model).update(app_label=target)

    return move


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0006_claim_assessments_append_only"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("filings", "0005_objection_claim_reassessment"),
        ("programs", "0006_registrations"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Objection",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "reference_number",
                            models.CharField(max_length=20, unique=True, verbose_name="reference number"),
                        ),
                        (
                            "facts",
                            models.CharField(max_length=2000, verbose_name="statement of facts and reasons"),
                        ),
                        (
                            "representative_name",
                            models.CharField(max_length=200, verbose_name="authorized representative"),
                        ),
                        (
                            "representative_position",
                            models.CharField(max_length=200, verbose_name="position or title"),
                        ),
                        ("representative_address", models.CharField(max_length=500, verbose_name="address")),
                        ("representative_phone", models.CharField(max_length=40, verbose_name="telephone")),
                        (
                            "filed_by_email",
                            models.EmailField(max_length=254, verbose_name="filed by (e-mail)"),
                        ),
                        (
                            "capacity",
                            models.CharField(
                                choices=[
                                    ("owner", "Account owner"),
                                    ("delegate", "Delegate"),
                                    ("representative", "Representative"),
                                ],
                                max_length=16,
                                verbose_name="filed as",
                            ),
                        ),
                        ("received_at", models.DateTimeField(verbose_name="received")),
                        (
                            "submission_token",
                            models.UUIDField(
                                blank=True,
                                help_text="Drawn when the wizard was started: the same wizard files once, however often it is sent",
                                null=True,
                                verbose_name="submission token",
                            ),
                        ),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("received", "Received"),
                                    ("in_review", "In review"),
                                    ("decided", "Decided"),
                                ],
                                db_index=True,
                                default="received",
                                max_length=12,
                            ),
                        ),
                        (
                            "review_started_at",
                            models.DateTimeField(blank=True, null=True, verbose_name="review started"),
                        ),
                        ("decided_at", models.DateTimeField(blank=True, null=True, verbose_name="decided")),
                        (
                            "decided_on",
                            models.DateField(blank=True, null=True, verbose_name="date of decision"),
                        ),
                        (
                            "decision_reasons",
                            models.TextField(blank=True, verbose_name="reasons for the decision"),
                        ),
                        (
                            "decision_notice_reference",
                            models.CharField(blank=True, max_length=40, verbose_name="notice of decision"),
                        ),
                        (
                            "against",
                            models.CharField(
                                choices=[
                                    ("notice", "A notice of assessment or reassessment"),
                                    (
                                        "letter",
                                        "A letter of refusal, disallowance, suspension or cancellation",
                                    ),
                                ],
                                max_length=8,
                                verbose_name="objection to",
                            ),
                        ),
                        (
                            "notice_reference",
                            models.CharField(blank=True, max_length=40, verbose_name="notice number"),
                        ),
                        (
                            "letter_kind",
                            models.CharField(
                                blank=True,
                                choices=[
                                    ("refusal", "Refusal"),
                                    ("disallowance", "Disallowance"),
                                    ("suspension", "Suspension"),
                                    ("cancellation", "Cancellation"),
                                ],
                                max_length=12,
                                verbose_name="kind of letter",
                            ),
                        ),
                        (
                            "period_start",
                            models.DateField(blank=True, null=True, verbose_name="period start"),
                        ),
                        ("period_end", models.DateField(blank=True, null=True, verbose_name="period end")),
                        ("dated_on", models.DateField(verbose_name="date of the notice or letter")),
                        (
                            "amount_in_dispute",
                            models.DecimalField(
                                blank=True,
                                decimal_places=2,
                                max_digits=16,
                                null=True,
                                verbose_name="amount in dispute",
                            ),
                        ),
                        (
                            "extension_reason",
                            models.CharField(
                                blank=True, max_length=2000, verbose_name="reason for extension"
                            ),
                        ),
                        (
                            "outcome",
                            models.CharField(
                                blank=True,
                                choices=[
                                    ("confirmed", "Confirmed: the assessment stands"),
                                    ("varied", "Varied: the period was reassessed"),
                                    ("vacated", "Vacated: the assessment was cancelled"),
                                ],
                                max_length=10,
                                verbose_name="decision",
                            ),
                        ),
                        (
                            "reassessment_id",
                            models.PositiveIntegerField(
                                blank=True,
                                help_text="Set when the objection was varied",
                                null=True,
                                verbose_name="reassessment made",
                            ),
                        ),
                        (
                            "claim_reassessment_id",
                            models.PositiveIntegerField(
                                blank=True,
                                help_text="Set when an objection to a claim's letter of assessment was varied or vacated",
                                null=True,
                                verbose_name="claim reassessment made",
                            ),
                        ),
                        (
                            "account",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="objections",
                                to="programs.programaccount",
                            ),
                        ),
                        (
                            "decided_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "filed_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "notice of objection",
                        "verbose_name_plural": "notices of objection",
                        "db_table": "filings_objection",
                        "ordering": ["-received_at", "-id"],
                    },
                ),
                migrations.CreateModel(
                    name="WaiverRequest",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "reference_number",
                            models.CharField(max_length=20, unique=True, verbose_name="reference number"),
                        ),
                        (
                            "facts",
                            models.CharField(max_length=2000, verbose_name="statement of facts and reasons"),
                        ),
                        (
                            "representative_name",
                            models.CharField(max_length=200, verbose_name="authorized representative"),
                        ),
                        (
                            "representative_position",
                            models.CharField(max_length=200, verbose_name="position or title"),
                        ),
                        ("representative_address", models.CharField(max_length=500, verbose_name="address")),
                        ("representative_phone", models.CharField(max_length=40, verbose_name="telephone")),
                        (
                            "filed_by_email",
                            models.EmailField(max_length=254, verbose_name="filed by (e-mail)"),
                        ),
                        (
                            "capacity",
                            models.CharField(
                                choices=[
                                    ("owner", "Account owner"),
                                    ("delegate", "Delegate"),
                                    ("representative", "Representative"),
                                ],
                                max_length=16,
                                verbose_name="filed as",
                            ),
                        ),
                        ("received_at", models.DateTimeField(verbose_name="received")),
                        (
                            "submission_token",
                            models.UUIDField(
                                blank=True,
                                help_text="Drawn when the wizard was started: the same wizard files once, however often it is sent",
                                null=True,
                                verbose_name="submission token",
                            ),
                        ),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("received", "Received"),
                                    ("in_review", "In review"),
                                    ("decided", "Decided"),
                                ],
                                db_index=True,
                                default="received",
                                max_length=12,
                            ),
                        ),
                        (
                            "review_started_at",
                            models.DateTimeField(blank=True, null=True, verbose_name="review started"),
                        ),
                        ("decided_at", models.DateTimeField(blank=True, null=True, verbose_name="decided")),
                        (
                            "decided_on",
                            models.DateField(blank=True, null=True, verbose_name="date of decision"),
                        ),
                        (
                            "decision_reasons",
                            models.TextField(blank=True, verbose_name="reasons for the decision"),
                        ),
                        (
                            "decision_notice_reference",
                            models.CharField(blank=True, max_length=40, verbose_name="notice of decision"),
                        ),
                        (
                            "transaction_ids",
                            django.contrib.postgres.fields.ArrayField(
                                base_field=models.BigIntegerField(),
                                size=None,
                                verbose_name="penalty and interest transactions asked to be waived",
                            ),
                        ),
                        (
                            "amount_requested",
                            models.DecimalField(
                                decimal_places=2, max_digits=16, verbose_name="amount asked to be waived"
                            ),
                        ),
                        (
                            "period_ends",
                            django.contrib.postgres.fields.ArrayField(
                                base_field=models.DateField(), size=None, verbose_name="periods"
                            ),
                        ),
                        (
                            "grounds",
                            django.contrib.postgres.fields.ArrayField(
                                base_field=models.CharField(
                                    choices=[
                                        (
                                            "extraordinary",
                                            "Extraordinary circumstances beyond my control (for example a natural disaster, a disruption of services, a serious illness or accident)",
                                        ),
                                        (
                                            "tra_action",
                                            "Actions of TRA (for example processing delays, or incorrect information from TRA)",
                                        ),
                                        ("hardship", "Inability to pay or financial hardship"),
                                    ],
                                    max_length=16,
                                ),
                                size=None,
                                verbose_name="grounds for the request",
                            ),
                        ),
                        (
                            "outcome",
                            models.CharField(
                                blank=True,
                                choices=[
                                    ("granted", "Granted in full"),
                                    ("partly_granted", "Granted in part"),
                                    ("refused", "Refused"),
                                ],
                                max_length=16,
                                verbose_name="decision",
                            ),
                        ),
                        (
                            "waived_transaction_ids",
                            django.contrib.postgres.fields.ArrayField(
                                base_field=models.BigIntegerField(),
                                blank=True,
                                default=list,
                                size=None,
                                verbose_name="transactions waived",
                            ),
                        ),
                        (
                            "amount_waived",
                            models.DecimalField(
                                blank=True,
                                decimal_places=2,
                                max_digits=16,
                                null=True,
                                verbose_name="amount waived",
                            ),
                        ),
                        (
                            "account",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="waiver_requests",
                                to="programs.programaccount",
                            ),
                        ),
                        (
                            "decided_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "filed_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "request for a waiver of penalties and interest",
                        "verbose_name_plural": "requests for a waiver of penalties and interest",
                        "db_table": "filings_waiverrequest",
                        "ordering": ["-received_at", "-id"],
                    },
                ),
                migrations.CreateModel(
                    name="SupportingDocument",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("position", models.PositiveSmallIntegerField()),
                        ("description", models.CharField(max_length=300, verbose_name="description")),
                        ("file", models.FileField(max_length=300, upload_to="")),
                        ("original_name", models.CharField(max_length=255, verbose_name="file name")),
                        ("content_type", models.CharField(max_length=120)),
                        ("size", models.PositiveBigIntegerField(verbose_name="size in bytes")),
                        ("sha256", models.CharField(max_length=64)),
                        (
                            "scan_status",
                            models.CharField(
                                choices=[
                                    ("clean", "Scanned: no threat found"),
                                    ("not_scanned", "Not scanned: no malware scanner is configured"),
                                    ("unavailable", "Not scanned: the malware scanner could not be reached"),
                                ],
                                max_length=12,
                                verbose_name="malware scan",
                            ),
                        ),
                        ("scan_detail", models.CharField(blank=True, max_length=200)),
                        (
                            "objection",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="documents",
                                to="assessments.objection",
                            ),
                        ),
                        (
                            "waiver_request",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="documents",
                                to="assessments.waiverrequest",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "supporting document",
                        "db_table": "filings_supportingdocument",
                        "ordering": ["objection", "waiver_request", "position"],
                    },
                ),
                migrations.AddIndex(
                    model_name="objection",
                    index=models.Index(fields=["account", "-received_at"], name="objection_account_received"),
                ),
                migrations.AddConstraint(
                    model_name="objection",
                    constraint=models.CheckConstraint(
                        condition=models.Q(("reference_number__regex", "^NOO-[0-9]{8}-[A-Z0-9]{6}$")),
                        name="objection_reference_format",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="objection",
                    constraint=models.CheckConstraint(
                        condition=models.Q(
                            models.Q(
                                ("against", "notice"),
                                ("amount_in_dispute__gt", 0),
                                ("letter_kind", ""),
                                ("period_end__isnull", False),
                                ("period_start__isnull", False),
                                models.Q(("notice_reference", ""), _negated=True),
                            ),
                            models.Q(
                                ("against", "letter"),
                                ("amount_in_dispute__isnull", True),
                                ("notice_reference", ""),
                                models.Q(("letter_kind", ""), _negated=True),
                            ),
                            _connector="OR",
                        ),
                        name="objection_fields_follow_what_is_objected_to",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="objection",
                    constraint=models.CheckConstraint(
                        condition=models.Q(("facts", ""), _negated=True), name="objection_facts_required"
                    ),
                ),
                migrations.AddConstraint(
                    model_name="objection",
                    constraint=models.UniqueConstraint(
                        fields=("account", "submission_token"), name="objection_one_per_submission"
                    ),
                ),
                migrations.AddConstraint(
                    model_name="objection",
                    constraint=models.CheckConstraint(
                        condition=models.Q(
                            models.Q(
                                ("status", "decided"),
                                models.Q(("outcome", ""), _negated=True),
                                ("decided_at__isnull", False),
                                ("decided_by__isnull", False),
                                ("decided_on__isnull", False),
                                models.Q(("decision_notice_reference", ""), _negated=True),
                            ),
                            models.Q(
                                models.Q(("status", "decided"), _negated=True),
                                ("decided_at__isnull", True),
                                ("decision_notice_reference", ""),
                                ("outcome", ""),
                            ),
                            _connector="OR",
                        ),
                        name="objection_decision_complete",
                    ),
                ),
                migrations.AddIndex(
                    model_name="waiverrequest",
                    index=models.Index(fields=["account", "-received_at"], name="waiver_account_received"),
                ),
                migrations.AddConstraint(
                    model_name="waiverrequest",
                    constraint=models.CheckConstraint(
                        condition=models.Q(("reference_number__regex", "^WPI-[0-9]{8}-[A-Z0-9]{6}$")),
                        name="waiver_reference_format",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="waiverrequest",
                    constraint=models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("transaction_ids", []), _negated=True),
                            ("amount_requested__gt", 0),
                            models.Q(("grounds", []), _negated=True),
                        ),
                        name="waiver_asks_for_something_on_grounds",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="waiverrequest",
                    constraint=models.CheckConstraint(
                        condition=models.Q(("facts", ""), _negated=True), name="waiver_facts_required"
                    ),
                ),
                migrations.AddConstraint(
                    model_name="waiverrequest",
                    constraint=models.UniqueConstraint(
                        fields=("account", "submission_token"), name="waiver_one_per_submission"
                    ),
                ),
                migrations.AddConstraint(
                    model_name="waiverrequest",
                    constraint=models.CheckConstraint(
                        condition=models.Q(
                            models.Q(
                                ("amount_waived__gt", 0), ("outcome__in", ["granted", "partly_granted"])
                            ),
                            models.Q(
                                ("amount_waived__isnull", True),
                                ("outcome__in", ["", "refused"]),
                                ("waived_transaction_ids", []),
                            ),
                            _connector="OR",
                        ),
                        name="waiver_amount_follows_outcome",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="waiverrequest",
                    constraint=models.CheckConstraint(
                        condition=models.Q(
                            models.Q(
                                ("status", "decided"),
                                models.Q(("outcome", ""), _negated=True),
                                ("decided_at__isnull", False),
                                ("decided_by__isnull", False),
                                ("decided_on__isnull", False),
                                models.Q(("decision_notice_reference", ""), _negated=True),
                            ),
                            models.Q(
                                models.Q(("status", "decided"), _negated=True),
                                ("decided_at__isnull", True),
                                ("decision_notice_reference", ""),
                                ("outcome", ""),
                            ),
                            _connector="OR",
                        ),
                        name="waiver_decision_complete",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="supportingdocument",
                    constraint=models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("objection__isnull", False), ("waiver_request__isnull", True)),
                            models.Q(("objection__isnull", True), ("waiver_request__isnull", False)),
                            _connector="OR",
                        ),
                        name="supporting_document_of_one_filing",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="supportingdocument",
                    constraint=models.UniqueConstraint(
                        condition=models.Q(("objection__isnull", False)),
                        fields=("objection", "position"),
                        name="supporting_document_objection_position",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="supportingdocument",
                    constraint=models.UniqueConstraint(
                        condition=models.Q(("waiver_request__isnull", False)),
                        fields=("waiver_request", "position"),
                        name="supporting_document_waiver_position",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="supportingdocument",
                    constraint=models.CheckConstraint(
                        condition=models.Q(("position__gte", 1), ("position__lte", 10), ("size__gt", 0)),
                        name="supporting_document_at_most_10",
                    ),
                ),
            ],
        ),
        migrations.RunPython(
            _content_types_move("filings", "assessments"), _content_types_move("assessments", "filings")
        ),
    ]
