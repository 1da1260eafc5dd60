"""The one ranking every backend implements: BM25-like, field-weighted, exact forms first.

A story's score for a query is

    score = Σ over query words w of  idf(w) × Σ over fields f of  W[f] × norm[f] × level(w, f)

- ``level(w, f)`` is ``EXACT_LEVEL`` when field f holds one of w's exact forms (the word as
  typed with its spelling folded and clitics split, or a listed spelling variant), 1 when it
  holds only w's stem, 0 otherwise;
- ``W`` are the field weights (headline above summary above body);
- ``norm[f]`` is BM25's term-frequency factor for one occurrence, with length normalisation:
  ``(K1 + 1) / (1 + K1 × (1 − B + B × length / AVERAGE_LENGTH[f]))``, computed when the
  story is indexed and stored with it;
- ``idf(w) = ln(1 + (N − n + 0.5) / (n + 0.5))`` with N stories in the index and n of them
  holding w's stem, counted by the backend at query time.

Among equal scores the newer story comes first, then the higher id. Both backends evaluate
``score_sql`` with the same parameters in IEEE double precision, so they give the same
order; ``score`` is the same formula in Python, used by ``?explain=1`` and by the contract
suite to check the backends.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from khabar.search.query import ParsedQuery

K1 = 1.2
B = 0.75
FIELD_WEIGHTS = {"headline": 3.0, "summary": 1.5, "body": 1.0}
AVERAGE_LENGTH = {"headline": 10.0, "summary": 30.0, "body": 250.0}
#: An exact form counts five times a shared stem: a story holding the word typed, even in
#: its body only, ranks above one that has only a relative of it in its headline.
EXACT_LEVEL = 5.0
STEM_LEVEL = 1.0
#: ``field_norm``'s least upper bound (a field of length near 0): no story's norm exceeds it.
MAX_NORM = (K1 + 1) / (1 + K1 * (1 - B))


def field_norm(field: str, length: int) -> float:
    """BM25's factor for one occurrence in a field of ``length`` words (0 for an empty one)."""
    if length <= 0:
        return 0.0
    return (K1 + 1) / (1 + K1 * (1 - B + B * length / AVERAGE_LENGTH[field]))


def idf(matching: int, total: int) -> float:
    """BM25's inverse document frequency (always positive)."""
    return math.log(1 + (total - matching + 0.5) / (matching + 0.5))


def score(
    idfs: Sequence[float],
    norms: Sequence[float],
    levels: Sequence[Sequence[float]],
) -> float:
    """The contract's score: ``levels[w][f]`` per word and field, ``norms[f]`` per field."""
    weights = list(FIELD_WEIGHTS.values())
    total = 0.0
    for word_idf, word_levels in zip(idfs, levels, strict=True):
        inner = 0.0
        for weight, norm, level in zip(weights, norms, word_levels, strict=True):
            inner = inner + weight * norm * level
        total = total + word_idf * inner
    return total


def score_sql(
    levels: Sequence[Sequence[str]], norm_columns: Sequence[str], idfs: Sequence[float]
) -> tuple[str, list[float]]:
    """``score`` as an SQL expression over the backend's level expressions and norm columns.

    The operations run in the same order as ``score``'s, so every backend computes the same
    doubles. Returns the expression and its parameters (the idfs and weights).
    """
    weights = list(FIELD_WEIGHTS.values())
    expression, params = "0.0", []
    for word_idf, word_levels in zip(idfs, levels, strict=True):
        inner, inner_params = "0.0", []
        for weight, column, level in zip(weights, norm_columns, word_levels, strict=True):
            inner = f"({inner} + %s * {column} * {level})"
            inner_params.append(weight)
        # Placeholders in the order they appear: the words so far, this idf, its weights.
        expression = f"({expression} + %s * {inner})"
        params += [word_idf, *inner_params]
    return expression, params


def body_only_bound(idfs: Sequence[float], level: float = STEM_LEVEL) -> float:
    """The highest score of a story holding every word in its body only, at ``level`` at
    most (the bound of the stories ``_candidates`` leaves out)."""
    total = 0.0
    for word_idf in idfs:
        total = total + word_idf * FIELD_WEIGHTS["body"] * MAX_NORM * level
    return total


def level_case(exact_present: str, stem_present: str) -> str:
    """The SQL for ``level(w, f)`` from two boolean expressions (exact form, stem present)."""
    return (
        f"(CASE WHEN {exact_present} THEN {EXACT_LEVEL!r} "
        f"WHEN {stem_present} THEN {STEM_LEVEL!r} ELSE 0.0 END)"
    )


@dataclass(frozen=True)
class WordMatch:
    """How one query word matched one story: per field "exact", "variant", "stem" or ""."""

    word: str
    idf: float
    fields: tuple[str, str, str]


@dataclass(frozen=True)
class Explanation:
    """Why a story ranks where it does (``?explain=1`` for staff): the score and its parts."""

    score: float
    norms: tuple[float, float, float]
    words: tuple[WordMatch, ...]


def explain(
    parsed: ParsedQuery, idfs: Sequence[float], texts: tuple[str, str, str], *, lang: str
) -> Explanation:
    """Recompute ``score`` for one story from its texts, saying how each word matched."""
    from khabar.lib.arabic import analyze_forms

    fields = [analyze_forms(text, lang=lang) for text in texts]
    norms = tuple(
        field_norm(name, len(forms)) for name, forms in zip(FIELD_WEIGHTS, fields, strict=True)
    )
    words, levels = [], []
    for i, stems in enumerate(parsed.terms):
        exact = parsed.exact_of(i)
        kinds = []
        for forms in fields:
            held_exact = {e for e, _ in forms}
            held_stems = {s for _, s in forms}
            if exact[0] in held_exact:
                kinds.append("exact")
            elif held_exact.intersection(exact[1:]):
                kinds.append("variant")
            elif held_stems.intersection(stems):
                kinds.append("stem")
            else:
                kinds.append("")
        levels.append([_LEVELS[kind] for kind in kinds])
        words.append(WordMatch(exact[0], idfs[i], (kinds[0], kinds[1], kinds[2])))
    return Explanation(score(idfs, norms, levels), norms, tuple(words))  # type: ignore[arg-type]


_LEVELS = {"exact": EXACT_LEVEL, "variant": EXACT_LEVEL, "stem": STEM_LEVEL, "": 0.0}
