"""The archive row: a million stories, then the uncached latency of every reader page, feed,
sitemap, desk list and search and the partner ``since`` poll (issue 19), on SQLite and on
PostgreSQL side by side.

    .venv/bin/python -m bench archive                        # both databases, 1,000,000 stories
    .venv/bin/python -m bench archive --db sqlite            # one of them (or --db postgres)
    .venv/bin/python -m bench archive --reuse --keep         # measure the databases seeded before
    .venv/bin/python -m bench archive --stories 100000       # a smaller archive
    .venv/bin/python -m bench archive --index-all            # every live story searchable
    ARCHIVE_DIR=var/bench-full .venv/bin/python -m bench archive --db sqlite --reuse
    .venv/bin/python -m bench archive --reuse --no-write --pages desk   # the desk's rows only

The stories go in in bulk, straight into the tables, with the tables' indexes dropped during
the load and built again after it: SQLite by ``executemany`` in one transaction a batch, with
no journal; PostgreSQL by ``COPY`` (psycopg 3's ``cursor.copy``) into a throwaway cluster of
Debian's binaries started as the ``postgres`` user (``ops.postgres``, as
``bench/import_rate.py`` does), its foreign-key triggers off during the load. This is a
benchmark of reading an archive, not of writing one (``khabar import_wire --archive`` is
that). Revision history is not seeded; the search index holds the newest ``--index`` stories
(50,000 by default), or every live one with ``--index-all`` (``khabar reindex``'s path: 19
minutes for 970,000 on SQLite on the shared machine). Then the statistics: SQLite's
``ANALYZE`` as the worker's daily job runs it (``khabar.lib.sqlite.optimize``), PostgreSQL's
``VACUUM ANALYZE`` as autovacuum leaves a table after a load.

Each database is measured in a process of its own (Django's settings are read once). Each
address is asked once to warm the process, then ``--rounds`` times (7) with the page cache
and the fragment cache off, through Django's test client in the process; the median and the
slowest are printed, with the machine's load average before and after, and written to the
"Archive" section of bench/RESULTS.md (unless ``--no-write``) beside the figures measured
before the fixes. Target: every row under 100 ms.

The SQLite database is kept in ``var/bench/`` (``ARCHIVE_DIR``) for ``--reuse``; the
PostgreSQL cluster is removed at the end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from bench import ROOT, commit, write_section

CORPUS = ROOT / "khabar" / "data" / "corpora" / "ar-pud-sentences.txt"
WORK = Path(os.environ.get("ARCHIVE_DIR", ROOT / "var" / "bench"))
DB = WORK / "archive.sqlite3"
CLUSTER = WORK / "archive-pg"
EDITIONS = (("ar", 0.8), ("fa", 0.1), ("en", 0.1))
SECTIONS = 8
TAGS = 400
BATCH = 20_000
NAMES = {"sqlite": "SQLite", "postgres": "PostgreSQL"}

#: The columns the seed writes (the others are NULL), in the order of ``_stories``' rows.
COLUMNS = (
    "id, lang, headline, slug, summary, dateline_city, dateline_date, dateline_agency, body, "
    "signoff, urgency, byline, status, version, created_at, updated_at, "
    "first_published_at, published_at, embargo_until, publisher_signoff, comment_policy, "
    "translation_group, source_id, source_version, fingerprint, section_id, origin, "
    "revision, withdrawal_reason, withdrawal_reason_public"
)
TABLES = ("articles_article", "articles_article_tags")

#: SQLite at 1,000,000 stories, measured 2026-12-02 22:45 at commit 9472189 (`--rounds 3`,
#: load 3–4), before the "most read" box read only the window's reads (2d74610) and before
#: the desk's list paged the archive without counting it (0b7df56, ca7949a).
EARLIER = {
    "home": 4242.1,
    "section": 650.2,
    "section, page 50": 434.6,
    "tag (busiest)": 36.0,
    "story (an old one)": 28.9,
    "RSS": 54.3,
    "sitemap index": 55.7,
    "section sitemap": 14.9,
    "desk list": 6794.4,
    "desk list, last page": 6466.4,
    "desk search": 581.6,
    "partner since poll": 19.5,
}
#: The same before any of issue 19's work (commit 0a169cd, a database that never ran ANALYZE).
BEFORE = {
    "home": 14748,
    "section": 521,
    "section, page 50": 503,
    "tag (busiest)": 3896,
    "story (an old one)": 4048,
    "RSS": 1799,
    "sitemap index": 6137,
    "section sitemap": 1059,
    "desk list": 8699,
    "desk list, last page": 12470,
    "desk search": 4225,
    "partner since poll": 16.5,
}

Row = dict[str, Any]


def setup_django(db: str, *, fresh: bool, database_url: str = "") -> None:
    WORK.mkdir(parents=True, exist_ok=True)
    if fresh and db == "sqlite":
        for leftover in WORK.glob("archive.sqlite3*"):
            leftover.unlink()
    os.environ["SQLITE_PATH"] = str(DB)
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("DATABASE_REPLICA_URL", None)
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    os.environ["KHABAR_PAGECACHE"] = "0"
    os.environ["KHABAR_FRAGMENT_CACHE"] = "0"
    os.environ["KHABAR_PAGECACHE_PATH"] = str(WORK / f"archive-pagecache-{db}.sqlite3")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "khabar.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def _sentences() -> list[str]:
    return [s.strip() for s in CORPUS.read_text(encoding="utf-8").splitlines() if s.strip()]


def _sqlite_stamp(value: datetime.datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S.%f")


def _postgres_stamp(value: datetime.datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S.%f+00")


def _sections_and_tags() -> tuple[dict[str, list[int]], dict[str, list[int]]]:
    from khabar.articles.models import Section, Tag

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
    return sections, tags


def _stories(
    count: int, first_id: int, stamp: Callable[[datetime.datetime], str]
) -> Iterator[tuple[list[tuple], list[tuple[int, int]]]]:
    """Batches of (story rows in ``COLUMNS`` order, (story, tag) links): the same archive on
    either database (one seed), ids in publishing order over ten years."""
    rng = random.Random(19)
    sentences = _sentences()
    sections, tags = _sections_and_tags()
    langs = [lang for lang, _ in EDITIONS]
    weights = [share for _, share in EDITIONS]
    statuses = ["published"] * 96 + ["corrected", "draft", "submitted", "withdrawn"]
    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    span = 10 * 365 * 86400
    done = 0
    while done < count:
        rows, links = [], []
        for i in range(min(BATCH, count - done)):
            pk = first_id + done + i
            lang = rng.choices(langs, weights)[0]
            # Story n is n/count of the way through ten years: ids follow publishing order.
            published = now - datetime.timedelta(seconds=span * (1 - (done + i) / count) + 60)
            status = rng.choice(statuses)
            live = status in ("published", "corrected")
            body = "\n\n".join(" ".join(rng.sample(sentences, 2)) for _ in range(3))
            when = stamp(published)
            # fmt: off
            rows.append((
                pk, lang, rng.choice(sentences)[:200], f"story-{pk}", "", "city",
                published.date().isoformat(), "KH", body, "",
                rng.choice((1, 3, 5, 5, 5, 5, 5, 5, 5, 5)), "", status, 1, when, when,
                when if live else None, when if live or status == "withdrawn" else None,
                None, "", "", uuid.uuid4().hex, "", 0, "", rng.choice(sections[lang]), "",
                1, "", False,
            ))
            # fmt: on
            # Two tags a story, the first from a few popular ones: the busiest tag page
            # has about a tenth of its edition's archive.
            first = tags[lang][min(int(rng.expovariate(0.5)), TAGS - 1)]
            second = rng.choice(tags[lang])
            links.append((pk, first))
            if second != first:
                links.append((pk, second))
        yield rows, links
        done += len(rows)
        print(f"\r  {done:,} stories", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)


def seed(count: int, *, index: int) -> float:
    """Bulk-load ``count`` stories with their tags; returns the seconds it took."""
    from django.db import connection

    started = time.perf_counter()
    if connection.vendor == "postgresql":
        _seed_postgres(count)
    else:
        _seed_sqlite(count)
    if index < 0:
        from khabar.search.indexing import rebuild_index

        rebuild_index()
    elif index:
        _index_newest(index)
    return time.perf_counter() - started


def _seed_sqlite(count: int) -> None:
    from django.db import connection

    connection.ensure_connection()
    raw = connection.connection
    # One loader and nothing to recover: no journal while loading, the WAL again after.
    raw.execute("PRAGMA journal_mode=OFF")
    raw.execute("PRAGMA synchronous=OFF")
    names = ", ".join(f"'{t}'" for t in TABLES)
    indexes = raw.execute(
        "SELECT name, sql FROM sqlite_master WHERE type='index' AND sql IS NOT NULL "
        f"AND tbl_name IN ({names})"
    ).fetchall()
    for name, _sql in indexes:
        raw.execute(f'DROP INDEX "{name}"')
    marks = ", ".join("?" * len(COLUMNS.split(",")))
    first = 1 + raw.execute("SELECT COALESCE(MAX(id), 0) FROM articles_article").fetchone()[0]
    for rows, links in _stories(count, first, _sqlite_stamp):
        # Django's connection is in autocommit mode: one explicit transaction per batch.
        raw.execute("BEGIN")
        raw.executemany(f"INSERT INTO articles_article ({COLUMNS}) VALUES ({marks})", rows)
        raw.executemany(
            "INSERT INTO articles_article_tags (article_id, tag_id) VALUES (?, ?)", links
        )
        raw.execute("COMMIT")
    for _name, sql in indexes:
        raw.execute(sql)
    raw.execute("PRAGMA synchronous=NORMAL")
    raw.execute("PRAGMA journal_mode=WAL")


def _seed_postgres(count: int) -> None:
    from django.db import connection

    connection.ensure_connection()
    raw = connection.connection
    with raw.cursor() as cursor:
        # The tables' own indexes, not those behind a constraint (the primary keys and the
        # tags' unique pair stay): dropped for the load, built again after it.
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s) "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint)",
            [list(TABLES)],
        )
        indexes = cursor.fetchall()
        for name, _sql in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        for table in TABLES:  # the foreign keys' triggers: every id written is valid
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER ALL")
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM articles_article")
        first = 1 + cursor.fetchone()[0]
        for rows, links in _stories(count, first, _postgres_stamp):
            with cursor.copy(f"COPY articles_article ({COLUMNS}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            with cursor.copy("COPY articles_article_tags (article_id, tag_id) FROM STDIN") as copy:
                for link in links:
                    copy.write_row(link)
        for table in TABLES:
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER ALL")
        cursor.execute("SET maintenance_work_mem = '256MB'")
        for _name, sql in indexes:
            cursor.execute(sql)
        cursor.execute("RESET maintenance_work_mem")
        for table in TABLES:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
            )


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
    """Gather the planner's statistics as production keeps them; or, with
    ``statistics=False`` (SQLite only), drop them, to measure a database that never had any."""
    from django.db import connection

    started = time.perf_counter()
    connection.ensure_connection()
    raw = connection.connection
    if connection.vendor == "postgresql":
        # What autovacuum leaves after a load: statistics, and the visibility map that lets
        # an index-only scan skip the table.
        with raw.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        return time.perf_counter() - started
    if not statistics:
        if raw.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").fetchone():
            raw.execute("DELETE FROM sqlite_stat1")
            raw.execute("ANALYZE sqlite_master")  # reloads the (now empty) statistics
        return 0.0
    from khabar.lib.sqlite.maintenance import optimize

    optimize(raw, analyze=True)
    return time.perf_counter() - started


def addresses() -> list[tuple[str, str, Any]]:
    """(row, path, who asks: None, "staff" or "partner") for every measured page."""
    from khabar.articles.models import Article, Section, Tag

    section = Section.objects.get(lang="ar", slug="s0")
    tag = Tag.objects.filter(lang="ar").order_by("pk").first()
    assert tag is not None
    story = Article.objects.published().filter(lang="ar").order_by("pk")[1000]
    since = (datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=2)).isoformat()
    word = _sentences()[7].split()[0]  # في, the commonest word: in 98 % of the stories
    # A name in one sentence of the thousand the stories are made of: in about 0.6 % of them.
    rare = "شولمان"
    return [
        ("home", "/ar/", None),
        ("section", section.get_absolute_url(), None),
        ("section, page 50", section.get_absolute_url() + "?page=50", None),
        ("tag (busiest)", tag.get_absolute_url(), None),
        ("story (an old one)", story.get_absolute_url(), None),
        ("RSS", "/ar/feed/rss.xml", None),
        ("sitemap index", "/sitemap.xml", None),
        ("section sitemap", "/sitemap-ar-s0.xml", None),
        ("desk list", "/desk/articles/article/", "staff"),
        ("desk list, last page", "/desk/articles/article/?p=last", "staff"),
        ("desk search", f"/desk/articles/article/?q={word}", "staff"),
        ("desk search, rarer word", f"/desk/articles/article/?q={rare}", "staff"),
        ("reader search", f"/ar/search/?q={word}", None),
        ("reader search, rarer word", f"/ar/search/?q={rare}", None),
        ("reader search, newest first", f"/ar/search/?q={word}&order=newest", None),
        ("partner since poll", f"/api/v1/ninjs?since={since}", "partner"),
    ]


def _client_for(kind: Any) -> Any:
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client(HTTP_HOST="localhost")
    if kind == "staff":
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


def measure(rounds: int, pages: str = "") -> list[Row]:
    """Each address's median and slowest of ``rounds``; only those whose row name starts with
    one of ``pages`` (comma-separated, e.g. "desk") when given."""
    rows = []
    wanted = tuple(p.strip() for p in pages.split(",") if p.strip())
    for name, path, kind in addresses():
        if wanted and not name.startswith(wanted):
            continue
        if path.endswith("?p=last"):
            path = _last_page(path)
        try:
            client = _client_for(kind)
            response = client.get(path)  # warms the process
            times = []
            for _ in range(rounds):
                started = time.perf_counter()
                response = client.get(path)
                times.append((time.perf_counter() - started) * 1000)
        except Exception as error:  # a page that fails is reported, the others still run
            print(f"  {name}: failed ({type(error).__name__}: {error})", file=sys.stderr)
            continue
        median = statistics.median(times)
        rows.append(
            {"name": name, "median": median, "slowest": max(times), "status": response.status_code}
        )
        print(f"  {name:24} {median:8.1f} ms  ({response.status_code})", file=sys.stderr)
    return rows


def _last_page(path: str) -> str:
    """The desk's last page (its ``p`` counts from 0)."""
    from django.contrib import admin

    from khabar.articles.models import Article

    desk = admin.site._registry[Article]
    paginator = desk.get_paginator(None, Article.objects.all(), desk.list_per_page)
    return path.replace("p=last", f"p={paginator.num_pages - 1}")


# -- one database, in a process of its own ------------------------------------------------------


def run_one(db: str, options: argparse.Namespace) -> dict[str, Any]:
    """Seed (unless reused) and measure one database; returns its figures."""
    if db == "postgres":
        with _cluster(reuse=options.reuse, keep=options.keep) as (url, reused):
            return _run(db, options, reuse=reused, database_url=url)
    return _run(db, options, reuse=options.reuse and DB.exists())


def _run(db: str, options: argparse.Namespace, *, reuse: bool, database_url: str = "") -> dict:
    setup_django(db, fresh=not reuse, database_url=database_url)
    from django.db import connection

    from khabar.articles.models import Article

    seconds = 0.0
    if not reuse:
        print(f"{db}: seeding {options.stories:,} stories", file=sys.stderr)
        seconds = seed(options.stories, index=-1 if options.index_all else options.index)
        print(f"{db}: seeded in {seconds:.1f} s", file=sys.stderr)
    statistics_seconds = analyze(statistics=not options.no_statistics)
    print(f"{db}: statistics in {statistics_seconds:.1f} s", file=sys.stderr)
    from khabar.search.backends import get_backend

    count = Article.objects.count()
    indexed = get_backend().count()
    load_before = os.getloadavg()
    rows = measure(options.rounds, options.pages)
    load_after = os.getloadavg()
    return {
        "db": db,
        "version": connection.connection.info.server_version
        if connection.vendor == "postgresql"
        else None,
        "stories": count,
        "indexed": indexed,
        "seeded_seconds": seconds,
        "rounds": options.rounds,
        "load": [load_before[0], load_after[0]],
        "rows": rows,
    }


class _cluster:
    """A throwaway PostgreSQL cluster in ``WORK/archive-pg`` holding a ``khabar`` database;
    yields (DATABASE_URL, whether it was reused). Stopped at the end, and removed unless
    ``keep``."""

    def __init__(self, *, reuse: bool, keep: bool) -> None:
        self.reuse, self.keep = reuse, keep

    def __enter__(self) -> tuple[str, bool]:
        from ops import postgres as pg
        from ops.topology import free_port

        if not pg.available():
            raise SystemExit(f"PostgreSQL server binaries missing in {pg.PG_BIN}")
        reused = self.reuse and (CLUSTER / "data" / "PG_VERSION").exists()
        if not reused:
            shutil.rmtree(CLUSTER, ignore_errors=True)
            CLUSTER.mkdir(parents=True, mode=0o700)
        port = free_port()
        pg.start(
            CLUSTER / "data",
            socket_dir=CLUSTER,
            port=port,
            log=CLUSTER / "server.log",
            # Throwaway: no durability (only the load writes); a buffer pool of 256 MB.
            settings={
                "fsync": "off",
                "synchronous_commit": "off",
                "full_page_writes": "off",
                "shared_buffers": "256MB",
                "max_wal_size": "4GB",
            },
        )
        if not reused:
            subprocess.run(
                pg.as_postgres(
                    str(pg.PG_BIN / "createdb"), "-h", str(CLUSTER), "-p", str(port), "khabar"
                ),
                check=True,
            )
        return f"postgres://postgres@localhost:{port}/khabar?host={CLUSTER}", reused

    def __exit__(self, *exc: object) -> None:
        from ops import postgres as pg

        pg.stop(CLUSTER / "data")
        if not self.keep:
            shutil.rmtree(CLUSTER, ignore_errors=True)


# -- the report ---------------------------------------------------------------------------------


def write(results: list[dict[str, Any]]) -> None:
    dbs = [r for r in results if r["rows"]]
    names = [row["name"] for row in dbs[0]["rows"]] if dbs else []
    figures = {(r["db"], row["name"]): row for r in dbs for row in r["rows"]}
    when = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    runs = []
    for r in dbs:
        seeded = (
            f"seeded in {r['seeded_seconds']:.0f} s"
            if r["seeded_seconds"]
            else "seeded before (`--reuse`)"
        )
        version = f" {r['version'] // 10000}" if r.get("version") else ""
        runs.append(
            f"{NAMES[r['db']]}{version}: {r['stories']:,} stories "
            f"({r.get('indexed', 0):,} in the search index), {seeded}, load average "
            f"{r['load'][0]:.1f} → {r['load'][1]:.1f} while measured"
        )
    header = " | ".join(f"{NAMES[r['db']]} median | slowest" for r in dbs)
    lines = [
        "<!-- archive:start -->",
        "## Archive",
        "",
        f"`python -m bench archive --db {','.join(r['db'] for r in dbs)}`, {when}, commit "
        f"{commit()}; page and fragment caches off, in-process client, median and slowest of "
        f"{dbs[0]['rounds'] if dbs else 0} rounds (ms). Target: under 100 ms each. The machine "
        "(2 cores) is shared with other benches and test runs: the load average is given.",
        "",
        *(f"- {run}" for run in runs),
        "",
        f"| page | {header} | earlier, SQLite | before issue 19, SQLite |",
        "|---|" + "---:|---:|" * len(dbs) + "---:|---:|",
    ]
    for name in names:
        cells = []
        for r in dbs:
            row = figures.get((r["db"], name))
            cells.append(f"{row['median']:.1f} | {row['slowest']:.1f}" if row else "— | —")
        earlier = f"{EARLIER[name]:,.1f}" if name in EARLIER else "—"
        before = f"{BEFORE[name]:,}" if name in BEFORE else "—"
        lines.append(f"| {name} | {' | '.join(cells)} | {earlier} | {before} |")
    lines += [
        "",
        "Earlier: SQLite at 1,000,000 stories on 2026-12-02 22:45 (commit 9472189, `--rounds 3`,"
        ' load 3–4), before the "most read" box read only the window\'s reads (2d74610) and'
        " the desk's list paged without counting (0b7df56, ca7949a). Before issue 19: commit"
        " 0a169cd on a database that never ran ANALYZE (`--no-statistics`).",
        "<!-- archive:end -->",
    ]
    write_section("<!-- archive:start -->", "<!-- archive:end -->", "\n".join(lines))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench archive")
    parser.add_argument(
        "--db",
        default="sqlite,postgres",
        choices=["sqlite", "postgres", "sqlite,postgres", "postgres,sqlite"],
        help="sqlite, postgres, or both as a comma list (the default)",
    )
    parser.add_argument("--stories", type=int, default=1_000_000)
    parser.add_argument("--index", type=int, default=50_000)
    parser.add_argument("--index-all", action="store_true", help="index every live story")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--reuse", action="store_true", help="measure the databases seeded before")
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL cluster")
    parser.add_argument("--no-write", action="store_true", help="leave RESULTS.md alone")
    parser.add_argument(
        "--pages", default="", help='only the rows starting so, comma-separated ("desk")'
    )
    parser.add_argument(
        "--no-statistics", action="store_true", help="SQLite with no ANALYZE statistics"
    )
    # A child process: measure this database, write its figures as JSON to that file.
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--json", help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.one:
        result = run_one(options.one, options)
        Path(options.json).write_text(json.dumps(result), encoding="utf-8")
        return 0
    results = []
    for db in options.db.split(","):
        if db not in NAMES:
            parser.error(f"unknown database {db!r}")
        with tempfile.NamedTemporaryFile(suffix=".json") as out:
            child = [sys.executable, "-m", "bench", "archive", *argv, "--one", db]
            subprocess.run([*child, "--json", out.name], cwd=ROOT, check=True)
            results.append(json.loads(Path(out.name).read_text(encoding="utf-8")))
    for result in results:
        print(f"{NAMES[result['db']]}:")
        for row in result["rows"]:
            print(f"  {row['name']:24} {row['median']:8.1f} ms  ({row['status']})")
    if not options.no_write and not options.pages:  # some rows only: the section stays
        write(results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
