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
    results = get_backend().search(term, lang=None, per_page=DESK_LIMIT)
    indexed = Q(pk__in=results.ids)
    typed = Q(headline__icontains=term) | Q(body__icontains=term) | Q(signoff__icontains=term)
    not_live = ~Article.objects.live_q()
    return queryset.filter(indexed | (not_live & typed)), False
