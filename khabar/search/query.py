"""Turn whatever a person typed into a safe, analysed query.

Nothing a reader types reaches FTS5's MATCH or PostgreSQL's to_tsquery as written: the text
goes through the one analyzer in ``khabar.lib.arabic`` and only its index terms (letters and
digits) come out, so quotes, brackets, ``*``, ``NEAR``, ``-`` or ``:`` are never syntax.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from khabar.lib.arabic import LANGUAGES, analyze_terms, is_stopword

#: Past this many words a query is cut: nobody types more, and AND-ing hundreds of terms
#: only costs time.
MAX_TERMS = 24
MAX_QUERY_CHARS = 500

# Straight, curly and guillemet quotes all open and close a phrase.
_PHRASE_RE = re.compile(r"[\"“”«»„]([^\"“”«»„]*)[\"“”«»„]")
_QUOTES_RE = re.compile(r"[\"“”«»„]")


Alternatives = tuple[str, ...]


@dataclass(frozen=True)
class ParsedQuery:
    """The analysed parts of a query, all ANDed.

    Each word is a tuple of alternative terms (one per analysis language: a query across
    all editions must match Arabic-stemmed and Persian-normalised copy alike), and each
    phrase is a tuple of alternative term sequences. Within one edition there is one
    alternative.
    """

    terms: tuple[Alternatives, ...]
    phrases: tuple[tuple[tuple[str, ...], ...], ...]

    def __bool__(self) -> bool:
        return bool(self.terms or self.phrases)

    @property
    def all_terms(self) -> frozenset[str]:
        """Every term of the query, phrase words included (what the highlighter marks)."""
        found: set[str] = set()
        for alternatives in self.terms:
            found.update(alternatives)
        for variants in self.phrases:
            for variant in variants:
                found.update(variant)
        return frozenset(found)


def analysis_lang(lang: str | None) -> str:
    """The analyzer language for an edition code (Arabic rules for anything unknown)."""
    return lang if lang in LANGUAGES else "ar"


def _analyses(text: str, langs: tuple[str, ...]) -> list[Alternatives]:
    # Every language tokenises alike (one word pattern), so the i-th terms are one word.
    per_lang = [analyze_terms(text, lang=lang) for lang in langs]
    return [tuple(dict.fromkeys(word)) for word in zip(*per_lang, strict=True)]


def parse_query(text: str, *, lang: str | None = "ar") -> ParsedQuery:
    """Split ``text`` into phrases (between quotes) and words, analysed for ``lang``.

    ``lang=None`` means every edition: each word may match its analysis in any language.
    Stopwords are dropped from loose words (unless nothing else is left) but kept inside
    phrases, where positions matter. An unbalanced quote is ignored.
    """
    text = text[:MAX_QUERY_CHARS]
    langs = (analysis_lang(lang),) if lang is not None else tuple(sorted(LANGUAGES))
    phrases: list[tuple[tuple[str, ...], ...]] = []
    singles: list[Alternatives] = []
    for quoted in _PHRASE_RE.findall(text):
        variants = {tuple(analyze_terms(quoted, lang=one)[:MAX_TERMS]) for one in langs}
        length = len(next(iter(variants)))
        if length > 1:
            phrases.append(tuple(sorted(variants)))
        elif length:
            singles.extend(_analyses(quoted, langs))
    rest = _QUOTES_RE.sub(" ", _PHRASE_RE.sub(" ", text))
    loose = _analyses(rest, langs)
    content = [word for word in loose if not any(is_stopword(term) for term in word)]
    singles.extend(content or loose)
    terms = list(dict.fromkeys(singles))
    budget = MAX_TERMS - sum(len(p[0]) for p in phrases)
    return ParsedQuery(tuple(terms[: max(budget, 0)]), tuple(dict.fromkeys(phrases)))
