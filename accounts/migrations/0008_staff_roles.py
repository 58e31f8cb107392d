"""The staff roles (accounts/roles.py; docs/staff-roles.md): one Django group per role with its permissions.

It depends on the latest migration of every app whose permissions a role names, so their models (and the custom
permissions of their Meta) are in the registry it reads. Run again, it changes nothing; unapplied, it leaves the
groups (people may hold them). After every later `migrate`, accounts.apps brings the groups in line with
accounts/roles.py again, so a role changed there needs no new migration."""

from django.db import migrations


def create_roles(apps, schema_editor):
    from accounts.roles import staff_roles_sync

    staff_roles_sync(apps=apps, using=schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("account", "0009_emailaddress_unique_primary_email"),
        ("axes", "0010_accessattemptexpiration"),
        ("otp_static", "0003_add_timestamps"),
        ("otp_totp", "0003_add_timestamps"),
        ("sites", "0002_alter_domain_unique"),
        ("socialaccount", "0006_alter_socialaccount_extra_data"),
        ("accounts", "0007_role_permissions"),
        ("programs", "0007_role_permissions"),
        ("consent", "0002_role_permissions"),
        ("filings", "0006_objections_from_filings"),
        ("assessments", "0012_role_permissions"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
