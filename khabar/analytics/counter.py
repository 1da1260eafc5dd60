"""Read counters behind one small interface: Redis when REDIS_URL is set, else batched rows.

``RedisCounter`` keeps one sorted set per edition and per section per hour (story → reads),
expiring after the window, and a list is one ZUNION over the window's hours.
``BatchedCounter`` adds reads up in the process and writes them to ``HourlyReads`` at most
every ``FLUSH_SECONDS`` or ``FLUSH_HITS``: one upsert per story-hour, never a write per view.
Both remember who has already been counted under a hashed key with a time-to-live.
"""

from __future__ import annotations

import atexit
import datetime
import logging
import threading
import time
from collections import Counter as Tally
from dataclasses import dataclass
from typing import Any, Protocol

from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache
from django.db import DatabaseError, connection, transaction
from django.db.models import Sum
from django.utils import timezone

from khabar.analytics import conf
from khabar.analytics.models import HourlyReads
from khabar.articles.models import Article

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Story:
    """What a read is counted under: the story, its edition and its section."""

    pk: int
    lang: str
    section_id: int


class Backend(Protocol):
    def first_read(self, key: str) -> bool: ...
    def count(self, story: Story, at: datetime.datetime) -> None: ...
    def flush(self) -> int: ...
    def top(self, *, lang: str | None, section_id: int | None, limit: int) -> list[Article]: ...


def hour_of(at: datetime.datetime) -> datetime.datetime:
    return at.astimezone(datetime.UTC).replace(minute=0, second=0, microsecond=0)


def window_start(now: datetime.datetime | None = None) -> datetime.datetime:
    """The first hour a list counts: the current hour and the ``HOURS - 1`` before it."""
    return hour_of(now or timezone.now()) - datetime.timedelta(hours=conf.HOURS - 1)


def _repeat_seconds() -> int:
    return conf.REPEAT_HOURS * 3600


class BatchedCounter:
    """Reads added up in process memory and upserted in one transaction now and then."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: Tally[tuple[int, datetime.datetime]] = Tally()
        self._waiting = 0
        self._since = time.monotonic()
        # Each process remembers its own readers: no shared store without Redis.
        self._seen = LocMemCache("khabar-analytics-seen", {"OPTIONS": {"MAX_ENTRIES": 100_000}})
        self._seen.clear()  # LocMemCache shares its storage by name: start afresh

    def first_read(self, key: str) -> bool:
        return bool(self._seen.add(key, 1, timeout=_repeat_seconds()))

    def count(self, story: Story, at: datetime.datetime) -> None:
        with self._lock:
            self._pending[(story.pk, hour_of(at))] += 1
            self._waiting += 1
            due = (
                self._waiting >= conf.FLUSH_HITS
                or time.monotonic() - self._since >= conf.FLUSH_SECONDS
            )
        if due:
            self.flush()

    def pending(self) -> int:
        return self._waiting

    def flush(self) -> int:
        """Write the waiting reads; returns how many rows were upserted."""
        with self._lock:
            batch, self._pending = self._pending, Tally()
            self._waiting = 0
            self._since = time.monotonic()
        if not batch:
            return 0
        table = HourlyReads._meta.db_table
        adapt = connection.ops.adapt_datetimefield_value
        try:
            with transaction.atomic():
                # A story deleted since it was read has nowhere to put its reads.
                alive = set(
                    Article.objects.filter(pk__in={pk for pk, _h in batch}).values_list(
                        "pk", flat=True
                    )
                )
                rows = [(pk, adapt(h), n) for (pk, h), n in batch.items() if pk in alive]
                with connection.cursor() as cursor:
                    cursor.executemany(
                        f"INSERT INTO {table} (article_id, hour, count) VALUES (%s, %s, %s)"
                        f" ON CONFLICT (article_id, hour)"
                        f" DO UPDATE SET count = {table}.count + excluded.count",
                        rows,
                    )
        except DatabaseError:
            # A busy database is not worth a reader's error: the reads wait for next time.
            log.warning("most read: could not write %d counters, keeping them", len(batch))
            with self._lock:
                self._pending.update(batch)
                self._waiting += sum(batch.values())
            return 0
        return len(rows)

    def top(self, *, lang: str | None, section_id: int | None, limit: int) -> list[Article]:
        # From the window's read counts (a few rows per story read in the last hours, by
        # the hour index), never from the archive's live stories: the home page's cost must
        # not grow with the archive. One statement: the most read ids, then their stories.
        start = window_start()
        rows = HourlyReads.objects.filter(hour__gte=start)
        if section_id is not None:
            rows = rows.filter(article__section_id=section_id)
        if lang is not None:
            rows = rows.filter(article__lang=lang)
        # Twice as many as shown: a story withdrawn since it was read is left out below.
        most = (
            rows.values("article_id")
            .annotate(reads=Sum("count"))
            .order_by("-reads")
            .values("article_id")[: limit * 2]
        )
        return list(
            Article.objects.published()
            .filter(pk__in=most, hourly_reads__hour__gte=start)
            .annotate(reads=Sum("hourly_reads__count"))
            .select_related("section")
            .defer("body")
            .order_by("-reads", "-published_at", "-pk")[:limit]
        )


class RedisCounter:
    """Sorted sets per edition and per section per hour, in the shared Redis."""

    def __init__(self, url: str, prefix: str = "khabar:mr") -> None:
        import redis

        self.redis = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self.prefix = prefix

    def _key(self, scope: str, hour: datetime.datetime) -> str:
        return f"{self.prefix}:{scope}:{int(hour.timestamp()) // 3600}"

    def first_read(self, key: str) -> bool:
        try:
            return bool(
                self.redis.set(f"{self.prefix}:seen:{key}", 1, nx=True, ex=_repeat_seconds())
            )
        except Exception:  # Redis down: the read is not counted, the reader not bothered
            return False

    def count(self, story: Story, at: datetime.datetime) -> None:
        hour = hour_of(at)
        keep = (conf.HOURS + 1) * 3600
        try:
            pipe = self.redis.pipeline(transaction=False)
            for scope in (f"e:{story.lang}", f"s:{story.section_id}"):
                pipe.zincrby(self._key(scope, hour), 1, story.pk)
                pipe.expire(self._key(scope, hour), keep)
            pipe.execute()
        except Exception:
            log.warning("most read: Redis did not take a read of story %s", story.pk)

    def flush(self) -> int:
        return 0  # every read is already in Redis

    def top(self, *, lang: str | None, section_id: int | None, limit: int) -> list[Article]:
        scope = f"s:{section_id}" if section_id is not None else f"e:{lang}"
        start = window_start()
        keys = [self._key(scope, start + datetime.timedelta(hours=h)) for h in range(conf.HOURS)]
        try:
            # Twice as many as shown: a story withdrawn since it was read is left out below.
            ranked: list[tuple[bytes, float]] = self.redis.execute_command(
                "ZUNION", len(keys), *keys, "WITHSCORES"
            )
        except Exception:
            return []
        pairs = sorted(
            ((int(member), int(float(score))) for member, score in _pairs(ranked)),
            key=lambda pair: -pair[1],
        )[: limit * 2]
        return _ranked_stories(pairs, limit)

    def clear(self) -> None:
        for key in self.redis.scan_iter(f"{self.prefix}:*"):
            self.redis.delete(key)


def _ranked_stories(pairs: list[tuple[int, int]], limit: int) -> list[Article]:
    """The live stories among (story id, reads), most read first, newer first among equals."""
    reads = dict(pairs)
    found = Article.objects.published().select_related("section").defer("body").in_bulk(reads)
    stories = [found[pk] for pk, _n in pairs if pk in found]
    for story in stories:
        story.reads = reads[story.pk]
    stories.sort(key=lambda s: (-s.reads, -s.published_at.timestamp(), -s.pk))
    return stories[:limit]


def _pairs(flat: Any) -> list[tuple[Any, Any]]:
    # redis-py answers WITHSCORES as pairs under RESP3 and as a flat list under RESP2.
    if flat and isinstance(flat[0], list | tuple):
        return [tuple(p) for p in flat]
    return list(zip(flat[::2], flat[1::2], strict=True))


_backend: Backend | None = None
_backend_lock = threading.Lock()


def backend() -> Backend:
    """The process's counter (created on first use)."""
    global _backend
    if _backend is None:
        with _backend_lock:
            if _backend is None:
                if settings.REDIS_URL:
                    _backend = RedisCounter(settings.REDIS_URL)
                else:
                    batched = BatchedCounter()
                    atexit.register(_flush_quietly, batched)
                    _backend = batched
    return _backend


def reset_backend(new: Backend | None = None) -> None:
    """Forget the process's counter (tests), or put another one in its place."""
    global _backend
    _backend = new


def _flush_quietly(counter: BatchedCounter) -> None:
    try:
        counter.flush()
    except Exception:
        log.warning("most read: reads waiting at exit were lost")


STORY_TTL = 300


def story_for_hit(pk: int) -> Story | None:
    """The live story a read is counted under, remembered for a few minutes."""
    key = f"analytics:story:{pk}"
    found = cache.get(key)
    if found is None:
        row = Article.objects.published().filter(pk=pk).values_list("lang", "section_id").first()
        found = (row[0], row[1]) if row else ()
        cache.set(key, found, STORY_TTL)
    return Story(pk, *found) if found else None


def record_read(story: Story, reader: str, *, at: datetime.datetime | None = None) -> bool:
    """Count one read of the story unless this reader was counted lately; True if counted."""
    counter = backend()
    if not counter.first_read(reader):
        return False
    counter.count(story, at or timezone.now())
    return True


def most_read(*, lang: str | None = None, section_id: int | None = None) -> list[Article]:
    """The ``SIZE`` most read live stories of the window, with ``.reads``, most read first."""
    return backend().top(lang=lang, section_id=section_id, limit=conf.SIZE)


def prune(now: datetime.datetime | None = None) -> int:
    """Delete hourly counters older than ``KEEP_DAYS``; returns how many went."""
    cutoff = hour_of(now or timezone.now()) - datetime.timedelta(days=conf.KEEP_DAYS)
    deleted, _kinds = HourlyReads.objects.filter(hour__lt=cutoff).delete()
    return int(deleted)
