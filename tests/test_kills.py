"""A withdrawal is a kill: readers get 410 with a notice, every list, feed, sitemap and cached
page lets the story go at once, and partners are told (ninjs "canceled", NewsML stat:canceled)."""

from __future__ import annotations

import datetime
import io
import json
from urllib.parse import unquote
from wsgiref.util import setup_testing_defaults

import pytest
from django.core.cache import caches
from django.utils import translation
from django.utils.translation import gettext
from lxml import etree

from khabar.articles import actions
from khabar.articles.models import Article
from khabar.site import pagecache
from khabar.syndication.actions import create_partner_token
from khabar.syndication.models import Partner
from khabar.syndication.newsml import NAR
from khabar.syndication.newsml import schema_errors as newsml_errors
from khabar.syndication.ninjs import VERSIONS
from khabar.syndication.ninjs import schema_errors as ninjs_errors
from khabar.test import SYSTEM, make_article, make_section, make_tag

pytestmark = pytest.mark.django_db(transaction=True)

WITHDRAWN_AT = datetime.datetime(2024, 3, 1, 20, 45, tzinfo=datetime.UTC)  # 00:15 in Tehran


@pytest.fixture
def cached(settings, tmp_path):
    """The production caches: whole pages (served from the WSGI layer) and fragments."""
    settings.KHABAR_PAGECACHE = True
    settings.KHABAR_FRAGMENT_CACHE = True
    settings.KHABAR_PAGECACHE_PATH = str(tmp_path / "pages.sqlite3")
    pagecache.reset_store()
    caches["fragments"].clear()
    from khabar.wsgi import application

    yield application
    caches["fragments"].clear()
    pagecache.reset_store()


def get(app, path, host="127.0.0.1:8000"):
    """A reader's GET through the WSGI stack (the page cache answers hits before Django)."""
    path, _, query = path.partition("?")
    environ = {
        "PATH_INFO": unquote(path).encode().decode("latin-1"),
        "QUERY_STRING": query,
        "REQUEST_METHOD": "GET",
        "HTTP_HOST": host,
    }
    setup_testing_defaults(environ)
    environ["wsgi.input"] = io.BytesIO(b"")
    seen = {}

    def start_response(status, headers, exc_info=None):
        seen["status"] = int(status.split()[0])
        seen["headers"] = dict(headers)

    body = b"".join(app(environ, start_response))
    return seen["status"], seen["headers"], body.decode()


def withdraw(story, people, *, reason="خطأ في نسبة التصريح", public=False):
    story = Article.objects.get(pk=story.pk)
    return actions.withdraw_article(
        story, actor=people["editor"], reason=reason, reason_public=public
    )


def test_it_tells_readers_the_story_was_withdrawn_with_a_410(client, people):
    story = make_article(headline="خبر سيسحب")
    withdraw(story, people, reason="نُسب التصريح إلى غير قائله", public=True)
    Article.objects.filter(pk=story.pk).update(withdrawn_at=WITHDRAWN_AT)

    response = client.get(story.get_absolute_url())

    assert response.status_code == 410
    page = response.content.decode()
    assert '<html lang="ar" dir="rtl">' in page
    with translation.override("ar"):
        assert f"<h1>{gettext('Story withdrawn')}</h1>" in page
    # The date and time in the edition's zone (Tehran, +03:30): 00:15 on 2 March.
    assert "00:15" in page and "2 آذار" in page
    assert "نُسب التصريح إلى غير قائله" in page
    assert "خبر سيسحب" not in page  # the notice does not repeat the killed copy
    assert response["Cache-Control"].startswith("public, max-age=")


def test_it_keeps_a_private_reason_from_readers(client, people):
    story = make_article()
    withdraw(story, people, reason="شكوى قانونية سرية")
    response = client.get(story.get_absolute_url())
    assert response.status_code == 410
    assert "شكوى قانونية سرية" not in response.content.decode()


def test_it_gives_the_persian_notice_in_persian_digits(client, people):
    section = make_section("fa", slug="world", name="جهان")
    story = make_article(section=section, lang="fa", headline="خبر فارسی")
    withdraw(story, people, reason="اشتباه", public=True)
    Article.objects.filter(pk=story.pk).update(withdrawn_at=WITHDRAWN_AT)
    response = client.get(story.get_absolute_url())
    assert response.status_code == 410
    page = response.content.decode()
    assert '<html lang="fa" dir="rtl">' in page
    assert "۰۰:۱۵" in page


def test_it_still_answers_404_for_drafts_unknown_ids_and_other_editions(client, people):
    draft = make_article(publish=False)
    assert client.get(draft.get_absolute_url()).status_code == 404
    assert client.get("/ar/news/987654/").status_code == 404
    story = make_article()
    withdraw(story, people)
    assert client.get(f"/fa/news/{story.pk}/").status_code == 404


def test_it_never_announces_a_story_withdrawn_before_it_was_public(client, people):
    story = make_article(publish=False)
    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=2)
    story = actions.publish_article(story, actor=people["editor"], at=later)  # scheduled
    withdraw(story, people)
    assert client.get(story.get_absolute_url()).status_code == 404


def test_it_drops_the_cached_page_and_caches_the_notice(cached, people):
    story = make_article(headline="خبر في الذاكرة")
    get(cached, story.get_absolute_url())
    status, headers, _body = get(cached, story.get_absolute_url(), host="localhost")
    assert status == 200
    withdraw(story, people)

    status, headers, body = get(cached, story.get_absolute_url(), host="localhost")
    assert status == 410 and "خبر في الذاكرة" not in body
    status, headers, _body = get(cached, story.get_absolute_url(), host="localhost")
    assert status == 410 and headers.get("X-Cache") == "HIT"  # the notice is shared too

    actions.restore_article(
        Article.objects.get(pk=story.pk), actor=people["chief"], reason="تبين أن الخبر صحيح"
    )
    status, _headers, body = get(cached, story.get_absolute_url())
    assert status == 200 and "خبر في الذاكرة" in body


def test_it_takes_the_story_off_every_cached_page_that_listed_it(cached, people):
    section = make_section()
    other = make_section(slug="economy", name="اقتصاد")
    tag = make_tag("نفط")
    killed = make_article(section=section, tags=[tag], headline="الخبر المسحوب", urgency=3)
    same_section = make_article(section=section, headline="جار في القسم")
    same_tag = make_article(section=other, tags=[tag], headline="جار في الوسم")
    pages = [
        same_section.get_absolute_url(),  # "Related stories" by section
        same_tag.get_absolute_url(),  # "Related stories" by tag, from another section
        "/ar/",  # lead, ticker, section blocks
        section.get_absolute_url(),
        tag.get_absolute_url(),
        "/ar/feed/rss.xml",
        "/ar/feed/atom.xml",
        f"/ar/feeds/section/{section.slug}/rss.xml",
        f"/ar/feeds/tag/{tag.slug}/atom.xml",
        "/sitemap-ar-world.xml",
        "/news-sitemap.xml",
    ]
    for path in pages:
        get(cached, path)
        status, headers, body = get(cached, path)
        assert status == 200 and headers.get("X-Cache") == "HIT", path
        assert "الخبر المسحوب" in body or f"/news/{killed.pk}/" in body, path

    withdraw(killed, people)

    for path in pages:
        status, _headers, body = get(cached, path)
        assert status == 200, path
        assert "الخبر المسحوب" not in body and f"/news/{killed.pk}/" not in body, path


def test_it_shows_the_correction_on_pages_listing_the_story(cached, people):
    section = make_section()
    story = make_article(section=section, headline="العنوان القديم")
    neighbour = make_article(section=section)
    get(cached, neighbour.get_absolute_url())
    assert get(cached, neighbour.get_absolute_url())[1].get("X-Cache") == "HIT"
    story = Article.objects.get(pk=story.pk)
    actions.correct_article(
        story,
        base_revision=story.revision,
        actor=people["editor"],
        note="تصحيح العنوان",
        headline="العنوان المصحح",
    )
    _status, _headers, body = get(cached, neighbour.get_absolute_url())
    assert "العنوان المصحح" in body and "العنوان القديم" not in body


# Partners --------------------------------------------------------------------------------


def _partner_header():
    _token, raw = create_partner_token(Partner.objects.create(name="شريك"), actor=SYSTEM)
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


@pytest.mark.parametrize("version", VERSIONS)
def test_it_gives_partners_the_withdrawn_item_as_canceled_ninjs(client, people, version):
    story = make_article(headline="خبر للشركاء")
    withdraw(story, people, reason="خطأ في الأرقام", public=True)

    response = client.get(f"/api/v1/ninjs/{story.pk}?ninjs={version}")

    assert response.status_code == 200
    doc = response.json()
    assert ninjs_errors(doc, version) == []
    status_key, note_key = ("pubStatus", "edNote") if version == "3.1" else ("pubstatus", "ednote")
    assert doc[status_key] == "canceled"
    assert "خطأ في الأرقام" in doc[note_key]
    assert doc["version"] == "2"
    assert "خبر للشركاء" not in json.dumps(doc, ensure_ascii=False)


def test_it_keeps_a_private_reason_from_partners_too(client, people):
    story = make_article()
    withdraw(story, people, reason="سبب داخلي")
    doc = client.get(f"/api/v1/ninjs/{story.pk}").json()
    assert doc["pubStatus"] == "canceled"
    assert "سبب داخلي" not in doc["edNote"] and doc["edNote"]


def test_it_gives_the_withdrawn_item_as_canceled_newsml(client, people):
    story = make_article()
    withdraw(story, people, reason="خطأ في الاسم", public=True)
    response = client.get(f"/api/v1/newsml/{story.pk}")
    assert response.status_code == 200
    root = etree.fromstring(response.content)
    assert schema_errors_ok(root)
    meta = root.find(f"{{{NAR}}}itemMeta")
    assert meta.find(f"{{{NAR}}}pubStatus").get("qcode") == "stat:canceled"
    assert "خطأ في الاسم" in meta.find(f"{{{NAR}}}edNote").text
    assert root.get("version") == "2"


def schema_errors_ok(root) -> bool:
    assert newsml_errors(root) == []
    return True


def test_it_brings_the_kill_to_partners_polling_since(
    client, people, django_assert_max_num_queries
):
    kept = make_article(headline="خبر باق")
    killed = make_article(headline="خبر مسحوب")
    since = datetime.datetime.now(datetime.UTC).isoformat()
    withdraw(killed, people)
    partner = _partner_header()

    with django_assert_max_num_queries(10):
        items = client.get("/api/v1/ninjs", {"since": since}, **partner).json()["items"]
    assert [(i["altIds"][0]["value"], i["pubStatus"]) for i in items] == [
        (str(killed.pk), "canceled")
    ]
    # The list of what may be used now, and the feeds, leave it out.
    listed = client.get("/api/v1/ninjs", **partner).json()["items"]
    assert {i["altIds"][0]["value"] for i in listed} == {str(kept.pk)}
    assert "خبر مسحوب" not in client.get("/ar/feed/rss.xml").content.decode()


def test_it_brings_a_correction_to_partners_as_a_new_version(client, people):
    story = make_article(headline="قبل التصحيح")
    make_article()
    since = datetime.datetime.now(datetime.UTC).isoformat()
    story = Article.objects.get(pk=story.pk)
    actions.correct_article(
        story, base_revision=story.revision, actor=people["editor"], note="تصحيح", headline="بعده"
    )
    items = client.get("/api/v1/ninjs", {"since": since}).json()["items"]
    assert [(i["headlines"][0]["value"], i["version"]) for i in items] == [("بعده", "2")]


def test_it_hides_the_kill_of_a_never_public_embargoed_story_from_the_public(client, people):
    story = make_article(publish=False)
    until = datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=3)
    story = actions.publish_article(story, actor=people["editor"], embargo_until=until)
    withdraw(story, people)
    assert client.get(f"/api/v1/ninjs/{story.pk}").status_code == 404
    partner = client.get(f"/api/v1/ninjs/{story.pk}", **_partner_header())
    assert partner.status_code == 200 and partner.json()["pubStatus"] == "canceled"
    assert client.get(story.get_absolute_url()).status_code == 404
