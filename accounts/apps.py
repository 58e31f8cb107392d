from django.apps import AppConfig
from django.apps import apps as global_apps
from django.db.models.signals import post_migrate


def _staff_roles_sync(sender, using, apps=global_apps, **kwargs) -> None:
    """After every migrate (and every flush of a test database, which empties the groups): the staff roles'
    groups as accounts/roles.py defines them, at the moment Django creates the permissions themselves."""
    from accounts.roles import staff_roles_sync

    staff_roles_sync(apps=apps, using=using)


def _scheduled_jobs_sync(sender, using, apps=global_apps, **kwargs) -> None:
    """After every migrate: one row per job of the beat schedule, so staff see each before its first run."""
    from accounts.scheduled_jobs import scheduled_jobs_sync

    try:
        model = apps.get_model("accounts", "ScheduledJob")
    except LookupError:  # migrated back to before the table existed
        return
    scheduled_jobs_sync(model=model)


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Identity and sign-in"

    def ready(self) -> None:
        post_migrate.connect(_staff_roles_sync, sender=self, dispatch_uid="accounts.staff_roles_sync")
        post_migrate.connect(_scheduled_jobs_sync, sender=self, dispatch_uid="accounts.scheduled_jobs_sync")
