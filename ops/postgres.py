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
