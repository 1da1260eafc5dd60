"""The contract every search backend keeps, and the parts they share.

A backend stores ``SearchDocument``s and answers ``search()`` with ranked ids; the base class
turns a reader's text into a safe ``ParsedQuery`` first and builds the highlighted
headlines and snippets from the stored originals afterwards, so every backend parses and
highlights the same way and differs only in how it matches and ranks.
"""

from __future__ import annotations

import datetime
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from django.db import connections
from django.utils.safestring import SafeString

from khabar.search.documents import SearchDocument
from khabar.search.highlight import highlight, snippet
from khabar.search.query import ParsedQuery, analysis_lang, parse_query, with_variants
from khabar.search.ranking import Explanation, explain, idf
from khabar.search.variants import variants_for

Order = Literal["relevance", "newest"]
ORDERS: tuple[Order, ...] = ("relevance", "newest")
MAX_PER_PAGE = 500
#: How many of a query's best-bounded matches the second stage of ``_ranked`` scores.
CANDIDATES = 400
#: A query matching more stories than this is ranked among its newest ``WINDOW`` matches
#: only (newest by id: the order stories entered the archive), as news search engines do:
#: ranking and counting half a million stories that hold "في" costs seconds and tells a
#: reader nothing the newest ones do not. A query matching fewer is ranked over all of them.
WINDOW = 2000
#: A word held by more stories than this has that number estimated (for its idf) from the
#: newest ``SAMPLE`` stories of the index, rather than counted over all of them (PostgreSQL:
#: from the planner's statistics where they know the word, in an index of ``LARGE`` or more).
COUNTED = 2000
SAMPLE = 10_000
LARGE = 20_000

#: The table of originals and filter fields that both backends keep next to their index.
DOCUMENT_TABLE = "search_document"
#: What a new index's tables are named after the live ones' names while it is built.
NEXT = "_next"

#: ``catch_up(documents_table)``: brings the new index up to date (``update_new``) in the
#: swap's transaction (``SearchBackend.swap``).
CatchUp = Callable[[str], object]


@dataclass(frozen=True)
class Hit:
    """One result: the story id, its score (higher is better) and highlighted HTML."""

    id: int
    score: float
    headline_html: SafeString
    snippet_html: SafeString
    explanation: Explanation | None = None


@dataclass(frozen=True)
class SearchResults:
    """One page of results and how many stories matched in all."""

    total: int
    hits: list[Hit] = field(default_factory=list)
    query: ParsedQuery = field(default_factory=lambda: ParsedQuery((), ()))
    #: More stories match than ``total``: the newest ``total`` (``WINDOW``) were ranked.
    more: bool = False

    @property
    def ids(self) -> list[int]:
        return [hit.id for hit in self.hits]


@dataclass(frozen=True)
class Filters:
    lang: str | None = None
    section: int | None = None
    date_from: datetime.datetime | None = None
    date_to: datetime.datetime | None = None
    #: Only stories of a higher id: the newest matches of a query matching too many.
    after_id: int | None = None


def estimate(total: int, counted: int, in_sample: int, sample: int) -> int:
    """How many of ``total`` documents hold a word that more than ``counted`` hold, from
    ``in_sample`` of the newest ``sample`` (at least ``counted + 1``, at most ``total``)."""
    if sample <= 0:
        return counted + 1
    return min(total, max(counted + 1, round(total * in_sample / sample)))


class SearchBackend(ABC):
    """Stores search documents in one database alias and finds them again."""

    vendor: str = ""
    #: Whether ``_candidates`` gives the considered stories' exact scores (then stage two
    #: has nothing left to do) rather than upper bounds.
    exact_stage_one: bool = False

    def __init__(self, using: str = "default") -> None:
        self.using = using

    @property
    def connection(self):  # type: ignore[no-untyped-def]
        return connections[self.using]

    # --- writing --------------------------------------------------------------------------

    def add(self, doc: SearchDocument) -> None:
        """Add a document, or replace the one with the same id."""
        self.add_bulk([doc])

    @abstractmethod
    def add_bulk(self, docs: Iterable[SearchDocument]) -> int:
        """Add or replace many documents; returns how many were written."""

    @abstractmethod
    def delete(self, doc_id: int) -> None:
        """Remove a document; removing one that is not there is not an error."""

    @abstractmethod
    def reset(self) -> None:
        """Remove every document."""

    def forget(self, doc_id: int) -> None:
        """Remove the document of a story that no longer exists: from the live index and,
        while a rebuild runs, from its new one (whose last catch-up, in the swap, looks at
        the stories that exist, not for those that went). The live table first: a swap in
        progress holds it, so this waits for the swap and then finds no new table left."""
        self.delete(doc_id)
        with self.connection.cursor() as cursor:
            building = DOCUMENT_TABLE + NEXT in self.connection.introspection.table_names(cursor)
        if building:
            self.update_new([], [doc_id])

    # --- rebuilding: a new index beside the live one, then swapped in ----------------------

    @abstractmethod
    def start_rebuild(self) -> str:
        """Create the empty tables of a new index beside the live one (dropping those of
        an interrupted rebuild); returns the name of its documents table. Searches keep
        reading the live index until ``swap``."""

    @abstractmethod
    def add_new(self, docs: Iterable[SearchDocument]) -> int:
        """Write documents into the new index (each id once); returns how many."""

    @abstractmethod
    def update_new(self, docs: Iterable[SearchDocument], drop: Iterable[int]) -> None:
        """Write documents into the new index, replacing those of the same ids, and drop
        the documents of ``drop`` from it."""

    @abstractmethod
    def swap(self, catch_up: CatchUp) -> None:
        """Put the new index in the live one's place, in one transaction that keeps index
        writes out while it runs: ``catch_up`` takes in what changed meanwhile, then the
        new tables take the live ones' names and indexes. A search sees the whole old
        index or the whole new one."""

    @abstractmethod
    def abort_rebuild(self) -> None:
        """Drop the new index's tables, if any; the live index is untouched."""

    def document_key(self, doc: SearchDocument) -> tuple[object, ...]:
        """What a stored document holds of ``doc`` (``stored_keys`` gives the same)."""
        return (doc.lang, doc.section_id, doc.published_at, doc.headline, doc.summary, doc.body)

    def stored_keys(self, ids: Sequence[int], table: str) -> dict[int, tuple[object, ...]]:
        """``document_key`` of the documents of these ids in a documents table."""
        found: dict[int, tuple[object, ...]] = {}
        with self.connection.cursor() as cursor:
            for start in range(0, len(ids), 500):
                chunk = list(ids[start : start + 500])
                cursor.execute(
                    f"SELECT id, lang, section_id, {self.published_column}, headline, summary, "
                    f"body FROM {table} WHERE id IN ({', '.join(['%s'] * len(chunk))})",
                    chunk,
                )
                found.update((int(row[0]), tuple(row[1:])) for row in cursor.fetchall())
        return found

    #: The column of the publishing time in the documents table.
    published_column = "published_at"

    def count(self) -> int:
        """How many documents the index holds."""
        with self.connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM {DOCUMENT_TABLE}")
            return int(cursor.fetchone()[0])

    def size_bytes(self) -> int | None:
        """On-disk size of the index and its originals, where the database can tell."""
        return None

    # --- reading --------------------------------------------------------------------------

    def search(
        self,
        query: str,
        *,
        lang: str | None = None,
        section: int | None = None,
        date_from: datetime.datetime | None = None,
        date_to: datetime.datetime | None = None,
        order: Order = "relevance",
        page: int = 1,
        per_page: int = 10,
        explain: bool = False,
        highlight: bool = True,
    ) -> SearchResults:
        """Find stories matching ``query`` (any text a person typed), best or newest first.

        ``lang`` and ``section`` narrow to an edition and a section id; ``date_from`` is
        inclusive and ``date_to`` exclusive. Pages count from 1. Words are ANDed; text in
        quotes is a phrase; ``-word`` excludes stories with the word; a name also finds
        its spelling variants (the desk's table). Stories rank by ``khabar.search.ranking``.
        A query with no words gives no results. ``explain`` fills each hit's ``explanation``.

        A query matching more than ``WINDOW`` stories is answered from its ``WINDOW`` newest
        matches (by id): ``total`` is then ``WINDOW`` and ``more`` is set. The idf of a word
        held by more than ``COUNTED`` stories is estimated (``frequencies``). Without
        ``highlight`` the hits carry no headline or snippet (for lists that need the ids).
        """
        parsed = parse_query(query, lang=lang)
        if not parsed:
            return SearchResults(0, [], parsed)
        exact_forms = {form for i in range(len(parsed.terms)) for form in parsed.exact_of(i)}
        # The desk's variant table lives with the other models, in the default database.
        parsed = with_variants(parsed, variants_for(exact_forms))
        per_page = max(1, min(per_page, MAX_PER_PAGE))
        page = max(1, page)
        filters = Filters(lang, section, date_from, date_to)
        total_docs, matching = self.frequencies(parsed)
        idfs = [idf(n, total_docs) for n in matching]
        offset = (page - 1) * per_page
        after_id = self._window(parsed, filters, WINDOW)
        if after_id is not None:
            filters = replace(filters, after_id=after_id)
        if order == "newest":
            total, ranked = self._search(parsed, filters, "newest", per_page, offset, idfs)
        else:
            total, ranked = self._ranked(parsed, filters, per_page, offset, idfs, matching)
        if highlight:
            hits = self._hits(ranked, parsed, idfs if explain else None)
        else:
            hits = [Hit(doc_id, score, SafeString(""), SafeString("")) for doc_id, score in ranked]
        return SearchResults(total, hits, parsed, more=after_id is not None)

    def newest_ids(self, query: str, *, limit: int) -> list[int]:
        """Ids of the newest ``limit`` stories matching ``query`` in any edition (by id, the
        order stories entered the archive), neither ranked nor counted: for a list that
        orders the stories itself (the desk's, newest first). The stories ``search`` finds,
        spelling variants included; an index read that stops at the ``limit``-th match."""
        parsed = parse_query(query, lang=None)
        if not parsed:
            return []
        exact_forms = {form for i in range(len(parsed.terms)) for form in parsed.exact_of(i)}
        parsed = with_variants(parsed, variants_for(exact_forms))
        return self._newest(parsed, Filters(), max(1, limit), 0)

    def _window(self, parsed: ParsedQuery, filters: Filters, size: int) -> int | None:
        """The id of the query's match (within ``filters``) that comes ``size + 1``-th by id,
        newest first, so that exactly ``size`` matches have a higher one; None when at most
        ``size`` stories match. An index read that stops there, whatever the number of
        matches."""
        found = self._newest(parsed, filters, 1, size)
        return found[0] if found else None

    @abstractmethod
    def _newest(self, parsed: ParsedQuery, filters: Filters, limit: int, offset: int) -> list[int]:
        """The ids of the query's matches (within ``filters``) by id, newest first, from the
        ``offset``-th on, at most ``limit`` of them: a read of the index that stops there."""

    def _ranked(
        self,
        parsed: ParsedQuery,
        filters: Filters,
        limit: int,
        offset: int,
        idfs: list[float],
        matching: list[int],
    ) -> tuple[int, list[tuple[int, float]]]:
        """One page by relevance, in two stages with the order of one.

        Scoring every story that holds a common stem costs most of a query, and the page
        needs only its best. Stage one orders some of the matches by an upper bound of their
        score (``_candidates``: the same formula with a word's level in the body taken as
        the highest it may be, read from plain index lookups) and keeps the best
        ``CANDIDATES``; stage two scores those exactly. Every story left out scores at most
        the bound of the first one left out, or the bound of the stories stage one did not
        consider, so when the page's last score is above both the page is the one-stage
        page. Stage one considers the stories holding a word in the headline or summary
        and those holding a word's exact form anywhere; where the latter are many
        (``_narrow_first``), it first tries the former alone (small index lists), whose
        bound for the rest is looser. A backend whose stage one reads every field's level
        (``exact_stage_one``) gives exact scores there and needs no stage two. When stage
        one fails (rare), the one-stage query answers.
        """
        # A query answered from its newest WINDOW matches (``after_id``) ranks them all in
        # one stage: scoring WINDOW stories costs less than stage one's tries.
        if (
            not parsed.terms
            or offset + limit > CANDIDATES
            or max(matching) <= CANDIDATES
            or filters.after_id is not None
        ):
            return self._search(parsed, filters, "relevance", limit, offset, idfs)
        for narrow in (True, False) if self._narrow_first(parsed, offset + limit) else (False,):
            stage_one = self._candidates(parsed, filters, idfs, CANDIDATES + 1, narrow=narrow)
            if stage_one is None:
                break
            total, candidates, rest = stage_one
            if self.exact_stage_one:
                # The candidates' scores are exact and in the page's order: only the
                # stories not considered may belong above the page's last.
                page = candidates[offset : offset + limit]
                if rest is None or (len(page) == limit and page[-1][1] > rest):
                    return total, page
                continue
            ids = [doc_id for doc_id, _bound in candidates[:CANDIDATES]]
            if len(candidates) <= CANDIDATES and rest is None:  # every match is a candidate
                _count, all_of_them = self._search(
                    parsed, filters, "relevance", limit, offset, idfs, ids
                )
                return total, all_of_them
            left_out = [candidates[CANDIDATES][1]] if len(candidates) > CANDIDATES else []
            if rest is not None:
                left_out.append(rest)
            # A score is at most its bound: too few bounds above the left-out ones cannot
            # make a page, so stage two is not worth running.
            above = sum(bound > max(left_out) for _doc_id, bound in candidates[:CANDIDATES])
            if above < offset + limit:
                continue
            _count, ranked = self._search(parsed, filters, "relevance", CANDIDATES, 0, idfs, ids)
            page = ranked[offset : offset + limit]
            if len(page) == limit and page[-1][1] > max(left_out):
                return total, page
        return self._search(parsed, filters, "relevance", limit, offset, idfs)

    def _narrow_first(self, parsed: ParsedQuery, needed: int) -> bool:
        """Whether stage one should first consider only the stories holding a word in the
        headline or summary: worth it when many stories hold a word's exact form in the
        body (a word whose exact form is its stem, such as هيئة) and at least ``needed``
        (the page's end) hold it in the headline or summary, which likely outrank them
        all. A backend that cannot tell cheaply says no."""
        return False

    def _candidates(
        self,
        parsed: ParsedQuery,
        filters: Filters,
        idfs: list[float],
        limit: int,
        *,
        narrow: bool = False,
    ) -> tuple[int, list[tuple[int, float]], float | None] | None:
        """Stage one of ``_ranked``: how many stories match; the ``limit`` best by an upper
        bound of their score, with it; and the bound of the matches not considered.

        Considered are the stories holding some word's stem or exact form in the headline
        or summary and, unless ``narrow``, those holding some word's exact form anywhere.
        Their bound is ``ranking.score`` with each word's body level taken as
        ``EXACT_LEVEL`` where the story may hold the word's exact form (``narrow``: always;
        else where it holds it anywhere), else ``STEM_LEVEL``. The others hold every word in
        the body only: they score at most ``ranking.body_only_bound`` (with ``EXACT_LEVEL``
        when ``narrow``; None when there are none). A backend without a stage one returns
        None and ranks in one stage.
        """
        return None

    @abstractmethod
    def frequencies(self, parsed: ParsedQuery) -> tuple[int, list[int]]:
        """Return how many documents the index holds and, per query word, how many hold it:
        counted up to ``COUNTED``; above, ``estimate``d from the newest ``SAMPLE``."""

    @abstractmethod
    def _search(
        self,
        parsed: ParsedQuery,
        filters: Filters,
        order: Order,
        limit: int,
        offset: int,
        idfs: list[float],
        ids: list[int] | None = None,
    ) -> tuple[int, list[tuple[int, float]]]:
        """Return the total count and one page of ``(id, score)``, higher score better.

        The score is ``ranking.score`` with these ``idfs`` (one per word of ``parsed``).
        ``ids`` limits the ranking to those stories (the second stage of ``_ranked``).
        """

    def _hits(
        self,
        ranked: Sequence[tuple[int, float]],
        parsed: ParsedQuery,
        idfs: list[float] | None = None,
    ) -> list[Hit]:
        if not ranked:
            return []
        ids = [doc_id for doc_id, _score in ranked]
        marks = ", ".join(["%s"] * len(ids))
        with self.connection.cursor() as cursor:
            cursor.execute(
                f"SELECT id, lang, headline, summary, body FROM {DOCUMENT_TABLE} "
                f"WHERE id IN ({marks})",
                ids,
            )
            originals = {row[0]: row[1:] for row in cursor.fetchall()}
        terms = parsed.all_terms
        hits = []
        for doc_id, score in ranked:
            if doc_id not in originals:
                continue
            lang, headline, summary, body = originals[doc_id]
            alang = analysis_lang(lang)
            text = f"{summary}\n\n{body}" if summary else body
            hits.append(
                Hit(
                    id=doc_id,
                    score=score,
                    headline_html=highlight(headline, terms, lang=alang),
                    snippet_html=snippet(text, terms, lang=alang),
                    explanation=(
                        None
                        if idfs is None
                        else explain(parsed, idfs, (headline, summary, body), lang=alang)
                    ),
                )
            )
        return hits
