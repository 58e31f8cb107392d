from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class TracsConfig(AppConfig):
    """The project itself as an app: only for the wiring commands (seed_demo) that span all apps."""

    name = "tracs"
    default = True


class TracsAdminConfig(admin_apps.AdminConfig):
    default = False
    default_site = "tracs.admin.TracsAdminSite"
