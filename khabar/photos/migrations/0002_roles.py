"""Photo rights for the desk roles: reporters and editors upload and place photos."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

REPORTER = [
    "photos.view_photo",
    "photos.add_photo",
    "photos.change_photo",
    "photos.view_storyphoto",
    "photos.add_storyphoto",
    "photos.change_storyphoto",
    "photos.delete_storyphoto",
]
EDITOR = [*REPORTER, "photos.delete_photo"]
ROLES = {
    "reporter": REPORTER,
    "editor": EDITOR,
    "chief": EDITOR,
    "moderator": ["photos.view_photo"],
}


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, names in ROLES.items():
        group, _ = Group.objects.get_or_create(name=role)
        codenames = [name.split(".")[1] for name in names]
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="photos", codename__in=codenames)
        )


class Migration(migrations.Migration):
    dependencies = [("photos", "0001_initial"), ("articles", "0002_roles")]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
