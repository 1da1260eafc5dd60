"""Settings of "most read", read from ``django.conf.settings`` at call time.

``conf.SIZE`` is ``settings.KHABAR_MOST_READ_SIZE`` whenever it is read, so
``override_settings`` reaches every caller; settings.py reads the environment.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

#: ``conf.NAME`` → the setting it reads (documented in settings.py).
SETTINGS = {
    "SIZE": "KHABAR_MOST_READ_SIZE",
    "HOURS": "KHABAR_MOST_READ_HOURS",
    "REPEAT_HOURS": "KHABAR_MOST_READ_REPEAT_HOURS",
    "FLUSH_SECONDS": "KHABAR_MOST_READ_FLUSH_SECONDS",
    "FLUSH_HITS": "KHABAR_MOST_READ_FLUSH_HITS",
    "KEEP_DAYS": "KHABAR_MOST_READ_KEEP_DAYS",
    "EXTRA_BOTS": "KHABAR_MOST_READ_EXTRA_BOTS",
}


# What each name above is (the type of its setting), for the type checker and for
# tests/test_conf_types.py; the values come from __getattr__ below.
SIZE: int
HOURS: int
REPEAT_HOURS: int
FLUSH_SECONDS: int
FLUSH_HITS: int
KEEP_DAYS: int
EXTRA_BOTS: str


def __getattr__(name: str) -> Any:
    if name not in SETTINGS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(settings, SETTINGS[name])
