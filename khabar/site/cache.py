"""The cache backends: a Redis cache that turns an unreachable server into cache misses, and
the process-local cache of rendered fragments (``ProcessCache``).

Pages, fragments and counts are only an optimisation: with Redis stopped the site serves
them from the database. Counting operations (``add``, ``incr``, ``decr``) still raise, so a
rate limit built on them can fail closed (see khabar/comments/ratelimit.py).
"""

from __future__ import annotations

import copy
import logging
import pickle
from collections import OrderedDict
from collections.abc import Callable
from threading import Lock
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from django.utils.safestring import SafeString
from redis.exceptions import RedisError

from khabar.site.splice import Kept

log = logging.getLogger(__name__)


class ResilientRedisCache(RedisCache):
    def _missed(self, operation: str, error: Exception) -> None:
        log.warning("cache %s failed, carrying on without it: %s", operation, error)

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        try:
            return super().get(key, default, version)
        except RedisError as error:
            self._missed("get", error)
            return default

    def get_many(self, keys: Any, version: int | None = None) -> dict[Any, Any]:
        try:
            return super().get_many(keys, version)
        except RedisError as error:
            self._missed("get_many", error)
            return {}

    def has_key(self, key: Any, version: int | None = None) -> bool:
        try:
            return super().has_key(key, version)
        except RedisError as error:
            self._missed("has_key", error)
            return False

    def set(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> None:
        try:
            super().set(key, value, timeout, version)
        except RedisError as error:
            self._missed("set", error)

    def set_many(
        self, data: dict[Any, Any], timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> list[Any]:
        try:
            return super().set_many(data, timeout, version)
        except RedisError as error:
            self._missed("set_many", error)
            return list(data)

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        try:
            return super().touch(key, timeout, version)
        except RedisError as error:
            self._missed("touch", error)
            return False

    def delete(self, key: Any, version: int | None = None) -> bool:
        try:
            return super().delete(key, version)
        except RedisError as error:
            self._missed("delete", error)
            return False

    def delete_many(self, keys: Any, version: int | None = None) -> None:
        try:
            super().delete_many(keys, version)
        except RedisError as error:
            self._missed("delete_many", error)

    def get_or_set(
        self,
        key: Any,
        default: Any,
        timeout: Any = DEFAULT_TIMEOUT,
        version: int | None = None,
    ) -> Any:
        try:
            return super().get_or_set(key, default, timeout, version)
        except RedisError as error:
            self._missed("get_or_set", error)
            return default() if callable(default) else default


class Shared:
    """A value that ``ProcessCache`` keeps as it is, not pickled: every reader gets the same
    object, so it must not change it (``copy`` gives each its own shallow copy, as a model
    instance needs: Django's ``__getstate__`` copies its state and related-object cache)."""

    __slots__ = ("value",)

    def __init__(self, value: Any):
        self.value = value

    def copy(self) -> Any:
        return copy.copy(self.value)


#: What ``ProcessCache`` keeps by reference: strings cannot change, a rendered fragment
#: (``Kept``) only gains its bytes once, and a ``Shared`` value is promised not to.
_BY_REFERENCE = (str, SafeString, Shared, Kept)


class ProcessCache(LocMemCache):
    """Django's local-memory cache (this process only, least recently used culled) that
    keeps strings and ``Shared`` values as they are instead of pickling them.

    Rendered fragments are read on every story page: unpickling one (decoding 50 KB of
    UTF-8 into a new string) cost more than the rest of serving it. Other values are pickled
    as LocMemCache does, so no caller ever shares a mutable object by accident. Keys are the
    callers' own (ASCII, short): not checked against memcached's rules on every call.
    """

    # LocMemCache's own (the stubs leave them out).
    _cache: OrderedDict[str, Any]
    _lock: Lock
    _has_expired: Callable[[str], bool]
    _set: Callable[..., None]
    _delete: Callable[[str], bool]

    def make_and_validate_key(self, key: Any, version: int | None = None) -> str:
        return str(self.make_key(key, version=version))

    def add(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> bool:
        if type(value) not in _BY_REFERENCE:
            return bool(super().add(key, value, timeout, version))
        key = self.make_and_validate_key(key, version=version)
        with self._lock:
            if self._has_expired(key):
                self._set(key, value, timeout)
                return True
            return False

    def set(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> None:
        if type(value) not in _BY_REFERENCE:
            super().set(key, value, timeout, version)
            return
        key = self.make_and_validate_key(key, version=version)
        with self._lock:
            self._set(key, value, timeout)

    def get(self, key: Any, default: Any = None, version: Any = None) -> Any:
        key = self.make_and_validate_key(key, version=version)
        with self._lock:
            if self._has_expired(key):
                self._delete(key)
                return default
            value = self._cache[key]
            self._cache.move_to_end(key, last=False)
        return value if type(value) in _BY_REFERENCE else pickle.loads(value)

    def incr(self, key: Any, delta: int = 1, version: Any = None) -> int:
        made = self.make_and_validate_key(key, version=version)
        with self._lock:
            if not self._has_expired(made) and type(self._cache.get(made)) in _BY_REFERENCE:
                raise TypeError(f"the cached value of {key!r} is not a number")
        return int(super().incr(key, delta, version))
