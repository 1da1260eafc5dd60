"""Keep the search index in step with the workflow (called after commit by articles.actions)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from django.db import DatabaseError

from khabar.articles.models import Article
from khabar.search.backends import get_backend
from khabar.search.backends.base import DOCUMENT_TABLE
from khabar.search.documents import INDEXED_FIELDS, documents_for

logger = logging.getLogger(__name__)

REINDEX_BATCH = 500


def index_article(article_id: int) -> None:
    """Add or refresh a story in the index if it is live, or drop it if not."""
    article = Article.objects.published().only(*INDEXED_FIELDS).filter(pk=article_id).first()
    backend = get_backend()
    try:
        if article is None:
            backend.delete(article_id)
        else:
            backend.add_bulk(documents_for([article]))
    except DatabaseError:
        # The story's change is committed already; a failed index write must not turn the
        # editor's publish into an error page. `khabar reindex` repairs the index.
        logger.exception("search: could not index story %s", article_id)


def index_stored_stories(articles: Sequence[Article]) -> None:
    """Index a batch of live stories in the transaction that stores them (the archive
    import): the batch is stored with its index entries or not at all, so no error is
    swallowed here."""
    get_backend().add_bulk(documents_for(articles))


def unindex_article(article_id: int) -> None:
    """Remove a story from the index."""
    try:
        get_backend().delete(article_id)
    except DatabaseError:
        logger.exception("search: could not remove story %s", article_id)


def rebuild_index(*, progress: Callable[[int], object] | None = None) -> int:
    """Rebuild the index without ever emptying it; returns how many stories were written.

    Every story readers may see is written again in batches (each replaces its old entry in
    one transaction), then the entries of stories no longer live are dropped, and the index
    is merged. Searches during the rebuild find every story (its old entry until the new one
    is in), never a half-built index. ``progress`` is called with the number of stories
    written after each batch.
    """
    backend = get_backend()
    live = Article.objects.published().only(*INDEXED_FIELDS).order_by("pk")
    done = 0
    batch = []
    for article in live.iterator(chunk_size=REINDEX_BATCH):
        batch.append(article)
        if len(batch) == REINDEX_BATCH:
            done += backend.add_bulk(documents_for(batch))
            batch = []
            if progress:
                progress(REINDEX_BATCH)
    if batch:
        done += backend.add_bulk(documents_for(batch))
        if progress:
            progress(len(batch))
    prune_index()
    backend.optimize()
    return done


def prune_index() -> int:
    """Drop the entries of stories readers may no longer see; returns how many."""
    backend = get_backend()
    dropped, after = 0, 0
    while True:
        # A chunk of indexed ids at a time (by id, from where the last one ended).
        with backend.connection.cursor() as cursor:
            cursor.execute(
                f"SELECT id FROM {DOCUMENT_TABLE} WHERE id > %s ORDER BY id LIMIT %s",
                [after, REINDEX_BATCH],
            )
            chunk = [row[0] for row in cursor.fetchall()]
        if not chunk:
            return dropped
        after = chunk[-1]
        live = set(Article.objects.published().filter(pk__in=chunk).values_list("pk", flat=True))
        for doc_id in chunk:
            if doc_id not in live:
                backend.delete(doc_id)
                dropped += 1
