"""The comments API under /api/v1/ (django-ninja), used by the widget and the story page.

A refusal raises ``CommentError``; khabar/api.py answers it in the API's one error shape
(``{"code", "message"}``), the message in the reader's language: the first of
Accept-Language with an edition (the widget sends its host page's), else Arabic. Requests
from another origin are answered with CORS headers (django-cors-headers) only for the sites
in KHABAR_COMMENT_SITES and only on the widget's endpoints (``guard.cors_enabled``); a
logged-in session counts only with a valid CSRF token.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.templatetags.static import static
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext_lazy as _
from ninja import Field, Router, Schema
from ninja import Status as Answer

from khabar.comments import access, actions, conf, counts, guard, spam, tree, widget
from khabar.comments.errors import NOTICES, CommentError, documented_refusals
from khabar.comments.models import Like, Policy, Status, Thread
from khabar.comments.threads import (
    article_of,
    closes_at,
    key_is_valid,
    policy_of,
    resolve_thread,
    thread_tags,
)
from khabar.site import pagecache

#: How long a stored thread page may live at most (the page store's and nginx's safety net).
PAGE_TTL = timedelta(seconds=pagecache.TTL)

router = Router(tags=["comments"])
EDITED = _("Your comment was changed.")
EDIT_WAITS = _("Thank you: your edit will show once a moderator approves it.")


class CommentOut(Schema):
    id: int
    parent: int | None
    author: str
    html: str
    created: datetime
    edited: bool
    likes: int
    depth: int
    status: str = Field(description="approved, or pending for the caller's own comments")
    removed: bool = Field(description="a tombstone: removed, kept for its replies")
    own: bool
    editable: bool
    text: str = Field(
        "", description="for the author's own comment: what they typed, for the edit box"
    )
    pending_edit: bool = Field(
        False, description="the author's edit waits for a moderator (only they see it)"
    )
    liked: bool = Field(False, description="the caller likes it")
    replying_to: str = Field(description="the parent's author, for replies shown flat")
    more: str | None = Field(None, description="cursor for more replies under this comment")
    replies: list[CommentOut]


class ThreadOut(Schema):
    thread: str
    count: int
    open: bool
    sort: str
    stamp: str = Field(description="send back with POST: a signed form time-stamp")
    comments: list[CommentOut]
    next: str | None


class CommentIn(Schema):
    thread: str = Field(max_length=200)
    parent: int | None = None
    author: str = ""
    email: str = ""
    text: str
    notify: bool = False
    stamp: str = ""
    website: str = Field("", description="the honeypot: leave empty")


class PostedOut(CommentOut):
    token: str = Field(description="keep it: it lets the author edit or delete for a while")
    message: str


class EditIn(Schema):
    text: str


class EditedOut(CommentOut):
    message: str


class WidgetOut(Schema):
    lang: str = Field(description="the language of the strings and messages")
    allowed: bool = Field(description="whether the calling page may show this thread")
    code: str = Field(description="why not, when not allowed")
    message: str
    strings: dict[str, str] = Field(description="the widget's words its catalogue translates")
    css: str = Field(description="the widget's style sheet (a versioned address in production)")


class ReportIn(Schema):
    reason: str = ""


class LikesOut(Schema):
    likes: int
    liked: bool


# Everything, its errors too, in the reader's language; ``REFUSALS`` documents the errors.
router.add_decorator(guard.in_readers_language, mode="view")
REFUSALS = documented_refusals()


# --- Serialising ----------------------------------------------------------------------------


def _out(node: tree.Node, liked: frozenset[int] = frozenset()) -> dict[str, Any]:
    c = node.comment
    removed = node.tombstone
    return {
        "id": c.pk,
        "parent": c.parent_id,
        "author": "" if removed else c.author_name,
        "html": "" if removed else node.shown_html,
        "created": c.created_at,
        "edited": c.is_edited,
        "likes": c.likes,
        "depth": c.depth,
        "status": Status.DELETED
        if removed and c.status == Status.DELETED
        else (Status.PENDING if c.status == Status.PENDING else Status.APPROVED),
        "removed": removed,
        "own": node.own,
        "editable": node.own and not removed and actions.can_author_change(c),
        "text": node.shown_text if node.own and not removed else "",
        "pending_edit": node.pending_edit,
        "liked": c.pk in liked,
        "replying_to": node.parent_name if node.flat else "",
        "more": node.more_after or None,
        "replies": [_out(child, liked) for child in node.children],
    }


def _liked(viewer: tree.Viewer, nodes: list[tree.Node]) -> frozenset[int]:
    """Which of these comments (and their replies) the reader likes: one query, and none
    for a reader the request does not name."""
    if viewer.user_id is None and not viewer.reader:
        return frozenset()
    ids = [n.comment.pk for root in nodes for n in root.walk()]
    voter = access.voter_for(viewer)
    return frozenset(
        Like.objects.filter(voter=voter, comment_id__in=ids).values_list("comment_id", flat=True)
    )


# --- Endpoints ------------------------------------------------------------------------------


@router.get("/widget", response={200: WidgetOut})
def widget_start(request: HttpRequest, thread: str = ""):
    """What the widget asks first: whether its page may show ``thread``, its words, and in
    which language (the first of Accept-Language with a catalogue). Any origin may read it:
    a page that may not embed the thread is told so, in its own language, at load."""
    refusal = guard.embed_refusal(request, thread[:200])
    language = guard.language_of(request)
    body = {
        "lang": language,
        "allowed": refusal is None,
        "code": refusal.code if refusal else "",
        "message": refusal.message if refusal else "",
        "strings": widget.strings_for(language),
        "css": static("khabar/comments.css"),
    }
    response = HttpResponse(orjson.dumps(body), content_type="application/json")
    # Nothing in it is one reader's: any page may read it, browsers may keep it a while.
    response["Access-Control-Allow-Origin"] = "*"
    response["Cache-Control"] = "public, max-age=300"
    # Whether the page may embed the thread depends on its origin: a shared cache keeps
    # one answer per origin (CORS_URLS_REGEX leaves this path out, so nothing else says it).
    patch_vary_headers(response, ["Origin"])
    return response


@router.get("/comments", response={200: ThreadOut}, openapi_extra=REFUSALS)
def list_comments(request: HttpRequest, thread: str, sort: str = "oldest", cursor: str = ""):
    """A page of a thread: approved comments (and the caller's own pending ones), nested."""
    if not key_is_valid(thread):
        raise CommentError("thread-unknown")
    # Only a well-formed address may be kept whole by the page store and nginx: a bogus
    # sort or cursor is answered as the default, but must not make a stored variant.
    canonical = (sort in tree.SORTS or not sort) and (cursor.isdigit() or not cursor)
    sort = sort if sort in tree.SORTS else tree.DEFAULT_SORT
    offset = int(cursor) if cursor.isdigit() else 0
    shared = _shared_key(request, thread, sort, offset)
    page = caches["fragments"].get(shared) if shared else None
    if page is None:
        page = _read_json_page(request, thread, sort, offset)
        if shared:
            caches["fragments"].set(shared, page)
    closes = page.closes_at
    if canonical and (closes is None or closes > timezone.now() + PAGE_TTL):
        # The same for every anonymous reader on this site: the page store keeps it (and
        # nginx, purged by path) until a change to the thread purges its tag. Reader-specific
        # and cross-origin calls are never stored (pagecache.PageCacheMiddleware), nor a
        # thread that closes before the copy would expire ("open" is read per answer).
        pagecache.tag_request(request, *thread_tags(thread))
    body = {
        "thread": thread,
        "count": page.count,
        "open": page.open and (closes is None or timezone.now() < closes),
        "sort": sort,
        "stamp": spam.make_stamp(thread),
        "comments": orjson.Fragment(page.comments),
        "next": page.next,
    }
    # Built without the response model: the schema above documents it, the tests pin it.
    return HttpResponse(orjson.dumps(body), content_type="application/json")


@dataclass(frozen=True)
class JsonPage:
    """A thread page as the API answers it, apart from what changes per request."""

    count: int
    open: bool  # by policy; closes_at is checked on every answer
    closes_at: datetime | None
    comments: bytes  # the JSON array, serialised once
    next: str | None


def _shared_key(request: HttpRequest, key: str, sort: str, offset: int) -> str:
    """The cache key of a page every anonymous reader gets alike, or "" for this caller.

    A reader-specific caller (``pagecache.is_reader_specific``: a session, a khabar_* cookie,
    edit tokens, a reader id) may see their own pending comments and edit links: they get a
    fresh page. The key carries the thread's purge stamp, so a purge (a comment approved,
    edited or deleted; the story changed) retires it, and the minute, so like counts (whose
    purges are throttled) lag by a minute at most.
    """
    if not settings.KHABAR_FRAGMENT_CACHE or pagecache.is_reader_specific(request):
        return ""
    generation = pagecache.stamp(thread_tags(key))
    if not generation:
        return ""
    shape = "-".join(
        map(str, (conf.PAGE_SIZE, conf.REPLIES_PER_PAGE, conf.MAX_PER_PAGE, conf.INDENT_DEPTH))
    )
    digest = hashlib.blake2b(key.encode(), digest_size=12).hexdigest()
    minute = int(timezone.now().timestamp() // 60)
    return f"capi:{digest}:{sort}:{offset}:{generation}:{minute}:{shape}"


def _read_json_page(request: HttpRequest, key: str, sort: str, offset: int) -> JsonPage:
    found = resolve_thread(key, create=False)
    viewer = access.viewer_for(request, user=guard.actor_for(request))
    page = tree.read_page(found, viewer=viewer, sort=sort, offset=offset)
    liked = _liked(viewer, page.roots)
    thread = found or Thread(key=key, article=article_of(key))
    return JsonPage(
        count=page.count,
        # The policy alone (as if at the dawn of time): closing by age is checked per answer.
        open=policy_of(thread, now=datetime.min.replace(tzinfo=UTC)) != Policy.CLOSED,
        closes_at=closes_at(thread),
        comments=orjson.dumps([_out(node, liked) for node in page.roots]),
        next=str(page.next_offset) if page.next_offset is not None else None,
    )


@router.get("/comments/{int:pk}/replies", response={200: CommentOut}, openapi_extra=REFUSALS)
def list_replies(request: HttpRequest, pk: int, after: str = ""):
    """More replies under a top-level comment, after the cursor its ``more`` gave."""
    root = access.access_root_for_reader(pk)
    viewer = access.viewer_for(request, user=guard.actor_for(request))
    node = tree.read_replies(root, viewer=viewer, after=after[:800])
    return _out(node, _liked(viewer, [node]))


@router.post("/comments", response={201: PostedOut, 202: PostedOut}, openapi_extra=REFUSALS)
def create_comment(request: HttpRequest, payload: CommentIn):
    """Post a comment: 201 when it shows at once, 202 when it waits (or is refused quietly)."""
    ip_hash = guard.check_post(
        request, payload.thread, stamp=payload.stamp, honeypot=payload.website
    )
    user = guard.actor_for(request)
    posted = actions.post_comment(
        payload.thread,
        actor=user,
        author=payload.author,
        email=payload.email,
        text=payload.text,
        parent_id=payload.parent,
        notify_replies=payload.notify,
        ip_hash=ip_hash,
        submission=guard.submission_of(
            request, text=payload.text, author=payload.author, email=payload.email
        ),
    )
    comment = posted.comment
    node = tree.Node(comment, own=True)
    body = {**_out(node), "status": comment.status, "token": posted.token}
    notice = NOTICES["approved" if posted.visible else comment.status]
    # Serialised directly; PostedOut documents the shape.
    return HttpResponse(
        orjson.dumps({**body, "message": str(notice)}),
        status=201 if posted.visible else 202,
        content_type="application/json",
    )


@router.patch("/comments/{int:pk}", response={200: EditedOut}, openapi_extra=REFUSALS)
def edit_comment(request: HttpRequest, pk: int, payload: EditIn):
    """The author edits within the edit window; the comment is moderated again."""
    guard.check_origin(request)
    actor = guard.actor_for(request)
    viewer = access.viewer_for(request, user=actor)
    comment = access.access_comment_for_author(viewer, pk)
    comment = actions.edit_comment(comment, actor=actor, text=payload.text)
    if comment.has_pending_edit:
        message = EDIT_WAITS
    else:
        message = NOTICES["pending"] if comment.status == Status.PENDING else EDITED
    return {**_out(tree.Node(comment, own=True)), "message": str(message)}


@router.delete("/comments/{int:pk}", response={204: None}, openapi_extra=REFUSALS)
def delete_comment(request: HttpRequest, pk: int):
    """The author deletes within the edit window; replies keep a tombstone."""
    guard.check_origin(request)
    actor = guard.actor_for(request)
    viewer = access.viewer_for(request, user=actor)
    comment = access.access_comment_for_author(viewer, pk)
    actions.delete_comment(comment, actor=actor)
    return Answer(204, None)


@router.post("/comments/{int:pk}/like", response={200: LikesOut}, openapi_extra=REFUSALS)
def like_comment(request: HttpRequest, pk: int):
    """One like per reader (user, or the X-Khabar-Reader id the widget keeps)."""
    actor = guard.actor_for(request)
    viewer = access.viewer_for(request, user=actor)
    if viewer.user_id is None and not viewer.reader:
        raise CommentError("bad-request")
    comment = access.access_comment_for_reader(pk)
    voter = access.voter_for(viewer)
    ip_hash = guard.check_vote(request, "like", voter=voter)
    likes = actions.like_comment(comment, actor=actor, viewer=viewer, voter=voter, ip_hash=ip_hash)
    return {"likes": likes, "liked": True}


@router.post("/comments/{int:pk}/report", response={202: None}, openapi_extra=REFUSALS)
def report_comment(request: HttpRequest, pk: int, payload: ReportIn):
    """Report a comment to the moderators."""
    actor = guard.actor_for(request)
    viewer = access.viewer_for(request, user=actor)
    if viewer.user_id is None and not viewer.reader:
        raise CommentError("bad-request")
    comment = access.access_comment_for_reader(pk)
    voter = access.voter_for(viewer)
    guard.check_vote(request, "report", voter=voter)
    actions.report_comment(comment, actor=actor, voter=voter, reason=payload.reason)
    return Answer(202, None)


@router.post(
    "/counts",
    response={200: dict[str, int]},
    openapi_extra={
        **REFUSALS,
        "requestBody": {
            "content": {
                "application/json": {
                    "schema": {"type": "array", "items": {"type": "string"}, "maxItems": 200}
                }
            },
            "required": True,
        },
    },
)
def comment_counts(request: HttpRequest):
    """Approved comments per thread key, for a JSON list of up to 200 keys."""
    try:
        keys = json.loads(request.body or b"null")
    except ValueError:
        raise CommentError("bad-request") from None
    if isinstance(keys, dict):
        keys = keys.get("threads")
    if not isinstance(keys, list) or len(keys) > 200 or not all(isinstance(k, str) for k in keys):
        raise CommentError("bad-request")
    return {k: 0 for k in keys} | counts.counts_for_keys([k for k in keys if key_is_valid(k)])
