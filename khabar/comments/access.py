"""Permission-checked reads of comments, and who the reader is.

"Missing" and "not yours" give the same 404. A reader is recognised by their user account
or by the edit tokens they hold (a signed cookie on the story page, a header from the
widget), never by their address: readers behind one NAT do not share edit rights.
"""

from __future__ import annotations

import re
import secrets

from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse

from khabar.comments import conf
from khabar.comments.errors import CommentError
from khabar.comments.models import Comment, Status
from khabar.comments.tree import Viewer

TOKENS_COOKIE = "khabar_ct"
READER_COOKIE = "khabar_reader"
_TOKENS_SALT = "khabar.comments.tokens"
_MAX_TOKENS = 30
_HEADER_TOKEN = re.compile(r"([0-9]{1,18})\.([A-Za-z0-9_-]{10,64})")
_READER = re.compile(r"[A-Za-z0-9_-]{8,64}\Z")


def _cookie_tokens(request: HttpRequest) -> dict[int, str]:
    raw = request.COOKIES.get(TOKENS_COOKIE, "")
    if not raw:
        return {}
    try:
        data = signing.loads(raw, salt=_TOKENS_SALT)
    except signing.BadSignature:
        return {}
    if not isinstance(data, dict):
        return {}
    return {int(k): str(v) for k, v in data.items() if str(k).isdigit()}


def _header_tokens(request: HttpRequest) -> dict[int, str]:
    header = request.headers.get("X-Khabar-Tokens", "")[:4000]
    return {int(m[1]): m[2] for m in _HEADER_TOKEN.finditer(header)}


def viewer_for(request: HttpRequest, *, user: object | None = None) -> Viewer:
    """The reader making ``request`` (``user`` overrides the session's, e.g. for the API)."""
    account = request.user if user is None else user
    authenticated = getattr(account, "is_authenticated", False)
    reader = request.headers.get("X-Khabar-Reader", "") or request.COOKIES.get(READER_COOKIE, "")
    return Viewer(
        user_id=account.pk if authenticated else None,  # type: ignore[union-attr]
        tokens={**_cookie_tokens(request), **_header_tokens(request)},
        reader=reader if _READER.match(reader) else "",
        is_moderator=bool(authenticated and account.has_perm("comments.moderate_comment")),  # type: ignore[union-attr]
    )


def voter_for(viewer: Viewer, response: HttpResponse | None = None) -> str:
    """The key a like or report is counted under; sets a reader cookie when needed."""
    if viewer.user_id is not None:
        return f"u:{viewer.user_id}"
    if not viewer.reader:
        viewer.reader = secrets.token_urlsafe(16)
        if response is not None:
            remember_reader(response, viewer.reader)
    return f"r:{viewer.reader}"


def remember_reader(response: HttpResponse, reader: str) -> None:
    response.set_cookie(
        READER_COOKIE, reader, max_age=365 * 24 * 3600, httponly=True, samesite="Lax"
    )


def remember_token(request: HttpRequest, response: HttpResponse, pk: int, token: str) -> None:
    """Keep the edit token of a comment just posted in the author's signed cookie."""
    tokens = _cookie_tokens(request)
    tokens[pk] = token
    latest = dict(sorted(tokens.items())[-_MAX_TOKENS:])
    response.set_cookie(
        TOKENS_COOKIE,
        signing.dumps({str(k): v for k, v in latest.items()}, salt=_TOKENS_SALT),
        max_age=max(conf.EDIT_MINUTES, 1) * 60 * 4 + 7 * 24 * 3600,
        httponly=True,
        samesite="Lax",
    )


def access_comment_for_reader(pk: int) -> Comment:
    """An approved comment (to like or report), or ``not-found``."""
    comment = Comment.objects.filter(pk=pk, status__in=(Status.APPROVED,)).first()
    if comment is None:
        raise CommentError("not-found")
    return comment


def access_comment_for_moderator(user: object, pk: int) -> Comment:
    """Any comment, for a moderator to act on; 404 for anyone else or a missing one."""
    comment = (
        Comment.objects.filter(pk=pk).first()
        if getattr(user, "has_perm", lambda _p: False)("comments.moderate_comment")
        else None
    )
    if comment is None:
        raise Http404("no such comment")
    return comment


def approved_comment_or_none(pk: int) -> Comment | None:
    """An approved comment (to reply under), or None."""
    return Comment.objects.filter(pk=pk, status=Status.APPROVED).first()


def access_root_for_reader(pk: int) -> Comment:
    """A top-level comment (whatever its status: its replies may show) on a live thread,
    to list replies under, or ``not-found``."""
    root = (
        Comment.objects.select_related("thread", "thread__article", "thread__article__section")
        .filter(pk=pk, depth=0)
        .first()
    )
    if root is None or (root.thread.article_id and not root.thread.article.is_live):
        raise CommentError("not-found")
    return root


def access_comment_for_author(viewer: Viewer, pk: int) -> Comment:
    """A comment the viewer wrote (to edit or delete), or ``not-found``."""
    comment = Comment.objects.filter(pk=pk).exclude(status=Status.DELETED).first()
    if comment is None or not viewer.owns(comment):
        raise CommentError("not-found")
    return comment
