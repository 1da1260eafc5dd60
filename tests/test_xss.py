"""The XSS corpus (tests/data/xss/payloads.txt) through every field a reader or partner controls.

Each payload goes in as a comment's name, text, email and honeypot field (API and form), a
search query, and a partner's ninjs, RSS and wire documents. Every page, fragment and feed
that shows the result is parsed: nothing may run (tests/htmlcheck.py) and feeds stay
well-formed XML. Refusing a payload is fine; a 500 is not.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from urllib.parse import quote

import lxml.etree
import lxml.html
import pytest
from django.core.cache import cache
from htmlcheck import problems, xml_problems

from khabar.articles.models import Article
from khabar.comments import spam
from khabar.comments.spam import make_stamp
from khabar.syndication.actions import create_partner_token
from khabar.syndication.models import Partner
from khabar.test import SYSTEM, make_article, make_section

pytestmark = pytest.mark.django_db
CORPUS = Path(__file__).resolve().parent / "data" / "xss" / "payloads.txt"
_ESCAPE = re.compile(r"\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|[nrt\\])")


def _unescape(text: str) -> str:
    def one(match: re.Match[str]) -> str:
        code = match.group(1)
        if code[0] in "xu":
            return chr(int(code[1:], 16))
        return {"n": "\n", "r": "\r", "t": "\t", "\\": "\\"}[code]

    return _ESCAPE.sub(one, text)


def load_payloads() -> list[str]:
    payloads = []
    for line in CORPUS.read_text(encoding="utf-8").split("\n"):
        if not line or line.startswith("#"):
            continue
        if line.startswith("esc:"):
            payloads.append(_unescape(line[4:]))
        elif line.startswith("repeat:"):
            _, count, text = line.split(":", 2)
            payloads.append(text * int(count))
        else:
            payloads.append(line)
    return payloads


PAYLOADS = load_payloads()
# A lone surrogate can travel in JSON ("\\ud800") but not in UTF-8 bytes (forms, URLs, XML).
ENCODABLE = [p for p in PAYLOADS if not re.search("[\ud800-\udfff]", p)]
OK_OR_REFUSED = {200, 201, 202, 204, 302, 400, 403, 404, 409, 422}


@pytest.fixture(autouse=True)
def _open_doors(settings):
    """No rate limits, links published at once: every payload reaches a page."""
    cache.clear()
    settings.KHABAR_RATELIMIT = False
    settings.KHABAR_COMMENT_LINKS_PENDING = False
    settings.KHABAR_COMMENT_DUPLICATE_SECONDS = 0


def chunks(items: list[str], size: int) -> list[list[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def clean(html: str | bytes, where: str) -> None:
    found = problems(html)
    assert found == [], f"{where}: {found}"


def fragment_clean(fragment: str, where: str) -> None:
    clean(f"<!doctype html><html><head></head><body>{fragment}</body></html>", where)


def feed_clean(data: bytes, where: str) -> None:
    assert xml_problems(data) == [], where
    root = lxml.etree.fromstring(data)
    for node in root.iter():
        if not isinstance(node.tag, str):
            continue
        name = node.tag.rsplit("}", 1)[-1]
        if name in {"description", "content", "summary", "encoded"} and node.text:
            fragment_clean(node.text, f"{where} <{name}>")
        if name in {"link", "loc", "guid", "id"}:
            target = (node.get("href") or node.text or "").strip().lower()
            assert not target.startswith(("javascript:", "data:", "vbscript:")), where


def test_it_has_a_corpus_of_at_least_150_payloads():
    assert len(PAYLOADS) >= 150
    kinds = "\n".join(PAYLOADS)
    for marker in ("<script", "onerror", "javascript:", "data:text/html", "<svg", "expression("):
        assert marker in kinds
    assert "\x00" in kinds and "\u202e" in kinds and any(len(p) >= 3000 for p in PAYLOADS)


def test_it_keeps_comment_payloads_inert_in_the_api_pages_and_feeds(client):
    section = make_section(comment_policy="post")
    accepted = 0
    for n, group in enumerate(chunks(PAYLOADS, 25)):
        story = make_article(section=section, headline=f"خبر التعليقات {n}")
        for i, payload in enumerate(group):
            for body in (
                {"author": payload, "text": f"نص عادي رقم {n}-{i}"},
                {"author": "قارئ", "text": payload, "email": payload[:254]},
                {"author": "قارئ", "text": f"نص {i} {payload}"},
            ):
                response = client.post(
                    "/api/v1/comments",
                    json.dumps(
                        {
                            "thread": story.thread_key,
                            "stamp": make_stamp(story.thread_key, now=time.time() - 60),
                            **body,
                        }
                    ),
                    content_type="application/json",
                )
                assert response.status_code in OK_OR_REFUSED, (payload, response.content[:300])
                assert response["Content-Type"].startswith("application/json")
                answer = json.loads(response.content)
                if response.status_code in (201, 202):
                    accepted += 1
                    fragment_clean(answer["html"], f"API html for {payload!r}")
                    fragment_clean(answer["author"], f"API author for {payload!r}")
        page = client.get(story.get_absolute_url())
        assert page.status_code == 200
        html = page.content.decode()
        clean(html, f"story page {n}")
        for payload in group:
            if "<" in payload and len(payload) > 3:
                assert payload not in html, payload
        listed = client.get("/api/v1/comments", {"thread": story.thread_key})
        for comment in listed.json()["comments"]:
            fragment_clean(comment["html"], "API list")
        feed_clean(client.get(f"/comments/feed/{story.pk}/").content, "comments feed")
    # Markup is refused; the rest (links, controls, bidi, entities…) is stored as written.
    assert accepted > len(PAYLOADS) // 2


@pytest.mark.parametrize("half", range(2))
def test_it_keeps_payloads_inert_in_the_form_pages(client, half):
    story = make_article(section=make_section(comment_policy="post"))
    stamp = spam.make_stamp(story.thread_key, now=time.time() - 60)
    for payload in ENCODABLE[half::2]:
        for data in (
            {"author": payload, "text": "نص"},
            {"author": "قارئ", "text": payload, "email": payload},
            {"author": "قارئ", "text": "نص", spam.HONEYPOT: payload},
            {"author": "قارئ", "text": payload, "parent": payload},
        ):
            response = client.post(
                "/comments/post/", {"thread": story.thread_key, "stamp": stamp, **data}
            )
            assert response.status_code in OK_OR_REFUSED, payload
            if response.status_code != 302:
                clean(response.content, f"form page for {payload!r}")
            else:
                assert response["Location"].startswith("/"), response["Location"]
    clean(client.get(story.get_absolute_url()).content, "story page after the form posts")


def test_it_keeps_search_payloads_inert(client):
    make_article(headline="مباحثات في موسكو")
    for payload in ENCODABLE:
        for edition in ("ar", "en"):
            response = client.get(f"/{edition}/search/?q={quote(payload, safe='')}&page=1")
            assert response.status_code in OK_OR_REFUSED, payload
            clean(response.content, f"search for {payload!r}")


@pytest.fixture
def partner_token() -> str:
    section = make_section("ar", "world", "دولي")
    partner = Partner.objects.create(
        name="شريك", can_ingest=True, trusted=True, default_section=section
    )
    _token, raw = create_partner_token(partner, actor=SYSTEM)
    return raw


def ninjs_doc(n: int, payload: str) -> dict:
    return {
        "uri": f"urn:partner:xss:{n}",
        "type": "text",
        "language": "ar",
        "version": "1",
        "headline": f"عنوان الخبر {n} {payload}"[:300],
        "description_summary": payload,
        "byline": payload[:200],
        "located": payload[:80],
        "body_html": f"<p>فقرة أولى {n}</p><p>{payload}</p>",
        "subject": [{"name": payload[:100], "code": f"tag-{n}"}],
    }


def rss_doc(payloads: list[str]) -> bytes:
    from xml.sax.saxutils import escape

    items = "".join(
        f"<item><title>خبر الخلاصة {n} {escape(payload)}</title>"
        f"<link>https://partner.example/rss/{n}</link><guid>https://partner.example/rss/{n}</guid>"
        f"<description>{escape('<p>' + payload + '</p><p>فقرة ثانية</p>')}</description></item>"
        for n, payload in enumerate(payloads)
    )
    return f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>{escape(payloads[0])}</title>
<link>https://partner.example/</link><description>x</description><language>ar</language>
{items}</channel></rss>""".encode()


def wire_doc(n: int, payload: str) -> bytes:
    line = " ".join(payload.split())[:200] or "نص"
    return (
        f"خبر البرقية {n} {line}\n\nموسكو / 26 تشرين الاول /اكتوبر/ارنا- {line}\n\n"
        f"فقرة ثانية {n}.\n\nانتهى ** 2342\n"
    ).encode()


# A quarter of the corpus a test, so that the suite's workers share the work.
QUARTERS = 4


@pytest.mark.parametrize("quarter", range(QUARTERS))
def test_it_keeps_ingested_payloads_inert_on_every_page_and_feed(client, partner_token, quarter):
    auth = {"HTTP_AUTHORIZATION": f"Bearer {partner_token}"}
    created: list[int] = []
    payloads = ENCODABLE[quarter::QUARTERS]
    documents = [("rss", rss_doc(payloads), "application/rss+xml")]
    for n, payload in enumerate(payloads):
        documents.append(("ninjs", json.dumps(ninjs_doc(n, payload)).encode(), "application/json"))
        documents.append(("wire", wire_doc(n, payload), "text/plain; charset=utf-8"))
    for kind, data, content_type in documents:
        response = client.post("/api/v1/ingest", data=data, content_type=content_type, **auth)
        assert response.status_code in (200, 422), (kind, data[:300], response.content[:300])
        if response.status_code == 200:
            created += [story["id"] for story in response.json()["stories"]]
    # Nearly all: a payload of nothing but control characters leaves no text to store.
    assert len(created) >= 2 * len(payloads) - 10
    stories = Article.objects.published().filter(pk__in=created).select_related("section")
    for story in stories:
        clean(client.get(story.get_absolute_url()).content, f"story {story.pk}")
        ninjs = client.get(f"/api/v1/ninjs/{story.pk}")
        assert ninjs.status_code == 200
        assert ninjs["Content-Type"].startswith("application/json")
        for body in ninjs.json().get("bodies", []):
            fragment_clean(body.get("value", ""), f"ninjs body {story.pk}")
        assert xml_problems(client.get(f"/api/v1/newsml/{story.pk}").content) == []
        for tag in story.tags.all():
            clean(client.get(f"/ar/tag/{quote(tag.slug)}/").content, f"tag {tag.slug!r}")
    for url in ("/ar/", "/ar/section/world/", "/ar/search/?q=%D8%AE%D8%A8%D8%B1"):
        clean(client.get(url).content, url)
    for url in (
        "/ar/feed/rss.xml",
        "/ar/feed/atom.xml",
        "/ar/feeds/section/world/rss.xml",
        "/sitemap.xml",
        "/news-sitemap.xml",
        "/sitemap-ar-world.xml",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        feed_clean(response.content, url)
    listing = client.get("/api/v1/ninjs", {"limit": 50})
    assert listing.status_code == 200
    for item in listing.json()["items"]:
        for body in item.get("bodies", []):
            fragment_clean(body.get("value", ""), "ninjs list")


def test_it_answers_hostile_json_with_a_clear_error_not_a_crash(client, partner_token):
    bodies = [
        b"",
        b"null",
        b"[]",
        b'"<script>alert(1)</script>"',
        b'{"thread": null}',
        b'{"thread": "article:1", "text": {"$gt": ""}}',
        b'{"thread": "' + b"a" * 5000 + b'", "text": "x"}',
        b'{"thread": "article:1", "parent": "1 OR 1=1", "text": "x"}',
        b'{"thread": "article:1", "parent": 99999999999999999999999, "text": "x"}',
        b'{"thread": "article:1", "text": "\\u0000\\ud800"}',
        b"\xff\xfe\x00<",
        b'{"__proto__": {"admin": true}}',
        b"{" * 2000,
    ]
    for body in bodies:
        for url in ("/api/v1/comments", "/api/v1/counts"):
            response = client.post(url, body, content_type="application/json")
            assert response.status_code in OK_OR_REFUSED, (url, body[:60], response.content[:200])
            json.loads(response.content)
        response = client.post(
            "/api/v1/ingest",
            body,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {partner_token}",
        )
        assert response.status_code in OK_OR_REFUSED, (body[:60], response.content[:200])
