"""Highlighted headlines and snippets, built from the analyzer's offsets into the original.

The index holds analysed terms; readers see the story as it was written. Words of the
original text are analysed again (``analyze`` gives their offsets), words whose term is in
the query are wrapped in ``<mark>``, and everything else is escaped.

A snippet never analyses a whole story: the query's words are first looked for as plain
substrings of the folded text (``normalize`` keeps the spaces, so the n-th space-separated
word of the folded text is the n-th of the original), each place found is confirmed by
analysing that one word, and only the chosen window is analysed to be marked. A long story
costs a few hundred analysed characters, not its length.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Iterable

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from khabar.lib.arabic import Token, analyze, normalize
from khabar.lib.arabic_stem import synonyms

SNIPPET_WORDS = 36
ELLIPSIS = "…"
#: Places looked at per needle, and in all: enough for the best window of a news story,
#: bounded so a word repeated thousands of times costs no more than a rare one.
MAX_PLACES_PER_NEEDLE = 40
MAX_PLACES = 120
#: Words shown before the first match of the window, so the match is read in context.
CONTEXT_BEFORE = 4


def _marked(text: str, tokens: list[Token], terms: Collection[str], start: int, end: int) -> str:
    """Escape ``text[start:end]``, wrapping matching tokens inside it in <mark>."""
    out: list[str] = []
    pos = start
    for token in tokens:
        if token.end <= start or token.start >= end or token.term not in terms:
            continue
        out.append(escape(text[pos : token.start]))
        out.append(f"<mark>{escape(token.original)}</mark>")
        pos = token.end
    out.append(escape(text[pos:end]))
    return "".join(out)


def highlight(text: str, terms: Collection[str], *, lang: str = "ar") -> SafeString:
    """Return all of ``text`` escaped, with the words matching ``terms`` in <mark>."""
    tokens = analyze(text, lang=lang)
    return mark_safe(_marked(text, tokens, terms, 0, len(text)))


@functools.cache
def _spellings() -> dict[str, frozenset[str]]:
    """{canonical form: the forms the synonym table joins to it}, to look for in raw text."""
    found: dict[str, set[str]] = {}
    for variant, canonical in synonyms().items():
        found.setdefault(canonical, {canonical}).add(variant)
    return {canonical: frozenset(forms) for canonical, forms in found.items()}


def needles(terms: Iterable[str]) -> set[str]:
    """The strings to look for in folded text: each term and its synonyms' spellings."""
    table = _spellings()
    found: set[str] = set()
    for term in terms:
        found.update(table.get(term, (term,)))
    return {needle for needle in found if needle}


def _matches(
    words: list[str], folded: str, terms: Collection[str], lang: str
) -> dict[int, set[str]]:
    """{word index: query terms it holds} for the words of ``words`` that match, found
    by substring search in ``folded`` and confirmed by analysing each word found."""
    found: dict[int, set[str]] = {}
    checked: set[int] = set()
    for needle in sorted(needles(terms)):
        pos, seen = folded.find(needle), 0
        while pos >= 0 and seen < MAX_PLACES_PER_NEEDLE and len(checked) < MAX_PLACES:
            index = folded.count(" ", 0, pos)
            seen += 1
            if index not in checked:
                checked.add(index)
                held = {t.term for t in analyze(words[index], lang=lang) if t.term in terms}
                if held:
                    found[index] = held
            # The next word: a needle is looked for once per word.
            next_space = folded.find(" ", pos)
            pos = -1 if next_space < 0 else folded.find(needle, next_space + 1)
    return found


def _best_start(found: dict[int, set[str]], words: int) -> int:
    """The index of the matching word that opens the window with the most distinct terms
    (the earliest among equals)."""
    places = sorted(found)
    best, best_score = places[0], -1
    for i, place in enumerate(places):
        held: set[str] = set()
        for other in places[i:]:
            if other >= place + words:
                break
            held |= found[other]
        if len(held) > best_score:
            best, best_score = place, len(held)
    return best


def snippet(
    text: str, terms: Collection[str], *, lang: str = "ar", words: int = SNIPPET_WORDS
) -> SafeString:
    """Return the ``words``-word window of ``text`` with the most distinct query terms.

    Ties go to the earliest window; a text without matches gives its opening words. The
    window starts a few words before its first match and ends on a word boundary, with an
    ellipsis where text was cut. Only the window and the words that matched are analysed.
    """
    text = " ".join(text.split())
    if not text:
        return mark_safe("")
    raw = text.split(" ")
    folded = normalize(text)
    if folded.count(" ") != len(raw) - 1:
        # A rare character whose folding holds a space (a ligature such as U+FDFA): fold
        # word by word so the word indexes stay those of the original.
        folded = " ".join(normalize(word) or "_" for word in raw)
    found = _matches(raw, folded, terms, lang)
    first = max(0, _best_start(found, words) - CONTEXT_BEFORE) if found else 0
    last = min(len(raw), first + words)
    start = len(" ".join(raw[:first])) + (1 if first else 0)
    end = start + len(" ".join(raw[first:last]))
    tokens = [
        Token(t.term, t.start + start, t.end + start, t.original)
        for t in analyze(text[start:end], lang=lang)
    ]
    html = _marked(text, tokens, terms, start, end)
    if start > 0:
        html = ELLIPSIS + " " + html
    if end < len(text):
        html = html + " " + ELLIPSIS
    return mark_safe(html)
