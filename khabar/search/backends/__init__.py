"""Search backends behind one contract; the database vendor picks which one runs."""

from __future__ import annotations

from django.db import connections

from khabar.search.backends.base import Hit, SearchBackend, SearchResults
from khabar.search.backends.postgres import PostgresBackend
from khabar.search.backends.sqlite import SqliteBackend

__all__ = ["Hit", "PostgresBackend", "SearchBackend", "SearchResults", "SqliteBackend"]


def get_backend(using: str = "default") -> SearchBackend:
    """The backend for a database alias: PostgreSQL's own full-text search, else FTS5."""
    if connections[using].vendor == "postgresql":
        return PostgresBackend(using)
    return SqliteBackend(using)
