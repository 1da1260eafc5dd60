"""Seed the name variants from data/variants_ar.txt; editors and chiefs may edit them."""

from pathlib import Path

from django.contrib.auth.management import create_permissions
from django.db import migrations

SEED = Path(__file__).resolve().parent.parent / "data" / "variants_ar.txt"
PERMISSIONS = ["view_namevariant", "add_namevariant", "change_namevariant", "delete_namevariant"]


def seed(apps, schema_editor):
    from khabar.search.variants import variant_forms

    NameVariant = apps.get_model("search", "NameVariant")
    for line in SEED.read_text(encoding="utf-8").splitlines():
        spellings = line.partition("#")[0].strip()
        if len(spellings.split()) > 1:
            forms = " " + " ".join(variant_forms(spellings)) + " "
            NameVariant.objects.create(spellings=spellings, forms=forms)
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    perms = list(
        Permission.objects.filter(content_type__app_label="search", codename__in=PERMISSIONS)
    )
    for role in ("editor", "chief"):
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.add(*perms)


def unseed(apps, schema_editor):
    apps.get_model("search", "NameVariant").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("search", "0003_name_variants"), ("articles", "0002_roles")]
    operations = [migrations.RunPython(seed, unseed)]
