"""Desk roles as groups: reporter, editor, moderator, chief."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

REPORTER = [
    "articles.view_article",
    "articles.add_article",
    "articles.change_article",
    "articles.submit_article",
    "articles.preview_article",
    "articles.view_section",
    "articles.view_tag",
    "articles.add_tag",
]
EDITOR = [
    *REPORTER,
    "articles.publish_article",
    "articles.correct_article",
    "articles.withdraw_article",
    "articles.change_tag",
    "articles.view_correction",
    "articles.view_auditentry",
    "reversion.view_revision",
    "reversion.view_version",
]
MODERATOR = ["articles.view_article", "articles.preview_article"]
ROLES = {"reporter": REPORTER, "editor": EDITOR, "moderator": MODERATOR}


def create_roles(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")

    def perms(names):
        found = []
        for name in names:
            app_label, codename = name.split(".")
            found.extend(
                Permission.objects.filter(content_type__app_label=app_label, codename=codename)
            )
        return found

    for role, names in ROLES.items():
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.add(*perms(names))
    chief, _ = Group.objects.get_or_create(name="chief")
    chief.permissions.add(
        *Permission.objects.filter(
            content_type__app_label__in=["articles", "reversion", "auth"]
        ).exclude(content_type__app_label="auth", codename__in=["delete_group"])
    )


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("reversion", "0002_add_index_on_version_for_content_type_and_db"),
    ]
    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
