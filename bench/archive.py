"""The archive row: a million stories, then the uncached latency of every reader page, feed,
sitemap, desk list and search and the partner ``since`` poll (issue 19).

    .venv/bin/python -m bench archive                    # seed 1,000,000 stories, measure
    .venv/bin/python -m bench archive --reuse            # measure the database seeded before
    .venv/bin/python -m bench archive --stories 100000   # a smaller archive

The stories go in with bulk inserts straight into SQLite (the indexes are dropped during the
load and built again after it), about a minute for a million on a 2-core machine: this is a
benchmark of reading an archive, not of writing one (``khabar import_wire --archive`` is
that). Revision history is not seeded; the search index holds the newest ``--index`` stories
(50,000 by default: the desk's search is measured against it, and indexing a million takes
minutes). Then ``ANALYZE`` runs as the worker's daily job does (``khabar.lib.sqlite.optimize``).

Each address is asked once to warm the process, then ``--rounds`` times (7) with the page
cache and the fragment cache off; the median and the slowest are printed, and written to the
"Archive" section of bench/RESULTS.md unless ``--no-write``. Target: every row under 100 ms.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import os
import random
import statistics
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "RESULTS.md"
CORPUS = ROOT / "khabar" / "data" / "corpora" / "ar-pud-sentences.txt"
WORK = Path(os.environ.get("ARCHIVE_DIR", ROOT / "var" / "bench"))
DB = WORK / "archive.sqlite3"
EDITIONS = (("ar", 0.8), ("fa", 0.1), ("en", 0.1))
SECTIONS = 8
TAGS = 400
BATCH = 20_000


def setup_django(*, fresh: bool) -> None:
    WORK.mkdir(parents=True, exist_ok=True)
    if fresh:
        for leftover in WORK.glob("archive.sqlite3*"):
            leftover.unlink()
    os.environ["SQLITE_PATH"] = str(DB)
    os.environ.pop("DATABASE_URL", None)
    os.environ["KHABAR_PAGECACHE"] = "0"
    os.environ["KHABAR_FRAGMENT_CACHE"] = "0"
    os.environ["KHABAR_PAGECACHE_PATH"] = str(WORK / "archive-pagecache.sqlite3")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "khabar.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def _sentences() -> list[str]:
    return [s.strip() for s in CORPUS.read_text(encoding="utf-8").splitlines() if s.strip()]


def _stamp(value: datetime.datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S.%f")


def seed(count: int, *, index: int) -> float:
    """Bulk-load ``count`` stories with their tags; returns the seconds it took."""
    from django.db import connection

    from khabar.articles.models import Section, Tag

    started = time.perf_counter()
    rng = random.Random(19)
    sentences = _sentences()
    sections: dict[str, list[int]] = {}
    tags: dict[str, list[int]] = {}
    for lang, _share in EDITIONS:
        sections[lang] = [
            Section.objects.create(lang=lang, slug=f"s{i}", name=f"section {i}", position=i).pk
            for i in range(SECTIONS)
        ]
        made = Tag.objects.bulk_create(
            Tag(lang=lang, slug=f"t{i}", name=f"tag {i}") for i in range(TAGS)
        )
        tags[lang] = [t.pk for t in made]
    langs = [lang for lang, _ in EDITIONS]
    weights = [share for _, share in EDITIONS]
    statuses = ["published"] * 96 + ["corrected", "draft", "submitted", "withdrawn"]
    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    span = 10 * 365 * 86400
    raw = connection.connection if connection.connection else None
    connection.ensure_connection()
    raw = connection.connection
    assert raw is not None
    # One loader and nothing to recover: no journal while loading, the WAL again after.
    raw.execute("PRAGMA journal_mode=OFF")
    raw.execute("PRAGMA synchronous=OFF")
    indexes = [
        (name, sql)
        for name, sql in raw.execute(
            "SELECT name, sql FROM sqlite_master WHERE type='index' AND sql IS NOT NULL "
            "AND tbl_name IN ('articles_article', 'articles_article_tags')"
        )
    ]
    for name, _sql in indexes:
        raw.execute(f'DROP INDEX "{name}"')
    columns = (
        "lang, headline, slug, summary, dateline_city, dateline_date, dateline_agency, body, "
        "signoff, urgency, byline, status, version, created_at, updated_at, "
        "first_published_at, published_at, embargo_until, publisher_signoff, comment_policy, "
        "translation_group, source_id, source_version, fingerprint, section_id, origin, "
        "revision, withdrawal_reason, withdrawal_reason_public"
    )
    marks = ", ".join("?" * len(columns.split(",")))
    insert = f"INSERT INTO articles_article (id, {columns}) VALUES (?, {marks})"
    next_id = 1 + (raw.execute("SELECT COALESCE(MAX(id), 0) FROM articles_article").fetchone()[0])
    done = 0
    while done < count:
        rows, links = [], []
        for i in range(min(BATCH, count - done)):
            pk = next_id + done + i
            lang = rng.choices(langs, weights)[0]
            # Story n is n/count of the way through ten years: ids follow publishing order.
            published = now - datetime.timedelta(seconds=span * (1 - (done + i) / count) + 60)
            status = rng.choice(statuses)
            live = status in ("published", "corrected")
            body = "\n\n".join(" ".join(rng.sample(sentences, 2)) for _ in range(3))
            stamp = _stamp(published)
            rows.append(
                (
                    pk,
                    lang,
                    rng.choice(sentences)[:200],
                    f"story-{pk}",
                    "",
                    "city",
                    published.date().isoformat(),
                    "KH",
                    body,
                    "",
                    rng.choice((1, 3, 5, 5, 5, 5, 5, 5, 5, 5)),
                    "",
                    status,
                    1,
                    stamp,
                    stamp,
                    stamp if live else None,
                    stamp if live or status == "withdrawn" else None,
                    None,
                    "",
                    "",
                    uuid.uuid4().hex,
                    "",
                    0,
                    "",
                    rng.choice(sections[lang]),
                    "",
                    1,
                    "",
                    0,
                )
            )
            # Two tags a story, the first from a few popular ones: the busiest tag page
            # has about a tenth of its edition's archive.
            first = tags[lang][min(int(rng.expovariate(0.5)), TAGS - 1)]
            second = rng.choice(tags[lang])
            links.append((pk, first))
            if second != first:
                links.append((pk, second))
        # Django's connection is in autocommit mode: one explicit transaction per batch.
        raw.execute("BEGIN")
        raw.executemany(insert, rows)
        raw.executemany(
            "INSERT INTO articles_article_tags (article_id, tag_id) VALUES (?, ?)", links
        )
        raw.execute("COMMIT")
        done += len(rows)
        print(f"\r  {done:,} stories", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    for _name, sql in indexes:
        raw.execute(sql)
    raw.execute("PRAGMA synchronous=NORMAL")
    raw.execute("PRAGMA journal_mode=WAL")
    if index:
        _index_newest(index)
    return time.perf_counter() - started


def _index_newest(count: int) -> None:
    from khabar.articles.models import Article
    from khabar.search.backends import get_backend
    from khabar.search.documents import INDEXED_FIELDS, documents_for

    backend = get_backend()
    newest = Article.objects.published().only(*INDEXED_FIELDS).order_by("-pk")[:count]
    batch: list[Any] = []
    for article in newest.iterator(chunk_size=2000):
        batch.append(article)
        if len(batch) == 2000:
            backend.add_bulk(documents_for(batch))
            batch = []
    backend.add_bulk(documents_for(batch))
    backend.optimize()


def analyze(*, statistics: bool) -> float:
    """Run ANALYZE as the database's first connection would; or, with ``statistics=False``,
    drop the statistics (to measure what a database that never had them did)."""
    from django.db import connection

    started = time.perf_counter()
    connection.ensure_connection()
    raw = connection.connection
    if not statistics:
        if raw.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").fetchone():
            raw.execute("DELETE FROM sqlite_stat1")
            raw.execute("ANALYZE sqlite_master")  # reloads the (now empty) statistics
        return 0.0
    from khabar.lib.sqlite.maintenance import optimize

    optimize(raw, analyze=True)
    return time.perf_counter() - started


def addresses() -> list[tuple[str, str, bool]]:
    """(row, path, as staff) for every measured page."""
    from khabar.articles.models import Article, Section, Tag

    section = Section.objects.get(lang="ar", slug="s0")
    tag = Tag.objects.filter(lang="ar").order_by("pk").first()
    assert tag is not None
    story = Article.objects.published().filter(lang="ar").order_by("pk")[1000]
    since = (datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=2)).isoformat()
    word = _sentences()[7].split()[0]
    return [
        ("home", "/ar/", False),
        ("section", section.get_absolute_url(), False),
        ("section, page 50", section.get_absolute_url() + "?page=50", False),
        ("tag (busiest)", tag.get_absolute_url(), False),
        ("story (an old one)", story.get_absolute_url(), False),
        ("RSS", "/ar/feed/rss.xml", False),
        ("sitemap index", "/sitemap.xml", False),
        ("section sitemap", "/sitemap-ar-s0.xml", False),
        ("desk list", "/desk/articles/article/", True),
        ("desk list, last page", "/desk/articles/article/?p=last", True),
        ("desk search", f"/desk/articles/article/?q={word}", True),
        ("partner since poll", f"/api/v1/ninjs?since={since}", "partner"),  # type: ignore[list-item]
    ]


def _client_for(kind: Any) -> Any:
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client(HTTP_HOST="localhost")
    if kind is True:
        user, _ = get_user_model().objects.get_or_create(
            username="bench-chief", defaults={"is_staff": True, "is_superuser": True}
        )
        client.force_login(user)
    elif kind == "partner":
        from khabar.syndication.models import Partner

        partner = Partner.objects.filter(name="bench").first()
        if partner is None:
            partner = Partner.objects.create(name="bench")
        token = _partner_token(partner)
        client = Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def _partner_token(partner: Any) -> str:
    from khabar.site import actors
    from khabar.syndication import actions

    return str(actions.create_partner_token(partner, actor=actors.COMMAND_LINE, label="bench")[1])


def wire_desk() -> bool:
    """Give the desk's story list the paging khabar/articles/paging.py proposes (a capped
    count, no second count, no date drill-down), for the rows marked "proposed wiring"."""
    from django.contrib import admin

    from khabar.articles.models import Article

    try:
        from khabar.articles.paging import DeskPaginator
    except ImportError:
        return False
    desk = admin.site._registry[Article]
    desk.paginator = DeskPaginator
    desk.show_full_result_count = False
    desk.date_hierarchy = None
    return True


@contextlib.contextmanager
def _most_read_off() -> Iterator[None]:
    from khabar.analytics.templatetags import khabar_analytics as tags

    real = tags.most_read_stories
    tags.most_read_stories = lambda **kwargs: []
    try:
        yield
    finally:
        tags.most_read_stories = real


def measure(rounds: int) -> list[tuple[str, str, float, float, int]]:
    rows = _measure(addresses(), rounds)
    # The "most read" box (khabar/analytics) is measured apart: its query is not this row's.
    readers = [(f"{name} (most read box off)", p, k) for name, p, k in addresses()[:4]]
    with _most_read_off():
        rows += _measure(readers, rounds)
    if wire_desk():
        desk = [(f"{name} (proposed wiring)", path, kind) for name, path, kind in addresses()]
        rows += _measure([row for row in desk if row[2] is True], rounds)
    return rows


def _measure(
    addresses: list[tuple[str, str, Any]], rounds: int
) -> list[tuple[str, str, float, float, int]]:
    from django.db import reset_queries

    rows = []
    for name, path, kind in addresses:
        if path.endswith("?p=last"):
            path = _last_page(path)
        try:
            client = _client_for(kind)
        except Exception as error:  # a row that cannot run is reported, not fatal
            print(f"  {name}: skipped ({error})", file=sys.stderr)
            continue
        times = []
        try:
            response = client.get(path)
            for _ in range(rounds):
                reset_queries()
                started = time.perf_counter()
                response = client.get(path)
                times.append((time.perf_counter() - started) * 1000)
        except Exception as error:  # a page that fails is reported, the others still run
            print(f"  {name}: failed ({type(error).__name__}: {error})", file=sys.stderr)
            continue
        rows.append((name, path, statistics.median(times), max(times), response.status_code))
        print(f"  {name:24} {statistics.median(times):8.1f} ms  ({response.status_code})")
    return rows


def _last_page(path: str) -> str:
    """The desk's last page (its ``p`` counts from 0)."""
    from django.contrib import admin

    from khabar.articles.models import Article

    desk = admin.site._registry[Article]
    paginator = desk.get_paginator(None, Article.objects.all(), desk.list_per_page)
    return path.replace("p=last", f"p={paginator.num_pages - 1}")


def write(rows: list[tuple[str, str, float, float, int]], count: int, seconds: float) -> None:
    if seconds:
        seeded = f"{count:,} stories seeded in {seconds:.0f} s (bulk inserts);"
    else:
        seeded = f"{count:,} stories (seeded before: `python -m bench archive --reuse`);"
    lines = [
        "<!-- archive:start -->",
        "## Archive",
        "",
        seeded + " SQLite, page and fragment caches off, in-process client, median of the rounds.",
        " Target: under 100 ms each.",
        "",
        "| page | median (ms) | slowest (ms) | status |",
        "|---|---:|---:|---:|",
        *(
            f"| {name} | {median:.1f} | {worst:.1f} | {status} |"
            for name, _p, median, worst, status in rows
        ),
        "<!-- archive:end -->",
    ]
    text = RESULTS.read_text(encoding="utf-8")
    start, end = "<!-- archive:start -->", "<!-- archive:end -->"
    if start in text:
        head, _, rest = text.partition(start)
        _, _, tail = rest.partition(end)
        text = head + "\n".join(lines) + tail
    else:
        text = text.rstrip("\n") + "\n\n" + "\n".join(lines) + "\n"
    RESULTS.write_text(text, encoding="utf-8")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench archive")
    parser.add_argument("--stories", type=int, default=1_000_000)
    parser.add_argument("--index", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--reuse", action="store_true", help="measure the database seeded before")
    parser.add_argument("--no-write", action="store_true", help="leave RESULTS.md alone")
    parser.add_argument(
        "--no-statistics", action="store_true", help="measure with no ANALYZE statistics"
    )
    options = parser.parse_args(argv)
    reuse = options.reuse and DB.exists()
    setup_django(fresh=not reuse)
    from khabar.articles.models import Article

    seconds = 0.0
    if not reuse:
        print(f"seeding {options.stories:,} stories into {DB}", file=sys.stderr)
        seconds = seed(options.stories, index=options.index)
        print(f"seeded in {seconds:.1f} s", file=sys.stderr)
    print(f"ANALYZE in {analyze(statistics=not options.no_statistics):.1f} s", file=sys.stderr)
    count = Article.objects.count()
    rows = measure(options.rounds)
    if not options.no_write:
        write(rows, count, seconds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
