"""Stories (the agency's wire copy), sections, tags, corrections and desk profiles."""

from __future__ import annotations

import datetime
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.encoding import iri_to_uri
from django.utils.translation import gettext_lazy as _

from khabar.site.audit import AuditEntryBase
from khabar.site.editions import edition_choices


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    SCHEDULED = "scheduled", _("Scheduled")
    PUBLISHED = "published", _("Published")
    CORRECTED = "corrected", _("Corrected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


LIVE_STATUSES = (Status.PUBLISHED, Status.CORRECTED)
#: The states a story is never shown to readers in, in the order the desk's search asks
#: for them (a query uses the partial index on them only with this same list).
NEVER_LIVE_STATUSES = (Status.DRAFT, Status.SUBMITTED, Status.SCHEDULED, Status.WITHDRAWN)


class Urgency(models.IntegerChoices):
    # IPTC urgency: 1 is the most urgent. Flash and urgent stories lead the home page.
    FLASH = 1, _("Flash")
    URGENT = 3, _("Urgent")
    NORMAL = 5, _("Normal")


class CommentPolicy(models.TextChoices):
    INHERIT = "", _("As the section")
    PRE = "pre", _("Pre-moderation")
    POST = "post", _("Post-moderation")
    CLOSED = "closed", _("Closed")


class Section(models.Model):
    lang = models.CharField(_("edition"), max_length=8, choices=edition_choices, default="ar")
    slug = models.SlugField(_("slug"), max_length=80, allow_unicode=True)
    name = models.CharField(_("name"), max_length=120)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    comment_policy = models.CharField(
        _("comment policy"), max_length=8, choices=CommentPolicy.choices, default=CommentPolicy.PRE
    )

    class Meta:
        ordering = ["lang", "position", "name"]
        constraints = [models.UniqueConstraint(fields=["lang", "slug"], name="section_unique_slug")]
        verbose_name = _("section")
        verbose_name_plural = _("sections")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        # Built by hand: lists call this dozens of times per page and reverse() is slow.
        # tests/test_pages.py checks it agrees with the URLconf.
        return iri_to_uri(f"/{self.lang}/section/{self.slug}/")


class Tag(models.Model):
    lang = models.CharField(_("edition"), max_length=8, choices=edition_choices, default="ar")
    slug = models.SlugField(_("slug"), max_length=100, allow_unicode=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["lang", "name"]
        constraints = [models.UniqueConstraint(fields=["lang", "slug"], name="tag_unique_slug")]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return iri_to_uri(f"/{self.lang}/tag/{self.slug}/")


class ArticleQuerySet(models.QuerySet["Article"]):
    def live_q(self, now: datetime.datetime | None = None) -> Q:
        now = now or timezone.now()
        return Q(status__in=LIVE_STATUSES, published_at__lte=now) & (
            Q(embargo_until__isnull=True) | Q(embargo_until__lte=now)
        )

    def published(self, now: datetime.datetime | None = None) -> ArticleQuerySet:
        """What readers may see: live, past its publish time and out of embargo."""
        return self.filter(self.live_q(now))

    def for_partners(self, now: datetime.datetime | None = None) -> ArticleQuerySet:
        """What partners may see: live stories, embargoed ones included."""
        now = now or timezone.now()
        return self.filter(status__in=LIVE_STATUSES, published_at__lte=now)

    def in_edition(self, lang: str) -> ArticleQuerySet:
        return self.filter(lang=lang)

    def in_section(self, section: Section) -> ArticleQuerySet:
        return self.filter(section=section)

    def for_list(self) -> ArticleQuerySet:
        """Columns and joins a story list needs, newest first."""
        return self.select_related("section").defer("body").order_by("-published_at", "-pk")


class Article(models.Model):
    lang = models.CharField(_("edition"), max_length=8, choices=edition_choices, default="ar")
    section = models.ForeignKey(
        Section, on_delete=models.PROTECT, related_name="articles", verbose_name=_("section")
    )
    headline = models.CharField(_("headline"), max_length=300)
    slug = models.SlugField(_("slug"), max_length=120, allow_unicode=True, blank=True)
    summary = models.TextField(_("summary"), blank=True)
    dateline_city = models.CharField(_("dateline city"), max_length=80)
    dateline_date = models.DateField(_("dateline date"))
    dateline_agency = models.CharField(_("dateline agency"), max_length=40, blank=True)
    body = models.TextField(_("body"), help_text=_("Paragraphs separated by a blank line."))
    signoff = models.CharField(
        _("sign-off codes"),
        max_length=120,
        blank=True,
        help_text=_("The codes after the end marker, separated by spaces."),
    )
    urgency = models.PositiveSmallIntegerField(
        _("urgency"), choices=Urgency.choices, default=Urgency.NORMAL
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="articles", verbose_name=_("tags"))
    byline = models.CharField(_("byline"), max_length=200, blank=True)

    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.DRAFT, editable=False
    )
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now, editable=False)
    first_published_at = models.DateTimeField(_("first published"), null=True, editable=False)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    embargo_until = models.DateTimeField(_("embargoed until"), null=True, blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
        verbose_name=_("created by"),
    )
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
        verbose_name=_("published by"),
    )
    publisher_signoff = models.CharField(
        _("publishing editor's code"), max_length=20, blank=True, editable=False
    )
    comment_policy = models.CharField(
        _("comment policy"),
        max_length=8,
        choices=CommentPolicy.choices,
        blank=True,
        default=CommentPolicy.INHERIT,
    )
    translation_group = models.UUIDField(
        _("translation group"), default=uuid.uuid4, db_index=True, editable=False
    )
    # Where an ingested story came from, so a re-import updates rather than duplicates.
    source_id = models.CharField(_("source id"), max_length=300, blank=True, db_index=True)
    source_version = models.PositiveIntegerField(_("source version"), default=0, editable=False)
    # Who brought it in from outside ("partner:<id>"; "" for the agency's own desk and the
    # command line): ingest looks a story up by (origin, source_id), so a partner can only
    # ever reach the stories it sent itself.
    origin = models.CharField(_("origin"), max_length=40, blank=True, editable=False)
    # The edit counter: every save bumps it, and a save that started from an older value is
    # refused as a conflict instead of overwriting (see actions.EditConflict).
    revision = models.PositiveIntegerField(_("edit revision"), default=1, editable=False)
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True, editable=False)
    withdrawal_reason = models.TextField(_("reason for withdrawal"), blank=True, editable=False)
    withdrawal_reason_public = models.BooleanField(
        _("reason shown to readers and partners"), default=False, editable=False
    )
    fingerprint = models.CharField(max_length=40, blank=True, db_index=True, editable=False)
    # Incoming copy an editor set aside (spiked): it leaves the desk's queue, keeps its status,
    # and can be restored; set and cleared only by khabar.desk.actions, compare-and-set.
    spiked_at = models.DateTimeField(_("spiked"), null=True, blank=True, editable=False)

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-pk"]
        indexes = [
            models.Index(fields=["lang", "status", "-published_at"], name="article_live_idx"),
            models.Index(fields=["section", "-published_at"], name="article_section_idx"),
            # Every story newest first (the desk's list and its deep pages). On PostgreSQL the
            # id is carried in the index (INCLUDE; SQLite's indexes hold it anyway), so a
            # page's ids are read without the rows; not a key column, which made PostgreSQL
            # drop the index-then-incremental-sort plan of the story page's related box for
            # a sort of every live story (6.6 s at a million stories).
            models.Index(fields=["published_at"], include=["id"], name="article_published_idx"),
            models.Index(fields=["origin", "source_id"], name="article_origin_source_idx"),
            models.Index(fields=["updated_at"], name="article_updated_idx"),
            # An edition's newest stories read in index order (feeds, the ticker, the API),
            # and the few stories not live found by state and time (the desk's search).
            models.Index(fields=["lang", "published_at"], name="article_lang_recent_idx"),
            # Partial: only the stories never live, so no reader query is drawn to walk it.
            models.Index(
                fields=["status"],
                condition=Q(status__in=NEVER_LIVE_STATUSES),
                name="article_not_live_idx",
            ),
            models.Index(fields=["embargo_until"], name="article_embargo_idx"),
        ]
        permissions = [
            ("submit_article", _("Can submit a story to the editors")),
            ("publish_article", _("Can publish and schedule stories")),
            ("correct_article", _("Can correct published stories")),
            ("withdraw_article", _("Can withdraw published stories")),
            ("preview_article", _("Can preview unpublished stories")),
            ("restore_article", _("Can restore a withdrawn story")),
        ]
        verbose_name = _("story")
        verbose_name_plural = _("stories")

    def __str__(self) -> str:
        return self.headline

    def get_absolute_url(self) -> str:
        if self.slug:
            return iri_to_uri(f"/{self.lang}/news/{self.pk}/{self.slug}/")
        return f"/{self.lang}/news/{self.pk}/"

    @property
    def paragraphs(self) -> list[str]:
        return [p.strip() for p in self.body.replace("\r\n", "\n").split("\n\n") if p.strip()]

    @property
    def signoff_codes(self) -> list[str]:
        return self.signoff.split()

    @property
    def is_live(self) -> bool:
        now = timezone.now()
        return (
            self.status in LIVE_STATUSES
            and self.published_at is not None
            and self.published_at <= now
            and (self.embargo_until is None or self.embargo_until <= now)
        )

    @property
    def thread_key(self) -> str:
        return f"article:{self.pk}"


class Correction(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="corrections")
    note = models.TextField(_("correction note"))
    version = models.PositiveIntegerField(_("version"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("correction")
        verbose_name_plural = _("corrections")

    def __str__(self) -> str:
        return self.note


class AuditEntry(AuditEntryBase):
    """Who moved which story to which state; the desk's log of workflow actions."""

    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="audit", verbose_name=_("story")
    )
    action = models.CharField(_("action"), max_length=32)
    from_status = models.CharField(_("from"), max_length=12, blank=True)
    to_status = models.CharField(_("to"), max_length=12, blank=True)
    # A partner or a system actor (the scheduler, the command line), when no user acted.
    actor = models.CharField(_("actor"), max_length=120, blank=True)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")


class StaffProfile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="desk_profile"
    )
    signoff_code = models.CharField(_("sign-off code"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("desk profile")
        verbose_name_plural = _("desk profiles")

    def __str__(self) -> str:
        return self.signoff_code


class DeskPresence(models.Model):
    """Who has a story open in the desk: the story form pings every few seconds, and other
    editors of the same story see the names of those seen in the last half minute."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["article", "user"], name="presence_unique_editor")
        ]
        indexes = [models.Index(fields=["article", "seen_at"], name="presence_recent_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.article_id} at {self.seen_at:%H:%M:%S}"
