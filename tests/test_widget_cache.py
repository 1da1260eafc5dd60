"""The widget's embed address is stable and updates within minutes, even without nginx in
front (whitenoise serves /static/ then): only the files it pulls in may be kept long. And a
thread's JSON page, however cached, answers each embedding site with its own CORS header."""

import io
from wsgiref.util import setup_testing_defaults

import pytest


def fetch(path):
    from khabar.wsgi import application

    environ = {"PATH_INFO": path, "REQUEST_METHOD": "GET", "HTTP_HOST": "127.0.0.1:8000"}
    setup_testing_defaults(environ)
    environ["wsgi.input"] = io.BytesIO(b"")
    seen = {}

    def start_response(status, headers, exc_info=None):
        seen["status"] = int(status.split()[0])
        seen["headers"] = dict(headers)

    b"".join(application(environ, start_response))
    return seen["status"], seen["headers"]


@pytest.mark.django_db
def test_it_keeps_the_widget_entry_for_minutes_only():
    status, headers = fetch("/static/khabar/comments.js")
    assert status == 200
    assert headers["Cache-Control"] == "public, max-age=300"
    status, headers = fetch("/static/khabar/site.css")
    assert status == 200
    assert "max-age=300" not in headers.get("Cache-Control", "")


# --- One site's answer is never another's -----------------------------------------------------

BLOG = "https://blog.example.org"
OTHER = "https://other.example.net"


def ask(app, path, query, **headers):
    """A GET through the whole WSGI stack (the page store first), as a server hands it over;
    the header names in lower case, as a browser compares them."""
    environ = {"PATH_INFO": path, "QUERY_STRING": query, "REQUEST_METHOD": "GET"}
    environ |= {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
    environ["HTTP_HOST"] = "127.0.0.1:8000"
    setup_testing_defaults(environ)
    environ["wsgi.input"] = io.BytesIO(b"")
    seen = {}

    def start_response(status, headers, exc_info=None):
        seen["status"] = int(status.split()[0])
        seen["headers"] = {name.lower(): value for name, value in headers}

    body = b"".join(app(environ, start_response))
    return seen["status"], seen["headers"], body.decode()


@pytest.fixture
def cached(settings, tmp_path):
    """Every shared cache on, as in production: the page store and the JSON pages."""
    from django.core.cache import caches

    from khabar.site import pagecache

    settings.KHABAR_PAGECACHE = True
    settings.KHABAR_FRAGMENT_CACHE = True
    settings.KHABAR_PAGECACHE_PATH = str(tmp_path / "pages.sqlite3")
    settings.KHABAR_COMMENT_SITES = {"blog": BLOG, "other": OTHER}
    pagecache.reset_store()
    caches["fragments"].clear()
    from khabar.wsgi import application

    yield application
    caches["fragments"].clear()
    pagecache.reset_store()


@pytest.mark.django_db
def test_it_never_answers_one_site_with_the_cors_header_another_warmed(cached, story):
    from django.contrib.auth.models import AnonymousUser

    from khabar.comments import actions
    from khabar.comments.models import Comment

    posted = actions.post_comment(
        story.thread_key, actor=AnonymousUser(), author="سارة", text="تعليق أول"
    ).comment
    query = f"thread={story.thread_key}"
    # The blog's widget warms every cache there is for the thread's page.
    for _ in range(2):
        status, headers, body = ask(cached, "/api/v1/comments", query, origin=BLOG)
        assert status == 200 and "تعليق أول" in body
        assert headers["access-control-allow-origin"] == BLOG
        assert "origin" in headers["vary"].lower()
    # Changed behind the caches' back: an answer still showing the old text came from them.
    Comment.objects.filter(pk=posted.pk).update(html="<p>نص لم يُنشر بعد</p>")
    fresh = ask(cached, "/api/v1/comments", query, x_khabar_reader="reader-12345678")[2]
    assert "نص لم يُنشر بعد" in fresh  # what a reader the caches do not serve sees

    status, headers, body = ask(cached, "/api/v1/comments", query, origin=OTHER)
    assert status == 200 and "تعليق أول" in body  # the blog's cached page…
    assert headers["access-control-allow-origin"] == OTHER  # …with its own header
    assert "origin" in headers["vary"].lower()
    for stranger in ({"origin": "https://evil.example"}, {}, {}):
        status, headers, body = ask(cached, "/api/v1/comments", query, **stranger)
        assert status == 200 and "تعليق أول" in body
        assert not any(name.startswith("access-control-") for name in headers)
    # The same site's own readers (no Origin) share one stored page…
    assert headers.get("x-cache") == "HIT"
    # …which no embedding site is ever answered from.
    for site in (BLOG, OTHER, "https://evil.example"):
        status, headers, body = ask(cached, "/api/v1/comments", query, origin=site)
        assert "x-cache" not in headers and "x-accel-expires" not in headers
        assert headers.get("access-control-allow-origin") == (None if "evil" in site else site)


# --- A thread's page, kept whole for the site's own readers -----------------------------------


def post_pending(client, story, text):
    """A reader posts through the API, as the widget does: 202, an id and an edit token."""
    import json
    import time

    from khabar.comments import spam

    stamp = spam.make_stamp(story.thread_key, now=time.time() - 60)
    body = {"thread": story.thread_key, "author": "قارئة", "text": text, "stamp": stamp}
    response = client.post("/api/v1/comments", json.dumps(body), content_type="application/json")
    assert response.status_code == 202, response.content
    return response.json()


@pytest.mark.django_db
def test_it_keeps_a_threads_page_whole_until_a_comment_shows(
    cached, client, moderated_story, people, django_capture_on_commit_callbacks
):
    from khabar.comments import actions
    from khabar.comments.models import Comment

    waiting = post_pending(client, moderated_story, "تعليق ينتظر المشرف")
    tokens = f"{waiting['id']}.{waiting['token']}"
    # The widget's own spelling of the address, as comments.js builds it.
    query = f"thread=article%3A{moderated_story.pk}&sort=oldest"
    status, headers, body = ask(cached, "/api/v1/comments", query)
    assert status == 200 and "تعليق ينتظر المشرف" not in body
    assert "x-cache" not in headers and headers["x-accel-expires"]  # nginx may keep it too
    status, headers, body = ask(cached, "/api/v1/comments", query)
    assert headers.get("x-cache") == "HIT" and "تعليق ينتظر المشرف" not in body
    # The author still gets their own view, never stored, never from the store.
    status, headers, body = ask(cached, "/api/v1/comments", query, x_khabar_tokens=tokens)
    assert "تعليق ينتظر المشرف" in body and "x-cache" not in headers
    assert headers["cache-control"] == "private, no-store" and "x-accel-expires" not in headers

    with django_capture_on_commit_callbacks(execute=True):  # the purge runs after commit
        actions.approve_comment(Comment.objects.get(pk=waiting["id"]), actor=people["moderator"])
    status, headers, body = ask(cached, "/api/v1/comments", query)
    assert "x-cache" not in headers and "تعليق ينتظر المشرف" in body  # purged at approval
    status, headers, body = ask(cached, "/api/v1/comments", query)
    assert headers.get("x-cache") == "HIT" and "تعليق ينتظر المشرف" in body


@pytest.mark.django_db
@pytest.mark.parametrize("extra", ["&sort=sideways", "&cursor=abc", "&cb=1", "&sort=oldest&x=y"])
def test_an_odd_address_makes_no_stored_variant(cached, story, extra):
    query = f"thread={story.thread_key}{extra}"
    for _ in range(3):
        status, headers, _body = ask(cached, "/api/v1/comments", query)
        assert status == 200
        assert "x-cache" not in headers and "x-accel-expires" not in headers


@pytest.mark.django_db
def test_it_keeps_no_copy_of_a_thread_that_closes_before_the_copy_would_expire(
    cached, settings, story
):
    import datetime

    from django.utils import timezone

    from khabar.articles.models import Article

    settings.KHABAR_COMMENT_CLOSE_AFTER_DAYS = 1
    opened = timezone.now() - datetime.timedelta(days=1) + datetime.timedelta(minutes=2)
    Article.objects.filter(pk=story.pk).update(published_at=opened)
    query = f"thread={story.thread_key}"
    for _ in range(2):
        status, headers, body = ask(cached, "/api/v1/comments", query)
        assert status == 200 and '"open":true' in body.replace(" ", "")
        assert "x-cache" not in headers and "x-accel-expires" not in headers
