"""Keep the search index in step with the workflow (called after commit by articles.actions)."""

from __future__ import annotations

import datetime
import logging
import os
from collections.abc import Callable, Sequence
from concurrent.futures import Future

from django.db import DatabaseError
from django.db.models import Q
from django.utils import timezone

from khabar.articles.models import Article
from khabar.articles.wire_import import bulk_writes
from khabar.lib.arabic import forms_text
from khabar.lib.forked import helper_process
from khabar.lib.tsvector import literal_vectors
from khabar.search.backends import get_backend
from khabar.search.documents import FIELDS, INDEXED_FIELDS, documents_for
from khabar.search.query import analysis_lang

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
    the database for the whole rebuild). Then the stories changed while it ran (saved,
    withdrawn, out of embargo or deleted) are written again or dropped: most of them
    before the swap, the rest in the swap's one transaction, where the new tables take the
    live ones' place. ``progress`` is called with the number of stories written after each
    batch. If the rebuild fails, the new tables are dropped and the live index is as it
    was.
    """
    backend = get_backend()
    # A change is caught up when its clock was read after ``since``: the margin covers a
    # change whose clock was read before the rebuild started but which committed after.
    since = timezone.now() - CATCH_UP_MARGIN
    table = backend.start_rebuild()
    done, after = 0, 0
    try:
        with bulk_writes(backend.using), helper_process((os.cpu_count() or 1) > 1) as submit:
            # While one batch is written, the next is analysed in a second process.
            pending: tuple[list[Article], Future[list[Analysed]]] | None = None
            while True:
                batch = list(
                    Article.objects.published()
                    .only(*INDEXED_FIELDS)
                    .filter(pk__gt=after)
                    .order_by("pk")[:REINDEX_BATCH]
                )
                future = submit(
                    analyse, [_texts(article) for article in batch], backend.vendor == "postgresql"
                )
                if pending is not None:
                    articles, analysed = pending[0], pending[1].result()
                    for article, (forms, *vectors) in zip(articles, analysed, strict=True):
                        article.text_forms = forms  # type: ignore[attr-defined]
                        if vectors:
                            article.text_vectors = vectors[0]  # type: ignore[attr-defined]
                    done += backend.add_new(documents_for(articles))
                    if progress:
                        progress(len(articles))
                if not batch:
                    break
                after = batch[-1].pk
                pending = (batch, future)
        caught_up = timezone.now() - CATCH_UP_MARGIN
        catch_up(since, table)
        # In the swap's transaction, only the stories changed since: a story deleted from
        # here on leaves the new index as it is deleted (``SearchBackend.forget``), so the
        # walk over the whole new index for deleted ones stays out of the transaction.
        backend.swap(lambda table: catch_up(caught_up, table, deleted=False))
    except BaseException:
        backend.abort_rebuild()
        raise
    return done


#: A story's fields as ``SearchDocument.analysed`` takes them.
Analysed = tuple[str, dict[str, tuple[str, str]]]


def _texts(article: Article) -> tuple[str, str, str, str]:
    return (article.lang, article.headline, article.summary, article.body)


def analyse(
    texts: list[tuple[str, str, str, str]], vectors: bool = False
) -> list[tuple[Analysed] | tuple[Analysed, tuple[str, str, str, str] | None]]:
    """Each story's fields analysed (``forms_text``) in its edition's analyzer language,
    from (edition, headline, summary, body), with ``vectors`` PostgreSQL's vectors of them
    too (``khabar.lib.tsvector``); pure, so it runs in another process."""
    analysed: list[tuple[Analysed] | tuple[Analysed, tuple[str, str, str, str] | None]] = []
    for lang, *values in texts:
        language = analysis_lang(lang)
        forms = {
            name: forms_text(value, lang=language)
            for name, value in zip(FIELDS, values, strict=True)
        }
        if not vectors:
            analysed.append(((language, forms),))
            continue
        stems = tuple(forms[name][1] for name in FIELDS)
        exact = tuple(forms[name][0] for name in FIELDS)
        analysed.append(((language, forms), literal_vectors(stems, exact)))  # type: ignore[arg-type]
    return analysed


#: How long before a rebuild (or its catch-up) starts a change must have read its clock to
#: be left out of the catch-up: longer than any write takes from its clock to its commit.
CATCH_UP_MARGIN = datetime.timedelta(minutes=1)


def catch_up(since: datetime.datetime, table: str, *, deleted: bool = True) -> None:
    """Bring the new index (``table``, its documents table) up to date with the stories
    changed since ``since``: those readers may see now are written again where it holds
    them otherwise or not at all, the others dropped, and (with ``deleted``) so are the
    stories it holds that no longer exist, which takes a walk over the whole new index: a
    story deleted between a batch's read and its write, or by anything that sends no
    ``post_delete``. The changed stories' ids, then a batch of stories at a time, comparing
    before analysing: most stories changed in the margin were read after their change."""
    backend = get_backend()
    now = timezone.now()
    # Each kind of change through its own index, then put together: the three ORed and read
    # in id order walked every story in the table (0.9 s at a million, in the swap's
    # transaction). The stories changed since ``since`` are few: the ids fit in memory.
    kinds = (
        Q(updated_at__gte=since),
        Q(embargo_until__gte=since, embargo_until__lte=now),
        Q(published_at__gte=since, published_at__lte=now),
    )
    changed = sorted(
        set().union(
            *(
                Article.objects.filter(kind).order_by().values_list("pk", flat=True)
                for kind in kinds
            )
        )
    )
    for start in range(0, len(changed), REINDEX_BATCH):
        ids = changed[start : start + REINDEX_BATCH]
        live = list(
            documents_for(Article.objects.published(now).only(*INDEXED_FIELDS).filter(pk__in=ids))
        )
        stored = backend.stored_keys([doc.id for doc in live], table)
        backend.update_new(
            [doc for doc in live if stored.get(doc.id) != backend.document_key(doc)],
            sorted(set(ids) - {doc.id for doc in live}),
        )
    if not deleted:
        return
    after = 0
    while True:
        with backend.connection.cursor() as cursor:
            # NOT EXISTS, not NOT IN: PostgreSQL cannot make an anti-join of a NOT IN (a
            # NULL in the list would change its answer) and checked each indexed story
            # against the whole story table, which at a million stories did not end in
            # minutes; both databases read NOT EXISTS as a lookup of each id.
            cursor.execute(
                f"SELECT d.id FROM {table} AS d WHERE d.id > %s AND NOT EXISTS "
                f"(SELECT 1 FROM {Article._meta.db_table} AS a WHERE a.id = d.id) "
                "ORDER BY d.id LIMIT %s",
                [after, REINDEX_BATCH],
            )
            gone = [row[0] for row in cursor.fetchall()]
        if not gone:
            break
        after = gone[-1]
        backend.update_new([], gone)
