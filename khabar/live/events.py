"""What a reader's page receives about a live story: each changed update as rendered HTML.

The same payloads serve the stream (one SSE event each, its id the change number) and the
polling answer (a JSON list). They are rendered in the story's edition, so a Persian page
gets Persian digits and its own time zone whoever asked first.
"""

from __future__ import annotations

from typing import Any

import orjson
from django.template.loader import render_to_string
from django.utils import translation

from khabar.live.models import LiveStory, LiveUpdate
from khabar.site.editions import get_edition

#: How many changed updates the polling answer carries (a reader further behind reloads).
POLL_WINDOW = 30


def shown_photo(update: LiveUpdate) -> Any:
    """The update's photo as the photo templates show it, or None (not ready, none)."""
    from khabar.photos.display import ShownPhoto

    photo = update.photo
    if photo is None:
        return None
    renditions = list(photo.renditions.order_by("width"))
    if not renditions:
        return None
    return ShownPhoto(photo, photo.caption, "gallery", renditions)


def render_update(update: LiveUpdate, lang: str) -> str:
    with translation.override(lang):
        return render_to_string(
            "live/_update.html",
            {"update": update, "photo": shown_photo(update), "edition": get_edition(lang)},
        )


def payload(update: LiveUpdate, lang: str) -> dict[str, Any]:
    return {
        "id": update.pk,
        "seq": update.seq,
        "pinned": update.pinned,
        "html": render_update(update, lang),
    }


def state_payload(live: LiveStory) -> dict[str, Any]:
    return {"seq": live.seq, "state": live.state}


def changes_since(live_pk: int, since: int) -> tuple[int, list[tuple[int, bytes]]]:
    """The story's change number now, and one SSE event per update changed after ``since``
    followed by the story's state (so a reader's last event id is the story's number)."""
    live = LiveStory.objects.select_related("article").only("seq", "state", "article__lang")
    found = live.filter(pk=live_pk).first()
    if found is None:
        return since, []
    lang = found.article.lang
    chunks = [
        (u.seq, sse("update", u.seq, payload(u, lang)))
        for u in LiveUpdate.objects.filter(live_id=live_pk).changed_since(since)
    ]
    chunks.append((found.seq, sse("state", found.seq, state_payload(found))))
    return found.seq, chunks


def sse(event: str, seq: int, data: dict[str, Any]) -> bytes:
    return b"id: %d\nevent: %s\ndata: %s\n\n" % (seq, event.encode(), orjson.dumps(data))
