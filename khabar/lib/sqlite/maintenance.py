"""Keeping a SQLite database fast as it grows: planner statistics and a bounded WAL.

Without statistics (``sqlite_stat1``), SQLite guesses that every index is equally useful: at
an archive's size it then sorts all live stories instead of reading an index in order, and
scans a table where an index would find a row (issue 19: a story page 289 ms → 11 ms once
``ANALYZE`` had run). ``ANALYZE`` is therefore run once when a database has no statistics
and ``PRAGMA optimize`` (which re-analyses only the tables whose size changed a lot) when a
connection closes, as SQLite's documentation recommends for long-lived applications.
Statistics are read from every row (``analysis_limit`` 0): a sampled ANALYZE (1,000 rows an
index) extrapolated a million-story table to anything from 0.5 to 5.5 million rows depending
on the index, and the planner then sorted the whole archive for the desk's first page. A
full ANALYZE of the stories takes about 2 s at a million; PRAGMA optimize repeats it only
when a table has grown 25-fold.

The write-ahead log is checkpointed every ``WAL_AUTOCHECKPOINT_PAGES`` pages; a checkpoint
cannot shrink the file while readers hold old snapshots, so it used to grow to the size of
the busiest moment and stay there (614 MB). ``journal_size_limit`` truncates it back to
``JOURNAL_SIZE_LIMIT`` bytes after each checkpoint that resets it.
"""

from __future__ import annotations

from typing import Protocol

#: Rows sampled per index by ANALYZE and PRAGMA optimize: 0 reads them all (see above).
ANALYSIS_LIMIT = 0
#: Bytes the WAL is truncated to after a checkpoint.
JOURNAL_SIZE_LIMIT = 64 * 1024 * 1024
#: Pages written before an automatic checkpoint (SQLite's default, said out loud).
WAL_AUTOCHECKPOINT_PAGES = 1000

CONNECTION_PRAGMAS = (
    f"PRAGMA analysis_limit={ANALYSIS_LIMIT}",
    f"PRAGMA journal_size_limit={JOURNAL_SIZE_LIMIT}",
    f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}",
)


class Cursor(Protocol):
    def execute(self, sql: str, /) -> object: ...

    def fetchone(self) -> tuple[object, ...] | None: ...


class Connection(Protocol):
    def execute(self, sql: str, /) -> Cursor: ...


def configure(connection: Connection) -> None:
    """Set the per-connection limits (analysis sample, WAL size, checkpoint interval)."""
    for pragma in CONNECTION_PRAGMAS:
        connection.execute(pragma)


def has_statistics(connection: Connection) -> bool:
    """Whether ANALYZE has ever run on this database."""
    row = connection.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'"
    ).fetchone()
    if row is None:
        return False
    return connection.execute("SELECT 1 FROM sqlite_stat1 LIMIT 1").fetchone() is not None


def optimize(connection: Connection, *, analyze: bool = False) -> None:
    """Bring the planner's statistics up to date.

    ``analyze=True`` (or a database that has none yet) runs a sampled ``ANALYZE`` of every
    table; otherwise ``PRAGMA optimize`` re-analyses only what changed enough to matter.
    """
    connection.execute(f"PRAGMA analysis_limit={ANALYSIS_LIMIT}")
    if analyze or not has_statistics(connection):
        connection.execute("ANALYZE")
    else:
        connection.execute("PRAGMA optimize")
