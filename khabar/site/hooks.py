"""Hooks: how a feature app takes part in a lower one's work without being imported by it.

``khabar.articles.actions`` calls ``story_changed(article, event)`` inside the transaction of
the change, once the new state is written; apps register their callbacks with
``register_story_hook`` (in their ``AppConfig.ready``). A callback runs in that transaction,
so whatever it writes commits or rolls back with the change itself (distribution's outbox
relies on this), and an exception it raises undoes the change.

``event`` is one of ``EVENTS``: "published", "corrected", "withdrawn", "restored",
"embargo_lifted", and "live_updated" (``khabar.live.actions``: an update of a live story
was posted or corrected; the story's own version is unchanged).

The other hooks follow the same idea, each registered in the higher app's ``ready``:
``register_story_saved`` (re-indexing a story after any write commits),
``register_story_search`` (the desk's story search), ``register_story_list`` (comments put
their counts on story lists), ``register_stories_stored`` (the search app indexes an archive
import's batch in its transaction) and ``register_demo`` (photos add their demo content after
the demo stories). ``tests/test_layers.py`` keeps the lower apps from importing the higher
ones instead; with no hook registered (an app left out of ``INSTALLED_APPS``) a story change
simply tells nobody.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

EVENTS = ("published", "corrected", "withdrawn", "restored", "embargo_lifted", "live_updated")

StoryHook = Callable[[Any, str], None]

_hooks: list[StoryHook] = []


def register_story_hook(fn: StoryHook) -> StoryHook:
    """Call ``fn(article, event)`` on every story change; registering twice is a no-op."""
    if fn not in _hooks:
        _hooks.append(fn)
    return fn


def unregister_story_hook(fn: StoryHook) -> None:
    if fn in _hooks:
        _hooks.remove(fn)


def story_changed(article: Any, event: str) -> None:
    """Tell every registered hook that ``article`` went through ``event`` (in the caller's
    transaction)."""
    if event not in EVENTS:
        raise ValueError(f"unknown story event {event!r}; expected one of {', '.join(EVENTS)}")
    for fn in list(_hooks):
        fn(article, event)


# --- After a story's change commits ------------------------------------------------------

#: ``fn(article_id)`` after any write to a story commits (search re-indexes it).
StorySavedHook = Callable[[int], None]

_saved_hooks: list[StorySavedHook] = []


def register_story_saved(fn: StorySavedHook) -> StorySavedHook:
    """Call ``fn(article_id)`` once every write to a story has committed; twice is a no-op."""
    if fn not in _saved_hooks:
        _saved_hooks.append(fn)
    return fn


def story_saved(article_id: int) -> None:
    """Tell every registered hook that the story ``article_id`` was written (after commit)."""
    for fn in list(_saved_hooks):
        fn(article_id)


# --- The desk's story search --------------------------------------------------------------

#: ``fn(queryset, term) -> (queryset, may_have_duplicates)``, as ``ModelAdmin`` expects.
StorySearch = Callable[[Any, str], tuple[Any, bool]]

_story_search: list[StorySearch] = []


def register_story_search(fn: StorySearch) -> StorySearch:
    """Let ``fn`` answer the desk's story search (the search app registers its backend)."""
    _story_search[:] = [fn]
    return fn


def story_search() -> StorySearch | None:
    """The desk's story search: the registered one, else None (the desk then matches text
    as typed)."""
    return _story_search[0] if _story_search else None


# --- Demo content -------------------------------------------------------------------------

#: ``fn() -> int`` adds an app's demo content (idempotently) and says how many it made.
DemoLoader = Callable[[], int]

_demo_loaders: dict[str, DemoLoader] = {}


def register_demo(name: str, fn: DemoLoader) -> DemoLoader:
    """Have ``khabar load_demo`` call ``fn`` after the demo stories, reported as ``name``."""
    _demo_loaders[name] = fn
    return fn


def demo_loaders() -> dict[str, DemoLoader]:
    """The registered demo loaders, in the order their apps were set up."""
    return dict(_demo_loaders)


# --- What a story list shows from other apps ------------------------------------------------

#: ``fn(articles)`` sets what its app shows beside each story of a list (comments set
#: ``comment_count``), in one query for the whole list.
StoryListHook = Callable[[Sequence[Any]], None]

_list_hooks: list[StoryListHook] = []


def register_story_list(fn: StoryListHook) -> StoryListHook:
    """Call ``fn(articles)`` on every story list a reader page shows; twice is a no-op."""
    if fn not in _list_hooks:
        _list_hooks.append(fn)
    return fn


def story_list(articles: Sequence[Any]) -> None:
    """Let every registered app attach what it shows beside these stories."""
    if articles:
        for fn in list(_list_hooks):
            fn(articles)


# --- Live stories stored in bulk ------------------------------------------------------------

#: ``fn(articles)`` in the transaction that stored these live stories in bulk (an archive
#: import); whatever it writes commits with them, and an exception undoes the batch.
StoriesStoredHook = Callable[[Sequence[Any]], None]


_stored_hooks: list[StoriesStoredHook] = []


def register_stories_stored(fn: StoriesStoredHook) -> StoriesStoredHook:
    """Call ``fn(articles)`` in the transaction of every batch stored in bulk; twice is a
    no-op."""
    if fn not in _stored_hooks:
        _stored_hooks.append(fn)
    return fn


def stories_stored(articles: Sequence[Any]) -> None:
    """Tell every registered hook of a batch of stored live stories (in its transaction)."""
    for fn in list(_stored_hooks):
        fn(articles)
