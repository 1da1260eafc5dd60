"""PostgreSQL's tsvector text for analysed text, built in Python (no Django): what
``to_tsvector('simple', …)`` gives for the analyzer's space-separated terms, so the server
parses no text. Used by the PostgreSQL search backend, and by the processes that analyse
stories beside a bulk write (the archive import's reader), which hand it the result.
"""

from __future__ import annotations

import functools

#: What a tsvector keeps: positions up to this, and so many positions of one lexeme.
_MAX_POSITION, _MAX_POSITIONS = 16383, 255


def literal_vectors(
    stems: tuple[str, str, str], exact: tuple[str, str, str]
) -> tuple[str, str, str, str] | None:
    """The tsvectors of a document whose headline, summary and body have these stems and
    exact forms: (stems of the head, stems of all, exact forms of the head, exact forms of
    all), the head being the headline (weight A) and summary (B), the body weight C; None
    where the database must build them (``literals``)."""
    stem_vectors = literals(*stems)
    exact_vectors = literals(*exact)
    if stem_vectors is None or exact_vectors is None:
        return None
    return (*stem_vectors, *exact_vectors)


def literals(headline: str, summary: str, body: str) -> tuple[str, str] | None:
    """The head (headline and summary) and whole tsvectors of three analysed texts, as
    tsvector text: what ``to_tsvector('simple', …)`` with weights A, B, C joined by ``||``
    gives (each term one position, the next text's positions after the last one's); None
    where a term might be read otherwise by the database's parser, or a limit is reached."""
    positions: dict[str, list[str]] = {}
    offset, head = 0, ""
    for text, weight in ((headline, "A"), (summary, "B"), (body, "C")):
        if weight == "C":
            head = _literal(positions)
        if not text:
            continue
        terms = text.split(" ")
        end = offset + len(terms)
        if end > _MAX_POSITION:
            return None
        for term, label in zip(terms, _LABELS[weight][offset + 1 : end + 1], strict=True):
            found = positions.get(term)
            if found is None:
                if not _plain(term):
                    return None
                positions[term] = [label]
            else:
                found.append(label)
        offset = end
    if max(map(len, positions.values()), default=0) > _MAX_POSITIONS:
        return None
    return head, _literal(positions)


#: "1A", "2A", … for every position and weight, made once.
_LABELS = {w: [f"{n}{w}" for n in range(_MAX_POSITION + 1)] for w in "ABC"}


def _literal(positions: dict[str, list[str]]) -> str:
    return " ".join(["'" + term + "':" + ",".join(found) for term, found in positions.items()])


@functools.lru_cache(maxsize=1 << 16)
def _plain(term: str) -> bool:
    """Whether the parser of ``to_tsvector('simple', …)`` reads the term as one lexeme, as
    written: ASCII digits and lower-case letters, and letters of scripts without case
    (Arabic), nothing else; not long."""
    return 0 < len(term) <= 100 and all(
        (c.isdigit() or c.islower()) if c.isascii() else (c.isalpha() and c.upper() == c.lower())
        for c in term
    )
