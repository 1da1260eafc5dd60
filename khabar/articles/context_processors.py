"""What every reader page's masthead shows of the stories app: the edition's sections."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from khabar.articles.models import Section
from khabar.site.editions import default_edition


def sections(request: HttpRequest) -> dict[str, object]:
    current = getattr(request, "edition", None) or default_edition()
    return {
        # Only queried by pages that draw the section menu.
        "nav_sections": SimpleLazyObject(
            lambda: list(Section.objects.filter(lang=current.code).only("slug", "name", "lang"))
        ),
    }
