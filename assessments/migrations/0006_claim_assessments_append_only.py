"""Claim assessments and their lines are facts about the past like a return's (0002): the database refuses
UPDATE and DELETE on them. A reassessment is a new claim assessment. (Refunds and payment files move through
their statuses, so they are not append-only; their invariants are check constraints in 0005.)"""

from django.db import migrations

TABLES = ["assessments_claimassessment", "assessments_claimassessmentline"]


def _trigger(table: str) -> str:
    return (
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION assessments_refuse_change();"
    )


class Migration(migrations.Migration):
    dependencies = [("assessments", "0005_claim_assessments_refunds")]

    operations = [
        migrations.RunSQL(_trigger(table), f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};")
        for table in TABLES
    ]
