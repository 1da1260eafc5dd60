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
2. Suffixes, exactly as Lucene: each of ها ان ات ون ين يه ه ي once, in that order, if at
   least two letters remain.
3. Spelling variants from ``synonyms_ar.txt`` map to the first word of their line.
"""

from __future__ import annotations

import functools
import threading
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"
WORDFREQ_PATH = DATA_DIR / "ar_wordfreq.txt"
SYNONYMS_PATH = DATA_DIR / "synonyms_ar.txt"

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


def light_stem(word: str) -> str:
    """Return the light stem of a normalised Arabic word, without synonym mapping."""
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
    """Return {variant stem: canonical stem} from ``data/synonyms_ar.txt``.

    Raises ValueError if one stem belongs to two groups, which would make the result depend
    on line order.
    """
    from khabar.lib.arabic import normalize  # the normaliser imports this module

    mapping: dict[str, str] = {}
    for number, line in enumerate(SYNONYMS_PATH.read_text(encoding="utf-8").splitlines(), 1):
        words = line.partition("#")[0].split()
        if len(words) < 2:
            continue
        stems = [light_stem(normalize(word)) for word in words]
        canonical = stems[0]
        for variant in stems:
            if mapping.get(variant, canonical) != canonical:
                raise ValueError(f"{SYNONYMS_PATH.name}:{number}: {variant} is in two groups")
            if variant != canonical:
                mapping[variant] = canonical
        if canonical in mapping:
            raise ValueError(f"{SYNONYMS_PATH.name}:{number}: {canonical} is in two groups")
    return mapping


@functools.lru_cache(maxsize=1 << 16)
def stem_arabic(word: str) -> str:
    """Return the index term of a normalised Arabic word: light stem, then synonyms."""
    base = light_stem(word)
    return synonyms().get(base, base)


_local = threading.local()


def stem_english(word: str) -> str:
    """Return the Snowball English stem of a lowercase word."""
    # PyStemmer's Stemmer objects are not thread-safe, so each thread gets its own.
    stemmer = getattr(_local, "english", None)
    if stemmer is None:
        import Stemmer

        stemmer = _local.english = Stemmer.Stemmer("english")
    return str(stemmer.stemWord(word))
