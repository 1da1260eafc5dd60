"""Editors saving the same story at the same moment, for real: threads with their own
database connections, on SQLite (the embedded default) and on a PostgreSQL server the test
starts. Each editor saves whole forms (as the desk does) from the revision it last read; a
save that is accepted must never be undone by a later one that did not see it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from conftest import copy_database

from ops import postgres as pg

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [pytest.mark.xdist_group("postgres")]

# Run in a fresh process so that it has its own settings (its own database) and threads.
SCRIPT = r"""
import json, random, threading, django
django.setup()
from django.db import connection, close_old_connections
from django.core.management import call_command
call_command("migrate", verbosity=0)
from khabar.articles import actions
from khabar.articles.models import Article, Section
from khabar.site.actors import system

actor = system("concurrency-test")
section = Section.objects.create(lang="ar", slug="world", name="دولي")
story = actions.create_article(
    actor=actor, section=section, headline="h", dateline_city="طهران",
    dateline_date=__import__("datetime").date(2026, 12, 2), body="b", summary="s", byline="y",
)
FIELDS = ("headline", "summary", "byline", "body")
accepted = []  # (revision after the save, field, value)
conflicts = []
lock = threading.Lock()

def editor(n):
    rng = random.Random(n)
    try:
        for step in range(12):
            seen = Article.objects.get(pk=story.pk)
            form = {f: getattr(seen, f) for f in FIELDS}
            field = rng.choice(FIELDS)
            form[field] = f"{field}-{n}-{step}"
            try:
                saved = actions.update_article(
                    seen, actor=actor, base_revision=seen.revision, **form
                )
            except actions.EditConflict:
                with lock:
                    conflicts.append(n)
                continue
            with lock:
                accepted.append((saved.revision, field, form[field]))
    finally:
        connection.close()

threads = [threading.Thread(target=editor, args=(n,)) for n in range(6)]
for t in threads: t.start()
for t in threads: t.join()
final = Article.objects.get(pk=story.pk)
print(json.dumps({
    "accepted": accepted,
    "conflicts": len(conflicts),
    "final": {f: getattr(final, f) for f in FIELDS},
    "revision": final.revision,
    "first_revision": story.revision,
}))
"""


def run(env: dict[str, str]) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "khabar.settings", **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def check(result: dict) -> None:
    accepted = sorted(result["accepted"])
    assert accepted, "no save went through"
    assert result["conflicts"] > 0, "six editors racing met no conflict: the test proves nothing"
    # Accepted saves form one chain: each one's revision is unique (no two saved from the
    # same starting point) ...
    revisions = [r for r, _f, _v in accepted]
    assert len(set(revisions)) == len(revisions)
    assert result["revision"] == result["first_revision"] + len(accepted)
    # ... and the story holds, per field, the value of the last accepted save that set it.
    last: dict[str, str] = {}
    for _revision, field, value in accepted:
        last[field] = value
    for field, value in last.items():
        assert result["final"][field] == value, field


def test_it_loses_no_accepted_edit_on_sqlite(migrated_sqlite):
    with tempfile.TemporaryDirectory() as folder:
        copy_database(migrated_sqlite, Path(folder) / "race.sqlite3")  # migrate finds it done
        check(
            run(
                {
                    "KHABAR_VAR_DIR": folder,
                    "SQLITE_PATH": str(Path(folder) / "race.sqlite3"),
                    "KHABAR_PAGECACHE_PATH": str(Path(folder) / "pagecache.sqlite3"),
                }
            )
        )


@pytest.mark.postgres
def test_it_loses_no_accepted_edit_on_postgresql():
    assert pg.available(), "PostgreSQL 15 is missing: make test installs it"
    from postgres import start_cluster

    cluster = start_cluster()
    try:
        cluster.create_database("race")
        url = f"postgres://{pg.PG_USER}@localhost:{cluster.port}/race?host={cluster.socket_dir}"
        with tempfile.TemporaryDirectory() as folder:
            check(
                run(
                    {
                        "DATABASE_URL": url,
                        "KHABAR_VAR_DIR": folder,
                        "KHABAR_PAGECACHE_PATH": str(Path(folder) / "pagecache.sqlite3"),
                    }
                )
            )
    finally:
        cluster.stop()
