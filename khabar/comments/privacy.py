"""Readers' data requests and address retention: export, erase, purge old address hashes.

Erasing keeps the thread whole: the comment becomes a tombstone (status ``deleted``) with
its name, email, text and address hash blanked, so the replies of other readers stay. Their
words go from everywhere else too: the moderation log's notes (a matched banned word quotes
the text), the author's link in that log, the reports' reasons, and the likes' addresses.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from khabar.comments.actions import Actor, _audit, _require_moderator, count_change
from khabar.comments.models import AuditEntry, Comment, Like, Report, Status, Thread
from khabar.comments.threads import thread_tags
from khabar.site import pagecache


def comments_of(email: str) -> QuerySet[Comment]:
    """Every comment written with this email address, or by the account that has it."""
    email = email.strip()
    if not email:
        return Comment.objects.none()
    return Comment.objects.filter(Q(email__iexact=email) | Q(user__email__iexact=email))


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


#: Log entries written by the author (their account is linked there).
AUTHOR_ACTIONS = ("post", "edit", "delete")


def erase_comments(email: str, *, actor: Actor) -> int:
    """Blank the comments of ``email`` (tombstones keep others' replies); returns how many.

    Needs the moderator permission (``actors.COMMAND_LINE`` has it).
    """
    _require_moderator(actor)
    erased = 0
    with transaction.atomic():
        comments = list(comments_of(email).select_for_update())
        ids = [c.pk for c in comments]
        # Their words, quoted elsewhere: log notes, report reasons; and who they were.
        AuditEntry.objects.filter(comment_id__in=ids).update(note="")
        AuditEntry.objects.filter(comment_id__in=ids, action__in=AUTHOR_ACTIONS).update(user=None)
        Report.objects.filter(comment_id__in=ids).update(reason="")
        Like.objects.filter(comment_id__in=ids).update(ip_hash="")
        for comment in comments:
            before = comment.status
            Comment.objects.filter(pk=comment.pk).update(
                status=Status.DELETED,
                author_name="",
                email="",
                user=None,
                text="",
                html="",
                ip_hash="",
                text_hash="",
                edit_token_hash="",
                notify_replies=False,
                reason="erased on request",
            )
            comment.status = Status.DELETED
            count_change(comment.thread_id, before, Status.DELETED)
            _audit(comment, "erase", before, actor, "data request")
            erased += 1
        threads = Thread.objects.filter(pk__in={c.thread_id for c in comments}).select_related(
            "article"
        )
        keys = [
            k
            for t in threads
            for k in (
                pagecache.article_keys(t.article) if t.article is not None else thread_tags(t.key)
            )
        ]
        if keys:
            transaction.on_commit(lambda: pagecache.purge_keys(keys))
    return erased


def purge_addresses(*, older_than_days: int, now: datetime.datetime | None = None) -> int:
    """Forget the address hash of comments older than this; returns how many were cleared."""
    cutoff = (now or timezone.now()) - datetime.timedelta(days=older_than_days)
    Like.objects.filter(created_at__lt=cutoff).exclude(ip_hash="").update(ip_hash="")
    return Comment.objects.filter(created_at__lt=cutoff).exclude(ip_hash="").update(ip_hash="")
