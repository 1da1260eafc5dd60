"""Separate hosts on one machine: Linux network namespaces joined by a bridge.

Each host (``Network.add("db")``) is a namespace named ``<prefix>-<host>`` with its own
address in a private /24, linked to a bridge in the root namespace by a veth pair; the bridge
holds the subnet's ``.1``, so the root namespace (the tests, a load balancer) reaches every
host and the hosts reach one another, and nothing else does. ``lo`` is up in each, so a
process may also listen on 127.0.0.1 of its own host, unseen by the others.

Needs root and iproute2. Every name starts with ``PREFIX``: ``remove_leftovers`` clears what a
crashed run left behind (its namespaces, their processes, the bridge) before a new one starts.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import time
from dataclasses import dataclass, field

#: Every namespace and link made here starts with it (interface names: 15 characters at most).
PREFIX = "khmn"


def ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", *args], check=check, capture_output=True, text=True)


def namespaces() -> list[str]:
    """Every network namespace on the machine, by name."""
    listed = ip("netns", "list").stdout.splitlines()
    return [line.split()[0] for line in listed if line.strip()]


def pids(namespace: str) -> list[int]:
    """The processes running in ``namespace``."""
    out = ip("netns", "pids", namespace, check=False).stdout
    return [int(word) for word in out.split()]


def kill_all(namespace: str, *, grace: float = 5.0) -> None:
    """SIGTERM every process in ``namespace``, then SIGKILL what is left after ``grace``;
    returns once every one of them is gone (reaped, not only dead: a server's lock file
    names its PID, and a new server refuses to start while that PID exists)."""
    killed: set[int] = set()
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        for pid in pids(namespace):
            killed.add(pid)
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and _alive(killed):
            time.sleep(0.05)
        if not _alive(killed) and not pids(namespace):
            return
    raise RuntimeError(f"processes left in {namespace}: {sorted(_alive(killed))}")


def _alive(candidates: set[int]) -> set[int]:
    """Those of ``candidates`` that still exist; our own children that exited are reaped."""
    left = set()
    for pid in candidates:
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass  # not ours: init reaps it
        if os.path.exists(f"/proc/{pid}"):
            left.add(pid)
    return left


def remove_leftovers(prefix: str = PREFIX) -> None:
    """Remove every namespace and link whose name starts with ``prefix`` (by default: those
    of a previous run that crashed), and the processes in those namespaces."""
    for name in namespaces():
        if name.startswith(prefix):
            kill_all(name, grace=1.0)
            ip("netns", "delete", name, check=False)
    # A namespace outlives its name while the kernel still holds it (sockets closing), and
    # its veth with it: the root end is removed here, which removes both ends.
    for line in ip("-o", "link", "show").stdout.splitlines():
        link = line.split(":")[1].strip().split("@")[0]
        if link.startswith(prefix):
            ip("link", "delete", link, check=False)


@dataclass
class Network:
    """A bridge and the namespaces on it; ``10.<a>.<b>.0/24`` picked at random."""

    tag: str = field(default_factory=lambda: secrets.token_hex(2))
    subnet: str = field(
        default_factory=lambda: f"10.{200 + secrets.randbelow(50)}.{secrets.randbelow(256)}"
    )
    hosts: dict[str, str] = field(default_factory=dict)

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

    def create(self) -> Network:
        ip("link", "add", self.bridge, "type", "bridge")
        ip("addr", "add", f"{self.gateway}/24", "dev", self.bridge)
        ip("link", "set", self.bridge, "up")
        return self

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
        """Stop every process in these namespaces and remove them, their links and the bridge."""
        remove_leftovers(f"{PREFIX}{self.tag}")
        self.hosts.clear()
