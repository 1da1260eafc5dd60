"""SQLite under faults: a server killed with SIGKILL mid-burst loses no acknowledged comment,
the file stays intact, a live backup is consistent, and two writer processes never turn
"database is locked" into a 500.

Each test runs real app processes (granian) on a temporary SQLite file, on loopback.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from conftest import copy_database

from khabar.comments.spam import make_stamp
from ops.topology import free_port

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.xdist_group("sqlite-faults")


SECRET = "faults-" + "s" * 50


class _Stamps(dict):
    """A form stamp per thread, signed with the site's key a minute ago (as a reader who
    took a minute to write would send it)."""

    def __missing__(self, key: str) -> str:
        self[key] = make_stamp(key, now=time.time() - 60, key=SECRET)
        return self[key]


STAMPS = _Stamps()


class Site:
    """A khabar on a SQLite file in ``home``, with app processes started on demand."""

    def __init__(self, home: Path):
        self.home = home
        self.db = home / "khabar.sqlite3"
        self.processes: dict[int, subprocess.Popen] = {}

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("KHABAR_", "DJANGO_"))}
        env.pop("DATABASE_URL", None)
        env.pop("REDIS_URL", None)
        env.update(
            KHABAR_ENV="development",
            DJANGO_SETTINGS_MODULE="khabar.settings",
            SECRET_KEY=SECRET,
            KHABAR_VAR_DIR=str(self.home),
            SQLITE_PATH=str(self.db),
            MEDIA_ROOT=str(self.home / "media"),
            KHABAR_PAGECACHE="0",
            KHABAR_FRAGMENT_CACHE="0",
            KHABAR_RATELIMIT="0",
            KHABAR_COMMENT_DUPLICATE_SECONDS="1",
        )
        return env

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "khabar.manage", *args],
            env=self.env(),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert result.returncode == 0, result.stderr[-2000:]
        return result.stdout

    def start(self) -> int:
        port = free_port()
        log = open(self.home / f"app-{port}.log", "ab")
        self.processes[port] = subprocess.Popen(
            [sys.executable, "-m", "granian", "--interface", "wsgi", "--host", "127.0.0.1",
             "--port", str(port), "--workers", "1", "--blocking-threads", "4",
             "khabar.wsgi:application"],
            env=self.env(), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/ar/", timeout=2):
                    return port
            except (urllib.error.URLError, OSError):
                time.sleep(0.2)
        raise RuntimeError(f"the app on {port} did not start")

    def kill(self, port: int, sig: int = signal.SIGKILL) -> None:
        process = self.processes.pop(port)
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            pass
        process.wait(timeout=30)

    def stop_all(self) -> None:
        for port in list(self.processes):
            self.kill(port, signal.SIGTERM)


@pytest.fixture(scope="module")
def site(tmp_path_factory, migrated_sqlite):
    home = tmp_path_factory.mktemp("sqlite-faults")
    site = Site(home)
    copy_database(migrated_sqlite, site.db)
    out = site.manage(
        "shell",
        "-c",
        "from khabar.test import make_article, make_section;"
        "a = make_article(section=make_section(comment_policy='post'));"
        "print('STORY', a.pk, a.get_absolute_url())",
    )
    line = next(x for x in out.splitlines() if x.startswith("STORY "))
    _, pk, path = line.split()
    site.story_pk, site.story_path = int(pk), path
    try:
        yield site
    finally:
        site.stop_all()


def request(url: str, body: dict | None = None, timeout: float = 30) -> tuple[int, bytes]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except (urllib.error.URLError, OSError, ConnectionError, http.client.HTTPException):
        # The server died under us (a body cut off too): not an acknowledgement.
        return 0, b""


def post_comments(
    base: str, key: str, prefix: str, stop: threading.Event, acked: list, codes: list
):
    n = 0
    while not stop.is_set():
        n += 1
        text = f"{prefix} تعليق رقم {n}"
        status, body = request(
            f"{base}/api/v1/comments",
            {"thread": key, "author": "قارئ", "text": text, "stamp": STAMPS[key]},
        )
        codes.append(status)
        if status in (201, 202):
            acked.append((json.loads(body)["id"], text))
        elif status == 0:
            return


def test_it_loses_no_acknowledged_comment_when_the_server_is_killed(site, tmp_path):
    port = site.start()
    base = f"http://127.0.0.1:{port}"
    key = f"article:{site.story_pk}"
    stop = threading.Event()
    acked: list[tuple[int, str]] = []
    codes: list[int] = []
    writers = [
        threading.Thread(
            target=post_comments, args=(base, key, f"w{i}", stop, acked, codes), daemon=True
        )
        for i in range(6)
    ]
    for writer in writers:
        writer.start()

    def wait_for_acks(count: int, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while len(acked) < count:
            if time.monotonic() > deadline:
                stop.set()
                pytest.fail(
                    f"{len(acked)} comments acknowledged in {seconds}s, codes {codes[-10:]}"
                )
            time.sleep(0.01)

    wait_for_acks(60)
    # A backup taken while the burst goes on is a consistent copy.
    site.manage("backup", str(tmp_path / "backup"))
    copy = sqlite3.connect(tmp_path / "backup" / "khabar.sqlite3")
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert copy.execute("SELECT COUNT(*) FROM comments_comment").fetchone()[0] >= 60
    copy.close()
    wait_for_acks(150)
    site.kill(port)  # SIGKILL, requests in flight
    stop.set()
    for writer in writers:
        writer.join(timeout=30)
    assert 500 not in codes
    db = sqlite3.connect(site.db)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    stored = dict(db.execute("SELECT id, text FROM comments_comment").fetchall())
    db.close()
    lost = [(pk, text) for pk, text in acked if stored.get(pk) != text]
    assert lost == []
    # The site comes back on the same file.
    port = site.start()
    status, body = request(f"http://127.0.0.1:{port}/api/v1/comments?thread={key}")
    assert status == 200 and json.loads(body)["count"] >= len(acked)
    site.kill(port, signal.SIGTERM)


def test_it_never_answers_a_reader_with_a_500_while_two_processes_write(site):
    ports = [site.start(), site.start()]
    key = f"article:{site.story_pk}"
    stop = threading.Event()
    acked: list[tuple[int, str]] = []
    write_codes: list[int] = []
    read_codes: list[int] = []

    def read(base: str) -> None:
        while not stop.is_set():
            for url in (f"{base}{site.story_path}", f"{base}/api/v1/comments?thread={key}"):
                read_codes.append(request(url)[0])

    threads = [
        threading.Thread(
            target=post_comments,
            args=(f"http://127.0.0.1:{port}", key, f"p{port}-{i}", stop, acked, write_codes),
            daemon=True,
        )
        for port in ports
        for i in range(4)
    ] + [
        threading.Thread(target=read, args=(f"http://127.0.0.1:{port}",), daemon=True)
        for port in ports
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 60
    while (len(acked) < 200 or len(read_codes) < 100) and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
    assert len(acked) >= 200 and len(read_codes) >= 100
    assert set(read_codes) == {200}, sorted(set(read_codes))
    assert set(write_codes) <= {201, 202}, sorted(set(write_codes))
    db = sqlite3.connect(site.db)
    stored = {row[0] for row in db.execute("SELECT id FROM comments_comment")}
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()
    assert {pk for pk, _text in acked} <= stored
    for port in ports:
        site.kill(port, signal.SIGTERM)
