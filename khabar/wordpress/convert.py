"""What a WordPress item becomes in khabar: a story's fields and its comment thread.

Used twice with the same result: by ``checks`` to find every problem before anything is
written, and by ``actions`` to write. Nothing here touches the database.
"""

from __future__ import annotations

import datetime
import hashlib
import html
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import unquote
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

from khabar.comments.actions import clean_email
from khabar.comments.conf import MAX_NAME_LENGTH
from khabar.comments.errors import CommentError
from khabar.comments.models import MAX_DEPTH
from khabar.comments.models import Status as CommentStatus
from khabar.comments.ratelimit import hash_ip
from khabar.comments.tree import segment
from khabar.lib.arabic_fold import strip_bidi_controls
from khabar.wordpress.content import paragraphs, plain_text
from khabar.wordpress.wxr import Comment, Item

#: A post's ``wp:status`` → what it becomes: "published", "draft", or skipped (the reason).
#: A scheduled post ("future") comes in as a draft: the desk schedules it again, in khabar.
POST_STATES = {
    "publish": "published",
    "draft": "draft",
    "pending": "draft",
    "future": "draft",
    "private": "skip:private",
    "trash": "skip:trash",
    "auto-draft": "skip:auto-draft",
    "inherit": "skip:revision",
}
#: A comment's ``wp:comment_approved`` → its khabar status, or skipped. Spam is left out:
#: it is junk and other people's addresses, and khabar's spam queue is for its own checks.
COMMENT_STATES = {
    "1": CommentStatus.APPROVED,
    "0": CommentStatus.PENDING,
    "spam": "skip:spam",
    "trash": "skip:trash",
    "post-trashed": "skip:trash",
}
_SLUG_MAX = 120
#: ``problem(line, message)``: how the checks collect what they find.
Problem = Callable[[int | None, str], None]
_SPACES = re.compile(r"\s+")


def outcome(item: Item) -> str | None:
    """``published``, ``draft``, ``skip:<reason>`` for a post; None for an unknown status.

    A password-protected post comes in as a draft, never shown to readers unasked."""
    if item.post_type != "post":
        return "skip:page" if item.post_type == "page" else "skip:other"
    state = POST_STATES.get(item.status)
    if state == "published" and item.password:
        # Readers needed a password on WordPress; khabar has none to ask: the desk decides.
        return "draft"
    return state


def source_id(item: Item) -> str:
    """The story's source id: the post's GUID (``wxr:<guid>``), so a rerun finds it.

    A GUID too long for the column is hashed; a post without one falls back to its link,
    then its id.
    """
    key = item.guid or item.link or f"id:{item.post_id}"
    if len(key) > 290:
        key = "sha1:" + hashlib.sha1(key.encode()).hexdigest()
    return f"wxr:{key}"


def to_utc(
    gmt: datetime.datetime | None, local: datetime.datetime | None, zone: ZoneInfo
) -> datetime.datetime | None:
    """WordPress's GMT time, else its local time read in the edition's zone, as aware UTC."""
    if gmt is not None:
        return gmt.replace(tzinfo=datetime.UTC)
    if local is not None:
        return local.replace(tzinfo=zone).astimezone(datetime.UTC)
    return None


def slug_of(value: str) -> str:
    """A WordPress slug (percent-encoded for Arabic) as khabar's Unicode slug."""
    return slugify(unquote(value), allow_unicode=True)[:_SLUG_MAX].strip("-")


def text_of(value: str) -> str:
    """A title or a name as WordPress keeps it (HTML: ``Tom &amp; Jerry``, ``<em>``) as
    plain text."""
    if "<" not in value and "&" not in value:
        return value
    return " ".join(paragraphs(value))


def headline_of(item: Item, body: list[str]) -> str:
    """The post's title; for an untitled post (an aside), the start of its first paragraph."""
    title = text_of(item.title)
    if title:
        return title[:300]
    words = body[0].split() if body else []
    if not words:
        return ""
    short = " ".join(words[:12])
    return short[:299] + "…" if len(words) > 12 or len(short) > 299 else short


@dataclass
class StoryDraft:
    """A post as a story, before it has a section or a row."""

    source_id: str
    state: str  # "published" or "draft"
    headline: str
    slug: str
    summary: str
    body: str
    byline: str
    published_at: datetime.datetime | None
    dateline_date: datetime.date
    comments_closed: bool
    categories: list[tuple[str, str]]  # (slug, name), in the post's order
    tags: list[tuple[str, str]]
    thumbnail_id: int


def story_of(
    item: Item,
    *,
    state: str,
    zone: ZoneInfo,
    authors: dict[str, str],
    now: datetime.datetime,
    full: bool = True,
) -> StoryDraft:
    """The post as a story; without ``full`` (the checks), the body and summary are only
    read when an untitled post needs its headline from them."""
    body = paragraphs(item.content) if full or not item.title else []
    headline = headline_of(item, body)
    published = to_utc(item.date_gmt, item.date_local, zone)
    when = published or now
    categories = [
        (slug_of(t.slug or t.name), text_of(t.name)) for t in item.terms if t.domain == "category"
    ]
    tags = [
        (slug_of(t.slug or t.name), text_of(t.name)) for t in item.terms if t.domain == "post_tag"
    ]
    thumb = item.meta.get("_thumbnail_id", "").strip()
    return StoryDraft(
        source_id=source_id(item),
        state=state,
        headline=headline,
        slug=slug_of(item.post_name) or slugify(headline, allow_unicode=True)[:100].strip("-"),
        summary=" ".join(paragraphs(item.excerpt)) if full else "",
        body="\n\n".join(body),
        byline=text_of(authors.get(item.creator) or item.creator)[:200],
        published_at=published if state == "published" else None,
        dateline_date=when.astimezone(zone).date(),
        comments_closed=item.comment_status == "closed",
        categories=[(s, n[:120] or s) for s, n in categories if s],
        tags=[(s[:100], n[:100] or s[:100]) for s, n in tags if s],
        thumbnail_id=int(thumb) if thumb.isdigit() else 0,
    )


# --- Comments -----------------------------------------------------------------------------------


@dataclass
class PlannedComment:
    """A comment as it will be stored: its place in the tree worked out from WordPress's ids."""

    wp_id: int
    parent_wp_id: int  # the nearest ancestor that is imported, 0 for a top-level comment
    path: str
    depth: int
    status: str
    author_name: str
    email: str
    ip_hash: str
    created_at: datetime.datetime
    text: str


def author_name(value: str, lang: str) -> str:
    """The commenter's name as the comments app keeps names (no bidi controls, no markup,
    spaces collapsed, at most its length); "Anonymous" in the edition's language if none."""
    name = html.unescape(strip_bidi_controls(value)).replace("<", "").replace(">", "")
    name = _SPACES.sub(" ", name).strip()
    if not name:
        with translation.override(lang):
            name = _("Anonymous")
    return name[:MAX_NAME_LENGTH]


#: An address the comments app's validator accepts, checked in a few microseconds (most
#: are like this); anything else goes through that validator.
_PLAIN_EMAIL = re.compile(
    r"[A-Za-z0-9._%+-]+@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}\Z"
)


def email_of(value: str) -> str:
    """The commenter's address if khabar would take it from a reader, else ""."""
    value = value.strip()
    if len(value) <= 254 and _PLAIN_EMAIL.match(value):
        return value
    try:
        return clean_email(value)
    except CommentError:
        return ""  # an address WordPress let through and khabar would refuse: not kept


def plan_thread(
    item: Item,
    *,
    lang: str,
    zone: ZoneInfo,
    post_date: datetime.datetime,
    now: datetime.datetime,
    counts: Counter[str],
    problems: list[tuple[int, str]],
    full: bool = True,
) -> list[PlannedComment]:
    """The comments of a post that are imported, parents first, with their paths.

    Counts what is imported and what is left out (``counts``) and records what cannot be
    read (``problems``, with the line). Threading follows ``wp:comment_parent``; a reply
    whose parent is left out (spam, trash, a pingback) hangs under the nearest ancestor
    that is imported, and one whose parent is not in the file at all becomes top-level, as
    WordPress itself shows it. Paths are numbered in the order comments were written.
    Without ``full`` (the checks), names, addresses and address hashes are left blank.
    """
    by_id: dict[int, Comment] = {}
    kept: dict[int, tuple[Comment, str, str]] = {}
    for comment in item.comments:
        if comment.wp_id in by_id:
            problems.append(
                (comment.line, _("comment %(id)s appears twice") % {"id": comment.wp_id})
            )
            continue
        by_id[comment.wp_id] = comment
        if comment.kind in ("pingback", "trackback"):
            counts["comments skipped: pingback"] += 1
            continue
        state = COMMENT_STATES.get(comment.approved)
        if state is None:
            problems.append(
                (
                    comment.approved_line,
                    _("unknown comment state wp:comment_approved=%(value)r")
                    % {"value": comment.approved},
                )
            )
            continue
        if state.startswith("skip:"):
            counts[f"comments skipped: {state[5:]}"] += 1
            continue
        text = plain_text(comment.content)
        if not text:
            counts["comments skipped: empty"] += 1
            continue
        kept[comment.wp_id] = (comment, state, text)

    def imported_parent(comment: Comment) -> int:
        # Up past the ancestors left out; a chain that loops (bad data) stops where it does.
        seen = {comment.wp_id}
        parent = comment.parent_id
        while parent and parent not in kept and parent not in seen:
            above = by_id.get(parent)
            if above is None:
                counts["replies whose parent is not in the file"] += 1
                return 0
            seen.add(parent)
            parent = above.parent_id
        return parent if parent in kept else 0

    retention = datetime.timedelta(days=settings.KHABAR_IP_RETENTION_DAYS)
    rows: list[tuple[datetime.datetime, int, int, Comment, str, str]] = []
    for wp_id, (comment, state, text) in kept.items():
        created = to_utc(comment.date_gmt, comment.date_local, zone) or post_date
        rows.append((created, wp_id, imported_parent(comment), comment, state, text))
    rows.sort(key=lambda row: (row[0], row[1]))
    number = {row[1]: n for n, row in enumerate(rows, 1)}
    parent_of = {row[1]: row[2] for row in rows}
    for wp_id in parent_of:
        seen, above = {wp_id}, parent_of[wp_id]
        while above and above not in seen:
            seen.add(above)
            above = parent_of[above]
        if above:
            problems.append(
                (by_id[wp_id].line, _("comment %(id)s is its own ancestor") % {"id": wp_id})
            )
            parent_of[wp_id] = 0
    paths: dict[int, str] = {}

    def path_of(wp_id: int) -> str:
        chain = [wp_id]
        while parent_of[chain[-1]] and chain[-1] not in paths:
            chain.append(parent_of[chain[-1]])
        for above, below in zip(chain[::-1], chain[-2::-1], strict=False):
            paths.setdefault(above, segment(number[above]))
            paths[below] = paths[above] + segment(number[below])
        return paths.setdefault(wp_id, segment(number[wp_id]))

    planned = []
    for created, wp_id, _parent, comment, state, text in rows:
        parent = parent_of[wp_id]
        path = path_of(wp_id)
        depth = len(path) // len(segment(0)) - 1
        if depth > MAX_DEPTH:
            problems.append(
                (
                    comment.line,
                    _("comment %(id)s is nested deeper than %(max)s replies")
                    % {"id": wp_id, "max": MAX_DEPTH},
                )
            )
            continue
        # The address only as the comments app keeps it (a keyed hash) and only while its
        # retention lasts: an older comment's would be purged on the next run anyway.
        keep_ip = full and comment.ip and now - created < retention
        planned.append(
            PlannedComment(
                wp_id=wp_id,
                parent_wp_id=parent,
                path=path,
                depth=depth,
                status=state,
                author_name=author_name(comment.author, lang) if full else "",
                email=email_of(comment.email) if full else "",
                ip_hash=hash_ip(comment.ip) if keep_ip else "",
                created_at=created,
                text=text,
            )
        )
        counts[f"comments {state}"] += 1
    # Parents first: each level is inserted after the one above it.
    planned.sort(key=lambda c: (c.depth, c.path))
    return planned
