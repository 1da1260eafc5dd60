"""SQLite writers queue for the lock instead of polling for it (khabar.lib.sqlite).

The proof is SQLite's own: with its busy timeout at zero, a writer that finds the database
locked fails at once with "database is locked". Writers that take ``WriterLock`` first never
meet that error, from several threads and several processes at the same time.
"""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading
from pathlib import Path

import pytest
from django.db import connection, transaction

from khabar.lib.sqlite.writers import WriterLock

WRITES = 150


def _create(db: Path) -> None:
    with sqlite3.connect(db) as setup:
        setup.execute("PRAGMA journal_mode=WAL")
        setup.execute("CREATE TABLE IF NOT EXISTS note (writer TEXT, n INTEGER)")


def _write(db: str, writer: str, queued: bool, errors: list[str]) -> None:
    """WRITES transactions of a read and an insert, with no busy timeout at all."""
    lock = WriterLock.for_database(db)
    conn = sqlite3.connect(db, timeout=0, isolation_level=None)
    for n in range(WRITES):
        try:
            if queued:
                lock.acquire(timeout=30)
            try:
                conn.execute("BEGIN IMMEDIATE")
                conn.execute("SELECT COUNT(*) FROM note").fetchone()
                conn.execute("INSERT INTO note VALUES (?, ?)", (writer, n))
                conn.execute("COMMIT")
            finally:
                if queued:
                    lock.release()
        except sqlite3.OperationalError as error:
            errors.append(str(error))
            if conn.in_transaction:
                conn.execute("ROLLBACK")
    conn.close()


def _process(db: str, name: str, queued: bool, failures: multiprocessing.Queue) -> None:
    errors: list[str] = []
    threads = [
        threading.Thread(target=_write, args=(db, f"{name}-{t}", queued, errors)) for t in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    failures.put(errors)


def _race(db: Path, queued: bool) -> list[str]:
    """Three processes of three writer threads each; the errors they met."""
    fork = multiprocessing.get_context("fork")
    failures = fork.Queue()
    processes = [
        fork.Process(target=_process, args=(str(db), f"p{p}", queued, failures)) for p in range(3)
    ]
    for process in processes:
        process.start()
    errors = [error for _ in processes for error in failures.get(timeout=120)]
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    return errors


def test_it_lets_writers_of_several_processes_and_threads_take_turns(tmp_path):
    db = tmp_path / "queued.sqlite3"
    _create(db)
    assert _race(db, queued=True) == []
    with sqlite3.connect(db) as check:
        assert check.execute("SELECT COUNT(*), COUNT(DISTINCT writer) FROM note").fetchone() == (
            9 * WRITES,
            9,
        )


def test_without_the_queue_the_same_writers_find_the_database_locked(tmp_path):
    # The same race without the queue: SQLite refuses the writers that arrive second.
    db = tmp_path / "unqueued.sqlite3"
    _create(db)
    errors = _race(db, queued=False)
    assert errors and all("locked" in error for error in errors)


def test_it_frees_the_lock_of_a_process_that_died_holding_it(tmp_path):
    db = str(tmp_path / "dead.sqlite3")
    fork = multiprocessing.get_context("fork")
    holding = fork.Event()

    def hold_and_die() -> None:
        WriterLock.for_database(db).acquire(timeout=5)
        holding.set()
        threading.Event().wait(60)  # killed long before

    child = fork.Process(target=hold_and_die)
    child.start()
    assert holding.wait(30)
    child.kill()
    child.join(30)
    lock = WriterLock.for_database(db)
    assert lock.acquire(timeout=30)
    lock.release()


def _other_thread_can_write() -> bool:
    """Whether another thread would get its turn right now."""
    lock = connection._writer_lock()
    result = []

    def attempt() -> None:
        got = lock.acquire(timeout=0)
        if got:
            lock.release()
        result.append(got)

    thread = threading.Thread(target=attempt)
    thread.start()
    thread.join()
    return result[0]


@pytest.mark.django_db(transaction=True)
def test_it_holds_the_turn_for_a_transaction_and_gives_it_back_after_commit_or_rollback():
    assert connection.vendor == "sqlite"
    assert _other_thread_can_write()
    with transaction.atomic():
        assert not _other_thread_can_write()
    assert _other_thread_can_write()
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        assert not _other_thread_can_write()
        1 / 0  # noqa: B018
    assert _other_thread_can_write()
