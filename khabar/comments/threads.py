"""Thread keys and comment policies: which discussions exist and whether they are open."""

from __future__ import annotations

import datetime
import re

from django.utils import timezone

from khabar.articles.models import Article
from khabar.comments import conf
from khabar.comments.errors import CommentError
from khabar.comments.models import Policy, Thread

_ARTICLE_KEY = re.compile(r"article:([1-9][0-9]{0,17})\Z")
# site:<name>:<page key>; the page key is chosen by the embedding page.
_SITE_KEY = re.compile(r"site:([A-Za-z0-9_-]{1,40}):([^\s<>\"']{1,150})\Z")


def article_of(key: str) -> Article | None:
    """The published story a key names, or None (also for site keys)."""
    match = _ARTICLE_KEY.match(key)
    if not match:
        return None
    return Article.objects.published().select_related("section").filter(pk=int(match[1])).first()


def site_of(key: str) -> str | None:
    """The configured site a ``site:`` key belongs to, or None."""
    match = _SITE_KEY.match(key)
    if not match or match[1] not in conf.SITES:
        return None
    return match[1]


def key_is_valid(key: str) -> bool:
    return bool(_ARTICLE_KEY.match(key) or _SITE_KEY.match(key))


def resolve_thread(key: str, *, create: bool) -> Thread | None:
    """The thread for ``key``; created on first use when ``create``.

    Raises ``thread-unknown`` for a key naming no published story and no configured site.
    """
    thread = Thread.objects.select_related("article", "article__section").filter(key=key).first()
    if thread is not None:
        if thread.article_id is not None and not thread.article.is_live:
            raise CommentError("thread-unknown")
        return thread
    article = article_of(key)
    site = None if article else site_of(key)
    if article is None and site is None:
        raise CommentError("thread-unknown")
    if not create:
        return None
    thread, _ = Thread.objects.get_or_create(
        key=key,
        defaults={
            "article": article,
            "site": site or "",
            "title": article.headline if article else "",
        },
    )
    if article is not None:
        thread.article = article
    return thread


def thread_tags(key: str) -> list[str]:
    """The purge tag of the pages showing a thread: its story's (a:<pk>), else c:<key>.

    The API's cached thread pages are kept under it; every change a reader could see
    purges it (comment actions here, story actions for a:<pk>).
    """
    match = _ARTICLE_KEY.match(key)
    return [f"a:{match[1]}"] if match else [f"c:{key}"]


def closes_at(thread: Thread) -> datetime.datetime | None:
    """When the thread closes by age (KHABAR_COMMENT_CLOSE_AFTER_DAYS), or None."""
    article = thread.article
    if thread.policy or article is None or not conf.CLOSE_AFTER_DAYS or not article.published_at:
        return None
    return article.published_at + datetime.timedelta(days=conf.CLOSE_AFTER_DAYS)


def policy_of(thread: Thread, *, now: datetime.datetime | None = None) -> str:
    """pre, post or closed: the thread's own, else the story's, else its section's."""
    if thread.policy:
        return thread.policy
    article = thread.article
    if article is None:
        return Policy.PRE
    policy = article.comment_policy or article.section.comment_policy or Policy.PRE
    closes = closes_at(thread)
    if policy != Policy.CLOSED and closes is not None and (now or timezone.now()) >= closes:
        return Policy.CLOSED
    return policy
