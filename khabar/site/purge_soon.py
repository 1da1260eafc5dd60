"""Purges that may wait a few seconds: a new story in other stories' "Related stories" boxes.

Every story page shows up to five stories of its section or tags (``rs:<section>``,
``rt:<tag>``), so publishing a story changed every cached story page of its section and tags:
each publish purged them all, and each was rendered again by the next reader. On a breaking
day, with an editor publishing every few seconds in one section, the pages readers crowd on
were purged every few seconds for a box at their foot (the soak: about 12 renders a publish
on 40 stories; an agency's section has thousands of cached pages).

So a **new** story reaches other pages' related boxes within ``DELAY`` seconds: its
publication purges its own page, its section, tags, home and feeds at once, and queues the
related-box tags, which the worker purges when they are due (``purge_due``, every second).
A tag already waiting keeps its time, so each box is purged at most once per ``DELAY``
however often the desk publishes. What makes a shown box **wrong** is purged at once as
before: a correction, a withdrawal, a restored or changed story (``khabar.articles.actions``).

The queue is the page store's (``Store.defer``/``take_due``: Redis when ``REDIS_URL`` is set,
else its SQLite file), so every process and the worker share it.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from django.conf import settings

from khabar.site import pagecache

#: Seconds a new story may take to appear in other stories' related boxes.
DELAY = 30.0
#: The tags of the related boxes (``pagecache.related_keys``).
RELATED_PREFIXES = ("rs:", "rt:")


def split_related(keys: Iterable[str]) -> tuple[list[str], list[str]]:
    """``keys`` as (to purge now, the related boxes' that may wait)."""
    now: list[str] = []
    later: list[str] = []
    for key in keys:
        (later if key.startswith(RELATED_PREFIXES) else now).append(key)
    return now, later


def purge_new_story(keys: Iterable[str]) -> None:
    """Purge what a newly published story changes: at once, except the related boxes."""
    now, later = split_related(keys)
    pagecache.purge_keys(now)
    purge_soon(later)


def purge_soon(keys: Iterable[str], *, at: float | None = None) -> None:
    """Queue ``keys`` to be purged ``DELAY`` seconds from ``at`` (now), unless queued already."""
    keys = list(dict.fromkeys(keys))
    if not keys or not (settings.KHABAR_PAGECACHE or settings.KHABAR_FRAGMENT_CACHE):
        return
    due = (time.time() if at is None else at) + DELAY
    try:
        pagecache.store().defer(keys, due)
    except Exception:
        # No queue to keep them in: purge now rather than leave the boxes stale.
        pagecache.purge_keys(keys)


def purge_due(*, now: float | None = None) -> int:
    """Purge the queued keys whose time has come (the worker's ``purge-soon``); how many."""
    if not (settings.KHABAR_PAGECACHE or settings.KHABAR_FRAGMENT_CACHE):
        return 0
    keys = pagecache.store().take_due(time.time() if now is None else now)
    if keys:
        pagecache.purge_keys(keys)
    return len(keys)
