"""Story hooks: how a feature app hears of a story's change without the core importing it.

``khabar.articles.actions`` calls ``story_changed(article, event)`` inside the transaction of
the change, once the new state is written; apps register their callbacks with
``register_story_hook`` (in their ``AppConfig.ready``). A callback runs in that transaction,
so whatever it writes commits or rolls back with the change itself (distribution's outbox
relies on this), and an exception it raises undoes the change.

``event`` is one of ``EVENTS``: "published", "corrected", "withdrawn", "restored",
"embargo_lifted".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

EVENTS = ("published", "corrected", "withdrawn", "restored", "embargo_lifted")

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
