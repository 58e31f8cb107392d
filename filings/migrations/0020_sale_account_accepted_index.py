# One seller's sales of a claim period by when they were accepted (the Sales Summary): ADR 0026.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("filings", "0019_inventory_variances"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="sale",
            index=models.Index(fields=["account", "created_at"], name="sale_account_accepted_idx"),
        ),
    ]
