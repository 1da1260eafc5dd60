"""Where a comment shows: the page of its thread that holds it, for mail and redirects.

A thread lists ``PAGE_SIZE`` top-level comments a page (``?cpage=<offset>``, oldest first
by default), each with its first replies; the rest of a long reply chain is behind "more
replies" (``/comments/<root>/replies/?after=<path>``). A link to ``#comment-<id>`` on the
story's first page finds nothing when the comment is on another page.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.db.models import Exists, OuterRef, Q
from django.urls import reverse

from khabar.comments import conf, tree
from khabar.comments.models import HIDDEN, SEGMENT_WIDTH, Comment, Status


def _shown_roots(comment: Comment, viewer: tree.Viewer) -> Q:
    """Top-level comments the reader sees (as ``sql._shown`` decides for a page)."""
    answered = Comment.objects.filter(root_id=OuterRef("pk"), status=Status.APPROVED)
    shown = Q(status=Status.APPROVED) | (Q(status__in=HIDDEN) & Exists(answered))
    ids, user_id = viewer.own()
    mine = Q(pk__in=ids) if ids else Q(pk__in=[])
    if user_id is not None:
        mine |= Q(user_id=user_id)
    return shown | (Q(status=Status.PENDING) & mine)


def page_offset(comment: Comment, viewer: tree.Viewer) -> int:
    """The ``cpage`` offset of the page (default order) that lists the comment's root."""
    root_path = comment.path[:SEGMENT_WIDTH]
    before = (
        Comment.objects.filter(thread_id=comment.thread_id, depth=0, path__lt=root_path)
        .filter(_shown_roots(comment, viewer))
        .count()
    )
    size = max(conf.PAGE_SIZE, 1)
    return before // size * size


def location(comment: Comment, viewer: tree.Viewer | None = None) -> tuple[str, dict[str, str]]:
    """The path and the query that show the comment: its story page at the right offset,
    or the "more replies" page of its chain when the story page leaves it out."""
    viewer = viewer or tree.Viewer()
    thread = comment.thread
    if thread.article_id is None:
        # A thread embedded on another site: its page is not ours to address.
        return thread.url or "/", {}
    offset = page_offset(comment, viewer)
    query = {"cpage": str(offset)} if offset else {}
    if comment.depth:
        page = tree.read_page(thread, viewer=viewer, offset=offset)
        if all(node.comment.pk != comment.pk for node in page):
            before = (
                Comment.objects.filter(root_id=comment.root_id, path__lt=comment.path)
                .order_by("-path")
                .values_list("path", flat=True)
                .first()
            )
            path = reverse("comments-replies", kwargs={"pk": comment.root_id})
            return path, {"after": before or ""}
    return thread.article.get_absolute_url(), query


def comment_url(comment: Comment, viewer: tree.Viewer | None = None, **extra: str) -> str:
    """The site-relative address of the comment: its page, ``extra`` query, its anchor."""
    path, query = location(comment, viewer)
    query = {**query, **extra}
    return f"{path}{'?' + urlencode(query) if query else ''}#comment-{comment.pk}"
