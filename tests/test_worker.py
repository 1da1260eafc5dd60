"""The one background worker, as ``make run`` starts it: a real ``khabar run_worker`` process
on a SQLite file, no command run by hand.

A story scheduled a few seconds ahead goes live by itself within two seconds of its time, as
the scheduler; a queued email goes out and a large photo gets its renditions meanwhile; and
SIGTERM stops the worker at once.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import copy_database

from ops.topology import free_port

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.xdist_group("worker")

# Everything the worker should find, made in one shell: a story scheduled AHEAD seconds from
# now, an email to the moderators and a photo left for the background.
AHEAD = 3
SETUP = f"""
import datetime, io
from django.contrib.auth.models import Group, User
from django.utils import timezone
from PIL import Image
from khabar.comments import notify
from khabar.photos.actions import upload_photo
from khabar.site import actors
from khabar.test import make_article, make_section

moderator = User.objects.create_user("sara", "sara@example.org", "x")
moderator.groups.add(Group.objects.get(name="moderator"))
notify.send_email.enqueue("moderators", {{"pending": 7}})
image = io.BytesIO()
Image.new("RGB", (640, 480), "teal").save(image, "JPEG")
photo = upload_photo(image.getvalue(), actor=actors.COMMAND_LINE, background=True)
at = timezone.now() + datetime.timedelta(seconds={AHEAD})
story = make_article(section=make_section(), published_at=at)
print("MADE", story.pk, story.status, at.timestamp(), photo.pk, photo.render_status)
"""


class Site:
    """A khabar on a SQLite file in ``home``; the worker is started on demand."""

    def __init__(self, home: Path):
        self.home = home
        self.db = home / "khabar.sqlite3"
        self.log = home / "worker.log"
        self.worker: subprocess.Popen | None = None

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("KHABAR_", "DJANGO_"))}
        env.pop("DATABASE_URL", None)
        env.pop("REDIS_URL", None)
        env.update(
            KHABAR_ENV="development",
            DJANGO_SETTINGS_MODULE="khabar.settings",
            SECRET_KEY="worker-" + "s" * 50,
            KHABAR_VAR_DIR=str(self.home),
            SQLITE_PATH=str(self.db),
            MEDIA_ROOT=str(self.home / "media"),
            EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend",
        )
        return env

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "khabar.manage", *args],
            env=self.env(),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr[-2000:]
        return result.stdout

    def start_worker(self) -> None:
        with open(self.log, "ab") as log:
            self.worker = subprocess.Popen(
                [sys.executable, "-m", "khabar.manage", "run_worker"],
                env=self.env(),
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_for(lambda: "started" in self.log.read_text(), "the worker to start", 30)

    def query(self, sql: str, *params: object) -> tuple | None:
        with sqlite3.connect(self.db, timeout=10) as db:
            return db.execute(sql, params).fetchone()

    def stop(self) -> None:
        if self.worker is None or self.worker.poll() is not None:
            return
        # SIGTERM first: the supervisor stops its children; SIGKILL if it does not.
        self.worker.send_signal(signal.SIGTERM)
        try:
            self.worker.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(self.worker.pid, signal.SIGKILL)
            self.worker.wait(10)


def wait_for(check: Callable[[], object], what: str, seconds: float) -> float:
    """Poll ``check`` until it holds; returns the wall-clock time it first held."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return time.time()
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def site(tmp_path, migrated_sqlite) -> Iterator[Site]:
    site = Site(tmp_path)
    copy_database(migrated_sqlite, site.db)
    try:
        yield site
    finally:
        site.stop()


def test_it_publishes_a_scheduled_story_on_time_by_itself(site):
    site.start_worker()
    made = next(x for x in site.manage("shell", "-c", SETUP).splitlines() if x.startswith("MADE"))
    _, pk, status, at, photo, render_status = made.split()
    assert (status, render_status) == ("scheduled", "pending")
    due = float(at)

    def status_of_story() -> str:
        row = site.query("SELECT status FROM articles_article WHERE id = ?", int(pk))
        return row[0] if row else ""

    live_at = wait_for(lambda: status_of_story() == "published", "the story to go live", 15)
    assert due <= live_at <= due + 2, f"live {live_at - due:+.2f}s from its time"
    audit = site.query(
        "SELECT actor, user_id FROM articles_auditentry WHERE article_id = ? AND action = ?",
        int(pk),
        "publish",
    )
    assert audit == ("system:scheduler", None)

    def rendered() -> bool:
        row = site.query("SELECT render_status FROM photos_photo WHERE id = ?", int(photo))
        return row == ("ready",)

    wait_for(rendered, "the photo's renditions", 10)
    wait_for(lambda: "To: sara@example.org" in site.log.read_text(), "the email", 10)
    # The worker says what it did.
    wait_for(lambda: f"published story {pk} at" in site.log.read_text(), "its log line", 5)
    assert "path=khabar.comments.notify.send_email state=SUCCESSFUL" in site.log.read_text()


def test_it_stops_cleanly_on_sigterm(site):
    site.start_worker()
    assert site.worker is not None
    site.worker.send_signal(signal.SIGTERM)
    assert site.worker.wait(timeout=5) == 0
    assert "stopping" in site.log.read_text() and "stopped" in site.log.read_text()


def test_make_run_serves_and_works_and_stops_both_on_ctrl_c(site):
    # What `make run` runs after the demo is loaded: granian and the worker, supervised.
    port = free_port()
    with open(site.log, "ab") as log:
        supervisor = subprocess.Popen(
            [sys.executable, "-m", "ops.supervise", "--port", str(port)],
            env=site.env(),
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    site.worker = supervisor  # killed by the fixture if the test fails half-way

    def serving() -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/ar/", timeout=2) as page:
                return page.status == 200
        except (urllib.error.URLError, OSError):
            return False

    wait_for(serving, "the app", 30)
    wait_for(lambda: "started: publish-scheduled" in site.log.read_text(), "the worker", 30)
    supervisor.send_signal(signal.SIGINT)
    assert supervisor.wait(timeout=15) == 0
    assert not serving()
    assert "stopped" in site.log.read_text()


def test_the_supervisor_leaves_nothing_of_a_child_behind(tmp_path):
    # A child that exits and leaves a process of its own running, one that ignores SIGTERM
    # (as granian's workers outlive a main process killed at the end of the grace period):
    # after the supervisor, nothing of it may still hold the port.
    pidfile = tmp_path / "left"
    child = (
        "import subprocess, sys, time;"
        "left = subprocess.Popen([sys.executable, '-c',"
        " 'import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(300)']);"
        f"open({str(pidfile)!r}, 'w').write(str(left.pid)); time.sleep(1)"
    )
    supervisor = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from ops.supervise import supervise;"
            f"sys.exit(supervise({{'app': [sys.executable, '-c', {child!r}]}}, grace=2))",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert supervisor.returncode == 0, supervisor.stderr
    assert "app exited (0): stopping the rest" in supervisor.stderr
    left = int(pidfile.read_text())
    wait_for(lambda: not _running(left), "the left-behind process gone", 10)


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"  # killed, not reaped yet by whoever adopted it
