"""Comment counts for story lists, in one query per list."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from khabar.comments.models import Thread


def counts_for_keys(keys: Sequence[str]) -> dict[str, int]:
    """Approved comments per thread key (0 for keys without a thread), in one query.

    The threads keep their count (``Thread.approved_count``): a story list does not count
    comments.
    """
    counts = dict.fromkeys(keys, 0)
    if counts:
        counts.update(
            Thread.objects.filter(key__in=list(counts)).values_list("key", "approved_count")
        )
    return counts


def attach_comment_counts(articles: Sequence[Any]) -> None:
    """Set ``comment_count`` on each story (approved comments only)."""
    if not articles:
        return
    counts = counts_for_keys([f"article:{article.pk}" for article in articles])
    for article in articles:
        article.comment_count = counts[f"article:{article.pk}"]
