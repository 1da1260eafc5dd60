"""A story as the search index sees it: original text, analysed text and filter fields."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from khabar.lib.arabic import analyzed_text
from khabar.search.query import analysis_lang

if TYPE_CHECKING:
    from khabar.articles.models import Article


@dataclass(frozen=True)
class SearchDocument:
    """One story in the index. The originals are kept for snippets; the index gets terms."""

    id: int
    lang: str
    section_id: int
    published_at: datetime.datetime
    headline: str
    summary: str = ""
    body: str = ""

    @property
    def text(self) -> str:
        """Summary and body, the text the snippet is cut from."""
        return f"{self.summary}\n\n{self.body}" if self.summary else self.body

    @cached_property
    def headline_terms(self) -> str:
        """The headline's index terms, space-separated."""
        return analyzed_text(self.headline, lang=analysis_lang(self.lang))

    @cached_property
    def body_terms(self) -> str:
        """The summary's and body's index terms, space-separated."""
        return analyzed_text(self.text, lang=analysis_lang(self.lang))


def document_for(article: Article) -> SearchDocument:
    """The search document of a published story."""
    assert article.published_at is not None, "only published stories are indexed"
    return SearchDocument(
        id=article.pk,
        lang=article.lang,
        section_id=article.section_id,
        published_at=article.published_at,
        headline=article.headline,
        summary=article.summary,
        body=article.body,
    )


INDEXED_FIELDS = ("id", "lang", "section_id", "published_at", "headline", "summary", "body")


def documents_for(articles: Iterable[Article]) -> Iterator[SearchDocument]:
    """Documents for many stories (pass ``.only(*INDEXED_FIELDS)`` to read less)."""
    for article in articles:
        yield document_for(article)
