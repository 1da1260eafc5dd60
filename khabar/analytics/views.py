"""The read beacon: ``/hit/<pk>`` counts a read of a story and is never cached."""

from __future__ import annotations

import base64

from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from khabar.analytics.counter import record_read, story_for_hit
from khabar.analytics.readers import is_bot, is_prefetch, reader_key

# The smallest transparent GIF, for the <noscript> image.
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


@csrf_exempt  # a beacon carries no token; the worst it can do is one read per reader
@never_cache
@require_http_methods(["GET", "POST"])
def hit(request: HttpRequest, pk: int) -> HttpResponse:
    """Count the read (unless a robot, a prefetch or a repeat) and answer the same either way."""
    if not (is_bot(request.headers.get("User-Agent", "")) or is_prefetch(request)):
        story = story_for_hit(pk)
        if story is not None:
            record_read(story, reader_key(request, pk))
    if request.method == "GET":
        return HttpResponse(PIXEL, content_type="image/gif")
    return HttpResponse(status=204)
