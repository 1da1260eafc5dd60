"""Keep the search index in step with the workflow (called after commit by articles.actions)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import DatabaseError

from khabar.articles.models import Article
from khabar.search.backends import get_backend
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


def unindex_article(article_id: int) -> None:
    """Remove a story from the index."""
    try:
        get_backend().delete(article_id)
    except DatabaseError:
        logger.exception("search: could not remove story %s", article_id)


def rebuild_index(*, progress: Callable[[int], object] | None = None) -> int:
    """Empty the index and add every story readers may see; returns how many were added.

    ``progress`` is called with the number of stories written after each batch.
    """
    backend = get_backend()
    backend.reset()
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
    backend.optimize()
    return done
