"""The JSON envelopes agencies wrap ninjs items in, taken off before the items are read.

- AP Media API: a content item is ``{"api_version": ..., "data": {"item": {...}}}``, a feed
  or search page ``{"data": {"items": [{"item": {...}}, ...]}}``;
- other APIs: ``{"item": {...}}``, ``{"item": [...]}`` (a BBC-style search page with
  ``total``, ``limit`` and ``offset``), ``{"items": [...]}``, ``{"data": [...]}``,
  ``{"results": [...]}``, ``{"_items": [...]}`` (Superdesk), each entry a ninjs item or an
  ``{"item": ...}`` of one.

A bare ninjs object or a list of them passes through unchanged.
"""

from __future__ import annotations

from typing import Any

LIST_KEYS = ("items", "results", "_items", "entries", "data")


def _is_item(value: object) -> bool:
    return isinstance(value, dict) and any(
        key in value for key in ("uri", "guid", "headline", "headlines", "type", "bodies")
    )


def unwrap(doc: Any, depth: int = 0) -> list[Any]:
    """The ninjs items inside ``doc`` (the document itself when it is one)."""
    if isinstance(doc, list):
        found: list[Any] = []
        for entry in doc:
            found += unwrap(entry, depth + 1) if depth < 4 else [entry]
        return found
    if not isinstance(doc, dict):
        return [doc]
    if _is_item(doc) and "data" not in doc:
        return [doc]
    if depth >= 4:
        return [doc]
    if "item" in doc and isinstance(doc["item"], dict | list):
        # A list under "item" is a search page (BBC's bbc-ninjs-text-test.json:
        # {"total": 1, "limit": 20, "offset": 0, "item": [{...}]}).
        return unwrap(doc["item"], depth + 1)
    for key in LIST_KEYS:
        inner = doc.get(key)
        if isinstance(inner, dict | list):
            return unwrap(inner, depth + 1)
    return [doc]
