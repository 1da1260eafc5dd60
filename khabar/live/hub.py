"""One process's readers of live stories share one poll and one render per change.

Every stream of a story waits here on one condition. At most once per ``INTERVAL`` one of
them (whichever wakes first) asks the database for the story's change number; when it moved,
that reader renders the changed updates once, keeps them, and wakes the others, who only
copy bytes. So a change costs a process one query and one render however many readers it
holds, and idle readers cost one indexed query per interval per story. A write in this
process wakes its streams at once (``nudge``); other processes' streams see it within
``INTERVAL``.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from khabar.live import events

INTERVAL = 0.5
KEEP = 200  # events kept per story for readers that are a little behind


@dataclass
class _Story:
    seq: int = -1
    floor: int = -1  # ``events`` hold every change after this number
    polled: float = 0.0
    polling: bool = False
    events: list[tuple[int, bytes]] = field(default_factory=list)


class Hub:
    def __init__(self, interval: float = INTERVAL):
        self.interval = interval
        self._cond = threading.Condition()
        self._stories: dict[int, _Story] = {}
        self.polls = 0  # how many times the database was asked (for tests and the bench)
        self.epoch = 0  # moved by ``release``: streams opened before it end

    def release(self) -> None:
        """End every open stream at its next wake-up (shutting down, or a test's end)."""
        with self._cond:
            self.epoch += 1
            self._cond.notify_all()

    def nudge(self) -> None:
        """Something changed: the next waiter asks the database now."""
        with self._cond:
            for story in self._stories.values():
                story.polled = 0.0
            self._cond.notify_all()

    def check(self, live_pk: int, seq: int) -> None:
        """A stream starts on a story whose number is ``seq``: what is kept of a number
        past it belongs to an earlier story of that id (a test database flushed), and goes."""
        with self._cond:
            story = self._stories.get(live_pk)
            if story is not None and story.seq > seq:
                del self._stories[live_pk]

    def wait(self, live_pk: int, since: int, timeout: float) -> tuple[int, bytes]:
        """The events after ``since`` as SSE bytes with the number they bring the reader to,
        waiting up to ``timeout`` seconds for some; ``(since, b"")`` when none came."""
        deadline = time.monotonic() + timeout
        epoch = self.epoch
        while True:
            with self._cond:
                if self.epoch != epoch:
                    return since, b""
                story = self._stories.setdefault(live_pk, _Story())
                if story.seq > since and story.floor <= since:
                    chunk = b"".join(c for seq, c in story.events if seq > since)
                    return story.seq, chunk
                if story.seq > since:
                    break  # further behind than what is kept: read it directly
                now = time.monotonic()
                if now >= deadline:
                    return since, b""
                if story.polling or now - story.polled < self.interval:
                    wake = min(deadline, story.polled + self.interval) - now
                    self._cond.wait(max(wake, 0.01))
                    continue
                story.polling = True
            try:
                self._poll(live_pk, story)
            finally:
                with self._cond:
                    story.polling = False
                    story.polled = time.monotonic()
                    self._cond.notify_all()
        seq, chunks = events.changes_since(live_pk, since)
        return seq, b"".join(c for _seq, c in chunks)

    def _poll(self, live_pk: int, story: _Story) -> None:
        from khabar.live.models import LiveStory

        self.polls += 1
        now = LiveStory.objects.filter(pk=live_pk).values_list("seq", flat=True).first()
        if now is None or now == story.seq:
            return
        if now < story.seq:
            story.seq = -1  # an earlier story of this id: start again from this number
        if story.seq < 0:
            # First look at this story: nothing kept yet; readers behind read directly.
            with self._cond:
                story.seq = story.floor = now
                story.events = []
            return
        seq, chunks = events.changes_since(live_pk, story.seq)
        with self._cond:
            story.events = (story.events + chunks)[-KEEP:]
            if len(story.events) == KEEP:
                story.floor = story.events[0][0] - 1
            story.seq = seq


_hub = Hub()


def get() -> Hub:
    return _hub


def nudge() -> None:
    _hub.nudge()
