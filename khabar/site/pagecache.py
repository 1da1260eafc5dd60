"""Whole-page cache invalidation for anonymous readers (filled in by the performance work)."""

from __future__ import annotations

from collections.abc import Iterable


def purge_keys(keys: Iterable[str]) -> None:
    """Purge every cached page tagged with one of these keys."""


def article_keys(article: object) -> list[str]:
    """The cache keys of the pages that show a story."""
    return []
