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
from collections.abc import Iterable
from dataclasses import dataclass

from khabar.lib import arabic_stem
from khabar.lib.arabic_fold import (
    _ARABIC_MARKS,
    _IGNORABLE_CLASS,
    DEFAULT_IGNORABLE_RANGES,
    STOPWORDS,
    normalize,
    strip_bidi_controls,
    strip_ignorables,
)

__all__ = [
    "DEFAULT_IGNORABLE_RANGES",
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
    # No Token objects: indexing calls this for every story, and building them cost more
    # than the analysis itself (search bench: ~2.7x slower).
    return [stem for _exact, stem in analyze_forms(text, lang=lang)]


# Analysing a whole text (indexing, fingerprints) goes by runs rather than words: a run is a
# letter or digit followed by letters, digits, marks and invisible joiners, one simple
# character class that the regex engine matches several times faster than ``_WORD_RE``'s
# nested groups. A run holds one word or more (a joiner not followed by a letter, an
# underscore, end a word): ``_WORD_RE`` splits each run once, and the run's forms are cached
# by its spelling, so the words of a text are those ``_WORD_RE`` finds in the whole text,
# in order (a word never crosses a character outside the run's class, and nothing before a
# run's first letter or digit can belong to a word).
_RUN_RE = re.compile(rf"\w[\w{_MARK_CLASS[1:-1]}{_JOINER_CLASS[1:-1]}]*")
#: Per analyzer language: run → the ``(exact form, stem)`` of its words that have a stem.
_RUN_FORMS: dict[str, dict[str, tuple[tuple[str, str], ...]]] = {}
_RUN_CACHE_SIZE = 1 << 16


def _runs_forms(runs: list[str], lang: str) -> list[tuple[str, str]]:
    cache = _RUN_FORMS.get(lang)
    if cache is None:
        cache = _RUN_FORMS[lang] = {}
    found: list[tuple[str, str]] = []
    for run in runs:
        forms = cache.get(run)
        if forms is None:
            if len(cache) >= _RUN_CACHE_SIZE:
                cache.clear()  # bounded: started afresh when full
            forms = cache[run] = tuple(
                pair
                for pair in (_index_forms(word, lang) for word in _WORD_RE.findall(run))
                if pair[1]
            )
        found += forms
    return found


def analyze_forms(text: str, *, lang: str = "ar") -> list[tuple[str, str]]:
    """Return ``(exact form, stem)`` for each word of ``text``, in order (see ``word_forms``)."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; expected one of {sorted(LANGUAGES)}")
    return _runs_forms(_RUN_RE.findall(text), lang)


def forms_text(text: str, *, lang: str = "ar") -> tuple[str, str]:
    """Return ``text``'s exact forms and its stems, each joined by single spaces.

    Both have one entry per word, so positions agree between the two.
    """
    forms = analyze_forms(text, lang=lang)
    return " ".join([exact for exact, _ in forms]), " ".join([stem for _, stem in forms])


def analyzed_text(text: str, *, lang: str = "ar") -> str:
    """Return the index terms of ``text`` joined by single spaces, for the search backends."""
    return " ".join(analyze_terms(text, lang=lang))


def fingerprint(text: str) -> str:
    """Return a SHA-1 hex digest of the analysed text, for spotting duplicate stories.

    The same story typed with other hamza forms, diacritics, tatweel, digits or spacing
    gets the same fingerprint.
    """
    return hashlib.sha1(analyzed_text(text).encode("utf-8"), usedforsecurity=False).hexdigest()


# --- Stopwords (the list itself is in ``arabic_fold``) ---------------------------------


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
