"""The stream process: live stories' server-sent events for many readers at once.

``granian --interface asgi khabar.live.asgi:application`` serves ``GET /live/<pk>/events``
and nothing else; nginx routes only that path to it (deploy/nginx.conf.template), so a
reader's open stream never holds one of the app's one-request page workers.

One ``StreamHub`` per process keeps a ``Feed`` per story being read. While a feed has
readers, its poller asks the database once per ``interval`` (in the hub's one database
thread) whether the story is still one readers may see (``khabar.articles.access``) and what
its change number is; when the number moved, the same thread renders the changed updates
once (``khabar.live.events.changes_since``) and every reader's stream then only copies those
bytes. A change costs the process one look and one render, and an idle story two small
queries per interval, however many readers wait; opening a stream on a story already being
followed touches no database at all. A reader resumes from its last event (``Last-Event-ID``,
or ``?since=`` from the page); one further behind than the feed keeps is read directly.
A story that stops being visible (withdrawn) ends its streams, and new ones get 404.

Why a bare ASGI callable rather than a Django async view: a thousand readers reconnect forty
times a second (each stream ends after ``KHABAR_LIVE_HOLD`` seconds), and through Django's
ASGI handler each reconnect would build a request and run the whole middleware stack
(sessions, locale, the page cache, several of them sync and so a thread hop each) for an
answer that needs none of it. Here it is a regular expression and a dictionary look-up.
Django is still set up (``khabar.live.asgi``): the look and the render are the app's own code.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import parse_qs

from django.db import close_old_connections
from django.http import Http404

from khabar.live import conf, events

logger = logging.getLogger(__name__)

Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
T = TypeVar("T")

PATH = re.compile(r"/live/([0-9]{1,18})/events")
INTERVAL = 0.5
KEEP = 200  # events kept per story for readers that are a little behind
#: Changes rendered at a feed's first look, so that readers a few changes behind (a page
#: cached just before an update, streams resuming after this process restarted) are served
#: from the feed rather than each by a read of its own.
BACKLOG = 10
RETRY_AFTER = 10  # seconds a refused reader is asked to wait (it polls meanwhile)
#: For how many intervals a feed's last good look is good enough to open a stream on.
FRESH = 3
#: Seconds a feed nobody reads is kept (its events ready for readers coming back).
LINGER = 300
#: Joined tails a feed keeps between changes: readers resume from a few numbers (the last
#: change, the cached page's); one tail per number would be KEEP copies of up to KEEP events.
TAILS = 8


@dataclass(frozen=True)
class Look:
    """What one poll found: the story's live id and change number, and the events of the
    changes after the number the feed had; ``floor`` set when the feed starts afresh with
    the events after that number."""

    live_pk: int
    seq: int
    chunks: list[tuple[int, bytes]]
    floor: int | None = None


def look(article_pk: int, live_pk: int, seq: int) -> Look | None:
    """The live story of a story any reader may see, with what changed after ``seq`` (the
    feed's number, ``live_pk`` its live id); None when readers may not see it (withdrawn,
    embargoed, deleted) or it is not live. Runs in the database thread."""
    from khabar.articles.access import access_published_article
    from khabar.live.models import LiveStory

    try:
        article = access_published_article(article_pk)
    except Http404:
        return None
    row = LiveStory.objects.filter(article=article).values_list("pk", "seq").first()
    if row is None:
        return None
    found_pk, found_seq = row
    if seq < 0 or found_pk != live_pk or found_seq < seq:
        # First look, or an earlier story of this id (a database restored or flushed).
        floor = max(found_seq - BACKLOG, 0)
        now, chunks = events.changes_since(found_pk, floor)
        return Look(found_pk, now, chunks, floor=floor)
    if found_seq == seq:
        return Look(found_pk, seq, [])
    now, chunks = events.changes_since(found_pk, seq)
    return Look(found_pk, now, chunks)


def _with_connection(work: Callable[..., T], *args: Any) -> T:
    """``work`` as Django runs a request: stale or broken connections closed before and
    after, so a database that restarted is reconnected to at the next poll."""
    close_old_connections()
    try:
        return work(*args)
    finally:
        close_old_connections()


@dataclass(eq=False)
class Feed:
    """One story as this process follows it."""

    article_pk: int
    live_pk: int = 0
    seq: int = -1
    floor: int = -1  # ``events`` hold every change after this number
    visible: bool | None = None  # None: not looked at yet
    checked: float = -math.inf  # when a poll last succeeded (monotonic)
    events: list[tuple[int, bytes]] = field(default_factory=list)
    listeners: int = 0
    task: asyncio.Task[None] | None = None
    idle_since: float = math.inf  # when its last reader left (monotonic)
    #: Each waiting reader's own wake-up, resolved by the next change (``waiting``) or the
    #: next poll (``opening``). One future per reader rather than one shared by all: a
    #: future's callbacks are a list, and a thousand readers each taking theirs off a shared
    #: one would cost the process time growing with the square of its readers.
    waiting: set[asyncio.Future[None]] = field(default_factory=set)
    opening: set[asyncio.Future[None]] = field(default_factory=set)
    tails: dict[int, bytes] = field(default_factory=dict)
    #: Reads for readers behind ``floor``, one per number however many readers ask at once.
    behind: dict[int, asyncio.Future[tuple[int, bytes]]] = field(default_factory=dict)

    def tail(self, since: int) -> bytes:
        """The kept events after ``since`` as one chunk (joined once for all the readers at
        that number, for the first ``TAILS`` numbers asked)."""
        if (chunk := self.tails.get(since)) is None:
            chunk = b"".join(c for seq, c in self.events if seq > since)
            if len(self.tails) < TAILS:
                self.tails[since] = chunk
        return chunk


def _resolve(future: asyncio.Future[None] | None) -> None:
    if future is not None and not future.done():
        future.set_result(None)


def _wake(waiters: set[asyncio.Future[None]]) -> None:
    for future in waiters:
        _resolve(future)
    waiters.clear()


@dataclass(eq=False)
class _Reader:
    """One open request: what wakes it, and whether its reader has left."""

    wake: asyncio.Future[None] | None = None
    gone: bool = False

    async def sleep(self, waiters: set[asyncio.Future[None]], timeout: float) -> None:
        """Until one of ``waiters`` is woken, the reader leaves, or ``timeout`` passes."""
        loop = asyncio.get_running_loop()
        wake = self.wake = loop.create_future()
        waiters.add(wake)
        timer = loop.call_later(timeout, _resolve, wake)
        try:
            await wake
        finally:
            timer.cancel()
            waiters.discard(wake)
            self.wake = None


class StreamHub:
    """Every stream of one process, and the feeds they read."""

    def __init__(
        self,
        *,
        interval: float = INTERVAL,
        poll: Callable[[int, int, int], Look | None] = look,
    ) -> None:
        self.interval = interval
        self._look = poll
        self.feeds: dict[int, Feed] = {}
        self.open = 0  # streams open now, and requests for one being answered
        self.polls = 0  # database looks (for tests and the bench)
        self.renders = 0  # looks that rendered changes
        self.reads = 0  # reads for readers further behind than the feed keeps
        # One thread, so one database connection per process however many readers.
        self._db = ThreadPoolExecutor(1, thread_name_prefix="live-db")
        self.closed = False

    # -- the database thread --------------------------------------------------------------
    async def in_thread(self, work: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._db, _with_connection, work, *args)

    # -- shutting down --------------------------------------------------------------------
    def release(self) -> None:
        """End every open stream now (the process is stopping, or a test ends)."""
        self.closed = True
        for feed in self.feeds.values():
            _wake(feed.waiting)
            _wake(feed.opening)

    def close(self) -> None:
        """Release the streams and stop the database thread (closing its connection)."""
        self.release()
        self._db.submit(_close_connections)
        self._db.shutdown(wait=True)

    # -- feeds ----------------------------------------------------------------------------
    def feed(self, article_pk: int) -> Feed:
        found = self.feeds.get(article_pk)
        if found is None:
            self._forget_idle()
            found = self.feeds[article_pk] = Feed(article_pk)
        if found.task is None:
            found.task = asyncio.get_running_loop().create_task(self._follow(found))
        return found

    def _forget_idle(self) -> None:
        """Drop the feeds nobody has read for ``LINGER`` seconds (a process runs for days
        and follows many stories)."""
        now = time.monotonic()
        for pk, feed in list(self.feeds.items()):
            if feed.task is None and feed.listeners == 0 and now - feed.idle_since > LINGER:
                del self.feeds[pk]

    def fresh(self, feed: Feed) -> bool:
        return feed.visible is not None and time.monotonic() - feed.checked < FRESH * self.interval

    async def _follow(self, feed: Feed) -> None:
        """Poll the story while anyone reads it; a feed nobody may read is then forgotten."""
        try:
            while feed.listeners > 0 and not self.closed:
                await self._poll(feed)
                await asyncio.sleep(self.interval)
        finally:
            feed.task = None
            feed.idle_since = time.monotonic()
            if not feed.visible and self.feeds.get(feed.article_pk) is feed:
                del self.feeds[feed.article_pk]

    async def _poll(self, feed: Feed) -> None:
        self.polls += 1
        try:
            found = await self.in_thread(self._look, feed.article_pk, feed.live_pk, feed.seq)
        except Exception as error:
            # The database restarting or busy: streams keep their keep-alives and the next
            # poll tries again; new readers are told to poll meanwhile.
            logger.warning("live feed %s: %s", feed.article_pk, error)
            _wake(feed.opening)
            return
        feed.checked = time.monotonic()
        if found is None:
            feed.visible = False
            _wake(feed.waiting)  # its streams end
        else:
            feed.visible = True
            if found.floor is not None:
                feed.live_pk, feed.seq, feed.floor = found.live_pk, found.seq, found.floor
                feed.events = found.chunks[-KEEP:]
                feed.tails.clear()
                _wake(feed.waiting)
            elif found.chunks:
                self.renders += 1
                feed.events = (feed.events + found.chunks)[-KEEP:]
                if len(feed.events) == KEEP:
                    # Every change after the first kept number is whole.
                    feed.floor = max(feed.floor, feed.events[0][0])
                feed.seq = found.seq
                feed.tails.clear()
                _wake(feed.waiting)
        _wake(feed.opening)

    # -- one reader -----------------------------------------------------------------------
    async def stream(self, article_pk: int, since: int, receive: Receive, send: Send) -> None:
        """Answer one request for the story's events: 404 when readers may not see it, 503
        when it cannot be looked at now, else a stream for ``conf.hold()`` seconds."""
        feed = self.feed(article_pk)
        feed.listeners += 1
        reader = _Reader()
        gone = asyncio.ensure_future(_disconnected(receive, reader))
        try:
            if not self.fresh(feed):
                await reader.sleep(feed.opening, FRESH * self.interval)
                if reader.gone or self.closed:
                    return
            if not self.fresh(feed):
                await respond(send, 503, [(b"retry-after", b"%d" % RETRY_AFTER)])
                return
            if not feed.visible:
                await respond(send, 404)
                return
            await send({"type": "http.response.start", "status": 200, "headers": STREAM_HEADERS})
            await _body(send, b"retry: %d\n\n" % conf.retry_ms())
            await self._events(feed, since, reader, send)
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except OSError:
            pass  # the reader went away while we wrote
        finally:
            feed.listeners -= 1
            gone.cancel()

    async def _events(self, feed: Feed, seq: int, reader: _Reader, send: Send) -> None:
        loop = asyncio.get_running_loop()
        end = loop.time() + conf.hold()
        heartbeat = conf.heartbeat()
        while feed.visible and not self.closed:
            if feed.seq > seq:
                if seq >= feed.floor:
                    chunk, seq = feed.tail(seq), feed.seq
                else:
                    seq, chunk = await self._behind(feed, seq)
                await _body(send, chunk)
                continue
            left = end - loop.time()
            if left <= 0:
                return
            await reader.sleep(feed.waiting, min(heartbeat, left))
            if reader.gone:
                raise OSError("the reader left")
            if feed.seq <= seq and feed.visible and not self.closed:
                await _body(send, b": keep-alive\n\n")

    async def _behind(self, feed: Feed, since: int) -> tuple[int, bytes]:
        """What changed after ``since``, further back than the feed keeps: read directly, by
        one read for all the readers who ask for the same number at the same time."""
        pending = feed.behind.get(since)
        if pending is None:
            pending = feed.behind[since] = asyncio.ensure_future(self._read(feed.live_pk, since))
            pending.add_done_callback(lambda _done: feed.behind.pop(since, None))
        return await asyncio.shield(pending)

    async def _read(self, live_pk: int, since: int) -> tuple[int, bytes]:
        self.reads += 1
        seq, chunks = await self.in_thread(events.changes_since, live_pk, since)
        return seq, b"".join(c for _seq, c in chunks)


STREAM_HEADERS = [
    (b"content-type", b"text/event-stream"),
    (b"cache-control", b"no-cache, no-store"),
    # nginx passes each event on at once instead of filling its buffer first.
    (b"x-accel-buffering", b"no"),
]


async def _disconnected(receive: Receive, reader: _Reader) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
    reader.gone = True
    _resolve(reader.wake)


async def _body(send: Send, chunk: bytes) -> None:
    await send({"type": "http.response.body", "body": chunk, "more_body": True})


async def respond(
    send: Send, status: int, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    """A short answer with no body: never stored by any cache."""
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-length", b"0"),
                (b"cache-control", b"no-cache, no-store"),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": b""})


def since_of(scope: dict[str, Any]) -> int:
    """The reader's last event: ``Last-Event-ID`` (a reconnecting browser), else ``?since=``
    (the page's number at its first connection), else 0."""
    raw = ""
    for name, value in scope.get("headers", []):
        if name.lower() == b"last-event-id":
            raw = value.decode("latin-1")
            break
    if not raw:
        raw = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("since", [""])[0]
    try:
        return max(int(raw or 0), 0)
    except ValueError:
        return 0


class StreamApp:
    """The ASGI application: ``/live/<pk>/events`` for GET, at most ``conf.stream_max()``
    streams at once (past that 503 with Retry-After: the page then polls)."""

    def __init__(self, hub: StreamHub | None = None) -> None:
        self.hub = hub or StreamHub()

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        match = PATH.fullmatch(scope["path"])
        if match is None:
            await respond(send, 404)
            return
        if scope["method"] != "GET":
            await respond(send, 405, [(b"allow", b"GET")])
            return
        if self.hub.open >= conf.stream_max():
            await respond(send, 503, [(b"retry-after", b"%d" % RETRY_AFTER)])
            return
        self.hub.open += 1
        try:
            await self.hub.stream(int(match[1]), since_of(scope), receive, send)
        finally:
            self.hub.open -= 1

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.hub.release()
                await send({"type": "lifespan.shutdown.complete"})
                return


def _close_connections() -> None:
    from django.db import connections

    connections.close_all()
