"""Photos made on the spot with Pillow, for the demo content and the tests (no downloads).

A sample is a coloured gradient with a few shapes; it can carry what a camera and an agency
would add: EXIF orientation, camera and GPS tags, IPTC IIM and XMP captions and credits.
"""

from __future__ import annotations

import random
from io import BytesIO

from PIL import Image, ImageDraw, ImageOps
from PIL.PngImagePlugin import PngInfo

from khabar.photos import metadata

GPS_IFD = 0x8825
ORIENTATION = 0x0112
MAKE, MODEL = 0x010F, 0x0110


def canvas(width: int, height: int, seed: int = 1) -> Image.Image:
    """A gradient with circles and bars, different for each seed."""
    rnd = random.Random(seed)
    linear = Image.linear_gradient("L").rotate(rnd.choice([0, 90, 180, 270])).resize((64, 64))
    radial = Image.radial_gradient("L").resize((64, 64))
    channels = [linear, radial, ImageOps.invert(linear)]
    rnd.shuffle(channels)
    image = Image.merge("RGB", channels).resize((width, height), Image.Resampling.BILINEAR)
    draw = ImageDraw.Draw(image)
    unit = min(width, height)
    for _ in range(5):
        x, y = rnd.randrange(width), rnd.randrange(height)
        r = rnd.randint(unit // 12, unit // 4)
        colour = tuple(rnd.randrange(256) for _ in range(3))
        if rnd.random() < 0.5:
            draw.ellipse((x - r, y - r, x + r, y + r), fill=colour)
        else:
            draw.rectangle((x - r, y - r // 3, x + r, y + r // 3), fill=colour)
    return image


def sample_jpeg(
    width: int = 1600,
    height: int = 900,
    *,
    seed: int = 1,
    caption: str = "",
    credit: str = "",
    creator: str = "",
    copyright_holder: str = "",
    keywords: list[str] | None = None,
    orientation: int = 1,
    gps: bool = False,
    xmp: metadata.PhotoMetadata | None = None,
    quality: int = 72,
) -> bytes:
    """A JPEG that looks ``width``×``height`` once its EXIF ``orientation`` is applied."""
    image = canvas(width, height, seed)
    # Store the pixels as a camera held sideways would, so orientation must be applied.
    if orientation == 6:
        image = image.transpose(Image.Transpose.ROTATE_90)
    elif orientation == 8:
        image = image.transpose(Image.Transpose.ROTATE_270)
    elif orientation == 3:
        image = image.transpose(Image.Transpose.ROTATE_180)
    exif = Image.Exif()
    if orientation != 1:
        exif[ORIENTATION] = orientation
    if gps:
        exif[MAKE] = "Canon"
        exif[MODEL] = "EOS R5"
        place = exif.get_ifd(GPS_IFD)
        place.update({1: "N", 2: (35.0, 41.0, 21.0), 3: "E", 4: (51.0, 23.0, 20.0)})
    out = BytesIO()
    options: dict[str, object] = {"quality": quality}
    if len(exif) or gps:
        options["exif"] = exif
    if xmp is not None:
        options["xmp"] = metadata.xmp_packet(xmp)
    image.save(out, "JPEG", **options)
    fields: dict[tuple[int, int], str | list[str]] = {}
    for key, value in (
        (metadata.CAPTION, caption),
        (metadata.CREDIT, credit),
        (metadata.BYLINE, creator),
        (metadata.COPYRIGHT, copyright_holder),
    ):
        if value:
            fields[key] = value
    if keywords:
        fields[metadata.KEYWORDS] = keywords
    if not fields:
        return out.getvalue()
    return metadata.embed_iptc(out.getvalue(), metadata.iim_block(fields))


def sample_png(
    width: int = 800, height: int = 600, *, seed: int = 2, alpha: bool = False, xmp: bytes = b""
) -> bytes:
    image = canvas(width, height, seed)
    if alpha:
        image.putalpha(Image.linear_gradient("L").resize((width, height)))
    info = PngInfo()
    if xmp:
        info.add_itxt("XML:com.adobe.xmp", xmp.decode("utf-8"))
    out = BytesIO()
    image.save(out, "PNG", pnginfo=info)
    return out.getvalue()


def sample_webp(width: int = 800, height: int = 600, *, seed: int = 3) -> bytes:
    out = BytesIO()
    canvas(width, height, seed).save(out, "WEBP", quality=70)
    return out.getvalue()
