"""Reader pages: what a reader sees, in Arabic and right-to-left, with pinned query counts."""

import datetime
import types

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from khabar.articles import actions
from khabar.articles.models import Urgency
from khabar.live.templatetags import khabar_live
from khabar.test import make_article, make_section, make_tag

pytestmark = pytest.mark.django_db


def test_it_redirects_the_root_to_the_arabic_edition(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/ar/"


def test_it_renders_a_story_like_the_wire(client):
    story = make_article(
        headline="مباحثات ايرانية روسية",
        dateline_date=datetime.date(2023, 10, 26),
        signoff="2342",
    )
    page = client.get(story.get_absolute_url()).content.decode()
    assert '<html lang="ar" dir="rtl">' in page
    assert "مباحثات ايرانية روسية" in page
    assert "موسكو / 26 تشرين الأول /أكتوبر/ارنا-" in page
    assert "انتهى ** 2342" in page


def test_it_redirects_a_wrong_or_missing_slug_to_the_canonical_address(client):
    story = make_article(headline="عنوان الخبر")
    response = client.get(f"/ar/news/{story.pk}/")
    assert response.status_code == 301
    assert response["Location"] == story.get_absolute_url()
    assert client.get(f"/ar/news/{story.pk}/slug-x/").status_code == 301


def test_it_answers_a_missing_story_with_an_arabic_404(client):
    response = client.get("/ar/news/999999/")
    assert response.status_code == 404
    page = response.content.decode()
    assert 'dir="rtl"' in page
    assert "الصفحة غير موجودة" in page


def test_it_shows_unpublished_stories_only_to_staff_with_the_preview_right(client, people):
    story = make_article(publish=False)
    assert client.get(story.get_absolute_url()).status_code == 404
    client.force_login(people["reader"])
    assert client.get(story.get_absolute_url()).status_code == 404
    client.force_login(people["editor"])
    response = client.get(story.get_absolute_url())
    assert response.status_code == 200
    assert "noindex" in response.content.decode()


def test_it_leads_the_home_page_with_an_urgent_story_and_a_ticker(client):
    make_article(headline="خبر عادي")
    urgent = make_article(headline="خبر عاجل جدا", urgency=Urgency.FLASH)
    page = client.get("/ar/").content.decode()
    lead = page.split('class="lead"')[1].split("</section>")[0]
    assert urgent.headline in lead
    assert 'class="ticker"' in page


def test_it_lists_sections_with_pagination(client, settings):
    settings.KHABAR_PAGE_SIZE = 3
    section = make_section(slug="economy", name="اقتصاد")
    for n in range(7):
        make_article(section=section, headline=f"خبر اقتصادي {n}")
    page1 = client.get("/ar/section/economy/").content.decode()
    assert "خبر اقتصادي 0" in page1 and "خبر اقتصادي 3" not in page1
    page3 = client.get("/ar/section/economy/?page=3").content.decode()
    assert "خبر اقتصادي 6" in page3
    assert client.get("/ar/section/nope/").status_code == 404


def test_it_lists_tag_pages(client):
    tag = make_tag("روسيا")
    make_article(headline="خبر عن روسيا", tags=[tag])
    make_article(headline="خبر آخر")
    page = client.get(tag.get_absolute_url()).content.decode()
    assert "خبر عن روسيا" in page and "خبر آخر" not in page


def test_it_shows_dates_in_the_editions_time_zone(client):
    # 21:00 UTC on 25 October is 00:30 on 26 October in Tehran (+03:30).
    at = datetime.datetime(2023, 10, 25, 21, 0, tzinfo=datetime.UTC)
    story = make_article(published_at=at)
    page = client.get(story.get_absolute_url()).content.decode()
    assert "26 تشرين الأول /أكتوبر 2023" in page


def test_it_writes_arabic_indic_digits_when_the_edition_asks(client, settings):
    from khabar.site import editions

    settings.KHABAR_EDITIONS = {
        **settings.KHABAR_EDITIONS,
        "ar": {**settings.KHABAR_EDITIONS["ar"], "digits": "arabic"},
    }
    editions._editions.cache_clear()
    try:
        story = make_article(dateline_date=datetime.date(2023, 10, 26))
        page = client.get(story.get_absolute_url()).content.decode()
        assert "موسكو / ٢٦ تشرين الأول /أكتوبر/ارنا-" in page
    finally:
        editions._editions.cache_clear()


def count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_it_pins_the_number_of_queries_per_page(client, monkeypatch):
    # The urgent ticker's fragment is kept by the minute: counts taken either side of a
    # minute's turn would differ by its query. Its clock holds still here.
    monkeypatch.setattr(khabar_live, "time", types.SimpleNamespace(time=lambda: 1_800_000_000))
    section = make_section()
    tag = make_tag()
    stories = [make_article(section=section, tags=[tag]) for _ in range(3)]
    for url in (stories[0].get_absolute_url(), "/ar/", section.get_absolute_url()):
        client.get(url)  # what every page shares (the ticker) kept, as on a running site
    story_queries = count_queries(client, stories[0].get_absolute_url())
    home_queries = count_queries(client, "/ar/")
    section_queries = count_queries(client, section.get_absolute_url())
    for _ in range(20):
        make_article(section=make_section(slug=f"s{_ % 4}", name=f"قسم {_ % 4}"), tags=[tag])
    # More stories and sections must not mean more queries.
    assert count_queries(client, stories[0].get_absolute_url()) == story_queries
    assert count_queries(client, "/ar/") == home_queries
    assert count_queries(client, section.get_absolute_url()) == section_queries
    assert home_queries <= 6
    assert section_queries <= 6
    assert story_queries <= 10


def test_it_lists_related_stories_from_the_same_section(client):
    section = make_section(slug="politics", name="سياسة")
    story = make_article(section=section, headline="الخبر الأول")
    make_article(section=section, headline="خبر ذو صلة")
    make_article(section=make_section(slug="sport", name="رياضة"), headline="خبر رياضي")
    related = client.get(story.get_absolute_url()).content.decode().split('class="related"')[1]
    assert "خبر ذو صلة" in related and "خبر رياضي" not in related


def test_it_links_a_story_to_its_translations(client, people):
    original = make_article()
    english = make_article(
        section=make_section("en", "world", "World"),
        lang="en",
        headline="Talks in Moscow",
        dateline_city="MOSCOW",
        dateline_agency="IRNA",
    )
    actions.link_translation(english, original=original, actor=people["editor"])
    page = client.get(original.get_absolute_url()).content.decode()
    assert f'hreflang="en" href="http://127.0.0.1:8000{english.get_absolute_url()}"' in page
    assert 'class="translations"' in page


def test_it_never_lists_drafts_or_future_stories(client):
    make_article(headline="مسودة سرية", publish=False)
    make_article(headline="خبر مجدول", published_at=timezone.now() + datetime.timedelta(days=1))
    page = client.get("/ar/").content.decode()
    assert "مسودة سرية" not in page and "خبر مجدول" not in page


def test_it_builds_the_same_addresses_as_the_urlconf():
    from django.urls import reverse

    section = make_section(slug="سياسة", name="سياسة")
    tag = make_tag("الأمم المتحدة")
    story = make_article(section=section, headline="عنوان: مع رموز؟ و/شرطة")
    assert section.get_absolute_url() == reverse(
        "section", kwargs={"edition": "ar", "slug": "سياسة"}
    )
    assert tag.get_absolute_url() == reverse("tag", kwargs={"edition": "ar", "slug": tag.slug})
    assert story.get_absolute_url() == reverse(
        "article-slug", kwargs={"edition": "ar", "pk": story.pk, "slug": story.slug}
    )
