"""Issue 13 ("Trust"): the comment attacks, performed as reported, and what they now get."""

from __future__ import annotations

import io
import json
import re
import time
from pathlib import Path
from urllib.parse import unquote
from wsgiref.util import setup_testing_defaults

import pytest
from django.core.cache import cache, caches

from khabar.comments import spam
from khabar.site import pagecache
from khabar.test import make_article, make_section

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent
API = "/api/v1/comments"
PENDING = "تعليق ينتظر المشرف ولا يراه أحد"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


@pytest.fixture
def cached(settings, tmp_path):
    """Both shared caches on, as in production: the page store and the fragments."""
    settings.KHABAR_PAGECACHE = True
    settings.KHABAR_FRAGMENT_CACHE = True
    settings.KHABAR_PAGECACHE_PATH = str(tmp_path / "pages.sqlite3")
    pagecache.reset_store()
    caches["fragments"].clear()
    from khabar.wsgi import application

    yield application
    caches["fragments"].clear()
    pagecache.reset_store()


def get(app, url, **headers):
    """A GET through the WSGI stack (page cache first), as a server hands it over."""
    path, _, query = url.partition("?")
    environ = {
        "PATH_INFO": unquote(path).encode().decode("latin-1"),
        "QUERY_STRING": query,
        "REQUEST_METHOD": "GET",
        "HTTP_HOST": "127.0.0.1:8000",
        **{f"HTTP_{name.upper().replace('-', '_')}": value for name, value in headers.items()},
    }
    setup_testing_defaults(environ)
    environ["wsgi.input"] = io.BytesIO(b"")
    seen = {}

    def start_response(status, headers, exc_info=None):
        seen["status"] = int(status.split()[0])
        seen["headers"] = dict(headers)

    body = b"".join(app(environ, start_response))
    return seen["status"], seen["headers"], body.decode()


def stamp(key: str) -> str:
    """The time-stamp of a form rendered a minute ago."""
    return spam.make_stamp(key, now=time.time() - 60)


def post_pending(client, story) -> str:
    """The attacker posts through the API: 202, an id and a token."""
    body = {"thread": story.thread_key, "author": "مهاجم", "text": PENDING}
    response = client.post(
        API, json.dumps({**body, "stamp": stamp(story.thread_key)}), content_type="application/json"
    )
    assert response.status_code == 202, response.content
    body = response.json()
    return f"{body['id']}.{body['token']}"


# --- Finding 1: one reader's pending comment in the shared caches ---------------------------


@pytest.mark.parametrize("query", ["?utm_source=share", ""])
def test_it_never_shows_a_pending_comment_to_the_next_reader(cached, client, query):
    story = make_article(section=make_section(slug="politics", name="سياسة"))
    tokens = post_pending(client, story)
    url = story.get_absolute_url() + query
    status, headers, body = get(cached, url, x_khabar_tokens=tokens)
    # The author still sees their own comment, in an answer no shared cache may keep.
    assert status == 200 and PENDING in body
    assert headers["Cache-Control"] == "private, no-store"
    assert "X-Accel-Expires" not in headers and "X-Cache" not in headers
    for _ in range(2):
        status, headers, body = get(cached, url)
        assert status == 200 and PENDING not in body
    if query:
        # A shared link is answered from the canonical page once that is stored.
        get(cached, story.get_absolute_url())
        status, headers, body = get(cached, url)
        assert PENDING not in body
    assert headers.get("X-Cache") == "HIT"  # the anonymous page, cached after the attack
    # Asked again with the header while the anonymous page is stored: still their own view.
    status, headers, body = get(cached, url, x_khabar_tokens=tokens)
    assert PENDING in body and "X-Cache" not in headers


def test_it_never_keeps_the_json_page_of_a_caller_with_tokens(cached, client):
    story = make_article(section=make_section(slug="politics", name="سياسة"))
    tokens = post_pending(client, story)
    thread = f"{API}?thread={story.thread_key}"
    mine = client.get(thread, HTTP_X_KHABAR_TOKENS=tokens)
    assert [c["html"] for c in mine.json()["comments"]] == [f"<p>{PENDING}</p>"]
    assert mine["Cache-Control"] == "private, no-store"
    assert client.get(thread).json()["comments"] == []


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_X_KHABAR_TOKENS": "1.abcdefghijkl"},
        {"HTTP_X_KHABAR_READER": "reader-abcdefgh"},
        {"HTTP_AUTHORIZATION": "Bearer abc"},
        {"HTTP_COOKIE": "sessionid=abc"},
        {"HTTP_COOKIE": "a=1; csrftoken=abc"},
        {"HTTP_COOKIE": "khabar_ct=abc"},
        {"HTTP_COOKIE": "messages=abc"},
    ],
)
def test_it_calls_a_request_carrying_a_reader_reader_specific(headers):
    assert pagecache.is_reader_specific(headers)
    assert not pagecache.is_reader_specific({"HTTP_COOKIE": "django_language=ar; theme=dark"})


def test_it_stores_no_variant_of_a_page_for_an_unknown_query_parameter(cached):
    story = make_article()
    url = story.get_absolute_url()
    status, headers, _body = get(cached, url + "?utm_source=share")
    assert status == 200 and "X-Accel-Expires" not in headers
    assert "X-Cache" not in get(cached, url + "?utm_source=share")[1]
    get(cached, url)
    # Once the canonical page is stored, shared links are answered from it.
    _status, headers, _body = get(cached, url + "?utm_source=share&fbclid=x")
    assert headers["X-Cache"] == "HIT" and "X-Accel-Expires" not in headers
    query = "csort=newest&utm_source=x&cpage=10"
    assert pagecache.canonical_query(query) == "csort=newest&cpage=10"


def test_it_lets_nginx_neither_serve_nor_store_a_reader_specific_request():
    conf = (ROOT / "deploy" / "nginx.conf.template").read_text()
    cookies = re.search(r"map \$http_cookie \$khabar_private_cookie \{(.*?)\}", conf, re.S)
    assert cookies is not None
    for name in ("sessionid", "csrftoken", "khabar"):
        assert name in cookies.group(1)
    reader = re.search(r'map "([^"]*)" \$khabar_private \{', conf)
    assert reader is not None
    for variable in (
        "$khabar_private_cookie",
        "$http_x_khabar_tokens",
        "$http_x_khabar_reader",
        "$http_authorization",
    ):
        assert variable in reader.group(1)
    for directive in ("proxy_cache_bypass", "proxy_no_cache"):
        assert re.search(rf"{directive} [^;]*\$khabar_private[ ;]", conf), directive
