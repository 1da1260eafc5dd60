"""Spelling folding for Arabic-script text: the normaliser, the invisible characters and
the stopwords, for ``khabar.lib.arabic`` (the public API) and its stemmer.

Pure Python, no Django. Its own module so the stemmer (``arabic_stem``) can use the
normaliser without importing the module that imports it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

# --- Normalisation ------------------------------------------------------------------------

_BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_BIDI_TABLE = dict.fromkeys(map(ord, _BIDI_CONTROLS))

# Unicode's Default_Ignorable_Code_Point property (DerivedCoreProperties.txt, Unicode 15.1.0;
# the set is unchanged since 14.0 added U+180F): characters a renderer shows as nothing
# unless it supports them. Python's unicodedata has no such property, so the ranges are
# copied here. They include the zero-width space and joiners, the bidi controls, the
# combining grapheme joiner, variation selectors, invisible operators, Hangul fillers, the
# Khmer inherent vowels and the tag characters: anything of this set inside a word would
# hide it from the banned-word filter, and a name made only of them shows as blank.
DEFAULT_IGNORABLE_RANGES: tuple[tuple[int, int], ...] = (
    (0x00AD, 0x00AD),  # soft hyphen
    (0x034F, 0x034F),  # combining grapheme joiner
    (0x061C, 0x061C),  # Arabic letter mark
    (0x115F, 0x1160),  # Hangul choseong and jungseong fillers
    (0x17B4, 0x17B5),  # Khmer inherent vowels
    (0x180B, 0x180F),  # Mongolian variation selectors and vowel separator
    (0x200B, 0x200F),  # zero-width space, ZWNJ, ZWJ, LRM, RLM
    (0x202A, 0x202E),  # bidi embeddings and overrides
    (0x2060, 0x206F),  # word joiner, invisible operators, bidi isolates, deprecated formats
    (0x3164, 0x3164),  # Hangul filler
    (0xFE00, 0xFE0F),  # variation selectors 1-16
    (0xFEFF, 0xFEFF),  # zero-width no-break space (BOM)
    (0xFFA0, 0xFFA0),  # halfwidth Hangul filler
    (0xFFF0, 0xFFF8),  # unassigned, reserved as ignorable
    (0x1BCA0, 0x1BCA3),  # shorthand format controls
    (0x1D173, 0x1D17A),  # musical beam and phrase controls
    (0xE0000, 0xE0FFF),  # tags, variation selectors 17-256, reserved
)
_IGNORABLE_CLASS = "".join(
    chr(low) if low == high else f"{chr(low)}-{chr(high)}" for low, high in DEFAULT_IGNORABLE_RANGES
)
_IGNORABLE_RE = re.compile(f"[{_IGNORABLE_CLASS}]+")

# Every default-ignorable character is folded away for matching: removing them joins the
# word back up (Persian نیم‌فاصله is written with ZWNJ; search treats می‌رود and میرود
# alike). Stored text keeps them as written.
_INVISIBLE = "".join(
    chr(code) for low, high in DEFAULT_IGNORABLE_RANGES for code in range(low, high + 1)
)

# Harakat, tanwin, shadda, sukun, maddah/hamza above and below (U+064B–U+065F), superscript
# alef (U+0670), honorific signs (U+0610–U+061A), Quranic annotation marks and the extended
# Arabic marks. Latin combining accents are kept: café and cafe are different words.
_ARABIC_MARKS = (
    "\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e4\u06e7\u06e8\u06ea-\u06ed"
    "\u08d3-\u08e1\u08e3-\u08ff"
)
_TATWEEL = "\u0640"

_LETTERS = {
    # Alef forms: hamza above/below, madda, wasla, wavy hamza, high hamza.
    "أ": "ا",
    "إ": "ا",
    "آ": "ا",
    "ٱ": "ا",
    "ٲ": "ا",
    "ٳ": "ا",
    "ٵ": "ا",
    "ؤ": "و",
    "ٶ": "و",
    "ئ": "ي",
    "ٸ": "ي",
    "ى": "ي",
    "ة": "ه",
    # Persian and Urdu letters that Arabic copy is typed with.
    "ی": "ي",
    "ې": "ي",
    "ک": "ك",
    "ڪ": "ك",
    "ۀ": "ه",
    "ە": "ه",
    "ھ": "ه",
    "ہ": "ه",
    "ۃ": "ه",
}


def _expand_ranges(spec: str) -> list[str]:
    chars: list[str] = []
    i = 0
    while i < len(spec):
        if i + 2 < len(spec) and spec[i + 1] == "-":
            chars.extend(chr(c) for c in range(ord(spec[i]), ord(spec[i + 2]) + 1))
            i += 3
        else:
            chars.append(spec[i])
            i += 1
    return chars


def _fold_char(ch: str) -> str:
    """Map one character through the letter, digit and deletion rules (not NFKC)."""
    if ch in _INVISIBLE or ch == _TATWEEL or ch in _DELETED_MARKS:
        return ""
    if ch in _LETTERS:
        return _LETTERS[ch]
    if "\u0660" <= ch <= "\u0669" or "\u06f0" <= ch <= "\u06f9":
        return str(unicodedata.decimal(ch))
    return ch


_DELETED_MARKS = frozenset(_expand_ranges(_ARABIC_MARKS))


def _compatibility_ranges() -> Iterable[int]:
    # NFKC is applied only to these blocks: Arabic presentation forms (ﻻ, ﺍﻟ…), Latin
    # ligatures (ﬁ) and fullwidth/halfwidth forms. Elsewhere NFKC rewrites things a reader
    # would call different (², ½, ℡), so "NFKC where safe" means these blocks.
    yield from range(0xFB00, 0xFB07)
    yield from range(0xFB50, 0xFE00)
    yield from range(0xFE70, 0xFF00)
    yield from range(0xFF01, 0xFFEF)


def _build_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for ch in (*_INVISIBLE, _TATWEEL, *_DELETED_MARKS, *_LETTERS):
        table[ord(ch)] = _fold_char(ch)
    for code in (*range(0x0660, 0x066A), *range(0x06F0, 0x06FA)):
        table[code] = _fold_char(chr(code))
    for code in _compatibility_ranges():
        ch = chr(code)
        compat = unicodedata.normalize("NFKC", ch)
        # ﷺ and the basmala expand to whole phrases with spaces; a "word" must stay a word.
        if compat != ch and not any(c.isspace() for c in compat):
            table[code] = "".join(_fold_char(c) for c in compat)
    return table


_TABLE = _build_table()


def strip_bidi_controls(text: str) -> str:
    """Remove the bidi embedding, override, isolate and mark characters from ``text``.

    Removes U+202A–U+202E, U+2066–U+2069, U+200E, U+200F and U+061C; nothing else changes.
    """
    return text.translate(_BIDI_TABLE)


def strip_ignorables(text: str) -> str:
    """Remove every Default_Ignorable_Code_Point character (``DEFAULT_IGNORABLE_RANGES``).

    For checking what a text shows (a name made only of U+200B or U+3164 shows nothing);
    ZWNJ goes too, so keep the original for display.
    """
    return _IGNORABLE_RE.sub("", text)


def normalize(text: str) -> str:
    """Return ``text`` normalised for matching; the result may be shorter or longer.

    Alef and hamza forms fold to bare letters (أ إ آ ٱ → ا, ؤ → و, ئ → ي), ى → ي, ة → ه;
    diacritics, Quranic marks, tatweel and every default-ignorable character (zero-width,
    bidi controls, variation selectors, Hangul fillers, tags…) are removed;
    Arabic-Indic and Persian digits become 0–9; Persian ی ک ۀ become ي ك ه; presentation
    forms go through NFKC; Latin is casefolded. Spaces and punctuation are kept as they are.
    """
    if text.isascii():
        return text.lower()
    folded = text.translate(_TABLE).casefold()
    # NFC only recomposes Latin (e + U+0301 → é); Arabic marks were removed above already.
    return unicodedata.normalize("NFC", folded)


#: Common Arabic function words, normalised (not stemmed). Nothing removes them by default.
STOPWORDS: frozenset[str] = frozenset(
    normalize(word)
    for word in """
    في من على إلى عن مع أن إن أنه إنه ما لا لم لن قد ثم أو أم بل لكن ولكن حتى إذا إذ كما
    هذا هذه ذلك تلك هؤلاء الذي التي الذين اللذان اللتان اللواتي هو هي هم هن أنا نحن أنت
    كان كانت يكون تكون كل بعض غير بين عند لدى منذ خلال بعد قبل حيث أي أيضا فقط كذلك
    وقد وهو وهي وفي ومن وعلى وإلى وأن وما ولا ولم له لها لهم به بها فيه فيها منه منها
    عليه عليها إليه عنه عنها ذات يا
    """.split()
)
