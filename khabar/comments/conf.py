"""Settings of the comment engine, read from the environment (see .env.example).

Code reads them as ``conf.NAME`` at call time, so a test can monkeypatch one value.
"""

from __future__ import annotations

from khabar.lib.env import ConfigError, env_bool, env_int, env_list, env_str


def _rate(name: str, default: str) -> tuple[int, int]:
    """A rate written ``count/seconds`` (``5/60``: five per minute)."""
    value = env_str(name, default)
    try:
        count, seconds = (int(part) for part in value.split("/", 1))
    except ValueError:
        raise ConfigError(f"{name} must look like count/seconds, got {value!r}") from None
    if count < 1 or seconds < 1:
        raise ConfigError(f"{name} must be positive, got {value!r}")
    return count, seconds


def _sites(name: str) -> dict[str, str]:
    """``name=https://origin,…`` → {name: origin}."""
    sites: dict[str, str] = {}
    for item in env_list(name, []):
        site, sep, origin = item.partition("=")
        if not sep or not site.strip() or not origin.strip().startswith(("http://", "https://")):
            raise ConfigError(f"{name} items must look like name=https://origin, got {item!r}")
        sites[site.strip()] = origin.strip().rstrip("/")
    return sites


#: Replies indent up to this depth on the page; deeper ones show flat with "replying to".
INDENT_DEPTH = env_int("KHABAR_COMMENT_INDENT_DEPTH", 4)
#: Top-level comments per page (story page and API).
PAGE_SIZE = env_int("KHABAR_COMMENT_PAGE_SIZE", 10)
#: At most this many replies under one top-level comment per page; the rest behind "more".
REPLIES_PER_PAGE = env_int("KHABAR_COMMENT_REPLIES_PER_PAGE", 10)
#: At most this many comments in all on one page (0: four times PAGE_SIZE), so the first
#: page of a 5,000-comment thread is no bigger than that of a 200-comment one.
MAX_PER_PAGE = env_int("KHABAR_COMMENT_MAX_PER_PAGE", 0)
#: Minutes an author may edit or delete their comment.
EDIT_MINUTES = env_int("KHABAR_COMMENT_EDIT_MINUTES", 15)
#: Threads close this many days after the story's publication (0: never).
CLOSE_AFTER_DAYS = env_int("KHABAR_COMMENT_CLOSE_AFTER_DAYS", 30)
#: Characters, not bytes: "لا" is a valid comment with the default of 2.
MIN_LENGTH = env_int("KHABAR_COMMENT_MIN_LENGTH", 2)
MAX_LENGTH = env_int("KHABAR_COMMENT_MAX_LENGTH", 5000)
MAX_NAME_LENGTH = 80
#: Comments containing links wait for a moderator.
LINKS_NEED_APPROVAL = env_bool("KHABAR_COMMENT_LINKS_PENDING", True)
#: A form submitted sooner than this after it was rendered is a bot.
MIN_SUBMIT_SECONDS = env_int("KHABAR_COMMENT_MIN_SUBMIT_SECONDS", 3)
#: Rate limits (cache-backed); KHABAR_RATELIMIT=0 turns them off for benchmarks.
RATELIMIT = env_bool("KHABAR_RATELIMIT", True)
RATE_PER_IP = _rate("KHABAR_COMMENT_RATE_PER_IP", "5/60")
RATE_PER_THREAD = _rate("KHABAR_COMMENT_RATE_PER_THREAD", "60/60")
#: Likes and reports, each counted per address and per voter (a reader id is the client's
#: choice, the address is not).
RATE_LIKES = (20, 60)
RATE_REPORTS = (5, 60)
#: A like purges its thread's pages at most once in this many seconds: the count a cached
#: page shows lags by at most this (or the cache's TTL when no other like follows).
LIKE_PURGE_SECONDS = 60
#: Same text in the same thread within this many seconds is a duplicate.
DUPLICATE_SECONDS = env_int("KHABAR_COMMENT_DUPLICATE_SECONDS", 3600)
#: Sites allowed to embed the widget: name=https://origin,…
SITES = _sites("KHABAR_COMMENT_SITES")
#: Dotted path of a spam checker class (khabar.comments.spam.AkismetChecker); empty: off.
SPAM_CHECKER = env_str("KHABAR_COMMENT_SPAM_CHECKER", "")
AKISMET_KEY = env_str("KHABAR_AKISMET_KEY", "")
#: Moderators get an email each time the pending queue reaches a multiple of this (0: never).
MODERATOR_ALERT_EVERY = env_int("KHABAR_COMMENT_MODERATOR_ALERT_EVERY", 10)
