"""What the story page shows of a thread: the page of comments, the form, the notices."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, fields
from typing import Any

from django.conf import settings
from django.http import HttpRequest

from khabar.comments import actions, conf, spam, tree
from khabar.comments.access import viewer_for
from khabar.comments.models import Comment, Policy, Status, Thread
from khabar.comments.threads import policy_of
from khabar.site.pagecache import is_reader_specific

NOTICES = {"approved", "pending", "rejected", "spam", "edited", "deleted", "liked", "reported"}


@dataclass
class Item:
    node: tree.Node | None = None
    more_root: int | None = None
    more_after: str = ""
    #: What the comment's rendered HTML may be shared under between readers (the page's
    #: ``{% fragment %}``), or "" when it may not: see ``share_keys``.
    share_key: str = ""


#: Every column of a comment the page reads: its shared HTML is keyed by all of them.
_ROW_FIELDS = tuple(f.name for f in fields(tree.Row))


def share_keys(request: HttpRequest, items: list[Item], reply_to: Comment | None) -> None:
    """Key each comment's rendered HTML by everything it is made of: its row, what its node
    adds (tombstone, own, editable, the parent's name) and the depth the page indents to.

    The template adds the page's part (edition, language, whether the thread is closed, the
    story's address), so a key names one rendering, whatever the story's purges: after a
    publish the page renders again and its unchanged comments come from the cache. Only for
    readers who are nobody in particular (no session, no edit tokens: the page's own rule),
    never for the comment a reply form is open under (the form carries a fresh time stamp).
    """
    if not settings.KHABAR_FRAGMENT_CACHE or is_reader_specific(request):
        return
    if request.user.is_authenticated:
        return
    for item in items:
        node = item.node
        if node is None or type(node.comment) is not tree.Row:
            continue
        if reply_to is not None and node.comment.pk == reply_to.pk:
            continue
        row = node.comment
        values = (
            tuple(getattr(row, name) for name in _ROW_FIELDS),
            node.tombstone,
            node.own,
            node.editable,
            node.parent_name,
            conf.INDENT_DEPTH,
        )
        item.share_key = "c" + hashlib.blake2b(repr(values).encode(), digest_size=16).hexdigest()


def items_of(page: tree.ThreadPage | list[tree.Node]) -> list[Item]:
    """Nodes in display order, with a "more replies" item after a capped top-level comment."""
    roots = page.roots if isinstance(page, tree.ThreadPage) else page
    items: list[Item] = []
    for root in roots:
        items.extend(Item(node=node) for node in root.walk())
        if root.more_after:
            items.append(Item(more_root=root.comment.pk, more_after=root.more_after))
    return items


def mark_editable(nodes: list[Item]) -> None:
    for item in nodes:
        if item.node is not None and item.node.own:
            item.node.editable = actions.can_author_change(item.node.comment)


def _int(value: str | None, default: int = 0) -> int:
    try:
        return max(int(value or default), 0)
    except ValueError:
        return default


def thread_context(request: HttpRequest, key: str, *, article: Any = None) -> dict[str, Any]:
    """The template context of ``comments/_thread.html`` for the thread ``key``."""
    viewer = viewer_for(request)
    if article is not None:
        # The page's own story (its section with it): not read again, body and all.
        thread = Thread.objects.filter(key=key).first()
        if thread is not None and thread.article_id == article.pk:
            thread.article = article
    else:
        thread = (
            Thread.objects.select_related("article", "article__section").filter(key=key).first()
        )
    sort = request.GET.get("csort", tree.DEFAULT_SORT)
    page = tree.read_page(thread, viewer=viewer, sort=sort, offset=_int(request.GET.get("cpage")))
    items = items_of(page)
    mark_editable(items)
    policy = policy_of(thread or Thread(key=key, article=article))
    reply_to = _reply_target(request, thread, items)
    share_keys(request, items, reply_to)
    notice = request.GET.get("commented", "")
    user = request.user
    return {
        "key": key,
        "article": article,
        "page": page,
        "items": items,
        "sort": page.sort,
        "sorts": [(name, name == page.sort) for name in tree.SORTS],
        "closed": policy == Policy.CLOSED,
        "premoderated": policy == Policy.PRE,
        "reply_to": reply_to,
        "reply_on_page": reply_to is not None
        and any(i.node is not None and i.node.comment.pk == reply_to.pk for i in items),
        "stamp": spam.make_stamp(key),
        "honeypot": spam.HONEYPOT,
        "notice": notice if notice in NOTICES else "",
        "author_name": (user.get_full_name() or user.get_username())
        if user.is_authenticated
        else "",
        "min_length": conf.MIN_LENGTH,
        "max_length": conf.MAX_LENGTH,
        "edit_minutes": conf.EDIT_MINUTES,
    }


def _reply_target(request: HttpRequest, thread: Thread | None, items: list[Item]) -> Comment | None:
    wanted = _int(request.GET.get("reply"), 0)
    if not wanted or thread is None:
        return None
    for item in items:
        if item.node is not None and item.node.comment.pk == wanted:
            return item.node.comment if item.node.comment.status == Status.APPROVED else None
    return Comment.objects.filter(pk=wanted, thread=thread, status=Status.APPROVED).first()
