"""Separate hosts on one machine: Linux network namespaces joined by a bridge.

Each host (``Network.add("db")``) is a namespace named ``<prefix><tag>-<host>`` with its own
address in a private /24, linked to a bridge in the root namespace by a veth pair; the bridge
holds the subnet's ``.1``, so the root namespace (the tests, a load balancer) reaches every
host and the hosts reach one another, and nothing else does. ``lo`` is up in each, so a
process may also listen on 127.0.0.1 of its own host, unseen by the others.

Several networks may be up at once: two test runs on one machine, or two xdist workers.
Each is claimed by the process that made it: a file ``RUN_DIR/<tag>`` that the process holds
locked (``flock``) while it lives, and that lists what the network has outside its
namespaces (a process on the machine itself, a folder). A network whose claim is no longer
held (its process was killed) is a leftover, and ``remove_leftovers`` removes it whole: its
processes, namespaces, links and folders; a network still claimed is never touched. Tag and
subnet are picked under one lock, among those no network and no route of the machine uses.

Needs root and iproute2.
"""

from __future__ import annotations

import contextlib
import fcntl
import ipaddress
import json
import os
import secrets
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

#: Every namespace and link made here starts with it (interface names: 15 characters at most).
PREFIX = "khmn"
#: Each network's claim, ``<tag>``, and the lock that picking a new tag and subnet holds.
RUN_DIR = Path("/run") / PREFIX
TAG_LENGTH = 4


def ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(["ip", *args], check=False, capture_output=True, text=True)
    if check and done.returncode:
        raise RuntimeError(f"ip {' '.join(args)}: {done.stderr.strip()}")
    return done


def namespaces() -> list[str]:
    """Every network namespace on the machine, by name."""
    listed = ip("netns", "list").stdout.splitlines()
    return [line.split()[0] for line in listed if line.strip()]


def links() -> list[str]:
    """Every network interface of the root namespace, by name."""
    names = []
    for line in ip("-o", "link", "show").stdout.splitlines():
        names.append(line.split(":")[1].strip().split("@")[0])
    return names


def pids(namespace: str) -> list[int]:
    """The processes running in ``namespace``."""
    out = ip("netns", "pids", namespace, check=False).stdout
    return [int(word) for word in out.split()]


def kill_all(*names: str, grace: float = 5.0) -> None:
    """SIGTERM every process in the namespaces ``names``, then SIGKILL what is left after
    ``grace`` (at once when it is 0); returns once every one of them is gone (reaped, not
    only dead: a server's lock file names its PID, and a new server refuses to start while
    that PID exists)."""
    killed: set[int] = set()
    rounds = [(signal.SIGTERM, grace)] if grace else []
    for sig, wait in [*rounds, (signal.SIGKILL, 5.0)]:
        for pid in [pid for name in names for pid in pids(name)]:
            killed.add(pid)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and _alive(killed):
            time.sleep(0.05)
        if not _alive(killed) and not any(pids(name) for name in names):
            return
    raise RuntimeError(f"processes left in {', '.join(names)}: {sorted(_alive(killed))}")


def _alive(candidates: set[int]) -> set[int]:
    """Those of ``candidates`` that still exist; our own children that exited are reaped."""
    left = set()
    for pid in candidates:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # not ours: init reaps it
        if os.path.exists(f"/proc/{pid}"):
            left.add(pid)
    return left


def _started(pid: int) -> int | None:
    """When process ``pid`` started (clock ticks since boot), or None if there is none: with
    its PID, what tells it from a later process given the same PID."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rpartition(")")[2].split()[19])


def _stop_process(pid: int, started: int, *, grace: float = 5.0) -> None:
    """SIGTERM the process group led by ``pid`` if that process is still the one that
    started at ``started``, then SIGKILL it after ``grace``."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        if _started(pid) != started:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, sig)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and _alive({pid}):
            time.sleep(0.05)


@contextlib.contextmanager
def _registry() -> Iterator[None]:
    """Held while a tag and subnet are picked or leftovers removed (one process at a time)."""
    RUN_DIR.mkdir(mode=0o755, parents=True, exist_ok=True)
    with open(RUN_DIR / ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _tag_of(name: str) -> str | None:
    """The network tag in a namespace or link name made here, else None."""
    tag = name[len(PREFIX) : len(PREFIX) + TAG_LENGTH]
    if name.startswith(PREFIX) and len(tag) == TAG_LENGTH:
        return tag
    return None


def _held(claim: Path) -> bool:
    """Whether the process that made the claim still holds it."""
    try:
        with open(claim) as file:
            try:
                fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
    except FileNotFoundError:
        pass
    return False


def remove_leftovers() -> list[str]:
    """Remove the networks whose process is gone (killed before it removed them), whole:
    their processes, namespaces, links and recorded folders. Returns their tags."""
    with _registry():
        return _remove_leftovers()


def _remove_leftovers() -> list[str]:
    tags = {path.name for path in RUN_DIR.iterdir() if not path.name.startswith(".")}
    tags |= {tag for name in [*namespaces(), *links()] if (tag := _tag_of(name))}
    removed = []
    for tag in sorted(tags):
        claim = RUN_DIR / tag
        if _held(claim):
            continue
        try:
            record = json.loads(claim.read_text())
        except (OSError, ValueError):
            record = {}  # claimed by no one: made by a version before claims
        processes = [(int(pid), int(started)) for pid, started in record.get("processes", [])]
        _remove(tag, processes, [str(f) for f in record.get("folders", [])], grace=1.0)
        claim.unlink(missing_ok=True)
        removed.append(tag)
    return removed


def _remove(
    tag: str, processes: list[tuple[int, int]], folders: list[str], *, grace: float
) -> None:
    """Everything of network ``tag``, with its processes (PID, start) and folders outside."""
    for pid, started in processes:
        _stop_process(pid, started, grace=grace)
    mine = [name for name in namespaces() if _tag_of(name) == tag]
    kill_all(*mine, grace=grace)
    for name in mine:
        ip("netns", "delete", name, check=False)
    # A namespace outlives its name while the kernel still holds it (sockets closing), and
    # its veth with it: the root end is removed here, which removes both ends.
    for link in links():
        if _tag_of(link) == tag:
            ip("link", "delete", link, check=False)
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)


def _networks_in_use() -> list[ipaddress.IPv4Network]:
    """The IPv4 networks the root namespace routes or has addresses in."""
    found = []
    for line in ip("-4", "-o", "route", "show", "table", "all").stdout.splitlines():
        with contextlib.suppress(ValueError, IndexError):
            destination = line.split()[0]
            if destination == "local" or destination == "broadcast":
                destination = line.split()[1]
            if destination != "default":
                found.append(ipaddress.IPv4Network(destination, strict=False))
    return found


def _pick_subnet() -> str:
    """``10.<a>.<b>`` whose /24 nothing on the machine uses."""
    used = _networks_in_use()
    for _attempt in range(1000):
        subnet = f"10.{200 + secrets.randbelow(50)}.{secrets.randbelow(256)}"
        candidate = ipaddress.IPv4Network(f"{subnet}.0/24")
        if not any(candidate.overlaps(network) for network in used):
            return subnet
    raise RuntimeError("no free /24 in 10.200.0.0/13")


def _pick_tag() -> str:
    taken = {path.name for path in RUN_DIR.iterdir()}
    taken |= {tag for name in [*namespaces(), *links()] if (tag := _tag_of(name))}
    for _attempt in range(1000):
        tag = secrets.token_hex(TAG_LENGTH // 2)
        if tag not in taken:
            return tag
    raise RuntimeError(f"no free tag in {RUN_DIR}")


@dataclass
class Network:
    """A bridge and the namespaces on it; tag and ``10.<a>.<b>.0/24`` picked by ``create``."""

    tag: str = ""
    subnet: str = ""
    hosts: dict[str, str] = field(default_factory=dict)
    #: What the network has outside its namespaces, removed with it (see the docstring):
    #: processes (PID, start) and folders.
    processes: list[tuple[int, int]] = field(default_factory=list)
    folders: list[str] = field(default_factory=list)
    _claim: IO[str] | None = None

    @property
    def bridge(self) -> str:
        return f"{PREFIX}{self.tag}br"

    @property
    def gateway(self) -> str:
        """The root namespace's address on the bridge."""
        return f"{self.subnet}.1"

    @property
    def cidr(self) -> str:
        return f"{self.subnet}.0/24"

    def namespace(self, host: str) -> str:
        return f"{PREFIX}{self.tag}-{host}"

    def address(self, host: str) -> str:
        return self.hosts[host]

    def create(self, *, folders: tuple[Path, ...] = ()) -> Network:
        """Remove leftovers, claim a new tag and subnet, and make the bridge. ``folders``
        (the run's own) are removed with the network, also when its process was killed."""
        with _registry():
            _remove_leftovers()
            self.tag, self.subnet = _pick_tag(), _pick_subnet()
            # Held, and so locked, for as long as this process lives.
            self._claim = open(RUN_DIR / self.tag, "w")
            fcntl.flock(self._claim, fcntl.LOCK_EX)
            self.folders = [str(folder) for folder in folders]
            self._write_record()
            # The subnet is taken once the bridge holds an address in it.
            ip("link", "add", self.bridge, "type", "bridge")
            ip("addr", "add", f"{self.gateway}/24", "dev", self.bridge)
        ip("link", "set", self.bridge, "up")
        return self

    def _write_record(self) -> None:
        assert self._claim is not None
        self._claim.seek(0)
        self._claim.truncate()
        record = {"owner": os.getpid(), "processes": self.processes, "folders": self.folders}
        self._claim.write(json.dumps(record))
        self._claim.flush()

    def track(self, pid: int) -> None:
        """Remove the process group led by ``pid`` (a process outside the namespaces)
        with the network."""
        started = _started(pid)
        if started is not None:
            self.processes.append((pid, started))
            self._write_record()

    def add(self, host: str) -> str:
        """A new host on the bridge; returns its address."""
        index = len(self.hosts) + 2
        address = f"{self.subnet}.{index}"
        name = self.namespace(host)
        outside, inside = f"{PREFIX}{self.tag}v{index}", f"{PREFIX}{self.tag}i{index}"
        ip("netns", "add", name)
        self.hosts[host] = address
        ip("link", "add", outside, "type", "veth", "peer", "name", inside)
        ip("link", "set", outside, "master", self.bridge)
        ip("link", "set", outside, "up")
        ip("link", "set", inside, "netns", name)
        ip("-n", name, "link", "set", "lo", "up")
        ip("-n", name, "addr", "add", f"{address}/24", "dev", inside)
        ip("-n", name, "link", "set", inside, "up")
        return address

    def wrap(self, host: str, args: list[str]) -> list[str]:
        """``args`` as a command that runs inside ``host``'s namespace."""
        return ["ip", "netns", "exec", self.namespace(host), *args]

    def kill(self, host: str) -> None:
        """Stop every process on ``host`` (a machine that lost power, as far as the rest see)."""
        kill_all(self.namespace(host), grace=0.0)

    def destroy(self) -> None:
        """Stop every process of the network and remove its namespaces, links, bridge and
        folders, then give up its claim."""
        if self._claim is None:
            return
        _remove(self.tag, self.processes, self.folders, grace=1.0)
        (RUN_DIR / self.tag).unlink(missing_ok=True)
        self._claim.close()
        self._claim = None
        self.hosts.clear()
