"""Whole-page cache for anonymous readers, purged exactly by tag.

A reader page declares the tags of what it shows (``request.cache_tags``: the story, its
section, the edition's home, tags, feeds). The answer is stored once, with its tags, in a
store that every app process shares: a small SQLite database beside the main one by default,
Redis when ``REDIS_URL`` is set. Publishing, correcting or withdrawing a story, or approving a
comment, purges exactly the pages carrying its tags. A hit is answered from the WSGI layer
(``khabar.wsgi``) before Django builds a request, with ETag and 304 support.

Never cached: a request that carries anything of one reader (``is_reader_specific``: a
session, CSRF or khabar_* cookie, the widget's edit tokens or reader id, credentials), since
its answer may show that reader's own pending comment; anything but GET/HEAD; answers that
set cookies; cross-origin calls (an ``Origin`` header: their CORS headers are one site's); and
query strings with parameters no reader page reads (``PAGE_PARAMS``), so a
``?utm_source=…`` cannot make a stored variant of a page.

No stampede: when a page is missing (just purged) and many readers ask for it at once, the
first takes a short render lock in the shared store and renders it; the others wait for its
page (polling every ``COALESCE_POLL`` seconds, at most ``COALESCE_WAIT``), so each node
renders a purged page once, not once per reader. A lock outlives a crashed renderer by at
most ``RENDER_LOCK_SECONDS``; a store that cannot answer lets every reader render.
nginx does the same in front of it (``proxy_cache_lock``, ``proxy_cache_use_stale
updating``).
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import threading
import time
from collections.abc import Iterable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote_plus

import orjson
from django.conf import settings

from khabar.lib.sqlite.writers import WriterLock
from khabar.site import splice

MAX_AGE = 30  # seconds a CDN or browser may keep a page before asking again
STALE = 120  # seconds it may serve a stale page while revalidating
TTL = 600  # a safety net: no stored page lives longer than this
CACHE_CONTROL = f"public, max-age={MAX_AGE}, stale-while-revalidate={STALE}"
#: What a tagged page may be stored as: the page, or a withdrawn story's notice (410 Gone, the
#: same for every reader; restoring the story purges it like any page of the story).
STORED_STATUSES = (200, 410)
RENDER_LOCK_SECONDS = 5.0  # the longest a render holds back other readers of its page
COALESCE_WAIT = 2.0  # the longest a reader waits for another's render before its own
COALESCE_POLL = 0.02
RENDER, WAIT, DIRECT = "render", "wait", "direct"  # what lock_render tells a reader


@dataclass(frozen=True)
class Page:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    etag: str


class Store(Protocol):
    def get(self, key: str) -> Page | None: ...
    def put(self, key: str, path: str, page: Page, tags: Iterable[str]) -> bool: ...
    def purge(self, tags: Iterable[str]) -> list[str]: ...
    def clear(self) -> None: ...
    def generations(self, tags: list[str]) -> list[int]: ...
    def lock_render(self, key: str, seconds: float) -> str: ...
    def render_locked(self, key: str) -> bool: ...
    def unlock_render(self, key: str) -> None: ...
    def defer(self, tags: list[str], due: float) -> None: ...
    def take_due(self, now: float) -> list[str]: ...


class SqliteStore:
    """Pages and their tags in a WAL-mode SQLite file shared by every process."""

    def __init__(self, path: Path):
        self.path = path
        self._local = threading.local()
        # Writers queue in the kernel instead of polling SQLite's lock (khabar.lib.sqlite).
        self._writers = WriterLock.for_database(str(path))

    def _db(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=OFF")
            db.executescript(
                "CREATE TABLE IF NOT EXISTS page"
                " (key TEXT PRIMARY KEY, path TEXT, expires REAL, data BLOB);"
                "CREATE TABLE IF NOT EXISTS page_tag (tag TEXT, key TEXT, PRIMARY KEY (tag, key))"
                " WITHOUT ROWID;"
                "CREATE TABLE IF NOT EXISTS generation (tag TEXT PRIMARY KEY, n INTEGER)"
                " WITHOUT ROWID;"
                "CREATE TABLE IF NOT EXISTS render_lock (key TEXT PRIMARY KEY, until REAL)"
                " WITHOUT ROWID;"
                "CREATE TABLE IF NOT EXISTS purge_soon (tag TEXT PRIMARY KEY, due REAL)"
                " WITHOUT ROWID;"
            )
            self._local.db = db
        return db

    def get(self, key: str) -> Page | None:
        row = (
            self._db()
            .execute("SELECT data FROM page WHERE key = ? AND expires > ?", (key, time.time()))
            .fetchone()
        )
        return _decode(row[0]) if row else None

    def put(self, key: str, path: str, page: Page, tags: Iterable[str]) -> bool:
        db = self._db()
        data = _encode(page)
        # A busy cache is not an error: the page is simply not stored this time.
        if not self._writers.acquire(timeout=1):
            return False
        try:
            db.execute("BEGIN IMMEDIATE")
            db.execute(
                "INSERT OR REPLACE INTO page (key, path, expires, data) VALUES (?, ?, ?, ?)",
                (key, path, time.time() + TTL, data),
            )
            db.executemany(
                "INSERT OR IGNORE INTO page_tag (tag, key) VALUES (?, ?)",
                [(tag, key) for tag in tags],
            )
            db.execute("COMMIT")
        except sqlite3.OperationalError:
            if db.in_transaction:
                db.execute("ROLLBACK")
            return False
        finally:
            self._writers.release()
        return True

    def purge(self, tags: Iterable[str]) -> list[str]:
        tags = list(tags)
        if not tags:
            return []
        db = self._db()
        marks = ",".join("?" * len(tags))
        with self._writers:
            rows = self._purge(db, tags, marks)
        return sorted({row[1] for row in rows})

    @staticmethod
    def _purge(db: sqlite3.Connection, tags: list[str], marks: str) -> list[Any]:
        db.execute("BEGIN IMMEDIATE")
        try:
            rows = db.execute(
                f"SELECT key, path FROM page WHERE key IN"
                f" (SELECT key FROM page_tag WHERE tag IN ({marks}))",
                tags,
            ).fetchall()
            keys = [row[0] for row in rows]
            db.executemany("DELETE FROM page WHERE key = ?", [(k,) for k in keys])
            db.executemany("DELETE FROM page_tag WHERE key = ?", [(k,) for k in keys])
            # The purged pages' next render is coalesced (an expired lock marks them).
            db.executemany(
                "INSERT OR REPLACE INTO render_lock (key, until) VALUES (?, 0)",
                [(k,) for k in keys],
            )
            db.executemany(
                "INSERT INTO generation (tag, n) VALUES (?, 1)"
                " ON CONFLICT (tag) DO UPDATE SET n = n + 1",
                [(tag,) for tag in tags],
            )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return rows

    def clear(self) -> None:
        self._db().executescript("DELETE FROM page; DELETE FROM page_tag;")

    def generations(self, tags: list[str]) -> list[int]:
        marks = ",".join("?" * len(tags))
        found = dict(
            self._db().execute(f"SELECT tag, n FROM generation WHERE tag IN ({marks})", tags)
        )
        return [found.get(tag, 0) for tag in tags]

    def lock_render(self, key: str, seconds: float) -> str:
        """``RENDER`` (this reader renders the purged page), ``WAIT`` (another does) or
        ``DIRECT`` (a page no purge removed: nothing to coalesce)."""
        now = time.time()
        if not self._writers.acquire(timeout=1):
            return DIRECT  # a busy store: render rather than wait on it
        try:
            db = self._db()
            taken = db.execute(
                "UPDATE render_lock SET until = ? WHERE key = ? AND until < ?",
                (now + seconds, key, now),
            ).rowcount
            if taken:
                return RENDER
            row = db.execute("SELECT 1 FROM render_lock WHERE key = ?", (key,)).fetchone()
            return WAIT if row else DIRECT
        except sqlite3.OperationalError:
            return DIRECT
        finally:
            self._writers.release()

    def render_locked(self, key: str) -> bool:
        row = (
            self._db()
            .execute("SELECT 1 FROM render_lock WHERE key = ? AND until >= ?", (key, time.time()))
            .fetchone()
        )
        return row is not None

    def unlock_render(self, key: str) -> None:
        try:
            with self._writers:
                self._db().execute("DELETE FROM render_lock WHERE key = ?", (key,))
        except (sqlite3.OperationalError, TimeoutError):
            pass  # it expires by itself

    def defer(self, tags: list[str], due: float) -> None:
        """Queue ``tags`` to be purged at ``due`` (a tag already queued keeps its time)."""
        with self._writers:
            self._db().executemany(
                "INSERT OR IGNORE INTO purge_soon (tag, due) VALUES (?, ?)",
                [(tag, due) for tag in tags],
            )

    def take_due(self, now: float) -> list[str]:
        """The queued tags due by ``now``, taken off the queue (each handed out once)."""
        db = self._db()
        if db.execute("SELECT 1 FROM purge_soon WHERE due <= ? LIMIT 1", (now,)).fetchone() is None:
            return []  # the worker's usual tick: one read, no write lock
        with self._writers:
            db.execute("BEGIN IMMEDIATE")
            try:
                rows = db.execute("SELECT tag FROM purge_soon WHERE due <= ?", (now,)).fetchall()
                db.execute("DELETE FROM purge_soon WHERE due <= ?", (now,))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return [row[0] for row in rows]


class RedisStore:
    """Pages in Redis, with one set of page keys per tag."""

    def __init__(self, url: str):
        import redis

        self.redis = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)

    def get(self, key: str) -> Page | None:
        try:
            data = self.redis.get(f"khabar:page:{key}")
        except Exception:
            return None
        return _decode(data) if data else None

    def put(self, key: str, path: str, page: Page, tags: Iterable[str]) -> bool:
        try:
            pipe = self.redis.pipeline()
            pipe.set(f"khabar:page:{key}", _encode(page), ex=TTL)
            for tag in tags:
                pipe.sadd(f"khabar:tag:{tag}", f"{key}|{path}")
                pipe.expire(f"khabar:tag:{tag}", TTL * 2)
            pipe.execute()
        except Exception:
            return False
        return True

    def purge(self, tags: Iterable[str]) -> list[str]:
        tags = list(tags)
        members: set[bytes] = set()
        try:
            for tag in tags:
                members |= self.redis.smembers(f"khabar:tag:{tag}")
                self.redis.delete(f"khabar:tag:{tag}")
            # Every generation at once (MULTI/EXEC): a reader who sees a tag's new generation
            # sees ANY_PURGE's too, which the replica router's fence waits on. One by one, a
            # reader between a story's and ANY_PURGE's could read the replica's copy from
            # before the purge and keep it under the new generation (a withdrawn story
            # answered 200 until its next purge).
            generations = self.redis.pipeline(transaction=True)
            for tag in tags:
                generations.incr(f"khabar:gen:{tag}")
            generations.execute()
            pairs = [m.decode().split("|", 1) for m in members]
            if pairs:
                self.redis.delete(*[f"khabar:page:{key}" for key, _path in pairs])
                # The purged pages' next render is coalesced (see lock_render).
                pipe = self.redis.pipeline()
                for key, _path in pairs:
                    pipe.set(f"khabar:purged:{key}", b"1", ex=TTL)
                pipe.execute()
        except Exception as error:
            # Redis is down: nothing is served from it either, and the deployed Redis keeps
            # no data across a restart (deploy/), so no stale page comes back. Publishing
            # must not fail for it.
            logging.getLogger(__name__).warning("page cache purge failed: %s", error)
            return []
        return sorted({path for _key, path in pairs})

    def clear(self) -> None:
        for key in self.redis.scan_iter("khabar:page:*"):
            self.redis.delete(key)

    def generations(self, tags: list[str]) -> list[int]:
        try:
            values = self.redis.mget([f"khabar:gen:{tag}" for tag in tags])
        except Exception:  # no generation known: fragments are not reused
            return [-1] * len(tags)
        return [int(v) if v is not None else 0 for v in values]

    def lock_render(self, key: str, seconds: float) -> str:
        try:
            if not self.redis.exists(f"khabar:purged:{key}"):
                return DIRECT
            taken = self.redis.set(f"khabar:render:{key}", b"1", nx=True, px=int(seconds * 1000))
        except Exception:
            return DIRECT
        return RENDER if taken else WAIT

    def render_locked(self, key: str) -> bool:
        try:
            return bool(self.redis.exists(f"khabar:render:{key}"))
        except Exception:
            return False

    def unlock_render(self, key: str) -> None:
        try:
            self.redis.delete(f"khabar:render:{key}", f"khabar:purged:{key}")
        except Exception:
            pass  # they expire by themselves

    def defer(self, tags: list[str], due: float) -> None:
        self.redis.zadd("khabar:purge-soon", dict.fromkeys(tags, due), nx=True)

    def take_due(self, now: float) -> list[str]:
        pipe = self.redis.pipeline(transaction=True)
        pipe.zrangebyscore("khabar:purge-soon", "-inf", now)
        pipe.zremrangebyscore("khabar:purge-soon", "-inf", now)
        found, _removed = pipe.execute()
        return [tag.decode() for tag in found]


def _encode(page: Page) -> bytes:
    head = orjson.dumps([page.status, page.headers, page.etag])
    return len(head).to_bytes(4, "big") + head + page.body


def _decode(data: bytes) -> Page:
    size = int.from_bytes(data[:4], "big")
    status, headers, etag = orjson.loads(data[4 : 4 + size])
    return Page(status, [tuple(h) for h in headers], data[4 + size :], etag)


_store: Store | None = None
_store_lock = threading.Lock()


def store() -> Store:
    """The process's page store (created on first use)."""
    global _store
    if _store is None:
        with _store_lock:
            if _store is None:
                if settings.REDIS_URL:
                    _store = RedisStore(settings.REDIS_URL)
                else:
                    _store = SqliteStore(Path(settings.KHABAR_PAGECACHE_PATH))
    return _store


def reset_store() -> None:
    global _store
    _store = None


def cache_key(host: str, path: str, query: str) -> str:
    return hashlib.blake2b(f"{host}|{path}?{query}".encode(), digest_size=16).hexdigest()


#: The query parameters cached reader pages read: a list's page, and on a story page the
#: comments' sort and page, a reply target and the notice after posting. Any other parameter
#: (utm_source, fbclid, a cache-buster) changes nothing on the page.
PAGE_PARAMS = frozenset({"page", "csort", "cpage", "reply", "commented"})

#: Paths whose answers read other parameters than ``PAGE_PARAMS`` (the comment API's thread
#: pages: ``thread``, ``sort``, ``cursor``), registered by the app that serves them
#: (``register_params``, from its ``AppConfig.ready``); the core knows no feature's URLs.
PATH_PARAMS: dict[str, frozenset[str]] = {}


def register_params(path: str, params: Iterable[str]) -> None:
    """Declare the query parameters the cached answers at ``path`` read."""
    PATH_PARAMS[path] = frozenset(params)


def canonical_query(query: str, path: str = "") -> str:
    """``query`` without the parameters no cached answer at ``path`` reads (``PAGE_PARAMS``
    or what ``register_params`` declared for it), order kept."""
    if not query:
        return ""
    params = PATH_PARAMS.get(path, PAGE_PARAMS)
    kept = [part for part in query.split("&") if unquote_plus(part.partition("=")[0]) in params]
    return "&".join(kept)


#: Request headers that carry one reader: the widget's edit tokens and reader id, and
#: credentials. The comments API and the story page answer them with that reader's view.
READER_HEADERS = ("HTTP_X_KHABAR_TOKENS", "HTTP_X_KHABAR_READER", "HTTP_AUTHORIZATION")

# Set for the length of a Django request that is reader-specific (PageCacheMiddleware):
# ``stamp`` then gives no fragment key, whoever asks for one.
_reader_request: ContextVar[bool] = ContextVar("khabar_reader_request", default=False)

# The purge generations read so far by the GET request being answered (PageCacheMiddleware
# sets it for readers' requests): a story page asks for several through ``stamp`` (its shared
# row, its fragments, the ticker), and ``prefetch`` reads them in one query. Always read
# before what is rendered under them, as without it; a purge in the request forgets them.
_request_generations: ContextVar[dict[str, int] | None] = ContextVar(
    "khabar_request_generations", default=None
)


def is_reader_specific(request: Any) -> bool:
    """Whether the answer to ``request`` may hold one reader's view; then no shared cache
    (this page cache, the fragment caches, nginx, a CDN) may store or serve it.

    ``request`` is a Django request or a WSGI environ. True when it carries a session, CSRF,
    messages or khabar_* cookie, or one of ``READER_HEADERS``. deploy/nginx.conf.template
    applies the same rule (``$khabar_private``).
    """
    meta: Mapping[str, Any] = getattr(request, "META", request)
    if any(meta.get(name) for name in READER_HEADERS):
        return True
    return bypass(meta.get("HTTP_COOKIE", ""))


def bypass(cookie_header: str) -> bool:
    """The cookie half of ``is_reader_specific``: a session, CSRF, messages or khabar_*
    cookie. Call ``is_reader_specific``, which also sees the reader's headers."""
    if not cookie_header:
        return False
    names = (
        settings.SESSION_COOKIE_NAME + "=",
        settings.CSRF_COOKIE_NAME + "=",
        "messages=",  # django.contrib.messages' cookie storage
        "khabar",
    )
    return any(part.strip().startswith(names) for part in cookie_header.split(";"))


#: A generation moved by every purge: a page rendered while one ran may show what was
#: purged, so it is not stored (``PageCacheMiddleware``).
ANY_PURGE = "*"


def purge_keys(keys: Iterable[str]) -> None:
    """Purge every cached page tagged with one of these keys (also from the proxy, if any)."""
    keys = list(keys)
    if not keys or not (settings.KHABAR_PAGECACHE or settings.KHABAR_FRAGMENT_CACHE):
        return
    paths = store().purge([*keys, ANY_PURGE])
    known = _request_generations.get()
    if known is not None:
        known.clear()
    from khabar.site import proxy

    proxy.purge_paths(paths)


def stamp(tags: list[str]) -> str:
    """A string that changes whenever a page with one of these tags is purged.

    Rendered fragments are cached under it, so a purge makes them stale everywhere at once
    (the generations live in the shared store, the fragments in each process). During a
    reader-specific request it is "": what such a request renders is never shared.
    """
    if _reader_request.get():
        return ""
    known = _request_generations.get()
    if known is None:
        generations = _shareable_generations(tags)
    else:
        prefetch(tags)
        generations = [known[tag] for tag in tags]
    if -1 in generations:
        return ""
    return ".".join(map(str, generations))


def prefetch(tags: Iterable[str]) -> None:
    """Read the generations of ``tags`` that this request has not read yet, in one query,
    for its later ``stamp`` calls (nothing outside a reader's GET request)."""
    known = _request_generations.get()
    if known is None or _reader_request.get():
        return
    missing = list(dict.fromkeys(tag for tag in tags if tag not in known))
    if missing:
        known.update(zip(missing, _shareable_generations(missing), strict=True))


def generations_read() -> list[str]:
    """The tags whose generations the GET request being answered has read so far (for a
    page to ``prefetch`` next time), in the order first read."""
    return list(_request_generations.get() or ())


def _shareable_generations(tags: list[str]) -> list[int]:
    """The generations of ``tags``, or -1 for each (share nothing) when this request reads a
    replica that the router checked against an older purge than the latest.

    What a request renders from the replica is as old as the purges the replica had replayed
    when the router chose it (its fence); a generation read after a later purge (another
    process's, while this request ran) would keep that older copy under the new generation,
    where every reader takes it for current until the next purge. Read with ANY_PURGE in one
    query: purges move all their generations at once, ANY_PURGE with them.
    """
    from khabar.site import dbrouting

    found = store().generations([*tags, ANY_PURGE])
    fence = dbrouting.replica_fence()
    if fence is not None and found[-1] != fence:
        return [-1] * len(tags)
    return found[:-1]


def article_keys(article: Any, *, related: bool = True) -> list[str]:
    """The tags of the pages that show a story: itself, its section, tags, home and feeds,
    and (``related``) every story page whose "Related stories" box may list it.

    A change that the related box does not show (a comment count: its cards carry none) may
    pass ``related=False`` and spare the other stories' pages.
    """
    tag_ids = list(article.tags.values_list("pk", flat=True))
    keys = [f"a:{article.pk}", f"s:{article.section_id}", f"h:{article.lang}", f"f:{article.lang}"]
    keys += [f"t:{pk}" for pk in tag_ids]
    if related:
        keys += related_keys(article.section_id, tag_ids)
    return keys


def related_keys(section_id: int, tag_ids: Iterable[int]) -> list[str]:
    """The tags of a story page's "Related stories" box, which lists stories of the page's
    section and of its tags: a story there that changes or goes purges the page."""
    return [f"rs:{section_id}", *(f"rt:{pk}" for pk in tag_ids)]


def tag_request(request: Any, *tags: str) -> None:
    """Declare what a page shows, making it cacheable for anonymous readers."""
    existing = getattr(request, "cache_tags", None) or []
    request.cache_tags = [*existing, *tags]


#: Called on every hit answered here, before Django: the metrics count them (khabar.health
#: registers its counter from khabar/wsgi.py; the core imports no feature module).
HIT_LISTENERS: list[Any] = []


class CachedApplication:
    """WSGI wrapper answering cache hits before Django builds a request."""

    def __init__(self, app: Any):
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        method = environ.get("REQUEST_METHOD", "GET")
        if (
            method in ("GET", "HEAD")
            and settings.KHABAR_PAGECACHE
            and not is_reader_specific(environ)
            # A cross-origin call (the widget on another site) gets its own CORS headers,
            # which no stored answer carries: Django answers it (from the fragment caches).
            and not environ.get("HTTP_ORIGIN")
        ):
            query = environ.get("QUERY_STRING", "")
            path = environ.get("PATH_INFO", "/")
            canonical = canonical_query(query, path)
            key = cache_key(environ.get("HTTP_HOST", ""), path, canonical)
            page = store().get(key)
            if page is None and canonical == query:
                found = _render_once(key, environ, start_response, self.app)
                if found is not None and not isinstance(found, Page):
                    return found
                page = found
            if page is not None:
                # Preconditions apply to a page only, never to a 410 (RFC 9110, 13.2.1).
                if page.status == 200 and environ.get("HTTP_IF_NONE_MATCH") == page.etag:
                    start_response("304 Not Modified", _not_modified_headers(page))
                    return [b""]
                for listener in HIT_LISTENERS:
                    listener()
                headers = page.headers
                if canonical != query:
                    # The canonical page, answered to a URL the app does not purge: a proxy
                    # may keep it only for the short public max-age.
                    headers = [(k, v) for k, v in headers if k.lower() != "x-accel-expires"]
                start_response(_status_line(page.status), [*headers, ("X-Cache", "HIT")])
                return [b"" if method == "HEAD" else page.body]
            if canonical == query:
                environ["khabar.pagecache_key"] = key
        return self.app(environ, start_response)


def _render_once(
    key: str, environ: dict[str, Any], start_response: Any, app: Any
) -> Page | Iterable[bytes] | None:
    """A purged page, rendered by one reader at a time: the rendered answer when this reader
    rendered it, the page another reader's render stored, or None (render it as usual)."""
    cache = store()
    deadline = time.monotonic() + COALESCE_WAIT
    while (turn := cache.lock_render(key, RENDER_LOCK_SECONDS)) == WAIT:
        # Another reader renders it: wait for the page, or for the lock to go (a render
        # whose page could not be stored), then try again.
        while cache.render_locked(key) and time.monotonic() < deadline:
            time.sleep(COALESCE_POLL)
            page = cache.get(key)
            if page is not None:
                return page
        page = cache.get(key)
        if page is not None or time.monotonic() >= deadline:
            return page
    if turn == DIRECT:
        return None
    environ["khabar.pagecache_key"] = key
    try:
        result: Iterable[bytes] = app(environ, start_response)
    finally:
        cache.unlock_render(key)
    return result


def _status_line(status: int) -> str:
    from http import HTTPStatus

    return f"{status} {HTTPStatus(status).phrase}"


def _not_modified_headers(page: Page) -> list[tuple[str, str]]:
    keep = {"etag", "cache-control", "x-cache-tags", "content-language", "vary"}
    return [(k, v) for k, v in page.headers if k.lower() in keep]


class PageCacheMiddleware:
    """Stores tagged anonymous pages (outermost middleware, so it sees the final headers).

    A reader-specific request (``is_reader_specific``) is answered ``private, no-store`` and
    gets no fragment key while it runs (``stamp``), whatever the view does.
    """

    def __init__(self, get_response: Any):
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        if is_reader_specific(request):
            token = _reader_request.set(True)
            try:
                response = self.get_response(request)
            finally:
                _reader_request.reset(token)
            response.headers["Cache-Control"] = "private, no-store"
            response.headers.pop("X-Accel-Expires", None)
            return response
        key = request.META.get("khabar.pagecache_key")
        # A purge that runs while this page renders may have been about what it shows:
        # then the page is answered but not kept (by this cache or, long, by nginx).
        before = store().generations([ANY_PURGE]) if key and settings.KHABAR_PAGECACHE else None
        reading = request.method in ("GET", "HEAD")
        generations = _request_generations.set({}) if reading else None
        try:
            response = self.get_response(request)
        finally:
            if generations is not None:
                _request_generations.reset(generations)
        tags = getattr(request, "cache_tags", None)
        if not tags or request.method not in ("GET", "HEAD"):
            return response
        if response.status_code not in STORED_STATUSES or response.cookies or response.streaming:
            return response
        body = response.content
        etag = splice.etag_for(response, body)
        response.headers["ETag"] = etag
        response.headers["Cache-Control"] = CACHE_CONTROL
        response.headers["X-Cache-Tags"] = " ".join(tags)
        query = request.META.get("QUERY_STRING", "")
        storable = canonical_query(query, request.path_info) == query
        if request.META.get("HTTP_ORIGIN"):
            storable = False  # its CORS headers are that site's alone
        if before is not None and store().generations([ANY_PURGE]) != before:
            storable = False
        stored = False
        if "Vary" in response.headers:
            # Pages are shared only among readers without a session, so the cookie
            # never changes what is shown.
            vary = [v.strip() for v in response.headers["Vary"].split(",")]
            vary = [v for v in vary if v.lower() != "cookie"]
            if vary:
                response.headers["Vary"] = ", ".join(vary)
            else:
                del response.headers["Vary"]
        if key and storable and settings.KHABAR_PAGECACHE:
            headers = [
                (k, v)
                for k, v in response.items()
                if k.lower() not in ("set-cookie", "content-length")
            ]
            headers.append(("Content-Length", str(len(body))))
            headers.append(("X-Accel-Expires", str(TTL)))
            stored = store().put(
                key, request.get_full_path(), Page(response.status_code, headers, body, etag), tags
            )
        if stored:
            # Only pages the app stored (and so purges by path) may stay in nginx for long.
            response.headers["X-Accel-Expires"] = str(TTL)
        if response.status_code == 200 and request.META.get("HTTP_IF_NONE_MATCH") == etag:
            from django.http import HttpResponseNotModified

            not_modified = HttpResponseNotModified()
            for name in ("ETag", "Cache-Control", "X-Cache-Tags"):
                not_modified.headers[name] = response.headers[name]
            return not_modified
        return response
