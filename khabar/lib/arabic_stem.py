"""Light stemming for khabar.lib.arabic: Lucene's Arabic rules plus a frequency check.

Callers use ``khabar.lib.arabic.stem`` or ``analyze``; this module holds the rules and the
two data files (``data/ar_wordfreq.txt``, ``data/synonyms_ar.txt``), each loaded once.

Terms arrive normalised (ة is already ه, ی is ي, no diacritics). The steps:

1. Prefixes, in the only order Arabic stacks them: a conjunction (و ف), a preposition
   (ب ل ك), the article. The article comes off as in Lucene's ArabicStemmer (ال وال بال كال
   فال لل, at least two letters left) and nothing comes off after it. A one-letter clitic
   (at least three letters left, Lucene's limit for و) comes off only where the frequency
   list says the remainder is clearly the more frequent word (``PROCLITIC_MARGIN``).
   Lucene strips a bare و whenever three letters remain, which cuts وزراء to زراء while
   الوزراء keeps its و; checking frequencies keeps both as وزراء, and وزير and ولد stay
   whole while وفلسطين loses its و. Nouns whose own letters start with ال (التزام, and
   ألعاب once hamza is folded) keep them when the list knows their definite form.
   What is left is the word's *exact form* (spelling folded, clitics split), which the
   index keeps beside the stem.
2. Suffixes, as Lucene lists them: each of ها ان ات ون ين يه ه ي once, in that order, but
   a stemmer that knows when not to strip (``strip_suffixes_guarded``): no suffix comes off
   a name in the gazetteer (``khabar/data/gazetteer``), none leaves fewer than three
   letters or a stopword (هيئة is not هي), none comes off a common word whose stem is a far
   more frequent, different word (أبها is not أب), and ه stays on a word far more frequent
   with it than without it, which is a ة noun (صفحة is not الصفح).
3. Spelling variants from ``synonyms_ar.txt`` map to the first word of their line.
"""

from __future__ import annotations

import functools
import threading
from pathlib import Path

from khabar.lib.arabic_fold import STOPWORDS, normalize

DATA_DIR = Path(__file__).resolve().parent / "data"
WORDFREQ_PATH = DATA_DIR / "ar_wordfreq.txt"
SYNONYMS_PATH = DATA_DIR / "synonyms_ar.txt"
GAZETTEER_PATH = Path(__file__).resolve().parent.parent / "data" / "gazetteer" / "names_ar.txt"

# Lucene's prefix list minus the bare و, which is a frequency-checked proclitic here. Order
# matters: the first prefix that fits is the only one removed.
ARTICLES = ("ال", "وال", "بال", "كال", "فال", "لل")
CONJUNCTIONS = frozenset("وف")
PREPOSITIONS = frozenset("بلك")
# Lucene's suffixes after normalisation: ية and ة can no longer occur, and listing ه twice
# would strip two of them from وجهه.
SUFFIXES = ("ها", "ان", "ات", "ون", "ين", "يه", "ه", "ي")
# The remainder must be this much more frequent (Zipf × 100; 30 is about twice as frequent).
# On the PUD sentences, "more frequent at all" also cut names and words that merely begin
# with the letter (بروس → روس, بحرية → حرية, وسام → سام, بريد → ريد); below 30 those errors
# outnumbered the true clitics (بنسبة, لضمان) that the margin now leaves whole.
PROCLITIC_MARGIN = 30
#: The shortest stem a suffix may leave (Arabic roots have three letters; Lucene allows two,
#: which turned أبها into أب and هيئة into the stopword هي).
MIN_STEM = 3
#: A word at least this frequent (Zipf x 100) is "common on its own"...
COMMON_WORD = 350
#: ...and keeps its suffix when the stripped form is this much more frequent (10x): then the
#: stripped form is another, far commoner word (أبها 3.73 against أب 4.98).
FAR_MORE_FREQUENT = 100
#: A final ه stays when the word with it is this much more frequent than without it: then
#: it is the ة of a noun, not the pronoun "his" (صفحة 4.96 against صفح; كتابه 5.10 against
#: كتاب 5.38 still loses it).
TA_MARBUTA_MARGIN = 50


@functools.cache
def word_frequencies() -> dict[str, int]:
    """Return {normalised word: Zipf frequency × 100} from ``data/ar_wordfreq.txt``."""
    frequencies: dict[str, int] = {}
    with WORDFREQ_PATH.open(encoding="utf-8") as lines:
        for line in lines:
            word, _, zipf = line.rstrip("\n").partition("\t")
            if word and zipf:
                frequencies[word] = int(zipf)
    return frequencies


def zipf(word: str) -> int:
    """Return the Zipf frequency × 100 of a normalised word; 0 if it is not in the list."""
    return word_frequencies().get(word, 0)


def strip_suffixes(word: str) -> str:
    """Remove Lucene's suffixes from ``word``, each at most once, keeping two letters."""
    for suffix in SUFFIXES:
        if word.endswith(suffix) and len(word) >= len(suffix) + 2:
            word = word[: -len(suffix)]
    return word


def _strip_article(word: str) -> str | None:
    """Return ``word`` without its definite article, or None if it has none."""
    for prefix in ARTICLES:
        if not (word.startswith(prefix) and len(word) >= len(prefix) + 2):
            continue
        if prefix == "لل":
            # للقاء is ل + لقاء, not لل + قاء: keep the word's own ل when that word is the
            # more frequent reading.
            return word[1:] if zipf(word[1:]) > zipf(word[2:]) else word[2:]
        # In التزام, الالتزام and والتزام the ال belongs to the noun; the list knows the noun
        # has a definite form "ال" + "التزام", so only the proclitic before it comes off.
        own = word[len(prefix) - 2 :]
        if zipf("ال" + own) > 0:
            return own
        return word[len(prefix) :]
    return None


def _strip_proclitic(word: str, allowed: frozenset[str]) -> str | None:
    """Return ``word`` without a leading clitic from ``allowed`` if the frequency list agrees."""
    if len(word) < 4 or word[0] not in allowed:
        return None
    rest = word[1:]
    with_clitic, without = zipf(word), zipf(rest)
    if with_clitic == 0 and without == 0:
        # Neither spelling is in the 30k list. A conjunction before an article (فبالعقوبات)
        # is certain. Otherwise trust و on longer words, as Lucene does, since rare words
        # that really start with و are rarer still; the same guess for ب or ف cut بطالة and
        # فريمان, so those stay whole.
        if word[0] in CONJUNCTIONS and _strip_article(rest) not in (None, rest):
            return rest
        return rest if word[0] == "و" and len(rest) >= 4 else None
    # A word missing from the list may still be a known word plus a suffix: بلدين is بلد,
    # so it must not lose its ب to the (listed) لدين.
    with_clitic = max(with_clitic, zipf(strip_suffixes(word)))
    without = max(without, zipf(strip_suffixes(rest)))
    return rest if without >= with_clitic + PROCLITIC_MARGIN else None


@functools.cache
def gazetteer() -> frozenset[str]:
    """Return the one-word proper names kept whole (normalised, without the article)."""
    names = set()
    with GAZETTEER_PATH.open(encoding="utf-8") as lines:
        for line in lines:
            word = line.strip()
            if word and not word.startswith("#"):
                names.add(word)
    return frozenset(names)


def is_name(word: str) -> bool:
    """Return True if the normalised, clitic-free ``word`` is a name in the gazetteer."""
    return word in gazetteer()


def _keeps_suffix(word: str, shorter: str, suffix: str) -> bool:
    """Return True if ``suffix`` must stay on ``word`` (see the module docstring)."""
    if len(shorter) < MIN_STEM or shorter in STOPWORDS:
        return True
    full, stripped = zipf(word), zipf(shorter)
    if full >= COMMON_WORD and stripped >= full + FAR_MORE_FREQUENT:
        return True
    return suffix == "ه" and full >= stripped + TA_MARBUTA_MARGIN


def strip_suffixes_guarded(word: str) -> str:
    """Remove Lucene's suffixes from a clitic-free word where the guards allow it.

    A name from the gazetteer comes back whole; otherwise each suffix comes off at most
    once, in Lucene's order, unless ``_keeps_suffix`` says the result is another word.
    """
    if is_name(word):
        return word
    for suffix in SUFFIXES:
        if word.endswith(suffix) and not _keeps_suffix(word, word[: -len(suffix)], suffix):
            word = word[: -len(suffix)]
    return word


def _prefix_clitic(word: str) -> bool:
    # A clitic before a gazetteer name comes off whatever the frequencies say (بجيزان).
    return len(word) >= 4 and word[0] in "وفبلك" and is_name(word[1:])


def strip_prefixes(word: str) -> str:
    """Return the exact form of a normalised Arabic word: its clitics and article split off.

    The same steps as ``light_stem`` before the suffixes; the index keeps this form beside
    the stem, so a story holding the very word a reader typed ranks first.
    """
    allowed = CONJUNCTIONS | PREPOSITIONS
    while True:
        stripped = _strip_article(word)
        if stripped is not None:
            return stripped
        if word[:1] in allowed and _prefix_clitic(word):
            stripped = word[1:]
        else:
            stripped = _strip_proclitic(word, allowed)
        if stripped is None:
            return word
        allowed = PREPOSITIONS if word[0] in CONJUNCTIONS else frozenset()
        word = stripped


def light_stem(word: str) -> str:
    """Return the light stem of a normalised Arabic word, without synonym mapping.

    Lucene's rules without the guards; the synonym table is keyed by these stems.
    """
    # Clitics stack in one order only: conjunction (و ف), preposition (ب ل ك), article.
    # Nothing comes off after the article, so البلدين loses ال but keeps its ب (stripping
    # on would leave دين, "religion"), and ووزير keeps the second و.
    allowed = CONJUNCTIONS | PREPOSITIONS
    while True:
        stripped = _strip_article(word)
        if stripped is not None:
            word = stripped
            break
        stripped = _strip_proclitic(word, allowed)
        if stripped is None:
            break
        allowed = PREPOSITIONS if word[0] in CONJUNCTIONS else frozenset()
        word = stripped
    return strip_suffixes(word)


@functools.cache
def synonyms() -> dict[str, str]:
    """Return {variant form: canonical form} from ``data/synonyms_ar.txt``.

    Both the exact forms and the guarded stems of each line's words map to the first word's
    exact form and stem. Raises ValueError if one form belongs to two groups, which would
    make the result depend on line order.
    """
    mapping: dict[str, str] = {}
    for number, line in enumerate(SYNONYMS_PATH.read_text(encoding="utf-8").splitlines(), 1):
        words = line.partition("#")[0].split()
        if len(words) < 2:
            continue
        exacts = [strip_prefixes(normalize(word)) for word in words]
        for forms in (exacts, [strip_suffixes_guarded(exact) for exact in exacts]):
            canonical = forms[0]
            for variant in forms:
                if mapping.get(variant, canonical) != canonical:
                    raise ValueError(f"{SYNONYMS_PATH.name}:{number}: {variant} is in two groups")
                if variant != canonical:
                    mapping[variant] = canonical
            if mapping.get(canonical, canonical) != canonical:
                raise ValueError(f"{SYNONYMS_PATH.name}:{number}: {canonical} is in two groups")
    return mapping


@functools.lru_cache(maxsize=1 << 16)
def forms_arabic(word: str) -> tuple[str, str]:
    """Return ``(exact form, stem)`` of a normalised Arabic word, spelling variants joined.

    The stem is never a stopword unless the word itself is one: where the guarded stem
    still is (a clitic split off a name-less word), the exact form is the stem.
    """
    exact = strip_prefixes(word)
    base = strip_suffixes_guarded(exact)
    table = synonyms()
    exact = table.get(exact, exact)
    base = table.get(base, base)
    if base in STOPWORDS and word not in STOPWORDS:
        base = exact
    return exact, base


def stem_arabic(word: str) -> str:
    """Return the index term of a normalised Arabic word: guarded stem, then synonyms."""
    return forms_arabic(word)[1]


_local = threading.local()


def stem_english(word: str) -> str:
    """Return the Snowball English stem of a lowercase word."""
    # PyStemmer's Stemmer objects are not thread-safe, so each thread gets its own.
    stemmer = getattr(_local, "english", None)
    if stemmer is None:
        import Stemmer

        stemmer = _local.english = Stemmer.Stemmer("english")
    return str(stemmer.stemWord(word))
