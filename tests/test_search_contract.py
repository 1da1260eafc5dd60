"""The search backend contract: every backend passes the same tests.

Runs against SQLite FTS5 (the test database) and a real PostgreSQL server that the tests
start (tests/postgres.py), with small data; the speed runs are in `make bench`.
"""

from __future__ import annotations

import datetime

import pytest
from postgres import pg_alias  # noqa: F401 (a fixture)

from khabar.search import relevance
from khabar.search.backends import PostgresBackend, SearchBackend, SqliteBackend, get_backend
from khabar.search.documents import SearchDocument

pytestmark = [
    pytest.mark.django_db(databases="__all__"),
    pytest.mark.xdist_group("postgres"),
]

UTC = datetime.UTC
T0 = datetime.datetime(2024, 5, 1, 8, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request, pg_alias) -> SearchBackend:  # noqa: F811
    if request.param == "sqlite":
        return SqliteBackend("default")
    return PostgresBackend(pg_alias)


@pytest.fixture
def backends(pg_alias) -> list[SearchBackend]:  # noqa: F811
    return [SqliteBackend("default"), PostgresBackend(pg_alias)]


def doc(doc_id: int, headline: str, body: str = "", **fields: object) -> SearchDocument:
    values: dict[str, object] = {
        "lang": "ar",
        "section_id": 1,
        "published_at": T0 + datetime.timedelta(hours=doc_id),
        "summary": "",
    }
    values.update(fields)
    return SearchDocument(id=doc_id, headline=headline, body=body, **values)  # type: ignore[arg-type]


def test_it_picks_the_backend_from_the_database_vendor():
    assert isinstance(get_backend(), SqliteBackend)


def test_it_finds_a_story_whichever_way_the_word_is_written(backend):
    backend.add(doc(1, "عقوبات أميركية جديدة على إيران", "قال الوزير إن والمقاومة مستمرة."))
    backend.add(doc(2, "مباراة كرة القدم", "فاز المنتخب."))
    for query in ["الأمريكية", "أمريكية", "العقوبات", "المقاومة", "الوزير", "إيران"]:
        assert backend.search(query).ids == [1], query


def test_it_ands_the_words_of_a_query(backend):
    backend.add_bulk([doc(1, "وزير الخارجية في موسكو"), doc(2, "وزير النفط في الرياض")])
    assert backend.search("وزير موسكو").ids == [1]
    assert sorted(backend.search("وزير").ids) == [1, 2]


def test_it_ranks_a_headline_match_above_a_body_match(backend):
    backend.add_bulk(
        [
            doc(1, "أخبار الطقس", "تحدث التقرير عن الزلزال في سطر واحد بين أخبار أخرى كثيرة."),
            doc(2, "زلزال يضرب المدينة", "تحدث التقرير عن أضرار في سطر واحد."),
        ]
    )
    assert backend.search("زلزال").ids == [2, 1]


def test_it_replaces_a_document_added_again(backend):
    backend.add(doc(1, "نص قديم عن القمح"))
    backend.add(doc(1, "نص جديد عن الذرة"))
    assert backend.search("القمح").total == 0
    assert backend.search("الذرة").ids == [1]
    assert backend.count() == 1


def test_it_deletes_and_resets(backend):
    backend.add_bulk([doc(1, "الفرات"), doc(2, "الفرات والنيل")])
    backend.delete(1)
    backend.delete(99)  # not there: not an error
    assert backend.search("الفرات").ids == [2]
    backend.reset()
    assert backend.search("الفرات").total == 0
    assert backend.count() == 0


def test_it_filters_by_edition_section_and_date(backend):
    backend.add_bulk(
        [
            doc(1, "طهران اليوم", published_at=T0),
            doc(2, "طهران غدا", section_id=2, published_at=T0 + datetime.timedelta(days=1)),
            doc(3, "طهران بعد غد", lang="fa", published_at=T0 + datetime.timedelta(days=2)),
        ]
    )
    assert sorted(backend.search("طهران").ids) == [1, 2, 3]
    assert sorted(backend.search("طهران", lang="ar").ids) == [1, 2]
    assert backend.search("طهران", lang="ar", section=2).ids == [2]
    day2 = T0 + datetime.timedelta(days=1)
    assert sorted(backend.search("طهران", date_from=day2).ids) == [2, 3]
    assert backend.search("طهران", date_to=day2).ids == [1]
    assert backend.search(
        "طهران", date_from=day2, date_to=day2 + datetime.timedelta(days=1)
    ).ids == [2]


def test_it_pages_and_counts(backend):
    backend.add_bulk([doc(i, f"خبر عن بغداد رقم {i}") for i in range(1, 26)])
    first = backend.search("بغداد", order="newest", per_page=10)
    third = backend.search("بغداد", order="newest", per_page=10, page=3)
    beyond = backend.search("بغداد", order="newest", per_page=10, page=9)
    assert first.total == third.total == beyond.total == 25
    assert first.ids == list(range(25, 15, -1))
    assert third.ids == [5, 4, 3, 2, 1]
    assert beyond.hits == []


def test_it_orders_newest_first_when_asked(backend):
    backend.add_bulk(
        [
            doc(1, "قمة في الكويت", published_at=T0),
            doc(2, "قمة", "نص طويل عن الكويت " * 20, published_at=T0 + datetime.timedelta(days=3)),
        ]
    )
    assert backend.search("الكويت", order="newest").ids == [2, 1]
    assert backend.search("الكويت").ids[0] == 1


def test_it_searches_a_phrase_in_quotes(backend):
    backend.add_bulk(
        [
            doc(1, "الأمم المتحدة تدعو إلى وقف إطلاق النار"),
            doc(2, "إطلاق سراح أسرى", "وقف العمل في النار"),
        ]
    )
    assert sorted(backend.search("وقف اطلاق النار").ids) == [1, 2]
    assert backend.search('"وقف اطلاق النار"').ids == [1]
    assert backend.search("«وقف إطلاق النار»").ids == [1]


def test_it_highlights_the_original_text_escaped(backend):
    backend.add(
        doc(
            1,
            "<b>الرَّئِيسُ</b> يستقبل السفير",
            "نص أول.\n\nاستقبل رئيس الجمهورية السفير & الوفد <script>x</script>.",
        )
    )
    (hit,) = backend.search("الرئيس السفير").hits
    assert hit.headline_html == "&lt;b&gt;<mark>الرَّئِيسُ</mark>&lt;/b&gt; يستقبل <mark>السفير</mark>"
    assert "<mark>السفير</mark> &amp; الوفد &lt;script&gt;" in hit.snippet_html
    assert "<script>" not in hit.snippet_html


def test_it_cuts_the_snippet_around_the_matches(backend):
    filler = " ".join(["كلام"] * 80)
    backend.add(doc(1, "عنوان", f"{filler} الزعفران في آخر النص {filler}"))
    (hit,) = backend.search("الزعفران").hits
    assert hit.snippet_html.startswith("… ")
    assert hit.snippet_html.endswith(" …")
    assert "<mark>الزعفران</mark>" in hit.snippet_html
    assert len(hit.snippet_html) < 400


@pytest.mark.parametrize(
    "query",
    [
        "",
        "   ",
        '"',
        '""',
        '"وقف',
        "(((",
        "))) AND OR NOT",
        "* ^ : - + NEAR(a b)",
        "؟!،.؛…",
        "'; DROP TABLE search_document; --",
        "\\",
        "\x00",
        "طهران" * 700,
        "طهران " * 400,
        "ـــ",
        "\u200f\u202e",
    ],
)
def test_it_never_fails_on_what_a_person_types(backend, query):
    backend.add(doc(1, "طهران"))
    results = backend.search(query)
    assert results.total >= 0
    assert backend.count() == 1


def test_it_returns_the_same_stories_on_both_backends(backends):
    documents = list(relevance.documents().values())
    for b in backends:
        b.add_bulk(documents)
    for case in relevance.cases():
        found = [sorted(b.search(case.query, per_page=50).ids) for b in backends]
        assert found[0] == found[1], case.query


@pytest.mark.parametrize("case", relevance.cases(), ids=lambda c: c.note)
def test_it_finds_every_relevance_case(backend, case):
    documents = relevance.documents()
    backend.add_bulk(documents.values())
    found = backend.search(case.query, lang="ar").ids
    for key in case.expected:
        assert documents[key].id in found[:3], (case.query, key, found)
