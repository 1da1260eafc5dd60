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

The queue lives where the page store does (Redis when ``REDIS_URL`` is set, else the page
store's SQLite file), so every process and the worker share it.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.conf import settings

from khabar.lib.sqlite.writers import WriterLock
from khabar.site import pagecache

#: Seconds a new story may take to appear in other stories' related boxes.
DELAY = 30.0
#: The tags of the related boxes (``pagecache.related_keys``).
RELATED_PREFIXES = ("rs:", "rt:")
REDIS_KEY = "khabar:purge-soon"


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
        _queue().add(keys, due)
    except Exception:
        # No queue to keep them in: purge now rather than leave the boxes stale.
        pagecache.purge_keys(keys)


def purge_due(*, now: float | None = None) -> int:
    """Purge the queued keys whose time has come (the worker's ``purge-soon``); how many."""
    if not (settings.KHABAR_PAGECACHE or settings.KHABAR_FRAGMENT_CACHE):
        return 0
    keys = _queue().take(time.time() if now is None else now)
    if keys:
        pagecache.purge_keys(keys)
    return len(keys)


class _SqliteQueue:
    def __init__(self, path: Path):
        self.path = path
        self._local = threading.local()
        self._writers = WriterLock.for_database(str(path))

    def _db(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(
                "CREATE TABLE IF NOT EXISTS purge_soon (tag TEXT PRIMARY KEY, due REAL)"
                " WITHOUT ROWID"
            )
            self._local.db = db
        return db

    def add(self, keys: list[str], due: float) -> None:
        with self._writers:
            self._db().executemany(
                "INSERT OR IGNORE INTO purge_soon (tag, due) VALUES (?, ?)",
                [(key, due) for key in keys],
            )

    def take(self, now: float) -> list[str]:
        db = self._db()
        if db.execute("SELECT 1 FROM purge_soon WHERE due <= ? LIMIT 1", (now,)).fetchone() is None:
            return []  # the worker's usual tick: one read, no write lock
        with self._writers:
            db.execute("BEGIN IMMEDIATE")
            try:
                keys = [
                    row[0]
                    for row in db.execute("SELECT tag FROM purge_soon WHERE due <= ?", (now,))
                ]
                db.execute("DELETE FROM purge_soon WHERE due <= ?", (now,))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return keys


class _RedisQueue:
    def __init__(self, url: str):
        import redis

        self.redis = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)

    def add(self, keys: list[str], due: float) -> None:
        self.redis.zadd(REDIS_KEY, dict.fromkeys(keys, due), nx=True)

    def take(self, now: float) -> list[str]:
        pipe = self.redis.pipeline(transaction=True)
        pipe.zrangebyscore(REDIS_KEY, "-inf", now)
        pipe.zremrangebyscore(REDIS_KEY, "-inf", now)
        found, _removed = pipe.execute()
        return [key.decode() for key in found]


_queues: dict[str, Any] = {}
_lock = threading.Lock()


def _queue() -> Any:
    where = settings.REDIS_URL or settings.KHABAR_PAGECACHE_PATH
    found = _queues.get(where)
    if found is None:
        with _lock:
            found = _queues.get(where)
            if found is None:
                if settings.REDIS_URL:
                    found = _RedisQueue(settings.REDIS_URL)
                else:
                    found = _SqliteQueue(Path(settings.KHABAR_PAGECACHE_PATH))
                _queues[where] = found
    return found
