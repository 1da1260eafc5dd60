"""The chief manages partners and their API tokens in the desk."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

CHIEF = [
    "view_partner",
    "add_partner",
    "change_partner",
    "view_partnertoken",
    "add_partnertoken",
    "change_partnertoken",
]


def grant(apps, schema_editor):
    app_config = apps.get_app_config("syndication")
    app_config.models_module = True
    create_permissions(app_config, verbosity=0, apps=apps)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    chief, _ = Group.objects.get_or_create(name="chief")
    chief.permissions.add(
        *Permission.objects.filter(content_type__app_label="syndication", codename__in=CHIEF)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("syndication", "0001_initial"),
        ("articles", "0002_roles"),
    ]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
