"""A throwaway PostgreSQL cluster for the search contract tests and the benchmark.

Debian's PostgreSQL 15 binaries, started as the production topology starts them
(``ops.postgres``: as the ``postgres`` user, on a unix socket in a temporary
directory, trust authentication). The cluster is created from nothing and removed on
``stop()``.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from ops import postgres as pg

# The cluster commands are the production topology's (ops.postgres).
PG_BIN = pg.PG_BIN
PG_USER = pg.PG_USER
available = pg.available


@dataclass
class Cluster:
    """One running cluster; ``settings()`` gives a Django DATABASES entry for it."""

    root: Path
    port: int = 5432
    running: bool = field(default=False)

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        return self.root

    def start(self) -> Cluster:
        # Throwaway: durability settings off, for speed.
        pg.start(
            self.data,
            socket_dir=self.socket_dir,
            port=self.port,
            log=self.root / "server.log",
            settings={
                "fsync": "off",
                "synchronous_commit": "off",
                "full_page_writes": "off",
                "shared_buffers": "128MB",
            },
        )
        self.running = True
        atexit.register(self.stop)
        return self

    def stop(self) -> None:
        if self.running:
            pg.stop(self.data)
            self.running = False
        shutil.rmtree(self.root, ignore_errors=True)

    def settings(self, name: str = "khabar") -> dict[str, object]:
        """A Django DATABASES entry for database ``name`` on this cluster."""
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": name,
            "USER": PG_USER,
            "PASSWORD": "",
            "HOST": str(self.socket_dir),
            "PORT": str(self.port),
            "TEST": {"NAME": f"test_{name}"},
        }

    def create_database(self, name: str) -> None:
        import psycopg

        with psycopg.connect(
            host=str(self.socket_dir),
            port=self.port,
            user=PG_USER,
            dbname="postgres",
            autocommit=True,
        ) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')


def start_cluster() -> Cluster:
    """Create and start a new cluster in a fresh temporary directory."""
    root = Path(tempfile.mkdtemp(prefix="khabar-pg-"))
    os.chmod(root, 0o700)
    return Cluster(root).start()


PG_ALIAS = "pg"


def add_alias(cluster: Cluster, alias: str = PG_ALIAS, name: str = "khabar_search") -> str:
    """Create database ``name`` on the cluster and register it as Django alias ``alias``.

    Only the search tables are created (by the search migration's own function), so the
    contract runs against PostgreSQL without depending on every other app's migrations.
    """
    import importlib

    from django.db import connections

    cluster.create_database(name)
    conf = cluster.settings(name)
    configured = connections.configure_settings(
        {"default": connections.settings["default"], alias: conf}
    )
    connections.settings[alias] = configured[alias]
    # The latest shape of the index tables (0002 drops and recreates them, so a database
    # left by another module's session fixture is reset too; the later ones add indexes
    # and columns idempotently).
    with connections[alias].schema_editor() as editor:
        for name in ("0002_exact_forms", "0005_rank_index", "0006_postgres_stage_one"):
            migration = importlib.import_module(f"khabar.search.migrations.{name}")
            migration.forward(None, editor)
    return alias


def remove_alias(alias: str = PG_ALIAS) -> None:
    from django.db import connections

    if alias in connections.settings:
        connections[alias].close()
        del connections[alias]
        del connections.settings[alias]


@pytest.fixture(scope="session")
def pg_alias(django_db_setup, django_db_blocker):
    """A Django alias on a throwaway PostgreSQL cluster holding the search tables.

    One cluster per test session (per xdist worker); the modules that use it group their
    tests with ``xdist_group("postgres")`` so one worker starts it. Fails when the
    server binaries are missing.
    """
    if not available():
        # `make test` installs Debian's postgresql first; a missing server is a broken
        # setup, not a reason to pass without the backend's half of the contract.
        pytest.fail(f"PostgreSQL server binaries missing in {PG_BIN} (run make system-test-deps)")
    cluster = start_cluster()
    try:
        with django_db_blocker.unblock():
            add_alias(cluster)
        yield PG_ALIAS
    finally:
        with django_db_blocker.unblock():
            remove_alias()
        cluster.stop()
