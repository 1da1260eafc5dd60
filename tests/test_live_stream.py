"""The stream process (khabar.live.streams): one poll per story per interval however many
readers, resuming from the last event, a withdrawn story's streams ending, and the bound on
open streams. Driven as granian drives it: the ASGI callable, a reader's request and its
disconnect."""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import override_settings

from khabar.articles.actions import withdraw_article
from khabar.live import actions, streams
from khabar.live.streams import StreamApp, StreamHub
from khabar.test import make_article


def run(coroutine: Any) -> Any:
    """``asyncio.run`` in a thread of its own: a browser test earlier in this worker leaves
    Playwright's event loop running in the test thread, where ``asyncio.run`` refuses."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


pytestmark = pytest.mark.django_db(transaction=True)


class Reader:
    """One reader's request: what the server sent, and a way to leave."""

    def __init__(self, path: str, headers: dict[str, str] | None = None, query: str = ""):
        self.scope = {
            "type": "http",
            "method": "GET",
            "path": path,
            "query_string": query.encode(),
            "headers": [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()],
        }
        self.sent: list[dict[str, Any]] = []
        self.left = asyncio.Event()
        self._asked = False

    async def receive(self) -> dict[str, Any]:
        if not self._asked:
            self._asked = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await self.left.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: dict[str, Any]) -> None:
        self.sent.append(message)

    async def get(self, app: StreamApp) -> Reader:
        await app(self.scope, self.receive, self.send)
        return self

    @property
    def status(self) -> int:
        return int(self.sent[0]["status"])

    @property
    def headers(self) -> dict[str, str]:
        return {k.decode(): v.decode() for k, v in self.sent[0]["headers"]}

    @property
    def body(self) -> str:
        return b"".join(m.get("body", b"") for m in self.sent[1:]).decode()

    @property
    def finished(self) -> bool:
        return bool(self.sent) and self.sent[-1].get("more_body") is False


@pytest.fixture
def live(people):
    story = make_article(headline="زلزال في شمال البلاد")
    return actions.start_live(story, actor=people["editor"])


@pytest.fixture
def app() -> Iterator[StreamApp]:
    app = StreamApp(StreamHub(interval=0.05))
    yield app
    app.hub.close()


def post(live, editor, text: str):
    return asyncio.to_thread(actions.post_update, live, actor=editor, text=text)


@override_settings(KHABAR_LIVE_HOLD=1.5, KHABAR_LIVE_HEARTBEAT=0.5)
def test_it_polls_once_per_interval_however_many_readers_wait(app, live, people):
    async def scene() -> list[Reader]:
        path = f"/live/{live.article_id}/events"
        readers = [Reader(path, query=f"since={live.seq}") for _ in range(200)]
        tasks = [asyncio.create_task(r.get(app)) for r in readers]
        await asyncio.sleep(0.4)
        await post(live, people["editor"], "تحديث للجميع")
        await asyncio.gather(*tasks)
        return readers

    readers = run(scene())
    assert all(r.status == 200 and "تحديث للجميع" in r.body for r in readers)
    assert all(r.finished for r in readers)
    # About one look per 0.05 s interval for the 1.5 s held (the first reader's look and
    # each look's own time included), not one per reader; and one render for the update.
    assert app.hub.polls <= 1.5 / 0.05 + 2
    assert app.hub.renders == 1


@override_settings(KHABAR_LIVE_HOLD=0.4, KHABAR_LIVE_HEARTBEAT=0.1)
def test_it_resumes_after_the_last_event_id(app, live, people):
    old = actions.post_update(live, actor=people["editor"], text="قديم")
    new = actions.post_update(live, actor=people["editor"], text="جديد")
    path = f"/live/{live.article_id}/events"

    resumed = run(Reader(path, {"Last-Event-ID": str(old.seq)}).get(app))
    assert resumed.status == 200
    assert resumed.headers["content-type"] == "text/event-stream"
    assert resumed.headers["cache-control"] == "no-cache, no-store"
    assert resumed.headers["x-accel-buffering"] == "no"
    assert resumed.body.startswith("retry: ")
    assert "جديد" in resumed.body and "قديم" not in resumed.body
    assert f"id: {new.seq}\nevent: update" in resumed.body
    assert ": keep-alive" in resumed.body

    from_page = run(Reader(path, query=f"since={old.seq - 1}").get(app))
    assert "قديم" in from_page.body and "جديد" in from_page.body


@override_settings(KHABAR_LIVE_HOLD=0.3, KHABAR_LIVE_HEARTBEAT=0.1)
def test_it_reads_once_for_all_the_readers_who_are_far_behind(app, live, people):
    first = actions.post_update(live, actor=people["editor"], text="البداية")
    for n in range(streams.BACKLOG + 2):
        actions.post_update(live, actor=people["editor"], text=f"تحديث رقم {n}")
    path = f"/live/{live.article_id}/events"

    async def scene() -> list[Reader]:
        # The feed's first look keeps the last few changes only.
        await Reader(path, query=f"since={live.seq}").get(app)
        readers = [Reader(path, {"Last-Event-ID": str(first.seq - 1)}) for _ in range(30)]
        await asyncio.gather(*(r.get(app) for r in readers))
        return readers

    readers = run(scene())
    assert all("البداية" in r.body and "تحديث رقم 0" in r.body for r in readers)
    assert app.hub.reads == 1


@override_settings(KHABAR_LIVE_HOLD=30, KHABAR_LIVE_HEARTBEAT=5)
def test_it_ends_the_streams_of_a_withdrawn_story_and_refuses_new_ones(app, live, people):
    path = f"/live/{live.article_id}/events"
    story = live.article

    async def scene() -> tuple[Reader, Reader]:
        reader = Reader(path, query=f"since={live.seq}")
        task = asyncio.create_task(reader.get(app))
        await asyncio.sleep(0.3)
        assert reader.status == 200 and not reader.finished
        await asyncio.to_thread(
            withdraw_article, story, actor=people["chief"], reason="خطأ في المصدر"
        )
        await task
        return reader, await Reader(path).get(app)

    reader, later = run(scene())
    # Ended by the withdrawal (at the next look), long before its first keep-alive was due.
    assert reader.finished and ": keep-alive" not in reader.body
    assert later.status == 404


def test_it_answers_404_for_a_story_that_is_not_live(app):
    story = make_article()
    assert run(Reader(f"/live/{story.pk}/events").get(app)).status == 404
    assert run(Reader("/ar/").get(app)).status == 404


@override_settings(KHABAR_LIVE_HOLD=1, KHABAR_LIVE_HEARTBEAT=0.5, KHABAR_LIVE_STREAM_MAX=3)
def test_it_tells_readers_past_the_limit_to_poll(app, live):
    path = f"/live/{live.article_id}/events"

    async def scene() -> tuple[list[Reader], Reader]:
        held = [Reader(path) for _ in range(3)]
        tasks = [asyncio.create_task(r.get(app)) for r in held]
        await asyncio.sleep(0.3)
        refused = await Reader(path).get(app)
        for reader in held:
            reader.left.set()
        await asyncio.gather(*tasks)
        return held, refused

    held, refused = run(scene())
    assert [r.status for r in held] == [200, 200, 200]
    assert refused.status == 503
    assert refused.headers["retry-after"].isdigit()
    assert refused.headers["cache-control"] == "no-cache, no-store"
    assert app.hub.open == 0  # the readers who left are counted out


@override_settings(KHABAR_LIVE_HOLD=30, KHABAR_LIVE_HEARTBEAT=10)
def test_it_lets_a_reader_leave_before_the_hold_ends(app, live):
    async def scene() -> Reader:
        reader = Reader(f"/live/{live.article_id}/events")
        task = asyncio.create_task(reader.get(app))
        await asyncio.sleep(0.3)
        reader.left.set()
        await task
        return reader

    reader = run(scene())
    # The stream stopped when its reader left: no keep-alive, no end of the response.
    assert not reader.finished and ": keep-alive" not in reader.body
    assert app.hub.open == 0 and app.hub.feeds[live.article_id].listeners == 0


@override_settings(KHABAR_LIVE_HOLD=0.2, KHABAR_LIVE_HEARTBEAT=0.1)
def test_it_forgets_a_story_nobody_reads_any_more(app, live, people, monkeypatch):
    other = actions.start_live(make_article(headline="انتخابات بلدية"), actor=people["editor"])
    monkeypatch.setattr(streams, "LINGER", 0)

    async def scene() -> None:
        await Reader(f"/live/{live.article_id}/events", query=f"since={live.seq}").get(app)
        await asyncio.sleep(0.3)  # its poller notices nobody reads it and stops
        await Reader(f"/live/{other.article_id}/events", query=f"since={other.seq}").get(app)

    run(scene())
    assert list(app.hub.feeds) == [other.article_id]


def test_it_keeps_few_joined_tails_whatever_numbers_readers_resume_from():
    # A tail joined for one resuming reader is kept for the next one at the same number. A
    # client resuming from every number the feed keeps would otherwise leave KEEP copies of
    # up to KEEP events in the process (quadratic in KEEP) until the story next changes.
    feed = streams.Feed(1)
    feed.events = [(n, b"x" * 1000) for n in range(1, streams.KEEP + 1)]
    feed.floor, feed.seq = 0, streams.KEEP
    for since in range(streams.KEEP):
        assert feed.tail(since) == b"x" * 1000 * (streams.KEEP - since)
    assert sum(len(chunk) for chunk in feed.tails.values()) <= 16 * 1000 * streams.KEEP
