"""Keep the search index in step with the workflow (called after commit by articles.actions)."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable, Sequence

from django.db import DatabaseError
from django.db.models import Q
from django.utils import timezone

from khabar.articles.models import Article
from khabar.search.backends import get_backend
from khabar.search.documents import INDEXED_FIELDS, SearchDocument, documents_for

logger = logging.getLogger(__name__)

REINDEX_BATCH = 1000


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
    """Build a new index beside the live one and swap it in once complete; returns how
    many stories were written.

    Searches read the whole old index until the swap, then the whole new one: never a
    half-built or half-emptied index. Every story readers may see is written into the new
    tables in batches (by id, each batch a short read and a short write, so neither holds
    the database for the whole rebuild); then, in the swap's one transaction, the stories
    changed while it ran (saved, withdrawn, out of embargo or deleted) are written again or
    dropped, and the new tables take the live ones' place. ``progress`` is called with the
    number of stories written after each batch. If the rebuild fails, the new tables are
    dropped and the live index is as it was.
    """
    backend = get_backend()
    # Changes committed from here on are caught up at the swap; the margin covers a
    # change whose clock was read before this one but which committed after.
    since = timezone.now() - CATCH_UP_MARGIN
    backend.start_rebuild()
    done, after = 0, 0
    try:
        while True:
            batch = list(
                Article.objects.published()
                .only(*INDEXED_FIELDS)
                .filter(pk__gt=after)
                .order_by("pk")[:REINDEX_BATCH]
            )
            if not batch:
                break
            after = batch[-1].pk
            done += backend.add_new(documents_for(batch))
            if progress:
                progress(len(batch))
        backend.swap(lambda table: _changed_since(since, table))
    except BaseException:
        backend.abort_rebuild()
        raise
    return done


#: How far back before a rebuild starts the stories changed are written again at the swap.
CATCH_UP_MARGIN = datetime.timedelta(minutes=10)


def _changed_since(since: datetime.datetime, table: str) -> tuple[list[SearchDocument], list[int]]:
    """What the new index must take in at the swap: the documents of stories changed since
    ``since`` that readers may see now and that the new index (``table``, its documents
    table) holds otherwise or not at all; and the ids of the changed stories readers may
    no longer see, and of the stories it holds that no longer exist."""
    now = timezone.now()
    ids = set(
        Article.objects.filter(
            Q(updated_at__gte=since)
            | Q(embargo_until__gte=since, embargo_until__lte=now)
            | Q(published_at__gte=since, published_at__lte=now)
        ).values_list("pk", flat=True)
    )
    backend = get_backend()
    live = list(
        documents_for(
            Article.objects.published(now).only(*INDEXED_FIELDS).filter(pk__in=ids).order_by("pk")
        )
    )
    # Only what differs is analysed and written again: most stories changed in the margin
    # were read after their change.
    stored = backend.stored_keys([doc.id for doc in live], table)
    changed = [doc for doc in live if stored.get(doc.id) != backend.document_key(doc)]
    gone = ids - {doc.id for doc in live}
    with backend.connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM {table} WHERE id NOT IN (SELECT id FROM {Article._meta.db_table})"
        )
        gone.update(row[0] for row in cursor.fetchall())
    return changed, sorted(gone)
