"""``khabar shell -c`` against a production profile, without Django's start-up each time.

The topology tests make and change stories through ``khabar shell -c`` (a management command
in a new process, as an operator would). Each one imported Django and every app again: about a
second of CPU, several on a loaded machine, some sixty times a run. Here one process a profile
sets Django up once, with the profile's environment, and forks a child for each command: the
child is still a new process (its own database and Redis connections, nothing kept from the
command before) that runs the code as ``shell -c`` does, with the same automatic imports, and
ends as a process does (its threads joined, its output flushed).
"""

from __future__ import annotations

import subprocess
import sys
import weakref
from pathlib import Path
from typing import Protocol

ROOT = Path(__file__).resolve().parent.parent

# The server: reads "<size>\n<code>" from stdin, answers "<exit status> <size> <size>\n"
# and the command's stdout and stderr.
SERVER = r"""
import os, sys, tempfile, traceback
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "khabar.settings")
import django
django.setup()
from django.core.management.commands import shell
namespace = {**vars(shell), **shell.Command().get_namespace(verbosity=0)}
requests, answers = sys.stdin.buffer, os.dup(1)
quiet = os.open(os.devnull, os.O_RDWR)
os.dup2(quiet, 1)
code = None
while header := requests.readline():
    code = requests.read(int(header)).decode()
    read_end, write_end = os.pipe()
    errors = tempfile.TemporaryFile()
    sys.stdout.flush()
    sys.stderr.flush()
    child = os.fork()
    if child == 0:
        os.close(read_end)
        os.close(answers)
        os.dup2(quiet, 0)
        os.dup2(write_end, 1)
        os.dup2(errors.fileno(), 2)
        os.close(write_end)
        errors.close()
        break
    os.close(write_end)
    chunks = []
    while chunk := os.read(read_end, 65536):
        chunks.append(chunk)
    os.close(read_end)
    status = os.waitstatus_to_exitcode(os.waitpid(child, 0)[1])
    output = b"".join(chunks)
    errors.seek(0)
    error = errors.read()
    errors.close()
    os.write(answers, b"%d %d %d\n" % (status, len(output), len(error)) + output + error)
    code = None
if code is not None:
    # The child: the command, then what an exit does (its threads joined, the atexit
    # functions, the output flushed) without tearing the interpreter down, which takes
    # longer than the command.
    import atexit, threading
    sys.stdin = open(os.devnull)
    status = 0
    try:
        exec(code, dict(namespace))
    except SystemExit as stop:
        status = stop.code if isinstance(stop.code, int) else int(stop.code is not None)
        if not isinstance(stop.code, (int, type(None))):
            print(stop.code, file=sys.stderr)
    except BaseException:
        traceback.print_exc()
        status = 1
    for thread in threading.enumerate():
        if thread is not threading.main_thread() and not thread.daemon:
            thread.join()
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
"""


class Profile(Protocol):
    home: Path

    def env(self) -> dict[str, str]: ...


class _Server:
    def __init__(self, profile: Profile):
        log_dir = profile.home / "logs"
        log_dir.mkdir(parents=True, exist_ok=True)
        with open(log_dir / "shell-server.log", "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-c", SERVER],
                env=profile.env(),
                cwd=ROOT,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
            )

    def run(self, code: str) -> tuple[int, str, str]:
        assert self.process.stdin and self.process.stdout
        data = code.encode()
        self.process.stdin.write(b"%d\n" % len(data) + data)
        self.process.stdin.flush()
        header = self.process.stdout.readline()
        if not header:
            raise RuntimeError(f"the shell server exited ({self.process.wait()})")
        status, out, err = (int(field) for field in header.split())
        output = self.process.stdout.read(out).decode()
        return status, output, self.process.stdout.read(err).decode()

    def close(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


_servers: dict[int, _Server] = {}


def run_shell(profile: Profile, code: str) -> str:
    """What ``khabar shell -c code`` prints against ``profile``; a command that fails
    raises with what it printed, as ``profile.manage`` does."""
    server = _servers.get(id(profile))
    if server is None:
        server = _servers[id(profile)] = _Server(profile)
        weakref.finalize(profile, _close, id(profile))
    status, output, errors = server.run(code)
    if status != 0:
        raise RuntimeError(f"khabar shell -c exited {status}:\n{output}{errors}")
    return output


def _close(key: int) -> None:
    server = _servers.pop(key, None)
    if server is not None:
        server.close()
