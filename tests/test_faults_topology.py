"""Faults in the production profile (PostgreSQL, Redis, two app processes, nginx).

Redis stopped: pages keep coming (cache misses), posting a comment fails closed with a clear
Arabic message, and publishing still works. PostgreSQL stopped: requests fail cleanly with a
503 and an Arabic message, never a traceback; started again, the same app processes recover.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request

import pytest
from test_scaleout import shell, story_path

from khabar.comments.spam import make_stamp
from ops.topology import Topology, _tcp_open, wait_for

pytestmark = [pytest.mark.xdist_group("topology"), pytest.mark.topology]


def aged_stamp(site: Topology, thread: str) -> str:
    """A form stamp signed with the site's secret a minute ago, as a reader's form sends it."""
    return make_stamp(thread, now=time.time() - 60, key=(site.home / "secret").read_text())


def fetch(url: str, *, data: dict | None = None, ip: str = "") -> tuple[int, str, str]:
    body = json.dumps(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body)
    if body is not None:
        request.add_header("Content-Type", "application/json")
    if ip:
        request.add_header("X-Forwarded-For", ip)
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return (
                response.status,
                response.headers.get("Content-Type", ""),
                response.read().decode(),
            )
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type", ""), error.read().decode()


def post_comment(site: Topology, pk: int, text: str, ip: str) -> tuple[int, str, str]:
    return fetch(
        site.app_url(0) + "/api/v1/comments",
        data={
            "thread": f"article:{pk}",
            "author": "قارئ",
            "text": text,
            "stamp": aged_stamp(site, f"article:{pk}"),
        },
        ip=ip,
    )


def test_it_keeps_serving_and_refuses_comments_clearly_while_redis_is_down(site):
    pk, path = story_path(site)
    shell(
        site,
        "from khabar.articles.models import Article as A;"
        f"A.objects.filter(pk={pk}).update(comment_policy='post')",
    )
    site.stop_process("redis")
    try:
        for n in range(4):
            status, _type, body = fetch(
                f"{site.app_url(n % 2)}{path}?probe=redis-{n}-{time.time()}"
            )
            assert status == 200 and 'dir="rtl"' in body
            status, _type, _body = fetch(f"{site.url}/ar/?probe=redis-{n}-{time.time()}")
            assert status == 200
        status, content_type, body = post_comment(site, pk, "تعليق أثناء توقف ريديس", "10.3.3.3")
        assert status == 503, body
        assert content_type.startswith("application/json")
        assert "لا يمكن إرسال التعليقات الآن" in json.loads(body)["message"]
        # The desk still publishes: the page cache purge is skipped, not fatal.
        out = shell(
            site,
            "from khabar.articles import actions; from khabar.articles.models import Article as A;"
            "from khabar.site.actors import COMMAND_LINE;"
            f"a = A.objects.get(pk={pk});"
            "a = actions.correct_article(a, base_revision=a.revision, actor=COMMAND_LINE,"
            " note='تصحيح',"
            " headline='عنوان أثناء التوقف');"
            "print('STATUS', a.status)",
        )
        assert "STATUS corrected" in out
    finally:
        site.start_redis()
        wait_for(lambda: _tcp_open(site.redis_port), "redis")
    status, _type, body = post_comment(site, pk, "تعليق بعد عودة ريديس", "10.3.3.4")
    assert status in (201, 202), body


def test_it_answers_503_while_postgres_is_down_and_recovers_without_a_restart(site):
    _pk, path = story_path(site)
    site.stop_postgres()
    try:
        for n in range(4):
            url = f"{site.app_url(n % 2)}{path}?probe=pg-{n}-{time.time()}"
            status, content_type, body = fetch(url)
            assert status == 503, body[:300]
            assert "Traceback" not in body and "OperationalError" not in body
            assert "الموقع مشغول أو قيد الصيانة" in body
            status, content_type, body = fetch(
                f"{site.app_url(n % 2)}/api/v1/ninjs?probe={n}-{time.time()}"
            )
            assert status == 503 and content_type.startswith("application/json")
            assert json.loads(body)["code"] == "unavailable"
    finally:
        site.start_postgres()
    deadline = time.monotonic() + 30
    statuses = []
    while time.monotonic() < deadline:
        statuses = [fetch(f"{site.app_url(i)}{path}?probe=back-{time.time()}")[0] for i in (0, 1)]
        if statuses == [200, 200]:
            break
        time.sleep(0.5)
    assert statuses == [200, 200]


def test_it_never_answers_500_while_postgres_restarts_under_load(site):
    _pk, path = story_path(site)
    seen: list[int] = []
    tracebacks: list[str] = []
    stop = threading.Event()

    def read(reader: int) -> None:
        for n in range(400):  # a bound: every fresh page is stored in the page cache
            if stop.is_set():
                return
            # Fresh query strings: every request reaches an app process, not a cache.
            url = f"{site.app_url(n % 2)}{path}?probe=live-{reader}-{n}-{time.time()}"
            status, _type, body = fetch(url)
            seen.append(status)
            if "Traceback" in body or "OperationalError" in body:
                tracebacks.append(body[:300])

    readers = [threading.Thread(target=read, args=(r,)) for r in range(4)]
    for reader in readers:
        reader.start()
    try:
        wait_for(lambda: len(seen) >= 8, "the readers' first answers")
        site.restart_postgres()
        restarted = len(seen)
        wait_for(lambda: len(seen) >= restarted + 8, "answers after the restart")
    finally:
        stop.set()
        for reader in readers:
            reader.join(60)
    assert seen and set(seen) <= {200, 503}, sorted(set(seen))
    assert tracebacks == []
    # The same processes serve again after the restart.
    assert [fetch(f"{site.app_url(i)}{path}?probe=after-{time.time()}")[0] for i in (0, 1)] == [
        200,
        200,
    ]
