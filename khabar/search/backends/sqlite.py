"""SQLite FTS5 backend: the embedded default.

The FTS5 table holds the analysed text of each field twice, stems and exact forms (from
``khabar.lib.arabic`` separated by spaces), under a plain ``unicode61`` tokenizer: FTS5's
own tokenizer would split vowelled Arabic at every mark, and ``remove_diacritics`` does
nothing for Arabic, so all the language work happens in the one analyzer and FTS5 only
splits on spaces. The originals, the filter fields and the length norms of the ranking
contract (``ranking.py``) live in ``search_document``, keyed by the same rowid.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import transaction

from khabar.search.backends import base
from khabar.search.backends.base import DOCUMENT_TABLE, Filters, Order, SearchBackend
from khabar.search.documents import FIELDS, SearchDocument
from khabar.search.query import Alternatives, ParsedQuery
from khabar.search.ranking import (
    EXACT_LEVEL,
    STEM_LEVEL,
    body_only_bound,
    level_case,
    score_sql,
)

FTS_TABLE = "search_fts"
STEM_COLUMNS = "{headline summary body}"
EXACT_COLUMNS = "{headline_exact summary_exact body_exact}"
# The sets of a word, as bits (``_candidates``, ``_search``).
_HEADLINE_EXACT, _HEADLINE_STEM, _SUMMARY_EXACT, _SUMMARY_STEM, _EXACT_ANYWHERE = 1, 2, 4, 8, 16
_BODY_EXACT, _BODY_STEM = 32, 64
_POOL = _HEADLINE_STEM | _SUMMARY_STEM | _EXACT_ANYWHERE
_NARROW_POOL = _HEADLINE_EXACT | _HEADLINE_STEM | _SUMMARY_EXACT | _SUMMARY_STEM
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
_MICROSECOND = datetime.timedelta(microseconds=1)


def _renamed(sql: str, table: str, new: str) -> str:
    """A table's CREATE statement (from sqlite_master) for a table of another name."""
    renamed, count = re.subn(
        rf"^(CREATE (?:VIRTUAL )?TABLE )[\"`\[]?{re.escape(table)}[\"`\]]?(?=[\s(])",
        rf"\g<1>{new}",
        sql,
    )
    if count != 1:
        raise ValueError(f"unexpected statement for {table}: {sql[:80]}")
    return renamed


def timestamp(value: datetime.datetime) -> int:
    """Microseconds since the epoch, so date filters compare integers."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.UTC)
    return (value - _EPOCH) // _MICROSECOND


def _quoted(term: str) -> str:
    # Terms are letters and digits only, but a string is always closed properly anyway.
    return '"' + term.replace('"', '""') + '"'


def _any_of(options: list[str]) -> str:
    return options[0] if len(options) == 1 else "(" + " OR ".join(options) + ")"


def word_expression(stems: Alternatives, exact: Alternatives) -> str:
    """One word's FTS5 query: its stems in the stem columns or its exact forms in theirs."""
    return (
        f"{STEM_COLUMNS} : {_any_of([_quoted(t) for t in stems])} OR "
        f"{EXACT_COLUMNS} : {_any_of([_quoted(t) for t in exact])}"
    )


def stems_expression(stems: Alternatives) -> str:
    """A word's stems in the stem columns (for counting and excluding)."""
    return f"{STEM_COLUMNS} : {_any_of([_quoted(t) for t in stems])}"


def match_expression(parsed: ParsedQuery) -> str:
    """The FTS5 MATCH string of every word and phrase: stems quoted, alternatives ORed."""
    parts = [_any_of([_quoted(term) for term in word]) for word in parsed.terms]
    parts += [
        _any_of([_quoted(" ".join(variant)) for variant in variants]) for variants in parsed.phrases
    ]
    return " AND ".join(parts)


def query_expression(parsed: ParsedQuery) -> str:
    """What a story must hold to match: every word (stem or exact form) and every phrase."""
    return " AND ".join(
        [
            *(f"({word_expression(s, parsed.exact_of(i))})" for i, s in enumerate(parsed.terms)),
            *([f"({phrases_expression(parsed)})"] if parsed.phrases else []),
        ]
    )


def phrases_expression(parsed: ParsedQuery) -> str:
    """Every phrase of the query, in the stem columns, ANDed."""
    return " AND ".join(
        f"{STEM_COLUMNS} : " + _any_of([_quoted(" ".join(variant)) for variant in variants])
        for variants in parsed.phrases
    )


def _since(filters: Filters) -> tuple[str, list[object]]:
    """The window's bound as a condition of a MATCH query (FTS5 then reads its lists from
    there on, rather than the whole lists joined to the documents)."""
    if filters.after_id is None:
        return "", []
    return " AND rowid > %s", [filters.after_id]


@contextmanager
def _dropping_fast(cursor: Any) -> Iterator[None]:
    """Drop whole index tables without zeroing each freed page (``secure_delete = FAST``
    for the length of the block, then as it was). With ``secure_delete`` on (Debian's
    SQLite has it on by default) a ``DROP TABLE`` writes zeros over every page of the table,
    and a transaction keeps every page it wrote in memory: dropping the old index at the
    swap took as much memory as the index's size (320 MB for 30,000 stories). The
    index holds published text; nothing in it needs erasing from the file."""
    cursor.execute("PRAGMA secure_delete")
    before = int(cursor.fetchone()[0])
    cursor.execute("PRAGMA secure_delete = FAST")
    try:
        yield
    finally:
        cursor.execute(f"PRAGMA secure_delete = {'FAST' if before == 2 else before}")


class SqliteBackend(SearchBackend):
    vendor = "sqlite"
    exact_stage_one = True
    published_column = "published_ts"

    def document_key(self, doc: SearchDocument) -> tuple[object, ...]:
        return (
            doc.lang,
            doc.section_id,
            timestamp(doc.published_at),
            doc.headline,
            doc.summary,
            doc.body,
        )

    def add_bulk(self, docs: Iterable[SearchDocument]) -> int:
        return self._write(docs, DOCUMENT_TABLE, FTS_TABLE, replace=True)

    def _write(
        self, docs: Iterable[SearchDocument], documents_table: str, fts_table: str, *, replace: bool
    ) -> int:
        """Write documents into a pair of tables (the live index, or a new one being
        built); ``replace``: a document already there is replaced (else none may be)."""
        documents, indexed = [], []
        for doc in docs:
            fields = doc.fields
            documents.append(
                (
                    doc.id,
                    doc.lang,
                    doc.section_id,
                    timestamp(doc.published_at),
                    doc.headline,
                    doc.summary,
                    doc.body,
                    *doc.norms(),
                )
            )
            indexed.append(
                (
                    doc.id,
                    *(fields[name][0] for name in FIELDS),
                    *(fields[name][1] for name in FIELDS),
                )
            )
        if not documents:
            return 0
        with transaction.atomic(using=self.using), self.connection.cursor() as cursor:
            if replace:
                # Only the documents there already have terms to remove (an archive's
                # stories are new: no FTS5 delete for each).
                there = []
                ids = [row[0] for row in documents]
                for start in range(0, len(ids), 500):
                    chunk = ids[start : start + 500]
                    cursor.execute(
                        f"SELECT id FROM {documents_table} WHERE id IN "
                        f"({', '.join(['%s'] * len(chunk))})",
                        chunk,
                    )
                    there += [(row[0],) for row in cursor.fetchall()]
                cursor.executemany(f"DELETE FROM {fts_table} WHERE rowid = %s", there)
            cursor.executemany(
                f"INSERT {'OR REPLACE ' if replace else ''}INTO {documents_table} "
                "(id, lang, section_id, published_ts, headline, summary, body, "
                "headline_norm, summary_norm, body_norm) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                documents,
            )
            cursor.executemany(
                f"INSERT INTO {fts_table} (rowid, headline, summary, body, headline_exact, "
                "summary_exact, body_exact) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                indexed,
            )
        return len(documents)

    # --- a new index built beside the live one ------------------------------------------

    def start_rebuild(self) -> str:
        # The live tables' own statements, under the new names: the new index has the
        # shape the migrations gave the live one.
        self.abort_rebuild()
        with self.connection.cursor() as cursor:
            for table in (DOCUMENT_TABLE, FTS_TABLE):
                cursor.execute(
                    "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = %s", [table]
                )
                cursor.execute(_renamed(cursor.fetchone()[0], table, table + base.NEXT))
        return DOCUMENT_TABLE + base.NEXT

    def add_new(self, docs: Iterable[SearchDocument]) -> int:
        return self._write(docs, DOCUMENT_TABLE + base.NEXT, FTS_TABLE + base.NEXT, replace=False)

    def abort_rebuild(self) -> None:
        with self.connection.cursor() as cursor, _dropping_fast(cursor):
            cursor.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}{base.NEXT}")
            cursor.execute(f"DROP TABLE IF EXISTS {DOCUMENT_TABLE}{base.NEXT}")

    def update_new(self, docs: Iterable[SearchDocument], drop: Iterable[int]) -> None:
        documents, fts = DOCUMENT_TABLE + base.NEXT, FTS_TABLE + base.NEXT
        with transaction.atomic(using=self.using), self.connection.cursor() as cursor:
            self._write(docs, documents, fts, replace=True)
            for doc_id in drop:
                cursor.execute(f"DELETE FROM {fts} WHERE rowid = %s", [doc_id])
                cursor.execute(f"DELETE FROM {documents} WHERE id = %s", [doc_id])

    def swap(self, catch_up: base.CatchUp) -> None:
        documents, fts = DOCUMENT_TABLE + base.NEXT, FTS_TABLE + base.NEXT
        with self.connection.cursor() as cursor:
            # Merged into one segment before the swap, outside its transaction.
            cursor.execute(f"INSERT INTO {fts}({fts}) VALUES ('optimize')")
        # One write transaction (SQLite's lock): no story's index entry is written meanwhile,
        # and readers see the old index until it commits, then the new one.
        with (
            transaction.atomic(using=self.using),
            self.connection.cursor() as cursor,
            _dropping_fast(cursor),
        ):
            catch_up(documents)
            cursor.execute(
                "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
                "AND sql IS NOT NULL",
                [DOCUMENT_TABLE],
            )
            indexes = [row[0] for row in cursor.fetchall()]
            cursor.execute(f"DROP TABLE {FTS_TABLE}")
            cursor.execute(f"DROP TABLE {DOCUMENT_TABLE}")
            cursor.execute(f"ALTER TABLE {fts} RENAME TO {FTS_TABLE}")
            cursor.execute(f"ALTER TABLE {documents} RENAME TO {DOCUMENT_TABLE}")
            # SQLite cannot rename an index: the old ones went with their table and are
            # built again under their names.
            for sql in indexes:
                cursor.execute(sql)
        with self.connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {DOCUMENT_TABLE}")

    def delete(self, doc_id: int) -> None:
        with transaction.atomic(using=self.using), self.connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {FTS_TABLE} WHERE rowid = %s", [doc_id])
            cursor.execute(f"DELETE FROM {DOCUMENT_TABLE} WHERE id = %s", [doc_id])

    def reset(self) -> None:
        with transaction.atomic(using=self.using), self.connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {FTS_TABLE}")
            cursor.execute(f"DELETE FROM {DOCUMENT_TABLE}")

    def optimize(self) -> None:
        """Merge the FTS5 segments into one and refresh the planner's statistics of the
        document table (after a rebuild), for faster queries."""
        with self.connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('optimize')")
            cursor.execute(f"ANALYZE {DOCUMENT_TABLE}")

    def size_bytes(self) -> int | None:
        with self.connection.cursor() as cursor:
            try:
                cursor.execute(
                    "SELECT SUM(pgsize) FROM dbstat WHERE name LIKE 'search\\_%' ESCAPE '\\'"
                )
            except Exception:  # dbstat is an optional SQLite extension
                return None
            value = cursor.fetchone()[0]
        return int(value or 0)

    def frequencies(self, parsed: ParsedQuery) -> tuple[int, list[int]]:
        # Counted within a LIMIT: FTS5 reads a common word's list only that far.
        counts = [
            f"(SELECT COUNT(*) FROM (SELECT 1 FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s "
            f"LIMIT {base.COUNTED + 1}))"
            for _ in parsed.terms
        ]
        expressions = [stems_expression(stems) for stems in parsed.terms]
        with self.connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {', '.join([f'(SELECT COUNT(*) FROM {DOCUMENT_TABLE})', *counts])}",
                expressions,
            )
            total, *matching = (int(n) for n in cursor.fetchone())
            common = [i for i, n in enumerate(matching) if n > base.COUNTED]
            if common:
                # The newest SAMPLE documents: the rowids above the first one left out.
                cursor.execute(
                    f"SELECT id FROM {DOCUMENT_TABLE} ORDER BY id DESC LIMIT 1 OFFSET %s",
                    [base.SAMPLE],
                )
                row = cursor.fetchone()
                floor, sample = (int(row[0]), base.SAMPLE) if row else (0, total)
                in_sample = [
                    f"(SELECT COUNT(*) FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s AND rowid > %s)"
                    for _ in common
                ]
                cursor.execute(
                    f"SELECT {', '.join(in_sample)}",
                    [p for i in common for p in (expressions[i], floor)],
                )
                for i, n in zip(common, cursor.fetchone(), strict=True):
                    matching[i] = base.estimate(total, base.COUNTED, int(n), sample)
        return total, matching

    def _newest(self, parsed: ParsedQuery, filters: Filters, limit: int, offset: int) -> list[int]:
        # FTS5 gives a MATCH's rowids in order, newest first when asked, and stops at the
        # LIMIT: the read is as long as the window, however many stories match.
        where, params = self._where(parsed, filters)
        joined = f" CROSS JOIN {DOCUMENT_TABLE} AS d ON d.id = m.rowid" if where else ""
        conditions = "".join(f" AND {condition}" for condition in where)
        with self.connection.cursor() as cursor:
            cursor.execute(
                f"SELECT m.rowid FROM {FTS_TABLE} AS m{joined} "
                f"WHERE {FTS_TABLE} MATCH %s{conditions} "
                "ORDER BY m.rowid DESC LIMIT %s OFFSET %s",
                [query_expression(parsed), *params, limit, offset],
            )
            return [int(row[0]) for row in cursor.fetchall()]

    def _narrow_first(self, parsed: ParsedQuery, needed: int) -> bool:
        # Each word's count stops at its threshold (a sum reaches the threshold exactly when
        # the sum of the capped counts does): FTS5 reads a common word's list only that far.
        def count(cap: int) -> str:
            return (
                f"(SELECT COUNT(*) FROM (SELECT 1 FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s "
                f"LIMIT {cap}))"
            )

        anywhere, heads = [], []
        for i in range(len(parsed.terms)):
            exact = _any_of([_quoted(t) for t in parsed.exact_of(i)])
            anywhere.append(f"{EXACT_COLUMNS} : {exact}")
            heads.append(f"{{headline_exact summary_exact}} : {exact}")
        n = len(parsed.terms)
        with self.connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {' + '.join([count(base.CANDIDATES + 1)] * n)}, "
                f"{' + '.join([count(max(needed, 1))] * n)}",
                [*anywhere, *heads],
            )
            in_anywhere, in_heads = cursor.fetchone()
        return int(in_anywhere) > base.CANDIDATES and int(in_heads) >= needed

    def _candidates(
        self,
        parsed: ParsedQuery,
        filters: Filters,
        idfs: list[float],
        limit: int,
        *,
        narrow: bool = False,
    ) -> tuple[int, list[tuple[int, float]], float | None]:
        # Per word, plain index reads (the exact form and the stem in each field; the exact
        # form anywhere, unless narrow, for the pool), gathered in one pass: a row per story
        # and set, summed per story and word into a bit field (the sets of one word are
        # distinct bits, and a story is in a set once). The score is read from the bits,
        # with no lookup per story and set: it is the exact score, not only a bound.
        match = query_expression(parsed)
        # A set is read within the query's matches (FTS5 intersects the lists); one word
        # without phrases holds its sets already.
        alone = len(parsed.terms) == 1 and not parsed.phrases
        # The pool: stories holding some word in the headline or summary, and unless narrow
        # those holding some word's exact form anywhere. The body sets, large for a common
        # stem, are read only within the pool.
        pool = [
            f"{{headline summary}} : {_any_of([_quoted(t) for t in stems])} OR "
            f"{{headline_exact summary_exact}} : "
            f"{_any_of([_quoted(t) for t in parsed.exact_of(i)])}"
            for i, stems in enumerate(parsed.terms)
        ]
        if not narrow:
            pool += [
                f"{EXACT_COLUMNS} : {_any_of([_quoted(t) for t in parsed.exact_of(i)])}"
                for i in range(len(parsed.terms))
            ]
        in_pool = " OR ".join(pool)
        since, since_params = _since(filters)
        sets: list[str] = []
        params: list[object] = []
        for i, stems in enumerate(parsed.terms):
            exact = _any_of([_quoted(t) for t in parsed.exact_of(i)])
            stem = _any_of([_quoted(t) for t in stems])
            for bit, expression in (
                (_HEADLINE_EXACT, f"headline_exact : {exact}"),
                (_HEADLINE_STEM, f"headline : {stem}"),
                (_SUMMARY_EXACT, f"summary_exact : {exact}"),
                (_SUMMARY_STEM, f"summary : {stem}"),
                *([] if narrow else [(_EXACT_ANYWHERE, f"{EXACT_COLUMNS} : {exact}")]),
                (_BODY_EXACT, f"(body_exact : {exact}) AND ({in_pool})"),
                (_BODY_STEM, f"(body : {stem}) AND ({in_pool})"),
            ):
                sets.append(
                    f"SELECT rowid AS id, {i} AS word, {bit} AS bit FROM {FTS_TABLE} "
                    f"WHERE {FTS_TABLE} MATCH %s{since}"
                )
                params.append(expression if alone else f"({expression}) AND {match}")
                params.extend(since_params)
        words = range(len(parsed.terms))
        bits = ", ".join(f"SUM(CASE word WHEN {i} THEN bit ELSE 0 END) AS b{i}" for i in words)
        levels = [
            [
                level_case(f"f.b{i} & {_HEADLINE_EXACT}", f"f.b{i} & {_HEADLINE_STEM}"),
                level_case(f"f.b{i} & {_SUMMARY_EXACT}", f"f.b{i} & {_SUMMARY_STEM}"),
                level_case(f"f.b{i} & {_BODY_EXACT}", f"f.b{i} & {_BODY_STEM}"),
            ]
            for i in words
        ]
        # Considered: a story in some word's headline-stem, summary-stem or exact set.
        pooled = " OR ".join(f"f.b{i} & {_NARROW_POOL if narrow else _POOL}" for i in words)
        where, where_params = self._where(parsed, filters)
        bound, bound_params = score_sql(
            levels, ["d.headline_norm", "d.summary_norm", "d.body_norm"], idfs
        )
        conditions = " AND ".join(where) if where else "1"
        sql = (
            f"WITH f AS MATERIALIZED (SELECT id, {bits} FROM "
            f"({' UNION ALL '.join(sets)}) GROUP BY id) "
            f"SELECT d.id, {bound} AS bound "
            f"FROM f CROSS JOIN {DOCUMENT_TABLE} AS d ON d.id = f.id "
            f"WHERE ({pooled}) AND {conditions} "
            "ORDER BY bound DESC, d.published_ts DESC, d.id DESC LIMIT %s"
        )
        # How many match, and whether any match outside the pool (an index read that
        # stops at the first; counting the pool would cost a pass over it).
        matches = (
            f"FROM {FTS_TABLE} AS m CROSS JOIN {DOCUMENT_TABLE} AS d "
            f"ON d.id = m.rowid WHERE {FTS_TABLE} MATCH %s{since.replace('rowid', 'm.rowid')} "
            f"AND {conditions}"
        )
        count_sql = f"SELECT (SELECT COUNT(*) {matches}), EXISTS (SELECT 1 {matches})"
        outside = f"({match}) NOT ({' OR '.join(pool)})"
        with self.connection.cursor() as cursor:
            cursor.execute(sql, [*params, *bound_params, *where_params, limit])
            rows = cursor.fetchall()
            cursor.execute(
                count_sql,
                [match, *since_params, *where_params, outside, *since_params, *where_params],
            )
            total, left_out = cursor.fetchone()
        level = EXACT_LEVEL if narrow else STEM_LEVEL
        rest = body_only_bound(idfs, level) if left_out else None
        return int(total), [(int(row[0]), float(row[1])) for row in rows], rest

    def _where(self, parsed: ParsedQuery, filters: Filters) -> tuple[list[str], list[object]]:
        """Exclusions and filters, as conditions on ``d`` (the document table)."""
        where: list[str] = []
        params: list[object] = []
        for stems in parsed.excluded:
            where.append(f"d.id NOT IN (SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s)")
            params.append(stems_expression(stems))
        if filters.lang:
            where.append("d.lang = %s")
            params.append(filters.lang)
        if filters.section is not None:
            where.append("d.section_id = %s")
            params.append(filters.section)
        if filters.date_from is not None:
            where.append("d.published_ts >= %s")
            params.append(timestamp(filters.date_from))
        if filters.date_to is not None:
            where.append("d.published_ts < %s")
            params.append(timestamp(filters.date_to))
        return where, params

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
        if not parsed.terms:
            return self._phrases_only(parsed, filters, limit, offset, ids)
        # Every match, scored from plain index reads as stage one scores its candidates:
        # per word and field, the stories holding its exact form and those holding its stem,
        # each read within the query's matches (FTS5 intersects the lists, from the window's
        # first id on), summed per story and word into a bit field. FTS5's bm25(), which told
        # the fields apart before, first counts every story holding each term: a whole
        # list's read for a common word, whatever the window (0.6 s for في at a million).
        match = query_expression(parsed)
        alone = len(parsed.terms) == 1 and not parsed.phrases
        since, since_params = _since(filters)
        among = f" AND +rowid IN ({', '.join(['%s'] * len(ids))})" if ids is not None else ""
        sets: list[str] = []
        params: list[object] = []
        for i, stems in enumerate(parsed.terms):
            exact = _any_of([_quoted(t) for t in parsed.exact_of(i)])
            stem = _any_of([_quoted(t) for t in stems])
            for bit, expression in (
                (_HEADLINE_EXACT, f"headline_exact : {exact}"),
                (_HEADLINE_STEM, f"headline : {stem}"),
                (_SUMMARY_EXACT, f"summary_exact : {exact}"),
                (_SUMMARY_STEM, f"summary : {stem}"),
                (_BODY_EXACT, f"body_exact : {exact}"),
                (_BODY_STEM, f"body : {stem}"),
            ):
                sets.append(
                    f"SELECT rowid AS id, {i} AS word, {bit} AS bit FROM {FTS_TABLE} "
                    f"WHERE {FTS_TABLE} MATCH %s{among}{since}"
                )
                params += [expression if alone else f"({expression}) AND {match}"]
                params += [*(ids or []), *since_params]
        words = range(len(parsed.terms))
        bits = ", ".join(f"SUM(CASE word WHEN {i} THEN bit ELSE 0 END) AS b{i}" for i in words)
        levels = [
            [
                level_case(f"f.b{i} & {_HEADLINE_EXACT}", f"f.b{i} & {_HEADLINE_STEM}"),
                level_case(f"f.b{i} & {_SUMMARY_EXACT}", f"f.b{i} & {_SUMMARY_STEM}"),
                level_case(f"f.b{i} & {_BODY_EXACT}", f"f.b{i} & {_BODY_STEM}"),
            ]
            for i in words
        ]
        where, where_params = self._where(parsed, filters)
        conditions = " AND ".join(where) if where else "1"
        score, score_params = score_sql(
            levels, ["d.headline_norm", "d.summary_norm", "d.body_norm"], idfs
        )
        order_by = (
            "d.published_ts DESC, d.id DESC"
            if order == "newest"
            else "score DESC, d.published_ts DESC, d.id DESC"
        )
        with_ = (
            f"WITH f AS MATERIALIZED (SELECT id, {bits} FROM "
            f"({' UNION ALL '.join(sets)}) GROUP BY id) "
        )
        joined = f"FROM f CROSS JOIN {DOCUMENT_TABLE} AS d ON d.id = f.id WHERE {conditions}"
        sql = (
            f"{with_}SELECT d.id, {score} AS score, COUNT(*) OVER () {joined} "
            f"ORDER BY {order_by} LIMIT %s OFFSET %s"
        )
        with self.connection.cursor() as cursor:
            cursor.execute(sql, [*params, *score_params, *where_params, limit, offset])
            rows = cursor.fetchall()
            if rows:
                total = int(rows[0][2])
            elif not offset:
                total = 0
            else:
                cursor.execute(f"{with_}SELECT COUNT(*) {joined}", [*params, *where_params])
                total = int(cursor.fetchone()[0])
        return total, [(int(row[0]), float(row[1])) for row in rows]

    def _phrases_only(
        self,
        parsed: ParsedQuery,
        filters: Filters,
        limit: int,
        offset: int,
        ids: list[int] | None,
    ) -> tuple[int, list[tuple[int, float]]]:
        """A query of phrases of stopwords only: matched, not scored (newest first)."""
        since, since_params = _since(filters)
        among = f" AND +m.rowid IN ({', '.join(['%s'] * len(ids))})" if ids is not None else ""
        where, where_params = self._where(parsed, filters)
        conditions = " AND ".join(where) if where else "1"
        joined = (
            f"FROM {FTS_TABLE} AS m CROSS JOIN {DOCUMENT_TABLE} AS d ON d.id = m.rowid "
            f"WHERE {FTS_TABLE} MATCH %s{among}{since.replace('rowid', 'm.rowid')} "
            f"AND {conditions}"
        )
        params = [phrases_expression(parsed), *(ids or []), *since_params, *where_params]
        with self.connection.cursor() as cursor:
            cursor.execute(
                f"SELECT d.id, 0.0, COUNT(*) OVER () {joined} "
                "ORDER BY d.published_ts DESC, d.id DESC LIMIT %s OFFSET %s",
                [*params, limit, offset],
            )
            rows = cursor.fetchall()
            if rows:
                total = int(rows[0][2])
            elif not offset:
                total = 0
            else:
                cursor.execute(f"SELECT COUNT(*) {joined}", params)
                total = int(cursor.fetchone()[0])
        return total, [(int(row[0]), float(row[1])) for row in rows]
