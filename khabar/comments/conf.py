"""Settings of the comment engine, read from ``django.conf.settings`` at call time.

``conf.PAGE_SIZE`` is ``settings.KHABAR_COMMENT_PAGE_SIZE`` whenever it is read, so
``override_settings`` (or pytest-django's ``settings``) reaches every caller; settings.py
reads the environment (see .env.example). The names below without a setting are fixed.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

MAX_NAME_LENGTH = 80
#: Likes and reports, each counted per address and per voter (a reader id is the client's
#: choice, the address is not).
RATE_LIKES = (20, 60)
RATE_REPORTS = (5, 60)
#: A like purges its thread's pages at most once in this many seconds: the count a cached
#: page shows lags by at most this (or the cache's TTL when no other like follows).
LIKE_PURGE_SECONDS = 60

#: ``conf.NAME`` → the setting it reads (documented in settings.py).
SETTINGS = {
    "INDENT_DEPTH": "KHABAR_COMMENT_INDENT_DEPTH",
    "PAGE_SIZE": "KHABAR_COMMENT_PAGE_SIZE",
    "REPLIES_PER_PAGE": "KHABAR_COMMENT_REPLIES_PER_PAGE",
    "MAX_PER_PAGE": "KHABAR_COMMENT_MAX_PER_PAGE",
    "EDIT_MINUTES": "KHABAR_COMMENT_EDIT_MINUTES",
    "CLOSE_AFTER_DAYS": "KHABAR_COMMENT_CLOSE_AFTER_DAYS",
    "MIN_LENGTH": "KHABAR_COMMENT_MIN_LENGTH",
    "MAX_LENGTH": "KHABAR_COMMENT_MAX_LENGTH",
    "LINKS_NEED_APPROVAL": "KHABAR_COMMENT_LINKS_PENDING",
    "MIN_SUBMIT_SECONDS": "KHABAR_COMMENT_MIN_SUBMIT_SECONDS",
    "RATELIMIT": "KHABAR_RATELIMIT",
    "RATE_PER_IP": "KHABAR_COMMENT_RATE_PER_IP",
    "RATE_PER_THREAD": "KHABAR_COMMENT_RATE_PER_THREAD",
    "DUPLICATE_SECONDS": "KHABAR_COMMENT_DUPLICATE_SECONDS",
    "SITES": "KHABAR_COMMENT_SITES",
    "SPAM_CHECKER": "KHABAR_COMMENT_SPAM_CHECKER",
    "AKISMET_KEY": "KHABAR_AKISMET_KEY",
    "MODERATOR_ALERT_EVERY": "KHABAR_COMMENT_MODERATOR_ALERT_EVERY",
}


# What each name above is (the type of its setting), for the type checker and for
# tests/test_conf_types.py; the values come from __getattr__ below.
INDENT_DEPTH: int
PAGE_SIZE: int
REPLIES_PER_PAGE: int
MAX_PER_PAGE: int
EDIT_MINUTES: int
CLOSE_AFTER_DAYS: int
MIN_LENGTH: int
MAX_LENGTH: int
LINKS_NEED_APPROVAL: bool
MIN_SUBMIT_SECONDS: int
RATELIMIT: bool
RATE_PER_IP: tuple[int, int]
RATE_PER_THREAD: tuple[int, int]
DUPLICATE_SECONDS: int
SITES: dict[str, str]
SPAM_CHECKER: str
AKISMET_KEY: str
MODERATOR_ALERT_EVERY: int


def __getattr__(name: str) -> Any:
    if name not in SETTINGS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(settings, SETTINGS[name])
