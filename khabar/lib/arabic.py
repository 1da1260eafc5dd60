"""The one Arabic analyzer: normalise, tokenise, stem and match words.

Search indexing, search queries, banned-word matching in comments and de-duplication all go
through this module, so a word typed with other hamza forms, diacritics, tatweel, Persian
letters or Arabic-Indic digits finds, matches and fingerprints the same everywhere.

Pure Python, no Django. The stemmer lives in ``arabic_stem``; this module is the public API.
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from khabar.lib import arabic_stem

__all__ = [
    "LANGUAGES",
    "STOPWORDS",
    "Token",
    "WordMatcher",
    "analyze",
    "analyze_forms",
    "analyze_terms",
    "analyzed_text",
    "fingerprint",
    "forms_text",
    "is_stopword",
    "normalize",
    "stem",
    "strip_bidi_controls",
    "strip_ignorables",
    "tokenize",
    "word_forms",
]

#: Languages ``stem``/``analyze`` know. Arabic script is light-stemmed for "ar" and "en"
#: (English copy quotes Arabic names); Latin is Snowball-stemmed only for "en"; "fa" and any
#: other language get normalisation only, because Arabic suffix rules mangle Persian.
LANGUAGES = frozenset({"ar", "en", "fa"})

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


# --- Tokens -------------------------------------------------------------------------------

# A word starts with a letter or digit of any script (tatweel and ﻻ count, they are Lm/Lo),
# then may carry marks, and may continue through invisible joiners to more letters.
_MARK_CLASS = "[" + _ARABIC_MARKS + "\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\ufe20-\ufe2f]"
_JOINER_CLASS = "[" + _IGNORABLE_CLASS + "]"
_WORD_RE = re.compile(
    rf"[^\W_]{_MARK_CLASS}*(?:{_JOINER_CLASS}*[^\W_]{_MARK_CLASS}*)*",
)


@dataclass(frozen=True, slots=True)
class Token:
    """One word of a text: its index ``term`` and where it came from.

    ``start`` and ``end`` are offsets into the original text, so
    ``text[token.start:token.end] == token.original`` always holds.
    """

    term: str
    start: int
    end: int
    original: str


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into words; each ``term`` is ``normalize(original)``, not stemmed.

    Words are runs of letters and digits of any script, including the diacritics, tatweel
    and zero-width joiners inside them. Words that normalise to nothing (a lone tatweel)
    are left out.
    """
    tokens: list[Token] = []
    for match in _WORD_RE.finditer(text):
        original = match.group()
        term = normalize(original)
        if term:
            tokens.append(Token(term, match.start(), match.end(), original))
    return tokens


# --- Stemming and analysis ----------------------------------------------------------------


def _is_arabic_script(term: str) -> bool:
    return any("\u0600" <= ch <= "\u06ff" for ch in term)


def stem(term: str, *, lang: str = "ar") -> str:
    """Return the index term for an already-normalised word.

    Arabic-script words get the light stemmer (article and suffix stripping as in Lucene's
    ArabicStemmer, one-letter proclitics only where the frequency list agrees, no suffix off
    a gazetteer name nor one that leaves a stopword, a too-short or a far commoner other
    word) and then spelling variants from ``data/synonyms_ar.txt`` become one canonical
    term. With ``lang="en"`` Latin words get the Snowball English stemmer. Digits and other
    scripts come back unchanged. Raises ValueError for a language not in ``LANGUAGES``.
    """
    return word_forms(term, lang=lang)[1]


def word_forms(term: str, *, lang: str = "ar") -> tuple[str, str]:
    """Return ``(exact form, stem)`` of an already-normalised word.

    The exact form is the word with its spelling folded and its clitics split off
    (والجيزة → جيزه) but its suffixes kept; the stem is what ``stem`` returns. The index
    keeps both, so a story holding the very word typed ranks above one sharing its stem.
    Persian, digits and other scripts have one form. Raises ValueError for a language not
    in ``LANGUAGES``.
    """
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; expected one of {sorted(LANGUAGES)}")
    if not term:
        return term, term
    if _is_arabic_script(term):
        if lang == "fa":
            return term, term
        if len(term) > 3 and term.endswith("ا"):
            # An unmarked accusative alef (دولارا): dropped only when the word without it
            # is clearly more frequent, which keeps أمريكا, سوريا and جدا whole.
            bare = term[:-1]
            if arabic_stem.zipf(bare) > arabic_stem.zipf(term) + ALEF_MARGIN:
                term = bare
        return arabic_stem.forms_arabic(term)
    if lang == "en" and term.isalpha():
        return term, arabic_stem.stem_english(term)
    return term, term


#: Zipf x 100: how much more frequent the word must be without a final alef to drop it.
ALEF_MARGIN = 30
_TANWIN_ALEF = re.compile("(?:\u064b\u0640*\u0627|\u0627\u064b)$")


@functools.lru_cache(maxsize=1 << 16)
def _index_forms(original: str, lang: str) -> tuple[str, str]:
    # News text repeats words heavily (Zipf), so caching by the original spelling makes
    # analysis several times faster than normalising and stemming every occurrence.
    term = normalize(original)
    if lang != "fa" and len(term) > 3 and term.endswith("ا") and _TANWIN_ALEF.search(original):
        # The accusative tanwin's seat (اجتماعاً, دولاراً) is not part of the word; the
        # written diacritic says so. Unmarked forms are handled by frequency in stem().
        term = term[:-1]
    return word_forms(term, lang=lang)


def _index_term(original: str, lang: str) -> str:
    return _index_forms(original, lang)[1]


def analyze(text: str, *, lang: str = "ar") -> list[Token]:
    """Tokenise and stem ``text``; each ``Token.term`` is the final index term.

    No stopwords are removed, so positions stay right for phrase search; see
    ``is_stopword`` for callers that want to drop them.
    """
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; expected one of {sorted(LANGUAGES)}")
    tokens: list[Token] = []
    for match in _WORD_RE.finditer(text):
        original = match.group()
        term = _index_term(original, lang)
        if term:
            tokens.append(Token(term, match.start(), match.end(), original))
    return tokens


def analyze_terms(text: str, *, lang: str = "ar") -> list[str]:
    """Return the index terms of ``text`` in order (the terms of ``analyze``)."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; expected one of {sorted(LANGUAGES)}")
    # No Token objects: indexing calls this for every story, and building them cost more
    # than the analysis itself (search bench: ~2.7x slower).
    terms = (_index_term(word, lang) for word in _WORD_RE.findall(text))
    return [term for term in terms if term]


def analyze_forms(text: str, *, lang: str = "ar") -> list[tuple[str, str]]:
    """Return ``(exact form, stem)`` for each word of ``text``, in order (see ``word_forms``)."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; expected one of {sorted(LANGUAGES)}")
    forms = (_index_forms(word, lang) for word in _WORD_RE.findall(text))
    return [pair for pair in forms if pair[1]]


def forms_text(text: str, *, lang: str = "ar") -> tuple[str, str]:
    """Return ``text``'s exact forms and its stems, each joined by single spaces.

    Both have one entry per word, so positions agree between the two.
    """
    forms = analyze_forms(text, lang=lang)
    return " ".join(exact for exact, _ in forms), " ".join(stem for _, stem in forms)


def analyzed_text(text: str, *, lang: str = "ar") -> str:
    """Return the index terms of ``text`` joined by single spaces, for the search backends."""
    return " ".join(analyze_terms(text, lang=lang))


def fingerprint(text: str) -> str:
    """Return a SHA-1 hex digest of the analysed text, for spotting duplicate stories.

    The same story typed with other hamza forms, diacritics, tatweel, digits or spacing
    gets the same fingerprint.
    """
    return hashlib.sha1(analyzed_text(text).encode("utf-8"), usedforsecurity=False).hexdigest()


# --- Stopwords ----------------------------------------------------------------------------

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


@functools.cache
def _stopword_terms() -> frozenset[str]:
    return frozenset(stem(word) for word in STOPWORDS)


def is_stopword(word: str) -> bool:
    """Return True if ``word`` is an Arabic stopword, given raw, normalised or as a term."""
    return normalize(word) in STOPWORDS or word in _stopword_terms()


# --- Word matching ------------------------------------------------------------------------


class WordMatcher:
    """Find configured words and phrases (banned or suspect words) in a text.

    Words are stored by their analysed form, so ``والكلب`` and ``كَـلـب`` match ``كلب`` and
    ``٣`` matches ``3``. Matching takes one pass over the text's tokens with a dictionary
    lookup per token and per phrase length, so it is linear in the text whatever the number
    of words.
    """

    def __init__(self, words: Iterable[str], *, lang: str = "ar") -> None:
        """Index ``words``; each may be a single word or a phrase of several words."""
        self.lang = lang
        # Analysed term tuple -> the word as the moderator wrote it (the first one wins).
        self._entries: dict[tuple[str, ...], str] = {}
        # First term -> the longest phrase length starting with it, to bound the lookups.
        self._longest: dict[str, int] = {}
        for word in words:
            terms = tuple(analyze_terms(word, lang=lang))
            if not terms or terms in self._entries:
                continue
            self._entries[terms] = word
            self._longest[terms[0]] = max(self._longest.get(terms[0], 0), len(terms))

    def __len__(self) -> int:
        """Return how many distinct analysed words and phrases are configured."""
        return len(self._entries)

    def find(self, text: str) -> list[tuple[str, Token]]:
        """Return ``(configured word, token)`` for each match in ``text``, in text order.

        For a phrase the token spans the whole phrase (its ``term`` is the phrase's terms
        joined by spaces). The longest phrase wins where several start at one token, and
        matches do not overlap.
        """
        tokens = analyze(text, lang=self.lang)
        found: list[tuple[str, Token]] = []
        i = 0
        while i < len(tokens):
            longest = self._longest.get(tokens[i].term, 0)
            matched = 0
            for size in range(min(longest, len(tokens) - i), 0, -1):
                key = tuple(token.term for token in tokens[i : i + size])
                word = self._entries.get(key)
                if word is not None:
                    first, last = tokens[i], tokens[i + size - 1]
                    span = Token(" ".join(key), first.start, last.end, text[first.start : last.end])
                    found.append((word, span))
                    matched = size
                    break
            i += matched or 1
        return found

    def first(self, text: str) -> str | None:
        """Return the first configured word found in ``text``, or None."""
        found = self.find(text)
        return found[0][0] if found else None
