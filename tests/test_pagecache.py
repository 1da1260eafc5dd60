"""The anonymous page cache: hits from the WSGI layer, exact purges, never for staff."""

import io
from urllib.parse import unquote
from wsgiref.util import setup_testing_defaults

import pytest

from khabar.articles import actions
from khabar.site import pagecache
from khabar.test import make_article, make_section, make_tag

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def cached(settings, tmp_path):
    settings.KHABAR_PAGECACHE = True
    settings.KHABAR_PAGECACHE_PATH = str(tmp_path / "pages.sqlite3")
    pagecache.reset_store()
    from khabar.wsgi import application

    yield application
    pagecache.reset_store()


def get(app, path, cookie="", etag=""):
    # A WSGI server hands over the path as UTF-8 bytes decoded as latin-1.
    environ = {
        "PATH_INFO": unquote(path).encode().decode("latin-1"),
        "REQUEST_METHOD": "GET",
        "HTTP_HOST": "127.0.0.1:8000",
    }
    if cookie:
        environ["HTTP_COOKIE"] = cookie
    if etag:
        environ["HTTP_IF_NONE_MATCH"] = etag
    setup_testing_defaults(environ)
    environ["wsgi.input"] = io.BytesIO(b"")
    seen = {}

    def start_response(status, headers, exc_info=None):
        seen["status"] = int(status.split()[0])
        seen["headers"] = dict(headers)

    body = b"".join(app(environ, start_response))
    return seen["status"], seen["headers"], body.decode()


def test_it_serves_the_second_read_from_the_cache(cached):
    story = make_article(headline="خبر مخزن")
    status, headers, body = get(cached, story.get_absolute_url())
    assert status == 200 and "X-Cache" not in headers
    assert headers["Cache-Control"].startswith("public, max-age=")
    assert "stale-while-revalidate" in headers["Cache-Control"]
    assert f"a:{story.pk}" in headers["X-Cache-Tags"].split()
    status, headers2, body2 = get(cached, story.get_absolute_url())
    assert headers2["X-Cache"] == "HIT"
    assert body2 == body
    assert headers2["Content-Security-Policy"] == headers["Content-Security-Policy"]


def test_it_answers_304_to_a_matching_etag(cached):
    story = make_article()
    _status, headers, _body = get(cached, story.get_absolute_url())
    status, _h, body = get(cached, story.get_absolute_url(), etag=headers["ETag"])
    assert status == 304 and body == ""
    status, _h, _body = get(cached, story.get_absolute_url(), etag='"other"')
    assert status == 200


def test_it_purges_exactly_the_pages_that_show_a_corrected_story(cached, people):
    section = make_section()
    other_section = make_section(slug="sport", name="رياضة")
    tag = make_tag()
    story = make_article(section=section, tags=[tag], headline="العنوان الأول")
    bystander = make_article(section=other_section, headline="خبر رياضي")
    pages = [story.get_absolute_url(), section.get_absolute_url(), "/ar/", tag.get_absolute_url()]
    for path in [*pages, bystander.get_absolute_url(), other_section.get_absolute_url()]:
        get(cached, path)
    actions.correct_article(
        story,
        base_revision=story.revision,
        actor=people["editor"],
        note="تصحيح",
        headline="العنوان المصحح",
    )
    for path in pages:
        _s, headers, body = get(cached, path)
        assert "X-Cache" not in headers, path
        assert "العنوان المصحح" in body, path
    for path in [bystander.get_absolute_url(), other_section.get_absolute_url()]:
        assert get(cached, path)[1].get("X-Cache") == "HIT", path


def test_it_drops_a_withdrawn_story_at_once(cached, people):
    story = make_article()
    get(cached, story.get_absolute_url())
    actions.withdraw_article(story, actor=people["editor"], reason="خطأ")
    status, _headers, body = get(cached, story.get_absolute_url())
    assert status == 410 and story.headline not in body


def test_it_never_serves_or_stores_pages_for_logged_in_staff(cached, client, people):
    story = make_article(headline="خبر للجميع")
    client.force_login(people["editor"])
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    status, headers, _body = get(cached, story.get_absolute_url(), cookie=cookie)
    assert status == 200 and headers["Cache-Control"] == "private, no-store"
    # Nothing was stored: an anonymous reader's first read is a miss.
    assert "X-Cache" not in get(cached, story.get_absolute_url())[1]
    # And a stored page is not served to staff.
    assert get(cached, story.get_absolute_url())[1]["X-Cache"] == "HIT"
    assert "X-Cache" not in get(cached, story.get_absolute_url(), cookie=cookie)[1]


def test_it_never_caches_a_reader_holding_a_khabar_cookie(cached):
    story = make_article()
    get(cached, story.get_absolute_url())
    assert "X-Cache" not in get(cached, story.get_absolute_url(), cookie="khabar_own=abc")[1]


def test_it_does_not_cache_unpublished_previews_or_errors(cached):
    draft = make_article(publish=False)
    assert get(cached, draft.get_absolute_url())[0] == 404
    assert get(cached, "/ar/news/999999/")[0] == 404
    assert "X-Cache" not in get(cached, "/ar/news/999999/")[1]
