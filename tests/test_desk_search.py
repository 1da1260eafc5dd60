"""The desk's search lists the newest stories matching a term, not the best ranked (issue 19):
the list orders its stories itself, newest first, so ranking and counting every match chose
which 500 to show (and could leave the newest matches out of a list that starts with the
newest). ``SearchBackend.newest_ids`` reads them from the index, newest first, on both
backends, with the same spelling variants, phrases and exclusions as the reader search."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from postgres import pg_alias  # noqa: F401 (a fixture)
from test_search_contract import backend, doc  # noqa: F401 (backend: a fixture)

from khabar.articles.models import Article
from khabar.search import desk
from khabar.search.backends import PostgresBackend, SearchBackend
from khabar.test import make_article

pytestmark = [
    pytest.mark.django_db(databases="__all__"),
    pytest.mark.xdist_group("postgres"),
]


@pytest.fixture
def harbour(backend):  # noqa: F811
    return fill_harbour(backend)


def fill_harbour(backend: SearchBackend) -> SearchBackend:  # noqa: F811
    """Nine stories holding ميناء (the oldest in its headline, the best match of all), two
    of them also القمح, and two that hold neither."""
    backend.add_bulk(
        [
            doc(1, "ميناء جديد في الشمال", "افتتح الميناء اليوم."),
            *(doc(n, f"خبر رقم {n}", "وصلت سفينة إلى الميناء صباحا.") for n in range(2, 8)),
            doc(8, "شحنة القمح", "وصلت الشحنة إلى الميناء."),
            doc(9, "أسعار القمح", "ارتفعت الأسعار في الميناء."),
            doc(10, "مباراة كرة القدم", "فاز المنتخب."),
            doc(11, "أسعار القمح", "ارتفعت الأسعار."),
        ]
    )
    return backend


def test_it_gives_the_newest_matches_not_the_best(harbour):
    assert harbour.newest_ids("الميناء", limit=3) == [9, 8, 7]
    assert harbour.search("الميناء", per_page=1).ids == [1]  # the best is the oldest


def test_it_finds_what_the_reader_search_finds(harbour):
    for query in ["ميناء", "الميناء", "ميناء القمح", "ميناء -القمح", '"ميناء جديد"', "زلزال"]:
        found = harbour.search(query, per_page=50, highlight=False).ids
        assert harbour.newest_ids(query, limit=50) == sorted(found, reverse=True), query


def test_it_finds_nothing_for_no_words(harbour):
    assert harbour.newest_ids("", limit=5) == []
    assert harbour.newest_ids("!!", limit=5) == []


def test_it_lists_the_newest_matching_stories_on_the_desk(
    client, people, django_capture_on_commit_callbacks, monkeypatch
):
    with django_capture_on_commit_callbacks(execute=True):
        best = make_article(headline="الموانئ الموانئ", body="الموانئ.\n\nالموانئ.")
        newer = [make_article(headline=f"خبر {n}", body=f"عن الموانئ {n}.") for n in range(3)]
        draft = make_article(publish=False, headline="مسودة عن الموانئ")
    monkeypatch.setattr(desk, "DESK_LIMIT", 3)
    client.force_login(people["editor"])
    listed = client.get("/desk/articles/article/", {"q": "الموانئ"}).context["cl"].result_list
    assert {story.pk for story in listed} == {s.pk for s in newer} | {draft.pk}
    assert best.pk not in {story.pk for story in listed}


def test_it_neither_ranks_nor_counts_the_matches(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(5):
            make_article(headline=f"خبر عن الموانئ {n}")
    with CaptureQueriesContext(connection) as queries:
        found, _dups = desk.desk_search(Article.objects.all(), "الموانئ")
        assert len(found) == 5
    texts = [q["sql"] for q in queries.captured_queries]
    # No score, no count of the matches (ranking's), no idf (frequencies' count of
    # the documents).
    assert not [t for t in texts if "OVER ()" in t or "search_document)" in t], texts
    index_reads = [t for t in texts if "search_fts MATCH" in t]
    assert len(index_reads) == 1 and "ORDER BY m.rowid DESC LIMIT" in index_reads[0], texts


@pytest.mark.parametrize("few", [True, False], ids=["matches sorted", "newest first"])
def test_postgres_finds_the_same_newest_matches_by_either_read(
    pg_alias,  # noqa: F811
    few,
    monkeypatch,
):
    pg_backend = PostgresBackend(pg_alias)
    fill_harbour(pg_backend)
    monkeypatch.setattr(PostgresBackend, "_few_matches", lambda *args: few)
    with CaptureQueriesContext(pg_backend.connection) as queries:
        assert pg_backend.newest_ids("الميناء", limit=3) == [9, 8, 7]
    assert any("OFFSET 0) AS m" in q["sql"] for q in queries.captured_queries) is few
    for query in ["ميناء", "ميناء القمح", "ميناء -القمح", '"ميناء جديد"', "زلزال"]:
        found = pg_backend.search(query, per_page=50, highlight=False).ids
        assert pg_backend.newest_ids(query, limit=50) == sorted(found, reverse=True), query


def test_postgres_sorts_a_rare_words_matches_and_walks_a_common_words_index(
    pg_alias,  # noqa: F811
):
    # The planner's estimate decides: a word in 5 stories of 1,000 is read from the GIN
    # index and sorted; one in every story is read newest first, stopping at the 500th.
    pg_backend = PostgresBackend(pg_alias)
    pg_backend.add_bulk(
        doc(n, f"خبر {n}", "زلزال في الشمال." if n % 200 == 0 else "أمطار غزيرة.")
        for n in range(1, 1001)
    )
    with pg_backend.connection.cursor() as cursor:
        cursor.execute("ANALYZE search_document")
    with CaptureQueriesContext(pg_backend.connection) as queries:
        rare = pg_backend.newest_ids("زلزال", limit=500)
        common = pg_backend.newest_ids("خبر", limit=500)
    assert rare == [1000, 800, 600, 400, 200]
    assert common == list(range(1000, 500, -1))
    reads = [q["sql"] for q in queries.captured_queries if "@@" in q["sql"]]
    reads = [sql for sql in reads if not sql.startswith("EXPLAIN")]
    assert len(reads) == 2, reads
    assert "OFFSET 0) AS m" in reads[0] and "OFFSET 0) AS m" not in reads[1], reads
