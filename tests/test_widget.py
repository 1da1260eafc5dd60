"""The API as the embeddable widget uses it from other sites: preflights for every call it
makes (and none for the rest of the API), the refusal at load, the host page's language,
edits under moderation, likes."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache

from khabar.comments import actions, spam
from khabar.comments.api import router
from khabar.comments.models import Comment, Status

pytestmark = pytest.mark.django_db
BLOG = "https://blog.example.org"
OTHER = "https://other.example.net"
URL = "/api/v1/comments"


@pytest.fixture(autouse=True)
def _sites(settings):
    cache.clear()
    settings.KHABAR_COMMENT_SITES = {"blog": BLOG, "other": OTHER}


@pytest.fixture
def story(moderated_story):
    return moderated_story


def send(client, body, **headers):
    body = {"stamp": spam.make_stamp(body["thread"], now=time.time() - 60), **body}
    return client.post(URL, json.dumps(body), content_type="application/json", **headers)


def post(key, text, *, parent=None, author="سارة"):
    return actions.post_comment(
        key, actor=AnonymousUser(), author=author, text=text, parent_id=parent
    )


def preflight(client, path, method, origin=BLOG):
    return client.options(
        path,
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD=method,
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="accept-language,content-type,x-khabar-reader,x-khabar-tokens",
    )


#: Every call comments.js makes, with the method it uses.
WIDGET_CALLS = [
    ("GET", "/api/v1/comments?thread=site:blog:p1&sort=oldest"),
    ("POST", "/api/v1/comments"),
    ("GET", "/api/v1/comments/7/replies?after=000001"),
    ("PATCH", "/api/v1/comments/7"),
    ("DELETE", "/api/v1/comments/7"),
    ("POST", "/api/v1/comments/7/like"),
    ("POST", "/api/v1/comments/7/report"),
]


@pytest.mark.parametrize(("method", "path"), WIDGET_CALLS)
def test_it_answers_the_preflight_of_every_call_the_widget_makes(client, method, path):
    response = preflight(client, path, method)
    assert 200 <= response.status_code < 300  # what a browser needs of a preflight
    assert response["Access-Control-Allow-Origin"] == BLOG
    assert method in response["Access-Control-Allow-Methods"]
    allowed = response["Access-Control-Allow-Headers"].lower()
    for header in ("accept-language", "content-type", "x-khabar-reader", "x-khabar-tokens"):
        assert header in allowed
    assert response["Access-Control-Max-Age"] == "600"
    assert "Access-Control-Allow-Credentials" not in response  # the widget sends no cookies


def test_it_opens_only_the_widgets_endpoints_to_an_embedding_site(client):
    # Any page may read /widget (it says "*" itself); the counts are for the story pages.
    for path in router.path_operations:
        concrete = re.sub(r"{(?:\w+:)?\w+}", "7", path)
        response = preflight(client, f"/api/v1{concrete}", "POST")
        opened = path not in ("/widget", "/counts")
        assert ("Access-Control-Allow-Origin" in response) is opened, path
    for path in ("/api/v1/ninjs", "/api/v1/ingest", "/api/v1/openapi.json", "/ar/"):
        response = preflight(client, path, "GET")
        assert "Access-Control-Allow-Origin" not in response, path


@pytest.mark.parametrize("origin", ["https://evil.example", "null", BLOG + ".evil.example"])
@pytest.mark.parametrize(("method", "path"), WIDGET_CALLS)
def test_it_tells_a_site_that_is_not_allowed_nothing_in_a_preflight(client, origin, method, path):
    response = preflight(client, path, method, origin)
    for header in ("Origin", "Methods", "Headers", "Credentials"):
        assert f"Access-Control-Allow-{header}" not in response
    assert "origin" in response["Vary"].lower()


def test_it_answers_replies_to_an_allowed_site_with_cors(client):
    key = "site:blog:p1"
    root = post(key, "الأصل").comment
    response = client.get(
        f"/api/v1/comments/{root.pk}/replies", HTTP_ORIGIN=BLOG, HTTP_X_KHABAR_READER="reader-1234"
    )
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == BLOG


# --- At load ---------------------------------------------------------------------------------


def start(client, thread, origin=BLOG, language="ar"):
    return client.get(
        "/api/v1/widget", {"thread": thread}, HTTP_ORIGIN=origin, HTTP_ACCEPT_LANGUAGE=language
    )


def test_it_welcomes_an_allowed_site_with_its_words(client):
    response = start(client, "site:blog:p1", language="en-GB, en;q=0.5")
    body = response.json()
    assert body["allowed"] is True and body["lang"] == "en"
    assert body["strings"]["moreReplies"] == "More replies"
    assert body["css"].startswith("/static/khabar/comments")
    assert response["Access-Control-Allow-Origin"] in ("*", BLOG)


@pytest.mark.parametrize(
    ("origin", "thread", "code"),
    [
        ("https://evil.example", "site:blog:p1", "forbidden-origin"),
        (OTHER, "site:blog:p1", "forbidden-origin"),  # another site's key
        (BLOG, "site:nosuch:p1", "thread-unknown"),
        (BLOG, "article:999999", "thread-unknown"),
        (BLOG, "<script>", "thread-unknown"),
    ],
)
def test_it_refuses_at_load_in_the_page_language(client, origin, thread, code):
    response = start(client, thread, origin, language="en")
    body = response.json()
    assert response.status_code == 200 and response["Access-Control-Allow-Origin"] == "*"
    assert body["allowed"] is False and body["code"] == code
    assert body["message"] and body["message"].isascii()  # English, as the page asked
    arabic = start(client, thread, origin, language="ar").json()
    assert re.search("[\u0600-\u06ff]", arabic["message"])


def test_it_gives_a_persian_page_persian_words(client):
    body = start(client, "site:blog:p1", origin="https://evil.example", language="fa-IR").json()
    assert body["lang"] == "fa" and body["strings"]["moreReplies"] == "پاسخ‌های بیشتر"
    assert "تعليقات" not in body["message"] and re.search("[؀-ۿ]", body["message"])


def test_it_falls_back_to_english_for_a_language_without_a_catalogue(client):
    body = start(client, "site:blog:p1", language="de, en;q=0.1").json()
    assert body["lang"] == "en"


# --- Messages in the page's language ---------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "That was quick!"), ("ar", "مهلًا"), ("fa", None)],
)
def test_it_says_why_in_the_language_the_widget_asks(client, language, expected):
    response = client.post(
        URL,
        json.dumps({"thread": "site:blog:p1", "author": "Sara", "text": "hello", "stamp": ""}),
        content_type="application/json",
        HTTP_ORIGIN=BLOG,
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 400 and response["Content-Language"] == language
    message = response.json()["message"]
    if language == "en":
        assert message.startswith(expected)
    else:
        assert re.search("[\u0600-\u06ff]", message)


def test_it_lets_the_widget_read_why_it_was_refused(client):
    # Another site's thread: refused, in the one error shape, readable by the calling page.
    refused = send(
        client,
        {"thread": "site:other:p1", "author": "Sara", "text": "hello"},
        HTTP_ORIGIN=BLOG,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert refused.status_code == 403 and refused["Access-Control-Allow-Origin"] == BLOG
    assert refused.json() == {
        "code": "forbidden-origin",
        "message": "This site may not embed the comments.",
    }
    invalid = client.post(
        URL, json.dumps({"thread": 7}), content_type="application/json", HTTP_ORIGIN=BLOG
    )
    assert invalid.status_code == 400 and invalid["Access-Control-Allow-Origin"] == BLOG
    assert invalid.json()["code"] == "bad-request"


def test_it_confirms_a_post_in_english_on_an_english_page(client):
    response = send(
        client,
        {"thread": "site:blog:p1", "author": "Sara", "text": "Hello there"},
        HTTP_ORIGIN=BLOG,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 202
    assert response.json()["message"].startswith("Thank you")


# --- Edits under moderation ------------------------------------------------------------------


def test_it_keeps_the_thread_for_readers_while_an_edit_waits(client, story, people):
    key = story.thread_key
    root = post(key, "النص **الأول**\n\nفقرة ثانية")
    actions.approve_comment(root.comment, actor=people["moderator"])
    reply = post(key, "رد قارئ آخر", parent=root.comment.pk, author="أحمد").comment
    actions.approve_comment(reply, actor=people["moderator"])
    mine = f"{root.comment.pk}.{root.token}"

    edit = client.patch(
        f"{URL}/{root.comment.pk}",
        json.dumps({"text": "نص **معدّل**"}),
        content_type="application/json",
        HTTP_X_KHABAR_TOKENS=mine,
    )
    assert edit.status_code == 200
    assert edit.json()["pending_edit"] is True and edit.json()["message"]

    others = client.get(URL, {"thread": key}, HTTP_X_KHABAR_READER="someone-else-1").json()
    assert others["count"] == 2
    [shown] = others["comments"]
    assert "<strong>الأول</strong>" in shown["html"] and not shown["pending_edit"]
    assert [r["id"] for r in shown["replies"]] == [reply.pk] and shown["text"] == ""

    author = client.get(URL, {"thread": key}, HTTP_X_KHABAR_TOKENS=mine).json()
    [own] = author["comments"]
    assert own["pending_edit"] is True and "<strong>معدّل</strong>" in own["html"]
    assert own["text"] == "نص **معدّل**"  # what they typed, for the edit box
    assert [r["id"] for r in own["replies"]] == [reply.pk]

    actions.approve_comment(Comment.objects.get(pk=root.comment.pk), actor=people["moderator"])
    [after] = client.get(URL, {"thread": key}).json()["comments"]
    assert "<strong>معدّل</strong>" in after["html"] and after["edited"] is True


def test_it_gives_the_author_what_they_typed_to_edit(client, story, people):
    root = post(story.thread_key, "**عريض**\n\nفقرة ثانية")
    mine = f"{root.comment.pk}.{root.token}"
    [own] = client.get(URL, {"thread": story.thread_key}, HTTP_X_KHABAR_TOKENS=mine).json()[
        "comments"
    ]
    assert own["text"] == "**عريض**\n\nفقرة ثانية" and own["editable"] is True


def test_it_takes_html_inside_backticks_as_text(client):
    response = send(
        client,
        {"thread": "site:blog:p1", "author": "Sara", "text": "Use `<b>` for bold"},
        HTTP_ORIGIN=BLOG,
    )
    assert response.status_code in (201, 202), response.content
    assert "&lt;b&gt;" in response.json()["html"]
    refused = send(client, {"thread": "site:blog:p1", "author": "Sara", "text": "Use <b> now"})
    assert refused.json()["code"] == "html"


# --- Likes -----------------------------------------------------------------------------------


def test_it_shows_a_reader_what_they_like(client, story, people):
    root = post(story.thread_key, "تعليق")
    actions.approve_comment(root.comment, actor=people["moderator"])
    like = f"{URL}/{root.comment.pk}/like"
    assert client.post(like, HTTP_X_KHABAR_READER="reader-1234").json() == {
        "likes": 1,
        "liked": True,
    }
    again = client.post(like, HTTP_X_KHABAR_READER="reader-1234")
    assert again.status_code == 409 and again.json()["code"] == "already"
    listed = client.get(URL, {"thread": story.thread_key}, HTTP_X_KHABAR_READER="reader-1234")
    assert listed.json()["comments"][0]["liked"] is True
    other = client.get(URL, {"thread": story.thread_key}, HTTP_X_KHABAR_READER="reader-5678")
    assert other.json()["comments"][0]["liked"] is False
    assert Comment.objects.get(pk=root.comment.pk).status == Status.APPROVED


# --- The embed address -----------------------------------------------------------------------


def test_it_caches_the_embed_address_for_minutes_and_versioned_files_for_good():
    template = (Path(__file__).parent.parent / "deploy" / "nginx.conf.template").read_text()
    rule = re.search(r"location = /static/khabar/comments\.js \{(.*?)\}", template, re.S)
    assert rule, "the embed address needs its own rule"
    seconds = int(re.search(r"max-age=(\d+)", rule[1])[1])
    assert seconds <= 600 and "immutable" not in rule[1]
    assert "immutable" in re.search(r"location /static/ \{(.*?)\}", template, re.S)[1]


def test_it_lets_no_shared_cache_give_one_sites_welcome_to_another(client):
    # The answer at load says whether the asking page's origin may embed the thread and is
    # public for minutes: a cache that kept it must key it by Origin (and language), or an
    # allowed site would be told it may not embed its own comments, or the reverse.
    refused = start(client, "site:blog:p1", origin=OTHER)
    welcomed = start(client, "site:blog:p1", origin=BLOG)
    assert refused.json()["allowed"] is False and welcomed.json()["allowed"] is True
    for response in (refused, welcomed):
        assert "public" in response["Cache-Control"]
        vary = {v.strip().lower() for v in response["Vary"].split(",")}
        assert {"origin", "accept-language"} <= vary
