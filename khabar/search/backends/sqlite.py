"""SQLite FTS5 backend: the embedded default.

The FTS5 table holds the analysed text (index terms from ``khabar.lib.arabic`` separated by
spaces) under a plain ``unicode61`` tokenizer: FTS5's own tokenizer would split vowelled
Arabic at every mark, and ``remove_diacritics`` does nothing for Arabic, so all the
language work happens in the one analyzer and FTS5 only splits on spaces. The originals and
the filter fields live in ``search_document``, keyed by the same rowid.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db import transaction

from khabar.search.backends.base import DOCUMENT_TABLE, Filters, Order, SearchBackend
from khabar.search.documents import SearchDocument
from khabar.search.query import ParsedQuery

FTS_TABLE = "search_fts"
# BM25 column weights: a word in the headline counts four times a word in the body.
HEADLINE_WEIGHT = 4.0
BODY_WEIGHT = 1.0
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
_MICROSECOND = datetime.timedelta(microseconds=1)


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


def match_expression(parsed: ParsedQuery) -> str:
    """The FTS5 MATCH string: every term and phrase quoted, alternatives ORed, all ANDed."""
    parts = [_any_of([_quoted(term) for term in word]) for word in parsed.terms]
    parts += [
        _any_of([_quoted(" ".join(variant)) for variant in variants]) for variants in parsed.phrases
    ]
    return " AND ".join(parts)


class SqliteBackend(SearchBackend):
    vendor = "sqlite"

    def add_bulk(self, docs: Iterable[SearchDocument]) -> int:
        rows = [
            (
                doc.id,
                doc.lang,
                doc.section_id,
                timestamp(doc.published_at),
                doc.headline,
                doc.summary,
                doc.body,
                doc.headline_terms,
                doc.body_terms,
            )
            for doc in docs
        ]
        if not rows:
            return 0
        with transaction.atomic(using=self.using), self.connection.cursor() as cursor:
            ids = [(row[0],) for row in rows]
            cursor.executemany(f"DELETE FROM {FTS_TABLE} WHERE rowid = %s", ids)
            cursor.executemany(
                f"INSERT OR REPLACE INTO {DOCUMENT_TABLE} "
                "(id, lang, section_id, published_ts, headline, summary, body) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s)",
                [row[:7] for row in rows],
            )
            cursor.executemany(
                f"INSERT INTO {FTS_TABLE} (rowid, headline, body) VALUES (%s, %s, %s)",
                [(row[0], row[7], row[8]) for row in rows],
            )
        return len(rows)

    def delete(self, doc_id: int) -> None:
        with transaction.atomic(using=self.using), self.connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {FTS_TABLE} WHERE rowid = %s", [doc_id])
            cursor.execute(f"DELETE FROM {DOCUMENT_TABLE} WHERE id = %s", [doc_id])

    def reset(self) -> None:
        with transaction.atomic(using=self.using), self.connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {FTS_TABLE}")
            cursor.execute(f"DELETE FROM {DOCUMENT_TABLE}")

    def optimize(self) -> None:
        """Merge the FTS5 segments into one (after a rebuild), for faster queries."""
        with self.connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('optimize')")

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

    def _search(
        self, parsed: ParsedQuery, filters: Filters, order: Order, limit: int, offset: int
    ) -> tuple[int, list[tuple[int, float]]]:
        where: list[str] = []
        params: list[object] = [match_expression(parsed)]
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
        order_by = (
            "d.published_ts DESC, d.id DESC" if order == "newest" else "m.rank, d.published_ts DESC"
        )
        # The matches are materialised first (FTS5 as the outer loop; bm25() only works
        # there), then joined to their filter fields; COUNT(*) OVER () gives the total from
        # the same pass, so a page costs one walk over the matches.
        matches = (
            f"WITH m AS MATERIALIZED (SELECT rowid AS id, "
            f"bm25({FTS_TABLE}, {HEADLINE_WEIGHT}, {BODY_WEIGHT}) AS rank "
            f"FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s) "
        )
        joined = f"FROM m CROSS JOIN {DOCUMENT_TABLE} AS d ON d.id = m.id"
        filtered = f"{joined} WHERE {' AND '.join(where)}" if where else joined
        sql = (
            f"{matches}SELECT m.id, m.rank, COUNT(*) OVER () {filtered} "
            f"ORDER BY {order_by} LIMIT %s OFFSET %s"
        )
        count_sql = f"{matches}SELECT COUNT(*) {filtered}"
        total, rows = self._page(sql, count_sql, params, limit, offset)
        # bm25() is lower-is-better; the contract's score is higher-is-better.
        return total, [(int(row[0]), -float(row[1])) for row in rows]
