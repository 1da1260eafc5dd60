"""The relevance set: Arabic queries and the stories they must find (data/relevance.tsv).

The tests assert that every case finds its story on every backend; ``make bench`` prints
precision and recall over the same cases on a large generated archive.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from khabar.search.documents import SearchDocument

DATA = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True)
class Story:
    key: str
    headline: str
    body: str


@dataclass(frozen=True)
class Case:
    query: str
    expected: tuple[str, ...]
    note: str


@cache
def stories() -> tuple[Story, ...]:
    """The relevance stories, in file order."""
    found: list[Story] = []
    blocks = (DATA / "relevance_stories.txt").read_text(encoding="utf-8").split("\n=== ")[1:]
    for block in blocks:
        key, headline, body = block.split("\n", 2)
        found.append(Story(key.strip(), headline.strip(), body.strip()))
    return tuple(found)


@cache
def cases() -> tuple[Case, ...]:
    """The relevance cases, in file order."""
    found: list[Case] = []
    for line in (DATA / "relevance.tsv").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        query, expected, note = line.split("\t")
        found.append(Case(query, tuple(k.strip() for k in expected.split(",")), note))
    return tuple(found)


def documents(
    *, first_id: int = 1, section_id: int = 1, lang: str = "ar"
) -> dict[str, SearchDocument]:
    """The relevance stories as search documents, by key, with ids from ``first_id``."""
    published = datetime.datetime(2024, 3, 1, 9, 0, tzinfo=datetime.UTC)
    return {
        story.key: SearchDocument(
            id=first_id + i,
            lang=lang,
            section_id=section_id,
            published_at=published + datetime.timedelta(hours=i),
            headline=story.headline,
            body=story.body,
        )
        for i, story in enumerate(stories())
    }
