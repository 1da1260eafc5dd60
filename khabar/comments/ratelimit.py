"""Cache-backed rate limits, and the keyed hash of an address that comments keep.

The client's address itself is ``khabar.site.clientip.client_ip``.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from django.conf import settings
from django.core.cache import cache

from khabar.comments import conf
from khabar.comments.errors import CommentError


def hash_ip(ip: str) -> str:
    """A keyed hash of the address: groups abuse without storing the address."""
    if not ip:
        return ""
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"comment-ip:{ip}".encode(), hashlib.sha256).hexdigest()[:32]


def hit(scope: str, key: str, rate: tuple[int, int], *, now: float | None = None) -> bool:
    """Count one event for ``key``; False when it goes over ``rate`` (count, seconds).

    A fixed window per ``seconds``; ``cache.incr`` is atomic in Redis and in LocMem.
    Raises CommentError("unavailable") when the cache cannot count: posting fails closed.
    """
    if not conf.RATELIMIT:
        return True
    limit, seconds = rate
    window = int((time.time() if now is None else now) // seconds)
    # The key may be anything a reader sent (a thread key); hash it so every cache backend
    # accepts it and no two keys collide by truncation.
    digest = hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=12).hexdigest()
    cache_key = f"khabar:rl:{scope}:{digest}:{window}"
    try:
        if cache.add(cache_key, 1, timeout=seconds + 1):
            return 1 <= limit
        try:
            count = cache.incr(cache_key)
        except ValueError:  # expired between add and incr
            cache.set(cache_key, 1, timeout=seconds + 1)
            count = 1
    except Exception as error:  # Redis stopped or unreachable: no count, no post
        raise CommentError("unavailable") from error
    return count <= limit
