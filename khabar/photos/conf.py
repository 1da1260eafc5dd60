"""Photo settings, read from ``django.conf.settings`` at call time (settings.py reads the
environment), so ``override_settings`` reaches them."""

from __future__ import annotations

from django.conf import settings

from khabar.lib.env import ConfigError


def _get(name: str) -> object:
    return getattr(settings, name)


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
