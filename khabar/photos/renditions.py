"""Public renditions: a few widths in WebP and JPEG, upright, with no EXIF, GPS or XMP.

``render_image`` is pure (image in, encoded files out); ``write_renditions`` stores them
under content-hashed names, so a rendition's address never changes meaning and can be
cached forever.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from io import BytesIO

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image, ImageOps

from khabar.photos import conf

JPEG_QUALITY = 82
WEBP_QUALITY = 78


@dataclass(frozen=True)
class Rendered:
    format: str  # "webp" | "jpeg"
    width: int
    height: int
    data: bytes

    @property
    def extension(self) -> str:
        return "webp" if self.format == "webp" else "jpg"


def plan_widths(original_width: int, widths: list[int] | None = None) -> list[int]:
    """The widths to make: never wider than the original, which is itself the largest."""
    widths = widths or conf.widths()
    planned = [w for w in widths if w < original_width]
    if not planned or original_width <= widths[-1]:
        planned.append(original_width)
    return planned


def upright(image: Image.Image) -> Image.Image:
    """Apply EXIF orientation and drop every piece of metadata but the colour profile."""
    image = ImageOps.exif_transpose(image) or image
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )
    icc = image.info.get("icc_profile")
    clean = image.convert("RGBA" if has_alpha else "RGB")
    clean.info = {"icc_profile": icc} if icc else {}
    return clean


def render_image(image: Image.Image, widths: list[int] | None = None) -> list[Rendered]:
    """Encode ``image`` at each planned width as WebP and JPEG."""
    source = upright(image)
    icc = source.info.get("icc_profile")
    out: list[Rendered] = []
    for width in plan_widths(source.width, widths):
        height = max(1, round(source.height * width / source.width))
        if width == source.width:
            resized = source
        else:
            resized = source.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)
        extra = {"icc_profile": icc} if icc else {}
        webp = BytesIO()
        resized.save(webp, "WEBP", quality=WEBP_QUALITY, method=4, **extra)
        out.append(Rendered("webp", width, height, webp.getvalue()))
        flat = resized
        if resized.mode == "RGBA":
            # JPEG has no transparency: lay the photo on white, as a page would show it.
            flat = Image.new("RGB", resized.size, "white")
            flat.paste(resized, mask=resized.getchannel("A"))
        jpeg = BytesIO()
        flat.save(jpeg, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True, **extra)
        out.append(Rendered("jpeg", width, height, jpeg.getvalue()))
    return out


def rendition_name(photo_key: str, rendered: Rendered) -> str:
    digest = hashlib.sha256(rendered.data).hexdigest()[:16]
    return f"photos/r/{photo_key[:2]}/{photo_key}/{rendered.width}-{digest}.{rendered.extension}"


def write_renditions(photo_key: str, rendered: list[Rendered], written: list[str]) -> list[str]:
    """Store each file; every name stored is appended to ``written`` (for clean-up)."""
    names = []
    for item in rendered:
        name = rendition_name(photo_key, item)
        if not default_storage.exists(name):
            name = default_storage.save(name, ContentFile(item.data))
            written.append(name)
        names.append(name)
    return names


def delete_files(names: list[str]) -> None:
    """Best-effort removal of stored files (after a failed upload, or a deleted photo)."""
    for name in names:
        try:
            default_storage.delete(name)
        except OSError:
            pass
