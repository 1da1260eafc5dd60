"""Settings of the syndication app, read from ``django.conf.settings`` at call time.

``conf.FEED_SIZE`` is ``settings.KHABAR_FEED_SIZE`` whenever it is read, so
``override_settings`` reaches every caller; settings.py reads the environment.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

#: The most pictures one multipart POST /api/v1/ingest may carry (each up to the photo limit).
INGEST_MAX_PICTURES = 20
# Room for the multipart boundaries and part headers around the document and its pictures.
_MULTIPART_OVERHEAD = 64 * 1024

#: ``conf.NAME`` → the setting it reads (documented in settings.py).
SETTINGS = {
    "INGEST_MAX_BYTES": "KHABAR_INGEST_MAX_BYTES",
    "INGEST_FETCH_TIMEOUT": "KHABAR_INGEST_FETCH_TIMEOUT",
    "INGEST_FETCH_LOOPBACK": "KHABAR_INGEST_FETCH_LOOPBACK",
    "INGEST_VALIDATE_NEWSML": "KHABAR_INGEST_VALIDATE_NEWSML",
    "INGEST_VALIDATE_NINJS": "KHABAR_INGEST_VALIDATE_NINJS",
    "FEED_SIZE": "KHABAR_FEED_SIZE",
    "NEWSML_AUTHORITY": "KHABAR_NEWSML_AUTHORITY",
}


# What each name above is (the type of its setting), for the type checker and for
# tests/test_conf_types.py; the values come from __getattr__ below.
INGEST_MAX_BYTES: int
INGEST_FETCH_TIMEOUT: int
INGEST_FETCH_LOOPBACK: bool
INGEST_VALIDATE_NEWSML: bool
INGEST_VALIDATE_NINJS: bool
FEED_SIZE: int
NEWSML_AUTHORITY: str


def __getattr__(name: str) -> Any:
    if name not in SETTINGS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(settings, SETTINGS[name])


def ingest_request_max_bytes() -> int:
    """The largest multipart ingest request: the document and as many pictures as allowed."""
    from khabar.photos import conf as photo_conf

    pictures = INGEST_MAX_PICTURES * photo_conf.max_bytes()
    return int(settings.KHABAR_INGEST_MAX_BYTES) + pictures + _MULTIPART_OVERHEAD
