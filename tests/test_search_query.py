"""Query parsing, the backends' query strings and highlighting: direct calls, table-driven."""

from __future__ import annotations

import pytest

from khabar.search.backends.postgres import tsquery_expression
from khabar.search.backends.sqlite import match_expression
from khabar.search.highlight import highlight, snippet
from khabar.search.query import MAX_TERMS, parse_query


@pytest.mark.parametrize(
    ("text", "terms", "phrases"),
    [
        ("", (), ()),
        ("؟!،", (), ()),
        ("أميركا", (("امريكا",),), ()),
        ("امريكا أمريكا", (("امريكا",),), ()),
        ("والمقاومة في جنين", (("مقاومه",), ("جنين",)), ()),
        ("في", (("في",),), ()),
        ('"وقف إطلاق النار"', (("وقف",), ("اطلاق",), ("نار",)), ((("وقف", "اطلاق", "نار"),),)),
        ('"جنين"', (("جنين",),), ()),
        ('"وقف اطلاق', (("وقف",), ("اطلاق",)), ()),
        ("«سعر الفائدة» البنك", (("سعر",), ("فايده",), ("بنك",)), ((("سعر", "فايده"),),)),
        ("NEAR(a* OR b)", (("near",), ("a",), ("or",), ("b",)), ()),
        ("٢٠٢٤ ۲۰۲۴", (("2024",),), ()),
    ],
)
def test_it_parses_queries(text, terms, phrases):
    parsed = parse_query(text)
    assert parsed.terms == terms
    assert parsed.phrases == phrases


def test_it_caps_the_number_of_terms():
    words = " ".join(f"كلمة{i}" for i in range(200))
    assert len(parse_query(words).terms) == MAX_TERMS


def test_it_offers_every_language_analysis_when_no_edition_is_given():
    (word,) = parse_query("طهران", lang=None).terms
    assert set(word) == {"طهران"}


@pytest.mark.parametrize(
    ("text", "fts5", "tsquery"),
    [
        ("عقوبات امريكا", '"عقوب" AND "امريكا"', "'عقوب' & 'امريكا'"),
        (
            '"سعر الفائدة"',
            '"سعر" AND "فايده" AND "سعر فايده"',
            "'سعر' & 'فايده' & ('سعر' <-> 'فايده')",
        ),
        ("طهران", '"طهران"', "'طهران'"),
        ("طهران -غزة", '"طهران"', "'طهران' & !'غزه'"),
    ],
)
def test_it_builds_quoted_backend_queries(text, fts5, tsquery):
    parsed = parse_query(text)
    assert match_expression(parsed) == fts5
    assert tsquery_expression(parsed) == tsquery


def test_it_ors_the_alternatives_of_a_word():
    parsed = parse_query("المقاومة", lang=None)
    assert match_expression(parsed) == '("مقاومه" OR "المقاومه")'
    assert tsquery_expression(parsed) == "('مقاومه' | 'المقاومه')"


@pytest.mark.parametrize(
    ("text", "terms", "html"),
    [
        ("العقوبات الأميركية", {"عقوب"}, "<mark>العقوبات</mark> الأميركية"),
        ("الرَّئِيسُ <b>", {"رييس"}, "<mark>الرَّئِيسُ</mark> &lt;b&gt;"),
        ("مـؤتـمـر & حوار", {"موتمر", "حوار"}, "<mark>مـؤتـمـر</mark> &amp; <mark>حوار</mark>"),
        ("بلا تطابق", {"شيء"}, "بلا تطابق"),
    ],
)
def test_it_highlights_the_original_words(text, terms, html):
    assert highlight(text, terms) == html


def test_it_cuts_a_snippet_without_matches_from_the_start():
    text = " ".join(["كلمة"] * 100)
    html = snippet(text, {"غائب"}, words=10)
    assert html == " ".join(["كلمة"] * 10) + " …"
