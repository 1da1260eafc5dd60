"""Every write to the search app's tables: the desk's name variants."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db import transaction

from khabar.search.models import NameVariant
from khabar.search.variants import variant_forms


def save_name_variant(
    variant: NameVariant, *, actor: AbstractBaseUser | AnonymousUser
) -> NameVariant:
    """Store a group of name spellings with its analysed forms; the next query uses it.

    Raises PermissionDenied unless ``actor`` may add or change name variants.
    """
    codename = "change_namevariant" if variant.pk else "add_namevariant"
    if not actor.has_perm(f"search.{codename}"):  # type: ignore[union-attr]
        raise PermissionDenied
    variant.spellings = " ".join(variant.spellings.split())
    variant.forms = " " + " ".join(variant_forms(variant.spellings)) + " "
    with transaction.atomic():
        variant.save()
    return variant
