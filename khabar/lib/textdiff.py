"""Word-level differences between two texts, for the desk (conflicts, revisions, reverts).

Words are never cut: the text is split into runs of word characters, of spaces and of
other characters, and the runs are compared. Arabic and Persian words (with their joiners
and diacritics) stay whole because ``\\w`` covers their letters and marks.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

_TOKEN = re.compile(r"[\w\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u200c\u200d]+|\s+|[^\w\s]")


@dataclass(frozen=True)
class Segment:
    """One run of the difference: ``op`` is "same", "insert" or "delete"."""

    op: str
    text: str


def tokens(text: str) -> list[str]:
    """The text as runs of word characters, of white space, and single other characters."""
    return _TOKEN.findall(text.replace("\r\n", "\n"))


def word_diff(old: str, new: str) -> list[Segment]:
    """The difference from ``old`` to ``new`` as runs of unchanged, deleted and inserted text.

    >>> [(s.op, s.text) for s in word_diff("a b c", "a x c")]
    [('same', 'a '), ('delete', 'b'), ('insert', 'x'), ('same', ' c')]
    """
    a, b = tokens(old), tokens(new)
    out: list[Segment] = []

    def add(op: str, text: str) -> None:
        if not text:
            return
        if out and out[-1].op == op:
            out[-1] = Segment(op, out[-1].text + text)
        else:
            out.append(Segment(op, text))

    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            add("same", "".join(a[i1:i2]))
        else:
            add("delete", "".join(a[i1:i2]))
            add("insert", "".join(b[j1:j2]))
    return out
