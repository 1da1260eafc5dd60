"""Staff search in the desk, through the same search backend as readers."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils import timezone

from khabar.articles.models import LIVE_STATUSES, Article, Status
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
    return queryset.filter(pk__in=matching_story_ids(term) + typed_story_ids(term)), False


def typed_story_ids(term: str, *, limit: int = DESK_LIMIT) -> list[int]:
    """Ids of stories readers cannot see yet (or any more) whose headline, body or sign-off
    contains ``term`` as typed, newest first.

    Two indexed reads of the few stories not live, each matched as text: those in a state
    that is never live (by status), and live ones before their time or embargo (by time),
    rather than one OR that makes the database read every story of the archive.
    """
    now = timezone.now()
    typed = Q(headline__icontains=term) | Q(body__icontains=term) | Q(signoff__icontains=term)
    never_live = [s for s in Status.values if s not in LIVE_STATUSES]
    waiting = Article.objects.filter(status__in=LIVE_STATUSES).filter(
        Q(published_at__gt=now) | Q(embargo_until__gt=now) | Q(published_at__isnull=True)
    )
    found = []
    for candidates in (Article.objects.filter(status__in=never_live), waiting):
        found += candidates.filter(typed).order_by("-pk").values_list("pk", flat=True)[:limit]
    return found


def matching_story_ids(term: str, *, limit: int = DESK_LIMIT) -> list[int]:
    """Ids of published stories matching ``term`` in any edition, best first.

    For staff lists keyed by story (the moderation queue filters comment threads
    ``article:<id>`` with it), so they find stories the way readers do.
    """
    return get_backend().search(term, lang=None, per_page=limit).ids
