"""The last 24 hours as small bar charts, drawn as SVG on the server (no script, no service).

``hourly`` buckets timestamps into the hours before ``now``; ``bars`` lays the counts out as
rectangles for the ``desk/_chart.html`` partial.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Sum
from django.utils import timezone

from khabar.analytics.models import HourlyReads
from khabar.articles.models import Article, AuditEntry
from khabar.comments.models import Comment

HOURS = 24
WIDTH = 240
HEIGHT = 56


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: int
    hour: datetime.datetime


@dataclass(frozen=True)
class Chart:
    bars: list[Bar]
    total: int
    peak: int
    width: int = WIDTH
    height: int = HEIGHT


def hourly(stamps: Iterable[datetime.datetime | None], now: datetime.datetime) -> list[int]:
    """Counts per hour, oldest first: the last of the ``HOURS`` buckets ends at ``now``."""
    counts = [0] * HOURS
    for stamp in stamps:
        if stamp is None:
            continue
        ago = int((now - stamp).total_seconds() // 3600)
        if 0 <= ago < HOURS:
            counts[HOURS - 1 - ago] += 1
    return counts


def bars(counts: list[int], now: datetime.datetime, *, rtl: bool = False) -> Chart:
    """Rectangles for ``counts`` (oldest first); in a right-to-left desk time runs leftwards."""
    peak = max(counts, default=0)
    step = WIDTH / max(len(counts), 1)
    out = []
    for index, value in enumerate(counts):
        height = (HEIGHT - 2) * value / peak if peak else 0
        slot = len(counts) - 1 - index if rtl else index
        out.append(
            Bar(
                x=round(slot * step + 1, 2),
                y=round(HEIGHT - height, 2),
                width=round(step - 2, 2),
                height=round(height, 2),
                value=value,
                hour=now - datetime.timedelta(hours=len(counts) - index),
            )
        )
    return Chart(out, sum(counts), peak)


def last_day(
    editions: list[Any], *, rtl: bool, now: datetime.datetime | None = None
) -> dict[str, Any]:
    """Stories published per hour per edition, comments posted and moderated per hour, and
    the most read stories, over the last 24 hours."""
    now = now or timezone.now()
    since = now - datetime.timedelta(hours=HOURS)
    published: dict[str, list[datetime.datetime]] = {e.code: [] for e in editions}
    for lang, stamp in AuditEntry.objects.filter(
        action="publish", created_at__gte=since
    ).values_list("article__lang", "created_at"):
        published.setdefault(lang, []).append(stamp)
    posted = Comment.objects.filter(created_at__gte=since).values_list("created_at", flat=True)
    moderated = Comment.objects.filter(moderated_at__gte=since).values_list(
        "moderated_at", flat=True
    )
    reads = list(
        HourlyReads.objects.filter(hour__gte=since)
        .values("article")
        .annotate(n=Sum("count"))
        .order_by("-n")[:5]
    )
    titles = Article.objects.in_bulk([row["article"] for row in reads])
    top = max((row["n"] for row in reads), default=0)
    return {
        "published": [
            (edition, bars(hourly(published.get(edition.code, []), now), now, rtl=rtl))
            for edition in editions
        ],
        "posted": bars(hourly(posted, now), now, rtl=rtl),
        "moderated": bars(hourly(moderated, now), now, rtl=rtl),
        "most_read": [
            (titles[row["article"]], row["n"], round(100 * row["n"] / top) if top else 0)
            for row in reads
            if row["article"] in titles
        ],
    }
