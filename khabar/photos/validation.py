"""What an upload must be before anything is stored: a JPEG, PNG or WebP photo that decodes.

The type is sniffed from the bytes, never taken from the file name or the browser. The
pixel count is checked from the header before any decoding, so a decompression bomb costs
nothing; SVG is refused outright (a drawing that can carry scripts is not a photo).
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from khabar.photos import conf
from khabar.photos.metadata import MetadataError, PhotoMetadata, read_metadata

FORMATS = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
}


@dataclass
class Inspected:
    """A decoded upload: its format, displayed size (EXIF orientation applied) and metadata."""

    format: str
    mime_type: str
    extension: str
    width: int
    height: int
    image: Image.Image
    metadata: PhotoMetadata


def sniff(data: bytes) -> str | None:
    """Return "JPEG", "PNG", "WEBP", "SVG" or None from the first bytes."""
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"<?xml") or head.startswith(b"<svg") or b"<svg" in head:
        return "SVG"
    if head.startswith(b"\x1f\x8b"):
        return "SVG" if b".svg" in data[:64].lower() else None
    return None


def inspect_upload(data: bytes, *, lang: str = "ar") -> Inspected:
    """Check and decode an upload; raise ValidationError with a message for the desk."""
    if not data:
        raise ValidationError(_("The file is empty."), code="empty")
    limit = conf.max_bytes()
    if len(data) > limit:
        raise ValidationError(
            _("The file is %(size)s MB; at most %(limit)s MB is accepted.")
            % {"size": _mb(len(data)), "limit": _mb(limit)},
            code="too_large",
        )
    kind = sniff(data)
    if kind == "SVG":
        raise ValidationError(
            _("SVG drawings are not accepted: they can carry scripts. Upload a JPEG, PNG or WebP."),
            code="svg",
        )
    if kind is None:
        raise ValidationError(_("This file is not a JPEG, PNG or WebP image."), code="not_an_image")
    image = _open(data, kind)
    width, height = image.size
    if width * height > conf.max_pixels():
        raise _too_many_pixels(width, height)
    if width < 1 or height < 1:
        raise ValidationError(_("The image has no pixels."), code="empty")
    try:
        image.load()
    except (OSError, SyntaxError, ValueError, EOFError):
        raise ValidationError(
            _("The image is damaged or truncated; export it again and retry."), code="truncated"
        ) from None
    try:
        metadata = read_metadata(image, lang=lang)
    except MetadataError as error:
        raise ValidationError(str(error), code="metadata") from None
    orientation = image.getexif().get(0x0112, 1)
    if orientation in (5, 6, 7, 8):
        width, height = height, width
    mime, extension = FORMATS[kind]
    return Inspected(kind, mime, extension, width, height, image, metadata)


def _open(data: bytes, kind: str) -> Image.Image:
    with warnings.catch_warnings():
        # Pillow warns past MAX_IMAGE_PIXELS and raises past twice that; both mean "bomb".
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            return Image.open(io.BytesIO(data), formats=[kind])
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise ValidationError(
                _("The image has too many pixels; at most %(limit)s million are accepted.")
                % {"limit": round(conf.max_pixels() / 1e6, 1)},
                code="too_many_pixels",
            ) from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
            raise ValidationError(
                _("The image is damaged or truncated; export it again and retry."),
                code="truncated",
            ) from None


def _too_many_pixels(width: int, height: int) -> ValidationError:
    return ValidationError(
        _("The image is %(width)s×%(height)s pixels; at most %(limit)s million are accepted.")
        % {"width": width, "height": height, "limit": round(conf.max_pixels() / 1e6, 1)},
        code="too_many_pixels",
    )


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".rstrip("0").rstrip(".")
