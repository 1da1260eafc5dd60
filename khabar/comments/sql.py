"""The comments' hot paths in SQL, written out once per process from the models' own fields.

A post is the write a breaking story gets by the thousand, and a page of its thread the read
that follows every one of them. Through the ORM, building their statements cost more than
running them: of a post's 7 ms of CPU, about 4 went to compiling the thread lookup, the
parent lookup and the two INSERTs; a thread page spent 9 of its 11 ms compiling one window
query. Here each statement's text is built once per process and database from the fields'
columns, and rows come back through Django's own converters, so nothing is parsed
differently from the ORM:

* ``post_context``: one query for the thread, its story and section (all that ``policy_of``,
  ``is_live`` and the purge read), the word lists' generation, whether this author just sent
  the same text, and the parent comment.
* ``insert``: an ``INSERT … RETURNING`` of a model instance. It sends no signals; khabar
  connects none to the models it is used for (a test pins that).
* ``waiting_count``: how many comments wait for a moderator, counted after each pending post
  (the moderators' alert), from the queue's own partial index, up to a bound.
* ``page_roots`` and ``page_rows``: a page of a thread, bounded by the page whatever the
  thread's size (see ``tree.read_page``).

The rest of the comments app keeps the ORM; ``khabar.comments.actions`` decides everything.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import AutoField, Field, Model

from khabar.articles.models import Article, Section
from khabar.comments import moderation
from khabar.comments.models import HIDDEN, WAITING, Comment, Status, Thread

Converter = Callable[[Any, Any, Any], Any]


class _Columns:
    """Some columns of one model under a table alias, read back into a (deferred) instance."""

    def __init__(
        self,
        model: type[Model],
        alias: str,
        names: Sequence[str] | None = None,
        *,
        keep_order: bool = False,
    ):
        concrete = model._meta.concrete_fields
        wanted = set(names) if names is not None else {f.name for f in concrete}
        self.model = model
        self.alias = alias
        self.fields: list[Field[Any, Any]]
        if keep_order and names is not None:  # for plain values: convert() only
            self.fields = [model._meta.get_field(name) for name in names]  # type: ignore[misc]
        else:  # Model.from_db (build) wants the values in the model's field order
            self.fields = [f for f in concrete if f.name in wanted]
        self.attnames = [f.attname for f in self.fields]
        self.pk_index = next(i for i, f in enumerate(self.fields) if f.primary_key)
        self._converters: list[tuple[Any, list[Converter]]] | None = None

    def select(self) -> str:
        quote = connection.ops.quote_name
        return ", ".join(f"{self.alias}.{quote(f.column)}" for f in self.fields)

    def converters(self) -> list[tuple[Any, list[Converter]]]:
        """Per field, its column expression and the converters the ORM would apply."""
        if self._converters is None:
            found = []
            for field in self.fields:
                col = field.get_col(self.alias)
                convert = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
                found.append((col, convert))
            self._converters = found
        return self._converters

    def convert(self, row: Sequence[Any]) -> list[Any]:
        """This slice of a row as the ORM would read it (dates as datetimes, and so on)."""
        values = []
        for value, (col, converters) in zip(row, self.converters(), strict=True):
            for convert in converters:
                value = convert(value, col, connection)
            values.append(value)
        return values

    def build(self, row: Sequence[Any]) -> Any:
        """The instance for this slice of a row, or None when the join found nothing."""
        if row[self.pk_index] is None:
            return None
        return self.model.from_db(connection.alias, self.attnames, self.convert(row))


_THREAD = _Columns(Thread, "t")
_ARTICLE = _Columns(
    Article,
    "a",
    [
        "id",
        "lang",
        "section",
        "status",
        "version",
        "updated_at",
        "published_at",
        "embargo_until",
        "comment_policy",
    ],
)
_SECTION = _Columns(Section, "s", ["id", "lang", "comment_policy"])
_PARENT = _Columns(
    Comment,
    "p",
    [
        "id",
        "thread",
        "parent",
        "root",
        "path",
        "depth",
        "status",
        "author_name",
        "email",
        "user",
        "notify_replies",
        "created_at",
    ],
)
_PARTS = (_THREAD, _ARTICLE, _SECTION, _PARENT)


@dataclass
class PostContext:
    """What a post needs to know, read under the posting transaction's lock."""

    thread: Thread  # with .article and .article.section loaded (what policy_of reads)
    words: str  # the word lists' generation (moderation.stamp_sql)
    duplicate: bool  # this author sent the same text to this thread lately
    parent: Comment | None  # the comment parent_id names, in any thread (or None)


@functools.cache
def _context_sql(vendor: str, author: str) -> str:
    del vendor  # part of the cache key: the quoting and converters are the database's
    quote = connection.ops.quote_name
    comment = quote(Comment._meta.db_table)
    author_column = {"user": "user_id", "ip": "ip_hash"}.get(author)
    duplicate = (
        f"EXISTS (SELECT 1 FROM {comment} d WHERE d.{quote('thread_id')} = t.{quote('id')}"
        f" AND d.{quote('text_hash')} = %s AND d.{quote('created_at')} >= %s"
        f" AND d.{quote(author_column)} = %s)"
        if author_column
        else "(1 = 0)"
    )
    columns = ", ".join(part.select() for part in _PARTS)
    return (
        f"SELECT {columns}, ({moderation.stamp_sql()}), {duplicate}"
        f" FROM {quote(Thread._meta.db_table)} t"
        f" LEFT JOIN {quote(Article._meta.db_table)} a ON a.{quote('id')} = t.{quote('article_id')}"
        f" LEFT JOIN {quote(Section._meta.db_table)} s ON s.{quote('id')} = a.{quote('section_id')}"
        f" LEFT JOIN {comment} p ON p.{quote('id')} = %s"
        f" WHERE t.{quote('key')} = %s"
    )


def post_context(
    key: str,
    *,
    parent_id: int | None,
    text_hash: str,
    since: datetime.datetime,
    user_id: int | None,
    ip_hash: str,
) -> PostContext | None:
    """The thread ``key`` names with all a post reads, or None if it does not exist yet.

    Duplicates are looked for by the user if there is one, else by the address hash, else
    not at all.
    """
    author = "user" if user_id is not None else ("ip" if ip_hash else "")
    params: list[Any] = []
    if author:
        params += [
            text_hash,
            connection.ops.adapt_datetimefield_value(since),
            user_id if author == "user" else ip_hash,
        ]
    params += [parent_id, key]
    with connection.cursor() as cursor:
        cursor.execute(_context_sql(connection.vendor, author), params)
        row = cursor.fetchone()
    if row is None:
        return None
    parts, start = [], 0
    for part in _PARTS:
        parts.append(part.build(row[start : start + len(part.fields)]))
        start += len(part.fields)
    thread, article, section, parent = parts
    if article is not None:
        article.section = section
    thread.article = article
    return PostContext(
        thread=thread, words=str(row[start]), duplicate=bool(row[start + 1]), parent=parent
    )


@functools.cache
def _insert_sql(model: type[Model], vendor: str) -> tuple[str, tuple[Field[Any, Any], ...]]:
    del vendor
    quote = connection.ops.quote_name
    fields = tuple(f for f in model._meta.concrete_fields if not isinstance(f, AutoField))
    pk = model._meta.pk
    assert pk is not None
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)})"
        f" VALUES ({', '.join(['%s'] * len(fields))}) RETURNING {quote(pk.column)}"
    )
    return sql, fields


def insert(instance: Model) -> None:
    """Insert a new instance as ``save()`` would (defaults, prepared values), setting its pk."""
    model = type(instance)
    sql, fields = _insert_sql(model, connection.vendor)
    values = [f.get_db_prep_save(f.pre_save(instance, True), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        row = cursor.fetchone()
    instance.pk = row[0]
    instance._state.adding = False
    instance._state.db = connection.alias


def set_root_to_self(comment: Comment) -> None:
    """A top-level comment is its own root, known once inserted."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {quote(Comment._meta.db_table)} SET {quote('root_id')} = %s"
            f" WHERE {quote('id')} = %s",
            [comment.pk, comment.pk],
        )
    comment.root_id = comment.pk


@functools.cache
def _waiting_sql(vendor: str) -> tuple[str, tuple[Any, ...]]:
    """The ORM's own text for ``WAITING`` (so it matches ``comment_waiting_idx``'s condition,
    and the planners read that partial index), compiled once: compiling the OR of two
    statuses cost a post more than counting a short queue."""
    del vendor
    query = Comment.objects.filter(WAITING).query
    where, params = query.get_compiler(connection=connection).compile(query.where)
    table = connection.ops.quote_name(Comment._meta.db_table)
    statement = f"SELECT COUNT(*) FROM (SELECT 1 FROM {table} WHERE {where} LIMIT %s) AS w"
    return statement, tuple(params)


def waiting_count(up_to: int) -> int:
    """``Comment.objects.filter(WAITING).count()``, pending comments and pending edits, or
    ``up_to`` when more wait: the read of the queue's index stops there, whatever the
    queue's length."""
    statement, params = _waiting_sql(connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(statement, (*params, up_to))
        return int(cursor.fetchone()[0])


# --- Reading a page of a thread -------------------------------------------------------------

_ROW = _Columns(
    Comment,
    "c",
    [
        "id",
        "parent",
        "root",
        "path",
        "depth",
        "status",
        "author_name",
        "text",
        "html",
        "created_at",
        "edited_at",
        "likes",
        "user",
        "edit_token_hash",
        "pending_text",
        "pending_html",
    ],
    keep_order=True,
)
#: tree.Row's fields, in its order (the parent's name comes after them).
ROW_FIELDS = tuple(_ROW.attnames)
_ROOT_ORDER = {
    "oldest": "c.{path}",
    "newest": "c.{created_at} DESC, c.{id} DESC",
    "liked": "c.{likes} DESC, c.{path}",
}


def _q(name: str) -> str:
    return str(connection.ops.quote_name(name))


def _in(values: Sequence[object]) -> str:
    return ", ".join(["%s"] * len(values))


def _shown(below: str, own: tuple[Sequence[int], int | None]) -> tuple[str, list[Any]]:
    """Comments a reader sees: approved ones, hidden ones with an approved comment ``below``
    (``parent_id`` for a reply's direct replies, ``root_id`` for everything under a
    top-level comment), and their own pending ones (``own``: edit-token ids and user id).
    """
    table = _q(Comment._meta.db_table)
    hidden = [str(s) for s in HIDDEN]
    status = _q("status")
    # The CASE keeps the status index out of the sub-select's way in: through it, SQLite
    # would read every approved comment of the site instead of the ones under ``c``.
    sql = (
        f"(c.{status} = %s OR (c.{status} IN ({_in(hidden)}) AND EXISTS (SELECT 1 FROM {table} u"
        f" WHERE u.{_q(below)} = c.{_q('id')} AND CASE u.{status} WHEN %s THEN 1 ELSE 0 END = 1))"
    )
    params: list[Any] = [Status.APPROVED.value, *hidden, Status.APPROVED.value]
    ids, user_id = own
    mine, mine_params = [], []
    if ids:
        mine.append(f"c.{_q('id')} IN ({_in(ids)})")
        mine_params += list(ids)
    if user_id is not None:
        mine.append(f"c.{_q('user_id')} = %s")
        mine_params.append(user_id)
    if mine:
        sql += f" OR (c.{status} = %s AND ({' OR '.join(mine)}))"
        params += [Status.PENDING.value, *mine_params]
    return sql + ")", params


def page_roots(
    thread_id: int,
    *,
    sort: str,
    offset: int,
    count: int,
    own: tuple[Sequence[int], int | None],
) -> list[int]:
    """The ids of ``count`` shown top-level comments from ``offset``, in the page's order."""
    shown, params = _shown("root_id", own)
    order = _ROOT_ORDER[sort].format(
        path=_q("path"), created_at=_q("created_at"), id=_q("id"), likes=_q("likes")
    )
    sql = (
        f"SELECT c.{_q('id')} FROM {_q(Comment._meta.db_table)} c"
        f" WHERE c.{_q('thread_id')} = %s AND c.{_q('depth')} = 0 AND {shown}"
        f" ORDER BY {order} LIMIT %s OFFSET %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [thread_id, *params, count, offset])
        return [row[0] for row in cursor.fetchall()]


def page_rows(
    roots: Sequence[int],
    *,
    per_root: Sequence[int],
    budget: int,
    own: tuple[Sequence[int], int | None],
    after: str = "",
) -> list[tuple[Any, ...]]:
    """The page's first ``budget`` rows: under each root in turn, its first ``per_root[i]``
    shown comments in path order (itself first), with the parent's name; only those past
    the path ``after`` if given (the next replies under one root).

    One statement with one bounded range of the (root, path) index per root. SQLite runs a
    UNION ALL's members one after the other as rows are asked for, so the members past the
    budget never run: a page reads as many rows in a thread of 50,000 comments as in one of
    200. Returns tuples in ROW_FIELDS order plus the parent's name.
    """
    if not roots:
        return []
    shown, shown_params = _shown("parent_id", own)
    table = _q(Comment._meta.db_table)
    past = f" AND c.{_q('path')} > %s" if after else ""
    member = (
        f"SELECT * FROM (SELECT {_ROW.select()}, p.{_q('author_name')}"
        f" FROM {table} c LEFT JOIN {table} p ON p.{_q('id')} = c.{_q('parent_id')}"
        f" WHERE c.{_q('root_id')} = %s{past} AND {shown} ORDER BY c.{_q('path')} LIMIT %s)"
        " m{n}"
    )
    params: list[Any] = []
    for root, limit in zip(roots, per_root, strict=True):
        params += [root, *([after] if after else []), *shown_params, limit]
    statement = " UNION ALL ".join(member.format(n=n) for n in range(len(roots)))
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        fetched = cursor.fetchmany(budget) if connection.vendor == "sqlite" else cursor.fetchall()
    # In the page's order whatever order the database chose (a no-op on SQLite).
    order = {root: n for n, root in enumerate(roots)}
    path_at, root_at = ROW_FIELDS.index("path"), ROW_FIELDS.index("root_id")
    fetched.sort(key=lambda row: (order[row[root_at]], row[path_at]))
    width = len(_ROW.fields)
    return [(*_ROW.convert(row[:width]), row[width]) for row in fetched[:budget]]
