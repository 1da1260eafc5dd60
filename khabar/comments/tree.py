"""The comment tree: materialised paths, and reading one page of a thread in one query.

Each comment's ``path`` is its parent's path plus one fixed-width segment, so ordering by
``path`` lists a thread depth-first, every reply straight after its parent. Segments come
from a counter on the thread that is incremented inside the posting transaction, so two
simultaneous replies get different segments (and a unique constraint backs that up).
Segments are zero-padded decimals because digits sort the same under every collation.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db.models import Exists, F, OuterRef, Q, Subquery, Window
from django.db.models.functions import RowNumber

from khabar.comments import conf
from khabar.comments.models import (
    HIDDEN,
    MAX_DEPTH,
    SEGMENT_WIDTH,
    Comment,
    Status,
    Thread,
)

#: Sort orders for top-level comments; replies always follow their parent in path order.
SORTS = {
    "oldest": ("root__path",),
    "newest": ("-root__created_at", "-root_id"),
    "liked": ("-root__likes", "root__path"),
}
DEFAULT_SORT = "oldest"
_ROOT_SORTS = {
    "oldest": ("path",),
    "newest": ("-created_at", "-pk"),
    "liked": ("-likes", "path"),
}


class TreeError(Exception):
    """The thread cannot take another comment at this place."""


def segment(number: int) -> str:
    """The fixed-width path segment for the ``number``-th comment of a thread."""
    if number >= 10**SEGMENT_WIDTH:
        raise TreeError("thread is full")
    return f"{number:0{SEGMENT_WIDTH}d}"


def allocate_path(thread: Thread, parent: Comment | None) -> tuple[str, int]:
    """Reserve the next path under ``parent``; call inside the posting transaction.

    The UPDATE takes the thread row's write lock until commit, so a concurrent reply waits
    and reads the next number.
    """
    depth = 0 if parent is None else parent.depth + 1
    if depth > MAX_DEPTH:
        raise TreeError("too deep")
    Thread.objects.filter(pk=thread.pk).update(seq=F("seq") + 1)
    number = Thread.objects.values_list("seq", flat=True).get(pk=thread.pk)
    return (parent.path if parent else "") + segment(number), depth


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass
class Viewer:
    """Who is reading: a user, and the comments whose edit tokens they hold."""

    user_id: int | None = None
    tokens: dict[int, str] = field(default_factory=dict)
    reader: str = ""
    is_moderator: bool = False

    def owns(self, comment: Comment) -> bool:
        if self.user_id is not None and comment.user_id == self.user_id:
            return True
        token = self.tokens.get(comment.pk)
        return bool(token and comment.edit_token_hash == hash_token(token))

    def own_q(self) -> Q:
        q = Q(pk__in=list(self.tokens))
        if self.user_id is not None:
            q |= Q(user_id=self.user_id)
        return q


@dataclass
class Node:
    comment: Comment
    tombstone: bool = False
    own: bool = False
    editable: bool = False
    parent_name: str = ""
    children: list[Node] = field(default_factory=list)
    # Set on a top-level node whose replies continue beyond this page.
    more_after: str = ""

    @property
    def indent(self) -> int:
        return min(self.comment.depth, conf.INDENT_DEPTH)

    @property
    def flat(self) -> bool:
        """Deeper than the page indents: shown flat with "replying to <name>"."""
        return self.comment.depth > conf.INDENT_DEPTH

    def walk(self) -> Iterator[Node]:
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass
class ThreadPage:
    thread: Thread | None
    sort: str
    roots: list[Node]
    count: int
    offset: int
    next_offset: int | None

    def __iter__(self) -> Iterator[Node]:
        for root in self.roots:
            yield from root.walk()


def _shown(viewer: Viewer) -> Q:
    """Approved comments, the viewer's own pending ones, and hidden ones with replies."""
    approved_child = Comment.objects.filter(parent=OuterRef("pk"), status=Status.APPROVED)
    shown = Q(status=Status.APPROVED) | (Q(status__in=HIDDEN) & Exists(approved_child))
    if viewer.user_id is not None or viewer.tokens:
        shown |= Q(status=Status.PENDING) & viewer.own_q()
    return shown


def read_page(
    thread: Thread | None, *, viewer: Viewer, sort: str = DEFAULT_SORT, offset: int = 0
) -> ThreadPage:
    """One page of top-level comments with their replies (capped), in display order.

    One ordered query reads the page (a sub-select picks the top-level comments, a window
    caps the replies under each), plus one query for the count.
    """
    sort = sort if sort in SORTS else DEFAULT_SORT
    if thread is None:
        return ThreadPage(None, sort, [], 0, 0, None)
    approved_below = Comment.objects.filter(root=OuterRef("pk"), status=Status.APPROVED)
    roots_shown = Q(status=Status.APPROVED) | (Q(status__in=HIDDEN) & Exists(approved_below))
    if viewer.user_id is not None or viewer.tokens:
        roots_shown |= Q(status=Status.PENDING) & viewer.own_q()
    root_ids = (
        Comment.objects.filter(thread=thread, depth=0)
        .filter(roots_shown)
        .order_by(*_ROOT_SORTS[sort])
        .values("pk")[offset : offset + conf.PAGE_SIZE + 1]
    )
    rows = list(
        Comment.objects.filter(thread=thread, root_id__in=Subquery(root_ids))
        .filter(_shown(viewer))
        .annotate(rank=Window(RowNumber(), partition_by=[F("root_id")], order_by=F("path").asc()))
        .filter(rank__lte=conf.REPLIES_PER_PAGE + 2)
        .select_related("parent")
        .order_by(*SORTS[sort], "path")
    )
    roots = assemble(rows, viewer)
    more = len(roots) > conf.PAGE_SIZE
    count = Comment.objects.filter(thread=thread, status=Status.APPROVED).count()
    return ThreadPage(
        thread,
        sort,
        roots[: conf.PAGE_SIZE],
        count,
        offset,
        offset + conf.PAGE_SIZE if more else None,
    )


def read_replies(root: Comment, *, viewer: Viewer, after: str = "") -> Node:
    """The replies under a top-level comment after the reply at path ``after``, capped."""
    rows = list(
        Comment.objects.filter(root=root, path__gt=after or root.path)
        .filter(_shown(viewer))
        .select_related("parent")
        .order_by("path")[: conf.REPLIES_PER_PAGE + 1]
    )
    node = Node(root, tombstone=root.status in HIDDEN, own=viewer.owns(root))
    _attach(node, rows, viewer)
    return node


def assemble(rows: list[Comment], viewer: Viewer) -> list[Node]:
    """Build nodes from rows in display order (each root followed by its replies)."""
    roots: list[Node] = []
    replies: dict[int, list[Comment]] = {}
    for row in rows:
        if row.status == Status.PENDING and not viewer.owns(row):
            continue
        if row.depth == 0:
            roots.append(Node(row, tombstone=row.status in HIDDEN, own=viewer.owns(row)))
        else:
            replies.setdefault(row.root_id or 0, []).append(row)
    for node in roots:
        _attach(node, replies.get(node.comment.pk, []), viewer)
    return roots


def _attach(root: Node, rows: list[Comment], viewer: Viewer) -> None:
    shown = rows[: conf.REPLIES_PER_PAGE]
    if len(rows) > conf.REPLIES_PER_PAGE:
        root.more_after = shown[-1].path
    by_path = {root.comment.path: root}
    for row in shown:
        if row.status == Status.PENDING and not viewer.owns(row):
            continue  # a forged token: the row was fetched but is not theirs
        # The nearest shown ancestor adopts a reply whose parent is not on the page.
        parent = None
        prefix = row.path[:-SEGMENT_WIDTH]
        while prefix and parent is None:
            parent = by_path.get(prefix)
            prefix = prefix[:-SEGMENT_WIDTH]
        if parent is None:
            continue
        node = Node(
            row,
            tombstone=row.status in HIDDEN,
            own=viewer.owns(row),
            parent_name=row.parent.author_name if row.parent else "",
        )
        parent.children.append(node)
        by_path[row.path] = node
    _prune(root)


def _prune(node: Node) -> bool:
    """Drop tombstones left with nothing under them; True if ``node`` stays."""
    node.children = [child for child in node.children if _prune(child)]
    return not node.tombstone or bool(node.children) or node.comment.depth == 0
