"""Purging pages from the caching proxies in front of the app (nginx with ngx_cache_purge).

nginx answers ``GET /_purge<path>`` by dropping ``<path>`` from its cache (see
deploy/nginx.conf.template). Its cache key leaves out the host and decodes the path, so one
purge drops the page whatever ``Host`` readers used and however they spelt the address.

With several nodes (``KHABAR_PROXY_PURGE_URLS`` lists each node's nginx) every node is asked.
A node that could not be reached keeps its stale copy, so what it missed goes to a Redis list
that the worker retries (``retry_failed_purges``) until the node takes it or the copy has
expired anyway (the app's TTL). A node that was down needs no retry: its cache is emptied
when it starts again (ops/multinode.py).
"""

from __future__ import annotations

import http.client
import json
import logging
import time
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

log = logging.getLogger(__name__)

#: The Redis list of purges a proxy missed: JSON ``{"base", "paths", "at"}`` items.
RETRY_KEY = "khabar:purge-retry"
#: Items the worker takes per run.
RETRY_BATCH = 50

_redis: Any = None


def purge_paths(paths: Iterable[str]) -> None:
    """Ask each configured proxy to drop its copy of these paths.

    One kept-alive connection per proxy carries all the paths. What a proxy did not take
    (it could not be reached, or refused) is logged and queued for the worker to retry.
    """
    paths = list(paths)
    if not paths:
        return
    for base in settings.KHABAR_PROXY_PURGE_URLS:
        missed = purge_at(base, paths)
        if missed:
            _queue(base, missed, time.time())


def purge_at(base: str, paths: list[str]) -> list[str]:
    """Purge ``paths`` at one proxy; returns those it did not take.

    After a failed connection the rest are not tried (each would wait for the same timeout):
    they are all missed.
    """
    parts = urlsplit(base)
    conn: http.client.HTTPConnection | None = None
    try:
        for done, path in enumerate(paths):
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(
                        parts.hostname or "127.0.0.1", parts.port or 80, timeout=2
                    )
                conn.request("GET", "/_purge" + path, headers={"Host": parts.netloc})
                response = conn.getresponse()
                response.read()
                if response.will_close:
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException) as error:
                log.warning("proxy purge of %s at %s failed: %s", path, base, error)
                return paths[done:]
            # 200: dropped; 404: it held no copy. Anything else (403: not allowed) is a miss.
            if response.status not in (200, 404):
                log.warning("proxy purge of %s at %s: %s", path, base, response.status)
                return paths[done:]
        return []
    finally:
        if conn is not None:
            conn.close()


def _client() -> Any:
    global _redis
    if _redis is None:
        import redis

        _redis = redis.Redis.from_url(
            settings.REDIS_URL, socket_timeout=0.5, socket_connect_timeout=0.5
        )
    return _redis


def _queue(base: str, paths: list[str], at: float) -> None:
    if not settings.REDIS_URL:
        return  # one process, no worker to retry: the copies expire with the TTL
    try:
        _client().rpush(RETRY_KEY, json.dumps({"base": base, "paths": paths, "at": at}))
    except Exception as error:
        log.warning("purges missed at %s could not be queued for a retry: %s", base, error)


def retry_failed_purges() -> int:
    """Try the queued purges once more (the worker's ``retry-purges``); returns how many
    were delivered. One still missed goes back on the list with its first time; one older
    than the pages' TTL is dropped, since the copy it was for has expired by now."""
    from khabar.site.pagecache import TTL

    if not settings.REDIS_URL:
        return 0
    try:
        items = _client().lpop(RETRY_KEY, RETRY_BATCH) or []
    except Exception:
        return 0
    delivered = 0
    now = time.time()
    for raw in items:
        item = json.loads(raw)
        if now - item["at"] > TTL:
            continue
        missed = purge_at(item["base"], item["paths"])
        delivered += len(item["paths"]) - len(missed)
        if missed:
            _queue(item["base"], missed, item["at"])
    return delivered
