from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("accounts", "0008_staff_roles")]

    operations = [
        migrations.CreateModel(
            name="ScheduledJob",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=100, unique=True, verbose_name="job")),
                ("task", models.CharField(db_index=True, max_length=200, verbose_name="task")),
                ("period", models.DurationField(blank=True, null=True, verbose_name="expected every")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="first scheduled")),
                ("last_started_at", models.DateTimeField(blank=True, null=True, verbose_name="last started")),
                (
                    "last_succeeded_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="last succeeded"),
                ),
                ("last_failed_at", models.DateTimeField(blank=True, null=True, verbose_name="last failed")),
                ("last_error", models.TextField(blank=True, verbose_name="last error")),
                (
                    "stale_alerted_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="alerted as stale"),
                ),
            ],
            options={
                "verbose_name": "scheduled job",
                "verbose_name_plural": "scheduled jobs",
                "ordering": ["name"],
            },
        ),
    ]
