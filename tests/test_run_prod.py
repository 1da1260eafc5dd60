"""`make run-prod` as an operator drives it (issue 19, "An operator can run it"): two clones'
profiles side by side, each on its own home and ports; the operator's settings reach the
site; a `khabar` command run against the running profile (an import) is on its pages at
once (it purges nginx's cache); and the profile stops, every process of it, when it is sent
`kill` or when the process that started it (make) is killed, leaving the other running.

Each profile is `python -m ops.topology up`, started here as `make run-prod` starts it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest
from test_scaleout import fetch

from ops.topology import ROOT, _tcp_open, default_home, inner_ports, wait_for

pytestmark = [pytest.mark.xdist_group("topology"), pytest.mark.topology]

READY = "khabar (production profile) on "
WIRE = Path(__file__).parent / "data" / "wire" / "wire-ar-beirut-bom-crlf.txt"


def operator_env(**settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KHABAR_", "DJANGO_"))}
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    env.update(settings)
    return env


class Profile:
    """One `ops.topology up`, directly or under a parent process that stands for make."""

    def __init__(self, *, env: dict[str, str], under_parent: bool = False) -> None:
        self.home = Path(tempfile.mkdtemp(prefix="khabar-run-prod-"))
        from ops.topology import free_port

        self.port = free_port()
        up = [sys.executable, "-m", "ops.topology", "up", "--home", str(self.home)]
        up += ["--port", str(self.port)]
        if under_parent:
            # make: a parent that waits for the profile and can be killed on its own
            up = [sys.executable, "-c", "import subprocess, sys; subprocess.run(sys.argv[1:])", *up]
        self.process = subprocess.Popen(
            up, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        self.output: list[str] = []
        self.ready = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.output.append(line)
            if line.startswith(READY):
                self.ready.set()

    def wait_ready(self, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        while not self.ready.wait(0.5):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("".join(self.output[-40:]))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def pids(self) -> dict[str, int]:
        return {p.stem: int(p.read_text()) for p in (self.home / "run").glob("*.pid")}

    def pg_pid(self) -> int | None:
        pid_file = self.home / "pg" / "data" / "postmaster.pid"
        return int(pid_file.read_text().split()[0]) if pid_file.exists() else None

    def remove(self) -> None:
        """Whatever the test left running stopped (by the PIDs and data folders in the
        home, which is removed only then)."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        subprocess.run(
            [sys.executable, "-m", "ops.topology", "down", "--home", str(self.home)],
            cwd=ROOT,
            check=False,
            timeout=120,
        )
        # and the profile's own process, if its parent's death did not stop it
        subprocess.run(
            ["pkill", "-KILL", "-f", f"ops.topology up --home {self.home} "], check=False
        )
        shutil.rmtree(self.home, ignore_errors=True)


def get(url: str) -> tuple[int, str]:
    status, _headers, body = fetch(url)
    return status, body


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie (exited, not yet reaped by its parent) is not running
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split(")")[-1].split()[0] != "Z"


def assert_all_stopped(profile: Profile, pids: dict[str, int], pg_pid: int, ports: list[int]):
    def stopped() -> bool:
        return (
            not any(alive(pid) for pid in [*pids.values(), pg_pid])
            and not any(_tcp_open(p) for p in ports)
            and not (profile.home / "khabar.env").exists()
        )

    with contextlib.suppress(RuntimeError):  # not within a minute: the asserts say what is left
        wait_for(stopped, "the profile to stop")
    assert [name for name, pid in pids.items() if alive(pid)] == []
    assert not alive(pg_pid), "PostgreSQL still running"
    assert [p for p in ports if _tcp_open(p)] == []
    assert not (profile.home / "khabar.env").exists()  # the secret key is not left behind


def test_each_clone_has_a_home_of_its_own_and_keeps_its_inner_ports(tmp_path):
    assert default_home() != Path("/tmp/khabar-prod")
    assert default_home().name.startswith("khabar-prod-")
    first = inner_ports(tmp_path)
    assert len(set(first.values())) == len(first)  # no port twice
    assert inner_ports(tmp_path) == first  # the replica's configuration names the primary's


def test_two_profiles_side_by_side_driven_by_an_operator():
    a = Profile(env=operator_env(KHABAR_AGENCY_NAME="وكالة أنباء التجربة"))
    b = Profile(env=operator_env(), under_parent=True)
    try:
        a.wait_ready()
        b.wait_ready()
        # Side by side: two homes, no inner port shared, both sites answer.
        ports_a, ports_b = inner_ports(a.home), inner_ports(b.home)
        assert not set(ports_a.values()) & set(ports_b.values())
        status_a, home_page_a = get(a.url + "/ar/")
        status_b, home_page_b = get(b.url + "/ar/")
        assert (status_a, status_b) == (200, 200)
        # The operator's setting reached A's processes (it was stripped before), not B's.
        assert "وكالة أنباء التجربة" in home_page_a
        assert "وكالة أنباء التجربة" not in home_page_b
        # A khabar command run against A finds its database, Redis and nginx: the story it
        # imports is on A's home page at once (nginx's cached copy purged), not on B's.
        headline = "لبنان يدين الاعتداءات على الجنوب"
        assert headline not in home_page_a
        command = [sys.executable, "-m", "ops.topology", "run", "--home", str(a.home), "--"]
        imported = subprocess.run(
            [*command, "import_wire", str(WIRE), "--publish"],
            cwd=ROOT,
            env=operator_env(),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert imported.returncode == 0, imported.stderr[-2000:]
        assert headline in get(a.url + "/ar/")[1]
        assert headline not in get(b.url + "/ar/")[1]
        # The env file is the operator's to source, and only theirs to read (the secret key).
        env_file = a.home / "khabar.env"
        assert env_file.stat().st_mode & 0o077 == 0
        assert f"{ports_a['pg']}" in env_file.read_text()

        # kill (SIGTERM) stops every process of A; B keeps answering.
        pids_a, pg_a = a.pids(), a.pg_pid()
        assert {"nginx", "app0", "app1", "redis", "worker"} <= set(pids_a) and pg_a
        a.process.send_signal(signal.SIGTERM)
        assert a.process.wait(timeout=90) == 0
        assert_all_stopped(a, pids_a, pg_a, [a.port, *ports_a.values()])
        assert get(b.url + "/ar/")[0] == 200

        # B's parent (make, here) killed outright: B stops too.
        pids_b, pg_b = b.pids(), b.pg_pid()
        assert pg_b
        b.process.kill()
        b.process.wait(timeout=10)
        assert_all_stopped(b, pids_b, pg_b, [b.port, *ports_b.values()])
    finally:
        a.remove()
        b.remove()


def test_a_command_without_a_running_profile_says_so(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "ops.topology", "run", "--home", str(tmp_path), "--", "check"],
        cwd=ROOT,
        env=operator_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "khabar.env: no such file" in result.stderr and "make run-prod" in result.stderr


def test_the_profile_passes_settings_on_but_not_over_its_own_wiring():
    from ops.topology import operator_settings

    passed = operator_settings(
        {
            "KHABAR_AGENCY_NAME": "وكالة",
            "EMAIL_HOST": "mail.example",
            "DATABASE_URL": "postgres://elsewhere/db",
            "KHABAR_VAR_DIR": "/elsewhere",
            "HOME": "/root",
        }
    )
    assert passed == {"KHABAR_AGENCY_NAME": "وكالة", "EMAIL_HOST": "mail.example"}


def up_refused(home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ops.topology", "up", "--home", str(home), "--port", "1"],
        cwd=ROOT,
        env=operator_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_it_refuses_a_home_another_user_prepared_in_the_shared_temporary_folder():
    # the default home is in /tmp: a local user who makes it (or a link) first would get
    # the profile's database, secret key and logs
    planted = Path(tempfile.mkdtemp(prefix="khabar-planted-"))
    link = planted.with_name(planted.name + "-link")
    try:
        os.chown(planted, 65534, 65534)  # nobody's
        result = up_refused(planted)
        assert result.returncode != 0 and "belongs to another user" in result.stderr
        assert not (planted / "secret").exists() and not (planted / "pg").exists()
        link.symlink_to(planted)
        result = up_refused(link)
        assert result.returncode != 0 and "symbolic link" in result.stderr
    finally:
        link.unlink(missing_ok=True)
        shutil.rmtree(planted, ignore_errors=True)


def test_it_refuses_the_checkout_and_its_live_data_folder_as_a_home():
    for home in (ROOT, ROOT / "var", ROOT.parent):
        result = up_refused(home)
        assert result.returncode != 0 and "a home of its own" in result.stderr, result.stderr
    assert not (ROOT / "var" / "secret").exists()
    assert not (ROOT / "ports.json").exists() and not (ROOT / "var" / "ports.json").exists()


def test_the_secret_key_is_readable_by_its_owner_only(tmp_path):
    from ops.topology import Topology

    Topology(tmp_path).env()
    assert (tmp_path / "secret").stat().st_mode & 0o077 == 0
