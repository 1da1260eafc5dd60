"""Staff search in the desk, through the same search backend as readers."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from khabar.articles.models import Article
from khabar.search.backends import get_backend

#: The desk lists at most this many matching published stories (ranked by the backend).
DESK_LIMIT = 500


def desk_search(queryset: QuerySet[Article], term: str) -> tuple[QuerySet[Article], bool]:
    """Filter the desk's story list by a search term; returns (queryset, may_have_duplicates).

    Published stories are found through the search backend (every spelling variant, clitic
    and plural the reader search finds, in every edition); drafts, submitted, scheduled and
    withdrawn stories are not in the index, so they are matched by headline, body or
    sign-off text as typed.
    """
    term = term.strip()
    if not term:
        return queryset, False
    indexed = Q(pk__in=matching_story_ids(term))
    typed = Q(headline__icontains=term) | Q(body__icontains=term) | Q(signoff__icontains=term)
    not_live = ~Article.objects.live_q()
    return queryset.filter(indexed | (not_live & typed)), False


def matching_story_ids(term: str, *, limit: int = DESK_LIMIT) -> list[int]:
    """Ids of published stories matching ``term`` in any edition, best first.

    For staff lists keyed by story (the moderation queue filters comment threads
    ``article:<id>`` with it), so they find stories the way readers do.
    """
    return get_backend().search(term, lang=None, per_page=limit).ids
