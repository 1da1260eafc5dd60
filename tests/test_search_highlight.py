"""Snippets are cut from a bounded window: a long story is never analysed whole."""

from __future__ import annotations

from unittest import mock

from khabar.search import highlight
from khabar.search.query import parse_query


def analysed_length(text: str, query: str) -> tuple[str, int]:
    seen: list[int] = []
    real = highlight.analyze

    def counting(part: str, **kwargs: object):
        seen.append(len(part))
        return real(part, **kwargs)  # type: ignore[arg-type]

    with mock.patch.object(highlight, "analyze", counting):
        html = highlight.snippet(text, parse_query(query).all_terms)
    return html, sum(seen)


def test_it_analyses_a_bounded_window_of_a_long_story():
    filler = " ".join(["قال المتحدث إن الاجتماع انتهى دون اتفاق."] * 4000)  # ~160,000 chars
    text = f"{filler} وارتفع سعر الزعفران في الأسواق. {filler}"
    html, analysed = analysed_length(text, "الزعفران")
    assert "<mark>الزعفران</mark>" in html
    assert html.startswith("… ") and html.endswith(" …")
    assert analysed < 1000 < len(text)


def test_it_bounds_the_work_for_a_word_the_story_repeats():
    text = " ".join(["ارتفع سعر الزعفران اليوم."] * 20000)
    html, analysed = analysed_length(text, "الزعفران")
    assert "<mark>الزعفران</mark>" in html
    assert analysed < 3000


def test_it_finds_a_match_written_with_another_spelling_and_marks():
    text = " ".join(["كلام"] * 300) + " عقوبات على أمريكا والأمريكيين " + " ".join(["كلام"] * 300)
    html, analysed = analysed_length(text, "أميركا")
    assert "<mark>أمريكا</mark>" in html
    assert analysed < 1000


def test_it_gives_the_opening_words_without_a_match():
    text = " ".join(["كلام"] * 300)
    html, analysed = analysed_length(text, "الزعفران")
    assert html.startswith("كلام") and html.endswith(" …")
    assert analysed < 1000


def test_it_keeps_marks_on_vowelled_words():
    html, _ = analysed_length("استقبل الرَّئِيسُ السفير", "الرئيس")
    assert html == "استقبل <mark>الرَّئِيسُ</mark> السفير"
