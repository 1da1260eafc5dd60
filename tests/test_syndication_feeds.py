"""RSS/Atom feeds, sitemaps, robots.txt, feed links and the story page's JSON-LD and meta."""

from __future__ import annotations

import datetime
import json
import re

import feedparser
import pytest
from django.utils import timezone
from lxml import etree, html

from khabar.articles import actions
from khabar.test import SYSTEM, make_article, make_section, make_tag

pytestmark = pytest.mark.django_db
SM = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "x": "http://www.w3.org/1999/xhtml"}
NEWS = "http://www.google.com/schemas/sitemap-news/0.9"


def _embargoed(section=None):
    story = make_article(section=section, publish=False, headline="خبر محظور")
    until = timezone.now() + datetime.timedelta(hours=2)
    return actions.publish_article(story, actor=SYSTEM, embargo_until=until)


@pytest.mark.parametrize(
    "url",
    [
        "/ar/feed/rss.xml",
        "/ar/feed/atom.xml",
        "/ar/feeds/section/economy/rss.xml",
        "/ar/feeds/section/economy/atom.xml",
        "/ar/feeds/tag/نفط/rss.xml",
        "/ar/feeds/tag/نفط/atom.xml",
    ],
)
def test_it_serves_feeds_with_full_text_and_stable_guids(client, url):
    section = make_section("ar", "economy", "اقتصاد & أعمال")
    story = make_article(
        section=section, tags=[make_tag("نفط")], body="أ < ب & ج\n\nالفقرة الثانية"
    )
    draft = make_article(section=section, tags=[make_tag("نفط")], publish=False, headline="مسودة")
    embargoed = _embargoed(section)
    embargoed.tags.add(make_tag("نفط"))
    response = client.get(url)
    assert response.status_code == 200
    etree.fromstring(response.content)  # well-formed XML
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.bozo_exception
    assert feed.feed.language == "ar"
    [entry] = feed.entries
    assert entry.id == f"http://127.0.0.1:8000/ar/news/{story.pk}/"
    assert entry.title == story.headline
    assert "أ &lt; ب &amp; ج" in entry.content[0].value
    assert "الفقرة الثانية" in entry.content[0].value
    assert entry.link.startswith(f"http://127.0.0.1:8000/ar/news/{story.pk}/")
    text = response.content.decode()
    assert "اقتصاد &amp; أعمال" in text or "section" not in url
    assert draft.headline not in text and embargoed.headline not in text


def test_it_gives_404_for_an_unknown_section_feed(client):
    assert client.get("/ar/feeds/section/nope/rss.xml").status_code == 404


def test_it_advertises_feeds_on_every_page(client):
    section = make_section("ar", "economy", "اقتصاد")
    tag = make_tag("نفط")
    story = make_article(section=section, tags=[tag])
    for url, extra in [
        ("/ar/", None),
        ("/ar/section/economy/", "/ar/feeds/section/economy/"),
        (tag.get_absolute_url(), "/ar/feeds/tag/"),
        (story.get_absolute_url(), None),
    ]:
        page = html.fromstring(client.get(url).content)
        rss = page.xpath('//head/link[@rel="alternate"][@type="application/rss+xml"]/@href')
        atom = page.xpath('//head/link[@rel="alternate"][@type="application/atom+xml"]/@href')
        assert "/ar/feed/rss.xml" in rss and "/ar/feed/atom.xml" in atom
        if extra:
            assert any(h.startswith(extra) for h in rss) and any(h.startswith(extra) for h in atom)


def test_it_serves_a_sitemap_index_and_section_sitemaps_with_hreflang(client):
    ar = make_section("ar", "world", "دولي")
    en = make_section("en", "world", "World")
    original = make_article(section=ar)
    translation = make_article(section=en, lang="en", headline="Talks")
    actions.link_translation(translation, original=original, actor=SYSTEM)
    _embargoed(ar)
    make_section("ar", "empty", "فارغ")
    index = etree.fromstring(client.get("/sitemap.xml").content)
    locs = index.xpath("//s:sitemap/s:loc/text()", namespaces=SM)
    assert locs == [
        "http://127.0.0.1:8000/sitemap-ar-world.xml",
        "http://127.0.0.1:8000/sitemap-en-world.xml",
    ]
    response = client.get("/sitemap-ar-world.xml")
    urlset = etree.fromstring(response.content)
    [url] = urlset.xpath("//s:url", namespaces=SM)
    assert url.findtext("s:loc", namespaces=SM) == "http://127.0.0.1:8000" + (
        original.get_absolute_url()
    )
    alternates = {
        link.get("hreflang"): link.get("href")
        for link in url.xpath("x:link[@rel='alternate']", namespaces=SM)
    }
    assert alternates == {
        "ar": "http://127.0.0.1:8000" + original.get_absolute_url(),
        "en": "http://127.0.0.1:8000" + translation.get_absolute_url(),
    }
    assert client.get("/sitemap-ar-nope.xml").status_code == 404


def test_it_serves_a_news_sitemap_of_the_last_two_days(client):
    make_article(headline="خبر اليوم & غدا")
    make_article(published_at=timezone.now() - datetime.timedelta(days=3), headline="قديم")
    _embargoed()
    root = etree.fromstring(client.get("/news-sitemap.xml").content)
    urls = root.xpath("//s:url", namespaces=SM)
    assert len(urls) == 1
    news = urls[0].find(f"{{{NEWS}}}news")
    assert news.findtext(f"{{{NEWS}}}publication/{{{NEWS}}}name") == "خبر"
    assert news.findtext(f"{{{NEWS}}}publication/{{{NEWS}}}language") == "ar"
    assert news.findtext(f"{{{NEWS}}}title") == "خبر اليوم & غدا"
    assert datetime.datetime.fromisoformat(news.findtext(f"{{{NEWS}}}publication_date"))


def test_it_caps_the_news_sitemap(client, monkeypatch):
    from khabar.syndication import sitemaps

    monkeypatch.setattr(sitemaps, "NEWS_LIMIT", 2)
    for _ in range(3):
        make_article()
    root = etree.fromstring(client.get("/news-sitemap.xml").content)
    assert len(root.xpath("//s:url", namespaces=SM)) == 2


def test_it_points_robots_at_the_sitemaps(client):
    text = client.get("/robots.txt").content.decode()
    assert "Sitemap: http://127.0.0.1:8000/sitemap.xml" in text
    assert "Sitemap: http://127.0.0.1:8000/news-sitemap.xml" in text
    assert "Disallow: /desk/" in text


def test_it_puts_news_article_json_ld_and_meta_on_the_story_page(client):
    section = make_section("ar", "world", "دولي")
    story = make_article(
        section=section,
        headline='عنوان </script><!-- "خطير"',
        summary="ملخص & تفاصيل",
        tags=[make_tag("إيران")],
    )
    response = client.get(story.get_absolute_url())
    text = response.content.decode()
    assert "</script><!--" not in text
    page = html.fromstring(response.content)
    [script] = page.xpath('//head/script[@type="application/ld+json"]')
    data = json.loads(script.text)
    assert data["@type"] == "NewsArticle"
    assert data["headline"] == story.headline
    assert data["inLanguage"] == "ar"
    assert data["articleSection"] == "دولي"
    assert data["isAccessibleForFree"] is True
    assert data["dateline"].startswith("موسكو / 26 ")
    assert data["author"]["name"] == "ارنا"
    assert data["publisher"]["@type"] == "NewsMediaOrganization"
    assert re.match(r"\d{4}-\d\d-\d\dT", data["datePublished"])
    assert data["dateModified"] >= data["datePublished"]

    def meta(attr, name):
        return page.xpath(f'//head/meta[@{attr}="{name}"]/@content')

    assert meta("property", "og:title") == [story.headline]
    assert meta("property", "og:type") == ["article"]
    assert meta("property", "og:description") == ["ملخص & تفاصيل"]
    assert meta("property", "og:url") == ["http://127.0.0.1:8000" + story.get_absolute_url()]
    assert meta("property", "article:tag") == ["إيران"]
    assert meta("name", "twitter:card") == ["summary"]
    assert len(page.xpath('//head/link[@rel="canonical"]')) == 1


@pytest.mark.parametrize("url", ["/ar/feed/rss.xml", "/api/v1/ninjs", "/sitemap-ar-world.xml"])
def test_it_lists_in_a_fixed_number_of_queries(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    section = make_section("ar", "world", "دولي")
    counts = []
    for _ in range(2):
        for _ in range(3):
            make_article(section=section, tags=[make_tag("نفط"), make_tag("إيران")])
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_it_documents_the_api(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert {"/api/v1/ninjs", "/api/v1/ninjs/{story_id}", "/api/v1/newsml/{story_id}"} <= set(paths)
    assert "/api/v1/ingest" in paths
