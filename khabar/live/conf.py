"""The live app's settings, read lazily so ``override_settings`` reaches them."""

from django.conf import settings


def hold() -> float:
    """Seconds one stream stays open before the browser reconnects (from its last event)."""
    return float(getattr(settings, "KHABAR_LIVE_HOLD", 25))


def heartbeat() -> float:
    """Seconds between keep-alive comments on an idle stream (proxies drop silent ones)."""
    return float(getattr(settings, "KHABAR_LIVE_HEARTBEAT", 10))


def retry_ms() -> int:
    """How long a browser waits before reconnecting a stream that closed."""
    return int(getattr(settings, "KHABAR_LIVE_RETRY_MS", 1000))


def poll_seconds() -> int:
    """How often a page without a stream polls for updates."""
    return int(getattr(settings, "KHABAR_LIVE_POLL_SECONDS", 5))


def ticker_seconds() -> int:
    """How often an open page asks whether the urgent ticker changed."""
    return int(getattr(settings, "KHABAR_LIVE_TICKER_SECONDS", 30))


def stream() -> bool:
    """Whether readers' pages open a server-sent events stream (else they poll)."""
    return bool(getattr(settings, "KHABAR_LIVE_STREAM", True))


def stream_process() -> bool:
    """Whether a dedicated stream process (``khabar.live.asgi``) serves the streams: the app's
    own view then opens none, so no page worker is ever held by a reader."""
    return bool(getattr(settings, "KHABAR_LIVE_STREAM_PROCESS", False))


def stream_max() -> int:
    """Streams one stream process holds at most; past it a reader is told to poll (503)."""
    return int(getattr(settings, "KHABAR_LIVE_STREAM_MAX", 2000))
