"""Backups of a live SQLite database (the online backup API) and of uploaded media.

``khabar backup DIR`` writes DIR/khabar.sqlite3, DIR/media/ and DIR/manifest.json;
``khabar restore DIR`` puts both back. PostgreSQL is backed up with pg_dump instead
(deploy/backup.md).

Neither may harm the live data:

- a backup refuses a folder that overlaps the live data (the database, its folder,
  MEDIA_ROOT, STATIC_ROOT, in either direction, after following links), and builds the
  backup beside the folder before putting it in place;
- a restore first checks the whole backup (the manifest's hashes of the database and of
  every media file, every file the database refers to, SQLite's integrity check on a copy),
  and refuses while app processes have the database open. Only then does it change
  anything, and if any step fails, the old database and media are put back.
"""

from __future__ import annotations

import datetime
import fcntl
import hashlib
import json
import os
import shutil
import sqlite3
import struct
import tempfile
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection

DATABASE_FILE = "khabar.sqlite3"
MEDIA_DIR = "media"
MANIFEST = "manifest.json"
CHUNK = 1 << 20

#: SQLite's "dead man switch" byte in a WAL database's ``-shm`` file: every connection
#: holds a shared lock on it for as long as it has the database open (os_unix.c,
#: UNIX_SHM_DMS = 120 + 8). An exclusive lock on it is only granted when no other process
#: has the database open.
SHM_DMS_BYTE = 128
#: ``struct flock`` on 64-bit Linux: type, whence, start, length, pid.
_FLOCK = "hhqqi4x"
_probes: dict[str, int] = {}

#: Functions that list the media files (relative to MEDIA_ROOT) a database refers to,
#: registered by the apps that store files (photos), so a backup missing one is refused.
media_references: list[Callable[[sqlite3.Connection], list[str]]] = []


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


def database_path() -> Path | None:
    """The live database file, or None for an in-memory database (the tests')."""
    name = str(connection.settings_dict.get("NAME") or "")
    if not name or name == ":memory:" or "mode=memory" in name:
        return None
    if name.startswith("file:"):
        name = name.removeprefix("file:").split("?", 1)[0]
    return Path(name).resolve()


def live_paths() -> list[tuple[str, Path]]:
    """What a backup must never write into, nor contain: links followed."""
    paths = []
    db = database_path()
    if db is not None:
        paths += [("database", db), ("database folder", db.parent)]
    paths.append(("media folder (MEDIA_ROOT)", Path(settings.MEDIA_ROOT).resolve()))
    if getattr(settings, "STATIC_ROOT", None):
        paths.append(("static folder (STATIC_ROOT)", Path(settings.STATIC_ROOT).resolve()))
    return paths


def _overlaps(a: Path, b: Path) -> bool:
    return a == b or a.is_relative_to(b) or b.is_relative_to(a)


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, read in chunks (a large database is never held in memory)."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _copy_hashing(source: Path, target: Path) -> str:
    """Copy a file in chunks and return the SHA-256 of what was copied."""
    digest = hashlib.sha256()
    with source.open("rb") as reader, target.open("wb") as writer:
        while chunk := reader.read(CHUNK):
            digest.update(chunk)
            writer.write(chunk)
        writer.flush()
        os.fsync(writer.fileno())
    return digest.hexdigest()


def _files(root: Path) -> Iterator[Path]:
    """Regular files under ``root``, sorted; links are not followed out of it."""
    for folder, dirs, names in os.walk(root):
        dirs.sort()
        for name in sorted(names):
            path = Path(folder) / name
            if path.is_file() and not path.is_symlink():
                yield path


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
    return {str(path.relative_to(root)): file_sha256(path) for path in _files(root)}


# Backup ----------------------------------------------------------------------------------


def check_target(target: Path) -> Path:
    """The folder a backup may be written to, resolved; BackupError for anything else."""
    if target.exists() and not target.is_dir():
        raise BackupError(f"{target} is a file, not a folder: give a folder for the backup")
    resolved = target.resolve()
    for label, live in live_paths():
        if _overlaps(resolved, live):
            raise BackupError(
                f"{target} overlaps the live {label} {live}: write the backup somewhere else"
            )
    if resolved.exists() and any(resolved.iterdir()) and not (resolved / MANIFEST).exists():
        raise BackupError(f"{target} is not empty and holds no khabar backup: give an empty folder")
    return resolved


def backup(target: Path) -> dict[str, Any]:
    """Copy the database (a consistent snapshot, writers carry on) and the media into ``target``.

    The backup is built in a folder beside ``target`` and moved into place at the end, so a
    failed backup leaves an earlier backup in ``target`` as it was.
    """
    source = _sqlite()
    target = check_target(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        manifest = _write_backup(source, staging)
        if target.exists():
            old = staging.with_name(staging.name + ".old")
            target.rename(old)
            try:
                staging.rename(target)
            except OSError:
                old.rename(target)
                raise
            shutil.rmtree(old)
        else:
            staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return manifest


def _write_backup(source: sqlite3.Connection, folder: Path) -> dict[str, Any]:
    db_path = folder / DATABASE_FILE
    with closing(sqlite3.connect(db_path)) as copy:
        # One step (pages=-1): the copy is one read snapshot, even while others write.
        source.backup(copy, pages=-1)
        copy.execute("PRAGMA journal_mode=DELETE")
        check = integrity(copy)
        counts = table_counts(copy)
    if check != "ok":
        raise BackupError(f"the copy failed SQLite's integrity check: {check}")
    # After the database: every file its rows name was written before the row (photos).
    media_root = Path(settings.MEDIA_ROOT)
    media_target = folder / MEDIA_DIR
    media_target.mkdir()
    media: dict[str, str] = {}
    if media_root.exists():
        for path in _files(media_root):
            relative = path.relative_to(media_root)
            (media_target / relative).parent.mkdir(parents=True, exist_ok=True)
            media[str(relative)] = _copy_hashing(path, media_target / relative)
    manifest = {
        "created_at": datetime.datetime.now(datetime.UTC).isoformat(),
        "database": DATABASE_FILE,
        "database_sha256": file_sha256(db_path),
        "tables": counts,
        "media": media,
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True))
    return manifest


# Restore ---------------------------------------------------------------------------------


def read_manifest(source: Path) -> dict[str, Any]:
    """The manifest of a backup whose database file matches it; BackupError otherwise."""
    manifest_path = source / MANIFEST
    if not manifest_path.is_file() or not (source / DATABASE_FILE).is_file():
        raise BackupError(f"{source} is not a khabar backup (no {MANIFEST} or {DATABASE_FILE})")
    try:
        manifest: dict[str, Any] = json.loads(manifest_path.read_text())
    except (ValueError, UnicodeDecodeError):
        raise BackupError(f"{manifest_path} is not readable JSON: the backup is damaged") from None
    if not isinstance(manifest.get("media"), dict) or not isinstance(manifest.get("tables"), dict):
        raise BackupError(f"{manifest_path} lists no media or tables: the backup is damaged")
    if file_sha256(source / DATABASE_FILE) != manifest.get("database_sha256"):
        raise BackupError("the database file does not match the manifest: the backup is damaged")
    return manifest


def verify_media(source: Path, manifest: dict[str, Any]) -> None:
    """Every media file of the manifest is in the backup with its hash, and nothing else is."""
    folder = source / MEDIA_DIR
    if not folder.is_dir():
        raise BackupError(f"the backup has no {MEDIA_DIR}/ folder: it is incomplete")
    listed: dict[str, str] = manifest["media"]
    present = {str(path.relative_to(folder)) for path in _files(folder)}
    missing = sorted(set(listed) - present)
    if missing:
        raise BackupError(
            f"the backup lacks {len(missing)} media file(s) of its manifest, e.g. {missing[0]}"
        )
    extra = sorted(present - set(listed))
    if extra:
        raise BackupError(f"the backup holds a file its manifest does not list: {extra[0]}")
    for name, digest in listed.items():
        if file_sha256(folder / name) != digest:
            raise BackupError(f"{MEDIA_DIR}/{name} does not match the manifest: it is damaged")


def verify_database(copy: Path, manifest: dict[str, Any]) -> None:
    """SQLite's integrity check, the row counts and every file the rows refer to."""
    with closing(sqlite3.connect(copy)) as db:
        check = integrity(db)
        if check != "ok":
            raise BackupError(f"the backup failed SQLite's integrity check: {check}")
        if table_counts(db) != manifest["tables"]:
            raise BackupError("the database's row counts differ from the manifest: it is damaged")
        for references in media_references:
            missing = sorted(set(references(db)) - set(manifest["media"]))
            if missing:
                raise BackupError(
                    f"the database refers to {len(missing)} media file(s) the backup lacks,"
                    f" e.g. {missing[0]}"
                )


def database_in_use(path: Path) -> bool:
    """Whether another process has this WAL-mode SQLite database open.

    Every connection to a WAL database holds a shared lock on one byte of its ``-shm`` file
    for as long as it is open (SQLite's own test of "am I the first?"), and the kernel drops
    it when the process ends, so, unlike a pid file, it never goes stale. App processes
    keep their connections open between requests (CONN_MAX_AGE) and the worker polls, so
    a running site always holds it. The lock is only asked about (F_GETLK), never taken,
    and the question ignores this process's own locks.
    """
    shm = Path(f"{path}-shm")
    try:
        inode = shm.stat().st_ino
    except FileNotFoundError:
        return False
    fd = _probes.get(str(shm))
    if fd is None or os.fstat(fd).st_ino != inode:
        # Kept open for the life of the process: closing any descriptor of a file drops
        # every record lock this process holds on it, SQLite's own included.
        fd = _probes[str(shm)] = os.open(shm, os.O_RDONLY | os.O_CLOEXEC)
    query = struct.pack(_FLOCK, fcntl.F_WRLCK, os.SEEK_SET, SHM_DMS_BYTE, 1, 0)
    answer = fcntl.fcntl(fd, fcntl.F_GETLK, query)
    return struct.unpack(_FLOCK, answer)[0] != fcntl.F_UNLCK


def running_app() -> str:
    """Which live SQLite file an app process has open ('' when none)."""
    db = database_path()
    candidates = [db] if db is not None else []
    if not settings.REDIS_URL and (settings.KHABAR_PAGECACHE or settings.KHABAR_FRAGMENT_CACHE):
        # Every app process that served a page has the shared page store open too.
        candidates.append(Path(settings.KHABAR_PAGECACHE_PATH))
    for path in candidates:
        if database_in_use(path):
            return str(path)
    return ""


@contextmanager
def _staging(next_to: Path) -> Iterator[Path]:
    next_to.parent.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=f".{next_to.name}.restore-", dir=next_to.parent))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def restore(
    source: Path, *, force: bool = False, after: Callable[[], object] | None = None
) -> dict[str, Any]:
    """Replace the live database and media with the backup in ``source``.

    Nothing is touched until the whole backup is checked and no app process has the
    database open (``force`` skips that one test). ``after`` runs once the new data is in
    place (the search index is rebuilt there); if it or anything before it fails, the old
    database and media are put back and the error is raised.
    """
    source = source.resolve()
    manifest = read_manifest(source)
    verify_media(source, manifest)
    live = _sqlite()
    media_root = Path(settings.MEDIA_ROOT).resolve()
    for label, path in live_paths():
        if _overlaps(source, path):
            raise BackupError(f"{source} overlaps the live {label} {path}: restore from a copy")
    with _staging(media_root) as staging:
        staged_db = staging / DATABASE_FILE
        if _copy_hashing(source / DATABASE_FILE, staged_db) != manifest["database_sha256"]:
            raise BackupError("the database changed while it was read: try again")
        verify_database(staged_db, manifest)
        if not force:
            in_use = running_app()
            if in_use:
                raise BackupError(
                    f"the app is running ({in_use} is open in another process): stop the app"
                    " processes and the worker first, or give --force"
                )
        staged_media = staging / MEDIA_DIR
        for name, digest in manifest["media"].items():
            (staged_media / name).parent.mkdir(parents=True, exist_ok=True)
            if _copy_hashing(source / MEDIA_DIR / name, staged_media / name) != digest:
                raise BackupError(f"{MEDIA_DIR}/{name} changed while it was read: try again")
        staged_media.mkdir(exist_ok=True)
        # The way back: a snapshot of the live database, and the live media moved aside.
        before = staging / "before.sqlite3"
        with closing(sqlite3.connect(before)) as snapshot:
            if live.in_transaction:
                live.commit()
            live.backup(snapshot, pages=-1)
        _swap_in(live, staged_db, staged_media, media_root, before, staging, after)
    return manifest


def _swap_in(
    live: sqlite3.Connection,
    staged_db: Path,
    staged_media: Path,
    media_root: Path,
    before: Path,
    staging: Path,
    after: Callable[[], object] | None,
) -> None:
    old_media = staging / "old-media"
    moved_old = moved_new = replaced_db = False
    try:
        if media_root.exists():
            media_root.rename(old_media)
            moved_old = True
        staged_media.rename(media_root)
        moved_new = True
        # The database is replaced inside one SQLite write transaction (the backup API),
        # rather than by renaming files: a rename would leave the old -wal file to be
        # replayed into the new database.
        replaced_db = True
        with closing(sqlite3.connect(staged_db)) as copy:
            copy.backup(live, pages=-1)
        if after is not None:
            after()
    except BaseException:
        if replaced_db:
            if live.in_transaction:
                live.rollback()
            with closing(sqlite3.connect(before)) as snapshot:
                snapshot.backup(live, pages=-1)
        if moved_new:
            media_root.rename(staging / "failed-media")
        if moved_old:
            old_media.rename(media_root)
        raise
