"""Digit conversion between Western (0-9), Arabic-Indic (٠-٩) and Persian (۰-۹) digits.

Only the ten digits are touched; every other character, including the Arabic decimal and
thousands separators, is returned as written.
"""

from __future__ import annotations

WESTERN = "0123456789"
ARABIC_INDIC = "٠١٢٣٤٥٦٧٨٩"
PERSIAN = "۰۱۲۳۴۵۶۷۸۹"

DIGIT_STYLES: dict[str, str] = {"western": WESTERN, "arabic": ARABIC_INDIC, "persian": PERSIAN}

_TABLES: dict[str, dict[int, int]] = {
    style: str.maketrans(
        "".join(other for name, other in DIGIT_STYLES.items() if name != style),
        target * (len(DIGIT_STYLES) - 1),
    )
    for style, target in DIGIT_STYLES.items()
}


def to_western(text: str) -> str:
    """Return ``text`` with Arabic-Indic and Persian digits replaced by 0-9."""
    return text.translate(_TABLES["western"])


def to_arabic_indic(text: str) -> str:
    """Return ``text`` with Western and Persian digits replaced by Arabic-Indic ٠-٩."""
    return text.translate(_TABLES["arabic"])


def to_persian(text: str) -> str:
    """Return ``text`` with Western and Arabic-Indic digits replaced by Persian ۰-۹."""
    return text.translate(_TABLES["persian"])


def localize_digits(text: str, style: str) -> str:
    """Return ``text`` with every digit written in ``style``.

    ``style`` is one of ``"western"``, ``"arabic"`` (Arabic-Indic) or ``"persian"``; anything
    else raises ``ValueError``.
    """
    try:
        table = _TABLES[style]
    except KeyError:
        raise ValueError(
            f"unknown digit style {style!r}; expected one of {', '.join(DIGIT_STYLES)}"
        ) from None
    return text.translate(table)
