"""The columns 0008's relations replace go (0009 carried their values over), and the constraints that read them
read the relations: an objection to a notice names its notice, one to a letter none. A waiver request's charges are
rows of WaiverCharge now, which a check constraint cannot see: the filing service asks for at least one."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0009_objection_relations_fill"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="objection", name="objection_fields_follow_what_is_objected_to"
        ),
        migrations.RemoveConstraint(model_name="waiverrequest", name="waiver_asks_for_something_on_grounds"),
        migrations.RemoveConstraint(model_name="waiverrequest", name="waiver_amount_follows_outcome"),
        migrations.RemoveField(model_name="objection", name="notice_reference"),
        migrations.RemoveField(model_name="objection", name="old_reassessment_id"),
        migrations.RemoveField(model_name="objection", name="old_claim_reassessment_id"),
        migrations.RemoveField(model_name="waiverrequest", name="transaction_ids"),
        migrations.RemoveField(model_name="waiverrequest", name="waived_transaction_ids"),
        migrations.AddConstraint(
            model_name="objection",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        ("against", "notice"),
                        ("amount_in_dispute__gt", 0),
                        ("letter_kind", ""),
                        ("notice__isnull", False),
                        ("period_end__isnull", False),
                        ("period_start__isnull", False),
                    ),
                    models.Q(
                        ("against", "letter"),
                        ("amount_in_dispute__isnull", True),
                        ("notice__isnull", True),
                        models.Q(("letter_kind", ""), _negated=True),
                    ),
                    _connector="OR",
                ),
                name="objection_fields_follow_what_is_objected_to",
            ),
        ),
        migrations.AddConstraint(
            model_name="waiverrequest",
            constraint=models.CheckConstraint(
                condition=models.Q(("amount_requested__gt", 0), models.Q(("grounds", []), _negated=True)),
                name="waiver_asks_for_something_on_grounds",
            ),
        ),
        migrations.AddConstraint(
            model_name="waiverrequest",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("amount_waived__gt", 0), ("outcome__in", ["granted", "partly_granted"])),
                    models.Q(("amount_waived__isnull", True), ("outcome__in", ["", "refused"])),
                    _connector="OR",
                ),
                name="waiver_amount_follows_outcome",
            ),
        ),
    ]
