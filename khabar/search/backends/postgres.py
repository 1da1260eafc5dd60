"""PostgreSQL backend: ``tsvector``s over the same analysed text, a GIN index, the contract's rank.

The ``simple`` configuration only lowercases and splits on spaces, so the index terms are
exactly the analyzer's, as in the SQLite backend, and both return the same stories for the
same query. ``vector`` holds the stems (GIN-indexed, what matches), ``exact`` the exact forms
(only read to rank); in both the headline is weight A, the summary B and the body C. The
score is ``ranking.score_sql``, as in the SQLite backend, not ``ts_rank``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from django.db import transaction

from khabar.lib.tsvector import literal_vectors
from khabar.search.backends.base import (
    COUNTED,
    DOCUMENT_TABLE,
    LARGE,
    NEXT,
    SAMPLE,
    CatchUp,
    Filters,
    Order,
    SearchBackend,
    estimate,
)
from khabar.search.documents import FIELDS, SearchDocument
from khabar.search.query import Alternatives, ParsedQuery
from khabar.search.ranking import (
    EXACT_LEVEL,
    STEM_LEVEL,
    body_only_bound,
    level_case,
    score_sql,
)

FIELD_LABELS = ("A", "B", "C")
_COLUMNS = (
    "id",
    "lang",
    "section_id",
    "published_at",
    "headline",
    "summary",
    "body",
    "headline_norm",
    "summary_norm",
    "body_norm",
    "vector",
    "exact",
    "head",
    "head_exact",
)
# A row's vectors: the headline (weight A), summary (B) and body (C), as
# ``setweight(to_tsvector('simple', text), weight)`` joined with ``||`` (``head`` and
# ``head_exact`` stop before the body). Built in Python as tsvector text (``khabar.lib.tsvector``),
# which costs the database far less than its parser; where that cannot be sure to give the
# same vector, the literal is NULL and the database builds it from the text (the subquery
# is kept apart, OFFSET 0, so the headline's vectors are built once and reused).
_INSERT = (
    f"INSERT INTO {{table}} ({', '.join(_COLUMNS)}) "
    "SELECT v.id, v.lang, v.section_id, v.published_at, v.headline, v.summary, v.body, "
    "v.headline_norm, v.summary_norm, v.body_norm, "
    "COALESCE(v.vector, v.head || setweight(to_tsvector('simple', v.body_stems), 'C')), "
    "COALESCE(v.exact, v.head_exact || setweight(to_tsvector('simple', v.body_exact), 'C')), "
    "v.head, v.head_exact FROM (SELECT %s::bigint AS id, %s::varchar AS lang, "
    "%s::bigint AS section_id, %s::timestamptz AS published_at, %s::text AS headline, "
    "%s::text AS summary, %s::text AS body, %s::float8 AS headline_norm, "
    "%s::float8 AS summary_norm, %s::float8 AS body_norm, "
    "COALESCE(%s::tsvector, setweight(to_tsvector('simple', %s), 'A') "
    "|| setweight(to_tsvector('simple', %s), 'B')) AS head, "
    "COALESCE(%s::tsvector, setweight(to_tsvector('simple', %s), 'A') "
    "|| setweight(to_tsvector('simple', %s), 'B')) AS head_exact, "
    "%s::text AS body_stems, %s::text AS body_exact, "
    "%s::tsvector AS vector, %s::tsvector AS exact OFFSET 0) AS v"
)


def _as_params(row: tuple[object, ...]) -> tuple[object, ...]:
    """``_INSERT``'s parameters for a row of ``_COLUMNS`` whose vectors are literals."""
    vector, exact, head, head_exact = row[10:]
    return (*row[:10], head, None, None, head_exact, None, None, None, None, vector, exact)


def vector_params(fields: dict[str, tuple[str, str]]) -> tuple[str | None, ...]:
    """``_INSERT``'s vector parameters for a document's analysed fields (stems, exact
    forms): the literals, or the texts for the database to build them from."""
    return _params(fields, _vectors(fields))


def _vectors(fields: dict[str, tuple[str, str]]) -> tuple[str, str, str, str] | None:
    return literal_vectors(
        (fields["headline"][0], fields["summary"][0], fields["body"][0]),
        (fields["headline"][1], fields["summary"][1], fields["body"][1]),
    )


def _params(
    fields: dict[str, tuple[str, str]], vectors: tuple[str, str, str, str] | None
) -> tuple[str | None, ...]:
    if vectors is None:
        (hs, he), (ss, se), (bs, be) = (fields[name] for name in FIELDS)
        return (None, hs, ss, None, he, se, bs, be, None, None)
    head, whole, head_exact, whole_exact = vectors
    return (head, None, None, head_exact, None, None, None, None, whole, whole_exact)


# Stage one's sets of a word, as bits (``_candidates``), as in the SQLite backend.
_HEADLINE_EXACT, _HEADLINE_STEM, _SUMMARY_EXACT, _SUMMARY_STEM, _EXACT_ANYWHERE = 1, 2, 4, 8, 16
_POOL = _HEADLINE_STEM | _SUMMARY_STEM | _EXACT_ANYWHERE
_NARROW_POOL = _HEADLINE_EXACT | _HEADLINE_STEM | _SUMMARY_EXACT | _SUMMARY_STEM
_NORMS = ("headline_norm", "summary_norm", "body_norm")


def _index_on(definition: str, name: str, table: str) -> str:
    """An index's CREATE statement (from pg_indexes) for the same index on ``table``, named
    ``name`` + NEXT."""
    renamed, count = re.subn(
        rf"^CREATE (UNIQUE )?INDEX {re.escape(name)} ON (ONLY )?(\S+\.)?{DOCUMENT_TABLE} ",
        lambda m: f"CREATE {m[1] or ''}INDEX {name}{NEXT} ON {m[3] or ''}{table} ",
        definition,
    )
    if count != 1:
        raise ValueError(f"unexpected index definition: {definition}")
    return renamed


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
        return self._write(docs, DOCUMENT_TABLE, upsert=True)

    def _write(self, docs: Iterable[SearchDocument], table: str, *, upsert: bool) -> int:
        """Write documents into the live table or a new one being built; ``upsert``: a
        document already there is replaced (else none may be).

        A document whose vectors are built here (``vector_params``) and that the table does
        not hold yet goes in by COPY, its vectors as tsvector text (the server parses no
        statement per row and runs no ``to_tsvector``); the others by ``_INSERT``."""
        copied: list[tuple[object, ...]] = []  # _COLUMNS
        inserted: list[tuple[object, ...]] = []  # _INSERT's parameters
        for doc in docs:
            row: tuple[object, ...] = (
                doc.id,
                doc.lang,
                doc.section_id,
                doc.published_at,
                doc.headline,
                doc.summary,
                doc.body,
                *doc.norms(),
            )
            vectors = doc.vectors if doc.vectors_apply() else _vectors(doc.fields)
            if vectors is None:
                inserted.append((*row, *_params(doc.fields, None)))
            else:  # vector, exact, head, head_exact
                head, whole, head_exact, whole_exact = vectors
                copied.append((*row, whole, whole_exact, head, head_exact))
        if not copied and not inserted:
            return 0
        conflict = (
            " ON CONFLICT (id) DO UPDATE SET "
            + ", ".join(f"{column} = EXCLUDED.{column}" for column in _COLUMNS[1:])
            if upsert
            else ""
        )
        with transaction.atomic(using=self.using), self.connection.cursor() as cursor:
            if upsert and copied:
                cursor.execute(
                    f"SELECT id FROM {table} WHERE id = ANY(%s)", [[row[0] for row in copied]]
                )
                there = {row[0] for row in cursor.fetchall()}
                if there:
                    inserted += [_as_params(row) for row in copied if row[0] in there]
                    copied = [row for row in copied if row[0] not in there]
            if copied:
                with cursor.copy(f"COPY {table} ({', '.join(_COLUMNS)}) FROM STDIN") as copy:
                    for row in copied:
                        copy.write_row(row)
            if inserted:
                cursor.executemany(_INSERT.format(table=table) + conflict, inserted)
        return len(copied) + len(inserted)

    # --- a new index built beside the live one ------------------------------------------

    def start_rebuild(self) -> str:
        # No index while it fills (each is built once, at the end, far faster than kept up
        # row by row); the columns, defaults and storage of the live table.
        new = DOCUMENT_TABLE + NEXT
        with self.connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {new}")
            cursor.execute(
                f"CREATE TABLE {new} (LIKE {DOCUMENT_TABLE} INCLUDING DEFAULTS "
                "INCLUDING STORAGE INCLUDING COMPRESSION)"
            )
        return new

    def add_new(self, docs: Iterable[SearchDocument]) -> int:
        return self._write(docs, DOCUMENT_TABLE + NEXT, upsert=False)

    def abort_rebuild(self) -> None:
        with self.connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {DOCUMENT_TABLE}{NEXT}")

    def update_new(self, docs: Iterable[SearchDocument], drop: Iterable[int]) -> None:
        new = DOCUMENT_TABLE + NEXT
        with transaction.atomic(using=self.using), self.connection.cursor() as cursor:
            self._write(docs, new, upsert=True)
            drop = list(drop)
            if drop:
                cursor.execute(f"DELETE FROM {new} WHERE id = ANY(%s)", [drop])

    def swap(self, catch_up: CatchUp) -> None:
        new = DOCUMENT_TABLE + NEXT
        with self.connection.cursor() as cursor:
            # The live table's indexes, built on the new one under names of their own
            # before the swap (outside its transaction), with room to sort in memory.
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes "
                "WHERE schemaname = current_schema() AND tablename = %s",
                [DOCUMENT_TABLE],
            )
            indexes = [
                (name, definition)
                for name, definition in cursor.fetchall()
                if name != f"{DOCUMENT_TABLE}_pkey"
            ]
            cursor.execute("SET maintenance_work_mem = '256MB'")
            try:
                cursor.execute(f"ALTER TABLE {new} ADD PRIMARY KEY (id)")
                for name, definition in indexes:
                    cursor.execute(_index_on(definition, name, new))
            finally:
                cursor.execute("RESET maintenance_work_mem")
        with transaction.atomic(using=self.using), self.connection.cursor() as cursor:
            # Index writes wait (readers do not) until the swap commits.
            cursor.execute(f"LOCK TABLE {DOCUMENT_TABLE} IN SHARE ROW EXCLUSIVE MODE")
            catch_up(new)
            cursor.execute(f"DROP TABLE {DOCUMENT_TABLE}")
            cursor.execute(f"ALTER TABLE {new} RENAME TO {DOCUMENT_TABLE}")
            cursor.execute(
                f"ALTER TABLE {DOCUMENT_TABLE} RENAME CONSTRAINT {new}_pkey "
                f"TO {DOCUMENT_TABLE}_pkey"
            )
            for name, _definition in indexes:
                cursor.execute(f"ALTER INDEX {name}{NEXT} RENAME TO {name}")
        self.optimize()

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
        # A large index: its size and its commonest stems (with the share of rows holding
        # each) from the planner's statistics (ANALYZE, autovacuum), rather than a count of a
        # million rows or of a stem held by most of them (each a read of every row).
        expressions = [_any_of([_lexeme(t) for t in stems]) for stems in parsed.terms]
        with self.connection.cursor() as cursor:
            cursor.execute(
                "SELECT reltuples, (SELECT most_common_elems::text::text[] FROM pg_stats "
                "WHERE schemaname = current_schema() AND tablename = %s AND attname = 'vector'), "
                "(SELECT most_common_elem_freqs FROM pg_stats WHERE schemaname = "
                "current_schema() AND tablename = %s AND attname = 'vector') "
                "FROM pg_class WHERE oid = %s::regclass",
                [DOCUMENT_TABLE, DOCUMENT_TABLE, DOCUMENT_TABLE],
            )
            reltuples, elems, freqs = cursor.fetchone()
            if reltuples < LARGE:
                cursor.execute(f"SELECT COUNT(*) FROM {DOCUMENT_TABLE}")
                total, shares = int(cursor.fetchone()[0]), {}
            else:
                total, shares = int(reltuples), dict(zip(elems or [], freqs or [], strict=False))
            matching = [0] * len(expressions)
            counted: list[int] = []
            for i, stems in enumerate(parsed.terms):
                share = sum(shares.get(term, 0.0) for term in stems)
                if share * total > COUNTED:
                    matching[i] = min(total, round(share * total))
                else:
                    counted.append(i)
            if counted:
                # Counted within a LIMIT: a common stem's rows are read only that far.
                cursor.execute(
                    "SELECT "
                    + ", ".join(
                        f"(SELECT COUNT(*) FROM (SELECT 1 FROM {DOCUMENT_TABLE} "
                        f"WHERE vector @@ to_tsquery('simple', %s) LIMIT {COUNTED + 1}) AS c)"
                        for _ in counted
                    ),
                    [expressions[i] for i in counted],
                )
                for i, n in zip(counted, cursor.fetchone(), strict=True):
                    matching[i] = int(n)
            common = [i for i in counted if matching[i] > COUNTED]
            if common:
                cursor.execute(
                    f"SELECT id FROM {DOCUMENT_TABLE} ORDER BY id DESC LIMIT 1 OFFSET %s",
                    [SAMPLE],
                )
                row = cursor.fetchone()
                floor, sample = (int(row[0]), SAMPLE) if row else (0, total)
                in_sample = [
                    f"(SELECT COUNT(*) FROM {DOCUMENT_TABLE} "
                    "WHERE vector @@ to_tsquery('simple', %s) AND id > %s)"
                    for _ in common
                ]
                cursor.execute(
                    f"SELECT {', '.join(in_sample)}",
                    [p for i in common for p in (expressions[i], floor)],
                )
                for i, n in zip(common, cursor.fetchone(), strict=True):
                    matching[i] = estimate(total, COUNTED, int(n), sample)
        return total, matching

    def _newest(self, parsed: ParsedQuery, filters: Filters, limit: int, offset: int) -> list[int]:
        # Newest first by the primary key, each row's vector checked: for a common query
        # the read stops after about ``offset + limit`` rows. For a rare one that read is
        # long (each row's vector read from its TOAST: 530 ms for a word in 0.6 % of a
        # million stories), and the planner, which counts checking a vector as cheap,
        # still takes it: the matches are then read from the GIN index and sorted
        # (``_few_matches``), behind an OFFSET 0 the planner does not see through.
        where, params = self._filters(filters)
        conditions = "".join(f" AND {condition}" for condition in where)
        matches = (
            f"SELECT d.id FROM {DOCUMENT_TABLE} AS d "
            f"WHERE d.vector @@ to_tsquery('simple', %s){conditions}"
        )
        arguments = [tsquery_expression(parsed), *params]
        with self.connection.cursor() as cursor:
            if self._few_matches(cursor, matches, arguments, offset + limit):
                statement = f"SELECT id FROM ({matches} OFFSET 0) AS m ORDER BY id DESC"
            else:
                statement = f"{matches} ORDER BY d.id DESC"
            cursor.execute(f"{statement} LIMIT %s OFFSET %s", [*arguments, limit, offset])
            return [int(row[0]) for row in cursor.fetchall()]

    def _few_matches(self, cursor: Any, matches: str, arguments: list[object], wanted: int) -> bool:
        """Whether reading the matches (the planner's estimate of their number, ``n``) and
        sorting them costs less than reading the index newest first until ``wanted`` of
        them are found (about ``wanted × total / n`` rows, each checked): ``n² < wanted ×
        total``. Both reads cost about the same a row (a vector read and checked)."""
        cursor.execute(f"EXPLAIN (FORMAT JSON) {matches}", arguments)
        plan = cursor.fetchone()[0]
        if isinstance(plan, str):
            plan = json.loads(plan)
        estimated = float(plan[0]["Plan"]["Plan Rows"])
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [DOCUMENT_TABLE])
        row = cursor.fetchone()
        total = max(float(row[0]) if row else 0.0, 0.0)
        return estimated * estimated < wanted * total

    def _filters(self, filters: Filters) -> tuple[list[str], list[object]]:
        """The filters, as conditions on ``d`` (the document table)."""
        where: list[str] = []
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
        if filters.after_id is not None:
            where.append("d.id > %s")
            params.append(filters.after_id)
        return where, params

    def _candidates(
        self,
        parsed: ParsedQuery,
        filters: Filters,
        idfs: list[float],
        limit: int,
        *,
        narrow: bool = False,
    ) -> tuple[int, list[tuple[int, float]], float | None]:
        # The SQLite backend's stage one: per word, the stories holding its stem or exact
        # form in the headline or summary (GIN on head, head_exact: small vectors, so the
        # field of each is read from the row cheaply) and those holding its exact form
        # anywhere (GIN on exact), summed per story and word into the same bit fields;
        # narrow, the pool is the first sets only.
        queries = ["to_tsquery('simple', %s) AS m"]
        query_params: list[object] = [tsquery_expression(parsed)]
        # One word without phrases or exclusions: every story in its sets matches it.
        alone = len(parsed.terms) == 1 and not parsed.phrases and not parsed.excluded
        within = "" if alone else " AND d.vector @@ q.m"
        where, where_params = self._filters(filters)
        conditions = "".join(f" AND {condition}" for condition in where)
        columns = "d.id, d.published_at, d.headline_norm, d.summary_norm, d.body_norm"
        sets: list[str] = []
        for i, stems in enumerate(parsed.terms):
            exact = parsed.exact_of(i)
            names = ("s", "x", "hs", "ss", "he", "se")
            queries += [f"to_tsquery('simple', %s) AS {name}{i}" for name in names]
            query_params += [
                _any_of([_lexeme(t) for t in stems]),
                _any_of([_lexeme(t) for t in exact]),
                in_field(stems, "A"),
                in_field(stems, "B"),
                in_field(exact, "A"),
                in_field(exact, "B"),
            ]
            bits = " + ".join(
                f"(CASE WHEN d.{column} @@ q.{name}{i} THEN {bit} ELSE 0 END)"
                for column, name, bit in (
                    ("head_exact", "he", _HEADLINE_EXACT),
                    ("head", "hs", _HEADLINE_STEM),
                    ("head_exact", "se", _SUMMARY_EXACT),
                    ("head", "ss", _SUMMARY_STEM),
                )
            )
            sets.append(
                f"SELECT {columns}, {i} AS word, {bits} AS bit FROM {DOCUMENT_TABLE} AS d, q "
                f"WHERE (d.head @@ q.s{i} OR d.head_exact @@ q.x{i}){within}{conditions}"
            )
        words = range(len(parsed.terms))
        # Narrow, a word's exact-anywhere set is read only within the pool, for the bounds'
        # body levels.
        in_heads = " OR ".join(f"d.head @@ q.s{i} OR d.head_exact @@ q.x{i}" for i in words)
        for i in words:
            heads = f" AND ({in_heads})" if narrow else ""
            sets.append(
                f"SELECT {columns}, {i} AS word, {_EXACT_ANYWHERE} AS bit "
                f"FROM {DOCUMENT_TABLE} AS d, q "
                f"WHERE d.exact @@ q.x{i}{heads}{within}{conditions}"
            )
        sums = ", ".join(f"SUM(CASE word WHEN {i} THEN bit ELSE 0 END) AS b{i}" for i in words)
        levels = [
            [
                level_case(
                    f"(f.b{i} & {_HEADLINE_EXACT}) <> 0", f"(f.b{i} & {_HEADLINE_STEM}) <> 0"
                ),
                level_case(f"(f.b{i} & {_SUMMARY_EXACT}) <> 0", f"(f.b{i} & {_SUMMARY_STEM}) <> 0"),
                level_case(f"(f.b{i} & {_EXACT_ANYWHERE}) <> 0", "TRUE"),
            ]
            for i in words
        ]
        mask = _NARROW_POOL if narrow else _POOL
        pooled = " OR ".join(f"(f.b{i} & {mask}) <> 0" for i in words)
        bound, bound_params = score_sql(levels, [f"f.{norm}" for norm in _NORMS], idfs)
        q = f"q AS (SELECT {', '.join(queries)})"
        sql = (
            f"WITH {q}, f AS (SELECT id, published_at, {', '.join(_NORMS)}, {sums} "
            f"FROM ({' UNION ALL '.join(sets)}) AS s "
            f"GROUP BY id, published_at, {', '.join(_NORMS)}) "
            f"SELECT f.id, {bound} AS bound, COUNT(*) OVER () FROM f WHERE {pooled} "
            "ORDER BY bound DESC, f.published_at DESC, f.id DESC LIMIT %s"
        )
        set_params = where_params * len(sets)
        count_sql = (
            f"WITH {q} SELECT COUNT(*) FROM {DOCUMENT_TABLE} AS d, q "
            f"WHERE d.vector @@ q.m{conditions}"
        )
        with self.connection.cursor() as cursor:
            cursor.execute(sql, [*query_params, *set_params, *bound_params, limit])
            rows = cursor.fetchall()
            cursor.execute(count_sql, [*query_params, *where_params])
            total = int(cursor.fetchone()[0])
        considered = int(rows[0][2]) if rows else 0
        level = EXACT_LEVEL if narrow else STEM_LEVEL
        rest = body_only_bound(idfs, level) if total > considered else None
        return total, [(int(row[0]), float(row[1])) for row in rows], rest

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
                # The headline and summary from their own small vectors (head, head_exact).
                exact_vector, stem_vector = (
                    ("exact", "vector") if f == 2 else ("head_exact", "head")
                )
                word_levels.append(
                    level_case(f"d.{exact_vector} @@ q.e{i}_{f}", f"d.{stem_vector} @@ q.s{i}_{f}")
                )
            levels.append(word_levels)
        more, params = self._filters(filters)
        where = ["d.vector @@ q.m", *more]
        if ids is not None:  # the second stage of _ranked
            where.append("d.id = ANY(%s)")
            params.append(ids)
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
