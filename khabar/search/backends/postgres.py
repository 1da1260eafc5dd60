"""PostgreSQL backend: ``tsvector`` over the same analysed text, GIN index, ``ts_rank_cd``.

The ``simple`` configuration only lowercases and splits on spaces, so the index terms are
exactly the analyzer's, as in the SQLite backend, and both return the same stories for the
same query. The headline is weight A and the body weight B.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from khabar.search.backends.base import DOCUMENT_TABLE, Filters, Order, SearchBackend
from khabar.search.documents import SearchDocument
from khabar.search.query import ParsedQuery

# ts_rank_cd weights for {D, C, B, A}: the headline (A) counts four times the body (B),
# as in the SQLite backend's BM25 column weights.
RANK_WEIGHTS = "{0.1, 0.1, 0.25, 1.0}"


def _lexeme(term: str) -> str:
    # A quoted tsquery lexeme: quotes doubled, backslashes escaped; operators inside are
    # then plain text. Terms are letters and digits already; this is belt and braces.
    return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"


def _any_of(options: list[str]) -> str:
    return options[0] if len(options) == 1 else "(" + " | ".join(options) + ")"


def tsquery_expression(parsed: ParsedQuery) -> str:
    """The to_tsquery string: quoted lexemes, phrases with <->, alternatives ORed, ANDed."""
    parts = [_any_of([_lexeme(term) for term in word]) for word in parsed.terms]
    parts += [
        _any_of(["(" + " <-> ".join(_lexeme(t) for t in variant) + ")" for variant in variants])
        for variants in parsed.phrases
    ]
    return " & ".join(parts)


class PostgresBackend(SearchBackend):
    vendor = "postgresql"

    def add_bulk(self, docs: Iterable[SearchDocument]) -> int:
        rows = [
            (
                doc.id,
                doc.lang,
                doc.section_id,
                doc.published_at,
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
            cursor.executemany(
                f"INSERT INTO {DOCUMENT_TABLE} "
                "(id, lang, section_id, published_at, headline, summary, body, vector) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, "
                "setweight(to_tsvector('simple', %s), 'A') || "
                "setweight(to_tsvector('simple', %s), 'B')) "
                "ON CONFLICT (id) DO UPDATE SET lang = EXCLUDED.lang, "
                "section_id = EXCLUDED.section_id, published_at = EXCLUDED.published_at, "
                "headline = EXCLUDED.headline, summary = EXCLUDED.summary, "
                "body = EXCLUDED.body, vector = EXCLUDED.vector",
                rows,
            )
        return len(rows)

    def delete(self, doc_id: int) -> None:
        with self.connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {DOCUMENT_TABLE} WHERE id = %s", [doc_id])

    def reset(self) -> None:
        with self.connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {DOCUMENT_TABLE}")

    def optimize(self) -> None:
        """Refresh the planner's statistics after a rebuild."""
        with self.connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {DOCUMENT_TABLE}")

    def size_bytes(self) -> int | None:
        with self.connection.cursor() as cursor:
            cursor.execute("SELECT pg_total_relation_size(%s)", [DOCUMENT_TABLE])
            return int(cursor.fetchone()[0])

    def _search(
        self, parsed: ParsedQuery, filters: Filters, order: Order, limit: int, offset: int
    ) -> tuple[int, list[tuple[int, float]]]:
        where = ["d.vector @@ q.query"]
        params: list[object] = [tsquery_expression(parsed)]
        if filters.lang:
            where.append("d.lang = %s")
            params.append(filters.lang)
        if filters.section is not None:
            where.append("d.section_id = %s")
            params.append(filters.section)
        if filters.date_from is not None:
            where.append("d.published_at >= %s")
            params.append(filters.date_from)
        if filters.date_to is not None:
            where.append("d.published_at < %s")
            params.append(filters.date_to)
        order_by = (
            "d.published_at DESC, d.id DESC"
            if order == "newest"
            else "rank DESC, d.published_at DESC"
        )
        from_where = (
            f"FROM {DOCUMENT_TABLE} AS d, to_tsquery('simple', %s) AS q(query) "
            f"WHERE {' AND '.join(where)}"
        )
        sql = (
            f"SELECT d.id, ts_rank_cd('{RANK_WEIGHTS}', d.vector, q.query) AS rank, "
            f"COUNT(*) OVER () {from_where} ORDER BY {order_by} LIMIT %s OFFSET %s"
        )
        total, rows = self._page(sql, f"SELECT COUNT(*) {from_where}", params, limit, offset)
        return total, [(int(row[0]), float(row[1])) for row in rows]
