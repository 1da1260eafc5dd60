"""Who counts as a reader: robots are not, and a reader counts once per story per window."""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from functools import cache

from django.conf import settings
from django.http import HttpRequest

from khabar.analytics import conf
from khabar.site.clientip import client_ip

# Crawlers, link previews, monitors and command-line clients. Matched anywhere, any case.
BOT_WORDS = (
    r"bot|crawl|spider|slurp|preview|fetch|scan|monitor|check|curl|wget|httpie|"
    r"python-requests|python-urllib|aiohttp|httpx|go-http-client|okhttp|java/|libwww|"
    r"headless|phantomjs|lighthouse|pagespeed|wrk|ab/|siege|locust|facebookexternalhit|"
    r"whatsapp|telegram|embedly|quora link|pinterest|mediapartners|feedfetcher"
)


@cache
def _bot_pattern(extra: str) -> re.Pattern[str]:
    return re.compile(BOT_WORDS + (f"|{extra}" if extra else ""), re.IGNORECASE)


def is_bot(user_agent: str) -> bool:
    """A robot, by its user agent; a request without one is taken for a robot too."""
    user_agent = user_agent.strip()
    return not user_agent or bool(_bot_pattern(conf.EXTRA_BOTS).search(user_agent))


def is_prefetch(request: HttpRequest) -> bool:
    """A speculative load (link prefetch, prerender) that the reader may never see."""
    purpose = request.headers.get("Sec-Purpose", "") or request.headers.get("Purpose", "")
    return "prefetch" in purpose.lower()


def reader_key(request: HttpRequest, pk: int, *, now: float | None = None) -> str:
    """A keyed hash of address, browser, story and time window: nothing that names the reader.

    It lives only as a cache key with a time-to-live, so the address is never stored.
    """
    window = int((now if now is not None else time.time()) // (conf.REPEAT_HOURS * 3600))
    text = f"{client_ip(request)}|{request.headers.get('User-Agent', '')}|{pk}|{window}"
    secret = settings.SECRET_KEY.encode()
    return hmac.new(secret, f"read:{text}".encode(), hashlib.sha256).hexdigest()[:32]
