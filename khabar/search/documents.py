"""A story as the search index sees it: original text, analysed text and filter fields."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from khabar.lib.arabic import forms_text
from khabar.search.query import analysis_lang

#: The fields a story is indexed by, in the order of their weight.
FIELDS = ("headline", "summary", "body")

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
    #: Fields already analysed by the caller: the analyzer's language and, per field name,
    #: ``khabar.lib.arabic.forms_text`` of its text (exact forms, stems). Used only when
    #: the language is this document's.
    analysed: tuple[str, dict[str, tuple[str, str]]] | None = field(
        default=None, compare=False, repr=False
    )
    #: PostgreSQL's vectors of ``analysed``'s fields, made with them in the same process:
    #: ``khabar.lib.tsvector.literal_vectors`` of the stems and exact forms of the
    #: headline, summary and body (None where the database must build them).
    vectors: tuple[str, str, str, str] | None = field(default=None, compare=False, repr=False)
    #: Whether ``vectors`` was made (None is an answer too).
    vectors_given: bool = field(default=False, compare=False, repr=False)

    def vectors_apply(self) -> bool:
        """Whether ``vectors`` was made, from the analysis ``fields`` uses."""
        return bool(
            self.vectors_given and self.analysed and self.analysed[0] == analysis_lang(self.lang)
        )

    @property
    def text(self) -> str:
        """Summary and body, the text the snippet is cut from."""
        return f"{self.summary}\n\n{self.body}" if self.summary else self.body

    @cached_property
    def fields(self) -> dict[str, tuple[str, str]]:
        """Per field (headline, summary, body): ``(stems, exact forms)``, space-separated."""
        lang = analysis_lang(self.lang)
        known = self.analysed[1] if self.analysed and self.analysed[0] == lang else {}
        found = {}
        for name in FIELDS:
            exact, stems = known.get(name) or forms_text(getattr(self, name), lang=lang)
            found[name] = (stems, exact)
        return found

    @property
    def headline_terms(self) -> str:
        """The headline's stems, space-separated."""
        return self.fields["headline"][0]

    @property
    def body_terms(self) -> str:
        """The summary's and body's stems, space-separated."""
        return " ".join(filter(None, (self.fields["summary"][0], self.fields["body"][0])))

    def norms(self) -> tuple[float, float, float]:
        """Each field's length norm under the ranking contract (headline, summary, body)."""
        from khabar.search.ranking import field_norm

        return tuple(  # type: ignore[return-value]
            field_norm(name, len(self.fields[name][0].split())) for name in FIELDS
        )


def document_for(article: Article) -> SearchDocument:
    """The search document of a published story.

    A story that carries its fields' analysis (``text_forms``, set by the archive import,
    which analyses headline and body for the fingerprint, and by the reindex) is not
    analysed again, nor are the vectors made with it (``text_vectors``) made again.
    """
    assert article.published_at is not None, "only published stories are indexed"
    return SearchDocument(
        id=article.pk,
        lang=article.lang,
        section_id=article.section_id,
        published_at=article.published_at,
        headline=article.headline,
        summary=article.summary,
        body=article.body,
        analysed=getattr(article, "text_forms", None),
        vectors=getattr(article, "text_vectors", None),
        vectors_given=hasattr(article, "text_vectors"),
    )


INDEXED_FIELDS = ("id", "lang", "section_id", "published_at", "headline", "summary", "body")


def documents_for(articles: Iterable[Article]) -> Iterator[SearchDocument]:
    """Documents for many stories (pass ``.only(*INDEXED_FIELDS)`` to read less)."""
    for article in articles:
        yield document_for(article)
