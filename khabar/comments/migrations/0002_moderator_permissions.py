"""Moderators and chiefs get the comment permissions."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

MODERATOR = [
    "view_thread",
    "view_comment",
    "change_comment",
    "moderate_comment",
    "view_report",
    "view_auditentry",
    "view_moderatedword",
    "add_moderatedword",
    "change_moderatedword",
    "delete_moderatedword",
]


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    perms = list(
        Permission.objects.filter(content_type__app_label="comments", codename__in=MODERATOR)
    )
    for role in ("moderator", "chief"):
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.add(*perms)
    chief = Group.objects.get(name="chief")
    chief.permissions.add(
        *Permission.objects.filter(content_type__app_label="comments").exclude(
            codename__in=["add_comment", "delete_comment", "add_auditentry", "change_auditentry"]
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("comments", "0001_initial"),
        ("articles", "0002_roles"),
    ]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
