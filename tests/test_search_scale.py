"""A query matching a large share of the archive (issue 19): ranked among its newest matches,
with a word's number of stories estimated past a bound, on both backends. The bounds are set
small here so a few documents cross them; `python -m bench archive` measures them at a
million stories. A query under the bounds is ranked exactly as before (the contract and
relevance suites).
"""

from __future__ import annotations

import datetime

import pytest
from postgres import pg_alias  # noqa: F401 (a fixture)

from khabar.search.backends import PostgresBackend, SearchBackend, SqliteBackend, base
from khabar.search.documents import SearchDocument
from khabar.search.query import parse_query

pytestmark = [
    pytest.mark.django_db(databases="__all__"),
    pytest.mark.xdist_group("postgres"),
]

T0 = datetime.datetime(2024, 5, 1, 8, 0, tzinfo=datetime.UTC)


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request, pg_alias) -> SearchBackend:  # noqa: F811
    if request.param == "sqlite":
        return SqliteBackend("default")
    return PostgresBackend(pg_alias)


def doc(doc_id: int, headline: str, body: str = "", lang: str = "ar") -> SearchDocument:
    return SearchDocument(
        id=doc_id,
        lang=lang,
        section_id=1,
        published_at=T0 + datetime.timedelta(hours=doc_id),
        headline=headline,
        summary="",
        body=body,
    )


@pytest.fixture
def harbour(backend):
    """Ten stories holding ميناء (the oldest in its headline, the best match of all) and
    two that do not."""
    backend.add_bulk(
        [
            doc(1, "ميناء جديد في الشمال", "افتتح الميناء اليوم."),
            *(doc(n, f"خبر رقم {n}", "وصلت سفينة إلى الميناء صباحا.") for n in range(2, 10)),
            doc(10, "ميناء العاصمة يستقبل السفن", "قال المدير إن الميناء جاهز."),
            doc(11, "مباراة كرة القدم", "فاز المنتخب."),
            doc(12, "أسعار القمح", "ارتفعت الأسعار."),
        ]
    )
    return backend


def test_it_ranks_a_query_matching_more_than_the_window_among_its_newest_matches(
    harbour, monkeypatch
):
    monkeypatch.setattr(base, "WINDOW", 4)
    results = harbour.search("ميناء")
    # The four newest matches (7 to 10), best first: 10 has the word in its headline; the
    # oldest story's headline match is outside the window.
    assert results.ids[0] == 10
    assert sorted(results.ids) == [7, 8, 9, 10]
    assert results.total == 4
    assert results.more


def test_it_orders_the_window_newest_first_when_asked(harbour, monkeypatch):
    monkeypatch.setattr(base, "WINDOW", 4)
    results = harbour.search("ميناء", order="newest")
    assert results.ids == [10, 9, 8, 7]
    assert results.more


def test_it_ranks_every_match_when_they_fit_in_the_window(harbour, monkeypatch):
    monkeypatch.setattr(base, "WINDOW", 10)
    results = harbour.search("ميناء", per_page=20)
    assert (results.total, results.more) == (10, False)
    # The oldest story, the best match of all (the shorter headline), is first again.
    assert sorted(results.ids[:2]) == [1, 10]
    assert results.ids[0] == 1
    assert sorted(results.ids) == list(range(1, 11))


def test_it_takes_the_window_within_the_filters(backend, monkeypatch):
    monkeypatch.setattr(base, "WINDOW", 2)
    backend.add_bulk(
        [
            doc(1, "ميناء", lang="fa"),
            doc(2, "ميناء", lang="fa"),
            doc(3, "ميناء", lang="fa"),
            *(doc(n, "ميناء") for n in range(4, 9)),
        ]
    )
    results = backend.search("ميناء", lang="fa")
    assert sorted(results.ids) == [2, 3]
    assert (results.total, results.more) == (2, True)
    assert backend.search("ميناء", lang="fa", page=2, per_page=1).ids == [2]


def test_it_applies_exclusions_and_phrases_inside_the_window(harbour, monkeypatch):
    monkeypatch.setattr(base, "WINDOW", 3)
    # Nine matches without the word سفينة (1 and 10), then the newest three of the rest.
    results = harbour.search("ميناء -سفينة")
    assert (sorted(results.ids), results.more) == ([1, 10], False)
    results = harbour.search('"وصلت سفينة"')
    assert (sorted(results.ids), results.total, results.more) == ([7, 8, 9], 3, True)


def test_it_counts_a_word_exactly_up_to_the_bound_and_estimates_past_it(backend, monkeypatch):
    monkeypatch.setattr(base, "COUNTED", 3)
    monkeypatch.setattr(base, "SAMPLE", 4)
    if isinstance(backend, PostgresBackend):
        from khabar.search.backends import postgres

        monkeypatch.setattr(postgres, "COUNTED", 3)
        monkeypatch.setattr(postgres, "SAMPLE", 4)
    # ميناء in the 6 oldest of 12 stories, and in 3 of the 4 newest; قمح in 2.
    backend.add_bulk(
        [
            *(doc(n, "ميناء") for n in range(1, 7)),
            *(doc(n, "قمح") for n in range(7, 9)),
            doc(9, "خبر"),
            *(doc(n, "ميناء") for n in range(10, 13)),
        ]
    )
    total, matching = backend.frequencies(parse_query("ميناء قمح", lang="ar"))
    assert total == 12
    # Held by 9: past the bound, estimated from the newest 4 (3 hold it): 12 × 3 / 4.
    assert matching == [9, 2]


def test_it_estimates_no_fewer_than_the_bound_nor_more_than_the_index():
    assert base.estimate(1000, 20, 0, 100) == 21
    assert base.estimate(1000, 20, 100, 100) == 1000
    assert base.estimate(1000, 20, 37, 100) == 370


def test_it_gives_the_same_ids_without_highlighting(harbour, monkeypatch):
    monkeypatch.setattr(base, "WINDOW", 4)
    plain = harbour.search("ميناء", per_page=500, highlight=False)
    assert plain.ids == harbour.search("ميناء", per_page=500).ids
    assert all(hit.snippet_html == "" for hit in plain.hits)


# -- the desk's typed search of stories readers cannot see (trigram index, migration 0007) --


@pytest.fixture
def drafts(django_capture_on_commit_callbacks):
    from khabar.test import make_article

    with django_capture_on_commit_callbacks(execute=True):
        return {
            "draft": make_article(publish=False, headline="Draft about ZANZIBAR ports"),
            "body": make_article(publish=False, headline="مسودة", body="عن ميناء زنجبار اليوم"),
            "live": make_article(headline="Live story about Zanzibar"),
        }


def typed(term: str) -> list[int]:
    from khabar.search.desk import typed_story_ids

    return typed_story_ids(term)


def test_it_finds_a_draft_by_any_part_of_its_text_as_typed(drafts):
    assert typed("zanzibar") == [drafts["draft"].pk]  # ASCII case folded, as icontains does
    assert typed("نجبا") == [drafts["body"].pk]  # inside a word
    assert typed("ميناء زنجبار") == [drafts["body"].pk]  # across words
    assert typed("زنجبار ميناء") == []  # the trigrams are all there, the text is not
    assert typed("50%") == []


def test_it_finds_a_short_term_by_reading_the_stories_held(drafts):
    assert typed("عن") == [drafts["body"].pk]
    assert sorted(typed("a")) == sorted([drafts["draft"].pk])


def test_it_follows_a_story_in_and_out_of_the_index(drafts, django_capture_on_commit_callbacks):
    from khabar.articles import actions
    from khabar.test import SYSTEM

    draft, live = drafts["draft"], drafts["live"]
    with django_capture_on_commit_callbacks(execute=True):
        actions.update_article(draft, actor=SYSTEM, base_revision=None, headline="Draft on Pemba")
    assert typed("zanzibar") == []
    assert typed("pemba") == [draft.pk]
    with django_capture_on_commit_callbacks(execute=True):
        actions.publish_article(draft, actor=SYSTEM)
        actions.withdraw_article(live, actor=SYSTEM, reason="خطأ")
    assert typed("pemba") == []  # live now: the search index finds it
    assert typed("zanzibar") == [live.pk]
    live.delete()
    assert typed("zanzibar") == []
