"""Partner outlets, their API tokens (stored only as a SHA-256 digest), and the updates of
live stories that an untrusted partner sent, held for an editor."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _

from khabar.articles.models import Article, Section

TOKEN_PREFIX = "khb_"


def token_digest(raw: str) -> str:
    """The stored form of a token: tokens are 256-bit random, so a plain SHA-256 suffices."""
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


class Partner(models.Model):
    """An outlet that reads our stories through the API and may push its own to us."""

    name = models.CharField(_("name"), max_length=200)
    is_active = models.BooleanField(_("active"), default=True)
    can_ingest = models.BooleanField(
        _("may send stories"),
        default=False,
        help_text=_("Allow this partner to push stories to POST /api/v1/ingest."),
    )
    trusted = models.BooleanField(
        _("trusted source"),
        default=False,
        help_text=_("Stories from a trusted source are published at once."),
    )
    default_section = models.ForeignKey(
        Section,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("section for incoming stories"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("partner")
        verbose_name_plural = _("partners")

    def __str__(self) -> str:
        return self.name


class PartnerToken(models.Model):
    """One API token of a partner; the token itself is shown once, only its digest is kept."""

    partner = models.ForeignKey(
        Partner, on_delete=models.CASCADE, related_name="tokens", verbose_name=_("partner")
    )
    label = models.CharField(_("label"), max_length=100, blank=True)
    # The first characters, so the desk can tell tokens apart without storing them.
    prefix = models.CharField(_("starts with"), max_length=16, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.label or self.partner})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class HeldUpdate(models.Model):
    """A newer version of a live story, sent by a partner that may not correct it: kept
    here until an editor applies it (as a correction with the editor's note) or discards it.
    """

    class Resolution(models.TextChoices):
        PENDING = "", _("Waiting for an editor")
        APPLIED = "applied", _("Applied")
        DISCARDED = "discarded", _("Discarded")
        SUPERSEDED = "superseded", _("Replaced by a newer version")

    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="held_updates", verbose_name=_("story")
    )
    partner = models.ForeignKey(
        Partner, on_delete=models.CASCADE, related_name="held_updates", verbose_name=_("partner")
    )
    source_version = models.PositiveIntegerField(_("source version"))
    # What ingest_article would have written: the story's fields, its section and tags.
    fields = models.JSONField(_("incoming fields"), encoder=DjangoJSONEncoder)
    section = models.ForeignKey(
        Section, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("section")
    )
    tag_names = models.JSONField(_("tags"), default=list, blank=True)
    # Pictures sent with the update: stored in the photo library, shown only once applied.
    photos = models.JSONField(_("pictures"), default=list, blank=True)
    received_at = models.DateTimeField(_("received"), auto_now_add=True)
    resolution = models.CharField(
        _("outcome"), max_length=12, choices=Resolution.choices, blank=True, default=""
    )
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("resolved by"),
    )
    note = models.TextField(_("correction note"), blank=True)

    class Meta:
        ordering = ["-received_at", "-pk"]
        indexes = [models.Index(fields=["article", "resolution"], name="held_article_idx")]
        verbose_name = _("held update")
        verbose_name_plural = _("held updates")

    def __str__(self) -> str:
        return f"{self.article} v{self.source_version} ({self.partner})"

    @property
    def is_pending(self) -> bool:
        return self.resolution == self.Resolution.PENDING
