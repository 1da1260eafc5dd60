"""`khabar ingest` (files and drop folders) and POST /api/v1/ingest with a partner token."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from khabar.articles.models import Article, Status
from khabar.syndication.actions import create_partner_token, revoke_partner_token
from khabar.syndication.models import Partner
from khabar.syndication.ninjs import to_ninjs
from khabar.test import SYSTEM, make_article, make_section

pytestmark = pytest.mark.django_db
WIRE = (
    Path(__file__).resolve().parent.parent / "khabar" / "data" / "demo" / "wire-ar-moscow-2342.txt"
)


def _ninjs(uri: str) -> bytes:
    doc = to_ninjs(make_article())
    doc["uri"] = uri
    return json.dumps(doc).encode()


def test_it_ingests_a_drop_folder(tmp_path):
    make_section("ar", "world", "دولي")
    (tmp_path / "a.json").write_bytes(_ninjs("urn:partner:a"))
    (tmp_path / "b.txt").write_bytes(WIRE.read_bytes())
    (tmp_path / "c.xml").write_bytes(b"<rss><channel>")
    (tmp_path / "d.html").write_bytes(b"<html><body>no</body></html>")
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match="2 document"):
        call_command("ingest", str(tmp_path), "--no-progress", stdout=out, stderr=err)
    assert sorted(p.name for p in (tmp_path / "done").iterdir()) == ["a.json", "b.txt"]
    failed = tmp_path / "failed"
    assert sorted(p.name for p in failed.iterdir()) == [
        "c.xml",
        "c.xml.reason.txt",
        "d.html",
        "d.html.reason.txt",
    ]
    assert "not well-formed XML" in (failed / "c.xml.reason.txt").read_text()
    assert "HTML page" in (failed / "d.html.reason.txt").read_text()
    assert not [p for p in tmp_path.iterdir() if p.is_file()]
    assert Article.objects.filter(source_id="urn:partner:a", status=Status.SUBMITTED).exists()
    assert "created story" in out.getvalue()


def test_it_ingests_files_and_publishes_when_trusted(tmp_path):
    make_section("ar", "world", "دولي")
    path = tmp_path / "story.json"
    path.write_bytes(_ninjs("urn:partner:t"))
    call_command("ingest", str(path), "--publish", stdout=StringIO())
    assert Article.objects.get(source_id="urn:partner:t").status == Status.PUBLISHED
    out = StringIO()
    call_command("ingest", str(path), stdout=out)
    assert "unchanged" in out.getvalue()
    assert path.exists()  # a single file is not moved


def test_it_refuses_a_file_over_the_limit(tmp_path, settings):

    settings.KHABAR_INGEST_MAX_BYTES = 1000
    path = tmp_path / "big.txt"
    path.write_bytes(b"x" * 1001)
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("ingest", str(path), stderr=err, stdout=StringIO())
    assert "too large" in err.getvalue()


def _partner(**fields):
    partner = Partner.objects.create(name="شريك", **fields)
    _token, raw = create_partner_token(partner, actor=SYSTEM)
    return partner, {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def test_it_accepts_a_push_from_a_partner(client):
    make_section("ar", "world", "دولي")
    _p, auth = _partner(can_ingest=True)
    response = client.post(
        "/api/v1/ingest", _ninjs("urn:partner:push"), content_type="application/json", **auth
    )
    assert response.status_code == 200, response.content
    [story] = response.json()["stories"]
    assert story["outcome"] == "created" and story["status"] == "submitted"


def test_it_publishes_a_push_from_a_trusted_partner(client):
    section = make_section("ar", "economy", "اقتصاد")
    make_section("ar", "world", "دولي")
    _p, auth = _partner(can_ingest=True, trusted=True, default_section=section)
    response = client.post("/api/v1/ingest", WIRE.read_bytes(), content_type="text/plain", **auth)
    [story] = response.json()["stories"]
    article = Article.objects.get(pk=story["id"])
    assert (article.status, article.section) == (Status.PUBLISHED, section)


def test_it_refuses_pushes_without_a_valid_token_or_right(client):
    make_section("ar", "world", "دولي")
    body = _ninjs("urn:partner:no")
    assert client.post("/api/v1/ingest", body, content_type="application/json").status_code == 401
    bad = {"HTTP_AUTHORIZATION": "Bearer khb_nope"}
    assert (
        client.post("/api/v1/ingest", body, content_type="application/json", **bad).status_code
        == 401
    )
    _p, reader_only = _partner()
    response = client.post("/api/v1/ingest", body, content_type="application/json", **reader_only)
    assert response.status_code == 403
    partner, auth = _partner(can_ingest=True)
    revoke_partner_token(partner.tokens.get(), actor=SYSTEM)
    assert (
        client.post("/api/v1/ingest", body, content_type="application/json", **auth).status_code
        == 401
    )
    assert not Article.objects.filter(source_id="urn:partner:no").exists()


def test_it_refuses_a_bad_push_with_a_reason(client):
    make_section("ar", "world", "دولي")
    _p, auth = _partner(can_ingest=True)
    response = client.post("/api/v1/ingest", b"{oops", content_type="application/json", **auth)
    assert response.status_code == 422
    assert "invalid JSON" in response.json()["detail"]


def test_it_refuses_a_push_nested_past_any_news_document_with_a_reason(client):
    # a partner's document of arrays inside arrays: a RecursionError, so a 500, before
    make_section("ar", "world", "دولي")
    _p, auth = _partner(can_ingest=True)
    nested = "[" * 50_000 + "]" * 50_000
    body = (
        '{"uri": "urn:partner:deep", "type": "text", "headlines": [{"value": "خبر"}], '
        f'"bodies": [{{"value": "نص"}}], "keywords": {nested}}}'
    )
    response = client.post("/api/v1/ingest", body, content_type="application/json", **auth)
    assert response.status_code == 422
    assert "nested too deeply" in response.json()["detail"]
    assert not Article.objects.filter(source_id="urn:partner:deep").exists()


def test_it_stores_only_a_digest_of_the_token():
    partner = Partner.objects.create(name="p")
    token, raw = create_partner_token(partner, actor=SYSTEM)
    token.refresh_from_db()
    assert raw not in {token.digest, token.prefix, token.label}
    assert raw.startswith(token.prefix)
    assert len(token.digest) == 64


def test_it_lets_the_chief_issue_and_revoke_tokens_in_the_desk(client, people):
    partner = Partner.objects.create(name="وكالة")
    client.force_login(people["chief"])
    response = client.post(
        "/desk/syndication/partner/",
        {"action": "issue_token", "_selected_action": [partner.pk]},
        follow=True,
    )
    assert response.status_code == 200
    token = partner.tokens.get()
    assert token.prefix in response.content.decode()
    client.post(
        "/desk/syndication/partnertoken/",
        {"action": "revoke", "_selected_action": [token.pk]},
        follow=True,
    )
    token.refresh_from_db()
    assert token.revoked_at is not None
    client.force_login(people["editor"])
    assert client.get("/desk/syndication/partner/").status_code == 403


def test_it_fetches_a_url_on_loopback(tmp_path):
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    make_section("ar", "world", "دولي")
    (tmp_path / "story.json").write_bytes(_ninjs("urn:partner:url"))
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/story.json"
        call_command("ingest", url, stdout=StringIO())
        err = StringIO()
        with pytest.raises(CommandError):
            call_command("ingest", url.replace("story", "missing"), stdout=StringIO(), stderr=err)
        assert "cannot fetch" in err.getvalue()
    finally:
        server.shutdown()
        server.server_close()
    assert Article.objects.filter(source_id="urn:partner:url").exists()
