"""Live stories: a published story that gets timestamped updates, newest first.

A ``LiveStory`` hangs off its article (one to one). Every change to it or to one of its
updates (a new update, a correction, a pin) takes the next number of the story's ``seq``
and stamps it on what changed, so "what changed since N" is one indexed query, and a
reader's stream resumes from the last number it saw (SSE's ``Last-Event-ID``).

Only ``khabar.live.actions`` writes these rows; the fields it owns are not editable.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from khabar.articles.models import Article


class LiveState(models.TextChoices):
    OPEN = "open", _("Live")
    ENDED = "ended", _("Ended")


class LiveStory(models.Model):
    article = models.OneToOneField(
        Article, on_delete=models.CASCADE, related_name="live", verbose_name=_("story")
    )
    state = models.CharField(
        _("state"), max_length=8, choices=LiveState.choices, default=LiveState.OPEN, editable=False
    )
    seq = models.PositiveIntegerField(_("change number"), default=0, editable=False)
    started_at = models.DateTimeField(_("started"), default=timezone.now, editable=False)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True, editable=False)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    class Meta:
        verbose_name = _("live story")
        verbose_name_plural = _("live stories")

    def __str__(self) -> str:
        return self.article.headline

    @property
    def is_open(self) -> bool:
        return self.state == LiveState.OPEN


class LiveUpdateQuerySet(models.QuerySet["LiveUpdate"]):
    def for_page(self) -> LiveUpdateQuerySet:
        """Pinned first, then newest first, as the story page lists them."""
        return self.select_related("photo").order_by("-pinned", "-created_at", "-pk")

    def changed_since(self, seq: int) -> LiveUpdateQuerySet:
        return self.filter(seq__gt=seq).select_related("photo").order_by("seq")


class LiveUpdate(models.Model):
    live = models.ForeignKey(
        LiveStory, on_delete=models.CASCADE, related_name="updates", verbose_name=_("live story")
    )
    text = models.TextField(_("text"))
    photo = models.ForeignKey(
        "photos.Photo",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("photo"),
    )
    pinned = models.BooleanField(_("pinned"), default=False, editable=False)
    signoff = models.CharField(_("sign-off code"), max_length=20, blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now, editable=False)
    corrected_at = models.DateTimeField(_("corrected"), null=True, blank=True, editable=False)
    correction_note = models.CharField(_("correction note"), max_length=300, blank=True)
    seq = models.PositiveIntegerField(_("change number"), default=0, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    actor = models.CharField(max_length=120, blank=True, editable=False)

    objects = LiveUpdateQuerySet.as_manager()

    class Meta:
        verbose_name = _("live update")
        verbose_name_plural = _("live updates")
        indexes = [models.Index(fields=["live", "seq"], name="liveupdate_seq_idx")]

    def __str__(self) -> str:
        return self.text[:80]

    @property
    def paragraphs(self) -> list[str]:
        return [p.strip() for p in self.text.replace("\r\n", "\n").split("\n\n") if p.strip()]
