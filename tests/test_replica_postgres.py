"""ops.postgres's streaming replica on Debian's PostgreSQL 15: copied over the unix socket,
streaming what the primary commits, read-only until promoted."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import psycopg
import pytest

from ops import postgres
from ops.topology import free_port, wait_for

pytestmark = pytest.mark.postgres


@pytest.fixture
def pair():
    """A primary and its replica, each in a folder of its own, removed afterwards."""
    if not postgres.available():
        pytest.fail(f"PostgreSQL server binaries missing in {postgres.PG_BIN}")
    root = Path(tempfile.mkdtemp(prefix="khabar-replica-pair-"))
    os.chmod(root, 0o755)
    primary, replica = root / "primary", root / "replica"
    primary.mkdir()
    replica.mkdir()
    ports = free_port(), free_port()
    settings = {"fsync": "off", "max_connections": "20"}
    try:
        postgres.start(
            primary / "data",
            socket_dir=primary,
            port=ports[0],
            log=primary / "log",
            settings=settings,
        )
        postgres.start_replica(
            replica / "data",
            primary=primary / "data",
            primary_socket_dir=primary,
            primary_port=ports[0],
            socket_dir=replica,
            port=ports[1],
            log=replica / "log",
            settings=settings,
        )
        yield (primary, ports[0]), (replica, ports[1])
    finally:
        postgres.stop(replica / "data")
        postgres.stop(primary / "data")
        shutil.rmtree(root, ignore_errors=True)


def connect(where: tuple[Path, int]) -> psycopg.Connection:
    folder, port = where
    return psycopg.connect(
        host=str(folder), port=port, user=postgres.PG_USER, dbname="postgres", autocommit=True
    )


def test_it_streams_what_the_primary_commits_to_a_read_only_replica(pair):
    primary, replica = pair
    with connect(primary) as conn:
        conn.execute("CREATE TABLE wire (headline text)")
        conn.execute("INSERT INTO wire VALUES ('خبر عاجل')")
    with connect(replica) as conn:
        assert conn.execute("SELECT pg_is_in_recovery()").fetchone() == (True,)
        assert conn.execute("SELECT count(*) FROM pg_stat_wal_receiver").fetchone() == (1,)
        wait_for(
            lambda: (
                conn.execute("SELECT to_regclass('wire') IS NOT NULL").fetchone()[0]
                and conn.execute("SELECT headline FROM wire").fetchall() == [("خبر عاجل",)]
            ),
            "the row on the replica",
        )
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            conn.execute("INSERT INTO wire VALUES ('لا')")


def test_it_holds_replay_back_on_request_and_catches_up_after(pair):
    primary, replica = pair
    with connect(primary) as conn:
        conn.execute("CREATE TABLE wire (n int)")
    with connect(replica) as conn:
        wait_for(lambda: conn.execute("SELECT to_regclass('wire')").fetchone()[0], "table")
        conn.execute("SELECT pg_wal_replay_pause()")
        with connect(primary) as writer:
            writer.execute("INSERT INTO wire VALUES (1)")
            wanted = writer.execute("SELECT pg_current_wal_lsn()").fetchone()[0]
        # Received, not replayed: what the router's lag check sees.
        wait_for(
            lambda: conn.execute("SELECT pg_last_wal_receive_lsn() >= %s", [wanted]).fetchone()[0],
            "the WAL received",
        )
        assert conn.execute("SELECT count(*) FROM wire").fetchone() == (0,)
        conn.execute("SELECT pg_wal_replay_resume()")
        wait_for(lambda: conn.execute("SELECT count(*) FROM wire").fetchone() == (1,), "replay")


def test_it_promotes_the_replica_to_a_primary_that_takes_writes(pair):
    primary, replica = pair
    postgres.stop(primary[0] / "data")
    postgres.promote(replica[0] / "data")
    with connect(replica) as conn:
        assert conn.execute("SELECT pg_is_in_recovery()").fetchone() == (False,)
        conn.execute("CREATE TABLE after_promotion (n int)")
        conn.execute("INSERT INTO after_promotion VALUES (1)")


def test_it_lets_local_connections_replicate_once(pair):
    (primary, _port), _replica = pair
    data = primary / "data"
    hba = data / "pg_hba.conf"
    # initdb's pg_hba.conf has the line already: nothing to change.
    assert postgres.allow_local_replication(data) is False
    subprocess.run(
        postgres.as_postgres("sed", "-i", r"/^local\s\+replication/d", str(hba)), check=True
    )
    assert postgres.allow_local_replication(data) is True
    assert postgres.allow_local_replication(data) is False
    lines = [line.split() for line in hba.read_text().splitlines()]
    assert lines.count(["local", "replication", "all", "trust"]) == 1
    postgres.reload(data)  # the server takes the file as it is
