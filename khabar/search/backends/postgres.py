"""PostgreSQL backend: ``tsvector``s over the same analysed text, a GIN index, the contract's rank.

The ``simple`` configuration only lowercases and splits on spaces, so the index terms are
exactly the analyzer's, as in the SQLite backend, and both return the same stories for the
same query. ``vector`` holds the stems (GIN-indexed, what matches), ``exact`` the exact forms
(only read to rank); in both the headline is weight A, the summary B and the body C. The
score is ``ranking.score_sql``, as in the SQLite backend, not ``ts_rank``.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from khabar.search.backends.base import DOCUMENT_TABLE, Filters, Order, SearchBackend
from khabar.search.documents import FIELDS, SearchDocument
from khabar.search.query import Alternatives, ParsedQuery
from khabar.search.ranking import level_case, score_sql

FIELD_LABELS = ("A", "B", "C")
_VECTOR = (
    "setweight(to_tsvector('simple', %s), 'A') || setweight(to_tsvector('simple', %s), 'B') || "
    "setweight(to_tsvector('simple', %s), 'C')"
)


def _lexeme(term: str) -> str:
    # A quoted tsquery lexeme: quotes doubled, backslashes escaped; operators inside are
    # then plain text. Terms are letters and digits already; this is belt and braces.
    return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"


def _any_of(options: list[str]) -> str:
    return options[0] if len(options) == 1 else "(" + " | ".join(options) + ")"


def tsquery_expression(parsed: ParsedQuery) -> str:
    """The to_tsquery string: quoted lexemes, phrases with <->, alternatives ORed, ANDed,
    excluded words negated."""
    parts = [_any_of([_lexeme(term) for term in word]) for word in parsed.terms]
    parts += [
        _any_of(["(" + " <-> ".join(_lexeme(t) for t in variant) + ")" for variant in variants])
        for variants in parsed.phrases
    ]
    parts += ["!" + _any_of([_lexeme(term) for term in word]) for word in parsed.excluded]
    return " & ".join(parts)


def in_field(terms: Alternatives, label: str) -> str:
    """A tsquery for any of ``terms`` in the field of weight ``label``."""
    return _any_of([f"{_lexeme(term)}:{label}" for term in terms])


class PostgresBackend(SearchBackend):
    vendor = "postgresql"

    def add_bulk(self, docs: Iterable[SearchDocument]) -> int:
        rows = []
        for doc in docs:
            fields = doc.fields
            rows.append(
                (
                    doc.id,
                    doc.lang,
                    doc.section_id,
                    doc.published_at,
                    doc.headline,
                    doc.summary,
                    doc.body,
                    *doc.norms(),
                    *(fields[name][0] for name in FIELDS),
                    *(fields[name][1] for name in FIELDS),
                )
            )
        if not rows:
            return 0
        with transaction.atomic(using=self.using), self.connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {DOCUMENT_TABLE} "
                "(id, lang, section_id, published_at, headline, summary, body, "
                "headline_norm, summary_norm, body_norm, vector, exact) "
                f"VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, {_VECTOR}, {_VECTOR}) "
                "ON CONFLICT (id) DO UPDATE SET lang = EXCLUDED.lang, "
                "section_id = EXCLUDED.section_id, published_at = EXCLUDED.published_at, "
                "headline = EXCLUDED.headline, summary = EXCLUDED.summary, "
                "body = EXCLUDED.body, headline_norm = EXCLUDED.headline_norm, "
                "summary_norm = EXCLUDED.summary_norm, body_norm = EXCLUDED.body_norm, "
                "vector = EXCLUDED.vector, exact = EXCLUDED.exact",
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

    def frequencies(self, parsed: ParsedQuery) -> tuple[int, list[int]]:
        counts = [
            f"(SELECT COUNT(*) FROM {DOCUMENT_TABLE} WHERE vector @@ to_tsquery('simple', %s))"
            for _ in parsed.terms
        ]
        with self.connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {', '.join([f'(SELECT COUNT(*) FROM {DOCUMENT_TABLE})', *counts])}",
                [_any_of([_lexeme(t) for t in stems]) for stems in parsed.terms],
            )
            total, *matching = cursor.fetchone()
        return int(total), [int(n) for n in matching]

    def _search(
        self,
        parsed: ParsedQuery,
        filters: Filters,
        order: Order,
        limit: int,
        offset: int,
        idfs: list[float],
    ) -> tuple[int, list[tuple[int, float]]]:
        # Every tsquery is built once in a one-row subquery q, so the score expression has
        # no parameters of its own beyond the contract's.
        queries = ["to_tsquery('simple', %s) AS m"]
        query_params: list[object] = [tsquery_expression(parsed)]
        levels: list[list[str]] = []
        for i, stems in enumerate(parsed.terms):
            word_levels = []
            for f, label in enumerate(FIELD_LABELS):
                queries.append(f"to_tsquery('simple', %s) AS e{i}_{f}")
                queries.append(f"to_tsquery('simple', %s) AS s{i}_{f}")
                query_params += [in_field(parsed.exact_of(i), label), in_field(stems, label)]
                word_levels.append(level_case(f"d.exact @@ q.e{i}_{f}", f"d.vector @@ q.s{i}_{f}"))
            levels.append(word_levels)
        where = ["d.vector @@ q.m"]
        params: list[object] = []
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
        score, score_params = score_sql(
            levels, ["d.headline_norm", "d.summary_norm", "d.body_norm"], idfs
        )
        order_by = (
            "d.published_at DESC, d.id DESC"
            if order == "newest"
            else "score DESC, d.published_at DESC, d.id DESC"
        )
        from_where = (
            f"FROM {DOCUMENT_TABLE} AS d, (SELECT {', '.join(queries)}) AS q "
            f"WHERE {' AND '.join(where)}"
        )
        sql = (
            f"SELECT d.id, {score} AS score, COUNT(*) OVER () {from_where} "
            f"ORDER BY {order_by} LIMIT %s OFFSET %s"
        )
        with self.connection.cursor() as cursor:
            cursor.execute(sql, [*score_params, *query_params, *params, limit, offset])
            rows = cursor.fetchall()
            if rows:
                total = int(rows[0][2])
            elif not offset:
                total = 0
            else:
                cursor.execute(f"SELECT COUNT(*) {from_where}", [*query_params, *params])
                total = int(cursor.fetchone()[0])
        return total, [(int(row[0]), float(row[1])) for row in rows]
