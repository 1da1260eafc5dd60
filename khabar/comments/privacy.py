"""Readers' data requests and address retention: export, purge old address hashes.

Erasing a reader's comments is a write, so it is ``actions.erase_comments``.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone

from khabar.comments.actions import comments_of
from khabar.comments.models import Comment, Like


def export_comments(email: str) -> dict[str, Any]:
    """What khabar holds about the writer of ``email``: their comments, as JSON-ready data."""
    rows = comments_of(email).select_related("thread", "thread__article").order_by("created_at")
    return {
        "email": email.strip(),
        "exported_at": timezone.now().isoformat(),
        "comments": [
            {
                "id": c.pk,
                "thread": c.thread.key,
                "page": (
                    c.thread.article.get_absolute_url()
                    if c.thread.article_id is not None
                    else c.thread.url
                ),
                "in_reply_to": c.parent_id,
                "name": c.author_name,
                "email": c.email,
                "text": c.text,
                "status": c.status,
                "posted": c.created_at.isoformat(),
                "edited": c.edited_at.isoformat() if c.edited_at else None,
                "likes": c.likes,
                "email_me_replies": c.notify_replies,
                "address_kept": bool(c.ip_hash),
            }
            for c in rows
        ],
    }


def purge_addresses(*, older_than_days: int, now: datetime.datetime | None = None) -> int:
    """Forget the address hash of comments older than this; returns how many were cleared."""
    cutoff = (now or timezone.now()) - datetime.timedelta(days=older_than_days)
    Like.objects.filter(created_at__lt=cutoff).exclude(ip_hash="").update(ip_hash="")
    return Comment.objects.filter(created_at__lt=cutoff).exclude(ip_hash="").update(ip_hash="")
