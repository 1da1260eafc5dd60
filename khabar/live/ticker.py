"""The urgent ticker on every reader page: the edition's flash and urgent stories of the
last day. Pages that show it carry the tag ``k:<lang>``; publishing, correcting, withdrawing
or restoring an urgent story purges it (after commit), and open pages refresh it by
themselves from ``/live/ticker/<lang>.json``.
"""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from khabar.articles.models import Article, Urgency
from khabar.site import pagecache

WINDOW = timedelta(hours=24)
_changes = itertools.count()
_version = 0
SIZE = 8


def stories(lang: str) -> list[Article]:
    now = timezone.now()
    return list(
        Article.objects.published(now)
        .in_edition(lang)
        .filter(urgency__lte=Urgency.URGENT, published_at__gte=now - WINDOW)
        .only("pk", "lang", "slug", "headline", "urgency", "published_at")
        .order_by("urgency", "-published_at")[:SIZE]
    )


def items(lang: str) -> list[dict[str, Any]]:
    return [
        {"url": a.get_absolute_url(), "headline": a.headline, "flash": a.urgency == Urgency.FLASH}
        for a in stories(lang)
    ]


def story_changed(article: Any, event: str) -> None:
    """Story hook: an urgent story came, changed or went, so every page's ticker is stale."""
    # The ticker lists headlines: a live update changes none.
    if article.urgency > Urgency.URGENT or event == "live_updated":
        return
    lang = article.lang

    def purge() -> None:
        global _version
        _version = next(_changes) + 1
        pagecache.purge_keys([f"k:{lang}"])

    transaction.on_commit(purge)


def local_version() -> int:
    """How many urgent changes this process has seen (keys its cached tickers)."""
    return _version
