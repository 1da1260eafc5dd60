"""The photo library: originals with their captions and credits, renditions, and story links.

Stories link to photos through ``StoryPhoto`` so the articles app needs no change and one
photo can illustrate many stories. Originals are kept as uploaded (metadata and all) and
never served; readers get only the renditions, which carry no EXIF, GPS or XMP.
"""

from __future__ import annotations

import re
import uuid

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from khabar.site.editions import edition_choices

_KEYWORD_SPLIT = re.compile(r"[,،;؛\n]+")


def _new_key() -> str:
    return uuid.uuid4().hex


class RenderStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for renditions")
    RENDERING = "rendering", _("Making renditions")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Renditions failed")


class Photo(models.Model):
    key = models.CharField(max_length=32, unique=True, default=_new_key, editable=False)
    original = models.FileField(_("original file"), max_length=300, editable=False)
    sha256 = models.CharField(max_length=64, unique=True, editable=False)
    mime_type = models.CharField(_("type"), max_length=20, editable=False)
    width = models.PositiveIntegerField(_("width"), editable=False)
    height = models.PositiveIntegerField(_("height"), editable=False)
    file_size = models.PositiveIntegerField(_("file size"), editable=False)

    caption = models.TextField(_("caption"), blank=True)
    credit = models.CharField(
        _("credit"), max_length=200, blank=True, help_text=_("Shown after “عدسة:”.")
    )
    copyright_holder = models.CharField(_("copyright holder"), max_length=200, blank=True)
    alt_text = models.CharField(
        _("alt text"),
        max_length=500,
        blank=True,
        help_text=_("What the photo shows, for readers who cannot see it."),
    )
    keywords = models.TextField(_("keywords"), blank=True, help_text=_("Separated by commas."))
    lang = models.CharField(_("edition"), max_length=8, choices=edition_choices, default="ar")
    # What the file itself said on upload, kept as the photographer wrote it.
    embedded = models.JSONField(_("embedded metadata"), default=dict, blank=True, editable=False)
    source_id = models.CharField(_("source id"), max_length=300, blank=True, db_index=True)

    render_status = models.CharField(
        _("renditions"),
        max_length=12,
        choices=RenderStatus.choices,
        default=RenderStatus.PENDING,
        editable=False,
        db_index=True,
    )
    render_error = models.TextField(blank=True, editable=False)
    search_text = models.TextField(blank=True, editable=False)

    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
        verbose_name=_("uploaded by"),
    )
    created_at = models.DateTimeField(_("uploaded"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("photo")
        verbose_name_plural = _("photos")

    def __str__(self) -> str:
        text = self.caption or self.alt_text or (self.original.name or "").rsplit("/", 1)[-1]
        return text if len(text) <= 80 else text[:79] + "…"

    @property
    def keyword_list(self) -> list[str]:
        return [k.strip() for k in _KEYWORD_SPLIT.split(self.keywords) if k.strip()]


class Format(models.TextChoices):
    WEBP = "webp", "WebP"
    JPEG = "jpeg", "JPEG"


MIME_TYPES = {Format.WEBP: "image/webp", Format.JPEG: "image/jpeg"}


class Rendition(models.Model):
    photo = models.ForeignKey(Photo, on_delete=models.CASCADE, related_name="renditions")
    format = models.CharField(max_length=4, choices=Format.choices)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    file = models.FileField(max_length=300)
    file_size = models.PositiveIntegerField()

    class Meta:
        ordering = ["photo", "format", "width"]
        constraints = [
            models.UniqueConstraint(
                fields=["photo", "format", "width"], name="rendition_unique_size"
            )
        ]

    def __str__(self) -> str:
        return f"{self.width}w {self.format}"

    @property
    def url(self) -> str:
        return default_storage.url(self.file.name)

    @property
    def mime_type(self) -> str:
        return MIME_TYPES[Format(self.format)]


class Role(models.TextChoices):
    LEAD = "lead", _("Lead photo")
    GALLERY = "gallery", _("Gallery")


class StoryPhoto(models.Model):
    article = models.ForeignKey(
        "articles.Article",
        on_delete=models.CASCADE,
        related_name="story_photos",
        verbose_name=_("story"),
    )
    photo = models.ForeignKey(
        Photo, on_delete=models.PROTECT, related_name="uses", verbose_name=_("photo")
    )
    role = models.CharField(_("role"), max_length=8, choices=Role.choices, default=Role.LEAD)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    caption = models.TextField(
        _("caption in this story"), blank=True, help_text=_("Blank: the photo's own caption.")
    )

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["article", "photo"], name="storyphoto_unique"),
            models.UniqueConstraint(
                fields=["article"], condition=Q(role="lead"), name="storyphoto_one_lead"
            ),
        ]
        verbose_name = _("story photo")
        verbose_name_plural = _("story photos")

    def __str__(self) -> str:
        return f"{self.get_role_display()}: {self.photo}"
