"""Banned and suspect words, matched through khabar's one Arabic normaliser.

``والكلب`` and ``كَـلـب`` both match a listed ``كلب``: words and comments go through
``khabar.lib.arabic`` (hamza and alef forms, ى/ي, ة/ه, diacritics, tatweel, digits, the
clitics). Matching is one pass over the comment's words whatever the size of the lists.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from django.db import connection

from khabar.comments.models import ModeratedWord, WordKind
from khabar.lib.arabic import WordMatcher

_lock = threading.Lock()
_cached: tuple[str, dict[str, WordMatcher]] | None = None


@dataclass(frozen=True)
class Verdict:
    kind: str  # "banned", "suspect" or "" for none
    word: str = ""
    matched: str = ""  # the text as the reader wrote it

    def __bool__(self) -> bool:
        return bool(self.kind)


def stamp_sql() -> str:
    table = connection.ops.quote_name(ModeratedWord._meta.db_table)
    # Portable (SQLite, PostgreSQL): how many words, the newest id and the latest change.
    return (
        "SELECT CAST(COUNT(*) AS TEXT) || '/' || CAST(COALESCE(MAX(id), 0) AS TEXT)"
        f" || '/' || COALESCE(CAST(MAX(updated_at) AS TEXT), '') FROM {table}"
    )


def lists_stamp() -> str:
    """The word lists' generation (it changes whenever a list changes)."""
    with connection.cursor() as cursor:
        cursor.execute(stamp_sql())
        return str(cursor.fetchone()[0])


def _matchers(stamp: str | None = None) -> dict[str, WordMatcher]:
    """The matchers for the current lists, rebuilt only when a list changed."""
    global _cached
    if stamp is None:
        stamp = lists_stamp()
    with _lock:
        if _cached is None or _cached[0] != stamp:
            words: dict[str, list[str]] = {kind: [] for kind in WordKind.values}
            for word, kind in ModeratedWord.objects.values_list("word", "kind"):
                words[kind].append(word)
            _cached = (stamp, {kind: WordMatcher(items) for kind, items in words.items()})
        return _cached[1]


def check_words(*texts: str, stamp: str | None = None) -> Verdict:
    """The first banned word in any of ``texts``, else the first suspect word, else none.

    ``stamp`` is the word lists' generation if the caller read it (``stamp_sql``);
    without it, one query reads it.
    """
    matchers = _matchers(stamp)
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
