"""Issue 16's cases on both backends, and the Arabic relevance set (search/data/relevance_ar).

Small stories, so the suite stays fast; the large runs and their numbers are in
`python -m bench relevance` (bench/RESULTS.md).
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest
from postgres import pg_alias  # noqa: F401 (a fixture)

from khabar.search import ranking
from khabar.search.actions import save_name_variant
from khabar.search.backends import PostgresBackend, SearchBackend, SqliteBackend
from khabar.search.documents import SearchDocument
from khabar.search.models import NameVariant

pytestmark = [
    pytest.mark.django_db(databases="__all__"),
    pytest.mark.xdist_group("postgres"),
]

T0 = datetime.datetime(2024, 5, 1, 8, 0, tzinfo=datetime.UTC)
SET = Path(__file__).resolve().parent.parent / "khabar" / "search" / "data" / "relevance_ar"


@pytest.fixture
def backends(pg_alias) -> list[SearchBackend]:  # noqa: F811
    return [SqliteBackend("default"), PostgresBackend(pg_alias)]


def doc(doc_id: int, headline: str, body: str = "", summary: str = "", days: int = 0):
    return SearchDocument(
        id=doc_id,
        lang="ar",
        section_id=1,
        published_at=T0 + datetime.timedelta(days=days, hours=doc_id),
        headline=headline,
        summary=summary,
        body=body,
    )


def first_ids(backends: list[SearchBackend], query: str) -> list[list[int]]:
    found = [b.search(query, lang="ar", per_page=20).ids for b in backends]
    assert found[0] == found[1], query  # one ranking: the same order on both backends
    return found


def add(backends: list[SearchBackend], docs: list[SearchDocument]) -> None:
    for b in backends:
        b.add_bulk(docs)


def test_it_finds_abha_before_father(backends):
    add(
        backends,
        [doc(i, "زيارة الأب إلى المدينة", "قال الأب إنه سعيد.", days=5) for i in range(1, 6)],
    )
    add(backends, [doc(10, "افتتاح مطار أبها الجديد", "وصل الوفد إلى أبها صباحا.")])
    (ids, _) = first_ids(backends, "أبها")
    assert ids == [10]


def test_it_keeps_jizan_apart_from_giza_and_finds_its_other_spelling(backends):
    add(backends, [doc(i, "أهرامات الجيزة تستقبل الزوار", days=5) for i in range(1, 6)])
    add(backends, [doc(10, "أمطار غزيرة في جازان"), doc(11, "مطار جيزان يستأنف رحلاته")])
    for query in ["جيزان", "جازان"]:
        (ids, _) = first_ids(backends, query)
        assert sorted(ids) == [10, 11], query
    (ids, _) = first_ids(backends, "الجيزة")
    assert ids == [5, 4, 3, 2, 1]


def test_it_never_drops_haia_from_a_query(backends):
    add(backends, [doc(i, "هي قالت إن الأمم ستجتمع", days=5) for i in range(1, 6)])
    add(backends, [doc(10, "هيئة الأمم المتحدة تجتمع")])
    (ids, _) = first_ids(backends, "هيئة الأمم")
    assert ids == [10]
    (ids, _) = first_ids(backends, "هيئة")
    assert ids == [10]


def test_it_keeps_forgiveness_apart_from_page(backends):
    add(
        backends, [doc(i, "الصفحة الأولى من الصحيفة", "في صفحة الرأي", days=5) for i in range(1, 8)]
    )
    add(backends, [doc(10, "دعوة إلى الصفح والتسامح")])
    (ids, _) = first_ids(backends, "الصفح")
    assert ids == [10]


def test_it_ranks_a_rare_word_typed_above_common_look_alikes(backends):
    # مسير ("march") shared its old stem with مسيرة ("procession"), far more common.
    add(backends, [doc(i, "مسيرة حاشدة في المدينة", "انطلقت المسيرة", days=5) for i in range(1, 9)])
    add(backends, [doc(10, "ذكرى قديمة", "تحدث عن مسير الجنود في الصحراء.")])
    (ids, _) = first_ids(backends, "مسير")
    assert ids[0] == 10


def test_it_weighs_headline_above_summary_above_body_and_then_newer_first(backends):
    add(
        backends,
        [
            doc(1, "خبر", body="تقرير عن الزعفران", days=9),
            doc(2, "خبر", summary="الزعفران", days=8),
            doc(3, "الزعفران", days=0),
            doc(4, "الزعفران", days=1),
        ],
    )
    (ids, _) = first_ids(backends, "زعفران")
    assert ids == [4, 3, 2, 1]


def test_it_finds_a_phrase_in_order_and_excludes_a_word(backends):
    add(
        backends,
        [
            doc(1, "وقف إطلاق النار في غزة"),
            doc(2, "وقف إطلاق النار في لبنان"),
            doc(3, "إطلاق النار بعد وقف المفاوضات"),
        ],
    )
    (ids, _) = first_ids(backends, '"وقف إطلاق النار"')
    assert sorted(ids) == [1, 2]
    (ids, _) = first_ids(backends, '"وقف إطلاق النار" -غزة')
    assert ids == [2]


def test_it_finds_the_name_before_its_relatives(backends):
    add(backends, [doc(i, "حمد يفوز بالجائزة", days=5) for i in range(1, 6)])
    add(backends, [doc(10, "الشيخ حمدان يفتتح المعرض")])
    (ids, _) = first_ids(backends, "حمدان")
    assert ids == [10]


def test_it_applies_a_variant_the_desk_adds(backends, people):
    add(backends, [doc(1, "زيارة إلى مدينة قم"), doc(2, "زيارة إلى مدينة كوم")])
    (ids, _) = first_ids(backends, "قم")
    assert ids == [1]
    save_name_variant(NameVariant(spellings="قم كوم"), actor=people["chief"])
    (ids, _) = first_ids(backends, "قم")
    assert sorted(ids) == [1, 2]


def test_it_explains_each_hit_with_the_score_the_backend_gave(backends):
    add(backends, [doc(1, "مطار جازان", "في جيزان"), doc(2, "خبر", "عن جيزان")])
    for b in backends:
        hits = b.search("جيزان", lang="ar", explain=True).hits
        for hit in hits:
            assert hit.explanation is not None
            assert hit.explanation.score == pytest.approx(hit.score, rel=1e-9)
        (word,) = hits[0].explanation.words
        assert word.fields == ("variant", "", "exact")


def load_set() -> tuple[list[SearchDocument], dict[str, int], list[tuple[str, str]]]:
    documents, keys = [], {}
    lines = (SET / "stories.jsonl").read_text(encoding="utf-8").splitlines()
    for doc_id, line in enumerate(lines, start=1):
        record = json.loads(line)
        keys[record["key"]] = doc_id
        documents.append(
            SearchDocument(
                id=doc_id,
                lang="ar",
                section_id=1,
                published_at=datetime.datetime.fromisoformat(record["published"]),
                headline=record["headline"],
                summary=record["summary"],
                body=record["body"],
            )
        )
    cases = []
    for line in (SET / "queries.tsv").read_text(encoding="utf-8").splitlines()[1:]:
        query, target, *_rest = line.split("\t")
        cases.append((query, target))
    return documents, keys, cases


def test_the_relevance_set_is_large_enough_and_judged():
    documents, keys, cases = load_set()
    assert len(documents) >= 1500
    assert len(cases) >= 100
    assert all(target in keys for _query, target in cases)


def test_both_backends_rank_the_relevance_set_alike_and_well(backends):
    documents, keys, cases = load_set()
    add(backends, documents)
    first = top3 = 0
    for query, target in cases:
        (ids, _) = first_ids(backends, query)
        first += ids[:1] == [keys[target]]
        top3 += keys[target] in ids[:3]
    assert first / len(cases) >= 0.75
    assert top3 / len(cases) >= 0.92


def test_the_contract_score_is_bm25_like():
    assert ranking.field_norm("body", 0) == 0
    assert ranking.field_norm("body", 100) > ranking.field_norm("body", 1000)
    assert ranking.idf(1, 1000) > ranking.idf(500, 1000) > 0


@pytest.mark.parametrize("narrow_first", [False, True])
def test_two_stages_give_the_one_stage_order(backends, monkeypatch, narrow_first):
    from khabar.search.backends import base
    from khabar.search.ranking import idf

    documents, _keys, cases = load_set()
    add(backends, documents)
    # A small candidate set, so the set's queries take the two-stage path and its bound
    # check (and fallback) both run; stage one narrow first (headline and summary only)
    # or not, on both backends.
    monkeypatch.setattr(base, "CANDIDATES", 12)
    for b in backends:
        monkeypatch.setattr(b, "_narrow_first", lambda parsed, needed: narrow_first)
        for query, _target in cases:
            parsed = b.search(query, lang="ar").query
            total_docs, matching = b.frequencies(parsed)
            idfs = [idf(n, total_docs) for n in matching]
            filters = base.Filters("ar")
            for page in (0, 10):
                one = b._search(parsed, filters, "relevance", 10, page, idfs)
                two = b._ranked(parsed, filters, 10, page, idfs, [999] * len(matching))
                assert two == one, (b.vendor, query, page)
