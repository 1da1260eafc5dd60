"""A story's photos as its page and its feeds show them, fetched in at most two queries.

One query for the story's links with their photos, one for their renditions (skipped when
the story has no photos). The result is kept on the story object, so the page head (the
preload) and the body (the figure) share it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Prefetch

from khabar.photos.models import Format, Photo, RenderStatus, Rendition, Role, StoryPhoto

_CACHE_ATTR = "_khabar_photos"

#: The story column is 42rem wide (site.css --measure) inside 1rem of padding per side.
LEAD_SIZES = "(min-width: 44rem) 42rem, calc(100vw - 2rem)"
GALLERY_SIZES = "(min-width: 44rem) 21rem, calc(50vw - 1.5rem)"


@dataclass
class ShownPhoto:
    photo: Photo
    caption: str
    role: str
    renditions: list[Rendition]

    def _of(self, fmt: str) -> list[Rendition]:
        return [r for r in self.renditions if r.format == fmt]

    @property
    def jpeg(self) -> list[Rendition]:
        return self._of(Format.JPEG)

    @property
    def webp(self) -> list[Rendition]:
        return self._of(Format.WEBP)

    @property
    def largest(self) -> Rendition:
        return max(self.jpeg or self.renditions, key=lambda r: r.width)

    @property
    def src(self) -> str:
        """A middle-sized JPEG for browsers that ignore srcset."""
        jpeg = self.jpeg
        fits = [r for r in jpeg if r.width <= 960] or jpeg
        return max(fits, key=lambda r: r.width).url

    @property
    def width(self) -> int:
        return self.largest.width

    @property
    def height(self) -> int:
        return self.largest.height

    @property
    def jpeg_srcset(self) -> str:
        return ", ".join(f"{r.url} {r.width}w" for r in self.jpeg)

    @property
    def webp_srcset(self) -> str:
        return ", ".join(f"{r.url} {r.width}w" for r in self.webp)

    @property
    def alt(self) -> str:
        return self.photo.alt_text or self.caption

    @property
    def credit(self) -> str:
        return self.photo.credit


@dataclass
class StoryPhotos:
    lead: ShownPhoto | None = None
    gallery: list[ShownPhoto] = field(default_factory=list)
    lead_sizes: str = LEAD_SIZES
    gallery_sizes: str = GALLERY_SIZES

    def __bool__(self) -> bool:
        return self.lead is not None or bool(self.gallery)


def photos_for(article: Any) -> StoryPhotos:
    """The ready photos of a story: its lead and its gallery, in order."""
    cached: StoryPhotos | None = getattr(article, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    links = (
        StoryPhoto.objects.filter(article_id=article.pk, photo__render_status=RenderStatus.READY)
        .select_related("photo")
        .defer("photo__search_text", "photo__embedded")
        .prefetch_related(
            Prefetch("photo__renditions", queryset=Rendition.objects.order_by("width"))
        )
        .order_by("position", "pk")
    )
    result = StoryPhotos()
    for link in links:
        renditions = list(link.photo.renditions.all())
        if not renditions:
            continue
        shown = ShownPhoto(link.photo, link.caption or link.photo.caption, link.role, renditions)
        if link.role == Role.LEAD and result.lead is None:
            result.lead = shown
        else:
            result.gallery.append(shown)
    setattr(article, _CACHE_ATTR, result)
    return result


def absolute(url: str) -> str:
    """Make a storage URL absolute (object storage URLs already are)."""
    if url.startswith(("http://", "https://", "//")):
        return url
    return settings.SITE_URL + url


def _describe(shown: ShownPhoto) -> dict[str, Any]:
    largest = shown.largest
    return {
        "url": absolute(largest.url),
        "width": largest.width,
        "height": largest.height,
        "mime_type": largest.mime_type,
        "caption": shown.caption,
        "credit": shown.photo.credit,
        "copyright_holder": shown.photo.copyright_holder,
        "alt_text": shown.alt,
        "keywords": shown.photo.keyword_list,
        "role": shown.role,
        "photo_id": shown.photo.pk,
        "renditions": [
            {
                "name": f"{r.format}-{r.width}",
                "href": absolute(r.url),
                "width": r.width,
                "height": r.height,
                "mime_type": r.mime_type,
                "size": r.file_size,
            }
            for r in sorted(shown.renditions, key=lambda r: (r.format, r.width))
        ],
    }


def photo_payload(article: Any) -> dict[str, Any] | None:
    """The story's lead photo (else its first gallery photo) for feeds, or None.

    ``url``/``width``/``height``/``mime_type`` describe the largest JPEG (Open Graph,
    JSON-LD ``image``, RSS ``enclosure``); ``renditions`` lists every file (ninjs
    ``renditions``, NewsML-G2 ``remoteContent``); ``gallery`` holds the other photos in the
    same shape. Uses the same two queries as the story page (none if already fetched).
    """
    photos = photos_for(article)
    main = photos.lead or (photos.gallery[0] if photos.gallery else None)
    if main is None:
        return None
    payload = _describe(main)
    payload["gallery"] = [_describe(shown) for shown in photos.gallery if shown is not main]
    return payload
