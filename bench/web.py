"""The web benchmark: khabar and its peers under the same wrk load, in the same run.

    python -m bench web [--rounds N] [--no-prod] [--no-write]      (ROUNDS=1 for a quick run)

Starts the peers from ../shared/peers (Isso, Wagtail, nginx; their own scripts) and khabar
(granian app servers on a seeded SQLite database in a temporary folder, and the production
profile of ops.topology), then per round runs the peers' bench scripts and the same
``bench`` function (../shared/peers/lib/bench.sh: 2 s warm-up, wrk -t2 -c32 -d10s, drain)
against khabar. Writes the table to the Web section of bench/RESULTS.md. Everything listens
on 127.0.0.1; every server is stopped by the PID recorded when it started, errors included.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import summarize_web as rows

ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / ".venv" / "bin"
RESULTS = ROOT / "bench" / "RESULTS.md"
PEERS_DIR = Path(os.environ.get("PEERS_DIR", ROOT.parent / "shared" / "peers")).resolve()
PEERS_HOME = Path(os.environ.get("PEERS_HOME", "/tmp/peers-home"))
ISSO_PORT = os.environ.get("ISSO_PORT", "18081")
WAGTAIL_PORT = os.environ.get("WAGTAIL_PORT", "18082")
NGINX_PORT = os.environ.get("NGINX_PORT", "18083")
# khabar's ports, clear of the peers' (1808x) and of make run / run-prod / the test suite.
WARM_PORT, FRESH_PORT, API_PORT = 18191, 18192, 18193
PROD_PORTS = {"proxy_port": 18190, "app_ports": (18196, 18197), "redis_port": 18198}
PROD_PG_PORT = 18199
START = "<!-- web:start -->"
END = "<!-- web:end -->"


def log(message: str) -> None:
    print(f"[web] {message}", file=sys.stderr, flush=True)


# --- The peers' scripts ---------------------------------------------------------------------


def peers_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ, PEERS_DIR=str(PEERS_DIR), PEERS_HOME=str(PEERS_HOME))
    env.update(extra)
    return env


def peer_script(script: str, *args: str, **env: str) -> None:
    subprocess.run(["bash", str(PEERS_DIR / script), *args], env=peers_env(**env), check=True)


def shell(snippet: str, *args: str, **env: str) -> str:
    """Run ``snippet`` after sourcing the peers' lib/common.sh and lib/bench.sh."""
    code = f'. "$PEERS_DIR/lib/common.sh"; . "$PEERS_DIR/lib/bench.sh"; {snippet}'
    done = subprocess.run(
        ["bash", "-c", code, "web", *args],
        env=peers_env(**env),
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    return done.stdout


def bench(row: tuple[str, str], url: str, script: Path | None = None, **env: str) -> None:
    """One measurement through the peers' ``bench`` (warm-up, wrk, drain, results.tsv)."""
    peer, endpoint = row
    shell('bench "$@"', peer, endpoint, url, *([str(script)] if script else []), **env)


def cpu_idle(seconds: int) -> int:
    return int(shell(f"cpu_idle_pct {seconds}").strip() or 0)


# --- khabar's app servers -------------------------------------------------------------------


@dataclass
class AppServer:
    """granian serving khabar on one port, as ``make run`` does; stopped by its PID."""

    name: str
    port: int
    env: dict[str, str]
    home: Path
    pid: int | None = None
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        log_file = open(self.home / "logs" / f"{self.name}.log", "ab")
        self.process = subprocess.Popen(
            [
                str(BIN / "granian"),
                "--interface",
                "wsgi",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--workers",
                "2",
                "--blocking-threads",
                "1",
                "--backpressure",
                "32",
                "khabar.wsgi:application",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.pid = self.process.pid
        (self.home / "run" / f"{self.name}.pid").write_text(str(self.pid))
        log(f"{self.name} started, pid {self.pid}, {self.url}")

    def stop(self) -> None:
        if self.process is None or self.pid is None:
            return
        if self.process.poll() is None:
            # Its own session: the signal reaches granian's workers too, and nothing else.
            os.killpg(self.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.pid, signal.SIGKILL)
                self.process.wait()
        (self.home / "run" / f"{self.name}.pid").unlink(missing_ok=True)
        log(f"{self.name} stopped (pid {self.pid})")
        self.process = None


def app_env(var: Path, site_url: str, **extra: str) -> dict[str, str]:
    """Production settings on the embedded profile (SQLite, page cache in SQLite)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("KHABAR_", "DJANGO_")) and k not in ("DATABASE_URL", "REDIS_URL")
    }
    secret = var.parent / "secret"
    if not secret.exists():
        secret.write_text(secrets.token_urlsafe(50))
    env.update(
        KHABAR_ENV="production",
        SECRET_KEY=secret.read_text(),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SITE_URL=site_url,
        SECURE_SSL_REDIRECT="0",
        KHABAR_VAR_DIR=str(var),
        # The load comes from one address: rate limits off, as Isso's guard is off.
        KHABAR_RATELIMIT="0",
        DJANGO_SETTINGS_MODULE="khabar.settings",
    )
    env.update(extra)
    return env


def seed(env: dict[str, str], *args: str) -> dict[str, Any]:
    done = subprocess.run(
        [str(BIN / "python"), str(ROOT / "bench" / "khabar_seed.py"), *args],
        cwd=ROOT,
        env=dict(env, PEERS_DIR=str(PEERS_DIR)),
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def fetch(url: str) -> tuple[int, dict[str, str], bytes]:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.status, dict(response.headers), response.read()


def wait_http(url: str, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            fetch(url)
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{what} did not answer on {url} within {timeout:.0f}s")


def count_comments(nodes: list[dict[str, Any]]) -> int:
    return sum(1 + count_comments(n.get("replies", [])) for n in nodes)


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return sorted(found)


# --- Record ---------------------------------------------------------------------------------


def _version(*cmd: str) -> str:
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=20)
    except OSError:
        return "missing"
    return (done.stdout or done.stderr).strip().splitlines()[0] if done else ""


def machine(results: Path, rounds: int, idle: int, notes: list[str]) -> None:
    cpu = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    free = subprocess.run(["free", "-h"], capture_output=True, text=True, check=False).stdout
    mem = next((line.split()[1] for line in free.splitlines() if line.startswith("Mem:")), "?")
    wrk = " ".join(
        f"-{k} {os.environ.get(v, d)}"
        for k, v, d in (("t", "WRK_THREADS", "2"), ("c", "WRK_CONNS", "32"))
    )
    lines = [
        f"date:     {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
        f"host:     {platform.system()} {platform.release()} {platform.machine()}, "
        f"{os.cpu_count()} CPUs ({cpu}), {mem} RAM",
        f"load:     loadavg {' '.join(Path('/proc/loadavg').read_text().split()[:3])}, "
        f"CPU {idle} % idle before the run",
        f"wrk:      {_version('wrk', '-v')} {wrk} -d{os.environ.get('WRK_DURATION', '10s')}"
        f", warm-up {os.environ.get('WRK_WARMUP', '2s')}, {rounds} round(s)",
        f"peers:    {_version(str(PEERS_HOME / 'venv-wagtail/bin/python'), '--version')}; "
        "Isso 0.14 and Wagtail 8 under gunicorn, 2 sync workers; "
        f"{_version('nginx', '-v')}, 2 workers",
        f"khabar:   {_version(str(BIN / 'python'), '--version')}, "
        f"{_version(str(BIN / 'granian'), '--version')} (2 workers, 1 blocking thread each), "
        "KHABAR_ENV=production, SQLite; prod: PostgreSQL, Redis, 2 app processes, nginx",
        f"commit:   {_version('git', '-C', str(ROOT), 'log', '-1', '--format=%h %s')[:90]}"
        " (plus uncommitted work of that moment)",
        *notes,
    ]
    (results / "machine.txt").write_text("\n".join(lines) + "\n")


def write_results(body: str) -> None:
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    section = f"## Web\n{START}\n{body.rstrip()}\n{END}\n"
    pattern = re.compile(
        r"^## Web\n" + re.escape(START) + r".*?" + re.escape(END) + r"\n", re.S | re.M
    )
    if pattern.search(text):
        text = pattern.sub(lambda _m: section, text)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    RESULTS.write_text(text, encoding="utf-8")


INTRO = """\
Story pages, the comment thread API and posting a comment, against Isso, Wagtail and nginx \
measured in the same run with the same harness (`../shared/peers/lib/bench.sh`: 2 s warm-up, \
wrk -t2 -c32 -d10s on loopback, queue drained after each run). Ratios are taken within a \
round; the median over rounds is shown. How to read and rerun it: [README.md](README.md).
"""


# --- The run --------------------------------------------------------------------------------


def run(options: argparse.Namespace) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    results = PEERS_HOME / "results" / f"khabar-web-{stamp}"
    results.mkdir(parents=True, exist_ok=True)
    os.environ["RESULTS_DIR"] = str(results)
    home = Path(tempfile.mkdtemp(prefix="khabar-bench-"))
    # PostgreSQL of the production profile runs as its own user and must reach its folder.
    home.chmod(0o755)
    for sub in ("logs", "run", "var"):
        (home / sub).mkdir()
    log(f"results in {results}, khabar data in {home}")

    if (
        not (PEERS_HOME / "venv-isso/bin/python").exists()
        or not (PEERS_HOME / "venv-wagtail/bin/python").exists()
    ):
        peer_script("setup.sh")
    idle = cpu_idle(3)
    if idle < 85:
        log(f"WARNING: the CPU is only {idle} % idle before the run: numbers will be low")

    servers: list[AppServer] = []
    topology = None
    peers_started: list[str] = []
    try:
        # khabar first: the seed takes a while and should not overlap the peers' start.
        env = app_env(home / "var", f"http://127.0.0.1:{WARM_PORT}")
        log("seeding khabar (migrate, demo, 200 + 200 + 5,000 comments)")
        data = seed(env)
        subprocess.run(
            [str(BIN / "khabar"), "collectstatic", "--noinput", "-v", "0"], env=env, check=True
        )
        log(f"seeded in {data['seconds']} s: {data['story']}")
        servers = [
            AppServer("warm", WARM_PORT, env, home),
            AppServer("fresh", FRESH_PORT, dict(env, KHABAR_PAGECACHE="0"), home),
            # Isso answers the whole thread; so does this one (100 top-level + replies).
            AppServer(
                "api",
                API_PORT,
                dict(
                    env,
                    KHABAR_PAGECACHE="0",
                    KHABAR_COMMENT_PAGE_SIZE="100",
                    KHABAR_COMMENT_REPLIES_PER_PAGE="200",
                ),
                home,
            ),
        ]
        for server in servers:
            server.start()
        for server in servers:
            wait_http(server.url + data["story"], server.name)

        prod_story = ""
        if not options.no_prod:
            from ops.topology import Topology

            log("starting the production profile (PostgreSQL, Redis, 2 app processes, nginx)")
            topology = Topology(home / "prod", pg_port=PROD_PG_PORT, **PROD_PORTS)  # type: ignore[arg-type]
            topology.home.mkdir()
            topology.up()
            prod = seed(topology.env(), "--no-big")
            prod_story = topology.url + prod["story"]
            fetch(prod_story)
            _, headers, _ = fetch(prod_story)
            log(f"production profile: {prod_story} ({headers.get('X-Proxy-Cache')})")

        # What is measured, for the record.
        _, _, story_html = fetch(servers[1].url + data["story"])
        _, _, big_html = fetch(servers[1].url + data["big"])
        thread_url = f"{servers[2].url}/api/v1/comments?thread={data['thread']}"
        _, _, whole = fetch(thread_url)
        page_url = f"{servers[1].url}/api/v1/comments?thread={data['thread']}"
        _, _, first_page = fetch(page_url)
        whole_count = count_comments(json.loads(whole)["comments"])
        page_count = count_comments(json.loads(first_page)["comments"])
        if whole_count != 200:
            log(f"WARNING: the whole-thread API answered {whole_count} comments, not 200")
        notes = [
            f"content:  story of {data['body_words']} words; page {len(story_html):,} bytes "
            f"(5,000-comment story: {len(big_html):,}); thread JSON all {whole_count} comments "
            f"{len(whole):,} bytes, first page {page_count} comments {len(first_page):,} bytes",
            f"posting:  comment policy '{data['policy']}' on the POST target "
            "(moderation word checks run on every post), rate limits off",
        ]
        machine(results, options.rounds, idle, notes)

        log("starting the peers")
        peer_script("wagtail/setup-db.sh", "1000")
        peer_script("wagtail/start.sh", PORT=WAGTAIL_PORT)
        peers_started.append("wagtail")
        peer_script("nginx/save-article.sh", f"http://127.0.0.1:{WAGTAIL_PORT}/news/500/")
        peer_script("nginx/start.sh", PORT=NGINX_PORT)
        peers_started.append("nginx")

        from khabar.comments.spam import make_stamp

        post_env = {
            "BENCH_THREAD": data["post_thread"],
            "BENCH_STAMP": make_stamp(
                data["post_thread"], now=time.time() - 60, key=env["SECRET_KEY"]
            ),
            "BENCH_PARENTS": "{}-{}".format(*data["parents"]),
        }
        warm, fresh, _api = servers
        for round_ in range(1, options.rounds + 1):
            os.environ["ROUND"] = str(round_)
            log(f"=== round {round_} of {options.rounds} ===")
            peer_script("isso/stop.sh")
            peer_script("isso/start.sh", "--fresh", PORT=ISSO_PORT)
            if "isso" not in peers_started:
                peers_started.append("isso")
            subprocess.run(
                [
                    str(PEERS_HOME / "venv-isso/bin/python"),
                    str(PEERS_DIR / "isso/seed.py"),
                    "--base",
                    f"http://127.0.0.1:{ISSO_PORT}",
                    "--uri",
                    "/news/1",
                    "--count",
                    "200",
                ],
                env=peers_env(),
                check=True,
                stdout=subprocess.DEVNULL,
            )
            idle_now = cpu_idle(2)
            with open(results / "idle.tsv", "a") as f:
                f.write(f"{round_}\t{idle_now}\n")
            if idle_now < 85:
                log(f"WARNING: CPU only {idle_now} % idle before round {round_}")
            peer_script("isso/bench.sh", PORT=ISSO_PORT)
            peer_script("wagtail/bench.sh", PORT=WAGTAIL_PORT)
            peer_script("nginx/bench.sh", PORT=NGINX_PORT)
            bench(rows.STORY_WARM, warm.url + data["story"])
            # The two stories whose ratio is taken run back to back, in turns first.
            pair = [(rows.STORY_FRESH, data["story"]), (rows.BIG_FRESH, data["big"])]
            for row, path in pair if round_ % 2 else pair[::-1]:
                bench(row, fresh.url + path)
            if prod_story:
                bench(rows.STORY_PROXY, prod_story)
            bench(rows.THREAD_WHOLE, thread_url)
            bench(rows.THREAD_PAGE, page_url)
            bench(
                rows.POST,
                warm.url + "/api/v1/comments",
                ROOT / "bench/post-comment.lua",
                **post_env,
            )

        with open(results / "rss.tsv", "w") as f:
            f.write("process\tpid\trss_kb\n")
            for server in servers:
                assert server.pid is not None
                for n, pid in enumerate(children(server.pid), 1):
                    f.write(f"{server.name} worker {n}\t{pid}\t{rss_kb(pid)}\n")
            if topology is not None:
                for name, pid in sorted(topology.pids.items()):
                    if name.startswith("app"):
                        for child in children(pid) or [pid]:
                            f.write(f"prod {name}\t{child}\t{rss_kb(child)}\n")
    except BaseException:
        for log_file in sorted((home / "logs").glob("*.log")):
            tail = log_file.read_text(errors="replace").splitlines()[-15:]
            log(f"--- last lines of {log_file} ---\n" + "\n".join(tail))
        options.keep = True
        raise
    finally:
        for server in servers:
            server.stop()
        if topology is not None:
            topology.down()
        for name in reversed(peers_started):
            subprocess.run(
                ["bash", str(PEERS_DIR / name / "stop.sh")], env=peers_env(), check=False
            )
        if options.keep:
            log(f"khabar's temporary folder kept: {home}")
        else:
            shutil.rmtree(home, ignore_errors=True)
    return results


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench web", description=__doc__)
    parser.add_argument("--rounds", type=int, default=int(os.environ.get("ROUNDS", "3")))
    parser.add_argument("--no-prod", action="store_true", help="skip the production profile")
    parser.add_argument("--no-write", action="store_true", help="print, do not touch RESULTS.md")
    parser.add_argument("--keep", action="store_true", help="keep khabar's temporary folder")
    options = parser.parse_args(argv)
    if options.rounds < 1:
        parser.error("--rounds must be at least 1")

    def terminate(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, terminate)
    results = run(options)
    body = INTRO + "\n" + rows.section(results)
    print(body)
    if not options.no_write:
        write_results(body)
        log(f"written to {RESULTS.relative_to(ROOT)}; raw wrk output in {results}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
