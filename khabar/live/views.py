"""A live story's stream (server-sent events), its polling answer, and the urgent ticker's.

The story page itself stays cached whole (``a:<pk>``, purged by every change); these
answers carry only what changed. The stream is never stored by any cache; the polling and
ticker answers are the same for every reader, so they are cached and purged by tag like a
page (``live:<pk>``, ``k:<lang>``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.views.decorators.http import require_GET

from khabar.articles.access import access_published_article
from khabar.live import conf, events, hub, ticker
from khabar.live.models import LiveStory, LiveUpdate
from khabar.site.editions import get_edition
from khabar.site.pagecache import tag_request

logger = logging.getLogger(__name__)


def _live_story(pk: int) -> LiveStory:
    """The live story of a story readers can see; 404 otherwise."""
    article = access_published_article(pk)
    try:
        return LiveStory.objects.get(article=article)
    except LiveStory.DoesNotExist:
        raise Http404("not a live story") from None


def _since(request: HttpRequest) -> int:
    raw = request.headers.get("Last-Event-ID") or request.GET.get("since") or "0"
    try:
        return max(int(raw), 0)
    except ValueError:
        return 0


@require_GET
def stream(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    """Server-sent events: what changed after the reader's last event, then each change as
    it happens, for ``conf.hold()`` seconds; the browser then reconnects where it stopped.
    This is the embedded profile's (``make run``); production's stream process serves the
    same events from asyncio (``khabar.live.streams``). Off (404) where streams are not
    served here: nobody may hold a production page worker open."""
    if not conf.stream() or conf.stream_process():
        raise Http404("live updates are polled here")
    live = _live_story(pk)
    since = _since(request)
    live_pk = live.pk
    hub.get().check(live_pk, live.seq)

    def events_of() -> Iterator[bytes]:
        yield b"retry: %d\n\n" % conf.retry_ms()
        seq = since
        end = time.monotonic() + conf.hold()
        epoch = hub.get().epoch
        while (left := end - time.monotonic()) > 0:
            try:
                seq_now, chunk = hub.get().wait(live_pk, seq, min(conf.heartbeat(), left))
            except Exception as error:
                # A database restarting or busy: end this stream; the browser comes back
                # from its last event after ``retry``, or polls meanwhile.
                logger.warning("live stream %s ended: %s", live_pk, error)
                return
            if hub.get().epoch != epoch:
                return
            if chunk:
                seq = seq_now
                yield chunk
            else:
                yield b": keep-alive\n\n"

    response = StreamingHttpResponse(events_of(), content_type="text/event-stream")
    response.headers["Cache-Control"] = "no-cache, no-store"
    # nginx passes each event on at once instead of filling its buffer first.
    response.headers["X-Accel-Buffering"] = "no"
    return response


@require_GET
def updates(request: HttpRequest, pk: int) -> JsonResponse:
    """The polling fallback: the latest changes, the same for every reader (cached)."""
    live = _live_story(pk)
    lang = live.article.lang
    changed = list(
        LiveUpdate.objects.filter(live=live)
        .select_related("photo")
        .order_by("-seq")[: events.POLL_WINDOW]
    )
    tag_request(request, f"live:{live.article_id}")
    return JsonResponse(
        {
            **events.state_payload(live),
            "updates": [events.payload(u, lang) for u in reversed(changed)],
        }
    )


@require_GET
def ticker_json(request: HttpRequest, edition: str) -> HttpResponse:
    """The urgent ticker's items for an edition (cached; purged when one comes or goes)."""
    get_edition(edition)
    tag_request(request, f"k:{edition}")
    return JsonResponse({"items": ticker.items(edition)})
