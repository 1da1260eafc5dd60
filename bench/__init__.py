"""Benchmarks for `make bench` (never part of the test suite)."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "RESULTS.md"


def commit() -> str:
    """The short hash of the checkout's HEAD, for a bench's record of what it measured."""
    return subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()


def write_section(start: str, end: str, section: str, *, before: str = "") -> None:
    """``section`` (which opens with ``start`` and closes with ``end``) in RESULTS.md in place
    of what stood between the two markers; the first time, ahead of the heading ``before``
    where there is one, else at the end."""
    text = RESULTS.read_text(encoding="utf-8")
    if start in text:
        head, _, rest = text.partition(start)
        _, _, tail = rest.partition(end)
        text = head + section + tail
    elif before and before in text:
        head, found, tail = text.partition(before)
        text = head + section + "\n\n" + found + tail
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    RESULTS.write_text(text, encoding="utf-8")
