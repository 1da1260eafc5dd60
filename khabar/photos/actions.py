"""Every write to the photo library and to a story's photos goes through these functions.

Files are written first and the rows in one transaction after; if anything fails the files
just written are removed, so a refused or failed upload leaves nothing half-stored.
"""

from __future__ import annotations

import hashlib
import logging
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image

from khabar.articles.actions import check_can_change, touch_article
from khabar.articles.models import Article, AuditEntry
from khabar.lib.arabic import analyzed_text
from khabar.photos import conf
from khabar.photos.models import Photo, RenderStatus, Rendition, Role, StoryPhoto
from khabar.photos.renditions import Rendered, delete_files, render_image, write_renditions
from khabar.photos.validation import inspect_upload
from khabar.site import actors, pagecache

log = logging.getLogger(__name__)

#: A user, a ``PartnerActor`` or a ``SystemActor`` (see ``khabar.site.actors``); never None.
Actor = Any

EDITABLE_FIELDS = ("caption", "credit", "copyright_holder", "alt_text", "keywords", "lang")


def _require(actor: Actor, perm: str) -> None:
    actors.require(actor, f"photos.{perm}")


def stories_showing(photo: Photo) -> list[Article]:
    """The stories a photo illustrates, in a fixed order (so locks are taken in one order)."""
    return list(Article.objects.filter(story_photos__photo=photo).distinct().order_by("pk"))


def search_text(photo: Photo) -> str:
    """The analysed words of a photo's texts, space-padded so a term matches as `` term ``."""
    text = " ".join(
        [photo.caption, photo.credit, photo.copyright_holder, photo.alt_text, photo.keywords]
    )
    terms = analyzed_text(text, lang=photo.lang if photo.lang in ("ar", "fa", "en") else "ar")
    return f" {terms} " if terms else ""


def read_upload(file: bytes | IO[bytes]) -> bytes:
    """The bytes of an upload, reading at most one byte past the size limit."""
    if isinstance(file, bytes):
        return file
    if hasattr(file, "seek"):
        file.seek(0)
    return file.read(conf.max_bytes() + 1)


def _store_renditions(photo: Photo, rendered: list[Rendered], names: list[str]) -> None:
    """The rows of renditions whose files ``write_renditions`` stored under ``names``."""
    Rendition.objects.bulk_create(
        Rendition(
            photo=photo,
            format=item.format,
            width=item.width,
            height=item.height,
            file=name,
            file_size=len(item.data),
        )
        for item, name in zip(rendered, names, strict=True)
    )


def upload_photo(
    file: bytes | IO[bytes],
    *,
    actor: Actor,
    lang: str = "ar",
    caption: str = "",
    credit: str = "",
    copyright_holder: str = "",
    alt_text: str = "",
    keywords: str = "",
    source_id: str = "",
    background: bool | None = None,
) -> Photo:
    """Check, store and describe a photo; texts left blank are read from the file.

    The same file uploaded again returns the photo already in the library, with
    ``reused = True``. Renditions are made at once, or by ``khabar render_photos`` when the
    photo has more pixels than KHABAR_PHOTO_BACKGROUND_PIXELS (or ``background`` is True).
    Raises ValidationError (with a message for the desk) for anything that is not a photo.
    """
    _require(actor, "add_photo")
    data = read_upload(file)
    inspected = inspect_upload(data, lang=lang)
    digest = hashlib.sha256(data).hexdigest()
    existing = Photo.objects.filter(sha256=digest).first()
    if existing is not None:
        existing.reused = True  # type: ignore[attr-defined]
        return existing
    meta = inspected.metadata
    photo = Photo(
        sha256=digest,
        mime_type=inspected.mime_type,
        width=inspected.width,
        height=inspected.height,
        file_size=len(data),
        caption=caption or meta.caption,
        credit=credit or meta.display_credit,
        copyright_holder=copyright_holder or meta.copyright_holder,
        alt_text=alt_text or meta.alt_text,
        keywords=keywords or ", ".join(meta.keywords),
        lang=lang,
        embedded=meta.as_dict(),
        source_id=source_id,
        uploaded_by=actors.user_or_none(actor),
    )
    photo.search_text = search_text(photo)
    if background is None:
        background = inspected.width * inspected.height > conf.background_pixels()
    written: list[str] = []
    try:
        name = f"photos/originals/{photo.key[:2]}/{photo.key}.{inspected.extension}"
        photo.original.name = default_storage.save(name, ContentFile(data))
        written.append(photo.original.name)
        rendered = [] if background else render_image(inspected.image)
        names = write_renditions(photo.key, rendered, written)
        photo.render_status = RenderStatus.PENDING if background else RenderStatus.READY
        with transaction.atomic():
            photo.save()
            _store_renditions(photo, rendered, names)
    except IntegrityError:
        # The same file was uploaded by someone else a moment ago: theirs stands.
        delete_files(written)
        existing = Photo.objects.get(sha256=digest)
        existing.reused = True  # type: ignore[attr-defined]
        return existing
    except BaseException:
        delete_files(written)
        raise
    finally:
        inspected.image.close()
    photo.reused = False  # type: ignore[attr-defined]
    return photo


def update_photo(photo: Photo, *, actor: Actor, **fields: Any) -> Photo:
    """Change a photo's caption, credit, copyright holder, alt text, keywords or edition.

    What a photo says is shown on every story it illustrates, so the actor must also be
    allowed to change each of those stories (a reporter cannot recaption a published
    story's photo); each story's edit revision moves on, so its editors see the change.
    """
    _require(actor, "change_photo")
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"not editable: {sorted(unknown)}")
    with transaction.atomic():
        stories = stories_showing(photo)
        # Every story is checked before anything is written.
        for story in stories:
            check_can_change(actor, story)
        for name, value in fields.items():
            setattr(photo, name, value)
        photo.search_text = search_text(photo)
        photo.updated_at = timezone.now()
        Photo.objects.filter(pk=photo.pk).update(
            search_text=photo.search_text, updated_at=photo.updated_at, **fields
        )
        for story in stories:
            touch_article(story, actor=actor)
    return photo


def delete_photo(photo: Photo, *, actor: Actor) -> None:
    """Remove a photo and its files; a photo that illustrates a story cannot be deleted."""
    _require(actor, "delete_photo")
    with transaction.atomic():
        if StoryPhoto.objects.filter(photo=photo).exists():
            raise ValidationError(_("This photo illustrates a story; remove it from there first."))
        names = [photo.original.name, *photo.renditions.values_list("file", flat=True)]
        photo.delete()
        transaction.on_commit(lambda: delete_files(names))


def attach_photo(
    article: Article,
    photo: Photo,
    *,
    actor: Actor,
    role: str = Role.LEAD,
    position: int = 0,
    caption: str = "",
    base_revision: int | None = None,
) -> StoryPhoto:
    """Show ``photo`` in ``article`` as its lead (replacing any other lead) or in its gallery.

    Needs the right to change the story; its edit revision moves on (``EditConflict`` when
    ``base_revision`` is given and stale) and its pages are purged.
    """
    check_can_change(actor, article)
    role = Role(role)
    with transaction.atomic():
        touch_article(article, actor=actor, base_revision=base_revision)
        if role == Role.LEAD:
            StoryPhoto.objects.filter(article=article, role=Role.LEAD).exclude(photo=photo).delete()
        link, _created = StoryPhoto.objects.update_or_create(
            article=article,
            photo=photo,
            defaults={"role": role, "position": position, "caption": caption},
        )
        _audit(article, "attach_photo", actor, f"{role}: {photo.pk}")
    return link


def detach_photo(
    article: Article, photo: Photo, *, actor: Actor, base_revision: int | None = None
) -> bool:
    """Take ``photo`` out of ``article``; returns False if it was not there."""
    check_can_change(actor, article)
    with transaction.atomic():
        deleted, _rows = StoryPhoto.objects.filter(article=article, photo=photo).delete()
        if deleted:
            touch_article(article, actor=actor, base_revision=base_revision)
            _audit(article, "detach_photo", actor, str(photo.pk))
    return bool(deleted)


def ingest_photo(
    article: Article,
    file: bytes | IO[bytes],
    *,
    source_id: str,
    role: str = Role.LEAD,
    position: int = 0,
    actor: Actor,
    **texts: str,
) -> Photo:
    """Store a photo that came with an ingested story and show it there; idempotent.

    ``source_id`` is the photo's id in the incoming document (ninjs association URI,
    NewsML-G2 ``remoteContent`` href or residref). Texts given (caption, credit…) win over
    the file's embedded metadata, as in ``upload_photo``. Importing the same document again
    changes nothing; a new file under the same ``source_id`` becomes a new photo.
    """
    unknown = set(texts) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"not a photo text: {sorted(unknown)}")
    photo = upload_photo(
        file,
        actor=actor,
        source_id=source_id,
        lang=texts.pop("lang", "") or article.lang,
        **texts,
    )
    current = StoryPhoto.objects.filter(article=article, photo=photo).first()
    if current is None or current.role != role or current.position != position:
        attach_photo(article, photo, actor=actor, role=role, position=position)
    return photo


def render_photo(photo_id: int, *, actor: Actor, force: bool = False) -> bool:
    """Make the renditions of a waiting photo (or any photo, with ``force``).

    The photo is claimed by compare-and-set, so two workers never render the same photo.
    Returns True when renditions were made.
    """
    _require(actor, "change_photo")
    allowed = list(RenderStatus) if force else [RenderStatus.PENDING]
    claimed = Photo.objects.filter(pk=photo_id, render_status__in=allowed).update(
        render_status=RenderStatus.RENDERING
    )
    if claimed != 1:
        return False
    photo = Photo.objects.get(pk=photo_id)
    written: list[str] = []
    try:
        with default_storage.open(photo.original.name, "rb") as handle:
            with Image.open(handle) as image:
                image.load()
                rendered = render_image(image)
        names = write_renditions(photo.key, rendered, written)
        with transaction.atomic():
            old = list(photo.renditions.values_list("file", flat=True))
            photo.renditions.all().delete()
            _store_renditions(photo, rendered, names)
            Photo.objects.filter(pk=photo.pk).update(
                render_status=RenderStatus.READY, render_error=""
            )
            stale = [name for name in old if name not in names]
            transaction.on_commit(lambda: delete_files(stale))
            _purge_pages_showing(photo.pk)
    except Exception as error:
        log.exception("renditions failed for photo %s", photo_id)
        delete_files(written)
        Photo.objects.filter(pk=photo_id).update(
            render_status=RenderStatus.FAILED, render_error=str(error)[:2000]
        )
        return False
    return True


def render_pending_photos(*, actor: Actor, limit: int | None = None) -> int:
    """Render waiting photos, oldest first; returns how many were rendered."""
    _require(actor, "change_photo")
    ids = Photo.objects.filter(render_status=RenderStatus.PENDING).order_by("pk")
    ids = ids.values_list("pk", flat=True)
    done = 0
    for pk in list(ids[:limit] if limit else ids):
        done += render_photo(pk, actor=actor)
    return done


def requeue_photos(*, actor: Actor) -> int:
    """Queue failed and interrupted renderings again; returns how many."""
    _require(actor, "change_photo")
    return Photo.objects.filter(
        render_status__in=[RenderStatus.FAILED, RenderStatus.RENDERING]
    ).update(render_status=RenderStatus.PENDING)


def _audit(article: Article, action: str, actor: Actor, note: str) -> None:
    AuditEntry.objects.create(
        article=article,
        action=action,
        from_status=article.status,
        to_status=article.status,
        user=actors.user_or_none(actor),
        actor=actors.audit_name(actor),
        note=note,
    )


def _purge_pages_showing(photo_id: int) -> None:
    def run() -> None:
        for article in Article.objects.filter(story_photos__photo_id=photo_id).distinct():
            pagecache.purge_keys(pagecache.article_keys(article))

    transaction.on_commit(run)
