"""The reader search page and the desk's story search, over HTTP."""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone

from khabar.test import make_article, make_section

pytestmark = pytest.mark.django_db

SANCTIONS = "فرضت وزارة الخزانة الأميركية عقوبات جديدة على شركات النفط.\n\nوردت طهران بغضب."


def titles(response) -> list[str]:
    html = response.content.decode()
    return [re.sub(r"<[^>]+>", "", h) for h in re.findall(r"<h2 dir=\"auto\">(.*?)</h2>", html)]


def test_it_shows_ranked_highlighted_results_with_a_count(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        make_article(headline="عقوبات أمريكية على النفط الإيراني", body=SANCTIONS)
        make_article(headline="مباراة ودية", body="فاز المنتخب على ضيفه.")
    response = client.get("/ar/search/", {"q": "العقوبات الأمريكية"})
    assert response.status_code == 200
    html = response.content.decode()
    assert titles(response) == ["عقوبات أمريكية على النفط الإيراني"]
    assert "<mark>عقوبات</mark> <mark>أمريكية</mark>" in html
    assert "<mark>الأميركية</mark> <mark>عقوبات</mark>" in html
    assert 'class="search-count"' in html
    assert 'value="العقوبات الأمريكية"' in html  # the query stays in the box


def test_it_filters_by_section_and_date_range(client, django_capture_on_commit_callbacks):
    world = make_section("ar", "world", "دولي")
    economy = make_section("ar", "economy", "اقتصاد")
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        make_article(
            section=world,
            headline="النفط في السياسة",
            published_at=now - datetime.timedelta(days=10),
        )
        make_article(
            section=economy, headline="أسعار النفط", published_at=now - datetime.timedelta(hours=1)
        )
    assert titles(client.get("/ar/search/", {"q": "النفط", "section": "economy"})) == [
        "أسعار النفط"
    ]
    recent = (now - datetime.timedelta(days=2)).date().isoformat()
    assert titles(client.get("/ar/search/", {"q": "النفط", "date_from": recent})) == ["أسعار النفط"]
    older = (now - datetime.timedelta(days=5)).date().isoformat()
    assert titles(client.get("/ar/search/", {"q": "النفط", "date_to": older})) == [
        "النفط في السياسة"
    ]


def test_it_keeps_to_the_edition_unless_asked_for_all(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        make_article(headline="خبر عن كابول")
        make_article(
            section=make_section("fa", "world", "جهان"), lang="fa", headline="خبری از کابل و کابول"
        )
    assert len(titles(client.get("/ar/search/", {"q": "كابول"}))) == 1
    assert len(titles(client.get("/ar/search/", {"q": "كابول", "lang": "all"}))) == 2


def test_it_pages_and_sorts_newest_first(client, settings, django_capture_on_commit_callbacks):
    settings.KHABAR_PAGE_SIZE = 2
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        for day in range(5):
            make_article(headline=f"حلب يوم {day}", published_at=now - datetime.timedelta(days=day))
    response = client.get("/ar/search/", {"q": "حلب", "order": "newest"})
    assert titles(response) == ["حلب يوم 0", "حلب يوم 1"]
    assert 'rel="next"' in response.content.decode()
    last = client.get("/ar/search/", {"q": "حلب", "order": "newest", "page": 3})
    assert titles(last) == ["حلب يوم 4"]
    assert 'rel="next"' not in last.content.decode()


def test_it_finds_a_phrase_in_quotes(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        make_article(headline="دعوة إلى وقف إطلاق النار")
        make_article(headline="إطلاق قمر", body="وقف المشروع بسبب النار.")
    assert len(titles(client.get("/ar/search/", {"q": "وقف إطلاق النار"}))) == 2
    assert titles(client.get("/ar/search/", {"q": '"وقف إطلاق النار"'})) == [
        "دعوة إلى وقف إطلاق النار"
    ]


@pytest.mark.parametrize(
    "params",
    [
        {"q": ""},
        {},
        {"q": '"'},
        {"q": "((( NEAR( * ^"},
        {"q": "؟!.،"},
        {"q": "ن" * 2000},
        {"q": "خبر " * 500},
        {"q": "حلب", "page": "0"},
        {"q": "حلب", "page": "99999999999"},
        {"q": "حلب", "page": "x"},
        {"q": "حلب", "section": "nope"},
        {"q": "حلب", "date_from": "2024-13-45", "date_to": "yesterday"},
        {"q": "حلب", "order": "random"},
        {"q": "حلب", "lang": "xx"},
        {"q": "\x00"},
    ],
)
def test_it_returns_a_page_for_anything_typed(client, params):
    make_article(headline="حلب")
    response = client.get("/ar/search/", params)
    assert response.status_code == 200


def test_it_lists_no_withdrawn_story_even_if_the_index_lags(client, people):
    from khabar.articles import actions
    from khabar.search.backends import get_backend
    from khabar.search.documents import document_for

    story = make_article(headline="قصة سحبت")
    get_backend().add(document_for(story))
    actions.withdraw_article(
        story, actor=people["chief"], reason="خطأ"
    )  # on_commit never runs here
    assert titles(client.get("/ar/search/", {"q": "قصة"})) == []


def test_it_renders_without_inline_styles_or_scripts(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        make_article(headline="الرياض")
    html = client.get("/ar/search/", {"q": "الرياض"}).content.decode()
    assert "style=" not in html
    assert "<script>" not in html
    assert "khabar/search/search.css" in html


def test_it_finds_stories_in_the_desk_by_any_spelling(
    client, people, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        make_article(headline="عقوبات جديدة على أمريكا")
        make_article(headline="مسودة عن أميركا", publish=False)
        make_article(headline="مباراة ودية")
    client.force_login(people["chief"])
    response = client.get("/desk/articles/article/", {"q": "أميركا"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "عقوبات جديدة على أمريكا" in html  # published: through the index, any spelling
    assert "مسودة عن أميركا" in html  # a draft: matched as typed
    assert "مباراة ودية" not in html


def test_it_explains_the_ranking_to_staff_only(client, people, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        make_article(headline="مطار جازان", body="رحلات إلى جيزان.")
    client.force_login(people["editor"])
    staff = client.get("/ar/search/", {"q": "جيزان", "explain": "1"})
    html = staff.content.decode()
    assert 'class="search-explain"' in html
    assert "search-explain__variant" in html  # the headline holds the other spelling
    assert "search-explain__exact" in html  # the body holds the word as typed
    assert "no-store" in staff["Cache-Control"] and "private" in staff["Cache-Control"]
    client.force_login(people["reader"])
    reader = client.get("/ar/search/", {"q": "جيزان", "explain": "1"})
    assert 'class="search-explain"' not in reader.content.decode()


def test_it_ignores_explain_for_an_anonymous_reader_and_stays_cacheable(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        make_article(headline="مطار جازان", body="رحلات إلى جيزان.")
    plain = client.get("/ar/search/", {"q": "جيزان"})
    asked = client.get("/ar/search/", {"q": "جيزان", "explain": "1"})
    assert asked.status_code == 200
    assert 'class="search-explain"' not in asked.content.decode()
    assert asked.get("Cache-Control") == plain.get("Cache-Control")
    assert "no-store" not in (asked.get("Cache-Control") or "")
    assert not asked.cookies

    # The same page as without the parameter, links aside (they keep the query string).
    def strip(html: str) -> str:
        return re.sub(
            r'href="\?[^"]*"', "", re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)
        )

    assert strip(asked.content.decode()) == strip(plain.content.decode())


def test_it_says_when_only_the_newest_matches_are_ranked(
    client, django_capture_on_commit_callbacks, monkeypatch
):
    from khabar.search.backends import base

    monkeypatch.setattr(base, "WINDOW", 2)
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(3):
            make_article(headline=f"أسعار النفط {n}", body="ارتفعت الأسعار.")
    html = client.get("/ar/search/", {"q": "النفط"}).content.decode()
    assert "عُثر على أكثر من 2 خبر؛ تُعرض أحدث 2 منها" in html
    assert len(titles(client.get("/ar/search/", {"q": "النفط"}))) == 2
    monkeypatch.setattr(base, "WINDOW", 3)
    html = client.get("/ar/search/", {"q": "النفط"}).content.decode()
    assert "أكثر من" not in html
