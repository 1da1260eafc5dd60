"""Shared fixtures: personas, fresh caches, a story, a media folder, a migrated database
file for tests that run khabar's own processes, the production profile, an SSH server, and
where browser tests keep their screenshots."""

from __future__ import annotations

import fcntl
import functools
import getpass
import hashlib
import importlib
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import django
import pytest
from django.contrib.auth.models import Group
from django.core.cache import caches

from khabar.test import ROLE_MIGRATIONS, make_article, make_section, personas

OUTPUT = Path(__file__).resolve().parent.parent / "var" / "test-output"


def pytest_configure(config):
    # --dist loadgroup sends an xdist_group to one worker by renaming its tests' node ids
    # (test@group), which pytest 9.2's node ids ignore: the group's tests were spread over
    # both workers and the topology group's production profiles started side by side.
    if config.getoption("dist", "no") == "loadgroup" and pytest.version_tuple[:2] >= (9, 2):
        raise pytest.UsageError(
            f"pytest {pytest.__version__} breaks --dist loadgroup (pytest-xdist cannot keep "
            "a group on one worker with it): reinstall the pytest pyproject.toml pins"
        )


def pytest_collection_modifyitems(config, items):
    for item in items:
        # Whatever starts the throwaway PostgreSQL cluster is a postgres test.
        if "pg_alias" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.postgres)
    if any(item.get_closest_marker("browser") for item in items):
        # Playwright's sync API runs an event loop in the test thread for the rest of the
        # session once Chromium starts; the ORM calls are still synchronous and
        # single-threaded. Only a run that drives a browser turns Django's check off.
        os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def people(db):
    ensure_roles()
    return personas()


def ensure_roles() -> None:
    """``khabar.test.ensure_roles`` (the desk roles a transactional test's flush removed, made
    again by their data migrations) with the migrated project state built once a process:
    building it read every migration, 2 to 3 s for each browser test that signs someone in."""
    if Group.objects.filter(name="reporter").exists():
        return
    state_apps = _project_state_apps()
    for module_name, function in ROLE_MIGRATIONS:
        getattr(importlib.import_module(module_name), function)(state_apps, None)


@functools.cache
def _project_state_apps():
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    return MigrationExecutor(connection).loader.project_state().apps


@pytest.fixture
def fresh_caches():
    """Empty caches: rate limits, counts and fragments start from nothing."""
    caches["default"].clear()
    caches["fragments"].clear()


@pytest.fixture
def story(db):
    """A published story whose thread publishes comments at once (``comment_policy="post"``)."""
    return make_article(section=make_section(comment_policy="post"))


@pytest.fixture
def moderated_story(db):
    """A published story whose comments wait for a moderator (the agency default)."""
    return make_article(section=make_section())


@pytest.fixture
def media(settings, tmp_path) -> Path:
    """A media folder of the test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(scope="session")
def migrated_sqlite() -> Path:
    """A migrated SQLite database file to copy (``sqlite3``'s backup) for a test that runs
    khabar's own processes: migrated once and kept in var/test-cache under a name taken from
    the migrations, not once a module (a migration in a fresh process takes 10 to 30 s)."""
    from ops.topology import ROOT, TEMPLATES

    digest = hashlib.sha256(django.__version__.encode())
    for path in sorted(ROOT.glob("khabar/**/migrations/*.py")):
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    template = TEMPLATES / f"sqlite-{digest.hexdigest()[:16]}.sqlite3"
    TEMPLATES.mkdir(parents=True, exist_ok=True)
    with open(TEMPLATES / "sqlite.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not template.exists():
            work = Path(tempfile.mkdtemp(prefix="khabar-migrate-"))
            env = {k: v for k, v in os.environ.items() if not k.startswith(("KHABAR_", "DJANGO_"))}
            env.pop("DATABASE_URL", None)
            env.pop("REDIS_URL", None)
            env.update(
                KHABAR_ENV="development",
                DJANGO_SETTINGS_MODULE="khabar.settings",
                SECRET_KEY="migrate-" + "s" * 50,
                KHABAR_VAR_DIR=str(work),
                SQLITE_PATH=str(work / "khabar.sqlite3"),
                MEDIA_ROOT=str(work / "media"),
            )
            result = subprocess.run(
                [sys.executable, "-m", "khabar.manage", "migrate", "--noinput", "-v", "0"],
                env=env,
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=300,
            )
            assert result.returncode == 0, result.stderr[-2000:]
            partial = template.with_name(f"{template.name}.partial-{os.getpid()}")
            copy_database(work / "khabar.sqlite3", partial)
            partial.rename(template)
            shutil.rmtree(work, ignore_errors=True)
            for old in TEMPLATES.glob("sqlite-*.sqlite3"):
                if old != template:
                    old.unlink(missing_ok=True)
    return template


def copy_database(source: Path, target: Path) -> None:
    """``source`` copied page by page to ``target`` (a new file)."""
    with sqlite3.connect(source) as origin, sqlite3.connect(target) as copy:
        origin.backup(copy)
    origin.close()
    copy.close()


@pytest.fixture(scope="module")
def site():
    """The production profile (PostgreSQL, Redis, two app processes, nginx) on free loopback
    ports in a temporary folder, one per test module."""
    from ops.topology import Topology, template_for

    home = Path(tempfile.mkdtemp(prefix="khabar-topology-"))
    topology = Topology.on_free_ports(home, durable=False)
    try:
        topology.up(template=template_for(demo=True))
        yield topology
    finally:
        topology.down()
        shutil.rmtree(home, ignore_errors=True)


SSHD = shutil.which("sshd") or "/usr/sbin/sshd"


@dataclass
class Server:
    port: int
    inbox: Path
    client_key: str
    #: The server's line as known_hosts has it.
    host_line: str
    #: A key the server does not have, as a known_hosts line.
    other_line: str
    #: The server's key as ``ssh-keygen -l`` shows it: "SHA256:…".
    host_fingerprint: str

    @property
    def address(self) -> str:
        return f"sftp://{getpass.getuser()}@127.0.0.1:{self.port}{self.inbox}"


def keygen(path: Path) -> None:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)


@pytest.fixture
def sshd(tmp_path) -> Iterator[Server]:
    """Debian's OpenSSH server on a free loopback port with an empty ``inbox`` folder,
    logging in only with a key made for the test (the SFTP ingest and distribution tests)."""
    # A missing server fails the test (make test installs openssh-server), never skips it.
    from ops.topology import free_port

    assert Path(SSHD).exists(), "Debian's openssh-server is missing: run make system-test-deps"
    home = tmp_path / "sshd"
    home.mkdir()
    for name in ("host", "client", "other"):
        keygen(home / name)
    (home / "authorized_keys").write_text((home / "client.pub").read_text())
    port = free_port()
    config = home / "sshd_config"
    config.write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {home / 'host'}\n"
        f"PidFile {home / 'sshd.pid'}\nAuthorizedKeysFile {home / 'authorized_keys'}\n"
        "StrictModes no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n"
        "UsePAM no\nPermitRootLogin prohibit-password\nSubsystem sftp internal-sftp\n"
        "LogLevel ERROR\n"
    )
    Path("/run/sshd").mkdir(exist_ok=True)  # the privilege separation folder sshd wants
    server = subprocess.Popen([SSHD, "-D", "-e", "-f", str(config)], stderr=subprocess.PIPE)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            assert server.poll() is None, server.stderr.read().decode() if server.stderr else ""
            time.sleep(0.05)
    inbox = tmp_path / "inbox"
    inbox.mkdir()

    def line(name: str) -> str:
        kind, key = (home / f"{name}.pub").read_text().split()[:2]
        return f"[127.0.0.1]:{port} {kind} {key}\n"

    shown = subprocess.run(
        ["ssh-keygen", "-l", "-f", str(home / "host.pub")], check=True, capture_output=True
    )
    fingerprint = shown.stdout.decode().split()[1]
    try:
        yield Server(
            port, inbox, (home / "client").read_text(), line("host"), line("other"), fingerprint
        )
    finally:
        server.terminate()
        server.wait(5)


@pytest.fixture
def output_dir(request) -> Path:
    """A folder under var/test-output named for the test, for screenshots."""
    path = OUTPUT / request.node.name.replace("/", "_").replace("[", "_").replace("]", "")
    path.mkdir(parents=True, exist_ok=True)
    return path


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium driven by Playwright (no browser download)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(chromium):
    """A fresh browser page (own cookies) for one test."""
    context = chromium.new_context(locale="ar", viewport={"width": 1200, "height": 900})
    tab = context.new_page()
    yield tab
    context.close()
