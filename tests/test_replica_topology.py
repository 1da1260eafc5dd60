"""The production profile with a streaming replica: readers read it, writers the primary.

Debian's PostgreSQL 15: the primary and a physical streaming replica (``pg_basebackup -R -X
stream``), Redis, two app processes, the worker and nginx (ops.topology), on free loopback
ports. Where a request read is shown by the replica's own table counters
(``pg_stat_user_tables``), and what the replica holds is held back with
``pg_wal_replay_pause()``.
"""

from __future__ import annotations

import functools
import re
import secrets
import shutil
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import psycopg
import pytest
from test_scaleout import fetch, shell

from ops.topology import Topology, _http_ok, template_for, wait_for

pytestmark = [pytest.mark.xdist_group("topology"), pytest.mark.topology]

MAX_LAG = 1


@pytest.fixture(scope="module")
def site():
    """The production profile with its replica, which the app processes give up on after
    ``MAX_LAG`` seconds of lag (checked every second)."""
    home = Path(tempfile.mkdtemp(prefix="khabar-replica-"))
    topology = Topology.on_free_ports(home, replica=True, durable=False)
    topology.replica_settings = {
        "KHABAR_REPLICA_MAX_LAG": str(MAX_LAG),
        "KHABAR_REPLICA_CHECK_SECONDS": "1",
        "KHABAR_REPLICA_PIN_SECONDS": "5",
    }
    try:
        topology.up(template=template_for(demo=True))
        yield topology
    finally:
        topology.down()
        shutil.rmtree(home, ignore_errors=True)


def on_replica(site: Topology, sql: str) -> tuple:
    with psycopg.connect(
        host=str(site.pg_replica_socket),
        port=site.pg_replica_port,
        user="postgres",
        dbname="khabar",
        autocommit=True,
    ) as conn:
        return conn.execute(sql).fetchone()


def story_reads_on_replica(site: Topology) -> int:
    """How many times the replica's server scanned the stories table (its own counters)."""
    row = on_replica(
        site,
        "SELECT coalesce(seq_scan, 0) + coalesce(idx_scan, 0) FROM pg_stat_user_tables"
        " WHERE relname = 'articles_article'",
    )
    return int(row[0])


def read_fresh(site: Topology, path: str, index: int = 0) -> tuple[int, str]:
    """An anonymous reader's page from an app process, past every cache (new queries).

    The reader holds a CSRF cookie (they opened a form once): no cache may answer them
    (``pagecache.is_reader_specific``), and nothing in it pins them to the primary. A
    cache-busting query string does not do it: the page store answers a URL whose parameters
    no page reads with the page it keeps, and the replica's counters would wait for a purge.
    """
    request = urllib.request.Request(
        f"{site.app_url(index)}{path}", headers={"Cookie": f"csrftoken={secrets.token_hex(16)}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def replica_in_use(site: Topology) -> bool:
    """Whether both app processes read stories from the replica now."""
    for index in (0, 1):
        metrics = fetch(site.app_url(index) + "/metrics")[2]
        if "khabar_replica_reads 1.0" not in metrics:
            return False
    return True


def replicated(site: Topology, pk: int, status: str = "published") -> None:
    """Wait until the replica has replayed story ``pk`` in ``status``: a page read from the
    primary and a lag within the limit do not say that the replica holds the story yet."""
    sql = f"SELECT status FROM articles_article WHERE id = {pk}"
    wait_for(lambda: on_replica(site, sql) == (status,), f"story {pk} {status} on the replica")


def new_story(site: Topology, headline: str, *, publish: bool = True) -> tuple[int, str]:
    out = shell(
        site,
        (
            "from khabar.test import make_article;"
            f"a = make_article(headline={headline!r}, publish={publish});"
            "print('STORY', a.pk, a.get_absolute_url())"
        ),
    )
    line = next(line for line in out.splitlines() if line.startswith("STORY "))
    _marker, pk, path = line.split()
    return int(pk), path


def test_it_reads_anonymous_story_pages_from_the_replica(site):
    _pk, path = new_story(site, "خبر يقرؤه القراء من النسخة")
    wait_for(lambda: read_fresh(site, path)[0] == 200, "the story on the site")
    wait_for(lambda: read_fresh(site, path, 1)[0] == 200 and replica_in_use(site), "replica")
    before = story_reads_on_replica(site)
    reads = 0

    def read_more() -> bool:
        # A read may go to the primary while a check finds the replica a second behind (a
        # loaded machine): readers keep reading, and the replica must serve them.
        nonlocal reads
        status, body = read_fresh(site, path, reads % 2)
        assert status == 200 and "خبر يقرؤه القراء من النسخة" in body
        reads += 1
        # The server's statistics reach its views within a second or so of a query.
        return story_reads_on_replica(site) >= before + 6

    wait_for(read_more, "six reads counted on the replica")


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


class Editor:
    """A desk session over HTTP: the login form, then the desk's buttons (CSRF included).

    Cookies are kept by hand: production marks them Secure, and a cookie jar would not
    send them back over the loopback's plain HTTP.
    """

    def __init__(self, site: Topology, username: str):
        self.base = site.app_url(0)
        self.cookies: dict[str, str] = {}
        self.opener = urllib.request.build_opener(_NoRedirects)
        self.get("/desk/login/")
        status, _body = self.post(
            "/desk/login/?next=/desk/",
            {"username": username, "password": f"{username}-Pass-1234!"},
        )
        assert status == 302 and "sessionid" in self.cookies, "the editor could not sign in"

    def _open(self, request: urllib.request.Request) -> tuple[int, str]:
        request.add_header("Cookie", "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        try:
            response = self.opener.open(request, timeout=15)
        except urllib.error.HTTPError as error:
            response = error
        with response:
            for header in response.headers.get_all("Set-Cookie") or []:
                name, _, rest = header.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
            return response.status, response.read().decode()

    def get(self, path: str) -> tuple[int, str]:
        return self._open(urllib.request.Request(self.base + path))

    def post(self, path: str, data: dict[str, str]) -> tuple[int, str]:
        body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": self.cookies["csrftoken"]})
        return self._open(urllib.request.Request(self.base + path, data=body.encode()))


def test_it_shows_the_editor_a_story_they_published_before_the_replica_has_it(site):
    shell(site, "from khabar.test import make_user; make_user('rywa', 'editor', signoff='2342')")
    pk, path = new_story(site, "خبر ينشره المحرر من المكتب", publish=False)
    editor = Editor(site, "rywa")
    wait_for(lambda: replica_in_use(site), "the replica in use")
    on_replica(site, "SELECT pg_wal_replay_pause()")
    try:
        status, _body = editor.post(f"/desk/story/{pk}/publish/", {})
        assert status == 302  # back to the desk home
        assert "khabar_primary" in editor.cookies  # pinned to the primary for a while
        # Right after: the replica has not replayed the publish (it is paused), yet the
        # editor's next page shows the story, from the primary.
        assert on_replica(site, f"SELECT status FROM articles_article WHERE id = {pk}") != (
            "published",
        )
        status, body = editor.get(path)
        assert status == 200 and "خبر ينشره المحرر من المكتب" in body
    finally:
        on_replica(site, "SELECT pg_wal_replay_resume()")
    # Readers see it once it is replicated, from the replica.
    wait_for(lambda: replica_in_use(site), "the replica caught up")
    before = story_reads_on_replica(site)

    def read_on_replica() -> bool:
        status, body = read_fresh(site, path, 1)
        assert status == 200 and "خبر ينشره المحرر من المكتب" in body
        return story_reads_on_replica(site) > before

    wait_for(read_on_replica, "a reader's read on the replica")


def test_it_keeps_answering_readers_from_the_primary_while_the_replica_is_down(site):
    _pk, path = new_story(site, "خبر أثناء توقف النسخة")
    wait_for(lambda: replica_in_use(site), "the replica in use")
    seen: list[int] = []
    stop = threading.Event()

    def read(reader: int) -> None:
        for n in range(300):
            if stop.is_set():
                return
            seen.append(read_fresh(site, path, (reader + n) % 2)[0])

    readers = [threading.Thread(target=read, args=(r,)) for r in range(3)]
    for reader in readers:
        reader.start()
    try:
        wait_for(lambda: len(seen) >= 10, "the readers' first pages")
        site.stop_replica()
        stopped = len(seen)
        wait_for(lambda: len(seen) >= stopped + 20, "pages while the replica is down")
    finally:
        stop.set()
        for reader in readers:
            reader.join(60)
    try:
        assert seen and set(seen) == {200}, sorted(set(seen))
        metrics = fetch(site.app_url(0) + "/metrics")[2]
        assert "khabar_replica_reads 0.0" in metrics
        status, _headers, body = fetch(site.app_url(0) + "/readyz")
        assert status == 200 and '"replica": "bypassed' in body
    finally:
        site.start_replica()
    # Retried: once it is back, readers read from it again.
    wait_for(lambda: replica_in_use(site), "the replica in use again")
    before = story_reads_on_replica(site)
    wait_for(
        lambda: read_fresh(site, path)[0] == 200 and story_reads_on_replica(site) > before,
        "reads on the replica again",
    )


def lag_of(site: Topology, index: int) -> float:
    metrics = fetch(site.app_url(index) + "/metrics")[2]
    found = re.search(r'khabar_replica_lag_seconds\{database="replica"\} ([0-9.e+-]+)', metrics)
    return float(found.group(1)) if found else 0.0


def test_it_stops_reading_a_replica_held_behind_beyond_the_allowed_lag(site):
    pk, path = new_story(site, "خبر سيسحب والنسخة متأخرة")
    hidden, hidden_path = new_story(site, "خبر تنشره القاعدة دون تنظيف", publish=False)
    wait_for(lambda: read_fresh(site, path)[0] == 200 and replica_in_use(site), "replicated")
    replicated(site, pk)
    replicated(site, hidden, "draft")
    on_replica(site, "SELECT pg_wal_replay_pause()")
    try:
        # A change no cache purge announces (straight in the table, past the actions): only
        # the lag can tell the router that the replica does not have it.
        shell(
            site,
            "from django.utils import timezone; from khabar.articles.models import Article as A;"
            f"A.objects.filter(pk={hidden})"
            ".update(status='published', published_at=timezone.now())",
        )
        wait_for(
            lambda: lag_of(site, 0) > MAX_LAG and lag_of(site, 1) > MAX_LAG,
            "the lag beyond the limit",
        )
        assert on_replica(site, f"SELECT status FROM articles_article WHERE id = {hidden}") != (
            "published",
        )
        for index in (0, 1):
            status, body = read_fresh(site, hidden_path, index)
            assert status == 200 and "خبر تنشره القاعدة دون تنظيف" in body
        assert "khabar_replica_reads 0.0" in fetch(site.app_url(0) + "/metrics")[2]
        # A withdrawn story is gone at once from every page, cached or not, though the
        # replica still holds it alive.
        shell(
            site,
            "from khabar.articles import actions; from khabar.articles.models import Article as A;"
            "from khabar.site.actors import COMMAND_LINE;"
            f"actions.withdraw_article(A.objects.get(pk={pk}), actor=COMMAND_LINE,"
            " reason='سحب للاختبار', reason_public=True)",
        )
        assert on_replica(site, f"SELECT status FROM articles_article WHERE id = {pk}") == (
            "published",
        )
        for index in (0, 1):
            assert read_fresh(site, path, index)[0] == 410
        assert fetch(site.url + path)[0] == 410
        assert f"/news/{pk}/" not in fetch(site.url + "/ar/")[2]
    finally:
        on_replica(site, "SELECT pg_wal_replay_resume()")
    wait_for(lambda: replica_in_use(site), "the replica caught up")
    assert read_fresh(site, path)[0] == 410


def test_it_answers_readers_while_the_primary_restarts_and_reads_the_replica_after(site):
    pk, path = new_story(site, "خبر أثناء إعادة تشغيل القاعدة")
    wait_for(lambda: read_fresh(site, path)[0] == 200 and replica_in_use(site), "replicated")
    replicated(site, pk)  # app0's 200 may have come from the primary
    seen: list[int] = []
    wrong: list[str] = []
    stop = threading.Event()

    def read(reader: int) -> None:
        for n in range(300):
            if stop.is_set():
                return
            url = f"{site.app_url((reader + n) % 2)}{path}?probe={time.time_ns()}"
            status, headers, body = fetch(url)
            seen.append(status)
            named = {name.lower() for name in headers}
            if "Traceback" in body or (status == 503 and "retry-after" not in named):
                wrong.append(f"{status} {body[:200]}")

    readers = [threading.Thread(target=read, args=(r,)) for r in range(3)]
    for reader in readers:
        reader.start()
    try:
        wait_for(lambda: len(seen) >= 10, "the readers' first pages")
        site.restart_postgres()
        restarted = len(seen)
        wait_for(lambda: len(seen) >= restarted + 20, "pages after the restart")
    finally:
        stop.set()
        for reader in readers:
            reader.join(60)
    assert seen and set(seen) <= {200, 503}, sorted(set(seen))
    assert wrong == []
    # The replica streams from the restarted primary again, and readers read from it.
    wait_for(lambda: replica_in_use(site), "the replica in use again")
    before = story_reads_on_replica(site)
    wait_for(
        lambda: read_fresh(site, path)[0] == 200 and story_reads_on_replica(site) > before,
        "reads on the replica again",
    )


def withdraw(site: Topology, pk: int, reason: str) -> None:
    """An editor's withdrawal of the story, with a public reason, through the primary."""
    shell(
        site,
        "from khabar.articles import actions;"
        "from khabar.articles.models import Article as A;"
        "from khabar.site.actors import COMMAND_LINE;"
        f"actions.withdraw_article(A.objects.get(pk={pk}), actor=COMMAND_LINE,"
        f" reason={reason!r}, reason_public=True)",
    )


def restart_apps(site: Topology, max_lag: int) -> None:
    site.replica_settings["KHABAR_REPLICA_MAX_LAG"] = str(max_lag)
    site.replica_settings["KHABAR_REPLICA_PIN_SECONDS"] = str(max_lag + 4)
    for index in (0, 1):
        site.stop_process(f"app{index}")
        site.start_app(index)
    for index in (0, 1):
        wait_for(functools.partial(_http_ok, site.app_url(index) + "/healthz"), f"app{index}")


def test_it_never_renders_a_purged_page_from_a_replica_that_has_not_replayed_the_purge(site):
    # An hour of lag allowed: only the purge can turn readers away from the replica here.
    restart_apps(site, max_lag=3600)
    try:
        pk, path = new_story(site, "خبر يسحب قبل أن تعيده النسخة")
        wait_for(lambda: read_fresh(site, path)[0] == 200 and replica_in_use(site), "replicated")
        replicated(site, pk)
        on_replica(site, "SELECT pg_wal_replay_pause()")
        try:
            withdraw(site, pk, "سحب فوري")
            assert on_replica(site, f"SELECT status FROM articles_article WHERE id = {pk}") == (
                "published",
            )
            assert replica_in_use(site)  # not lagging, as far as the limit goes
            for index in (0, 1):
                assert read_fresh(site, path, index)[0] == 410
            assert fetch(site.url + path)[0] == 410
        finally:
            on_replica(site, "SELECT pg_wal_replay_resume()")
    finally:
        restart_apps(site, max_lag=MAX_LAG)


WITHDRAW_ROUNDS = 3


def keep_reading(site: Topology, path: str, reader: int, stop, seen: list) -> None:
    """One reader asking app process ``reader % 2`` for the story, a new URL each time (so
    each is rendered), noting when each request started, where, what it got and who asked."""
    index, count = reader % 2, 0
    while not stop.is_set():
        count += 1
        started = time.time()
        status = fetch(f"{site.app_url(index)}{path}?cpage={reader}{count}")[0]
        seen.append((started, index, status, reader))


def withdraw_under_readers(site: Topology, round_: int) -> list[str]:
    pk, path = new_story(site, f"خبر يسحب والقراء يقرؤونه {round_}")
    replicated(site, pk)
    for index in (0, 1):
        wait_for(
            functools.partial(lambda i: fetch(site.app_url(i) + path)[0] == 200, index), "read"
        )
    stop = threading.Event()
    seen: list[tuple[float, int, int, int]] = []
    names = range(1, 5)
    readers = [
        threading.Thread(target=keep_reading, args=(site, path, n, stop, seen)) for n in names
    ]
    for reader in readers:
        reader.start()
    wrong: list[str] = []
    wait_for(lambda: {s[3] for s in seen if s[2] == 200} >= set(names), "every reader read it")
    on_replica(site, "SELECT pg_wal_replay_pause()")
    try:
        withdraw(site, pk, "سحب")
        withdrawn = time.time()

        def asked_after(reader: int) -> int:
            return sum(1 for s in seen if s[3] == reader and s[0] > withdrawn)

        # Each reader asks a few times more once the withdrawal has returned.
        wait_for(lambda: all(asked_after(n) >= 3 for n in names), "the readers asked again")
        stop.set()
        for reader in readers:
            reader.join(30)
        assert any(s[0] < withdrawn and s[2] == 200 for s in seen)  # it was read before
        after = [s for s in seen if s[0] > withdrawn]
        assert after, "no reader asked after the withdrawal"
        wrong += [f"round {round_}: app{s[1]} {s[2]}" for s in after if s[2] != 410]
        for index in (0, 1):
            for query in ("", "?cpage=1"):
                status = fetch(site.app_url(index) + path + query)[0]
                if status != 410:
                    wrong.append(f"round {round_}: app{index}{query} {status}")
        if (status := fetch(site.url + path)[0]) != 410:
            wrong.append(f"round {round_}: nginx {status}")
    finally:
        stop.set()
        on_replica(site, "SELECT pg_wal_replay_resume()")
    replicated(site, pk, "withdrawn")
    return wrong


def test_readers_reading_a_story_as_it_is_withdrawn_never_get_it_after_the_withdrawal(site):
    """The attack on the purge fence: readers keep asking both app processes for a story
    while an editor withdraws it and the replica has not replayed the withdrawal. A request
    that starts once the withdrawal has returned must get 410 from every node, however the
    purge's steps and the readers' renders interleave (before 61060cc a story withdrawn so
    answered 200 in about one round of eight)."""
    restart_apps(site, max_lag=3600)
    try:
        wrong = [line for n in range(WITHDRAW_ROUNDS) for line in withdraw_under_readers(site, n)]
    finally:
        restart_apps(site, max_lag=MAX_LAG)
    assert wrong == []
