"""The database refuses to change the past: UPDATE and DELETE on the ledger, the assessments and their lines,
the notices and their read receipts raise, whoever runs them (the ORM, admin, a psql session of the app's
role). A correction is a new ledger transaction; a reassessment a new assessment. TRUNCATE (a table owner's
maintenance, and the test runner's flush) is not a row change and stays possible; a role that owns the
tables can also disable the trigger, as bench/bench_transactions.py does to remove its own rows."""

from django.db import migrations

TABLES = [
    "assessments_ledgertransaction",
    "assessments_assessment",
    "assessments_assessmentline",
    "assessments_notice",
    "assessments_noticeread",
]

FUNCTION = """
CREATE OR REPLACE FUNCTION assessments_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% on %: rows of this table are never changed or deleted (post a correcting transaction or reassess instead)',
        TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END;
$$;
"""


def _trigger(table: str) -> str:
    return (
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION assessments_refuse_change();"
    )


class Migration(migrations.Migration):
    dependencies = [("assessments", "0001_initial")]

    operations = [
        migrations.RunSQL(FUNCTION, "DROP FUNCTION IF EXISTS assessments_refuse_change();"),
        *(
            migrations.RunSQL(_trigger(table), f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};")
            for table in TABLES
        ),
    ]
