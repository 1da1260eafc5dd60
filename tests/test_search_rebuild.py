"""A rebuild builds a new index beside the live one and swaps it in (issue 19): searches
answer from the whole old index until the swap, then from the whole new one, on both
backends; what changed meanwhile is caught up in the swap; the swapped-in tables keep the
live ones' indexes."""

from __future__ import annotations

import pytest
from postgres import pg_alias  # noqa: F401 (a fixture)
from test_search_contract import doc

from khabar.search.backends import PostgresBackend, SearchBackend, SqliteBackend
from khabar.search.backends.base import DOCUMENT_TABLE
from khabar.search.documents import FIELDS

pytestmark = [
    pytest.mark.django_db(databases="__all__"),
    pytest.mark.xdist_group("postgres"),
]


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request, pg_alias) -> SearchBackend:  # noqa: F811
    if request.param == "sqlite":
        return SqliteBackend("default")
    return PostgresBackend(pg_alias)


def index_names(backend: SearchBackend) -> list[str]:
    with backend.connection.cursor() as cursor:
        if backend.vendor == "postgresql":
            cursor.execute(
                "SELECT indexname FROM pg_indexes WHERE tablename = %s", [DOCUMENT_TABLE]
            )
        else:
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = %s",
                [DOCUMENT_TABLE],
            )
        return sorted(row[0] for row in cursor.fetchall())


def test_it_answers_from_the_old_index_until_the_new_one_is_swapped_in(backend):
    backend.add_bulk([doc(1, "قمة في موسكو"), doc(2, "قمة في الرياض"), doc(3, "زلزال")])
    indexes = index_names(backend)
    backend.start_rebuild()
    # The new index says other things about the same stories.
    backend.add_new([doc(1, "اتفاق في موسكو"), doc(2, "قمة في الرياض")])
    assert sorted(backend.search("قمة").ids) == [1, 2]  # the old index, whole
    assert backend.search("اتفاق").ids == []
    assert backend.search("زلزال").ids == [3]

    def catch_up(table):
        assert table.startswith(DOCUMENT_TABLE) and table != DOCUMENT_TABLE
        # Story 4 was published and story 2 withdrawn while the rebuild ran.
        backend.update_new([doc(4, "فيضان في الرياض")], [2])

    backend.swap(catch_up)
    assert backend.search("قمة").ids == []
    assert backend.search("اتفاق").ids == [1]
    assert backend.search("الرياض").ids == [4]
    assert backend.search("زلزال").ids == []  # not in the new index: no longer live
    assert backend.count() == 2
    assert index_names(backend) == indexes
    # The live index takes writes as before.
    backend.add(doc(5, "قمة جديدة"))
    assert backend.search("قمة").ids == [5]


def test_it_leaves_the_live_index_as_it_was_when_a_rebuild_is_abandoned(backend):
    backend.add_bulk([doc(1, "قمة في موسكو")])
    backend.start_rebuild()
    backend.add_new([doc(1, "اتفاق")])
    backend.abort_rebuild()
    assert backend.search("قمة").ids == [1]
    backend.start_rebuild()  # and a new rebuild starts from nothing
    backend.add_new([doc(1, "اتفاق")])
    backend.swap(lambda table: None)
    assert backend.search("اتفاق").ids == [1]


def test_a_story_forgotten_during_a_rebuild_is_in_neither_index(backend):
    backend.add_bulk([doc(1, "قمة في موسكو"), doc(2, "قمة في الرياض")])
    backend.forget(1)  # no rebuild running: the live index only
    assert backend.search("قمة").ids == [2]
    backend.add_bulk([doc(1, "قمة في موسكو")])
    backend.start_rebuild()
    backend.add_new([doc(1, "قمة في موسكو"), doc(2, "قمة في الرياض")])
    backend.forget(2)  # deleted while the rebuild runs
    assert backend.search("قمة").ids == [1]
    backend.swap(lambda table: None)
    assert backend.search("قمة").ids == [1]
    assert backend.search("الرياض").ids == []


def test_postgres_vectors_built_in_python_are_the_databases_own(pg_alias):  # noqa: F811
    # The vectors written from tsvector text (postgres._literals) against the database's
    # own to_tsvector of the same analysed fields, on the relevance stories and edge cases.
    from khabar.search import relevance
    from khabar.search.backends import postgres

    docs = list(relevance.documents().values())
    docs += [
        doc(9001, "Reuters: Iran's 2nd talks, 1st round", "CPU 100% u.s. e-mail 3.5 x_y"),
        doc(9002, "", "كلمة " * 300, summary="ملخص قصير ١٢٣"),
        doc(9003, "Ελλάδα Москва İstanbul straße", "ÀÉÎ naïve"),
        doc(9004, "", "", summary=""),
        doc(9005, "abc١٢٣ ب2 ۴۵", "tab\tnew\nline"),
    ]
    backend = PostgresBackend(pg_alias)
    backend.add_bulk(docs)
    built_here = 0
    with backend.connection.cursor() as cursor:
        for document in docs:
            fields = document.fields
            built_here += postgres.vector_params(fields)[0] is not None
            # Stems (vector, head), then exact forms (exact, head_exact), per field.
            expected = [fields[name][column] for column in (0, 1) for name in FIELDS]
            cursor.execute(
                f"SELECT vector = setweight(to_tsvector('simple', %s), 'A') "
                "|| setweight(to_tsvector('simple', %s), 'B') "
                "|| setweight(to_tsvector('simple', %s), 'C'), "
                "exact = setweight(to_tsvector('simple', %s), 'A') "
                "|| setweight(to_tsvector('simple', %s), 'B') "
                "|| setweight(to_tsvector('simple', %s), 'C'), "
                "head = setweight(to_tsvector('simple', %s), 'A') "
                "|| setweight(to_tsvector('simple', %s), 'B'), "
                "head_exact = setweight(to_tsvector('simple', %s), 'A') "
                "|| setweight(to_tsvector('simple', %s), 'B') "
                f"FROM {DOCUMENT_TABLE} WHERE id = %s",
                [*expected, *expected[0:2], *expected[3:5], document.id],
            )
            assert cursor.fetchone() == (True, True, True, True), document.id
    # Most stories are built in Python (Arabic text); the edge cases may not be.
    assert built_here >= len(docs) - 5


def test_postgres_rows_copied_are_the_rows_inserted(pg_alias):  # noqa: F811
    # New documents go in by COPY, those already there by the upserting INSERT: a story
    # indexed again holds the row it would hold written afresh, and is found by its new
    # words only.
    backend = PostgresBackend(pg_alias)
    first = [doc(9101, "وزير الخارجية", "زار الوزير موسكو"), doc(9102, "أمطار", "فيضان")]
    again = [doc(9101, "وزير الداخلية", "زار الوزير القاهرة"), doc(9103, "زلزال", "هزة")]
    backend.reset()
    backend.add_bulk(first)
    backend.add_bulk(again)  # 9101 replaced, 9103 new
    columns = "id, lang, section_id, published_at, headline, summary, body, headline_norm, "
    columns += "summary_norm, body_norm, vector, exact, head, head_exact"

    def rows() -> list[tuple[object, ...]]:
        with backend.connection.cursor() as cursor:
            cursor.execute(f"SELECT {columns} FROM {DOCUMENT_TABLE} WHERE id <> 9102 ORDER BY id")
            return cursor.fetchall()

    updated = rows()
    backend.reset()
    backend.add_bulk(again)
    assert updated == rows()
    assert backend.count() == 2
    backend.add_bulk(first[1:])
    assert backend.search("القاهرة", lang="ar").ids == [9101]
    assert backend.search("موسكو", lang="ar").ids == []
