"""``make run``: the app server and the background worker as one foreground command.

``python -m ops.supervise --port 8000`` starts granian and ``khabar run_worker``
side by side. Ctrl-C or SIGTERM is passed on to both as one SIGTERM each (they run in
process groups of their own, so the terminal's Ctrl-C does not reach them twice); when
either one exits, the other is stopped too. A child that has not stopped after ``GRACE``
seconds is killed.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
from types import FrameType

GRACE = 10.0


def app_command(host: str, port: int) -> list[str]:
    """granian as ``make run`` serves the site (two workers, one request at a time each)."""
    return [
        sys.executable,
        "-m",
        "granian",
        "--interface",
        "wsgi",
        "--host",
        host,
        "--port",
        str(port),
        "--workers",
        "2",
        "--blocking-threads",
        "1",
        "--backpressure",
        "32",
        "khabar.wsgi:application",
    ]


def worker_command() -> list[str]:
    return [sys.executable, "-m", "khabar.manage", "run_worker"]


def supervise(commands: dict[str, list[str]], *, grace: float = GRACE) -> int:
    """Run ``commands`` until a signal or until one exits; returns the first failure's code."""
    stopping = threading.Event()

    def stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    children = {name: subprocess.Popen(args, process_group=0) for name, args in commands.items()}
    code = 0
    while not stopping.is_set():
        for name, child in children.items():
            if child.poll() is not None:
                print(f"{name} exited ({child.returncode}): stopping the rest", file=sys.stderr)
                code = child.returncode or 0
                stopping.set()
                break
        stopping.wait(0.5)
    deadline = time.monotonic() + grace
    for child in children.values():
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    for name, child in children.items():
        try:
            child.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            print(f"{name} did not stop within {grace:.0f}s: killed", file=sys.stderr)
            child.kill()
            child.wait()
        # What it started and left behind (granian's workers when its main process was
        # killed, or exited first) would go on answering on the port: gone with its group.
        try:
            os.killpg(child.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    options = parser.parse_args()
    commands = {"app": app_command(options.host, options.port), "worker": worker_command()}
    sys.exit(supervise(commands))


if __name__ == "__main__":
    main()
