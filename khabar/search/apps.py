import logging
from typing import Any

from django.apps import AppConfig
from django.db import DatabaseError, transaction
from django.db.models.signals import post_delete, post_migrate
from django.utils.translation import gettext_lazy as _


class SearchConfig(AppConfig):
    name = "khabar.search"
    verbose_name = _("Search")

    def ready(self) -> None:
        # Stories know nothing of search: they tell the core's hooks, which search joins here.
        from khabar.search.desk import desk_search
        from khabar.search.indexing import index_article, index_stored_stories
        from khabar.site import hooks

        hooks.register_story_saved(index_article)
        hooks.register_story_search(desk_search)
        hooks.register_stories_stored(index_stored_stories)
        post_migrate.connect(empty_index_without_stories, sender=self)
        post_delete.connect(forget_deleted_story, sender="articles.Article")


logger = logging.getLogger(__name__)


def forget_deleted_story(sender: type, instance: Any, using: str, **_kwargs: object) -> None:
    """A deleted story leaves the index in the transaction that deletes it (it stayed there,
    counted by every search, until a reindex), and leaves the new index of a rebuild that is
    running too. A failed index write is logged, not the deletion's failure: ``khabar
    reindex`` repairs the index."""
    from khabar.search.backends import get_backend

    try:
        with transaction.atomic(using=using):
            get_backend(using).forget(instance.pk)
    except DatabaseError:
        logger.exception("search: could not remove deleted story %s", instance.pk)


def empty_index_without_stories(using: str = "default", **_kwargs: object) -> None:
    """After ``flush`` (which ends with the post-migrate signal), empty the search index.

    ``flush`` empties the tables Django manages, and the index's tables are khabar's own, so
    the index kept answering with stories that no longer exist (a search after a flush
    counted them). When no story is left, no entry can be right. After a plain ``migrate``
    the stories are there and this does nothing.
    """
    from khabar.articles.models import Article
    from khabar.search.backends import get_backend
    from khabar.search.backends.base import DOCUMENT_TABLE

    backend = get_backend(using)
    if DOCUMENT_TABLE not in backend.connection.introspection.table_names():
        return
    if not Article.objects.using(using).exists():
        backend.reset()
