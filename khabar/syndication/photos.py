"""Photos in syndication: a story's pictures as every format describes them, and the pictures
an incoming document references, found among the files supplied alongside it.

Out, every format starts from ``khabar.photos.display.photo_payload``. In, a document only
names its pictures (a rendition ``href``, a ``remoteContent`` or ``link``); the bytes come
from the files given together with it (a drop folder, or the files named on the command
line), matched by the basename of the reference.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from khabar.photos.display import _CACHE_ATTR, ShownPhoto, StoryPhotos, photo_payload
from khabar.photos.models import RenderStatus, Rendition, Role, StoryPhoto
from khabar.syndication.story import site_host

#: File name endings of pictures that may travel next to a document.
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")


# Out --------------------------------------------------------------------------------------


def photo_uri(photo_id: int) -> str:
    """The stable identifier of one of our photos as a picture item (ninjs ``uri``, G2 guid)."""
    from khabar.syndication import conf

    return f"urn:newsml:{conf.NEWSML_AUTHORITY or site_host()}:photo:{photo_id}"


def story_pictures(article: Any) -> list[dict[str, Any]]:
    """The story's lead (or first gallery) photo, then its other photos, as payloads."""
    payload = photo_payload(article)
    if payload is None:
        return []
    return [payload, *payload["gallery"]]


def jpeg_renditions(picture: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [r for r in picture["renditions"] if r["mime_type"] == "image/jpeg"]


def largest_rendition(picture: Mapping[str, Any]) -> dict[str, Any]:
    """The rendition ``url``/``width``/``height`` describe (with its ``size``)."""
    renditions: list[dict[str, Any]] = picture["renditions"]
    for rendition in renditions:
        if rendition["href"] == picture["url"]:
            return rendition
    return max(jpeg_renditions(picture) or renditions, key=lambda r: int(r["width"]))


def prime_photos(articles: Iterable[Any]) -> None:
    """Fetch the photos of many stories in two queries (a feed's items, an API page).

    Fills the same per-story cache ``photos_for`` reads, so ``photo_payload`` then costs no
    query; the rules (ready photos only, one lead, gallery in order) are those of
    ``photos_for``.
    """
    pending = {a.pk: a for a in articles if getattr(a, _CACHE_ATTR, None) is None}
    if not pending:
        return
    links = list(
        StoryPhoto.objects.filter(article_id__in=pending, photo__render_status=RenderStatus.READY)
        .select_related("photo")
        .defer("photo__search_text", "photo__embedded")
        .order_by("article_id", "position", "pk")
    )
    renditions: dict[int, list[Rendition]] = {}
    if links:
        photo_ids = {link.photo_id for link in links}
        for rendition in Rendition.objects.filter(photo_id__in=photo_ids).order_by("width"):
            renditions.setdefault(rendition.photo_id, []).append(rendition)
    found = {pk: StoryPhotos() for pk in pending}
    for link in links:
        files = renditions.get(link.photo_id, [])
        if not files:
            continue
        shown = ShownPhoto(link.photo, link.caption or link.photo.caption, link.role, files)
        result = found[link.article_id]
        if link.role == Role.LEAD and result.lead is None:
            result.lead = shown
        else:
            result.gallery.append(shown)
    for pk, article in pending.items():
        setattr(article, _CACHE_ATTR, found[pk])


# In ---------------------------------------------------------------------------------------


@dataclass
class IncomingPhoto:
    """A picture an incoming story references; its bytes are looked up by ``names``."""

    source_id: str
    #: Basenames of the references, the preferred (largest) first.
    names: list[str]
    caption: str = ""
    credit: str = ""
    copyright_holder: str = ""
    alt_text: str = ""
    role: str = "lead"  # or "gallery" (khabar.photos.models.Role)
    #: Absolute http(s) addresses of the picture, the preferred first: fetched by the
    #: worker for a provider's story when no file came with it (``PictureFetch``).
    urls: list[str] = field(default_factory=list)

    def texts(self) -> dict[str, str]:
        """The texts ``ingest_photo`` takes; empty ones are left to the file's metadata."""
        values = {
            "caption": self.caption,
            "credit": self.credit[:200],
            "copyright_holder": self.copyright_holder[:200],
            "alt_text": self.alt_text[:500],
        }
        return {k: v for k, v in values.items() if v}


@dataclass
class PhotoReport:
    """What became of one referenced picture: ``stored``, ``missing`` or ``refused``."""

    source_id: str
    outcome: str
    reason: str = ""
    photo_id: int | None = None


def basename(reference: str) -> str:
    """The file name a reference ends in: ``https://x/a/b.jpg?x=1`` → ``b.jpg``."""
    path = urlsplit(reference.strip()).path if "://" in reference else reference.strip()
    return unquote(posixpath.basename(path.replace("\\", "/")))


def names_of(references: Iterable[str]) -> list[str]:
    """Distinct, non-empty basenames, in order."""
    return list(dict.fromkeys(n for n in (basename(r) for r in references) if n))


class Attachments:
    """Files supplied with a document, found by basename (case-insensitive).

    Given as bytes, as paths (a drop folder, the files next to a document) or as paths
    under other names (uploads streamed to temporary files), which are read only when a
    document names them. ``used`` lists the paths read.
    """

    def __init__(
        self,
        files: Mapping[str, bytes] | None = None,
        paths: Iterable[Path] = (),
        named: Mapping[str, Path] | None = None,
    ) -> None:
        self.files = {name.lower(): data for name, data in (files or {}).items()}
        self.paths = {path.name.lower(): path for path in paths}
        self.paths |= {name.lower(): path for name, path in (named or {}).items()}
        self.used: list[Path] = []

    @classmethod
    def next_to(cls, document: Path, extra: Iterable[Path] = ()) -> Attachments:
        """The pictures in a document's folder, and ``extra`` ones (given alongside)."""
        folder = document.parent
        found = [p for p in folder.iterdir() if p.is_file() and is_image_name(p.name)]
        return cls(paths=[*found, *extra])

    def __bool__(self) -> bool:
        return bool(self.files or self.paths)

    @property
    def used_names(self) -> list[str]:
        """The names of the files read, once each (to move them with their document)."""
        return list(dict.fromkeys(path.name for path in self.used))

    def find(self, names: Iterable[str]) -> tuple[str, bytes] | None:
        """The first of ``names`` supplied, with its bytes (read up to the photo size limit)."""
        from khabar.photos import conf as photo_conf

        for name in names:
            key = name.lower()
            if key in self.files:
                return name, self.files[key]
            path = self.paths.get(key)
            if path is not None and path.is_file():
                data = self.read_path(path, photo_conf.max_bytes() + 1)
                self.used.append(path)
                return name, data
        return None

    def read_path(self, path: Path, size: int) -> bytes:
        """At most ``size`` bytes of a supplied file."""
        with path.open("rb") as handle:
            return handle.read(size)


def is_image_name(name: str) -> bool:
    return name.lower().endswith(IMAGE_SUFFIXES)
