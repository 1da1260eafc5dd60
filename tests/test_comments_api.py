"""The comments API: reading, posting, editing, likes, counts and every bad input."""

from __future__ import annotations

import json
import time

import pytest

from khabar.comments import spam
from khabar.comments.models import AuditEntry, Comment, ModeratedWord, Status, Thread
from khabar.test import make_article, make_section

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_caches")]
URL = "/api/v1/comments"


@pytest.fixture
def premoderated():
    return make_article(section=make_section(slug="politics", name="سياسة"))


def send(client, body, **headers):
    """POST a comment as the widget does: with the stamp of a form shown a minute ago."""
    if isinstance(body, dict) and isinstance(body.get("thread"), str) and "stamp" not in body:
        body = {**body, "stamp": spam.make_stamp(body["thread"], now=time.time() - 60)}
    return client.post(URL, json.dumps(body), content_type="application/json", **headers)


def posted(client, story, text="تعليق جميل", **fields):
    response = send(client, {"thread": story.thread_key, "author": "سارة", "text": text, **fields})
    assert response.status_code in (201, 202), response.content
    return response.json()


def test_it_posts_a_visible_comment_with_201(client, story):
    response = send(client, {"thread": story.thread_key, "author": "سارة", "text": "لا"})
    assert response.status_code == 201
    body = response.json()
    assert body["author"] == "سارة" and body["html"] == "<p>لا</p>" and body["token"]
    assert body["depth"] == 0 and body["parent"] is None and body["replies"] == []
    listed = client.get(URL, {"thread": story.thread_key}).json()
    assert listed["thread"] == story.thread_key and listed["count"] == 1
    assert [c["id"] for c in listed["comments"]] == [body["id"]]
    assert listed["next"] is None


def test_it_answers_202_when_the_comment_waits_for_a_moderator(client, premoderated):
    response = send(client, {"thread": premoderated.thread_key, "author": "سارة", "text": "نص"})
    assert response.status_code == 202
    assert response.json()["status"] == "pending"
    assert client.get(URL, {"thread": premoderated.thread_key}).json()["comments"] == []


def test_it_shows_the_caller_their_own_pending_comment(client, premoderated):
    body = posted(client, premoderated)
    mine = client.get(
        URL,
        {"thread": premoderated.thread_key},
        HTTP_X_KHABAR_TOKENS=f"{body['id']}.{body['token']}",
    ).json()
    assert [(c["id"], c["status"], c["own"]) for c in mine["comments"]] == [
        (body["id"], "pending", True)
    ]


def test_it_nests_replies(client, story):
    parent = posted(client, story, "الأصل")
    reply = posted(client, story, "الرد", parent=parent["id"])
    listed = client.get(URL, {"thread": story.thread_key}).json()
    assert listed["comments"][0]["replies"][0]["id"] == reply["id"]
    assert listed["comments"][0]["replies"][0]["depth"] == 1


def test_it_pages_with_a_cursor(settings, client, story):
    settings.KHABAR_COMMENT_PAGE_SIZE = 2
    for n in range(3):
        posted(client, story, f"تعليق رقم {n}")
    first = client.get(URL, {"thread": story.thread_key}).json()
    assert len(first["comments"]) == 2 and first["next"]
    second = client.get(URL, {"thread": story.thread_key, "cursor": first["next"]}).json()
    assert len(second["comments"]) == 1 and second["next"] is None


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"text": "   "}, 400, "empty"),
        ({"text": "\u202e\u2066"}, 400, "empty"),
        ({"text": "ا"}, 400, "too-short"),
        ({"text": "ب" * 6000}, 400, "too-long"),
        ({"text": "<script>alert(1)</script>"}, 400, "html"),
        ({"author": "<b>x</b>"}, 400, "name-html"),
        ({"author": "   "}, 400, "name-missing"),
        ({"author": "\u202e\u2067"}, 400, "name-missing"),
        ({"email": "not-an-address"}, 400, "email"),
        ({"email": "a@b"}, 400, "email"),
        ({"thread": "article:999999"}, 404, "thread-unknown"),
        ({"thread": "something-else"}, 404, "thread-unknown"),
        ({"thread": "site:unknown:page-1"}, 404, "thread-unknown"),
        ({"parent": 999999}, 400, "parent-missing"),
        ({"website": "http://spam.example"}, 400, "bot"),
        ({"stamp": "forged"}, 400, "form-expired"),
    ],
)
def test_it_refuses_bad_input_with_an_arabic_message(client, story, body, status, code):
    full = {"thread": story.thread_key, "author": "سارة", "text": "تعليق", **body}
    response = send(client, full)
    assert response.status_code == status, response.content
    error = response.json()
    assert error["code"] == code
    assert any("\u0600" <= ch <= "\u06ff" for ch in error["message"]), error["message"]
    assert Comment.objects.count() == 0
    assert AuditEntry.objects.count() == 0


def test_it_refuses_malformed_json_in_arabic(client, story):
    response = client.post(URL, "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "bad-request"
    missing = send(client, {"thread": story.thread_key})
    assert missing.status_code == 400 and missing.json()["code"] == "bad-request"


def test_it_refuses_a_parent_from_another_thread(client, story):
    other = make_article(section=story.section)
    foreign = posted(client, other, "في قصة أخرى")
    response = send(
        client,
        {"thread": story.thread_key, "author": "سارة", "text": "رد", "parent": foreign["id"]},
    )
    assert response.status_code == 400 and response.json()["code"] == "parent-other-thread"


def test_it_refuses_a_reply_to_a_deleted_comment(client, story):
    parent = posted(client, story, "سيحذف")
    gone = client.delete(
        f"{URL}/{parent['id']}", HTTP_X_KHABAR_TOKENS=f"{parent['id']}.{parent['token']}"
    )
    assert gone.status_code == 204
    response = send(
        client, {"thread": story.thread_key, "author": "سارة", "text": "رد", "parent": parent["id"]}
    )
    assert response.status_code == 400 and response.json()["code"] == "parent-removed"


def test_it_refuses_comments_on_a_closed_story(client):
    closed = make_article(section=make_section(comment_policy="post"), comment_policy="closed")
    response = send(client, {"thread": closed.thread_key, "author": "سارة", "text": "نص"})
    assert response.status_code == 403 and response.json()["code"] == "closed"
    assert client.get(URL, {"thread": closed.thread_key}).json()["open"] is False
    assert not Thread.objects.filter(key=closed.thread_key, comments__isnull=False).exists()


def test_it_closes_comments_days_after_publication(settings, client):
    import datetime

    from django.utils import timezone

    old = make_article(
        section=make_section(comment_policy="post"),
        published_at=timezone.now() - datetime.timedelta(days=40),
    )
    settings.KHABAR_COMMENT_CLOSE_AFTER_DAYS = 30
    response = send(client, {"thread": old.thread_key, "author": "سارة", "text": "نص"})
    assert response.status_code == 403 and response.json()["code"] == "closed"


def test_it_refuses_comments_on_unpublished_stories(client):
    draft = make_article(publish=False, section=make_section(comment_policy="post"))
    response = send(client, {"thread": draft.thread_key, "author": "سارة", "text": "نص"})
    assert response.status_code == 404


def test_it_refuses_a_duplicate(client, story):
    posted(client, story, "نفس النص")
    again = send(client, {"thread": story.thread_key, "author": "سارة", "text": "نَفس النص"})
    assert again.status_code == 409 and again.json()["code"] == "duplicate"


def test_it_escapes_markup_and_strips_bidi_overrides_from_names(client, story):
    body = posted(client, story, "[رابط](javascript:alert(1)) & *نص*", author="\u202eسارة\u202c")
    assert body["author"] == "سارة"
    assert "javascript" not in body["html"].split("[")[0]
    assert "<em>نص</em>" in body["html"] and "&amp;" in body["html"]


def test_it_rejects_banned_words_quietly_and_tells_the_moderator(client, story):
    ModeratedWord.objects.create(word="كلب", kind="banned")
    response = send(client, {"thread": story.thread_key, "author": "سارة", "text": "يا والكَـلـب"})
    assert response.status_code == 202 and response.json()["status"] == "rejected"
    comment = Comment.objects.get()
    assert comment.status == Status.REJECTED and "كلب" in comment.reason
    assert "والكَـلـب" in comment.reason


def test_it_holds_suspect_words_and_links(client, story):
    ModeratedWord.objects.create(word="مشبوه", kind="suspect")
    assert posted(client, story, "كلام مشبوه")["status"] == "pending"
    assert posted(client, story, "انظر https://example.org")["status"] == "pending"


def test_it_lets_the_author_edit_within_the_window(client, story):
    body = posted(client, story, "الأصل")
    tokens = {"HTTP_X_KHABAR_TOKENS": f"{body['id']}.{body['token']}"}
    response = client.patch(
        f"{URL}/{body['id']}", json.dumps({"text": "المعدل"}), "application/json", **tokens
    )
    assert response.status_code == 200 and response.json()["edited"] is True
    stranger = client.patch(
        f"{URL}/{body['id']}", json.dumps({"text": "اختراق"}), "application/json"
    )
    assert stranger.status_code == 404


def test_it_closes_the_edit_window(settings, client, story):
    body = posted(client, story, "الأصل")
    settings.KHABAR_COMMENT_EDIT_MINUTES = -1
    tokens = {"HTTP_X_KHABAR_TOKENS": f"{body['id']}.{body['token']}"}
    response = client.patch(
        f"{URL}/{body['id']}", json.dumps({"text": "المعدل"}), "application/json", **tokens
    )
    assert response.status_code == 403 and response.json()["code"] == "edit-window"
    assert client.delete(f"{URL}/{body['id']}", **tokens).status_code == 403


def test_it_counts_one_like_per_reader(client, story):
    body = posted(client, story)
    like = f"{URL}/{body['id']}/like"

    def send(reader, ip):
        return client.post(like, HTTP_X_KHABAR_READER=reader, REMOTE_ADDR=ip)

    assert send("reader-one-1234", "192.0.2.1").json() == {"likes": 1, "liked": True}
    assert send("reader-one-1234", "192.0.2.2").status_code == 409
    assert send("reader-two-1234", "192.0.2.2").json() == {"likes": 2, "liked": True}


def test_it_takes_reports(client, story):
    body = posted(client, story)
    url = f"{URL}/{body['id']}/report"
    response = client.post(
        url,
        json.dumps({"reason": "إساءة"}),
        "application/json",
        HTTP_X_KHABAR_READER="reader-one-1234",
    )
    assert response.status_code == 202
    assert Comment.objects.get(pk=body["id"]).reports == 1


def test_it_counts_comments_for_many_threads(client, story):
    posted(client, story)
    other = make_article(section=story.section)
    response = client.post(
        "/api/v1/counts",
        json.dumps([story.thread_key, other.thread_key, "nonsense"]),
        content_type="application/json",
    )
    assert response.json() == {story.thread_key: 1, other.thread_key: 0, "nonsense": 0}


def test_it_publishes_the_endpoints_in_openapi(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path in ("/api/v1/comments", "/api/v1/comments/{pk}", "/api/v1/counts"):
        assert path in paths


def test_it_answers_configured_sites_with_cors(settings, client):
    settings.KHABAR_COMMENT_SITES = {"blog": "http://blog.example"}
    key = "site:blog:post-1"
    preflight = client.options(
        URL,
        HTTP_ORIGIN="http://blog.example",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type",
    )
    assert preflight["Access-Control-Allow-Origin"] == "http://blog.example"
    assert "POST" in preflight["Access-Control-Allow-Methods"]
    response = send(
        client,
        {"thread": key, "author": "سارة", "text": "من المدونة"},
        HTTP_ORIGIN="http://blog.example",
    )
    assert response.status_code == 202
    assert response["Access-Control-Allow-Origin"] == "http://blog.example"
    evil = send(
        client,
        {"thread": key, "author": "سارة", "text": "من موقع آخر"},
        HTTP_ORIGIN="http://evil.example",
    )
    assert evil.status_code == 403 and "Access-Control-Allow-Origin" not in evil


def test_it_ignores_the_session_without_a_csrf_token(people, story):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(people["moderator"])
    body = posted(client, story, "بلا رمز", author="مجهول")
    assert Comment.objects.get(pk=body["id"]).user is None


@pytest.mark.parametrize(
    ("email", "accepted"),
    [
        ("sara@example.org", True),
        ("سارة@مثال.مصر", True),  # an internationalised address, local part and domain
        ("sara@مثال.مصر", True),
        ("sara.k+news@example.org", True),
        ("sara@example", False),  # no top-level domain
        ("sara@@example.org", False),
        ("sara@exa mple.org", False),
        ("sara@example.org\u0000", False),
        ("<sara>@example.org", False),
        ("a" * 250 + "@example.org", False),
    ],
)
def test_it_checks_an_email_address_in_any_script(email, accepted):
    from khabar.comments.actions import clean_email
    from khabar.comments.errors import CommentError

    if accepted:
        assert clean_email(email) == email
    else:
        with pytest.raises(CommentError):
            clean_email(email)
