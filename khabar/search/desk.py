"""Staff search in the desk, through the same search backend as readers."""

from __future__ import annotations

from django.db.models import BooleanField, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from khabar.articles.models import LIVE_STATUSES, NEVER_LIVE_STATUSES, Article
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


def matching_story_ids(term: str, *, limit: int = DESK_LIMIT) -> list[int]:
    """Ids of published stories matching ``term`` in any edition, best first.

    For staff lists keyed by story (the moderation queue filters comment threads
    ``article:<id>`` with it), so they find stories the way readers do.
    """
    return get_backend().search(term, lang=None, per_page=limit, highlight=False).ids


def typed_story_ids(term: str, *, limit: int = DESK_LIMIT) -> list[int]:
    """Ids of stories readers cannot see yet (or any more) whose headline, body or sign-off
    contains ``term`` as typed, newest first.

    Indexed reads of the few stories not live, each matched as text: those in a state that
    is never live (by status), and live ones before their time or embargo (by time), rather
    than one OR that makes the database read every story of the archive.
    """
    now = timezone.now()
    typed = Q(headline__icontains=term) | Q(body__icontains=term) | Q(signoff__icontains=term)
    live = Article.objects.filter(status__in=LIVE_STATUSES)
    candidates = [
        Article.objects.filter(_never_live()),
        # Live, but not yet or not now: each through its own index (an OR of them is a scan).
        live.filter(published_at__gt=now),
        live.filter(published_at__isnull=True),
        live.filter(embargo_until__gt=now),
    ]
    found: dict[int, None] = {}
    for stories in candidates:
        # Newest first among the never-live; the few waiting ones unordered (an order by id
        # would have the database walk the whole table in id order to avoid a small sort).
        order = ("-pk",) if stories is candidates[0] else ()
        matches = stories.filter(typed).order_by(*order).values_list("pk", flat=True)
        found.update(dict.fromkeys(matches[:limit]))
    return sorted(found, reverse=True)[:limit]


def _never_live() -> RawSQL:
    """``status IN (…never live…)`` written out with its values, as the partial index
    ``article_not_live_idx`` says it: SQLite uses a partial index only for a query that
    repeats its condition, and a condition with bound parameters does not."""
    values = ", ".join(f"'{status}'" for status in NEVER_LIVE_STATUSES)  # constants
    return RawSQL(f'"articles_article"."status" IN ({values})', (), output_field=BooleanField())
