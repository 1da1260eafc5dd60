"""The comment tree: materialised paths, and reading a page of a thread (SQL in sql.py).

Each comment's ``path`` is its parent's path plus one fixed-width segment, so ordering by
``path`` lists a thread depth-first, every reply straight after its parent. Segments come
from a counter on the thread that is incremented inside the posting transaction, so two
simultaneous replies get different segments (and a unique constraint backs that up).
Segments are zero-padded decimals because digits sort the same under every collation.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import (
    F,
)

from khabar.comments import conf, sql
from khabar.comments.models import (
    HIDDEN,
    MAX_DEPTH,
    SEGMENT_WIDTH,
    Comment,
    Status,
    Thread,
)

#: Sort orders for top-level comments (the SQL is in ``sql.py``); replies always follow their
#: parent in path order.
SORTS = ("oldest", "newest", "liked")
DEFAULT_SORT = "oldest"


class TreeError(Exception):
    """The thread cannot take another comment at this place."""


def segment(number: int) -> str:
    """The fixed-width path segment for the ``number``-th comment of a thread."""
    if number >= 10**SEGMENT_WIDTH:
        raise TreeError("thread is full")
    return f"{number:0{SEGMENT_WIDTH}d}"


def allocate_path(
    thread: Thread, parent: Comment | None, *, approved: bool = False
) -> tuple[str, int]:
    """Reserve the next path under ``parent``; call inside the posting transaction.

    ``approved``: the new comment shows at once, and the thread's count grows with it.

    The UPDATE takes the thread row's write lock until commit, so a concurrent reply waits
    and reads the next number.
    """
    depth = 0 if parent is None else parent.depth + 1
    if depth > MAX_DEPTH:
        raise TreeError("too deep")
    if connection.features.can_return_rows_from_bulk_insert:
        # PostgreSQL, and SQLite from 3.35: one statement increments and reads the counter.
        quote = connection.ops.quote_name
        table, seq, pk = quote(Thread._meta.db_table), quote("seq"), quote("id")
        count = quote("approved_count")
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET {seq} = {seq} + 1, {count} = {count} + %s"
                f" WHERE {pk} = %s RETURNING {seq}",
                [int(approved), thread.pk],
            )
            number = cursor.fetchone()[0]
    else:
        Thread.objects.filter(pk=thread.pk).update(
            seq=F("seq") + 1, approved_count=F("approved_count") + int(approved)
        )
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

    def owns(self, comment: Any) -> bool:
        if self.user_id is not None and comment.user_id == self.user_id:
            return True
        token = self.tokens.get(comment.pk)
        return bool(token and comment.edit_token_hash == hash_token(token))

    def own(self) -> tuple[list[int], int | None]:
        """What may show of their own pending comments: edit-token ids and the user id."""
        return list(self.tokens), self.user_id


@dataclass(slots=True)
class Row:
    """One comment as a page shows it: the columns read, without a model instance.

    It answers like a Comment (``pk``, ``status``, ``is_edited`` …) to the templates, the
    API serialiser and ``Viewer.owns``.
    """

    id: int
    parent_id: int | None
    root_id: int | None
    path: str
    depth: int
    status: str
    author_name: str
    text: str
    html: str
    created_at: datetime.datetime
    edited_at: datetime.datetime | None
    likes: int
    user_id: int | None
    edit_token_hash: str
    pending_text: str
    pending_html: str
    parent_name: str | None

    @property
    def pk(self) -> int:
        return self.id

    @property
    def is_visible(self) -> bool:
        return self.status == Status.APPROVED

    @property
    def is_edited(self) -> bool:
        return self.edited_at is not None

    @property
    def has_pending_edit(self) -> bool:
        return bool(self.pending_text)


@dataclass
class Node:
    comment: Any  # a Row, or a Comment just written
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

    @property
    def pending_edit(self) -> bool:
        """The author's own edit waits for a moderator: they see it; everyone else sees
        the approved text."""
        return self.own and self.comment.has_pending_edit

    @property
    def shown_html(self) -> str:
        return self.comment.pending_html if self.pending_edit else self.comment.html

    @property
    def shown_text(self) -> str:
        """What the author typed, for their edit box."""
        return self.comment.pending_text if self.pending_edit else self.comment.text

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
    # Comment rows the page's query returned (a bound that a test pins).
    rows_read: int = 0

    def __iter__(self) -> Iterator[Node]:
        for root in self.roots:
            yield from root.walk()


def max_per_page() -> int:
    """Comments (top-level and replies together) on one page: a bound whatever the thread."""
    return conf.MAX_PER_PAGE or 4 * conf.PAGE_SIZE


def read_page(
    thread: Thread | None, *, viewer: Viewer, sort: str = DEFAULT_SORT, offset: int = 0
) -> ThreadPage:
    """One page of top-level comments with their replies (capped), in display order.

    Three queries (``khabar.comments.sql``): the page's top-level comments through the
    top-level index; then under each of them, in one statement, a bounded range of the
    (root, path) index; then the count. A page reads no more rows in a thread of 50,000
    comments than in one of 50: at most ``REPLIES_PER_PAGE`` replies (and one more) under
    each top-level comment and ``max_per_page()`` comments in all (the rest behind "more
    replies" and "more comments").
    """
    sort = sort if sort in SORTS else DEFAULT_SORT
    if thread is None:
        return ThreadPage(None, sort, [], 0, 0, None)
    own = viewer.own()
    # The page's top-level comments, and one more if another page follows.
    root_ids = sql.page_roots(
        thread.pk, sort=sort, offset=offset, count=conf.PAGE_SIZE + 1, own=own
    )
    limit = max_per_page()
    # Each top-level comment with up to REPLIES_PER_PAGE replies and one more (to tell that
    # more follow), no more than the page's bound in all (plus one): each earlier root takes
    # at least its own row.
    shown_roots = root_ids[: conf.PAGE_SIZE]
    per_root = [
        max(1, min(conf.REPLIES_PER_PAGE + 2, limit + 1 - n)) for n in range(len(shown_roots))
    ]
    fetched = sql.page_rows(shown_roots, per_root=per_root, budget=limit + 1, own=own)
    rows = [Row(*values) for values in fetched]
    roots = assemble(rows, viewer, limit=limit, page_size=conf.PAGE_SIZE)
    count = thread.approved_count
    more = len(root_ids) > len(roots)
    next_offset = offset + len(roots) if more else None
    return ThreadPage(thread, sort, roots, count, offset, next_offset, len(rows))


def read_replies(root: Any, *, viewer: Viewer, after: str = "") -> Node:
    """The replies under a top-level comment after the reply at path ``after``, capped."""
    limit = conf.REPLIES_PER_PAGE + 1
    fetched = sql.page_rows(
        [root.pk], per_root=[limit], budget=limit, own=viewer.own(), after=after or root.path
    )
    rows = [Row(*values) for values in fetched]
    node = Node(root, tombstone=root.status in HIDDEN, own=viewer.owns(root))
    _attach(node, rows, viewer, conf.REPLIES_PER_PAGE)
    return node


def assemble(
    rows: list[Row], viewer: Viewer, *, limit: int | None = None, page_size: int | None = None
) -> list[Node]:
    """Build nodes from rows in display order (each root followed by its replies).

    At most ``page_size`` top-level comments and ``limit`` comments in all; a top-level
    comment whose replies do not all fit gets ``more_after``.
    """
    roots: list[Node] = []
    replies: dict[int, list[Row]] = {}
    for row in rows:
        if row.status == Status.PENDING and not viewer.owns(row):
            continue
        if row.depth == 0:
            roots.append(Node(row, tombstone=row.status in HIDDEN, own=viewer.owns(row)))
        else:
            replies.setdefault(row.root_id or 0, []).append(row)
    budget = len(rows) if limit is None else limit
    shown: list[Node] = []
    for node in roots[:page_size]:
        if budget < 1:
            break
        room = min(conf.REPLIES_PER_PAGE, budget - 1)
        budget -= 1 + _attach(node, replies.get(node.comment.pk, []), viewer, room)
        shown.append(node)
    return shown


def _attach(root: Node, rows: list[Row], viewer: Viewer, room: int) -> int:
    """Hang up to ``room`` of ``rows`` under ``root``; returns how many rows it used."""
    shown = rows[:room]
    if len(rows) > room:
        if shown:
            root.more_after = shown[-1].path
        else:
            root.more_after = root.comment.path
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
            parent_name=row.parent_name or "",
        )
        parent.children.append(node)
        by_path[row.path] = node
    _prune(root)
    return len(shown)


def _prune(node: Node) -> bool:
    """Drop tombstones left with nothing under them; True if ``node`` stays."""
    node.children = [child for child in node.children if _prune(child)]
    return not node.tombstone or bool(node.children) or node.comment.depth == 0
