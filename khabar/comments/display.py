"""What the story page shows of a thread: the page of comments, the form, the notices."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from khabar.comments import actions, conf, spam, tree
from khabar.comments.access import viewer_for
from khabar.comments.models import Comment, Policy, Status, Thread
from khabar.comments.threads import policy_of

NOTICES = {"approved", "pending", "rejected", "spam", "edited", "deleted", "liked", "reported"}


@dataclass
class Item:
    node: tree.Node | None = None
    more_root: int | None = None
    more_after: str = ""


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
    thread = Thread.objects.select_related("article", "article__section").filter(key=key).first()
    sort = request.GET.get("csort", tree.DEFAULT_SORT)
    page = tree.read_page(thread, viewer=viewer, sort=sort, offset=_int(request.GET.get("cpage")))
    items = items_of(page)
    mark_editable(items)
    policy = policy_of(thread or Thread(key=key, article=article))
    reply_to = _reply_target(request, thread, items)
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
