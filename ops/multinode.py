"""The production profile as several hosts: each one a network namespace of its own
(``ops.netns``) with its own address, so "another machine" is real at the network level.

======== ============================================================================
host     what runs there
======== ============================================================================
db       the PostgreSQL primary, listening on its address; trust only from the subnet
replica  its streaming replica (physical, over TCP), which the apps read from
cache    Redis (page store, rate limits, counters, the purge retry list)
work     the background worker
node1…n  one granian app on the host's own 127.0.0.1 and an nginx with its own proxy
         cache on the host's address (deploy/nginx.conf.template)
(root)   a load balancer nginx on 127.0.0.1: both nodes' nginx as upstream
======== ============================================================================

Purges reach every node: the apps and the worker have every node's nginx in
``KHABAR_PROXY_PURGE_URLS`` and ask each (``khabar.site.proxy``). One that cannot be reached
is not forgotten, in two ways, because a node can miss a purge in two ways:

- A node that is down (or restarting) has nothing to purge until it comes back, and what it
  held from before may be stale by then. So a node's cache is emptied every time its nginx
  starts (``start_node``): it never serves a page cached before a purge it missed. Emptying is
  cheap (the app's own shared page cache in Redis refills it), and it is the only way that
  does not depend on the node having been told.
- A node that is up but did not answer (a dropped connection, a timeout) keeps its stale copy.
  Those purges go to a Redis list, and the worker retries them every second until each node
  took it or the page's TTL (``pagecache.TTL``) has passed, after which no copy is left
  anyway (``proxy.retry_failed_purges``).

The load balancer passes a request to the other node when one cannot be reached or answers
502/504 (``proxy_next_upstream``), but not on 503: the app answers 503 (with Retry-After) when
the database is away, for every node alike, so the reader gets that honest answer instead
of both nodes being marked failed and a 502 "no live upstreams".

Needs root (namespaces) and Debian's packages (``ops.topology.ensure_packages``).
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ops import netns, postgres
from ops.topology import (
    PURGE_MODULE,
    ROOT,
    _copy,
    _http_ok,
    ensure_packages,
    free_port,
    from_template,
    nginx_user,
    save_template,
    wait_for,
)

PG_PORT = 5432
REDIS_PORT = 6379
APP_PORT = 8000
NODE_PORT = 80

LB_TEMPLATE = """\
user @user@;
worker_processes 1;
pid @home@/lb.pid;
error_log @home@/logs/lb-error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_max_body_size 20m;
    client_body_temp_path @home@/lb-tmp/body;
    proxy_temp_path @home@/lb-tmp/proxy;
    fastcgi_temp_path @home@/lb-tmp/fastcgi;
    uwsgi_temp_path @home@/lb-tmp/uwsgi;
    scgi_temp_path @home@/lb-tmp/scgi;
    upstream khabar_nodes {
        @nodes@
        keepalive 32;
    }
    server {
        listen 127.0.0.1:@port@;
        # The reader's address as the client on this machine gave it (tests stand in for
        # many readers); the nodes trust this balancer's address on the bridge for it.
        set_real_ip_from 127.0.0.1;
        real_ip_header X-Forwarded-For;
        location / {
            proxy_pass http://khabar_nodes;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_next_upstream error timeout http_502 http_504;
            proxy_connect_timeout 1s;
            proxy_read_timeout 30s;
        }
    }
}
"""


@dataclass
class MultiNode:
    """The hosts of the profile (see the module's docstring), in ``home``."""

    home: Path
    nodes: int = 2
    replica: bool = True
    lb_port: int = 0
    #: KHABAR_* settings for the apps and the worker, on top of the profile's own.
    settings: dict[str, str] = field(default_factory=dict)
    #: The home is this run's own (a test's temporary folder): removed with the hosts, also
    #: by the next run when this one was killed before it could (``ops.netns``).
    remove_home: bool = False
    network: netns.Network = field(default_factory=netns.Network)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    # -- addresses -----------------------------------------------------------------------
    @property
    def url(self) -> str:
        """The load balancer: what readers use."""
        return f"http://127.0.0.1:{self.lb_port}"

    @property
    def node_names(self) -> list[str]:
        return [f"node{n}" for n in range(1, self.nodes + 1)]

    def node_url(self, node: str) -> str:
        """A node's nginx, straight (bypassing the balancer)."""
        return f"http://{self.network.address(node)}:{NODE_PORT}"

    def env(self) -> dict[str, str]:
        """The environment of the worker and of management commands (the primary alone)."""
        secret_file = self.home / "secret"
        if not secret_file.exists():
            secret_file.write_text(secrets.token_urlsafe(50))
        hosts = ["127.0.0.1", "localhost", *(self.network.address(n) for n in self.node_names)]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("KHABAR_", "DJANGO_"))}
        env.update(
            KHABAR_ENV="production",
            SECRET_KEY=secret_file.read_text(),
            ALLOWED_HOSTS=",".join(hosts),
            SITE_URL=self.url,
            SECURE_SSL_REDIRECT="0",
            DATABASE_URL=f"postgres://postgres@{self.network.address('db')}:{PG_PORT}/khabar",
            REDIS_URL=f"redis://{self.network.address('cache')}:{REDIS_PORT}/0",
            KHABAR_VAR_DIR=str(self.home / "var"),
            KHABAR_PROXY_PURGE_URLS=",".join(self.node_url(n) for n in self.node_names),
            # Each app hears only its own node's nginx, on the node's loopback.
            KHABAR_TRUSTED_PROXIES="127.0.0.1",
            DJANGO_SETTINGS_MODULE="khabar.settings",
        )
        env.update(self.settings)
        return env

    def app_env(self) -> dict[str, str]:
        env = self.env()
        if self.replica:
            address = self.network.address("replica")
            env["DATABASE_REPLICA_URL"] = f"postgres://postgres@{address}:{PG_PORT}/khabar"
        return env

    # -- processes -----------------------------------------------------------------------
    def _spawn(
        self, host: str, name: str, args: list[str], env: dict[str, str] | None = None
    ) -> None:
        with open(self.home / "logs" / f"{name}.log", "ab") as log:
            self.processes[name] = subprocess.Popen(
                self.network.wrap(host, args),
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=ROOT,
                start_new_session=True,
            )

    def _wait(self, check: Callable[[], bool], what: str, name: str, timeout: float = 60) -> None:
        """Wait until ``check()`` holds; fail at once, with its log, if process ``name``
        exits first, or after ``timeout`` seconds."""
        process = self.processes.get(name)
        deadline = time.monotonic() + timeout
        while not check():
            if process is not None and process.poll() is not None:
                raise RuntimeError(
                    f"{what}: {name} exited ({process.returncode})\n"
                    + _tail(self.home / "logs" / f"{name}.log")
                )
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"{what}: not within {timeout:.0f}s\n"
                    + _tail(self.home / "logs" / f"{name}.log")
                )
            time.sleep(0.1)

    def manage(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run a ``khabar`` management command against these hosts (from the root namespace)."""
        return _run([sys.executable, "-m", "khabar.manage", *args], env=self.env(), cwd=ROOT)

    def _pg_ctl(self, host: str, data: Path, *args: str) -> None:
        pg_ctl = postgres.as_postgres(str(postgres.PG_BIN / "pg_ctl"), "-D", str(data), *args)
        _run(self.network.wrap(host, pg_ctl), log=self.home / host / "server.log")

    def _pg_options(self, host: str) -> list[str]:
        folder = self.home / host
        options = (
            f"-c listen_addresses={self.network.address(host)} -p {PG_PORT}"
            f" -c unix_socket_directories='{folder}'"
            " -c shared_buffers=64MB -c max_connections=100"
        )
        if host == "replica":
            # The primary as it is now: a home used before may have had another subnet.
            primary = f"host={self.network.address('db')} port={PG_PORT} user={postgres.PG_USER}"
            options += (
                f" -c hot_standby=on -c hot_standby_feedback=on -c primary_conninfo='{primary}'"
            )
        return ["-o", options, "-l", str(folder / "server.log")]

    def start_postgres(self) -> None:
        folder = self.home / "db"
        folder.mkdir(exist_ok=True)
        data = folder / "data"
        if os.geteuid() == 0:
            shutil.chown(folder, postgres.PG_USER, postgres.PG_USER)
        if not data.exists():
            _run(
                postgres.as_postgres(
                    str(postgres.PG_BIN / "initdb"),
                    "-D",
                    str(data),
                    "-U",
                    postgres.PG_USER,
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--locale=C.UTF-8",
                    "--no-sync",
                )
            )
        # Trust, but only from the host's own subnet (the bridge, whichever it is this time):
        # no other machine reaches it. A cluster copied from a template has not the lines yet.
        hba = data / "pg_hba.conf"
        lines = ["host all all samenet trust", "host replication all samenet trust"]
        if lines[0] not in hba.read_text().splitlines():
            text = "".join(f"{line}\\n" for line in lines)
            _run(postgres.as_postgres("sh", "-c", f"printf '{text}' >> '{hba}'"))
        self._pg_ctl("db", data, *self._pg_options("db"), "-w", "start")
        created = subprocess.run(
            [
                str(postgres.PG_BIN / "createdb"),
                "-h",
                self.network.address("db"),
                "-p",
                str(PG_PORT),
                "-U",
                postgres.PG_USER,
                "khabar",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if created.returncode != 0 and "already exists" not in created.stderr:
            raise RuntimeError(f"createdb: {created.stderr.strip()}")

    def restart_postgres(self) -> None:
        """Restart the primary (fast shutdown) inside its host, and wait until it answers."""
        data = self.home / "db" / "data"
        self._pg_ctl("db", data, "-m", "fast", *self._pg_options("db"), "-w", "restart")

    def start_replica(self) -> None:
        """The replica, copied over TCP from the primary the first time, then streaming."""
        folder = self.home / "replica"
        folder.mkdir(exist_ok=True)
        data = folder / "data"
        if os.geteuid() == 0:
            shutil.chown(folder, postgres.PG_USER, postgres.PG_USER)
        if not data.exists():
            _run(
                self.network.wrap(
                    "replica",
                    postgres.as_postgres(
                        str(postgres.PG_BIN / "pg_basebackup"),
                        "-h",
                        self.network.address("db"),
                        "-p",
                        str(PG_PORT),
                        "-U",
                        postgres.PG_USER,
                        "-D",
                        str(data),
                        "-R",
                        "-X",
                        "stream",
                        "-c",
                        "fast",
                        "--no-sync",
                    ),
                ),
            )
        self._pg_ctl("replica", data, *self._pg_options("replica"), "-w", "start")

    def stop_postgres(self, host: str) -> None:
        data = self.home / host / "data"
        if data.exists():
            subprocess.run(
                postgres.as_postgres(
                    str(postgres.PG_BIN / "pg_ctl"),
                    "-D",
                    str(data),
                    "-m",
                    "fast",
                    "-t",
                    "20",
                    "stop",
                ),
                check=False,
                capture_output=True,
            )

    def start_redis(self) -> None:
        address = self.network.address("cache")
        self._spawn(
            "cache",
            "redis",
            [
                "redis-server",
                "--port",
                str(REDIS_PORT),
                "--bind",
                address,
                "--protected-mode",
                "no",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.home),
            ],
        )
        self._wait(lambda: _tcp_open(address, REDIS_PORT), "redis listening", "redis")

    def start_worker(self) -> None:
        self._spawn(
            "work", "worker", [sys.executable, "-m", "khabar.manage", "run_worker"], self.env()
        )

    def start_node(self, node: str) -> None:
        """The node's app and its nginx, whose cache starts empty (see the docstring)."""
        self.start_app(node)
        self.wait_for_app(node)
        self.start_nginx(node)

    def start_app(self, node: str) -> None:
        """The node's app (granian) on the node's own loopback; ``wait_for_app`` waits."""
        folder = self.home / node
        for sub in ("logs", *(f"nginx-tmp/{t}" for t in TEMP_FOLDERS)):
            (folder / sub).mkdir(parents=True, exist_ok=True)
        user = nginx_user()
        _chown_to(user, [folder / "nginx-tmp"])
        (folder / "nginx.conf").write_text(self._node_conf(node, user))
        self._spawn(
            node,
            f"{node}-app",
            [
                sys.executable,
                "-m",
                "granian",
                "--interface",
                "wsgi",
                "--host",
                "127.0.0.1",
                "--port",
                str(APP_PORT),
                "--workers",
                "1",
                "--blocking-threads",
                "1",
                "--backpressure",
                "32",
                "khabar.wsgi:application",
            ],
            self.app_env(),
        )

    def wait_for_app(self, node: str) -> None:
        url = f"http://127.0.0.1:{APP_PORT}/ar/"
        self._wait(lambda: self._in(node, url), f"{node}'s app answering", f"{node}-app")

    def _in(self, host: str, url: str) -> bool:
        """Whether ``url`` answers 200 from inside ``host`` (its own loopback)."""
        probe = (
            "import sys,urllib.request as u; sys.exit(u.urlopen(sys.argv[1],timeout=2).status!=200)"
        )
        return (
            subprocess.run(
                self.network.wrap(host, [sys.executable, "-c", probe, url]),
                capture_output=True,
                check=False,
            ).returncode
            == 0
        )

    def _node_conf(self, node: str, user: str) -> str:
        cidr = self.network.cidr
        values = {
            "purge_module": PURGE_MODULE,
            "user": user,
            "home": str(self.home / node),
            "upstreams": f"server 127.0.0.1:{APP_PORT} max_fails=1 fail_timeout=2s;",
            # No stream process on a node: live stories' pages poll (KHABAR_LIVE_STREAM off).
            "streams": f"server 127.0.0.1:{APP_PORT};",
            "listen": f"{self.network.address(node)}:{NODE_PORT}",
            "static_root": str(self.home / "var" / "static"),
            "media_root": str(self.home / "var" / "media"),
        }
        conf = (ROOT / "deploy" / "nginx.conf.template").read_text()
        for name, value in values.items():
            conf = conf.replace(f"@{name}@", value)
        # Every app and the worker purge this node over the subnet; readers come through
        # the balancer, whose X-Forwarded-For is the reader's address.
        for old, new in (
            ("allow 127.0.0.1;", f"allow 127.0.0.1;\n            allow {cidr};"),
            (
                "server_name _;",
                f"server_name _;\n        set_real_ip_from {cidr};\n"
                "        real_ip_header X-Forwarded-For;",
            ),
        ):
            if old not in conf:
                raise RuntimeError(f"deploy/nginx.conf.template has no {old!r} any more")
            conf = conf.replace(old, new, 1)
        return conf

    def start_lb(self) -> None:
        for sub in TEMP_FOLDERS:
            (self.home / "lb-tmp" / sub).mkdir(parents=True, exist_ok=True)
        user = nginx_user()
        _chown_to(user, [self.home / "lb-tmp"])
        # A node is set aside after 3 failures in 2 s, not 1: with one node dead, a single
        # slow answer from the other (a busy machine) had both set aside at once, and the
        # balancer answered readers 502 "no live upstreams" (seen in a full test run).
        nodes = "\n        ".join(
            f"server {self.network.address(n)}:{NODE_PORT} max_fails=3 fail_timeout=2s;"
            for n in self.node_names
        )
        conf = LB_TEMPLATE
        for name, value in {
            "user": user,
            "home": str(self.home),
            "nodes": nodes,
            "port": str(self.lb_port),
        }.items():
            conf = conf.replace(f"@{name}@", value)
        conf_path = self.home / "lb.conf"
        conf_path.write_text(conf)
        with open(self.home / "logs" / "lb.log", "ab") as log:
            self.processes["lb"] = subprocess.Popen(
                ["nginx", "-c", str(conf_path), "-g", "daemon off;"],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        # On the machine itself, not in a host: removed with the hosts, or as their leftover.
        self.network.track(self.processes["lb"].pid)
        self._wait(lambda: _http_ok(self.url + "/ar/"), "the load balancer answering", "lb")

    def kill_node(self, node: str) -> None:
        """Every process of ``node`` killed at once, as when the machine loses power."""
        self.network.kill(node)

    def stop_nginx(self, node: str) -> None:
        """Stop only the node's nginx (its app keeps running)."""
        _stop_group(self.processes.pop(f"{node}-nginx").pid)
        wait_for(lambda: not _tcp_open(self.network.address(node), NODE_PORT), f"{node} down")

    def start_nginx(self, node: str) -> None:
        """Start the node's nginx, its cache emptied first (see the docstring)."""
        folder = self.home / node
        shutil.rmtree(folder / "nginx-cache", ignore_errors=True)
        (folder / "nginx-cache").mkdir()
        _chown_to(nginx_user(), [folder / "nginx-cache"])
        conf_path = folder / "nginx.conf"
        self._spawn(node, f"{node}-nginx", ["nginx", "-c", str(conf_path), "-g", "daemon off;"])
        url = f"http://{self.network.address(node)}:{NODE_PORT}/ar/"
        self._wait(lambda: _http_ok(url), f"{node}'s nginx answering", f"{node}-nginx")

    # -- the whole thing -----------------------------------------------------------------
    def up(self, *, demo: bool = True, template: Path | None = None) -> MultiNode:
        """Create the hosts, start everything, migrate, load the demo, wait for the balancer.

        With ``template`` (``ops.topology.template_for``, the one the tests' other profiles
        start from), the database, photos and static files are copied from it when it
        exists, and it is made from this profile when not. A network left by a run that was
        killed is removed first (``ops.netns``); one that another live run holds is not
        touched.
        """
        ensure_packages()
        for sub in ("logs", "var"):
            (self.home / sub).mkdir(parents=True, exist_ok=True)
        os.chmod(self.home, 0o755)  # the postgres and nginx users reach their folders inside
        _check_reachable(self.home)
        if not self.lb_port:
            self.lb_port = free_port()
        self.network.create(folders=(self.home,) if self.remove_home else ())
        hosts = ["db", "cache", "work", *self.node_names]
        if self.replica:
            hosts.insert(1, "replica")
        for host in hosts:
            self.network.add(host)
        self.start_redis()
        if template is None:
            self._prepare(demo=demo)
        else:
            from_template(
                template,
                prepare=lambda: self._prepare(demo=demo),
                save=self._save,
                restore=self._restore,
            )
        if self.replica:
            self.start_replica()
        # Both apps start side by side (most of it is importing Django), then their nginx.
        for node in self.node_names:
            self.start_app(node)
        self.start_worker()
        for node in self.node_names:
            self.wait_for_app(node)
            self.start_nginx(node)
        self.start_lb()
        return self

    def _prepare(self, *, demo: bool) -> None:
        """The primary started, the database migrated, the demo and the static files."""
        self.start_postgres()
        # The static files need no database: collected while the migrations run.
        collect = subprocess.Popen(
            [sys.executable, "-m", "khabar.manage", "collectstatic", "--noinput", "-v", "0"],
            env=self.env(),
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        self.manage("migrate", "--noinput")
        if demo:
            self.manage("load_demo", "--allow-production")  # a profile, not a site
        collected = collect.communicate()[0].decode(errors="replace")
        if collect.returncode:
            raise RuntimeError(f"collectstatic exited {collect.returncode}:\n{collected}")

    def _save(self, template: Path) -> None:
        """Keep what ``_prepare`` made as ``ops.topology`` does (the database copied while
        its server is stopped), for the next profile of either kind."""
        self.stop_postgres("db")
        save_template(template, pg_data=self.home / "db" / "data", var=self.home / "var")
        self.start_postgres()

    def _restore(self, template: Path) -> None:
        (self.home / "db").mkdir(exist_ok=True)
        shutil.rmtree(self.home / "db" / "data", ignore_errors=True)
        _copy(template / "pg", self.home / "db" / "data")
        for name in ("media", "static"):
            if (template / name).is_dir():
                shutil.rmtree(self.home / "var" / name, ignore_errors=True)
                _copy(template / name, self.home / "var" / name)
        self.start_postgres()

    def down(self) -> None:
        """Stop everything and remove the hosts (their namespaces, links and bridge), and
        the home if it is the run's own; what failed to start is removed as well."""
        try:
            for host in ("replica", "db"):
                self.stop_postgres(host)
        finally:
            self.network.destroy()  # every process in the hosts, and the balancer
            for process in self.processes.values():
                process.poll()  # reaped
            self.processes.clear()
            if self.remove_home:
                shutil.rmtree(self.home, ignore_errors=True)


TEMP_FOLDERS = ("body", "proxy", "fastcgi", "uwsgi", "scgi")


def _chown_to(user: str, folders: list[Path]) -> None:
    """Give nginx's workers the folders they write (the master runs as root)."""
    if os.geteuid() != 0:
        return
    account = pwd.getpwnam(user)
    for top in folders:
        for folder in [top, *top.rglob("*")]:
            os.chown(folder, account.pw_uid, account.pw_gid)


def _stop_group(pid: int) -> None:
    """SIGTERM the process group led by ``pid`` (our child), and reap it within 10 s."""
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            if os.waitpid(pid, os.WNOHANG)[0]:
                return
        except ChildProcessError:
            return
        time.sleep(0.05)
    os.killpg(pid, signal.SIGKILL)


def _run(
    args: list[str], *, log: Path | None = None, **kwargs: Any
) -> subprocess.CompletedProcess[str]:
    """Run a command that must succeed; when it does not, the error says what it printed
    (and the end of ``log``, a server's)."""
    done = subprocess.run(args, capture_output=True, text=True, check=False, **kwargs)
    if done.returncode:
        command = " ".join(args)
        message = f"{command} exited {done.returncode}\n{done.stdout}{done.stderr}".rstrip()
        raise RuntimeError(message + (f"\n{_tail(log)}" if log else ""))
    return done


def _check_reachable(home: Path) -> None:
    """As root, the postgres and nginx users must get through every folder above ``home``
    (a temporary folder under one of mode 0700 would make PostgreSQL fail to start)."""
    if os.geteuid() != 0:
        return
    for folder in home.resolve().parents:
        mode = folder.stat().st_mode
        if not mode & 0o001:
            raise RuntimeError(
                f"{home}: the postgres and nginx users cannot get through {folder} "
                f"(mode {mode & 0o777:o}); put the profile's home where every user can"
            )


def _tail(log: Path, size: int = 3000) -> str:
    """The end of a server's log for an error message, or why there is none."""
    try:
        return f"{log}:\n{log.read_text(errors='replace')[-size:]}"
    except OSError as error:
        return f"{log}: {error}"


def _tcp_open(host: str, port: int) -> bool:
    import socket

    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def main() -> None:
    """``python -m ops.multinode``: the hosts in the foreground until Ctrl-C or SIGTERM."""
    import argparse

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--home", default=os.environ.get("KHABAR_PROD_HOME", "/tmp/khabar-multi"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8080")))
    parser.add_argument("--nodes", type=int, default=2)
    parser.add_argument("--no-replica", action="store_true")
    options = parser.parse_args()
    home = Path(options.home)
    home.mkdir(parents=True, exist_ok=True)
    topology = MultiNode(
        home, nodes=options.nodes, replica=not options.no_replica, lb_port=options.port
    )
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    try:
        topology.up()
        nodes = ", ".join(topology.node_url(n) for n in topology.node_names)
        print(f"khabar on {topology.url}/ar/ (nodes: {nodes}); Ctrl-C stops it", flush=True)
        signal.pause()
    except KeyboardInterrupt:
        pass
    finally:
        topology.down()


if __name__ == "__main__":
    main()
