"""The production profile as separate hosts (ops/multinode.py): PostgreSQL and its replica,
Redis, the worker and two app nodes, each its own network namespace with its own address,
behind a load balancer. Faults: a node killed, the replica killed, the primary restarted, a
node's nginx down while a story is withdrawn.

Needs root and ``ip netns`` (``make test`` runs as root on Debian). One profile serves the
module; its namespaces, links, processes and folder are removed afterwards, whatever the
tests did, and those of a run that was killed are removed when the next one starts
(``ops.netns``), while another live run's are left alone.
"""

from __future__ import annotations

import http.client
import json
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from profile_shell import run_shell

from khabar.comments.spam import make_stamp
from ops import netns
from ops.multinode import MultiNode
from ops.topology import template_for, wait_for

pytestmark = [pytest.mark.xdist_group("topology"), pytest.mark.topology]


@pytest.fixture(scope="module")
def cluster():
    # In memory where there is /dev/shm: removing two clusters' files from a disk (ext4
    # mounted with discard) took seconds of the module's teardown.
    memory = Path("/dev/shm")
    home = Path(
        tempfile.mkdtemp(prefix="khabar-multinode-", dir=memory if memory.is_dir() else None)
    )
    topology = MultiNode(
        home,
        remove_home=True,
        # The kill test posts as fast as it can: it counts what was acknowledged, not the
        # thread's limit (60 a minute).
        settings={"KHABAR_COMMENT_RATE_PER_THREAD": "100000/60"},
    )
    try:
        # From the template the other topology modules start from: prepared once a run.
        topology.up(template=template_for(demo=True))
        yield topology
    finally:
        topology.down()
    prefix = netns.PREFIX + topology.network.tag
    assert not [name for name in netns.namespaces() if name.startswith(prefix)]
    assert not [name for name in netns.links() if name.startswith(prefix)]
    assert not (netns.RUN_DIR / topology.network.tag).exists()
    assert not home.exists()


def fetch(url: str, *, data: dict | None = None, ip: str = "") -> tuple[int, dict[str, str], str]:
    body = json.dumps(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body)
    if body is not None:
        request.add_header("Content-Type", "application/json")
    if ip:
        request.add_header("X-Forwarded-For", ip)
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


def shell(cluster: MultiNode, code: str) -> str:
    """Run Python in ``khabar shell`` against the hosts; its last line of output."""
    lines = run_shell(cluster, code).strip().splitlines()
    return lines[-1] if lines else ""


def new_story(cluster: MultiNode, headline: str) -> tuple[int, str]:
    """A published story whose comments show at once."""
    out = shell(
        cluster,
        "from khabar.test import make_article, make_section;"
        f"a = make_article(headline={headline!r}, section=make_section(comment_policy='post'));"
        "print('STORY', a.pk, a.get_absolute_url())",
    )
    _marker, pk, path = out.split()
    return int(pk), path


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


class Desk:
    """An editor's session through the load balancer (cookies by hand: they are Secure)."""

    def __init__(self, base: str, username: str):
        self.base = base
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


def cached_on(cluster: MultiNode, node: str, path: str) -> bool:
    """Whether ``node``'s nginx answers ``path`` from its cache."""
    status, headers, _body = fetch(cluster.node_url(node) + path)
    return status == 200 and headers.get("X-Proxy-Cache") == "HIT"


def test_it_never_serves_a_withdrawn_story_from_a_node_that_missed_the_purge(cluster):
    pk, path = new_story(cluster, "خبر يسحب ونسخته في كل عقدة")
    for node in cluster.node_names:
        wait_for(lambda node=node: cached_on(cluster, node, path), f"the story cached on {node}")
    shell(cluster, "from khabar.test import make_user; make_user('desk19', 'editor')")
    desk = Desk(cluster.url, "desk19")
    cluster.stop_nginx("node2")
    try:
        status, body = desk.post(
            f"/desk/articles/article/{pk}/withdraw/",
            {"reason": "خطأ في المصدر", "confirm": "yes"},
        )
        assert status == 302, body[:500]
        # node1 took the purge at once.
        assert fetch(cluster.node_url("node1") + path)[0] == 410
    finally:
        cluster.start_nginx("node2")
    # node2 missed it, yet does not serve its copy from before.
    status, _headers, body = fetch(cluster.node_url("node2") + path)
    assert status == 410, body[:300]
    assert fetch(cluster.url + path)[0] == 410


def test_it_delivers_a_purge_a_live_node_missed_from_the_worker(cluster):
    _pk, path = new_story(cluster, "خبر يطهر بعد محاولة ثانية")
    wait_for(lambda: cached_on(cluster, "node2", path), "the story cached on node2")
    # A purge node2 did not answer, as the app queues it (khabar.site.proxy).
    shell(
        cluster,
        "import time; from khabar.site import proxy;"
        f"proxy._queue({cluster.node_url('node2')!r}, [{path!r}], time.time())",
    )
    wait_for(lambda: not cached_on(cluster, "node2", path), "the worker's retried purge", 15)
    left = shell(
        cluster, "from khabar.site import proxy; print(proxy._client().llen(proxy.RETRY_KEY))"
    )
    assert left == "0"


def test_it_keeps_readers_and_comments_going_while_a_node_is_killed(cluster):
    pk, path = new_story(cluster, "خبر يقرؤه الناس وعقدة تسقط")
    key = (cluster.home / "secret").read_text()
    statuses: list[int] = []
    cut: list[str] = []
    acknowledged: list[int] = []
    unacknowledged: list[int] = []
    stop = threading.Event()

    def read(reader: int) -> None:
        for n in range(2000):  # a bound; the event ends it long before
            if stop.is_set():
                return
            # Half from the nodes' caches, half fresh (past them, to an app).
            query = f"?probe={reader}-{n}-{time.time_ns()}" if n % 2 else ""
            try:
                statuses.append(fetch(cluster.url + path + query)[0])
            except (http.client.IncompleteRead, ConnectionError) as error:
                # A page node1 was sending as it died: the balancer had passed on its
                # headers and cannot send it from another node. Counted, not a dead reader.
                cut.append(repr(error))

    def comment() -> None:
        for n in range(2000):
            if stop.is_set():
                return
            status, _headers, body = fetch(
                cluster.url + "/api/v1/comments",
                data={
                    "thread": f"article:{pk}",
                    "author": "قارئة",
                    "text": f"تعليق رقم {n} والعقدة تسقط",
                    "stamp": make_stamp(f"article:{pk}", now=time.time() - 60, key=key),
                },
                ip=f"10.19.{n // 250}.{n % 250 + 1}",
            )
            if status in (201, 202):
                acknowledged.append(json.loads(body)["id"])
            else:
                unacknowledged.append(status)

    workers = [threading.Thread(target=read, args=(r,)) for r in range(3)]
    workers.append(threading.Thread(target=comment))
    for worker in workers:
        worker.start()
    try:
        wait_for(lambda: len(statuses) >= 20 and len(acknowledged) >= 3, "the first answers")
        cluster.kill_node("node1")
        killed, posted = len(statuses), len(acknowledged)
        wait_for(lambda: len(statuses) >= killed + 60, "pages after node1 died")
        wait_for(
            lambda: len(acknowledged) >= posted + 5, f"comments after node1 died {unacknowledged}"
        )
    finally:
        stop.set()
        for worker in workers:
            worker.join(60)
        cluster.start_node("node1")
    assert statuses and set(statuses) == {200}, sorted(set(statuses))
    stored = shell(
        cluster,
        "from khabar.comments.models import Comment as C;"
        f"print(sorted(C.objects.filter(pk__in={acknowledged!r}).values_list('pk', flat=True)))",
    )
    assert json.loads(stored) == sorted(acknowledged)
    # Not acknowledged may be, at worst, the few in flight on node1 as it died; so may the
    # pages cut off (one a reader, at most).
    assert len(unacknowledged) <= 3, unacknowledged
    assert len(cut) <= 3, cut


def replica_in_use(cluster: MultiNode) -> bool:
    """Whether every node's app reads stories from the replica now."""
    return all(
        "khabar_replica_reads 1.0" in fetch(cluster.node_url(node) + "/metrics")[2]
        for node in cluster.node_names
    )


def test_it_keeps_readers_going_while_the_replica_is_killed(cluster):
    _pk, path = new_story(cluster, "خبر والنسخة تسقط")
    wait_for(lambda: replica_in_use(cluster), "the replica in use")
    statuses: list[int] = []
    stop = threading.Event()

    def read(reader: int) -> None:
        for n in range(2000):
            if stop.is_set():
                return
            statuses.append(fetch(f"{cluster.url}{path}?probe={reader}-{n}-{time.time_ns()}")[0])

    readers = [threading.Thread(target=read, args=(r,)) for r in range(3)]
    for reader in readers:
        reader.start()
    try:
        wait_for(lambda: len(statuses) >= 10, "the first pages")
        cluster.network.kill("replica")
        killed = len(statuses)
        wait_for(lambda: len(statuses) >= killed + 40, "pages while the replica is dead")
    finally:
        stop.set()
        for reader in readers:
            reader.join(60)
        cluster.start_replica()
    assert statuses and set(statuses) == {200}, sorted(set(statuses))
    wait_for(lambda: replica_in_use(cluster), "the replica in use again")


def test_it_answers_200_or_503_with_retry_after_while_the_primary_restarts(cluster):
    _pk, path = new_story(cluster, "خبر والقاعدة تعود")
    answers: list[tuple[int, str | None]] = []
    stop = threading.Event()

    def read(reader: int) -> None:
        for n in range(2000):
            if stop.is_set():
                return
            query = f"?probe={reader}-{n}-{time.time_ns()}" if n % 2 else ""
            status, headers, _body = fetch(cluster.url + path + query)
            answers.append((status, headers.get("Retry-After")))

    readers = [threading.Thread(target=read, args=(r,)) for r in range(4)]
    for reader in readers:
        reader.start()
    try:
        wait_for(lambda: len(answers) >= 10, "the first pages")
        cluster.restart_postgres()
        restarted = len(answers)
        wait_for(lambda: len(answers) >= restarted + 20, "pages after the restart")
    finally:
        stop.set()
        for reader in readers:
            reader.join(60)
    assert {status for status, _retry in answers} <= {200, 503}, answers
    assert all(retry for status, retry in answers if status == 503), answers
    for node in cluster.node_names:
        status, _headers, _body = fetch(f"{cluster.node_url(node)}{path}?probe={time.time_ns()}")
        assert status == 200
