"""Banned and suspect words, matched through khabar's one Arabic normaliser.

``والكلب`` and ``كَـلـب`` both match a listed ``كلب``: words and comments go through
``khabar.lib.arabic`` (hamza and alef forms, ى/ي, ة/ه, diacritics, tatweel, digits, the
clitics). Matching is one pass over the comment's words whatever the size of the lists.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from django.db.models import Count, Max

from khabar.comments.models import ModeratedWord, WordKind
from khabar.lib.arabic import WordMatcher

_lock = threading.Lock()
_cached: tuple[object, dict[str, WordMatcher]] | None = None


@dataclass(frozen=True)
class Verdict:
    kind: str  # "banned", "suspect" or "" for none
    word: str = ""
    matched: str = ""  # the text as the reader wrote it

    def __bool__(self) -> bool:
        return bool(self.kind)


def _matchers() -> dict[str, WordMatcher]:
    """The matchers for the current lists, rebuilt only when a list changed."""
    global _cached
    stamp = tuple(
        ModeratedWord.objects.aggregate(n=Count("pk"), at=Max("updated_at"), top=Max("pk")).values()
    )
    with _lock:
        if _cached is None or _cached[0] != stamp:
            words: dict[str, list[str]] = {kind: [] for kind in WordKind.values}
            for word, kind in ModeratedWord.objects.values_list("word", "kind"):
                words[kind].append(word)
            _cached = (stamp, {kind: WordMatcher(items) for kind, items in words.items()})
        return _cached[1]


def check_words(*texts: str) -> Verdict:
    """The first banned word in any of ``texts``, else the first suspect word, else none."""
    matchers = _matchers()
    for kind in (WordKind.BANNED, WordKind.SUSPECT):
        matcher = matchers[kind]
        if not len(matcher):
            continue
        for text in texts:
            found = matcher.find(text)
            if found:
                word, token = found[0]
                return Verdict(str(kind), word, token.original)
    return Verdict("")
