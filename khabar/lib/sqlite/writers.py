"""One writer at a time on a SQLite file, queued in the kernel rather than by polling.

SQLite lets one writer in at a time, and a second one does not wait in a queue: its busy
handler sleeps (1, 2, 5 … 100 ms) and tries again. Under a burst of writes from several
threads and processes, most of a write's time is spent asleep past other writers' commits.

``WriterLock(path)`` puts the writers in line instead: a thread lock for the process's
threads, then an exclusive ``flock`` on a file beside the database for the processes. The
kernel wakes the next writer as soon as the lock is released. A process that dies loses its
``flock`` with it. Writers that do not take the lock (the sqlite3 shell, another program)
still meet SQLite's own busy timeout.
"""

from __future__ import annotations

import fcntl
import os
import threading

_registry_lock = threading.Lock()
_locks: dict[str, WriterLock] = {}


class WriterLock:
    """The writers' queue of one database file; ``for_database(path)`` shares one per file."""

    def __init__(self, path: str | None):
        self.path = path  # None: only this process writes (an in-memory database)
        self._thread_lock = threading.Lock()
        self._fd: tuple[int, int] | None = None  # (pid, fd): a fork must not share its parent's

    @staticmethod
    def for_database(database: str | None) -> WriterLock:
        """The lock of a database file; None for an in-memory one (no file, one process)."""
        path = f"{database}.writer-lock" if database else None
        with _registry_lock:
            lock = _locks.get(path or "")
            if lock is None:
                lock = _locks[path or ""] = WriterLock(path)
            return lock

    def _descriptor(self) -> int | None:
        if self.path is None:
            return None
        pid = os.getpid()
        if self._fd is None or self._fd[0] != pid:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            self._fd = (pid, fd)
        return self._fd[1]

    def acquire(self, timeout: float) -> bool:
        """Wait for the process's turn (up to ``timeout`` seconds), then the file's."""
        if not self._thread_lock.acquire(timeout=timeout):
            return False
        try:
            fd = self._descriptor()
            if fd is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)
        except BaseException:
            self._thread_lock.release()
            raise
        return True

    def release(self) -> None:
        try:
            fd = self._descriptor()
            if fd is not None:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            self._thread_lock.release()

    def __enter__(self) -> WriterLock:
        if not self.acquire(timeout=30):
            raise TimeoutError(f"no turn to write {self.path} within 30 s")
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
