"""The worker's periodic jobs: what runs by the clock rather than because a request asked.

Each job is a function that does its work and returns how many things it did (0 when there
was nothing to do). ``PERIODIC`` says how often each runs; a job that found work runs again
at the next tick, so a backlog (several large photos) drains without waiting for its period.
"""

from __future__ import annotations

import datetime
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from khabar.analytics.counter import prune
from khabar.articles.actions import prune_revisions, publish_due_articles
from khabar.articles.models import Article, Status
from khabar.distribution.sender import OutboxSender
from khabar.photos.actions import render_pending_photos
from khabar.site import actors, proxy, purge_soon
from khabar.syndication.actions import poll_providers_job

log = logging.getLogger("khabar.worker")

#: Makes the renditions of large uploads, and may do nothing else.
PHOTO_RENDERER = actors.system("photo-renderer", {"photos.change_photo"})


class ScheduledStories:
    """Publish scheduled stories and lift embargoes on time, with one cheap query a tick.

    Each tick asks whether a scheduled story's time fell since the last tick (a range on
    the ``published_at`` index) or the next known embargo has lifted; only then does it run
    ``publish_due_articles``, which does the work and its cache purges. A full sweep every
    ``SWEEP_SECONDS`` (and at start) catches what the window cannot see: a story scheduled
    for a time already past when its transaction committed, or one missed while no worker
    ran; the sweep also finds the next embargo to lift (an embargo set on the desk since the
    last sweep lifts at the next one, within a minute, as it did with a cron job).
    """

    SWEEP_SECONDS = 60.0
    # A story committed a moment after its time still falls in the window.
    SLACK = datetime.timedelta(seconds=5)

    def __init__(self) -> None:
        self.checked: datetime.datetime | None = None
        #: Embargoes lifted up to this time had their pages purged (None: not yet known).
        self.lifted_to: datetime.datetime | None = None
        self.next_lift: datetime.datetime | None = None
        self.swept_at = float("-inf")

    def __call__(self) -> int:
        now = timezone.now()
        sweep = time.monotonic() - self.swept_at >= self.SWEEP_SECONDS
        published = 0
        if sweep or self._due(now):
            for story in publish_due_articles(now=now, lifted_since=self.lifted_to):
                log.info("published story %s at %s", story.pk, story.published_at.isoformat())
                published += 1
            self.lifted_to = now
            if sweep or (self.next_lift is not None and self.next_lift <= now):
                self.next_lift = (
                    Article.objects.filter(embargo_until__gt=now)
                    .order_by("embargo_until")
                    .values_list("embargo_until", flat=True)
                    .first()
                )
                self.swept_at = time.monotonic()
        self.checked = now
        return published

    def _due(self, now: datetime.datetime) -> bool:
        if self.next_lift is not None and self.next_lift <= now:
            return True
        since = (self.checked or now) - self.SLACK
        return Article.objects.filter(
            status=Status.SCHEDULED, published_at__gt=since, published_at__lte=now
        ).exists()


def render_photos() -> int:
    """Make the renditions of one large upload waiting for them (claimed, so never twice)."""
    return render_pending_photos(actor=PHOTO_RENDERER, limit=1)


def purge_addresses() -> int:
    """Forget client addresses older than KHABAR_IP_RETENTION_DAYS (``khabar purge_ips``)."""
    call_command("purge_ips", stdout=_LogWriter("purge_ips"))
    return 0  # the command logs what it cleared; once a day is enough either way


class RevisionPruner:
    """Apply the revision retention policy (``khabar prune_revisions``) once a day, one batch
    of stories per tick, so a million-story archive never holds up deliveries or
    scheduled stories: while the walk goes on the job says it found work and runs again at
    the next tick; at its end it rests for the day."""

    def __init__(self) -> None:
        self.after = 0
        self.deleted = 0

    def __call__(self) -> int:
        pruned = prune_revisions(
            actor=actors.REVISION_PRUNER,
            keep_days=settings.KHABAR_REVISION_KEEP_DAYS,
            keep_last=settings.KHABAR_REVISION_KEEP_LAST,
            after=self.after,
            batches=1,
        )
        self.deleted += pruned.deleted
        if not pruned.done:
            self.after = pruned.last
            return 1
        if self.deleted:
            log.info("prune-revisions: deleted %d old revisions", self.deleted)
        self.after = self.deleted = 0
        return 0


def prune_read_counters() -> int:
    """Drop hourly "most read" counters older than KHABAR_MOST_READ_KEEP_DAYS.

    The app processes write their own waiting reads (every KHABAR_MOST_READ_FLUSH_SECONDS
    and at exit); this process counts none, so only the pruning is left to it.
    """
    return prune()


class _LogWriter:
    """A stdout for a management command that sends its lines to the worker's log."""

    def __init__(self, name: str) -> None:
        self.name = name

    def write(self, text: str) -> None:
        if text.strip():
            log.info("%s: %s", self.name, text.strip())

    def flush(self) -> None:
        pass


@dataclass(frozen=True)
class Periodic:
    name: str
    every: float  # seconds between runs that found nothing to do
    run: Callable[[], int]


def periodic_jobs() -> list[Periodic]:
    """A fresh set of the periodic jobs (``ScheduledStories`` keeps state per worker)."""
    return [
        Periodic("publish-scheduled", 1.0, ScheduledStories()),
        # Deliveries to subscribers: looked for often, since publish-to-delivered is measured.
        Periodic("send-deliveries", 0.1, OutboxSender()),
        Periodic("render-photos", 2.0, render_photos),
        # Purges a node's nginx missed (it did not answer): tried again until it takes them.
        Periodic("retry-purges", 1.0, proxy.retry_failed_purges),
        # Related boxes a new story joins: purged when due, at most once per DELAY a box.
        Periodic("purge-soon", 1.0, purge_soon.purge_due),
        # Partners' feeds and folders an editor configured, and the pictures they name.
        Periodic("poll-providers", 5.0, poll_providers_job),
        Periodic("prune-read-counters", 3600.0, prune_read_counters),
        Periodic("purge_ips", 86400.0, purge_addresses),
        Periodic("prune-revisions", 86400.0, RevisionPruner()),
    ]
