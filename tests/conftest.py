"""Shared fixtures: personas, fresh caches, a story, a media folder, the production
profile, and where browser tests keep their screenshots."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from django.core.cache import caches

from khabar.test import make_article, make_section, personas

OUTPUT = Path(__file__).resolve().parent.parent / "var" / "test-output"


def pytest_collection_modifyitems(config, items):
    for item in items:
        # Whatever starts the throwaway PostgreSQL cluster is a postgres test.
        if "pg_alias" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.postgres)
    if any(item.get_closest_marker("browser") for item in items):
        # Playwright's sync API runs an event loop in the test thread for the rest of the
        # session once Chromium starts; the ORM calls are still synchronous and
        # single-threaded. Only a run that drives a browser turns Django's check off.
        os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def people(db):
    return personas()


@pytest.fixture
def fresh_caches():
    """Empty caches: rate limits, counts and fragments start from nothing."""
    caches["default"].clear()
    caches["fragments"].clear()


@pytest.fixture
def story(db):
    """A published story whose thread publishes comments at once (``comment_policy="post"``)."""
    return make_article(section=make_section(comment_policy="post"))


@pytest.fixture
def moderated_story(db):
    """A published story whose comments wait for a moderator (the agency default)."""
    return make_article(section=make_section())


@pytest.fixture
def media(settings, tmp_path) -> Path:
    """A media folder of the test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(scope="module")
def site():
    """The production profile (PostgreSQL, Redis, two app processes, nginx) on free loopback
    ports in a temporary folder, one per test module."""
    from ops.topology import Topology, template_for

    home = Path(tempfile.mkdtemp(prefix="khabar-topology-"))
    topology = Topology.on_free_ports(home, durable=False)
    try:
        topology.up(template=template_for(demo=True))
        yield topology
    finally:
        topology.down()
        shutil.rmtree(home, ignore_errors=True)


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
