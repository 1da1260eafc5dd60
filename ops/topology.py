"""The production topology on one machine: PostgreSQL, Redis, two app processes, the
stream process (live stories' server-sent events), the background worker, nginx.

``make run-prod`` runs ``python -m ops.topology up``; the scale-out test starts the
same topology in a temporary folder. Everything listens on 127.0.0.1 (PostgreSQL only on a
unix socket) and every process is stopped by the PID recorded when it started.

An operator drives it (README, "Running the production profile"): ``up`` stops everything on
any signal (Ctrl-C, ``kill``, a closed terminal, ``make`` killed); each clone has its home
(``KHABAR_PROD_HOME``, by default one named after the clone) and its inner ports (chosen
free once, kept in ``ports.json``); the operator's settings (every variable
``.env.example`` lists) reach every process but the ones that wire the profile together;
``khabar.env`` in the home is the environment to run any ``khabar`` command against the
running site with (``python -m ops.topology run -- COMMAND...`` does it).
"""

from __future__ import annotations

import argparse
import fcntl
import functools
import hashlib
import json
import os
import pwd
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ops import postgres

ROOT = Path(__file__).resolve().parents[1]
PURGE_MODULE = "/usr/lib/nginx/modules/ngx_http_cache_purge_module.so"
DEBIAN_PACKAGES = {
    "postgresql": postgres.PG_BIN / "initdb",
    "redis-server": Path("/usr/bin/redis-server"),
    "nginx": Path("/usr/sbin/nginx"),
    "libnginx-mod-http-cache-purge": Path(PURGE_MODULE),
}


def ensure_packages() -> None:
    """Fail with what to do when a Debian package the topology needs is missing; installing
    is `make system-test-deps`'s job, not a library's."""
    missing = [name for name, path in DEBIAN_PACKAGES.items() if not path.exists()]
    if missing:
        raise RuntimeError(f"missing {' '.join(missing)}: run make system-test-deps")


#: Where the tests keep a profile's prepared state (its database migrated and the demo
#: loaded, the demo's photos, the collected static files) to start the next profile from: one
#: preparation a run, not one a test module. Named after everything that could change it.
TEMPLATES = ROOT / "var" / "test-cache"


def template_for(*, demo: bool) -> Path:
    """The template folder for this tree's code, demo content and PostgreSQL."""
    digest = hashlib.sha256(f"demo={demo} {postgres.PG_BIN}".encode())
    for root in ("khabar", "ops"):
        for path in sorted((ROOT / root).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".mo":
                digest.update(str(path.relative_to(ROOT)).encode())
                digest.update(path.read_bytes())
    return TEMPLATES / f"topology-{digest.hexdigest()[:16]}"


def _copy(source: Path, target: Path) -> None:
    """A folder copied with its owners and modes (PostgreSQL's data belongs to postgres)."""
    subprocess.run(["cp", "-a", str(source), str(target)], check=True)


def from_template(
    template: Path,
    *,
    prepare: Callable[[], None],
    save: Callable[[Path], None],
    restore: Callable[[Path], None],
) -> None:
    """``restore`` a profile from ``template``, or ``prepare`` it and ``save`` the template
    when there is none yet: one preparation at a time, the other profiles wait and copy."""
    TEMPLATES.mkdir(parents=True, exist_ok=True)
    with open(TEMPLATES / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if template.is_dir():
            restore(template)
        else:
            prepare()
            save(template)


def save_template(template: Path, *, pg_data: Path, var: Path) -> None:
    """The stopped cluster's ``pg_data`` and the photos and static files under ``var`` kept
    as ``template`` (whole or not at all); older templates go."""
    partial = template.with_name(f"{template.name}.partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir()
    _copy(pg_data, partial / "pg")
    for name in ("media", "static"):
        if (var / name).is_dir():
            _copy(var / name, partial / name)
    partial.rename(template)
    for old in TEMPLATES.glob("topology-*"):
        if old != template:
            shutil.rmtree(old, ignore_errors=True)


#: nginx's workers run as this user when the master starts as root (Debian's nginx user).
NGINX_USER = "www-data"


def nginx_user() -> str:
    """Who nginx's workers run as: never root. As root, Debian's www-data (or nobody); as
    anyone else the master cannot switch users and the workers stay that user."""
    if os.geteuid() != 0:
        return pwd.getpwuid(os.geteuid()).pw_name
    for name in (NGINX_USER, "nobody"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return name
    raise RuntimeError("no unprivileged user for nginx's workers (www-data or nobody)")


def free_port() -> int:
    """A port on 127.0.0.1 that no one listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


#: What wires the profile together: an operator's value for one of these would point the
#: processes away from the profile's own database, cache, folder or nginx.
WIRING = frozenset(
    {
        "DATABASE_URL",
        "DATABASE_REPLICA_URL",
        "REDIS_URL",
        "KHABAR_VAR_DIR",
        "KHABAR_PROXY_PURGE_URLS",
        "KHABAR_LIVE_STREAM_PROCESS",
        "DJANGO_SETTINGS_MODULE",
        "SQLITE_PATH",
        "PORT",
        "PROMETHEUS_MULTIPROC_DIR",
        "KHABAR_PROD_HOME",
    }
)


def setting_names() -> set[str]:
    """Every setting ``.env.example`` lists (tests/test_env_example.py keeps it complete)."""
    names = set()
    for line in (ROOT / ".env.example").read_text("utf-8").splitlines():
        name = line.lstrip("# ").split("=", 1)[0]
        if "=" in line and name.isupper() and name.replace("_", "").isalnum():
            names.add(name)
    return names


def operator_settings(environ: dict[str, str] | os._Environ[str]) -> dict[str, str]:
    """The operator's settings in ``environ`` that the profile passes on to its processes."""
    names = setting_names()
    return {k: v for k, v in environ.items() if k in names and k not in WIRING}


def default_home() -> Path:
    """Each clone its own home (two clones run side by side): in the temporary folder, which
    PostgreSQL's user can reach, named after the clone's path."""
    tag = hashlib.sha256(str(ROOT).encode()).hexdigest()[:10]
    return Path(tempfile.gettempdir()) / f"khabar-prod-{tag}"


class HomeRefused(SystemExit):
    """A home ``up`` will not use; the message says why."""


def check_home(home: Path) -> None:
    """Refuse a home another user could have prepared (the default is in the shared
    temporary folder: a folder or link made there first by someone else would get the
    profile's database, secret key and logs), and one that is this checkout or its embedded
    site's data folder (the profile would write over it)."""
    if home.is_symlink():
        raise HomeRefused(f"{home}: a symbolic link; give the profile a folder of its own")
    if home.exists():
        if not home.is_dir():
            raise HomeRefused(f"{home}: not a folder")
        if home.stat().st_uid != os.getuid():
            raise HomeRefused(
                f"{home}: belongs to another user (uid {home.stat().st_uid}); remove it or "
                "choose another home (KHABAR_PROD_HOME)"
            )
    resolved = home.resolve()
    if resolved in (ROOT, ROOT / "var") or ROOT.is_relative_to(resolved):
        raise HomeRefused(
            f"{home}: this checkout or its embedded site's data folder; the production "
            "profile needs a home of its own (KHABAR_PROD_HOME)"
        )


INNER_PORTS = ("app0", "app1", "stream", "redis", "pg", "pg_replica")


def inner_ports(home: Path) -> dict[str, int]:
    """The inner ports of the profile in ``home``: chosen free the first time and kept in
    ``ports.json`` (the replica's configuration names the primary's port)."""
    path = home / "ports.json"
    if path.exists():
        ports = json.loads(path.read_text())
        if set(ports) == set(INNER_PORTS):
            return {name: int(port) for name, port in ports.items()}
    chosen: dict[str, int] = {}
    while len(chosen) < len(INNER_PORTS):
        port = free_port()
        if port not in chosen.values():
            chosen[INNER_PORTS[len(chosen)]] = port
    path.write_text(json.dumps(chosen))
    return chosen


@dataclass
class Topology:
    home: Path
    proxy_port: int = 8080
    app_ports: tuple[int, ...] = (8101, 8102)
    #: The stream process (``khabar.live.asgi``): nginx sends it ``/live/<pk>/events`` only.
    stream_port: int = 8110
    #: Streams it holds at most (KHABAR_LIVE_STREAM_MAX); past that readers are told to poll.
    stream_max: int = 2000
    redis_port: int = 6390
    pg_port: int = 5439
    pids: dict[str, int] = field(default_factory=dict)
    #: A streaming replica the app processes read from (DATABASE_REPLICA_URL), and the
    #: KHABAR_REPLICA_* settings they get (the defaults of settings.py when empty).
    replica: bool = True
    pg_replica_port: int = 5440
    replica_settings: dict[str, str] = field(default_factory=dict)
    #: PostgreSQL syncs to disk (production). The tests turn it off: their clusters are thrown
    #: away, and a stopped or killed server loses nothing the kernel already holds.
    durable: bool = True
    #: granian workers in each app process, each one request at a time (deploy/README.md).
    app_workers: int = 1
    #: The operator's settings (``operator_settings``): every process gets them, but those
    #: that wire the profile together (``WIRING``). Empty for the tests, whose environment
    #: holds their own settings.
    settings: dict[str, str] = field(default_factory=dict)

    @classmethod
    def on_free_ports(cls, home: Path, *, replica: bool = False, durable: bool = True) -> Topology:
        """A topology in ``home`` on ports nothing else listens on (tests, the soak).

        Without a replica unless asked: the tests written for one database keep it.
        """
        return cls(
            home,
            proxy_port=free_port(),
            app_ports=(free_port(), free_port()),
            stream_port=free_port(),
            redis_port=free_port(),
            pg_port=free_port(),
            replica=replica,
            pg_replica_port=free_port(),
            durable=durable,
        )

    @classmethod
    def for_operator(
        cls, home: Path, *, proxy_port: int, settings: dict[str, str] | None = None
    ) -> Topology:
        """``make run-prod``'s profile in ``home``: its inner ports kept from its first run."""
        check_home(home)
        home.mkdir(parents=True, exist_ok=True)
        ports = inner_ports(home)
        return cls(
            home,
            proxy_port=proxy_port,
            app_ports=(ports["app0"], ports["app1"]),
            stream_port=ports["stream"],
            redis_port=ports["redis"],
            pg_port=ports["pg"],
            pg_replica_port=ports["pg_replica"],
            settings=dict(settings or {}),
        )

    # -- addresses -----------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.proxy_port}"

    def app_url(self, index: int) -> str:
        return f"http://127.0.0.1:{self.app_ports[index]}"

    @property
    def stream_url(self) -> str:
        return f"http://127.0.0.1:{self.stream_port}"

    @property
    def pg_socket(self) -> Path:
        return self.home / "pg"

    @property
    def pg_replica_socket(self) -> Path:
        return self.home / "pg-replica"

    @property
    def replica_url(self) -> str:
        return (
            f"postgres://postgres@localhost:{self.pg_replica_port}/khabar"
            f"?host={self.pg_replica_socket}"
        )

    def env(self) -> dict[str, str]:
        """The environment every app process (and management command) runs with."""
        secret_file = self.home / "secret"
        if not secret_file.exists():
            # readable by its owner only: the home is open to PostgreSQL's user (and so to
            # every local user), and the key signs sessions and the comment forms' stamps
            fd = os.open(secret_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_urlsafe(50))
        env = {k: v for k, v in os.environ.items() if not k.startswith(("KHABAR_", "DJANGO_"))}
        env.update(
            KHABAR_ENV="production",
            SECRET_KEY=secret_file.read_text(),
            ALLOWED_HOSTS="127.0.0.1,localhost",
            SITE_URL=self.url,
            SECURE_SSL_REDIRECT="0",
            DATABASE_URL=(
                f"postgres://postgres@localhost:{self.pg_port}/khabar?host={self.pg_socket}"
            ),
            REDIS_URL=f"redis://127.0.0.1:{self.redis_port}/0",
            KHABAR_VAR_DIR=str(self.home / "var"),
            KHABAR_PROXY_PURGE_URLS=self.url,
            # nginx (and the tests talking to an app process directly) are on loopback.
            KHABAR_TRUSTED_PROXIES="127.0.0.1",
            # Live stories' pages open a stream, which the stream process serves.
            KHABAR_LIVE_STREAM_PROCESS="1",
            KHABAR_LIVE_STREAM_MAX=str(self.stream_max),
            DJANGO_SETTINGS_MODULE="khabar.settings",
        )
        env.update({k: v for k, v in self.settings.items() if k not in WIRING})
        return env

    def write_env_file(self) -> Path:
        """``khabar.env`` in the home: what a ``khabar`` command needs to act on this site (its
        database, Redis, purge addresses, secret key and the operator's settings), one
        ``NAME='value'`` a line for ``set -a; . khabar.env; set +a``. Readable by its owner
        only: it holds the secret key."""
        env, base = self.env(), os.environ
        lines = [
            f"{name}={shlex.quote(value)}"
            for name, value in sorted(env.items())
            if base.get(name) != value or name in self.settings or name.startswith("KHABAR_")
        ]
        path = self.home / "khabar.env"
        path.touch(mode=0o600)
        path.chmod(0o600)
        path.write_text(
            "# The running production profile's settings (python -m ops.topology up).\n"
            "# set -a; . THIS_FILE; set +a   then   .venv/bin/khabar COMMAND ...\n"
            + "\n".join(lines)
            + "\n"
        )
        return path

    # -- processes -----------------------------------------------------------------------
    def _spawn(self, name: str, args: list[str], env: dict[str, str] | None = None) -> None:
        log = open(self.home / "logs" / f"{name}.log", "ab")
        process = subprocess.Popen(
            args,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=ROOT,
            start_new_session=True,
        )
        self.pids[name] = process.pid
        (self.home / "run").mkdir(exist_ok=True)
        (self.home / "run" / f"{name}.pid").write_text(str(process.pid))

    def manage(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run a ``khabar`` management command against this topology."""
        return subprocess.run(
            [sys.executable, "-m", "khabar.manage", *args],
            env=self.env(),
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        )

    def _pg_settings(self) -> dict[str, str]:
        settings = {"shared_buffers": "128MB", "max_connections": "100"}
        if not self.durable:
            settings.update(fsync="off", synchronous_commit="off", full_page_writes="off")
            # A replica whose primary restarted streams again a fifth of a second later,
            # not after the default 5 s: the tests that restart it wait for that.
            settings.update(wal_retrieve_retry_interval="200ms")
        return settings

    def start_postgres(self) -> None:
        self.pg_socket.mkdir(parents=True, exist_ok=True)
        postgres.start(
            self.pg_socket / "data",
            socket_dir=self.pg_socket,
            port=self.pg_port,
            log=self.pg_socket / "server.log",
            settings=self._pg_settings(),
        )
        created = subprocess.run(
            postgres.as_postgres(
                str(postgres.PG_BIN / "createdb"),
                "-h",
                str(self.pg_socket),
                "-p",
                str(self.pg_port),
                "-U",
                postgres.PG_USER,
                "khabar",
            ),
            capture_output=True,
            text=True,
            check=False,
        )
        if created.returncode != 0 and "already exists" not in created.stderr:
            raise RuntimeError(created.stderr)

    def stop_postgres(self) -> None:
        postgres.stop(self.pg_socket / "data")

    def restart_postgres(self) -> None:
        postgres.restart(self.pg_socket / "data", log=self.pg_socket / "server.log")

    def start_replica(self) -> None:
        """The primary's streaming replica (copied from it the first time)."""
        self.pg_replica_socket.mkdir(parents=True, exist_ok=True)
        postgres.start_replica(
            self.pg_replica_socket / "data",
            primary=self.pg_socket / "data",
            primary_socket_dir=self.pg_socket,
            primary_port=self.pg_port,
            socket_dir=self.pg_replica_socket,
            port=self.pg_replica_port,
            log=self.pg_replica_socket / "server.log",
            settings=self._pg_settings(),
        )

    def stop_replica(self) -> None:
        postgres.stop(self.pg_replica_socket / "data")

    def start_redis(self) -> None:
        self._spawn(
            "redis",
            [
                "redis-server",
                "--port",
                str(self.redis_port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.home),
            ],
        )

    def start_app(self, index: int) -> None:
        port = self.app_ports[index]
        self._spawn(
            f"app{index}",
            [
                sys.executable,
                "-m",
                "granian",
                "--interface",
                "wsgi",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(self.app_workers),
                "--blocking-threads",
                "1",
                "--backpressure",
                "32",
                "khabar.wsgi:application",
            ],
            env=self.app_env(),
        )

    def app_env(self) -> dict[str, str]:
        """The app processes' environment: ``env()`` and, with a replica, where it is (the
        worker and management commands use the primary alone)."""
        env = self.env()
        if self.replica:
            env.update(DATABASE_REPLICA_URL=self.replica_url, **self.replica_settings)
        return env

    def start_stream(self) -> None:
        """The stream process: one asyncio worker holds every reader's stream (it waits on the
        database in one thread of its own, never on a page worker). granian's backpressure is
        set above the stream limit so that the app itself answers the reader past it (503,
        and the page polls) instead of leaving the connection waiting. It reads the primary
        alone (``env()``, not ``app_env()``): a replica's lag would delay every update."""
        self._spawn(
            "stream",
            [
                sys.executable,
                "-m",
                "granian",
                "--interface",
                "asgi",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.stream_port),
                "--workers",
                "1",
                "--runtime-threads",
                "1",
                "--http",
                "1",
                "--no-ws",
                "--backlog",
                str(max(1024, self.stream_max)),
                "--backpressure",
                str(self.stream_max + 64),
                "khabar.live.asgi:application",
            ],
            env=self.env(),
        )

    def start_worker(self) -> None:
        """The one background worker: scheduled stories, embargoes, emails, photos."""
        self._spawn("worker", [sys.executable, "-m", "khabar.manage", "run_worker"], self.env())

    def start_nginx(self) -> None:
        for sub in (
            "nginx-cache",
            "nginx-tmp/body",
            "nginx-tmp/proxy",
            "nginx-tmp/fastcgi",
            "nginx-tmp/uwsgi",
            "nginx-tmp/scgi",
        ):
            (self.home / sub).mkdir(parents=True, exist_ok=True)
        user = nginx_user()
        if os.geteuid() == 0:
            # The workers write the cache and buffer bodies; the master (root) only binds the
            # port and writes the logs.
            account = pwd.getpwnam(user)
            for sub in ("nginx-cache", "nginx-tmp"):
                for folder in [self.home / sub, *(self.home / sub).rglob("*")]:
                    os.chown(folder, account.pw_uid, account.pw_gid)
        upstreams = "\n        ".join(
            f"server 127.0.0.1:{port} max_fails=1 fail_timeout=2s;" for port in self.app_ports
        )
        values = {
            "purge_module": PURGE_MODULE,
            "user": user,
            "home": str(self.home),
            "upstreams": upstreams,
            "streams": f"server 127.0.0.1:{self.stream_port};",
            "listen": f"127.0.0.1:{self.proxy_port}",
            "static_root": str(self.home / "var" / "static"),
            "media_root": str(self.home / "var" / "media"),
        }
        conf = (ROOT / "deploy" / "nginx.conf.template").read_text()
        for name, value in values.items():
            conf = conf.replace(f"@{name}@", value)
        conf_path = self.home / "nginx.conf"
        conf_path.write_text(conf)
        self._spawn("nginx", ["nginx", "-c", str(conf_path), "-g", "daemon off;"])

    def stop_process(self, name: str) -> None:
        pid_file = self.home / "run" / f"{name}.pid"
        pid = self.pids.pop(name, None) or (
            int(pid_file.read_text()) if pid_file.exists() else None
        )
        if pid is None:
            return
        try:
            os.killpg(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        for _ in range(100):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass
            time.sleep(0.05)
        else:
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        pid_file.unlink(missing_ok=True)

    # -- the whole thing -----------------------------------------------------------------
    def up(self, *, demo: bool = True, template: Path | None = None) -> Topology:
        """Start everything, migrate, load the demo content, wait until nginx answers.

        With ``template`` (``template_for(demo=...)``), the database, photos and static files
        are copied from it when it exists, and it is made from this profile when not.
        """
        for sub in ("logs", "run", "var"):
            (self.home / sub).mkdir(parents=True, exist_ok=True)
        # The postgres user must reach its socket folder inside.
        os.chmod(self.home, 0o755)
        ensure_packages()
        if template is None:
            self._prepare(demo=demo)
        else:
            prepare = functools.partial(self._prepare, demo=demo)
            from_template(template, prepare=prepare, save=self._save, restore=self._restore)
        if self.replica:
            self.start_replica()
        for index in range(len(self.app_ports)):
            self.start_app(index)
        self.start_stream()
        for index in range(len(self.app_ports)):
            url = self.app_url(index) + "/ar/"
            wait_for(functools.partial(_http_ok, url), f"app{index}")
        wait_for(lambda: _tcp_open(self.stream_port), "stream")
        self.start_worker()
        self.start_nginx()
        wait_for(lambda: _http_ok(self.url + "/ar/"), "nginx")
        return self

    def _prepare(self, *, demo: bool) -> None:
        """The primary and Redis started, the database migrated, the demo and static files."""
        self.start_postgres()
        self.start_redis()
        wait_for(lambda: _tcp_open(self.redis_port), "redis")
        self.manage("migrate", "--noinput")
        if demo:
            self.manage("load_demo", "--allow-production")  # a profile, not a site
        self.manage("collectstatic", "--noinput")

    def _save(self, template: Path) -> None:
        """Keep what ``_prepare`` made (the database copied while its server is stopped)."""
        self.stop_postgres()
        save_template(template, pg_data=self.pg_socket / "data", var=self.home / "var")
        self.start_postgres()

    def _restore(self, template: Path) -> None:
        self.pg_socket.mkdir(parents=True, exist_ok=True)
        _copy(template / "pg", self.pg_socket / "data")
        for name in ("media", "static"):
            if (template / name).is_dir():
                _copy(template / name, self.home / "var" / name)
        self.start_postgres()
        self.start_redis()
        wait_for(lambda: _tcp_open(self.redis_port), "redis")

    def down(self) -> None:
        """Stop every process this topology started (by recorded PID) and PostgreSQL."""
        names = [
            "nginx",
            *(f"app{i}" for i in range(len(self.app_ports))),
            "stream",
            "worker",
            "redis",
        ]
        for name in names:
            self.stop_process(name)
        self.stop_replica()
        self.stop_postgres()


def _tcp_open(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def wait_for(check: Callable[[], object], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not come up within {timeout:.0f}s")


def _stop_on_signals() -> None:
    """Every signal that ends a terminal program stops the profile as Ctrl-C does (``kill``
    left PostgreSQL, Redis, the apps and nginx running), and so does the death of the
    process that started it (``make`` killed: Linux's parent-death signal)."""

    def stop(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):
        signal.signal(signum, stop)
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() == 1:  # the parent died before the line above
        raise SystemExit(128 + signal.SIGTERM)


def run_command(home: Path, args: list[str]) -> int:
    """A ``khabar`` command against the running profile in ``home`` (its ``khabar.env``)."""
    env_file = home / "khabar.env"
    if not env_file.exists():
        print(f"{env_file}: no such file: is the profile up (make run-prod)?", file=sys.stderr)
        return 2
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KHABAR_", "DJANGO_"))}
    for line in env_file.read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            env[name] = shlex.split(value)[0] if value else ""
    command = [sys.executable, "-m", "khabar.manage", *args]
    return subprocess.run(command, env=env, cwd=ROOT, check=False).returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("command", choices=["up", "down", "env", "run"])
    parser.add_argument(
        "--home",
        default=os.environ.get("KHABAR_PROD_HOME") or str(default_home()),
        help="the profile's folder (KHABAR_PROD_HOME; by default one named after this clone)",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("PORT", "8080")),
        help="nginx's port (PORT, 8080); the inner ports are chosen free and kept",
    )
    argv = sys.argv[1:] if argv is None else argv
    # run: the khabar command after "--", whatever its options
    command = argv[argv.index("--") + 1 :] if "--" in argv else []
    options = parser.parse_args(argv[: argv.index("--")] if "--" in argv else argv)
    home = Path(options.home)
    if options.command == "env":
        print(home / "khabar.env")
        return 0
    if options.command == "run":
        return run_command(home, command)
    if options.command == "down":
        if home.is_dir():
            Topology.for_operator(home, proxy_port=options.port).down()
        return 0
    _stop_on_signals()
    topology = Topology.for_operator(
        home, proxy_port=options.port, settings=operator_settings(os.environ)
    )
    first = not (topology.pg_socket / "data").exists()
    try:
        # A home with no database yet starts from the prepared copy the tests keep (made
        # on the first run); a home with one keeps it (migrated, the demo loaded if missing).
        topology.up(template=template_for(demo=True) if first else None)
        env_file = topology.write_env_file()
        print(
            f"khabar (production profile) on {topology.url}/ar/ (home {home}; any signal "
            f"stops everything)\n"
            f"  a khabar command against it: python -m ops.topology run --home {home} -- "
            f"COMMAND ...\n"
            f"  or: set -a; . {env_file}; set +a; .venv/bin/khabar COMMAND ...",
            flush=True,
        )
        while True:
            signal.pause()
    except (KeyboardInterrupt, SystemExit):
        return 0
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):
            signal.signal(signum, signal.SIG_IGN)  # a second signal must not cut the stop short
        topology.down()
        (home / "khabar.env").unlink(missing_ok=True)


if __name__ == "__main__":
    raise SystemExit(main())
