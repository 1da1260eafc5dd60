"""Reads from a PostgreSQL streaming replica, writes to the primary.

With ``DATABASE_REPLICA_URL`` set, settings declare a ``replica`` database beside
``default``. ``ReplicaRouter`` sends a read to the replica only inside a request that
``ReplicaMiddleware`` let read from it: a safe method (GET, HEAD, OPTIONS) from a client that
has not written in the last ``KHABAR_REPLICA_PIN_SECONDS`` and is not signed in. Everything
else reads and writes the primary:

- a request with an unsafe method;
- every request of a client for the pin window after one of its requests wrote (a signed
  ``khabar_primary`` cookie, which also keeps its pages out of shared caches:
  ``pagecache.is_reader_specific``): read-your-writes. Only a write pins: the read counter's
  POST of every story page, which writes nothing to the database, leaves readers' pages
  cacheable;
- a signed-in session (the desk: few requests, each about to write on what it read);
- a request carrying a reader's edit tokens (``X-Khabar-Tokens``) or credentials
  (``Authorization``): the comment widget fetches with credentials "omit" and a partner's
  program keeps no cookies, so neither ever sends the pin back, and the widget reloads the
  thread right after a post (with the new comment's token) to show it;
- a request's reads after it wrote, and reads inside a transaction (``atomic``);
- the worker, management commands and anything else outside a request;
- any request while the replica lags more than ``KHABAR_REPLICA_MAX_LAG`` seconds or does not
  answer (checked at most every ``KHABAR_REPLICA_CHECK_SECONDS`` per process, then retried);
- a request that starts after a cache purge the replica has not replayed yet: the purged
  page is rendered again at once and kept for long by the caches, so it must not be
  rendered from data older than the purge (a withdrawn story alive again).

A request whose replica connection fails half-way is answered again from the primary.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connections
from django.http import HttpRequest, HttpResponse

log = logging.getLogger(__name__)

DEFAULT = "default"
REPLICA = "replica"
PIN_COOKIE = "khabar_primary"
_PIN_SALT = "khabar.site.dbrouting.pin"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
#: Where the primary's WAL ends, for the purge fence: the insert position, which covers
#: every commit made so far. Not ``pg_current_wal_lsn()`` (the write position): with
#: ``synchronous_commit = off`` a commit returns, and its purge goes out, before the WAL
#: writer has written it, and a replica that had replayed everything written passed the
#: fence without the purged change (a withdrawn story read alive from it).
PRIMARY_POSITION = "SELECT pg_current_wal_insert_lsn()::text"
#: Request headers of a client that writes but never sends the pin cookie back.
WRITER_HEADERS = ("HTTP_X_KHABAR_TOKENS", "HTTP_AUTHORIZATION")


def replica_configured() -> bool:
    """Whether a ``replica`` database is declared (``DATABASE_REPLICA_URL``)."""
    return REPLICA in connections.settings


# --- one request's route -----------------------------------------------------------------------


@dataclass
class Route:
    """What one request may read from; set by ``ReplicaMiddleware`` for its length."""

    replica_allowed: bool
    wrote: bool = False
    replica_chosen: bool | None = None  # decided at the request's first read, then kept
    fence: int | None = None  # the purge generation the replica had replayed when chosen
    used_replica: bool = False
    failed_on_replica: bool = False


_route: ContextVar[Route | None] = ContextVar("khabar_db_route", default=None)


def replica_fence() -> int | None:
    """The purge generation (``pagecache.ANY_PURGE``) the replica had replayed when this
    request chose to read it; None when the request reads the primary or has not read yet
    (``pagecache`` shares nothing rendered from the replica under a later generation)."""
    route = _route.get()
    return route.fence if route is not None and route.replica_chosen else None


class ReplicaRouter:
    """``DATABASE_ROUTERS`` entry: reads to the replica when the request's route allows it.

    Without a replica it has no opinion, and it leaves alone objects of other databases
    (the search contract tests' own alias).
    """

    def _ours(self, hints: dict[str, Any]) -> bool:
        instance = hints.get("instance")
        alias = getattr(getattr(instance, "_state", None), "db", None)
        return replica_configured() and alias in (None, DEFAULT, REPLICA)

    def db_for_read(self, model: type, **hints: Any) -> str | None:
        if not self._ours(hints):
            return None
        route = _route.get()
        if route is None or not route.replica_allowed or route.wrote:
            return DEFAULT
        if connections[DEFAULT].in_atomic_block:
            return DEFAULT
        if route.replica_chosen is None:
            route.replica_chosen = replica.usable()
            route.fence = replica.fence if route.replica_chosen else None
        if not route.replica_chosen:
            return DEFAULT
        route.used_replica = True
        return REPLICA

    def db_for_write(self, model: type, **hints: Any) -> str | None:
        # Asked also when no write follows (a related object assigned to a new instance):
        # the request's writes are seen on the primary's connection (``_note_writes``).
        return DEFAULT if self._ours(hints) else None

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        # The replica is a copy of the primary: an object read from one may point at the other.
        aliases = {obj1._state.db, obj2._state.db}
        return True if aliases <= {DEFAULT, REPLICA} else None

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        # The replica replays the primary's migrations; it accepts no writes of its own.
        return False if db == REPLICA else None


# --- the replica's health, per process ---------------------------------------------------------


def _kind(reason: str) -> str:
    """A reason without its figures: "lags 7.2s" and "lags 9.8s" are the same news."""
    return re.sub(r"[0-9.]+", "", reason)


def _lsn(text: str) -> int:
    high, _, low = text.partition("/")
    return (int(high, 16) << 32) + int(low, 16)


class ReplicaHealth:
    """Whether this process may read from the replica now, checked every few seconds.

    ``usable()`` is asked once per request and answers from the last check unless it is
    older than ``KHABAR_REPLICA_CHECK_SECONDS``; one thread checks at a time, the others
    keep the last answer meanwhile.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.checked_at = float("-inf")
        self.ok = False
        self.lag: float | None = None
        self.reason = "not checked"
        self._fence: int | None = None  # the purge generation the replica has replayed
        # A newer generation and the primary's WAL position first seen with it: the replica
        # must replay that far (not the primary's ever newer position of each request).
        self._pending: tuple[int, int] | None = None
        # WAL the replica had received and not replayed, and when a check first saw it.
        self._behind: tuple[int, float] | None = None

    def usable(self) -> bool:
        if time.monotonic() - self.checked_at >= settings.KHABAR_REPLICA_CHECK_SECONDS:
            self.check()
        return self.ok and self._replayed_every_purge()

    def check(self) -> None:
        """Ask the replica how far behind it replays (and whether it answers at all)."""
        if not self._lock.acquire(blocking=False):
            return
        try:
            was_ok, was_reason = self.ok, self.reason
            self.ok, self.lag, self.reason = self._measure()
            self.checked_at = time.monotonic()
        finally:
            self._lock.release()
        # Said when it changes, not at every check of a replica that stays down.
        if not self.ok and (was_ok or _kind(self.reason) != _kind(was_reason)):
            log.warning("reads go to the primary: the replica %s", self.reason)
        elif self.ok and not was_ok:
            log.info("reads go to the replica again (lag %.1fs)", self.lag or 0.0)

    def _measure(self) -> tuple[bool, float | None, str]:
        try:
            with connections[REPLICA].cursor() as cursor:
                cursor.execute(
                    "SELECT pg_is_in_recovery(), EXISTS (SELECT 1 FROM pg_stat_wal_receiver),"
                    " pg_last_wal_receive_lsn()::text, pg_last_wal_replay_lsn()::text"
                )
                recovering, streaming, received, replayed = cursor.fetchone()
        except DatabaseError as error:
            close_replica()
            return False, None, f"does not answer ({type(error).__name__})"
        if not recovering:
            return False, None, "is not in recovery (promoted?): not a copy of the primary"
        if received is None or replayed is None:
            return False, None, "has not received anything yet"
        lag = self._replay_lag(_lsn(received), _lsn(replayed))
        if not streaming:
            return False, lag, "is not streaming from the primary"
        if lag > settings.KHABAR_REPLICA_MAX_LAG:
            return False, lag, f"lags {lag:.1f}s (more than {settings.KHABAR_REPLICA_MAX_LAG}s)"
        return True, lag, "ok"

    def _replay_lag(self, received: int, replayed: int) -> float:
        """How long the replica has held WAL it received and has not replayed yet.

        Not ``now() - pg_last_xact_replay_timestamp()``: that is the age of the last
        transaction replayed, so after a quiet minute the first new write makes a healthy
        replica look a minute behind while it replays it. Here the clock starts when a
        check first sees the replica hold unreplayed WAL, and stops when it has replayed as
        far as that check saw it receive (to within one check's interval).
        """
        now = time.monotonic()
        if replayed >= received:
            self._behind = None
            return 0.0
        if self._behind is None or replayed >= self._behind[0]:
            self._behind = (received, now)
        return now - self._behind[1]

    def _replayed_every_purge(self) -> bool:
        from khabar.site import pagecache

        generation = pagecache.store().generations([pagecache.ANY_PURGE])[0]
        if generation < 0:
            return False  # the page store cannot say: play safe
        if generation == self._fence:
            return True
        pending = self._pending
        if pending is not None and pending[0] == generation:
            wanted = pending[1]
        else:
            try:
                # The purge was sent after its commit: the primary's position now covers it.
                with connections[DEFAULT].cursor() as cursor:
                    cursor.execute(PRIMARY_POSITION)
                    wanted = _lsn(cursor.fetchone()[0])
            except DatabaseError:
                return False
            self._pending = (generation, wanted)
        try:
            with connections[REPLICA].cursor() as cursor:
                cursor.execute("SELECT pg_last_wal_replay_lsn()::text")
                replayed = _lsn(cursor.fetchone()[0])
        except DatabaseError:
            # Said at once, as a failed read is (metrics, readiness): with a purge to wait
            # for, no read goes to the replica, and only the next check would notice it gone.
            self.failed()
            return False
        if replayed < wanted:
            return False
        self._fence = generation
        return True

    @property
    def fence(self) -> int | None:
        """The latest purge generation the replica is known to have replayed."""
        return self._fence

    def failed(self) -> None:
        """A query on the replica failed: read from the primary until the next check."""
        self.ok = False
        self.reason = "failed during a request"
        self.checked_at = time.monotonic()
        close_replica()


replica = ReplicaHealth()


def close_replica() -> None:
    try:
        connections[REPLICA].close()
    except DatabaseError:
        pass


# --- the middleware ----------------------------------------------------------------------------


def pinned(request: HttpRequest) -> bool:
    """Whether this client wrote within the pin window (a valid ``khabar_primary`` cookie)."""
    if PIN_COOKIE not in request.COOKIES:
        return False
    value = request.get_signed_cookie(
        PIN_COOKIE, default=None, salt=_PIN_SALT, max_age=settings.KHABAR_REPLICA_PIN_SECONDS
    )
    return value is not None


_WRITES = ("INSERT", "UPDATE", "DELETE", "MERGE")


def _note_writes(
    execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]
) -> Any:
    """An execute wrapper on the primary's connection: a write turns the rest of the
    request's reads (and the client's next requests) to the primary."""
    head = sql.lstrip()[:6].upper()
    if head.startswith(_WRITES) or (head == "SELECT" and " FOR UPDATE" in sql):
        route = _route.get()
        if route is not None:
            route.wrote = True
    return execute(sql, params, many, context)


class ReplicaMiddleware:
    """Sets each request's route, pins a client that wrote to the primary, and answers a
    request again from the primary when the replica failed under it.

    Put it right after ``DatabaseUnavailableMiddleware``: its ``process_exception`` then runs
    first and notes the replica's failure before that one answers 503.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not replica_configured():
            return self.get_response(request)
        safe = request.method in SAFE_METHODS
        signed_in = settings.SESSION_COOKIE_NAME in request.COOKIES
        writer = any(request.META.get(name) for name in WRITER_HEADERS)
        route = Route(replica_allowed=safe and not signed_in and not writer and not pinned(request))
        token = _route.set(route)
        try:
            with connections[DEFAULT].execute_wrapper(_note_writes):
                response = self.get_response(request)
                if route.failed_on_replica:
                    # Nothing was written (the replica was read from only before any write):
                    # the same view from the primary gives the reader their page.
                    route = Route(replica_allowed=False)
                    _route.set(route)
                    response = self.get_response(request)
            wrote = route.wrote
        finally:
            _route.reset(token)
        if wrote:
            response.set_signed_cookie(
                PIN_COOKIE,
                "1",
                salt=_PIN_SALT,
                max_age=settings.KHABAR_REPLICA_PIN_SECONDS,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        route = _route.get()
        if route is None or not route.used_replica or route.wrote:
            return
        if not isinstance(exception, (OperationalError, InterfaceError)):
            return
        if not connections[REPLICA].errors_occurred:
            return  # the primary failed: DatabaseUnavailableMiddleware answers
        log.warning("the replica failed under %s: %s", request.path_info, exception)
        replica.failed()
        route.failed_on_replica = True


def replica_status() -> dict[str, Any]:
    """The replica as this process last saw it, checked again if that is old (metrics)."""
    if time.monotonic() - replica.checked_at >= settings.KHABAR_REPLICA_CHECK_SECONDS:
        replica.check()
    return {"usable": replica.ok, "lag": replica.lag, "reason": replica.reason}
