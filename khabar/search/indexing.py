"""Keep the search index in step with the workflow (called after commit by articles.actions)."""

from __future__ import annotations


def index_article(article_id: int) -> None:
    """Add or refresh a story in the index if it is live, or drop it if not."""


def unindex_article(article_id: int) -> None:
    """Remove a story from the index."""
