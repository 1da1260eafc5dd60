"""Fixtures: personas, and where browser tests keep their screenshots."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from khabar.test import personas

# Playwright's sync API runs an event loop in the test thread; the ORM calls are still
# synchronous and single-threaded here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

OUTPUT = Path(__file__).resolve().parent.parent / "var" / "test-output"


@pytest.fixture
def people(db):
    return personas()


@pytest.fixture
def output_dir(request) -> Path:
    """A folder under var/test-output named for the test, for screenshots."""
    path = OUTPUT / request.node.name.replace("/", "_").replace("[", "_").replace("]", "")
    path.mkdir(parents=True, exist_ok=True)
    return path
