"""Re-encrypt every secret stored at rest with the first key of OUTBOX_KEYS (docs/configuration.md, "Rotating
the encryption keys"). Finds the fields by their name: a BinaryField called *_encrypted in any model. In batches,
each in its own transaction; safe to run twice (a token already under the first key is rotated again, unchanged
in meaning); prints how many values each field had re-encrypted."""

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import models, transaction

from accounts.crypto import rotate


def encrypted_fields() -> list[tuple[type[models.Model], str]]:
    return [
        (model, field.name)
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, models.BinaryField) and field.name.endswith("_encrypted")
    ]


class Command(BaseCommand):
    help = "Re-encrypt stored secrets with the first key of OUTBOX_KEYS."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, batch_size: int, **options):
        total = 0
        for model, name in encrypted_fields():
            count = 0
            # Empty values (an e-mail sent and erased, a letter downloaded) hold nothing to rotate.
            rows = model._default_manager.exclude(**{f"{name}__isnull": True}).exclude(**{name: b""})
            last = 0
            while True:
                with transaction.atomic():
                    batch = list(
                        rows.filter(pk__gt=last)
                        .order_by("pk")
                        .select_for_update()
                        .values_list("pk", name)[:batch_size]
                    )
                    for pk, token in batch:
                        model._default_manager.filter(pk=pk).update(**{name: rotate(bytes(token))})
                if not batch:
                    break
                count += len(batch)
                last = batch[-1][0]
            total += count
            self.stdout.write(f"{model._meta.label}.{name}: {count} re-encrypted")
        self.stdout.write(f"{total} value(s) re-encrypted with the first key")
