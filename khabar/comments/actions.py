"""Every write to a comment goes through these functions.

Each one does the whole change: validation (nothing is half-written), the transaction, the
compare-and-set of ``status``, the audit entry and, after commit, notifications and cache
purging. Nothing else assigns ``status``.

Every function takes the ``actor`` (``khabar.site.actors``), never ``None``: the reader's
user (``AnonymousUser`` for an anonymous reader), a moderator, or a system actor such as
``actors.COMMAND_LINE``. Moderation needs ``comments.moderate_comment`` from the actor.
"""

from __future__ import annotations

import datetime
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache, caches
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import EmailValidator
from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from khabar.comments import conf, moderation, notify, spam, sql, tree
from khabar.comments.errors import CommentError
from khabar.comments.models import (
    HIDDEN,
    AuditEntry,
    Comment,
    Like,
    Policy,
    Report,
    Status,
    Thread,
)
from khabar.comments.threads import policy_of, resolve_thread, thread_tags
from khabar.lib.arabic import fingerprint, strip_bidi_controls, strip_ignorables
from khabar.lib.html import has_links, render_comment
from khabar.site import actors, pagecache

#: Who acts: a user (``AnonymousUser`` for a reader), a moderator, or a system actor
#: (``khabar.site.actors``); typed loosely, as in the other apps' actions.
Actor = Any
MODERATE = "comments.moderate_comment"

_TAG_RE = re.compile(r"<\s*/?\s*[A-Za-z!][^>]*>")
_CODE_RE = re.compile(r"(`+)(?:(?!\1).)+?\1", re.DOTALL)
#: Django's validator (domain, IDN, literal addresses), with a local part that may be written
#: in any script (RFC 6531: سارة@مثال.مصر), where Django's allows ASCII only.
_validate_email = EmailValidator()
_validate_email.user_regex = re.compile(r"[^\s@<>\"',;]+\Z")
# Control characters, lone surrogates (JSON can carry them, UTF-8 cannot store them) and
# the non-characters U+FFFE/U+FFFF (not allowed in XML: they would break the comment feed).
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True)
class Posted:
    comment: Comment
    token: str  # the edit token, given to the author once and stored only as a hash

    @property
    def visible(self) -> bool:
        return self.comment.status == Status.APPROVED


# --- Validation -----------------------------------------------------------------------------


def clean_name(name: str, user: Any) -> str:
    """The author's name: bidi controls removed, spaces collapsed; required, and refused
    when it shows nothing (made only of default-ignorable characters such as U+200B)."""
    name = " ".join(_CONTROL_RE.sub("", strip_bidi_controls(name or "")).split())
    if not name and user is not None and user.is_authenticated:
        name = user.get_full_name() or user.get_username()
    if not name:
        raise CommentError("name-missing")
    if not strip_ignorables(name).strip():
        raise CommentError("name-blank")
    if len(name) > conf.MAX_NAME_LENGTH:
        raise CommentError("name-too-long")
    if "<" in name or ">" in name:
        raise CommentError("name-html")
    return name


def clean_email(email: str) -> str:
    email = (email or "").strip()
    if email and (len(email) > 254 or _CONTROL_RE.search(email)):
        raise CommentError("email")
    if email:
        try:
            _validate_email(email)
        except ValidationError:
            raise CommentError("email") from None
    return email


def clean_text(text: str) -> str:
    """The comment as written (line endings unified); length counts characters."""
    text = _CONTROL_RE.sub("", (text or "").replace("\r\n", "\n")).strip()
    visible = strip_bidi_controls(text).strip()
    if not visible:
        raise CommentError("empty")
    if len(visible) < conf.MIN_LENGTH:
        raise CommentError("too-short")
    if len(text) > conf.MAX_LENGTH:
        raise CommentError("too-long")
    # Inside backticks a tag is something written about, shown as typed (the renderer
    # escapes all HTML), not markup.
    if _TAG_RE.search(_CODE_RE.sub("", text)):
        raise CommentError("html")
    return text


def render(text: str) -> str:
    # Bidi controls are kept in the stored text but not in the page, where they could
    # reorder the words around them.
    return render_comment(strip_bidi_controls(text))


def _decide(
    thread: Thread, text: str, name: str, actor: Actor, words: str | None = None
) -> tuple[str, str]:
    """The new comment's status and the reason a moderator will see."""
    verdict = moderation.check_words(text, name, stamp=words)
    if verdict.kind == "banned":
        return Status.REJECTED, f"banned: {verdict.word} ({verdict.matched})"
    if actor.has_perm(MODERATE):
        return Status.APPROVED, ""
    if verdict.kind == "suspect":
        return Status.PENDING, f"suspect: {verdict.word} ({verdict.matched})"
    if conf.LINKS_NEED_APPROVAL and has_links(text):
        return Status.PENDING, "link"
    if policy_of(thread) == Policy.POST:
        return Status.APPROVED, ""
    return Status.PENDING, ""


def _check_parent(thread: Thread, parent_id: int | None, parent: Comment | None) -> Comment | None:
    """The parent comment if the reply may hang under it; ``parent`` is what ``parent_id`` named."""
    if parent_id is None:
        return None
    if parent is None:
        raise CommentError("parent-missing")
    if parent.thread_id != thread.pk:
        raise CommentError("parent-other-thread")
    if parent.status != Status.APPROVED:
        raise CommentError("parent-removed" if parent.status in HIDDEN else "parent-missing")
    return parent


def _audit_entry(
    comment: Comment, action: str, before: str, actor: Actor, note: str = ""
) -> AuditEntry:
    # A system actor is named in the note: the log says who acted even without a user.
    system = actors.audit_name(actor) if actors.is_system(actor) else ""
    return AuditEntry(
        comment=comment,
        action=action,
        from_status=before,
        to_status=comment.status,
        user=actors.user_or_none(actor),
        note=(f"{system}: {note}" if system and note else system or note)[:300],
    )


def _audit(comment: Comment, action: str, before: str, actor: Actor, note: str = "") -> None:
    _audit_entry(comment, action, before, actor, note).save(force_insert=True)


def _require_actor(actor: object) -> None:
    """A write names who does it: ``None`` is refused (``actors.require``'s rule)."""
    if actor is None:
        raise PermissionDenied("no actor: every write names who does it")


def count_change(thread_id: int, before: str, after: str) -> None:
    """Keep the thread's approved count when a comment goes from ``before`` to ``after``."""
    change = (after == Status.APPROVED) - (before == Status.APPROVED)
    if change:
        Thread.objects.filter(pk=thread_id).update(approved_count=F("approved_count") + change)


def _purge(thread: Thread) -> None:
    """After commit, purge the pages that show the thread (and its story's lists)."""
    article = thread.article
    keys = _article_keys(article) if article is not None else thread_tags(thread.key)
    transaction.on_commit(lambda: pagecache.purge_keys(keys))


def _article_keys(article: Any) -> list[str]:
    """``pagecache.article_keys``, its tag lookup kept per process while the story is unchanged.

    Changing a story's tags goes through the story's actions, which move ``updated_at``.
    """
    # Other stories' "Related stories" cards show no comment counts: their pages stay.
    if not settings.KHABAR_FRAGMENT_CACHE:
        return pagecache.article_keys(article, related=False)
    key = f"comments:story-keys:{article.pk}:{article.updated_at.timestamp()}:{article.version}"
    keys = caches["fragments"].get(key)
    if keys is None:
        keys = pagecache.article_keys(article, related=False)
        caches["fragments"].set(key, keys)
    return keys


# --- Readers --------------------------------------------------------------------------------


def post_comment(
    thread_key: str,
    *,
    actor: Actor,
    author: str,
    text: str,
    email: str = "",
    parent_id: int | None = None,
    notify_replies: bool = False,
    ip_hash: str = "",
    submission: spam.Submission | None = None,
) -> Posted:
    """Post a comment or a reply; pending, approved, rejected or spam per the checks.

    Raises CommentError (with an HTTP status and a translated message) for bad input,
    an unknown or closed thread, a bad parent or a duplicate; nothing is written then.
    """
    _require_actor(actor)
    user = actors.user_or_none(actor)
    name = clean_name(author, user)
    email = clean_email(email or (user.email if user is not None else ""))
    text = clean_text(text)
    text_hash = fingerprint(text)
    since = timezone.now() - datetime.timedelta(seconds=conf.DUPLICATE_SECONDS)
    # Rendered before the write transaction: nothing that needs no lock runs under it.
    html = render(text)
    token = secrets.token_urlsafe(24)
    with transaction.atomic():
        # One query: the thread, its story and section, the word lists' generation, whether
        # this author just sent the same text, and the parent.
        found = sql.post_context(
            thread_key,
            parent_id=parent_id,
            text_hash=text_hash,
            since=since,
            user_id=user.pk if user is not None else None,
            ip_hash=ip_hash,
        )
        if found is None:  # the thread's first comment
            found = _new_thread_context(thread_key, parent_id)
        thread = found.thread
        if thread.article is not None and not thread.article.is_live:
            raise CommentError("thread-unknown")
        if policy_of(thread) == Policy.CLOSED:
            raise CommentError("closed")
        parent = _check_parent(thread, parent_id, found.parent)
        if found.duplicate:
            raise CommentError("duplicate")
        status, reason = _decide(thread, text, name, actor, found.words)
        if status != Status.REJECTED and submission is not None:
            checker = spam.get_checker()
            if checker is not None and checker.is_spam(submission):
                status, reason = Status.SPAM, "spam check"
        try:
            path, depth = tree.allocate_path(thread, parent, approved=status == Status.APPROVED)
        except tree.TreeError:
            raise CommentError("too-deep") from None
        comment = Comment(
            thread=thread,
            parent=parent,
            path=path,
            depth=depth,
            status=status,
            author_name=name,
            email=email,
            user=user,
            notify_replies=notify_replies and bool(email),
            text=text,
            html=html,
            reason=reason,
            ip_hash=ip_hash,
            text_hash=text_hash,
            edit_token_hash=tree.hash_token(token),
            root_id=parent.root_id if parent else None,
        )
        sql.insert(comment)
        if parent is None:
            sql.set_root_to_self(comment)
        sql.insert(_audit_entry(comment, "post", "", actor, reason))
        if status == Status.APPROVED:
            notify.reply_approved(comment)
            _purge(thread)
        elif status == Status.PENDING:
            notify.pending_grew(sql.waiting_count)
    return Posted(comment, token)


def _new_thread_context(key: str, parent_id: int | None) -> sql.PostContext:
    """A thread about to get its first comment: created now (no duplicates, no parent)."""
    thread = resolve_thread(key, create=True)
    assert thread is not None
    parent = Comment.objects.filter(pk=parent_id).first() if parent_id is not None else None
    return sql.PostContext(
        thread=thread, words=moderation.lists_stamp(), duplicate=False, parent=parent
    )


def can_author_change(comment: Comment, *, now: datetime.datetime | None = None) -> bool:
    """Within the edit window and not already gone."""
    if comment.status in (Status.DELETED, Status.SPAM):
        return False
    limit = comment.created_at + datetime.timedelta(minutes=conf.EDIT_MINUTES)
    return (now or timezone.now()) <= limit


def edit_comment(comment: Comment, *, actor: Actor, text: str) -> Comment:
    """The author's edit within the window, marked edited and moderated again.

    An edit of an approved comment that needs a moderator waits beside it
    (``pending_text``): readers keep the approved text and the replies under it, the author
    sees their edit, and ``approve_comment`` swaps it in (``reject_comment`` drops it). An
    edit that needs no moderator (post-moderation, or a moderator's own) shows at once; a
    comment still waiting is simply rewritten.

    The caller found the comment through ``access.access_comment_for_author``.
    """
    _require_actor(actor)
    if not can_author_change(comment):
        raise CommentError("edit-window")
    text = clean_text(text)
    html = render(text)
    with transaction.atomic():
        thread = Thread.objects.select_related("article", "article__section").get(
            pk=comment.thread_id
        )
        if policy_of(thread) == Policy.CLOSED:
            raise CommentError("closed")
        before = comment.status
        status, reason = _decide(thread, text, comment.author_name, actor)
        rows = Comment.objects.filter(pk=comment.pk, status=before)
        if before == Status.APPROVED and status != Status.APPROVED:
            updated = rows.update(pending_text=text, pending_html=html, pending_reason=reason)
            action = "edit-pending"
        else:
            if before in (Status.PENDING, Status.REJECTED) and status == Status.APPROVED:
                # An edit cannot publish what a moderator has not seen.
                status = Status.PENDING
            updated = rows.update(
                text=text,
                html=html,
                text_hash=fingerprint(text),
                status=status,
                reason=reason,
                edited_at=timezone.now(),
                **_NO_PENDING_EDIT,
            )
            action = "edit"
        if updated != 1:
            raise CommentError("edit-window")
        count_change(comment.thread_id, before, status if action == "edit" else before)
        comment.refresh_from_db()
        _audit(comment, action, before, actor, reason)
        if action == "edit":
            _purge(thread)
        else:
            notify.pending_grew(sql.waiting_count)
    return comment


_NO_PENDING_EDIT = {"pending_text": "", "pending_html": "", "pending_reason": ""}


def delete_comment(comment: Comment, *, actor: Actor) -> Comment:
    """The author's delete within the window; replies keep a tombstone in its place."""
    _require_actor(actor)
    if not can_author_change(comment):
        raise CommentError("edit-window")
    return _transition(comment, to=Status.DELETED, actor=actor, action="delete")


def like_comment(
    comment: Comment, *, actor: Actor, viewer: tree.Viewer, voter: str, ip_hash: str
) -> int:
    """One like per reader and per address; returns the new count.

    Raises ``already`` for a second like (same voter or same address) and ``own-like`` when
    the author likes their own comment (their account, edit token or address). The thread's
    pages are purged at most once per ``conf.LIKE_PURGE_SECONDS``: a burst of likes does not
    empty the caches.
    """
    _require_actor(actor)
    if comment.status != Status.APPROVED:
        raise CommentError("not-found")
    if viewer.owns(comment) or (ip_hash and ip_hash == comment.ip_hash):
        raise CommentError("own-like")
    try:
        with transaction.atomic():
            Like.objects.create(comment=comment, voter=voter, ip_hash=ip_hash)
            Comment.objects.filter(pk=comment.pk).update(likes=F("likes") + 1)
    except IntegrityError:
        raise CommentError("already") from None
    # The thread's pages show the count: the story page and the API's cached pages.
    if cache.add(f"khabar:like-purge:{comment.thread_id}", 1, conf.LIKE_PURGE_SECONDS):
        key = Thread.objects.values_list("key", flat=True).get(pk=comment.thread_id)
        transaction.on_commit(lambda: pagecache.purge_keys(thread_tags(key)))
    return Comment.objects.values_list("likes", flat=True).get(pk=comment.pk)


def report_comment(comment: Comment, *, actor: Actor, voter: str, reason: str = "") -> None:
    """A reader's report; the comment joins the moderators' reported queue."""
    _require_actor(actor)
    if comment.status not in (Status.APPROVED, Status.PENDING):
        raise CommentError("not-found")
    reason = " ".join(_CONTROL_RE.sub("", strip_bidi_controls(reason)).split())[:300]
    try:
        with transaction.atomic():
            Report.objects.create(comment=comment, voter=voter, reason=reason)
            Comment.objects.filter(pk=comment.pk).update(reports=F("reports") + 1)
    except IntegrityError:
        raise CommentError("already") from None


# --- Moderators -----------------------------------------------------------------------------


def _require_moderator(actor: Actor) -> None:
    actors.require(actor, MODERATE)


def _transition(
    comment: Comment, *, to: str, actor: Actor, action: str, note: str = "", **fields: object
) -> Comment:
    """Compare-and-set the status; the row count tells whether someone got there first."""
    with transaction.atomic():
        before = comment.status
        # A comment that leaves the page takes any edit waiting on it along.
        updated = Comment.objects.filter(pk=comment.pk, status=before).update(
            status=to, **{**_NO_PENDING_EDIT, **fields}
        )
        if updated != 1:
            comment.refresh_from_db()
            if comment.status == to:
                return comment
            raise CommentError("already")
        count_change(comment.thread_id, before, to)
        comment.refresh_from_db()
        _audit(comment, action, before, actor, note)
        if to == Status.APPROVED:
            notify.reply_approved(comment)
        thread = Thread.objects.select_related("article").get(pk=comment.thread_id)
        _purge(thread)
    return comment


def _moderate(comment: Comment, to: str, actor: Actor, action: str, note: str) -> Comment:
    _require_moderator(actor)
    fields: dict[str, object] = {"moderated_at": timezone.now()}
    if actors.user_or_none(actor) is not None:
        fields["moderated_by"] = actor
    if to == Status.APPROVED:
        fields["reports"] = 0  # reviewed: it leaves the reported queue
    return _transition(comment, to=to, actor=actor, action=action, note=note, **fields)


def _settle_edit(comment: Comment, *, actor: Actor, approve: bool, note: str) -> Comment:
    """Swap an approved comment's pending edit in (``approve``) or drop it; compare-and-set
    on the edit the moderator saw, so a newer edit is not settled unseen."""
    _require_moderator(actor)
    fields: dict[str, object] = {**_NO_PENDING_EDIT, "moderated_at": timezone.now()}
    if actors.user_or_none(actor) is not None:
        fields["moderated_by"] = actor
    if approve:
        text = comment.pending_text
        fields.update(
            text=text,
            html=comment.pending_html,
            text_hash=fingerprint(text),
            edited_at=timezone.now(),
            reports=0,
        )
    with transaction.atomic():
        updated = Comment.objects.filter(
            pk=comment.pk, status=Status.APPROVED, pending_text=comment.pending_text
        ).update(**fields)
        if updated != 1:
            raise CommentError("already")
        comment.refresh_from_db()
        _audit(comment, "approve-edit" if approve else "reject-edit", comment.status, actor, note)
        if approve:
            _purge(Thread.objects.select_related("article").get(pk=comment.thread_id))
    return comment


def approve_comment(comment: Comment, *, actor: Actor, note: str = "") -> Comment:
    """Publish a comment, or the edit waiting on an approved one (or clear its reports)."""
    if comment.status == Status.APPROVED and comment.has_pending_edit:
        return _settle_edit(comment, actor=actor, approve=True, note=note)
    if comment.status == Status.APPROVED:
        _require_moderator(actor)
        Comment.objects.filter(pk=comment.pk).update(reports=0)
        _audit(comment, "clear-reports", comment.status, actor, note)
        return comment
    return _moderate(comment, Status.APPROVED, actor, "approve", note)


def reject_comment(comment: Comment, *, actor: Actor, note: str = "") -> Comment:
    """Remove a comment from the page; it stays in the rejected queue. On an approved
    comment with an edit waiting, only the edit goes: the approved text stays."""
    if comment.status == Status.APPROVED and comment.has_pending_edit:
        return _settle_edit(comment, actor=actor, approve=False, note=note)
    return _moderate(comment, Status.REJECTED, actor, "reject", note)


def mark_spam(comment: Comment, *, actor: Actor, note: str = "") -> Comment:
    """Remove a comment as spam."""
    return _moderate(comment, Status.SPAM, actor, "spam", note)


ACTIONS = {
    Status.APPROVED: approve_comment,
    Status.REJECTED: reject_comment,
    Status.SPAM: mark_spam,
}


def moderate_comments(comments: Iterable[Comment], *, to: str, actor: Actor) -> int:
    """Approve, reject or mark as spam many comments; returns how many changed."""
    _require_moderator(actor)
    action = ACTIONS[Status(to)]
    changed = 0
    for comment in comments:
        settles_edit = comment.has_pending_edit and to != Status.SPAM
        if (comment.status == to and not settles_edit) or comment.status == Status.DELETED:
            continue
        try:
            action(comment, actor=actor)
        except CommentError:
            continue
        changed += 1
    return changed


# --- Data requests ----------------------------------------------------------------------------


def comments_of(email: str) -> QuerySet[Comment]:
    """Every comment written with this email address, or by the account that has it."""
    email = email.strip()
    if not email:
        return Comment.objects.none()
    return Comment.objects.filter(Q(email__iexact=email) | Q(user__email__iexact=email))


#: Log entries written by the author (their account is linked there).
AUTHOR_ACTIONS = ("post", "edit", "delete")


def erase_comments(email: str, *, actor: Actor) -> int:
    """Blank the comments of ``email`` (tombstones keep others' replies); returns how many.

    The comment becomes a tombstone (status ``deleted``) with its name, email, text and
    address hash blanked, so the replies of other readers stay. Their words go from
    everywhere else too: the moderation log's notes (a matched banned word quotes the
    text), the author's link in that log, the reports' reasons, and the likes' addresses.
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
