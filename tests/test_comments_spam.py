"""Spam and abuse: rate limits, the client address behind proxies, stamps, the checker."""

from __future__ import annotations

import json
import time

import pytest
from django.test import RequestFactory, override_settings

from khabar.comments import ratelimit, spam
from khabar.comments.models import Comment, Status
from khabar.site.clientip import client_ip
from khabar.test import make_article, make_section

pytestmark = pytest.mark.usefixtures("fresh_caches")


def test_it_allows_up_to_the_limit_in_a_window():
    results = [ratelimit.hit("t", "k", (3, 60), now=1000.0) for _ in range(4)]
    assert results == [True, True, True, False]


def test_it_starts_a_new_window():
    for _ in range(3):
        ratelimit.hit("t", "k", (3, 60), now=1000.0)
    assert ratelimit.hit("t", "k", (3, 60), now=1000.0 + 60) is True


def test_it_counts_keys_separately():
    assert ratelimit.hit("t", "a", (1, 60), now=0.0)
    assert ratelimit.hit("t", "b", (1, 60), now=0.0)
    assert not ratelimit.hit("t", "a", (1, 60), now=0.0)


def test_it_can_be_switched_off(settings):
    settings.KHABAR_RATELIMIT = False
    assert all(ratelimit.hit("t", "k", (1, 60), now=0.0) for _ in range(5))


@pytest.mark.parametrize(
    ("remote", "forwarded", "trusted", "expected"),
    [
        ("203.0.113.5", "", [], "203.0.113.5"),
        ("203.0.113.5", "1.2.3.4", [], "203.0.113.5"),  # untrusted: header ignored
        ("10.0.0.1", "198.51.100.7", ["10.0.0.1"], "198.51.100.7"),
        ("10.0.0.1", "6.6.6.6, 198.51.100.7", ["10.0.0.1"], "198.51.100.7"),  # forged left
        ("10.0.0.1", "198.51.100.7, 10.0.0.2", ["10.0.0.1", "10.0.0.2"], "198.51.100.7"),
    ],
)
def test_it_reads_the_client_address_only_from_trusted_proxies(
    remote, forwarded, trusted, expected
):
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    with override_settings(KHABAR_TRUSTED_PROXIES=trusted):
        assert client_ip(request) == expected


def test_it_never_stores_the_raw_address():
    hashed = ratelimit.hash_ip("198.51.100.7")
    assert "198" not in hashed and len(hashed) == 32
    assert hashed == ratelimit.hash_ip("198.51.100.7") != ratelimit.hash_ip("198.51.100.8")


def test_it_checks_the_form_stamp():
    stamp = spam.make_stamp("article:1", now=1000.0)
    assert spam.stamp_problem(stamp, "article:1", now=1000.0 + 10) == ""
    assert spam.stamp_problem(stamp, "article:1", now=1000.0 + 1) == "too-fast"
    assert spam.stamp_problem(stamp, "article:2", now=1000.0 + 10) == "invalid"
    assert spam.stamp_problem(stamp + "x", "article:1", now=1000.0 + 10) == "invalid"
    assert spam.stamp_problem(stamp, "article:1", now=1000.0 + 100 * 86400) == "expired"


def test_it_has_no_spam_checker_by_default():
    assert spam.get_checker() is None


def old(story) -> str:
    """The stamp of a form shown a minute ago."""
    return spam.make_stamp(story.thread_key, now=time.time() - 60)


class AlwaysSpam:
    def is_spam(self, submission: spam.Submission) -> bool:
        return "viagra" in submission.text


@pytest.mark.django_db
def test_it_asks_a_configured_checker(settings, client):
    settings.KHABAR_COMMENT_SPAM_CHECKER = f"{__name__}.AlwaysSpam"
    story = make_article(section=make_section(comment_policy="post"))
    body = {"thread": story.thread_key, "author": "x", "text": "buy viagra", "stamp": old(story)}
    response = client.post("/api/v1/comments", json.dumps(body), "application/json")
    assert response.status_code == 202
    assert Comment.objects.get().status == Status.SPAM


@pytest.mark.django_db
def test_it_limits_posts_per_address_and_per_thread(settings, client):
    story = make_article(section=make_section(comment_policy="post"))
    settings.KHABAR_COMMENT_RATE_PER_IP = (2, 3600)
    settings.KHABAR_COMMENT_RATE_PER_THREAD = (3, 3600)

    def send(n, ip):
        body = {"thread": story.thread_key, "author": "x", "text": f"تعليق رقم {n}"}
        body["stamp"] = old(story)
        return client.post("/api/v1/comments", json.dumps(body), "application/json", REMOTE_ADDR=ip)

    assert [send(n, "203.0.113.1").status_code for n in range(3)] == [201, 201, 429]
    assert send(3, "203.0.113.2").status_code == 201
    assert "تعلّق" in send(4, "203.0.113.1").json()["message"]
    # Three got through the thread's limit of three (refused ones do not count).
    assert send(5, "203.0.113.3").status_code == 429


@pytest.mark.django_db
def test_it_does_not_share_edit_rights_behind_one_address(client):
    story = make_article(section=make_section(comment_policy="post"))
    body = {"thread": story.thread_key, "author": "x", "text": "من خلف NAT", "stamp": old(story)}
    first = client.post(
        "/api/v1/comments", json.dumps(body), "application/json", REMOTE_ADDR="203.0.113.9"
    ).json()
    neighbour = client.delete(f"/api/v1/comments/{first['id']}", REMOTE_ADDR="203.0.113.9")
    assert neighbour.status_code == 404
