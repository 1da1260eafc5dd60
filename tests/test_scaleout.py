"""The production profile as one site: PostgreSQL, Redis, two app processes and nginx.

Brought up from Debian's packages by ops.topology (what `make run-prod` runs), in a
temporary folder, on free loopback ports.
"""

from __future__ import annotations

import functools
import json
import re
import time
import urllib.error
import urllib.request

import pytest
from profile_shell import run_shell

from khabar.comments.spam import make_stamp
from ops.topology import Topology, _http_ok, wait_for

pytestmark = [pytest.mark.xdist_group("topology"), pytest.mark.topology]


def aged_stamp(site: Topology, thread: str) -> str:
    """A form stamp signed with the site's secret a minute ago, as a reader's form sends it."""
    return make_stamp(thread, now=time.time() - 60, key=(site.home / "secret").read_text())


def fetch(
    url: str,
    *,
    data: dict | None = None,
    method: str | None = None,
    ip: str = "",
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], str]:
    body = json.dumps(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    if body is not None:
        request.add_header("Content-Type", "application/json")
    if ip:
        request.add_header("X-Forwarded-For", ip)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


def shell(site: Topology, code: str) -> str:
    """What ``khabar shell -c code`` prints against the profile (tests/profile_shell.py)."""
    return run_shell(site, code).strip()


def story_path(site: Topology) -> tuple[int, str]:
    out = shell(
        site,
        (
            "from khabar.articles.models import Article as A;"
            "a=A.objects.published().filter(lang='ar').order_by('pk').first();"
            "print('STORY', a.pk, a.get_absolute_url())"
        ),
    )
    line = next(line for line in out.splitlines() if line.startswith("STORY "))
    _marker, pk, path = line.split()
    return int(pk), path


def test_it_shows_a_comment_posted_through_one_app_process_through_the_other(site):
    pk, _path = story_path(site)
    shell(
        site,
        f"from khabar.articles.models import Article as A; "
        f"A.objects.filter(pk={pk}).update(comment_policy='post')",
    )
    status, _h, body = fetch(
        site.app_url(0) + "/api/v1/comments",
        data={
            "thread": f"article:{pk}",
            "author": "سارة",
            "text": "تعليق عبر العملية الأولى",
            "stamp": aged_stamp(site, f"article:{pk}"),
        },
        ip="10.1.1.1",
    )
    assert status == 201, body
    status, _h, body = fetch(site.app_url(1) + f"/api/v1/comments?thread=article:{pk}")
    assert status == 200
    assert "تعليق عبر العملية الأولى" in body


def test_it_purges_the_page_nginx_cached_when_a_story_is_corrected(site):
    pk, path = story_path(site)
    fetch(site.url + path)
    status, headers, _body = fetch(site.url + path)
    assert status == 200 and headers["X-Proxy-Cache"] == "HIT"
    shell(
        site,
        (
            "from khabar.articles import actions; from khabar.articles.models import Article as A;"
            "from khabar.site.actors import COMMAND_LINE;"
            f"a = A.objects.get(pk={pk});"
            "actions.correct_article(a, actor=COMMAND_LINE, base_revision=a.revision,"
            " note='تصحيح', headline='عنوان مصحح عبر المكتب')"
        ),
    )
    status, headers, body = fetch(site.url + path)
    assert status == 200
    assert headers["X-Proxy-Cache"] != "HIT"
    assert "عنوان مصحح عبر المكتب" in body


def test_it_keeps_a_threads_page_in_nginx_for_the_sites_readers_until_a_comment_shows(site):
    """The comment API's thread page, as the widget asks for it on the site's own pages, is
    answered by nginx until a change to the thread purges it; a reader's own view and a
    cross-origin call never are."""
    out = shell(
        site,
        "from khabar.articles.models import Article as A;"
        "a=A.objects.published().filter(lang='ar').order_by('-pk').first();"
        "A.objects.filter(pk=a.pk).update(comment_policy='pre'); print('STORY', a.pk)",
    )
    pk = int(next(line for line in out.splitlines() if line.startswith("STORY ")).split()[1])
    thread = f"{site.url}/api/v1/comments?thread=article%3A{pk}&sort=oldest"
    status, _h, body = fetch(
        site.app_url(0) + "/api/v1/comments",
        data={
            "thread": f"article:{pk}",
            "author": "سارة",
            "text": "تعليق ينتظر المشرف في الوكيل",
            "stamp": aged_stamp(site, f"article:{pk}"),
        },
        ip="10.4.4.4",
    )
    assert status == 202, body
    posted = json.loads(body)
    fetch(thread)
    status, headers, body = fetch(thread)
    assert status == 200 and headers["X-Proxy-Cache"] == "HIT"
    assert "تعليق ينتظر المشرف في الوكيل" not in body
    mine = {"X-Khabar-Tokens": f"{posted['id']}.{posted['token']}"}
    status, headers, body = fetch(thread, headers=mine)
    assert headers["X-Proxy-Cache"] == "BYPASS" and "تعليق ينتظر المشرف في الوكيل" in body
    assert {k.lower(): v for k, v in headers.items()}["cache-control"] == "private, no-store"
    status, headers, body = fetch(thread, headers={"Origin": "https://blog.example.org"})
    assert status == 200 and headers["X-Proxy-Cache"] == "BYPASS"

    shell(
        site,
        "from khabar.comments import actions; from khabar.comments.models import Comment;"
        "from django.contrib.auth import get_user_model;"
        "m = get_user_model().objects.get(username='moderator');"
        f"actions.approve_comment(Comment.objects.get(pk={posted['id']}), actor=m)",
    )
    status, headers, body = fetch(thread)
    assert headers["X-Proxy-Cache"] != "HIT" and "تعليق ينتظر المشرف في الوكيل" in body
    status, headers, body = fetch(thread)
    assert headers["X-Proxy-Cache"] == "HIT" and "تعليق ينتظر المشرف في الوكيل" in body


def test_it_counts_a_rate_limit_across_both_app_processes(site):
    pk, _path = story_path(site)
    codes = []
    for n in range(8):
        status, _h, _body = fetch(
            site.app_url(n % 2) + "/api/v1/comments",
            data={
                "thread": f"article:{pk}",
                "author": "قارئ",
                "text": f"تعليق رقم {n} للاختبار",
                "stamp": aged_stamp(site, f"article:{pk}"),
            },
            ip="10.9.9.9",
        )
        codes.append(status)
    # The default allows 5 per minute per reader, wherever they land.
    assert codes[:5] == [codes[0]] * 5 and codes[0] in (201, 202)
    assert codes[5:] == [429, 429, 429]


def test_it_keeps_serving_when_one_app_process_stops(site):
    site.stop_process("app0")
    try:
        for n in range(6):
            # A query string nginx has not cached, so the request reaches an app process.
            status, _h, body = fetch(f"{site.url}/ar/?probe={n}-{time.time()}")
            assert status == 200
            assert 'dir="rtl"' in body
    finally:
        site.start_app(0)
        # The next test finds both app processes answering, as the profile started them.
        wait_for(functools.partial(_http_ok, site.app_url(0) + "/healthz"), "app0")


def read(url: str, host: str) -> tuple[int, dict[str, str], str]:
    """A reader's GET that names the site by ``host`` (the proxy keys pages without it)."""
    request = urllib.request.Request(url, headers={"Host": host})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


def test_it_drops_a_withdrawn_story_from_nginx_whatever_host_readers_used(site):
    out = shell(
        site,
        (
            "from khabar.articles.models import Article as A;"
            "a=A.objects.published().filter(lang='ar').order_by('-published_at','-pk').first();"
            "b=A.objects.published().filter(section=a.section).exclude(pk=a.pk)"
            ".order_by('-published_at','-pk').first();"
            "print('STORY', a.pk, a.get_absolute_url(), b.get_absolute_url())"
        ),
    )
    line = next(line for line in out.splitlines() if line.startswith("STORY "))
    _marker, pk, path, neighbour = line.split()
    # The same page spelt with lower-case escapes: nginx must not keep a copy of it apart.
    lower = re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), path)
    host = f"localhost:{site.proxy_port}"  # not the host the app purges with (127.0.0.1)
    pages = [path, lower, neighbour, "/ar/"]  # the story, its related box, the front page
    for page in pages:
        read(site.url + page, host)
        status, headers, body = read(site.url + page, host)
        assert status == 200 and headers["X-Proxy-Cache"] == "HIT", page
        assert f"/news/{pk}/" in body, page

    shell(
        site,
        (
            "from khabar.articles import actions; from khabar.articles.models import Article as A;"
            "from khabar.site.actors import COMMAND_LINE;"
            f"actions.withdraw_article(A.objects.get(pk={pk}), actor=COMMAND_LINE,"
            " reason='خطأ جسيم', reason_public=True)"
        ),
    )

    for url in (path, lower):
        status, headers, body = read(site.url + url, host)
        assert status == 410, url
        assert "خطأ جسيم" in body
    for page in (neighbour, "/ar/"):
        status, _headers, body = read(site.url + page, host)
        assert status == 200 and f"/news/{pk}/" not in body, page
    # The notice is the same for everyone: nginx keeps it, for every host.
    status, headers, _body = read(site.url + path, f"127.0.0.1:{site.proxy_port}")
    assert status == 410 and headers["X-Proxy-Cache"] == "HIT"


def app_renders(site: Topology) -> float:
    """Pages both apps rendered for their page cache (its misses), from their metrics."""
    total = 0.0
    for index in range(len(site.app_ports)):
        text = fetch(site.app_url(index) + "/metrics")[2]
        found = re.search(r'khabar_page_cache_requests_total\{outcome="miss"\} ([0-9.e+]+)', text)
        total += float(found.group(1)) if found else 0.0
    return total


STAMPEDE = """
import json, threading, urllib.request
from khabar.site import pagecache
url = {url!r}
for round in range(3):
    pagecache.purge_keys(["h:ar"])  # as a publish purges the home page: the apps' and nginx's
    got = []
    def read():
        with urllib.request.urlopen(url + "/ar/", timeout=10) as page:
            got.append((page.status, page.headers.get("X-Proxy-Cache")))
    readers = [threading.Thread(target=read) for _ in range(20)]
    for r in readers: r.start()
    for r in readers: r.join()
    print("ROUND", json.dumps(got))
"""


def test_it_renders_a_purged_home_page_once_for_twenty_readers_at_once(site):
    fetch(site.url + "/ar/")
    before = app_renders(site)
    out = shell(site, STAMPEDE.format(url=site.url))
    rounds = [json.loads(line[6:]) for line in out.splitlines() if line.startswith("ROUND ")]
    assert len(rounds) == 3
    for answers in rounds:
        assert [status for status, _cache in answers] == [200] * 20
        # nginx sends one of them to an app; any still waiting on its lock after 30 ms go on
        # to the apps, which answer them from the one render their own lock let through.
        assert sum(cache == "MISS" for _status, cache in answers) >= 1
    assert app_renders(site) - before == 3  # one render a purge, not one a reader
