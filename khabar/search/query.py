"""Turn whatever a person typed into a safe, analysed query.

Nothing a reader types reaches FTS5's MATCH or PostgreSQL's to_tsquery as written: the text
goes through the one analyzer in ``khabar.lib.arabic`` and only its index terms (letters and
digits) come out, so quotes, brackets, ``*``, ``NEAR`` or ``:`` are never syntax. Two
things a reader types are operators: text in quotes is a phrase and ``-word`` excludes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from khabar.lib.arabic import LANGUAGES, STOPWORDS, analyze_forms, analyze_terms, tokenize

#: Past this many words a query is cut: nobody types more, and AND-ing hundreds of terms
#: only costs time.
MAX_TERMS = 24
MAX_QUERY_CHARS = 500

# Straight, curly and guillemet quotes all open and close a phrase.
_PHRASE_RE = re.compile(r"[\"“”«»„]([^\"“”«»„]*)[\"“”«»„]")
_QUOTES_RE = re.compile(r"[\"“”«»„]")


Alternatives = tuple[str, ...]

# "-word" excludes a word: a hyphen at the start of a word (not inside one: ثنائي-القطب).
_EXCLUDED_RE = re.compile(r"(?:^|(?<=\s))[-−](\w\S*)")


@dataclass(frozen=True)
class ParsedQuery:
    """The analysed parts of a query: words and phrases ANDed, excluded words NOTed.

    Each word is a tuple of alternative stems (one per analysis language: a query across
    all editions must match Arabic-stemmed and Persian-normalised copy alike, and a name's
    spelling variants join them), and ``exact`` holds, word for word, the alternative exact
    forms (spelling folded, clitics split, suffixes kept) that rank a story above one that
    only shares the stem. Each phrase is a tuple of alternative stem sequences. Within one
    edition and without variants there is one alternative.
    """

    terms: tuple[Alternatives, ...]
    phrases: tuple[tuple[tuple[str, ...], ...], ...]
    exact: tuple[Alternatives, ...] = ()
    excluded: tuple[Alternatives, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.terms or self.phrases)

    @property
    def all_terms(self) -> frozenset[str]:
        """Every stem of the query, phrase words included (what the highlighter marks)."""
        found: set[str] = set()
        for alternatives in self.terms:
            found.update(alternatives)
        for variants in self.phrases:
            for variant in variants:
                found.update(variant)
        return frozenset(found)

    def exact_of(self, index: int) -> Alternatives:
        """The exact forms of word ``index`` (its stems where none were given)."""
        return self.exact[index] if index < len(self.exact) else self.terms[index]


def analysis_lang(lang: str | None) -> str:
    """The analyzer language for an edition code (Arabic rules for anything unknown)."""
    return lang if lang in LANGUAGES else "ar"


@dataclass(frozen=True)
class _Word:
    surface: str
    stems: Alternatives
    exact: Alternatives


def _words(text: str, langs: tuple[str, ...]) -> list[_Word]:
    words = []
    for token in tokenize(text):
        forms = [analyze_forms(token.original, lang=lang) for lang in langs]
        if not all(forms):
            continue
        words.append(
            _Word(
                token.term,
                tuple(dict.fromkeys(one[0][1] for one in forms)),
                tuple(dict.fromkeys(one[0][0] for one in forms)),
            )
        )
    return words


def parse_query(text: str, *, lang: str | None = "ar") -> ParsedQuery:
    """Split ``text`` into phrases (between quotes), excluded words (-word) and words.

    ``lang=None`` means every edition: each word may match its analysis in any language.
    Stopwords are dropped from loose words (unless nothing else is left) but kept inside
    phrases, where positions matter; a word is a stopword by what was typed, never by its
    stem (هيئة stays though its old stem هي is one). An unbalanced quote is ignored.
    """
    text = text[:MAX_QUERY_CHARS]
    langs = (analysis_lang(lang),) if lang is not None else tuple(sorted(LANGUAGES))
    phrases: list[tuple[tuple[str, ...], ...]] = []
    singles: list[_Word] = []
    for quoted in _PHRASE_RE.findall(text):
        variants = {tuple(analyze_terms(quoted, lang=one)[:MAX_TERMS]) for one in langs}
        length = len(next(iter(variants)))
        if length > 1:
            phrases.append(tuple(sorted(variants)))
        singles.extend(w for w in _words(quoted, langs) if w.surface not in STOPWORDS)
    rest = _QUOTES_RE.sub(" ", _PHRASE_RE.sub(" ", text))
    excluded = [word.stems for word in _words(" ".join(_EXCLUDED_RE.findall(rest)), langs)]
    rest = _EXCLUDED_RE.sub(" ", rest)
    loose = _words(rest, langs)
    content = [word for word in loose if word.surface not in STOPWORDS]
    singles.extend(content or loose)
    words = list({word.stems: word for word in reversed(singles)}.values())[::-1]
    budget = max(MAX_TERMS - sum(len(p[0]) for p in phrases), 0)
    words = words[:budget]
    return ParsedQuery(
        tuple(word.stems for word in words),
        tuple(dict.fromkeys(phrases)),
        tuple(word.exact for word in words),
        tuple(dict.fromkeys(excluded))[:MAX_TERMS],
    )


def with_variants(parsed: ParsedQuery, variants: dict[str, Alternatives]) -> ParsedQuery:
    """Add the spelling variants of each word's exact forms (``{exact: other exacts}``).

    A variant is matched by its stem and ranked as an exact form, so جيزان finds جازان.
    """
    from khabar.lib.arabic import word_forms

    if not variants:
        return parsed
    terms, exact = [], []
    for i, stems in enumerate(parsed.terms):
        forms = list(parsed.exact_of(i))
        for form in list(forms):
            forms.extend(variants.get(form, ()))
        forms = list(dict.fromkeys(forms))
        more = [word_forms(form)[1] for form in forms[len(parsed.exact_of(i)) :]]
        terms.append(tuple(dict.fromkeys([*stems, *more])))
        exact.append(tuple(forms))
    return ParsedQuery(tuple(terms), parsed.phrases, tuple(exact), parsed.excluded)
