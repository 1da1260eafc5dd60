"""Threads, comments (a materialised-path tree), likes, reports, word lists and the audit log."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from khabar.site.audit import AuditEntryBase

#: A path is one fixed-width segment per level (see tree.py); 120 levels fit.
SEGMENT_WIDTH = 6
MAX_DEPTH = 119
MAX_PATH_LENGTH = SEGMENT_WIDTH * (MAX_DEPTH + 1)


class Status(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    SPAM = "spam", _("Spam")
    DELETED = "deleted", _("Deleted")


#: Statuses that hide a comment; one with visible replies leaves a tombstone.
HIDDEN = (Status.REJECTED, Status.SPAM, Status.DELETED)


class Policy(models.TextChoices):
    INHERIT = "", _("As the section")
    PRE = "pre", _("Pre-moderation")
    POST = "post", _("Post-moderation")
    CLOSED = "closed", _("Closed")


#: What waits for a moderator: pending comments, and approved ones whose author's edit waits.
#: The one definition the desk home, the comment list's filter and the alert count share, and
#: the condition of the partial index that finds them without reading the archive.
WAITING = models.Q(status=Status.PENDING) | (
    models.Q(status=Status.APPROVED) & ~models.Q(pending_text="")
)
#: Reported comments still shown or waiting: the desk's other moderation queue.
REPORTED = models.Q(reports__gt=0, status__in=[Status.APPROVED, Status.PENDING])


class Thread(models.Model):
    """The comments of one story (``article:<id>``) or one page of an embedding site."""

    key = models.CharField(_("key"), max_length=200, unique=True)
    article = models.OneToOneField(
        "articles.Article",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="comment_thread",
        verbose_name=_("story"),
    )
    site = models.CharField(_("site"), max_length=40, blank=True)
    url = models.URLField(_("page address"), max_length=500, blank=True)
    title = models.CharField(_("title"), max_length=300, blank=True)
    policy = models.CharField(
        _("comment policy"), max_length=8, choices=Policy.choices, blank=True, default=""
    )
    # The last path segment handed out in this thread; see tree.allocate_path.
    seq = models.PositiveIntegerField(default=0, editable=False)
    # Approved comments, kept by every status change in comments/actions.py (and privacy.py)
    # in the same transaction: pages and story lists show it without counting the thread.
    approved_count = models.PositiveIntegerField(_("approved comments"), default=0, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("comment thread")
        verbose_name_plural = _("comment threads")

    def __str__(self) -> str:
        return self.title or self.key


class Comment(models.Model):
    # No index of its own: the unique (thread, path) index starts with it.
    thread = models.ForeignKey(
        Thread,
        on_delete=models.CASCADE,
        related_name="comments",
        verbose_name=_("thread"),
        db_index=False,
    )
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="children",
        verbose_name=_("in reply to"),
    )
    # The top-level comment this one hangs under (itself for a top-level comment): sorting
    # by the root's date or likes, then by path, lists a page of the thread in one query.
    root = models.ForeignKey(
        "self",
        null=True,
        on_delete=models.CASCADE,
        related_name="+",
        editable=False,
        db_index=False,  # comment_root_path_idx starts with it
    )
    path = models.CharField(max_length=MAX_PATH_LENGTH, editable=False)
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING, editable=False
    )
    author_name = models.CharField(_("name"), max_length=80)
    email = models.EmailField(_("email"), blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="comments",
        verbose_name=_("user"),
    )
    notify_replies = models.BooleanField(_("email me replies"), default=False)
    text = models.TextField(_("text"))
    html = models.TextField(editable=False)
    # An author's edit of an approved comment waiting for a moderator: readers keep seeing
    # ``text`` (and the replies under it) until approval swaps these in; rejection drops
    # them. Empty when no edit waits.
    pending_text = models.TextField(_("edit awaiting moderation"), blank=True, editable=False)
    pending_html = models.TextField(blank=True, editable=False)
    pending_reason = models.CharField(max_length=200, blank=True, editable=False)
    created_at = models.DateTimeField(_("posted"), default=timezone.now, db_index=True)
    edited_at = models.DateTimeField(_("edited"), null=True, blank=True, editable=False)
    moderated_at = models.DateTimeField(_("moderated"), null=True, blank=True, editable=False)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
        verbose_name=_("moderator"),
    )
    # Why it waits or was refused: "banned word: …", "link", "spam check".
    reason = models.CharField(_("reason"), max_length=200, blank=True, editable=False)
    likes = models.PositiveIntegerField(_("likes"), default=0, editable=False)
    reports = models.PositiveIntegerField(_("reports"), default=0, editable=False)
    # Hashes, never the raw values: the address only to group abuse, the token for edits.
    ip_hash = models.CharField(max_length=64, blank=True, editable=False)
    text_hash = models.CharField(max_length=40, blank=True, editable=False)
    edit_token_hash = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        ordering = ["thread", "path"]
        constraints = [
            models.UniqueConstraint(fields=["thread", "path"], name="comment_unique_path")
        ]
        indexes = [
            models.Index(fields=["thread", "status"], name="comment_thread_status_idx"),
            models.Index(fields=["status", "created_at"], name="comment_queue_idx"),
            # A page of a thread: its top-level comments in either order, then the first
            # shown replies under each in path order, read from the index in that order
            # and no further (whatever their statuses).
            models.Index(fields=["thread", "depth", "path"], name="comment_top_level_idx"),
            models.Index(fields=["thread", "depth", "created_at"], name="comment_top_new_idx"),
            models.Index(fields=["root", "path"], name="comment_root_path_idx"),
            models.Index(fields=["thread", "text_hash"], name="comment_duplicate_idx"),
            # The moderation queues, oldest first: as large as the queues, never the archive.
            models.Index(
                fields=["created_at", "id"], condition=WAITING, name="comment_waiting_idx"
            ),
            models.Index(
                fields=["created_at", "id"], condition=REPORTED, name="comment_reported_idx"
            ),
        ]
        permissions = [("moderate_comment", _("Can approve, reject and mark comments as spam"))]
        verbose_name = _("comment")
        verbose_name_plural = _("comments")

    def __str__(self) -> str:
        return f"{self.author_name}: {self.text[:60]}"

    @property
    def is_visible(self) -> bool:
        return self.status == Status.APPROVED

    @property
    def is_edited(self) -> bool:
        return self.edited_at is not None

    @property
    def has_pending_edit(self) -> bool:
        return bool(self.pending_text)


class Like(models.Model):
    """One like per reader (``u:<user id>`` or ``r:<reader cookie>``) and per address per
    comment: the reader id is the client's choice, the address (kept hashed) is not."""

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="like_set")
    voter = models.CharField(max_length=64)
    ip_hash = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["comment", "voter"], name="like_once_per_reader"),
            models.UniqueConstraint(
                fields=["comment", "ip_hash"],
                condition=~models.Q(ip_hash=""),
                name="like_once_per_address",
            ),
        ]
        verbose_name = _("like")
        verbose_name_plural = _("likes")

    def __str__(self) -> str:
        return self.voter


class Report(models.Model):
    """A reader's "report this comment"; one per reader per comment."""

    comment = models.ForeignKey(
        Comment, on_delete=models.CASCADE, related_name="report_set", verbose_name=_("comment")
    )
    voter = models.CharField(max_length=64)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("reported"), default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["comment", "voter"], name="report_once_per_reader")
        ]
        verbose_name = _("report")
        verbose_name_plural = _("reports")

    def __str__(self) -> str:
        return self.reason


class WordKind(models.TextChoices):
    BANNED = "banned", _("Banned (reject)")
    SUSPECT = "suspect", _("Suspect (hold for a moderator)")


class ModeratedWord(models.Model):
    """A banned or suspect word or phrase, matched after Arabic normalisation and stemming."""

    word = models.CharField(_("word or phrase"), max_length=100)
    kind = models.CharField(_("list"), max_length=8, choices=WordKind.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    class Meta:
        ordering = ["kind", "word"]
        constraints = [
            models.UniqueConstraint(fields=["word", "kind"], name="moderated_word_unique")
        ]
        verbose_name = _("moderated word")
        verbose_name_plural = _("banned and suspect words")

    def __str__(self) -> str:
        return self.word


class AuditEntry(AuditEntryBase):
    """Who did what to a comment: posted, edited, approved, rejected, spam, deleted."""

    comment = models.ForeignKey(
        Comment, on_delete=models.CASCADE, related_name="audit", verbose_name=_("comment")
    )
    action = models.CharField(_("action"), max_length=20)
    from_status = models.CharField(_("from"), max_length=10, blank=True)
    to_status = models.CharField(_("to"), max_length=10, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("moderation log entry")
        verbose_name_plural = _("moderation log")


class Task(models.Model):
    """A background job (an email to send), run by ``khabar run_worker``."""

    kind = models.CharField(max_length=40)
    payload = models.JSONField(default=dict)
    done = models.BooleanField(default=False)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    run_after = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["done", "run_after"], name="task_due_idx")]
        verbose_name = _("background task")
        verbose_name_plural = _("background tasks")

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"
