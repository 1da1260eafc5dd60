"""`python -m bench soak [--duration SECONDS]`: a steady mix against the production profile.

Readers on story pages and comment threads, 5% of requests posting comments, an editor
publishing a story every ``--publish-every`` seconds (2 by default; 10 before issue 19), for
5 minutes by default, all on loopback, after one read of each page to fill the caches.
The profile has a streaming replica (``--no-replica``: without); its lag is sampled.
The editor is one long-lived process (a management command started for each story cost a
core's worth of startup at that pace). At the end
it counts the comments the site acknowledged (201/202) against those stored, and records
5xx answers, p50/p99 latency and the app processes' memory in bench/RESULTS.md ("Soak").
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

from khabar.comments.spam import make_stamp
from ops.multinode import MultiNode
from ops.topology import ROOT, Topology, template_for

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def call(url: str, body: dict | None = None, ip: str = "") -> tuple[int, bytes, float, str]:
    """Status, body, seconds taken and nginx's cache status (``X-Proxy-Cache``, or "")."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if ip:
        request.add_header("X-Forwarded-For", ip)
    start = time.perf_counter()
    cache = ""
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            payload = response.read()
            status = response.status
            cache = response.headers.get("X-Proxy-Cache", "")
    except urllib.error.HTTPError as error:
        payload, status = error.read(), error.code
    except OSError:
        payload, status = b"", 0
    return status, payload, time.perf_counter() - start, cache


def rss_kib(pids: list[int]) -> int:
    """Resident memory of these processes and every process in their groups, in KiB."""
    total = 0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if os.getpgid(int(proc.name)) not in pids:
                continue
            status = (proc / "status").read_text()
        except (OSError, ProcessLookupError):
            continue
        match = re.search(r"VmRSS:\s+(\d+)", status)
        total += int(match.group(1)) if match else 0
    return total


class Soak:
    def __init__(
        self,
        site: Topology | MultiNode,
        duration: float,
        workers: int,
        publish_every: float = 2,
        client_processes: int = 2,
    ):
        self.site = site
        self.client_processes = client_processes
        self.deadline = float("inf")
        self.duration = duration
        self.workers = workers
        self.publish_every = publish_every
        self.statuses: Counter[int] = Counter()
        self.latencies: list[float] = []
        # (kind, nginx cache status, seconds, when it started after the run began)
        self.samples: list[tuple[str, str, float, float]] = []
        self.publish_times: list[float] = []
        self.started = time.monotonic()
        self.acked: list[int] = []
        self.published = 0
        self.memory: list[int] = []
        self.replica_lag: list[float | None] = []
        self.lock = threading.Lock()
        self.stop = threading.Event()

    def stories(self) -> list[tuple[int, str]]:
        out = self.site.manage(
            "shell",
            "-c",
            "from khabar.articles.models import Article as A\n"
            "for a in A.objects.published().order_by('-published_at')[:40]:"
            " print('STORY', a.pk, a.get_absolute_url())",
        ).stdout
        found = []
        for line in out.splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[0] == "STORY":
                found.append((int(parts[1]), parts[2]))
        return found

    def record(self, status: int, latency: float, kind: str = "", cache: str = "") -> None:
        at = time.monotonic() - self.started - latency
        with self.lock:
            self.statuses[status] += 1
            self.latencies.append(latency)
            self.samples.append((kind, cache, latency, at))

    def reader(self, stories: list[tuple[int, str]], seed: int) -> None:
        rng = random.Random(seed)
        base = self.site.url
        while not self.stop.is_set() and time.monotonic() < self.deadline:
            pk, path = rng.choice(stories)
            roll = rng.random()
            if roll < 0.05:
                ip = f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
                text = f"تعليق في اختبار التحمل {rng.randrange(10**9)}"
                # Straight to an app process, as nginx forwards it: nginx itself replaces
                # X-Forwarded-For, and every simulated reader would share one address.
                app = self.post_base(rng)
                kind = "post"
                status, body, latency, cache = call(
                    f"{app}/api/v1/comments",
                    {
                        "thread": f"article:{pk}",
                        "author": "قارئ",
                        "text": text,
                        "stamp": make_stamp(
                            f"article:{pk}",
                            now=time.time() - 60,
                            key=(self.site.home / "secret").read_text(),
                        ),
                    },
                    ip=ip,
                )
                if status in (201, 202):
                    with self.lock:
                        self.acked.append(json.loads(body)["id"])
            elif roll < 0.35:
                kind = "thread"
                status, _body, latency, cache = call(f"{base}/api/v1/comments?thread=article:{pk}")
            else:
                kind = "story"
                status, _body, latency, cache = call(f"{base}{path}")
            self.record(status, latency, kind, cache)

    def editor(self) -> None:
        script = (
            "import sys, time\n"
            "from khabar.test import make_article\n"
            "from khabar.articles.models import Section\n"
            "section = Section.objects.filter(lang='ar').first()\n"
            "while True:\n"
            f"    time.sleep({self.publish_every})\n"
            "    make_article(section=section, headline='خبر عاجل في اختبار التحمل')\n"
            "    print('PUBLISHED', flush=True)\n"
        )
        process = subprocess.Popen(
            [sys.executable, "-m", "khabar.manage", "shell", "-c", script],
            env=self.site.env(),
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        threading.Thread(
            target=lambda: (self.stop.wait(), process.terminate()), daemon=True
        ).start()
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith("PUBLISHED"):
                self.published += 1
                self.publish_times.append(time.monotonic() - self.started)
        process.wait()

    def sampler(self) -> None:
        if not isinstance(self.site, Topology):
            return  # the hosts' processes live in their namespaces
        pids = [self.site.pids[f"app{i}"] for i in range(len(self.site.app_ports))]
        while not self.stop.wait(5):
            self.memory.append(rss_kib(pids))

    def lag_sampler(self) -> None:
        """The replica's replay lag as the primary sees it, once a second
        (``pg_stat_replication.replay_lag``: from a commit on the primary to its replay)."""
        if not self.site.replica:
            return
        import psycopg

        with psycopg.connect(
            **self.primary(),
            user="postgres",
            dbname="khabar",
            autocommit=True,
        ) as db:
            while not self.stop.wait(1):
                row = db.execute(
                    "SELECT EXTRACT(EPOCH FROM replay_lag), state FROM pg_stat_replication"
                ).fetchone()
                if row is None:
                    self.replica_lag.append(None)  # no replica connected
                elif row[0] is not None:
                    self.replica_lag.append(float(row[0]))
                else:
                    self.replica_lag.append(0.0)  # caught up and idle

    # -- where things are, in either profile --------------------------------------------------
    def post_base(self, rng: random.Random) -> str:
        """Where a comment is posted from a simulated reader's own address (X-Forwarded-For).

        On one host: straight to an app process, as nginx forwards it (nginx replaces the
        header, and every simulated reader would share one address). Several hosts: the
        balancer, which takes the header from this machine and the nodes from it."""
        if isinstance(self.site, Topology):
            return self.site.app_url(rng.randrange(len(self.site.app_ports)))
        return self.site.url

    def metrics_urls(self) -> list[str]:
        if isinstance(self.site, Topology):
            return [self.site.app_url(n) + "/metrics" for n in range(len(self.site.app_ports))]
        return [self.site.node_url(node) + "/metrics" for node in self.site.node_names]

    def primary(self) -> dict[str, Any]:
        if isinstance(self.site, Topology):
            return {"host": str(self.site.pg_socket), "port": self.site.pg_port}
        from ops.multinode import PG_PORT

        return {"host": self.site.network.address("db"), "port": PG_PORT}

    def app_metric(self, pattern: str) -> float:
        """A counter summed over the app processes' /metrics (each one granian worker)."""
        total = 0.0
        for url in self.metrics_urls():
            _status, text, _latency, _cache = call(url)
            found = re.search(pattern + r" ([0-9.e+]+)", text.decode())
            total += float(found.group(1)) if found else 0.0
        return total

    def warm_up(self, stories: list[tuple[int, str]]) -> None:
        """Fill the caches once before the clock starts, as wrk's warm-up does for the web
        bench: the steady state is measured, not the empty caches of a profile just started
        (each read of the first second was a miss; they took up to 1.6 s on a busy machine)."""
        for pk, path in stories:
            call(f"{self.site.url}{path}")
            call(f"{self.site.url}/api/v1/comments?thread=article:{pk}")

    def client(self, stories: list[tuple[int, str]], seeds: list[int], out: Any) -> None:
        """One client process (forked): its reader threads until the deadline, then what
        they saw, sent back to the parent."""
        self.statuses, self.latencies, self.samples, self.acked = Counter(), [], [], []
        threads = [
            threading.Thread(target=self.reader, args=(stories, seed), daemon=True)
            for seed in seeds
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        out.put((dict(self.statuses), self.latencies, self.samples, self.acked))

    def run(self) -> dict[str, object]:
        import multiprocessing

        stories = self.stories()
        self.warm_up(stories)
        misses = r'khabar_page_cache_requests_total\{outcome="miss"\}'
        renders_before = self.app_metric(misses)
        started = self.started = time.monotonic()
        self.deadline = started + self.duration
        # The client threads, in ``client_processes`` processes: in one process, twelve
        # threads take turns at one interpreter lock, and a reply that has arrived waits
        # for its thread's turn (the client's delay, not the site's). Forked first, before
        # this process starts threads of its own.
        seeds = list(range(self.workers))
        results: Any = multiprocessing.get_context("fork").Queue()
        children = [
            multiprocessing.get_context("fork").Process(
                target=self.client, args=(stories, seeds[n :: self.client_processes], results)
            )
            for n in range(self.client_processes)
        ]
        for child in children:
            child.start()
        threads = [
            threading.Thread(target=self.editor, daemon=True),
            threading.Thread(target=self.sampler, daemon=True),
            threading.Thread(target=self.lag_sampler, daemon=True),
        ]
        for thread in threads:
            thread.start()
        for _child in children:
            statuses, latencies, samples, acked = results.get(timeout=self.duration + 120)
            self.statuses.update(statuses)
            self.latencies += latencies
            self.samples += samples
            self.acked += acked
        for child in children:
            child.join()
        self.stop.set()
        for thread in threads:
            thread.join(timeout=60)
        elapsed = time.monotonic() - started
        renders = self.app_metric(misses) - renders_before
        replica_reads = self.app_metric("khabar_replica_reads")
        lags = sorted(x for x in self.replica_lag if x is not None)
        ids = ",".join(map(str, self.acked)) or "0"
        out = self.site.manage(
            "shell",
            "-c",
            "from khabar.comments.models import Comment\n"
            f"print('STORED', Comment.objects.filter(pk__in=[{ids}]).count())",
        ).stdout
        stored = int(next(x for x in out.splitlines() if x.startswith("STORED")).split()[1])
        latencies = sorted(self.latencies)
        self.breakdown = breakdown(self.samples, self.publish_times)
        return {
            "duration_s": round(elapsed),
            "requests": sum(self.statuses.values()),
            "rps": round(sum(self.statuses.values()) / elapsed),
            "statuses": dict(sorted(self.statuses.items())),
            "errors_5xx": sum(n for code, n in self.statuses.items() if code >= 500 or code == 0),
            "comments_acknowledged": len(self.acked),
            "comments_stored": stored,
            "comments_lost": len(self.acked) - stored,
            "stories_published": self.published,
            "p50_ms": round(statistics.median(latencies) * 1000, 1),
            "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 1),
            "max_ms": round(latencies[-1] * 1000, 1),
            "app_renders": round(renders),
            "app_renders_per_publish": round(renders / self.published, 1)
            if self.published
            else None,
            "replica_lag_p50_ms": round(statistics.median(lags) * 1000, 1) if lags else None,
            "replica_lag_max_ms": round(lags[-1] * 1000, 1) if lags else None,
            "replica_samples_disconnected": sum(1 for x in self.replica_lag if x is None),
            "apps_reading_the_replica_at_end": round(replica_reads) if self.site.replica else None,
            "app_rss_mib_start": round(self.memory[0] / 1024) if self.memory else None,
            "app_rss_mib_max": round(max(self.memory) / 1024) if self.memory else None,
        }


def _pct(values: list[float], q: float) -> float:
    return round(values[max(0, int(len(values) * q) - 1)] * 1000, 1)


def breakdown(
    samples: list[tuple[str, str, float, float]], publishes: list[float]
) -> dict[str, object]:
    """Where the tail is: latency by kind of request and nginx cache status, how the slow
    requests sit against the editor's publishes, and the slowest twenty."""
    import bisect

    groups: dict[tuple[str, str], list[float]] = {}
    for kind, cache, latency, _at in samples:
        groups.setdefault((kind, cache or "-"), []).append(latency)
    rows = []
    for (kind, cache), values in sorted(groups.items(), key=lambda item: -len(item[1])):
        values.sort()
        rows.append(
            {
                "kind": kind,
                "cache": cache,
                "count": len(values),
                "p50_ms": _pct(values, 0.5),
                "p99_ms": _pct(values, 0.99),
                "max_ms": round(values[-1] * 1000, 1),
            }
        )

    def since_publish(at: float) -> float | None:
        n = bisect.bisect_right(publishes, at)
        return round(at - publishes[n - 1], 2) if n else None

    slow = sorted(samples, key=lambda sample: -sample[2])
    threshold = 0.05
    slow_count = sum(1 for sample in samples if sample[2] >= threshold)
    near = sum(
        1
        for sample in samples
        if sample[2] >= threshold
        and (lambda gap: gap is not None and gap < 0.5)(since_publish(sample[3]))
    )
    return {
        "by_kind": rows,
        "at_or_over_50ms": slow_count,
        "of_which_started_within_500ms_of_a_publish": near,
        "slowest": [
            {
                "kind": kind,
                "cache": cache or "-",
                "ms": round(latency * 1000, 1),
                "at_s": round(at, 2),
                "after_publish_s": since_publish(at),
            }
            for kind, cache, latency, at in slow[:20]
        ],
    }


def write_results(
    result: dict[str, object], workers: int, publish_every: float, *, multinode: bool = False
) -> None:
    title = "## Soak, several hosts" if multinode else "## Soak"
    profile = (
        "the multi-node profile (`--multinode`: the database, its streaming replica,\n"
        "Redis, the worker and two nodes, each an app and its nginx cache, as network\n"
        "namespaces behind a balancer) on one machine."
        if multinode
        else "the production profile (PostgreSQL with a streaming replica, Redis, two granian\n"
        "app processes behind nginx) on one machine, loopback only."
    )
    lines = [
        title,
        "",
        f"`python -m bench soak{' --multinode' if multinode else ''}` (part of `make bench`): "
        + profile,
        f"After one read of each page, {workers} client threads: readers on story pages (65%) and",
        "comment threads (30%), 5% posting comments (each from its own address), an editor",
        f"publishing a story every {publish_every:g} s. Comments acknowledged (201/202) are",
        'counted against those stored at the end. See also "The soak\'s tail" below.',
        "",
        "| measure | value |",
        "|---|---|",
        *(f"| {key} | {value} |" for key, value in result.items()),
        "",
        f"Run on {time.strftime('%Y-%m-%d %H:%M')} UTC, {os.cpu_count()} CPUs, load average"
        f" {os.getloadavg()[0]:.1f} at the end.",
        "",
    ]
    section = "\n".join(lines)
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    heading = f"\n{title}\n"
    if heading in text:
        before, _, rest = text.partition(heading)
        after = rest[rest.find("\n## ") + 1 :] if "\n## " in rest else ""
        text = before + "\n" + section + ("\n" + after if after else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    RESULTS.write_text(text)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench soak", description=__doc__)
    parser.add_argument("--duration", type=float, default=300, help="seconds (default 300)")
    parser.add_argument("--workers", type=int, default=12, help="client threads (default 12)")
    parser.add_argument("--publish-every", type=float, default=2, help="seconds (default 2)")
    parser.add_argument(
        "--client-processes",
        type=int,
        default=2,
        help="processes the client threads are spread over (default 2: one interpreter lock"
        " for twelve threads measured the client's own turn-taking)",
    )
    parser.add_argument(
        "--multinode",
        action="store_true",
        help="the multi-node profile (ops.multinode: hosts as network namespaces; needs root)",
    )
    parser.add_argument(
        "--no-replica", action="store_true", help="one PostgreSQL server, no streaming replica"
    )
    parser.add_argument(
        "--app-workers", type=int, default=1, help="granian workers per app process (default 1)"
    )
    parser.add_argument(
        "--breakdown", metavar="FILE", help="write latency by kind, cache status and publish"
    )
    parser.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    options = parser.parse_args(argv)
    home = Path(tempfile.mkdtemp(prefix="khabar-soak-"))
    site: Topology | MultiNode
    if options.multinode:
        # Each host a network namespace (ops.multinode): the database, its replica, Redis,
        # the worker, two nodes each with an app and its own nginx cache, and a balancer.
        site = MultiNode(home, replica=not options.no_replica, remove_home=True)
    else:
        site = Topology.on_free_ports(home, replica=not options.no_replica)
        site.app_workers = options.app_workers
    try:
        if options.multinode:
            site.up(template=template_for(demo=True))
        else:
            site.up()
        soak = Soak(
            site,
            options.duration,
            options.workers,
            options.publish_every,
            options.client_processes,
        )
        result = soak.run()
    finally:
        site.down()
    print(json.dumps(result, ensure_ascii=False, indent=2))
    if options.breakdown:
        Path(options.breakdown).write_text(json.dumps(soak.breakdown, indent=2))
        print(f"breakdown: {options.breakdown}")
    if not options.no_write:
        write_results(result, options.workers, options.publish_every, multinode=options.multinode)
    ok = result["errors_5xx"] == 0 and result["comments_lost"] == 0
    return 0 if ok else 1
