"""A live story with many readers (issue 20): CPU per update, and who got it in time.

    python -m bench.live_fanout [--readers 10,100,1000] [--updates 5] [--gap 3]

Starts the production profile (``ops.topology``: PostgreSQL, Redis, two granian app
processes of one worker and one blocking thread each, the stream process
``khabar.live.asgi`` behind nginx's ``/live/<pk>/events`` location, nginx with its proxy
cache; deploy/nginx.conf.template) in a temporary folder on free ports, rate limits off (all
readers come from one address), and makes one demo story live.

SSE: for each reader count N, N asyncio readers open ``/live/<pk>/events`` through nginx
(staggered over ``--ramp`` seconds, reconnecting with ``Last-Event-ID`` 1 s after a stream
ends, as EventSource does); once all are connected the stream process's CPU (utime + stime
of its process tree, /proc/<pid>/stat) and the app processes' are read over an idle window
of ``gap x updates`` seconds, then a separate process posts ``updates`` updates through
``khabar.live.actions.post_update`` (``actors.COMMAND_LINE``) ``gap`` seconds apart, and CPU
is read over that window too. Per update: the stream process's CPU (all of it, and above the
idle window's: keep-alives, and the readers' reconnects at the end of each hold, which fall
in the posting window with the default 25 s hold; ``--hold 300`` leaves the fan-out alone),
the app's, how many readers received its event and within 2 s of the post, and the delay
from the post to each reader's receipt (p50, p95 and the slowest, over every reader and
update).

Polling: 1,000 readers each ask ``/live/<pk>/updates.json`` through nginx every 5 s
(staggered, keep-alive), while updates are posted the same way: requests per second, the
share nginx answered from its cache, app and nginx CPU per update, and how long after a post
the readers' answers carried it (median and slowest of the first reader to see it, and of
the last).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TICK = os.sysconf("SC_CLK_TCK")

POSTER = r"""
import json, sys, time, django
django.setup()
from khabar.live import actions
from khabar.live.models import LiveStory
from khabar.site import actors
live = LiveStory.objects.get(pk=int(sys.argv[1]))
count, gap = int(sys.argv[2]), float(sys.argv[3])
for i in range(count):
    time.sleep(gap)
    t = time.time()
    text = f"تحديث رقم {i + 1} من المكتب"
    update = actions.post_update(live, actor=actors.COMMAND_LINE, text=text)
    print(json.dumps({"seq": update.seq, "t": t, "took": time.time() - t}), flush=True)
"""

START_LIVE = r"""
import json, django
django.setup()
from khabar.articles.models import Article
from khabar.live import actions
from khabar.site import actors
article = Article.objects.published().in_edition("ar").order_by("-pk").first()
live = actions.start_live(article, actor=actors.COMMAND_LINE)
print(json.dumps({"article": article.pk, "live": live.pk, "seq": live.seq}))
"""


def log(message: str) -> None:
    print(f"[live] {message}", file=sys.stderr, flush=True)


def tree(pid: int) -> list[int]:
    """``pid`` and its descendants."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        todo += [c for c, pp in parents.items() if pp == p]
    return found


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICK


# --- Readers ---------------------------------------------------------------------------------


class SSEReader:
    count = 0

    def __init__(self, port: int, path: str):
        self.port, self.path = port, path
        n = SSEReader.count
        SSEReader.count += 1
        self.address = f"127.1.{n // 250 % 250}.{n % 250 + 1}"
        self.last = ""
        self.got: dict[int, float] = {}
        self.connects = 0
        self.errors = 0
        self.statuses: dict[str, int] = {}
        self.open = False

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self._once(stop)
            except (OSError, asyncio.IncompleteReadError, ValueError):
                self.errors += 1
            self.open = False
            if not stop.is_set():
                await asyncio.sleep(1.0)  # the stream's retry

    async def _once(self, stop: asyncio.Event) -> None:
        # Each reader from an address of its own (as in the world): nginx holds at most 32
        # streams an address (deploy/nginx.conf.template).
        reader, writer = await asyncio.open_connection(
            "127.0.0.1", self.port, local_addr=(self.address, 0)
        )
        try:
            # Connection: close, so that nginx closes the connection when the app ends the
            # stream (its hold), as EventSource sees the end of a response.
            head = (
                f"GET {self.path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                "Accept: text/event-stream\r\nConnection: close\r\n"
            )
            if self.last:
                head += f"Last-Event-ID: {self.last}\r\n"
            writer.write((head + "\r\n").encode())
            await writer.drain()
            self.connects += 1
            status = await reader.readline()
            code = status.split(b" ")[1].decode() if status.count(b" ") else "closed"
            self.statuses[code] = self.statuses.get(code, 0) + 1
            if code != "200":
                self.errors += 1
                return
            self.open = True
            while not stop.is_set():
                line = await reader.readline()
                if not line or line == b"0\r\n":  # closed, or the last chunk
                    return
                if line.startswith(b"id: "):
                    self.last = line[4:].strip().decode()
                    self.got.setdefault(int(self.last), time.time())
        finally:
            writer.close()


class Poller:
    def __init__(self, port: int, path: str, every: float):
        self.port, self.path, self.every = port, path, every
        self.seen: dict[int, float] = {}
        self.requests = 0
        self.errors = 0
        self.cache: dict[str, int] = {}

    async def run(self, stop: asyncio.Event, offset: float) -> None:
        await asyncio.sleep(offset)
        conn = None
        next_at = time.monotonic()
        while not stop.is_set():
            try:
                if conn is None:
                    conn = await asyncio.open_connection("127.0.0.1", self.port)
                reader, writer = conn
                writer.write(f"GET {self.path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
                await writer.drain()
                status = await reader.readline()
                length, headers = 0, {}
                while (line := await reader.readline()) not in (b"\r\n", b""):
                    k, _, v = line.decode().partition(":")
                    headers[k.strip().lower()] = v.strip()
                length = int(headers.get("content-length", "0"))
                body = await reader.readexactly(length)
                self.requests += 1
                state = headers.get("x-proxy-cache", "none")
                self.cache[state] = self.cache.get(state, 0) + 1
                if b" 200 " not in status:
                    self.errors += 1
                else:
                    now = time.time()
                    for u in json.loads(body).get("updates", []):
                        self.seen.setdefault(int(u["seq"]), now)
                if headers.get("connection", "").lower() == "close":
                    writer.close()
                    conn = None
            except (OSError, asyncio.IncompleteReadError, ValueError):
                self.errors += 1
                conn = None
            next_at += self.every
            await asyncio.sleep(max(next_at - time.monotonic(), 0))
        if conn is not None:
            conn[1].close()


# --- The run --------------------------------------------------------------------------------


def post(env: dict[str, str], live_pk: int, count: int, gap: float) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", POSTER, str(live_pk), str(count), str(gap)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )


async def sse_case(
    topo: Any,
    app_pids: list[int],
    story: dict[str, int],
    n: int,
    updates: int,
    gap: float,
    ramp: float,
) -> dict[str, Any]:
    live_pk = story["live"]
    path = f"/live/{story['article']}/events?since={story['seq']}"
    readers = [SSEReader(topo.proxy_port, path) for _ in range(n)]
    stop = asyncio.Event()

    async def reader(r: SSEReader, delay: float) -> None:
        await asyncio.sleep(delay)
        await r.run(stop)

    tasks = [asyncio.create_task(reader(r, ramp * i / n)) for i, r in enumerate(readers)]
    await asyncio.sleep(ramp + 3)
    window = gap * updates
    app = [p for a in app_pids for p in tree(a)]
    stream = tree(topo.pids["stream"])
    s0, a0 = cpu_seconds(stream), cpu_seconds(app)
    await asyncio.sleep(window)
    idle, app_idle = cpu_seconds(stream) - s0, cpu_seconds(app) - a0
    open_now = sum(r.open for r in readers)
    s1, a1 = cpu_seconds(stream), cpu_seconds(app)
    poster = post(topo.env(), live_pk, updates, gap)
    out, _ = await asyncio.to_thread(poster.communicate)
    await asyncio.sleep(2.5)
    busy, app_busy = cpu_seconds(stream) - s1, cpu_seconds(app) - a1
    stop.set()
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    posted = [json.loads(line) for line in out.splitlines() if line.strip()]
    # The next case's readers open the page as it is now.
    story["seq"] = max([story["seq"], *(p["seq"] for p in posted)])
    in_time = [sum(1 for r in readers if r.got.get(p["seq"], 1e18) - p["t"] <= 2.0) for p in posted]
    lags = sorted(r.got[p["seq"]] - p["t"] for p in posted for r in readers if p["seq"] in r.got)
    per_update = max(len(posted), 1)
    return {
        "readers": n,
        "open_streams_at_idle": open_now,
        "window_s": window,
        "stream_idle_cpu_s": round(idle, 3),
        "stream_cpu_per_update_ms": round(1000 * busy / per_update, 1),
        "stream_cpu_above_idle_per_update_ms": round(
            1000 * (busy - idle * (window + 2.5) / window) / per_update, 1
        ),
        "app_idle_cpu_s": round(app_idle, 3),
        "app_cpu_per_update_ms": round(1000 * app_busy / per_update, 1),
        "delivered": f"{len(lags)} of {n * len(posted)}",
        "lag_p50_s": round(lags[len(lags) // 2], 3) if lags else None,
        "lag_p95_s": round(lags[int(len(lags) * 0.95)], 3) if lags else None,
        "lag_max_s": round(lags[-1], 3) if lags else None,
        "in_time_per_update": in_time,
        "in_time_median": statistics.median(in_time) if in_time else 0,
        "got_at_all": [sum(1 for r in readers if p["seq"] in r.got) for p in posted],
        "median_lag_s": [
            round(statistics.median(lags), 2) if lags else None
            for lags in (
                [r.got[p["seq"]] - p["t"] for r in readers if p["seq"] in r.got] for p in posted
            )
        ],
        "connects": sum(r.connects for r in readers),
        "errors": sum(r.errors for r in readers),
        "statuses": {
            code: sum(r.statuses.get(code, 0) for r in readers)
            for code in sorted({c for r in readers for c in r.statuses})
        },
        "got_any": sum(1 for r in readers if r.got),
        "post_took_ms": [round(1000 * p["took"], 1) for p in posted],
    }


async def poll_case(
    topo: Any,
    app_pids: list[int],
    story: dict[str, int],
    n: int,
    updates: int,
    gap: float,
    every: float,
) -> dict[str, Any]:
    live_pk = story["live"]
    path = f"/live/{story['article']}/updates.json"
    pollers = [Poller(topo.proxy_port, path, every) for _ in range(n)]
    stop = asyncio.Event()
    tasks = [asyncio.create_task(p.run(stop, every * i / n)) for i, p in enumerate(pollers)]
    await asyncio.sleep(every + 1)
    app = [p for a in app_pids for p in tree(a)]
    nginx = tree(topo.pids["nginx"])
    r0 = sum(p.requests for p in pollers)
    c0, g0, t0 = cpu_seconds(app), cpu_seconds(nginx), time.monotonic()
    poster = post(topo.env(), live_pk, updates, gap)
    out, _ = await asyncio.to_thread(poster.communicate)
    await asyncio.sleep(every + 1)
    elapsed = time.monotonic() - t0
    app_cpu, nginx_cpu = cpu_seconds(app) - c0, cpu_seconds(nginx) - g0
    requests = sum(p.requests for p in pollers) - r0
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    posted = [json.loads(line) for line in out.splitlines() if line.strip()]
    first, last, saw = [], [], []
    for p in posted:
        lags = [q.seen[p["seq"]] - p["t"] for q in pollers if p["seq"] in q.seen]
        saw.append(len(lags))
        if lags:
            first.append(min(lags))
            last.append(max(lags))
    cache: dict[str, int] = {}
    for q in pollers:
        for k, v in q.cache.items():
            cache[k] = cache.get(k, 0) + v
    return {
        "readers": n,
        "every_s": every,
        "window_s": round(elapsed, 1),
        "requests_per_s": round(requests / elapsed, 1),
        "cache": cache,
        "errors": sum(q.errors for q in pollers),
        "app_cpu_s": round(app_cpu, 3),
        "nginx_cpu_s": round(nginx_cpu, 3),
        "app_cpu_per_update_ms": round(1000 * app_cpu / max(len(posted), 1), 1),
        "app_cpu_share_of_a_core": round(app_cpu / elapsed, 3),
        "nginx_cpu_share_of_a_core": round(nginx_cpu / elapsed, 3),
        "readers_who_saw_each": saw,
        "first_seen_s": [round(x, 2) for x in first],
        "last_seen_s": [round(x, 2) for x in last],
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.live_fanout", description=__doc__)
    parser.add_argument("--readers", default="10,100,1000")
    parser.add_argument("--updates", type=int, default=5)
    parser.add_argument("--gap", type=float, default=3.0)
    parser.add_argument("--poll-readers", type=int, default=1000)
    parser.add_argument("--poll-every", type=float, default=5.0)
    parser.add_argument("--ramp", type=float, default=5.0, help="seconds to connect SSE readers")
    parser.add_argument(
        "--hold",
        type=int,
        default=None,
        help="KHABAR_LIVE_HOLD for the stream process (default 25 s: readers reconnect "
        "during the windows; above the run's length: the fan-out alone)",
    )
    parser.add_argument("--no-sse", action="store_true")
    parser.add_argument("--no-poll", action="store_true")
    options = parser.parse_args(argv)

    from ops.topology import Topology

    def terminate(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, terminate)

    class Bench(Topology):
        def env(self) -> dict[str, str]:
            env = dict(super().env(), KHABAR_RATELIMIT="0")
            if options.hold is not None:
                env["KHABAR_LIVE_HOLD"] = str(options.hold)
            return env

    home = Path(tempfile.mkdtemp(prefix="khabar-live-"))
    home.chmod(0o755)  # PostgreSQL runs as its own user and must reach its folder
    topo = Bench.on_free_ports(home / "prod")
    topo.home.mkdir(parents=True)
    results: dict[str, Any] = {"sse": [], "poll": None}
    try:
        log("starting the production profile")
        topo.up()
        done = subprocess.run(
            [sys.executable, "-c", START_LIVE],
            cwd=ROOT,
            env=topo.env(),
            check=True,
            stdout=subprocess.PIPE,
            text=True,
        )
        story = json.loads(done.stdout.strip().splitlines()[-1])
        log(f"live story {story} at {topo.url}")
        app_pids = [pid for name, pid in topo.pids.items() if name.startswith("app")]
        if not options.no_sse:
            for n in [int(x) for x in options.readers.split(",")]:
                found = asyncio.run(
                    sse_case(topo, app_pids, story, n, options.updates, options.gap, options.ramp)
                )
                log(json.dumps(found))
                results["sse"].append(found)
        if not options.no_poll:
            found = asyncio.run(
                poll_case(
                    topo,
                    app_pids,
                    story,
                    options.poll_readers,
                    options.updates,
                    options.gap,
                    options.poll_every,
                )
            )
            log(json.dumps(found))
            results["poll"] = found
    finally:
        topo.down()
        shutil.rmtree(home, ignore_errors=True)
    print(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
