"""The demo receiving endpoint: the site as its own subscriber, so that ``make run`` shows
delivery end to end. It checks the signature as any subscriber would (the recipe in the
docs), records what it got (the desk lists it under *Demo receipts*) and answers 204."""

from __future__ import annotations

import time

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from khabar.distribution.actions import signing_secrets
from khabar.distribution.models import Destination, Receipt, Transport
from khabar.distribution.signing import verify

MAX_BODY = 2 * 1024 * 1024


@csrf_exempt
@require_POST
def receive(request: HttpRequest, destination_id: int) -> HttpResponse:
    destination = get_object_or_404(Destination, pk=destination_id, transport=Transport.WEBHOOK)
    body = request.body[: MAX_BODY + 1]
    if len(body) > MAX_BODY:
        return HttpResponse(status=413)
    headers = {name: request.headers.get(name, "") for name in _HEADERS}
    if not verify(signing_secrets(destination), headers, body, now=int(time.time())):
        return HttpResponse("bad signature", status=401, content_type="text/plain")
    webhook_id = headers["webhook-id"]
    Receipt.objects.create(
        destination=destination,
        webhook_id=webhook_id,
        duplicate=Receipt.objects.filter(destination=destination, webhook_id=webhook_id).exists(),
        verified=True,
        event=request.headers.get("khabar-event", "")[:20],
        content_type=request.content_type or "",
        body=body.decode("utf-8", "replace"),
    )
    return HttpResponse(status=204)


_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")
