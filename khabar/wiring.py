"""Adapters the settings name for ``khabar.site.hooks`` where an app has no function of the
hook's shape yet (project wiring: it may import any app)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def index_stored_stories(articles: Sequence[Any]) -> None:
    """Index a batch of live stories in its own transaction (the archive import): the batch
    is stored with its index entries or not at all."""
    from khabar.search.backends import get_backend
    from khabar.search.documents import documents_for

    get_backend().add_bulk(documents_for(articles))
