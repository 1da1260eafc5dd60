"""Template tags that show live stories and the urgent ticker on reader pages."""

from __future__ import annotations

import time
from typing import Any

from django import template
from django.conf import settings
from django.core.cache import caches
from django.template.loader import render_to_string

from khabar.live import conf, events, ticker
from khabar.live.models import LiveStory
from khabar.site import pagecache

register = template.Library()


@register.simple_tag(takes_context=True)
def urgent_ticker(context: template.Context) -> str:
    """The urgent ticker, cached per edition and purge generation (``k:<lang>``).

    A page already declared cacheable also carries ``k:<lang>``, so a new urgent story purges
    it; a page that is not (a preview, a search) is not made cacheable here.
    """
    edition = context.get("edition")
    request = context.get("request")
    if edition is None:
        return ""
    lang = edition.code
    if request is not None and getattr(request, "cache_tags", None):
        pagecache.tag_request(request, f"k:{lang}")
    # Shared purge generations when there are any; else this process's own count of urgent
    # changes (a purge it did not see lags by the minute at most).
    stamp = pagecache.stamp([f"k:{lang}"]) if settings.KHABAR_FRAGMENT_CACHE else ""
    stamp = stamp or f"local{ticker.local_version()}"
    key = f"ticker:{lang}:{stamp}:{conf.ticker_seconds()}:{int(time.time() // 60)}"
    store = caches["fragments"]
    if (hit := store.get(key)) is not None:
        return str(hit)
    html = render_to_string(
        "live/_ticker.html",
        {"items": ticker.stories(lang), "edition": edition, "every": conf.ticker_seconds()},
        request=None,
    )
    store.set(key, html, 120)
    return html


@register.inclusion_tag("live/_live.html", takes_context=True)
def live_updates(context: template.Context, article: Any) -> dict[str, Any]:
    """A live story's updates (pinned first, then newest first) with what the page's script
    needs to follow them; nothing for a story that is not live."""
    live = LiveStory.objects.filter(article_id=article.pk).first()
    if live is None:
        return {"live": None}
    updates = list(live.updates.for_page())
    return {
        "live": live,
        "article": article,
        "updates": [(u, events.shown_photo(u) if u.photo_id else None) for u in updates],
        "edition": context.get("edition"),
        "poll_seconds": conf.poll_seconds(),
        "stream": conf.stream(),
    }
