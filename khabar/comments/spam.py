"""Spam defences: a honeypot, a signed form time-stamp and a pluggable checker.

The checker (Akismet-style) is off unless KHABAR_COMMENT_SPAM_CHECKER names one; nothing
here touches the network otherwise.
"""

from __future__ import annotations

import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.core import signing
from django.utils.module_loading import import_string

from khabar.comments import conf

_SALT = "khabar.comments.form"
#: The honeypot's field name: a field people never see (hidden by CSS) but bots fill in.
HONEYPOT = "website"


@dataclass(frozen=True)
class Submission:
    """What a checker sees of a comment."""

    text: str
    author: str
    email: str
    ip: str
    user_agent: str
    referrer: str
    permalink: str


class SpamChecker(Protocol):
    def is_spam(self, submission: Submission) -> bool: ...


def make_stamp(thread_key: str, *, now: float | None = None, key: str | None = None) -> str:
    """A signed time-stamp for a rendered form (signed with ``key``, a site's secret key,
    instead of this process's own when given: tests of other processes need it)."""
    data = {"k": thread_key, "t": int(time.time() if now is None else now)}
    if key is not None:
        # Another site's key: this process's settings (and their fallbacks) play no part.
        return signing.TimestampSigner(key=key, salt=_SALT, fallback_keys=[]).sign_object(data)
    return signing.dumps(data, salt=_SALT)


def stamp_problem(stamp: str, thread_key: str, *, now: float | None = None) -> str:
    """ "" when the stamp is good; otherwise "invalid", "too-fast" or "expired"."""
    try:
        data = signing.loads(stamp, salt=_SALT)
    except signing.BadSignature:
        return "invalid"
    if not isinstance(data, dict) or data.get("k") != thread_key:
        return "invalid"
    elapsed = (time.time() if now is None else now) - int(data.get("t", 0))
    if elapsed < conf.MIN_SUBMIT_SECONDS:
        return "too-fast"
    # Story pages (and their forms) may be served from a cache for a long time.
    if elapsed > 90 * 24 * 3600:
        return "expired"
    return ""


def get_checker() -> SpamChecker | None:
    """The configured checker, or None (the default)."""
    if not conf.SPAM_CHECKER:
        return None
    return import_string(conf.SPAM_CHECKER)()


class AkismetChecker:
    """Asks Akismet (or a compatible service) whether a comment is spam."""

    endpoint = "https://{key}.rest.akismet.com/1.1/comment-check"

    def __init__(self) -> None:
        if not conf.AKISMET_KEY:
            raise RuntimeError("KHABAR_AKISMET_KEY must be set to use the Akismet checker")
        self.key = conf.AKISMET_KEY

    def is_spam(self, submission: Submission) -> bool:
        data = urllib.parse.urlencode(
            {
                "blog": settings.SITE_URL,
                "user_ip": submission.ip,
                "user_agent": submission.user_agent,
                "referrer": submission.referrer,
                "permalink": submission.permalink,
                "comment_type": "comment",
                "comment_author": submission.author,
                "comment_author_email": submission.email,
                "comment_content": submission.text,
                "blog_lang": "ar",
                "blog_charset": "UTF-8",
            }
        ).encode()
        request = urllib.request.Request(self.endpoint.format(key=self.key), data=data)
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return response.read().strip() == b"true"
        except OSError:
            # The service is down: let moderation decide rather than lose the comment.
            return False
