"""Highlighted headlines and snippets, built from the analyzer's offsets into the original.

The index holds analysed terms; readers see the story as it was written. Each word of the
original text is analysed again (``analyze`` gives its offsets), words whose term is in the
query are wrapped in ``<mark>``, and everything else is escaped.
"""

from __future__ import annotations

from collections.abc import Collection

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from khabar.lib.arabic import Token, analyze

SNIPPET_WORDS = 36
ELLIPSIS = "…"


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


def snippet(
    text: str, terms: Collection[str], *, lang: str = "ar", words: int = SNIPPET_WORDS
) -> SafeString:
    """Return the ``words``-word window of ``text`` with the most distinct query terms.

    Ties go to the earliest window; a text without matches gives its opening words. The
    window starts and ends on word boundaries, with an ellipsis where text was cut.
    """
    text = " ".join(text.split())
    tokens = analyze(text, lang=lang)
    if not tokens:
        return mark_safe("")
    best, best_score = 0, -1
    for i, token in enumerate(tokens):
        if token.term not in terms and i:
            continue
        window = tokens[i : i + words]
        score = len({t.term for t in window if t.term in terms})
        if score > best_score:
            best, best_score = i, score
    # Start a few words before the first match, so the match is read in context.
    first = max(0, best - 4) if best_score > 0 else 0
    last = min(len(tokens), first + words) - 1
    start = tokens[first].start if first else 0
    end = tokens[last].end if last < len(tokens) - 1 else len(text)
    html = _marked(text, tokens, terms, start, end)
    if start > 0:
        html = ELLIPSIS + " " + html
    if end < len(text):
        html = html + " " + ELLIPSIS
    return mark_safe(html)
