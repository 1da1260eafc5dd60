"""The desk's page for name variants (Search > Name variants)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from khabar.search.actions import save_name_variant
from khabar.search.models import NameVariant


@admin.register(NameVariant)
class NameVariantAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("spellings", "note", "updated_at")
    search_fields = ("spellings", "note")
    fields = ("spellings", "note")

    def save_model(self, request: HttpRequest, obj: NameVariant, form: Any, change: bool) -> None:
        save_name_variant(obj, actor=request.user)
