"""Staff search in the desk, through the same search backend as readers."""

from __future__ import annotations

from django.db import connection, connections
from django.db.models import BooleanField, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from khabar.articles.models import LIVE_STATUSES, NEVER_LIVE_STATUSES, Article
from khabar.search.backends import get_backend

#: The desk lists at most this many matching published stories (the newest).
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
    # The newest matches, not the best: the list orders its stories itself (newest first),
    # so ranking them (and counting them for the ranking) chose which 500 to show, and
    # could leave out the newest matching stories from a list that shows the newest first.
    live = get_backend().newest_ids(term, limit=DESK_LIMIT)
    return with_ids(queryset, live + typed_story_ids(term)), False


def with_ids(queryset: QuerySet[Article], ids: list[int]) -> QuerySet[Article]:
    """``queryset.filter(pk__in=ids)``; on PostgreSQL with the ids as one array parameter.

    The desk's list runs its query three times (a capped count, a page's ids, their rows):
    with an ``IN`` of up to a thousand parameters, building each statement and psycopg's
    parsing of its text for them cost about 5 ms apiece, a fifth of the search page."""
    if connections[queryset.db].vendor != "postgresql":
        return queryset.filter(pk__in=ids)
    return queryset.filter(pk__in=RawSQL("SELECT unnest(%s::bigint[])", (ids,)))


def matching_story_ids(term: str, *, limit: int = DESK_LIMIT) -> list[int]:
    """Ids of published stories matching ``term`` in any edition, best first.

    For staff lists keyed by story (the moderation queue filters comment threads
    ``article:<id>`` with it), so they find stories the way readers do.
    """
    return get_backend().search(term, lang=None, per_page=limit, highlight=False).ids


def typed_story_ids(term: str, *, limit: int = DESK_LIMIT) -> list[int]:
    """Ids of stories readers cannot see yet (or any more) whose headline, body or sign-off
    contains ``term`` as typed, newest first.

    Indexed reads of the few stories not live: those never live and those live without a
    publishing time through the trigram index of their text (migration 0007; a term of
    three letters or more), the live ones before their time or embargo each through its own
    index (an OR of them all makes the database read every story of the archive).
    """
    now = timezone.now()
    typed = Q(headline__icontains=term) | Q(body__icontains=term) | Q(signoff__icontains=term)
    live = Article.objects.filter(status__in=LIVE_STATUSES)
    found: dict[int, None] = dict.fromkeys(_unpublished_ids(term, typed, limit))
    for stories in (live.filter(published_at__gt=now), live.filter(embargo_until__gt=now)):
        # The few waiting ones, unordered (an order by id would have the database walk the
        # whole table in id order to avoid a small sort).
        matches = stories.filter(typed).order_by().values_list("pk", flat=True)
        found.update(dict.fromkeys(matches[:limit]))
    return sorted(found, reverse=True)[:limit]


def _unpublished_ids(term: str, typed: Q, limit: int) -> list[int]:
    """The newest ``limit`` stories never live or live with no publishing time (the stories
    the trigram index holds) matching ``typed``."""
    stories = Article.objects.filter(_held()).order_by()
    if connection.vendor != "sqlite":
        # PostgreSQL reads the trigram index where it helps (its planner weighs it against
        # walking the newest stories, which a short or common term makes quick).
        return list(stories.filter(typed).order_by("-pk").values_list("pk", flat=True)[:limit])
    found: list[int] = []
    with connection.cursor() as cursor:
        if len(term) >= TRIGRAM:
            # The stories holding the term's trigrams (FTS5, external content: the index
            # alone is read); the trigrams of a term can be apart in a story, so each is
            # checked as before.
            cursor.execute(
                "SELECT rowid FROM search_typed WHERE search_typed MATCH %s ORDER BY rowid DESC",
                ['"' + term.replace('"', '""') + '"'],
            )
        else:
            # A short term: every story the index holds (its own table of them, one row a
            # story, in id order), checked until enough match.
            cursor.execute("SELECT id FROM search_typed_docsize ORDER BY id DESC")
        # Newest first, a batch at a time, until enough match: a common term stops at once.
        while len(found) < limit:
            batch = [row[0] for row in cursor.fetchmany(1000)]
            if not batch:
                break
            matches = stories.filter(typed, pk__in=batch).values_list("pk", flat=True)
            found += sorted(matches, reverse=True)
    return found[:limit]


#: The shortest term the trigram index can find (a shorter one reads the stories).
TRIGRAM = 3


def _held() -> RawSQL:
    """The stories the trigram index holds, written out with their values as the index and
    its triggers say it: SQLite and PostgreSQL use a partial index only for a query that
    repeats its condition (PostgreSQL proves it, SQLite compares the terms), and a
    condition with bound parameters does not."""
    values = ", ".join(f"'{status}'" for status in NEVER_LIVE_STATUSES)  # constants
    return RawSQL(
        f'("articles_article"."status" IN ({values}) OR "articles_article"."published_at" IS NULL)',
        (),
        output_field=BooleanField(),
    )
