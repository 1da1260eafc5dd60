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


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium driven by Playwright (no browser download)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(chromium):
    """A fresh browser page (own cookies) for one test."""
    context = chromium.new_context(locale="ar", viewport={"width": 1200, "height": 900})
    tab = context.new_page()
    yield tab
    context.close()
