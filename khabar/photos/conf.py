"""Photo settings, read from the environment; a test may override any of them in settings."""

from __future__ import annotations

from django.conf import settings

from khabar.lib.env import ConfigError, env_int, env_list, env_str

_DEFAULTS = {
    # Largest upload accepted, in bytes.
    "KHABAR_PHOTO_MAX_BYTES": env_int("KHABAR_PHOTO_MAX_BYTES", 25 * 1024 * 1024),
    # Most pixels (width × height) accepted: refuses decompression bombs before decoding.
    "KHABAR_PHOTO_MAX_PIXELS": env_int("KHABAR_PHOTO_MAX_PIXELS", 60_000_000),
    # Uploads with more pixels than this get their renditions from `khabar render_photos`.
    "KHABAR_PHOTO_BACKGROUND_PIXELS": env_int("KHABAR_PHOTO_BACKGROUND_PIXELS", 16_000_000),
    "KHABAR_PHOTO_WIDTHS": env_list("KHABAR_PHOTO_WIDTHS", ["320", "640", "960", "1280"]),
    # IPTC IIM text without a declared character set that is not UTF-8 is read as this.
    "KHABAR_PHOTO_IIM_LEGACY_ENCODING": env_str("KHABAR_PHOTO_IIM_LEGACY_ENCODING", "cp1256"),
}


def _get(name: str) -> object:
    return getattr(settings, name, _DEFAULTS[name])


def max_bytes() -> int:
    return int(str(_get("KHABAR_PHOTO_MAX_BYTES")))


def max_pixels() -> int:
    return int(str(_get("KHABAR_PHOTO_MAX_PIXELS")))


def background_pixels() -> int:
    return int(str(_get("KHABAR_PHOTO_BACKGROUND_PIXELS")))


def widths() -> list[int]:
    """Rendition widths, ascending."""
    raw = _get("KHABAR_PHOTO_WIDTHS")
    try:
        values = sorted({int(str(w)) for w in raw})  # type: ignore[attr-defined]
    except ValueError:
        raise ConfigError(f"KHABAR_PHOTO_WIDTHS must be integers, got {raw!r}") from None
    if not values or values[0] < 16:
        raise ConfigError("KHABAR_PHOTO_WIDTHS must list widths of at least 16 pixels")
    return values


def legacy_encoding() -> str:
    return str(_get("KHABAR_PHOTO_IIM_LEGACY_ENCODING"))
