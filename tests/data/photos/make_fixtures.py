"""Regenerate the photo fixtures (run from the repository root).

    PYTHONPATH=. .venv/bin/python tests/data/photos/make_fixtures.py


Every file is made with Pillow by khabar.photos.samples; nothing is downloaded.
"""

import struct
import zlib
from pathlib import Path

from khabar.photos import metadata
from khabar.photos.samples import sample_jpeg, sample_png

HERE = Path(__file__).resolve().parent

CAPTION = "متظاهرون يرفعون الأعلام في ساحة آزادي بطهران"
CREDIT = "أحمد الحسيني"


def bomb_png() -> bytes:
    """A tiny PNG whose header claims 40000×40000 pixels (a decompression bomb)."""
    small = sample_png(8, 8)
    ihdr = small.index(b"IHDR")
    body = bytearray(small[ihdr : ihdr + 4 + 13])
    body[4:12] = struct.pack(">II", 40000, 40000)
    crc = struct.pack(">I", zlib.crc32(bytes(body)) & 0xFFFFFFFF)
    return small[:ihdr] + bytes(body) + crc + small[ihdr + 4 + 13 + 4 :]


def main() -> None:
    files = {
        # Stored sideways (EXIF orientation 6) with camera and GPS tags; upright it is 1600×900.
        "arabic-iptc.jpg": sample_jpeg(
            1600,
            900,
            seed=7,
            caption=CAPTION,
            credit=CREDIT,
            copyright_holder="وكالة خبر",
            keywords=["طهران", "تظاهرات"],
            orientation=6,
            gps=True,
        ),
        "legacy-cp1256.jpg": metadata.embed_iptc(
            sample_jpeg(400, 300, seed=8),
            metadata._dataset((2, 0), b"\x00\x04")
            + metadata._dataset(metadata.CAPTION, "صورة من بيروت".encode("cp1256")),
        ),
        "broken-utf8.jpg": metadata.embed_iptc(
            sample_jpeg(400, 300, seed=9),
            metadata.iim_block({}) + metadata._dataset(metadata.CAPTION, b"\xd8\xa3\xff\xfe\xd8"),
        ),
        "xmp-alpha.png": sample_png(
            700,
            500,
            alpha=True,
            xmp=metadata.xmp_packet(
                metadata.PhotoMetadata(
                    caption="شعار المهرجان",
                    credit="وكالة خبر",
                    alt_text="شعار ملوّن على خلفية متدرجة",
                    keywords=["مهرجان"],
                )
            ),
        ),
        "truncated.jpg": sample_jpeg(800, 600, seed=10)[:6000],
        "bomb.png": bomb_png(),
        "script.svg": (
            b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" '
            b'height="10"><script>alert(1)</script></svg>\n'
        ),
        "not-an-image.jpg": "هذا نص وليس صورة\n".encode(),
    }
    for name, data in files.items():
        (HERE / name).write_bytes(data)
        print(f"{name}: {len(data)} bytes")


if __name__ == "__main__":
    main()
