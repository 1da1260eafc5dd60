"""Finding photos in the library with the same Arabic analyzer as stories."""

from __future__ import annotations

from functools import reduce
from operator import and_, or_

from django.db.models import Q, QuerySet

from khabar.lib.arabic import analyze_terms
from khabar.photos.models import Photo

EDITIONS = ("ar", "fa", "en")


def search_photos(queryset: QuerySet[Photo], term: str) -> QuerySet[Photo]:
    """Photos whose caption, credit, copyright, alt text or keywords hold every word of ``term``.

    Each word is analysed like the story index does (hamza forms, diacritics, clitics,
    plurals), in the photo's own edition, and must match a whole analysed word.
    """
    term = term.strip()
    if not term:
        return queryset
    per_edition = []
    for lang in EDITIONS:
        terms = analyze_terms(term, lang=lang)
        if not terms:
            continue
        words = reduce(and_, (Q(search_text__contains=f" {t} ") for t in terms))
        per_edition.append(Q(lang=lang) & words)
    if not per_edition:
        return queryset.none()
    return queryset.filter(reduce(or_, per_edition))
