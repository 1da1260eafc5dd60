"""Django's SQLite backend, with write transactions queued (``ENGINE: khabar.lib.sqlite``).

Every transaction takes the database's ``WriterLock`` before ``BEGIN IMMEDIATE`` and gives
it back when it commits or rolls back, or when the connection closes (see ``writers``: the
kernel queues the writers instead of SQLite's busy handler polling). An in-memory database
(the test suite's) is one process's: the thread lock alone orders its writers.

Each connection also bounds the write-ahead log and keeps the planner's statistics current
(``maintenance``): a database without statistics is analysed when a connection opens, and
``PRAGMA optimize`` runs when one closes.
"""

from __future__ import annotations

import sqlite3 as Database
from typing import Any

from django.db.backends.sqlite3 import base

from khabar.lib.sqlite import maintenance
from khabar.lib.sqlite.writers import WriterLock


class DatabaseWrapper(base.DatabaseWrapper):
    _write_lock: WriterLock | None = None  # held during a transaction

    def _writer_lock(self) -> WriterLock:
        return WriterLock.for_database(
            None if self.is_in_memory_db() else str(self.settings_dict["NAME"])
        )

    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        conn = super().get_new_connection(conn_params)
        maintenance.configure(conn)
        if not self.is_in_memory_db() and not maintenance.has_statistics(conn):
            try:
                maintenance.optimize(conn, analyze=True)
            except Database.OperationalError:
                pass  # another process holds the write lock: the next connection tries again
        return conn

    def _start_transaction_under_autocommit(self) -> None:
        lock = self._writer_lock()
        options: dict[str, Any] = self.settings_dict.get("OPTIONS", {})
        if not lock.acquire(timeout=float(options.get("timeout", 5))):
            raise Database.OperationalError("database is locked (no turn to write)")
        self._write_lock = lock
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]  # private, not in django-stubs
        except BaseException:
            self._release_write_lock()
            raise

    def _release_write_lock(self) -> None:
        lock, self._write_lock = self._write_lock, None
        if lock is not None:
            lock.release()

    def _commit(self) -> None:
        try:
            super()._commit()  # type: ignore[misc]  # private, not in django-stubs
        finally:
            self._release_write_lock()

    def _rollback(self) -> None:
        try:
            super()._rollback()  # type: ignore[misc]  # private, not in django-stubs
        finally:
            self._release_write_lock()

    def _close(self) -> None:
        try:
            if self.connection is not None and not self.is_in_memory_db():
                try:
                    maintenance.optimize(self.connection)
                except Database.Error:
                    pass  # statistics are a nicety; closing must not fail for them
            super()._close()  # type: ignore[misc]  # private, not in django-stubs
        finally:
            self._release_write_lock()
