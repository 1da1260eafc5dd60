"""The chief, and a "distribution" role for the staff who run it, manage subscribers, their
destinations and the deliveries (resend, replay) in the desk."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

MANAGE = [
    "view_subscriber",
    "add_subscriber",
    "change_subscriber",
    "delete_subscriber",
    "view_destination",
    "add_destination",
    "change_destination",
    "delete_destination",
    "view_delivery",
    "resend_delivery",
    "view_attempt",
    "view_receipt",
]


def grant(apps, schema_editor):
    app_config = apps.get_app_config("distribution")
    app_config.models_module = True
    create_permissions(app_config, verbosity=0, apps=apps)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    perms = Permission.objects.filter(content_type__app_label="distribution", codename__in=MANAGE)
    for name in ("chief", "distribution"):
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*perms)


class Migration(migrations.Migration):
    dependencies = [
        ("distribution", "0001_initial"),
        ("articles", "0002_roles"),
    ]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
