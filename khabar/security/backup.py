"""Backups of a live SQLite database (the online backup API) and of uploaded media.

``khabar backup DIR`` writes DIR/khabar.sqlite3, DIR/media/ and DIR/manifest.json;
``khabar restore DIR`` puts both back. PostgreSQL is backed up with pg_dump instead
(deploy/backup.md).
"""

from __future__ import annotations

import datetime
import hashlib
import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection

DATABASE_FILE = "khabar.sqlite3"
MEDIA_DIR = "media"
MANIFEST = "manifest.json"


class BackupError(Exception):
    """A backup or restore that cannot be made; the message says why."""


def _sqlite() -> sqlite3.Connection:
    if connection.vendor != "sqlite":
        raise BackupError(
            "khabar backup copies SQLite databases; for PostgreSQL use pg_dump"
            " (see deploy/backup.md)"
        )
    connection.ensure_connection()
    return connection.connection  # type: ignore[no-any-return]


def table_counts(db: sqlite3.Connection) -> dict[str, int]:
    """Rows per table: what a restore is compared against."""
    names = [
        row[0]
        for row in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            " ORDER BY name"
        )
    ]
    return {name: db.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0] for name in names}


def integrity(db: sqlite3.Connection) -> str:
    """``ok``, or what SQLite's integrity check found."""
    return "; ".join(row[0] for row in db.execute("PRAGMA integrity_check"))


def media_files(root: Path) -> dict[str, str]:
    """Relative path → SHA-256 of every file under ``root``."""
    if not root.exists():
        return {}
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def backup(target: Path) -> dict[str, Any]:
    """Copy the database (a consistent snapshot, writers carry on) and the media into ``target``."""
    source = _sqlite()
    target.mkdir(parents=True, exist_ok=True)
    db_path = target / DATABASE_FILE
    partial = db_path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    copy = sqlite3.connect(partial)
    try:
        # One step (pages=-1): the copy is one read snapshot, even while others write.
        source.backup(copy, pages=-1)
        copy.execute("PRAGMA journal_mode=DELETE")
        check = integrity(copy)
        counts = table_counts(copy)
    finally:
        copy.close()
    if check != "ok":
        partial.unlink(missing_ok=True)
        raise BackupError(f"the copy failed SQLite's integrity check: {check}")
    partial.replace(db_path)
    media_root = Path(settings.MEDIA_ROOT)
    media_target = target / MEDIA_DIR
    if media_target.exists():
        shutil.rmtree(media_target)
    if media_root.exists():
        shutil.copytree(media_root, media_target)
    else:
        media_target.mkdir()
    manifest = {
        "created_at": datetime.datetime.now(datetime.UTC).isoformat(),
        "database": DATABASE_FILE,
        "database_sha256": hashlib.sha256(db_path.read_bytes()).hexdigest(),
        "tables": counts,
        "media": media_files(media_target),
    }
    (target / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True))
    return manifest


def read_manifest(source: Path) -> dict[str, Any]:
    manifest_path = source / MANIFEST
    if not manifest_path.exists() or not (source / DATABASE_FILE).exists():
        raise BackupError(f"{source} is not a khabar backup (no {MANIFEST} or {DATABASE_FILE})")
    manifest: dict[str, Any] = json.loads(manifest_path.read_text())
    digest = hashlib.sha256((source / DATABASE_FILE).read_bytes()).hexdigest()
    if digest != manifest.get("database_sha256"):
        raise BackupError("the database file does not match the manifest: the backup is damaged")
    return manifest


def restore(source: Path) -> dict[str, Any]:
    """Replace the live database and media with the backup in ``source``."""
    manifest = read_manifest(source)
    live = _sqlite()
    copy = sqlite3.connect(f"file:{source / DATABASE_FILE}?mode=ro", uri=True)
    try:
        check = integrity(copy)
        if check != "ok":
            raise BackupError(f"the backup failed SQLite's integrity check: {check}")
        if live.in_transaction:
            live.commit()
        copy.backup(live, pages=-1)
    finally:
        copy.close()
    media_root = Path(settings.MEDIA_ROOT)
    if media_root.exists():
        shutil.rmtree(media_root)
    shutil.copytree(source / MEDIA_DIR, media_root)
    return manifest
