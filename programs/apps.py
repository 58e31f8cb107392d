from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ProgramsConfig(AppConfig):
    name = "programs"
    verbose_name = "Programs and accounts"

    def ready(self):
        from programs import rates

        rates.schedules()  # validate the rate YAML at start-up: a bad file stops the process, loudly
        post_migrate.connect(_load_reference_data, sender=self)


def _load_reference_data(sender, using="default", **kwargs):
    from programs.services import reference

    reference.reference_data_load(using=using)
