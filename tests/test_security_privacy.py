"""Readers' privacy: addresses kept only as keyed hashes, purged after a while; data requests."""

from __future__ import annotations

import datetime
import json
import time

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from django.utils import timezone

from khabar.comments import spam
from khabar.comments.models import AuditEntry, Comment, Status

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_caches")]
URL = "/api/v1/comments"


def post(client, story, text, *, email="", parent=None, ip="192.0.2.44"):
    body = {"thread": story.thread_key, "author": "ليلى", "text": text, "email": email}
    body["stamp"] = spam.make_stamp(story.thread_key, now=time.time() - 60)
    if parent:
        body["parent"] = parent
    response = client.post(URL, json.dumps(body), content_type="application/json", REMOTE_ADDR=ip)
    assert response.status_code in (201, 202), response.content
    return Comment.objects.get(pk=response.json()["id"])


def run(*args: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_it_never_stores_the_readers_address(client, story):
    comment = post(client, story, "تعليق أول", ip="192.0.2.44")
    row = Comment.objects.filter(pk=comment.pk).values().get()
    assert "192.0.2.44" not in json.dumps(row, default=str)
    assert len(comment.ip_hash) == 32


def test_it_purges_address_hashes_older_than_the_retention(client, story):
    old = post(client, story, "تعليق قديم")
    new = post(client, story, "تعليق جديد", ip="192.0.2.45")
    Comment.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=31)
    )
    AccessAttempt.objects.create(
        username="editor",
        ip_address="192.0.2.9",
        user_agent="x",
        failures_since_start=1,
        get_data="",
        post_data="",
        http_accept="",
        path_info="/desk/login/",
    )
    AccessAttempt.objects.update(attempt_time=timezone.now() - datetime.timedelta(days=40))
    out = run("purge_ips", "--days", "30")
    assert "cleared 1 comment address(es), 1 login record(s)" in out
    old.refresh_from_db()
    new.refresh_from_db()
    assert old.ip_hash == "" and new.ip_hash != ""
    assert not AccessAttempt.objects.exists()


def test_it_exports_a_readers_comments_as_json(client, story, tmp_path):
    mine = post(client, story, "رأيي في الخبر", email="Leila@Example.org")
    post(client, story, "تعليق شخص آخر", email="other@example.org", ip="192.0.2.50")
    target = tmp_path / "export.json"
    run("export_comments", "--email", "leila@example.org", "--output", str(target))
    data = json.loads(target.read_text(encoding="utf-8"))
    assert [c["id"] for c in data["comments"]] == [mine.pk]
    assert data["comments"][0]["text"] == "رأيي في الخبر"
    assert data["comments"][0]["page"] == story.get_absolute_url()


def test_it_erases_a_readers_comments_but_keeps_the_replies_of_others(client, story):
    mine = post(client, story, "رأيي الذي أريد حذفه", email="leila@example.org")
    reply = post(
        client, story, "رد على ليلى", email="sami@example.org", parent=mine.pk, ip="192.0.2.9"
    )
    out = run("erase_comments", "--email", "LEILA@example.org")
    assert "erased 1 comment(s)" in out
    mine.refresh_from_db()
    assert mine.status == Status.DELETED
    assert (mine.author_name, mine.email, mine.text, mine.html, mine.ip_hash) == ("",) * 5
    assert AuditEntry.objects.filter(comment=mine, action="erase").exists()
    reply.refresh_from_db()
    assert reply.status == Status.APPROVED and reply.text == "رد على ليلى"
    page = client.get(story.get_absolute_url()).content.decode()
    assert "رأيي الذي أريد حذفه" not in page and "رد على ليلى" in page
    listed = client.get(URL, {"thread": story.thread_key}).json()
    assert listed["comments"][0]["removed"] is True
    assert run("export_comments", "--email", "leila@example.org").count('"id"') == 0


def test_it_counts_without_erasing_on_a_dry_run(client, story):
    post(client, story, "تعليق باق", email="leila@example.org")
    assert "1 comment(s) would be erased" in run(
        "erase_comments", "--email", "leila@example.org", "--dry-run"
    )
    assert Comment.objects.filter(email="leila@example.org").exists()
