"""Query plans at archive scale on PostgreSQL (issue 19), as tests/test_scale_plans.py pins
SQLite's: a throwaway cluster with khabar's whole schema, 20,000 stories and their
statistics (VACUUM ANALYZE, as autovacuum leaves a table). A plan test, not a timing test:
`python -m bench archive --db postgres` times the pages at a million stories.
"""

from __future__ import annotations

import datetime
import random
import re

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.contrib.contenttypes.models import ContentType
from django.db import connections
from django.utils import timezone
from postgres import available, start_cluster

from khabar.articles import views
from khabar.articles.models import LIVE_STATUSES, Article, Section, Tag

pytestmark = [pytest.mark.postgres, pytest.mark.xdist_group("postgres")]

ALIAS = "pgplans"
#: A sort of a whole input (an incremental sort of rows read in order is not one).
FULL_SORT = re.compile(r"^\s*(->\s+)?Sort\s+\(", re.MULTILINE)
STORIES = 20_000


@pytest.fixture(scope="module")
def pg(django_db_setup, django_db_blocker):
    """The alias of a database on a cluster of its own, migrated and seeded once."""
    if not available():
        pytest.fail("PostgreSQL server binaries missing (run make system-test-deps)")
    cluster = start_cluster()
    try:
        with django_db_blocker.unblock():
            cluster.create_database("khabar_plans")
            configured = connections.configure_settings(
                {
                    "default": connections.settings["default"],
                    ALIAS: cluster.settings("khabar_plans"),
                }
            )
            connections.settings[ALIAS] = configured[ALIAS]
            _create_tables()
            _seed()
        with django_db_blocker.unblock():
            yield connections[ALIAS]
    finally:
        with django_db_blocker.unblock():
            if ALIAS in connections.settings:
                connections[ALIAS].close()
                del connections[ALIAS]
                del connections.settings[ALIAS]
        cluster.stop()


def _create_tables() -> None:
    """The stories' tables and what they point to, as the models say (their migrations'
    data steps write to the default database, so they are not run here)."""
    with connections[ALIAS].schema_editor() as editor:
        for model in (ContentType, Permission, Group, User, Section, Tag, Article):
            editor.create_model(model)


def _seed() -> None:
    rng = random.Random(19)
    now = timezone.now()
    sections = {
        lang: [
            Section.objects.using(ALIAS).create(lang=lang, slug=f"s{i}", name=f"s{i}", position=i)
            for i in range(8)
        ]
        for lang in ("ar", "fa", "en")
    }
    statuses = ["published"] * 96 + ["corrected", "draft", "submitted", "withdrawn"]
    articles = []
    for n in range(STORIES):
        lang = rng.choices(["ar", "fa", "en"], [8, 1, 1])[0]
        when = now - datetime.timedelta(seconds=10 * 365 * 86400 * (1 - n / STORIES) + 60)
        status = rng.choice(statuses)
        live = status in ("published", "corrected")
        articles.append(
            Article(
                lang=lang,
                section=rng.choice(sections[lang]),
                headline=f"headline {n}",
                slug=f"s-{n}",
                dateline_city="city",
                dateline_date=when.date(),
                body="body text " * 20,
                status=status,
                created_at=when,
                updated_at=when,
                published_at=when if live or status == "withdrawn" else None,
                first_published_at=when if live else None,
            )
        )
    Article.objects.using(ALIAS).bulk_create(articles, batch_size=2000)
    with connections[ALIAS].cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def explain(connection, sql: str, params=()) -> str:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_it_reads_each_sections_newest_on_the_home_page_from_its_index(pg):
    # The query _section_leads runs on PostgreSQL, with its parameters.
    fields = [f for f in Article._meta.concrete_fields if f.name != "body"]
    columns = ", ".join(f"a.{pg.ops.quote_name(f.column)}" for f in fields)
    statuses = ", ".join(["%s"] * len(LIVE_STATUSES))
    now = timezone.now()
    params = [*LIVE_STATUSES, now, now, views.PER_SECTION_ON_HOME + 1, "ar"]
    sql = views._SECTION_LEADS_POSTGRES.format(columns=columns, statuses=statuses)
    text = explain(pg, sql, params)
    # For each of the edition's sections, an index newest first, stopping after a few (the
    # sort is of those few): not the SQLite form's walk through every story with a subquery
    # for each, and a sort of them all.
    assert "Nested Loop" in text and "->  Limit" in text, text
    assert "Index Scan Backward using article_published_idx on articles_article b" in text or (
        "Index Scan using article_section_idx on articles_article b" in text
    ), text
    assert "Seq Scan on articles_article" not in text, text
    with connections[ALIAS].cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    assert len(rows) == 8 * (views.PER_SECTION_ON_HOME + 1)


def test_it_pages_the_desk_by_ids_from_the_index_alone(pg):
    stories = Article.objects.using(ALIAS).order_by("-published_at", "-pk")
    deep = stories.values_list("pk", flat=True)[1_900:2_000]
    text = deep.explain()
    # The ids of a deep page from the published_at index, which carries them: no story's
    # row read (ties by id sorted as they come, a few at a time).
    assert "Index Only Scan Backward using article_published_idx" in text, text
    assert "Seq Scan" not in text, text
    assert not FULL_SORT.search(text), text


def _typed_indexes(connection) -> None:
    """The desk's typed-search indexes of migration search 0007 (not run here: the tables
    come from the models)."""
    from importlib import import_module

    typed = import_module("khabar.search.migrations.0007_typed_index")
    with connection.cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        cursor.execute(typed.POSTGRES_HELD)
        cursor.execute(typed.POSTGRES_INDEX)
        cursor.execute("ANALYZE articles_article")


def test_it_finds_drafts_by_typed_text_through_their_own_indexes(pg):
    from khabar.search import desk

    _typed_indexes(pg)
    typed = desk.Q(headline__icontains="headline 1999") | desk.Q(body__icontains="headline 1999")
    stories = Article.objects.using(ALIAS).filter(desk._held()).order_by()
    text = stories.filter(typed).order_by("-pk").values_list("pk", flat=True)[:500].explain()
    # The stories not live holding the term's trigrams, from the partial GIN index, or (here,
    # where they are 600 of 20,000) those stories newest first: not a walk through the
    # archive reading each one's text. At a million stories (30,000 not live) the planner
    # takes the trigrams (bench/RESULTS.md, Archive).
    assert "on search_typed_trgm" in text or "using search_typed_held" in text, text
    assert "Seq Scan" not in text, text
    assert "articles_article_pkey" not in text, text


def test_it_walks_only_the_stories_not_live_for_a_short_term(pg):
    from khabar.search import desk

    _typed_indexes(pg)
    typed = desk.Q(headline__icontains="1") | desk.Q(body__icontains="1")
    stories = Article.objects.using(ALIAS).filter(desk._held()).order_by()
    text = stories.filter(typed).order_by("-pk").values_list("pk", flat=True)[:500].explain()
    # Too short for trigrams: the partial index of the same stories, newest first, stopping
    # at the page's end.
    assert "Index Scan Backward using search_typed_held" in text, text
    assert "Seq Scan" not in text, text


def test_it_lists_the_desks_search_results_by_one_array_of_ids(pg):
    from khabar.search import desk

    stories = Article.objects.using(ALIAS)
    ids = list(stories.order_by("-pk").values_list("pk", flat=True)[:600:3])
    listed = desk.with_ids(stories, ids).order_by("-published_at", "-pk")
    # The same stories as an IN of every id, with one parameter instead of 200.
    assert sorted(listed.values_list("pk", flat=True)) == sorted(ids)
    assert listed.query.sql_with_params()[1] == (ids,)
    text = listed.values_list("pk", flat=True)[:100].explain()
    # Each id looked up by the primary key: not a walk through the archive.
    assert "articles_article_pkey" in text, text
    assert "Seq Scan on articles_article" not in text, text
