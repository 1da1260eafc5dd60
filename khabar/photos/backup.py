"""What a backup of the photo library must hold: every original and rendition its rows name.

Registered with ``khabar.security.backup`` (see ``PhotosConfig.ready``), so a restore
refuses a backup whose database names a photo file the backup lacks.
"""

from __future__ import annotations

import sqlite3

from khabar.photos.models import Photo, Rendition


def referenced_files(db: sqlite3.Connection) -> list[str]:
    """The media names (relative to MEDIA_ROOT) of every original and rendition in ``db``."""
    names: list[str] = []
    for model, column in ((Photo, "original"), (Rendition, "file")):
        table = model._meta.db_table
        exists = db.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
        ).fetchone()
        if exists:
            names += [row[0] for row in db.execute(f'SELECT "{column}" FROM "{table}"') if row[0]]
    return names
