"""The worker killed with SIGKILL in the middle of a batch loses no delivery, and sends again
only what was in flight, under the same ids (so the subscriber can drop it): a real
``khabar run_worker`` on a SQLite file, a slow webhook receiver on loopback."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from conftest import copy_database

from khabar.distribution.testing import Receiver

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.xdist_group("worker")
STORIES = 24
CONCURRENCY = 4

SETUP = """
from khabar.distribution import actions
from khabar.site import actors
from khabar.test import make_article, make_section

subscriber = actions.add_subscriber("alice-news", actor=actors.COMMAND_LINE)
actions.add_destination(subscriber, actor=actors.COMMAND_LINE, url="{url}")
section = make_section()
for _ in range({stories}):
    make_article(section=section)
"""


def env(home: Path) -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if not k.startswith(("KHABAR_", "DJANGO_"))}
    out.pop("DATABASE_URL", None)
    out.pop("REDIS_URL", None)
    out.update(
        KHABAR_ENV="development",
        DJANGO_SETTINGS_MODULE="khabar.settings",
        SECRET_KEY="worker-" + "s" * 50,
        KHABAR_VAR_DIR=str(home),
        SQLITE_PATH=str(home / "khabar.sqlite3"),
        MEDIA_ROOT=str(home / "media"),
        KHABAR_DISTRIBUTION_TIMEOUT="1",
        KHABAR_DISTRIBUTION_CONCURRENCY=str(CONCURRENCY),
        KHABAR_DISTRIBUTION_RETRY_BASE_MS="100",
    )
    return out


def manage(home: Path, *args: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "khabar.manage", *args],
        env=env(home),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]


def start_worker(home: Path) -> subprocess.Popen:
    log = open(home / "worker.log", "ab")
    return subprocess.Popen(
        [sys.executable, "-m", "khabar.manage", "run_worker"],
        env=env(home),
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def delivered(home: Path) -> int:
    with sqlite3.connect(home / "khabar.sqlite3", timeout=10) as db:
        (count,) = db.execute(
            "select count(*) from distribution_delivery where status = 'delivered'"
        ).fetchone()
    return count


def keys(home: Path) -> set[str]:
    with sqlite3.connect(home / "khabar.sqlite3", timeout=10) as db:
        return {row[0] for row in db.execute("select key from distribution_delivery")}


def wait_for(check, what: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def test_it_loses_nothing_and_duplicates_only_what_was_in_flight_when_killed(
    tmp_path, migrated_sqlite
):
    receiver = Receiver(delay=0.25).start()
    worker = None
    try:
        copy_database(migrated_sqlite, tmp_path / "khabar.sqlite3")
        setup = SETUP.format(url=receiver.url, stories=STORIES)
        manage(tmp_path, "shell", "-c", setup)
        worker = start_worker(tmp_path)
        # Mid-batch: some delivered, more in flight, most still queued.
        wait_for(lambda: len(receiver.got) >= CONCURRENCY, "the first deliveries", 20)
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(5)
        got_before = len(receiver.got)
        assert got_before < STORIES
        time.sleep(0.3)  # the requests in flight finish on the receiver's side
        worker = start_worker(tmp_path)
        wait_for(lambda: delivered(tmp_path) == STORIES, "every delivery", 25)
        counts = Counter(receiver.ids)
        assert set(counts) == keys(tmp_path)  # nothing lost
        duplicates = sum(n - 1 for n in counts.values())
        # Only what the killed worker had in flight comes again, under the same id.
        assert duplicates <= CONCURRENCY
    finally:
        if worker is not None and worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(10)
        receiver.stop()
