"""Comment counts for story lists, in one query per list."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import Count

from khabar.comments.models import Comment, Status


def counts_for_keys(keys: Sequence[str]) -> dict[str, int]:
    """Approved comments per thread key (0 for keys without a thread), in one query."""
    counts = dict.fromkeys(keys, 0)
    if counts:
        rows = (
            Comment.objects.filter(thread__key__in=list(counts), status=Status.APPROVED)
            .values_list("thread__key")
            .annotate(n=Count("pk"))
        )
        counts.update(dict(rows))
    return counts


def attach_comment_counts(articles: Sequence[Any]) -> None:
    """Set ``comment_count`` on each story (approved comments only)."""
    if not articles:
        return
    counts = counts_for_keys([f"article:{article.pk}" for article in articles])
    for article in articles:
        article.comment_count = counts[f"article:{article.pk}"]
