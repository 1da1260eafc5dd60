"""A PostgreSQL cluster of Debian's server binaries in a folder of its own.

Used by the production topology on one machine (``ops.topology``), the test suite's
throwaway clusters (``tests/postgres.py``) and the benchmarks. The server refuses to run as
root, so as root every command runs as the ``postgres`` user. The cluster listens only on a
unix socket in ``socket_dir``, with trust authentication: nothing outside the machine can
reach it and nothing on the machine is reconfigured.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

PG_BIN = Path(os.environ.get("KHABAR_PG_BIN", "/usr/lib/postgresql/15/bin"))
PG_USER = "postgres"


def available() -> bool:
    """Whether the PostgreSQL server binaries are installed."""
    return (PG_BIN / "initdb").exists() and (PG_BIN / "pg_ctl").exists()


def as_postgres(*args: str) -> list[str]:
    """The command, run as the ``postgres`` user when we are root."""
    return ["runuser", "-u", PG_USER, "--", *args] if os.geteuid() == 0 else list(args)


def start(
    data: Path, *, socket_dir: Path, port: int, log: Path, settings: dict[str, str] | None = None
) -> None:
    """Create the cluster in ``data`` if it is new, then start it and wait until it answers.

    ``settings`` are server settings (``-c name=value``) on top of the socket-only ones.
    """
    if os.geteuid() == 0:
        shutil.chown(socket_dir, PG_USER, PG_USER)
    if not data.exists():
        subprocess.run(
            as_postgres(
                str(PG_BIN / "initdb"),
                "-D",
                str(data),
                "-U",
                PG_USER,
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ),
            check=True,
            capture_output=True,
        )
    options = f"-c listen_addresses='' -c unix_socket_directories='{socket_dir}' -p {port}"
    for name, value in (settings or {}).items():
        options += f" -c {name}={value}"
    subprocess.run(
        as_postgres(
            str(PG_BIN / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(log), "-w", "start"
        ),
        check=True,
        capture_output=True,
    )


def stop(data: Path) -> None:
    """Stop the cluster (fast shutdown); nothing happens if it is not running."""
    if data.exists():
        subprocess.run(
            as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"),
            check=False,
            capture_output=True,
        )


def restart(data: Path, *, log: Path) -> None:
    """Restart the cluster and wait until it answers.

    The server's output goes to ``log``: without it the new server would keep this
    process's pipe open and the call would never return.
    """
    subprocess.run(
        as_postgres(
            str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "-l", str(log), "-w", "restart"
        ),
        check=True,
        capture_output=True,
    )


# -- a streaming replica ------------------------------------------------------------------------

#: What a hot standby needs of the server on top of ``start``'s settings.
STANDBY_SETTINGS = {"hot_standby": "on", "hot_standby_feedback": "on"}


def allow_local_replication(data: Path) -> bool:
    """Make sure ``pg_hba.conf`` lets local (unix socket) connections replicate.

    initdb writes the line already; a cluster made otherwise gets it appended. Returns
    whether the file changed (the server then needs a reload).
    """
    hba = data / "pg_hba.conf"
    lines = subprocess.run(
        as_postgres("cat", str(hba)), check=True, capture_output=True, text=True
    ).stdout.splitlines()
    for line in lines:
        fields = line.split("#", 1)[0].split()
        if fields[:2] == ["local", "replication"]:
            return False
    subprocess.run(
        as_postgres("sh", "-c", f"echo 'local replication all trust' >> '{hba}'"),
        check=True,
        capture_output=True,
    )
    return True


def start_replica(
    data: Path,
    *,
    primary: Path,
    primary_socket_dir: Path,
    primary_port: int,
    socket_dir: Path,
    port: int,
    log: Path,
    settings: dict[str, str] | None = None,
) -> None:
    """A physical streaming replica of the running primary (data folder ``primary``,
    listening in ``primary_socket_dir`` on ``primary_port``), in ``data``, started.

    The first time, ``pg_basebackup -R -X stream`` copies the primary over its unix socket
    and writes ``standby.signal`` and the ``primary_conninfo`` to stream from; after that
    the replica starts from where it stopped. ``settings`` must hold at least the primary's
    ``max_connections`` (a hot standby refuses to start with fewer).
    """
    if os.geteuid() == 0:
        shutil.chown(socket_dir, PG_USER, PG_USER)
    if not data.exists():
        if allow_local_replication(primary):
            reload(primary)
        subprocess.run(
            as_postgres(
                str(PG_BIN / "pg_basebackup"),
                "-h",
                str(primary_socket_dir),
                "-p",
                str(primary_port),
                "-U",
                PG_USER,
                "-D",
                str(data),
                "-R",
                "-X",
                "stream",
                "-c",
                "fast",
                "--no-sync",
            ),
            check=True,
            capture_output=True,
        )
    start(
        data,
        socket_dir=socket_dir,
        port=port,
        log=log,
        settings={**STANDBY_SETTINGS, **(settings or {})},
    )


def reload(data: Path) -> None:
    """Have the running cluster read its configuration files again (``pg_hba.conf``)."""
    subprocess.run(
        as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(data), "reload"),
        check=True,
        capture_output=True,
    )


def promote(data: Path) -> None:
    """Turn the replica in ``data`` into a primary that accepts writes, and wait for it."""
    subprocess.run(
        as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(data), "-w", "promote"),
        check=True,
        capture_output=True,
    )
