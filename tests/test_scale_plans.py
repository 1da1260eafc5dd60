"""Query plans at archive scale (issue 19): on a seeded database with statistics, every reader
list, feed, sitemap and desk query reads an index and stops early, instead of scanning or
sorting the whole archive. A plan test, not a timing test: `python -m bench archive` times
the same pages at a million stories.
"""

from __future__ import annotations

import datetime
import random

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from khabar.articles import views
from khabar.articles.models import Article, Section, Tag
from khabar.lib.sqlite import maintenance
from khabar.search.desk import typed_story_ids
from khabar.site import actors
from khabar.syndication import actions, sitemaps
from khabar.syndication.feeds import StoryFeed
from khabar.syndication.models import Partner

pytestmark = pytest.mark.django_db

STORIES = 20_000


@pytest.fixture(scope="module")
def archive(django_db_setup, django_db_blocker):
    """STORIES stories over ten years in 3 editions, 8 sections each, two tags a story;
    built with bulk inserts, then analysed. Once for the module, in a transaction rolled back
    after its last test (statistics included); each test's own changes are undone at its end,
    as always."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield _seed()
        transaction.set_rollback(True)


def _seed() -> dict:
    rng = random.Random(19)
    now = timezone.now()
    sections, tags = {}, {}
    for lang in ("ar", "fa", "en"):
        sections[lang] = [
            Section.objects.create(lang=lang, slug=f"s{i}", name=f"s{i}", position=i)
            for i in range(8)
        ]
        tags[lang] = Tag.objects.bulk_create(
            Tag(lang=lang, slug=f"t{i}", name=f"t{i}") for i in range(200)
        )
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
                urgency=rng.choice((1, 3, 5, 5, 5, 5)),
                status=status,
                created_at=when,
                updated_at=when,
                published_at=when if live or status == "withdrawn" else None,
                first_published_at=when if live else None,
            )
        )
    Article.objects.bulk_create(articles, batch_size=2000)
    links = []
    through = Article.tags.through
    for article in Article.objects.only("pk", "lang"):
        # The first tag from a few common ones, as an archive's tags are.
        first = tags[article.lang][min(int(rng.expovariate(0.5)), 199)]
        second = rng.choice(tags[article.lang])
        links.append(through(article_id=article.pk, tag_id=first.pk))
        if second != first:
            links.append(through(article_id=article.pk, tag_id=second.pk))
    through.objects.bulk_create(links, batch_size=5000)
    maintenance.optimize(connection.connection, analyze=True)
    return {"sections": sections, "tags": tags}


def plan(queryset) -> str:
    return queryset.explain()


def _plan_of(sql: str) -> str:
    """The plan of a captured query (its parameters inlined by Django's debug cursor)."""
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql)
        return "\n".join(str(row[-1]) for row in cursor.fetchall())


def assert_reads_in_order(queryset, index: str | None = None) -> None:
    """The query reads an index (``index``, if named) and needs no sort of the whole result."""
    text = plan(queryset)
    assert "SCAN articles_article\n" not in text + "\n", text
    assert "USE TEMP B-TREE FOR ORDER BY" not in text, text
    if index:
        assert index in text, text


def test_it_reads_each_home_list_from_an_index_in_order(archive):
    now = timezone.now()
    live = Article.objects.published(now).in_edition("ar")
    ticker = live.filter(
        urgency__lte=3, published_at__gte=now - datetime.timedelta(hours=24)
    ).for_list()[:8]
    assert_reads_in_order(ticker)
    with CaptureQueriesContext(connection) as queries:
        views._section_leads("ar", now)
    text = _plan_of(queries.captured_queries[0]["sql"])
    # Sections by edition; in each, its index newest first (a few rows); stories by id.
    assert "SCAN s" in text or "SEARCH s" in text, text
    assert "SEARCH b USING INDEX article_section_idx (section_id=?" in text, text
    assert "SEARCH a USING INTEGER PRIMARY KEY (rowid=?)" in text, text


def test_it_builds_the_home_page_in_a_few_short_queries(archive, django_assert_max_num_queries):
    # The ticker, the sections' newest and the comment counts, whatever the archive's size
    # and the number of sections; no window over the archive.
    with django_assert_max_num_queries(3) as queries:
        data = views._home_data("ar")
    assert len(data["sections"]) == 8
    assert all("OVER" not in q["sql"] for q in queries.captured_queries)


def test_it_pages_a_section_from_its_index(archive):
    section = archive["sections"]["ar"][0]
    listed = Article.objects.in_section(section).published().for_list()
    assert_reads_in_order(listed[40:60], "article_section_idx")


def test_it_reads_a_common_tag_in_date_order_and_a_rare_one_by_its_links(archive):
    common = archive["tags"]["ar"][0]
    assert Article.tags.through.objects.filter(tag=common).count() >= views.COMMON_TAG
    stories = views._tagged("ar", common).published().for_list()
    text = plan(stories[:20])
    assert "USE TEMP B-TREE FOR ORDER BY" not in text, text
    rare = archive["tags"]["ar"][150]
    stories = views._tagged("ar", rare).published().for_list()
    text = plan(stories[:20])
    # A handful of stories fetched by id (then sorted: they are few).
    assert "USING INTEGER PRIMARY KEY" in text, text


def test_it_reads_the_feed_from_an_index_in_order(archive):
    feed = StoryFeed()
    stories = feed.stories(feed.get_object(None, edition="ar")).order_by("-published_at", "-pk")
    assert_reads_in_order(stories[:20])


def test_it_reads_a_month_of_a_section_sitemap_from_its_index(archive):
    sitemap = sitemaps.SectionSitemap(archive["sections"]["ar"][1])
    with CaptureQueriesContext(connection) as queries:
        page = sitemap.paginator.page("202301")
    assert page.object_list
    text = _plan_of(queries.captured_queries[0]["sql"])
    assert "article_section_idx (section_id=? AND published_at>? AND published_at<?)" in text
    assert "USE TEMP B-TREE FOR ORDER BY" not in text, text


def test_it_lists_the_sitemaps_without_counting_the_archive(archive, django_assert_max_num_queries):
    with django_assert_max_num_queries(2) as queries:
        entries = sitemaps.index_entries()
    # 24 sections, each from the month of its oldest story (about ten years ago) to now.
    assert 24 * 119 <= len(entries) <= 24 * 122
    assert entries[0]["location"].endswith("/sitemap-ar-s0.xml")
    assert "?p=20" in entries[1]["location"]
    for query in queries.captured_queries:
        text = _plan_of(query["sql"])
        assert "SCAN articles_article" not in text, text


def test_it_finds_changes_since_a_time_through_the_updated_index(archive):
    since = timezone.now() - datetime.timedelta(hours=2)
    partner = Partner.objects.create(name="بوابة")
    token = actions.create_partner_token(partner, actor=actors.COMMAND_LINE)[1]
    with CaptureQueriesContext(connection) as queries:
        response = Client().get(
            "/api/v1/ninjs", {"since": since.isoformat()}, HTTP_AUTHORIZATION=f"Bearer {token}"
        )
    assert response.status_code == 200
    listing = [q["sql"] for q in queries.captured_queries if "updated_at" in q["sql"]]
    assert len(listing) == 1
    text = _plan_of(listing[0])
    assert "article_updated_idx" in text, text
    assert "SCAN articles_article" not in text, text


def test_a_reindex_catches_up_through_the_indexes_of_what_changed(archive):
    """The swap's last catch-up runs while every index write waits: it finds the stories
    changed since through the updated, embargo and published indexes. The three ORed and read
    in id order walked every story (0.9 s at a million stories)."""
    from khabar.search import indexing
    from khabar.search.backends import get_backend
    from khabar.search.backends.base import DOCUMENT_TABLE, NEXT

    backend = get_backend()
    backend.start_rebuild()
    try:
        since = timezone.now() - datetime.timedelta(hours=2)
        with CaptureQueriesContext(connection) as queries:
            indexing.catch_up(since, DOCUMENT_TABLE + NEXT, deleted=False)
    finally:
        backend.abort_rebuild()
    reads = [q["sql"] for q in queries.captured_queries if 'FROM "articles_article"' in q["sql"]]
    assert len(reads) >= 3
    plans = {sql: _plan_of(sql) for sql in reads}
    assert not [(sql, text) for sql, text in plans.items() if "SCAN articles_article" in text]
    used = "\n".join(plans.values())
    for index in ("article_updated_idx", "article_embargo_idx", "article_published_idx"):
        assert index in used, used


def test_it_matches_typed_text_only_among_stories_not_live(archive, django_assert_num_queries):
    with django_assert_num_queries(4) as queries:
        typed_story_ids("headline 19")
    for query in queries.captured_queries:
        text = _plan_of(query["sql"])
        assert "SCAN articles_article" not in text, (query["sql"], text)


def test_it_counts_a_story_list_only_as_far_as_it_can_be_paged(monkeypatch):
    section = Section.objects.create(lang="ar", slug="s", name="s")
    Article.objects.bulk_create(
        Article(section=section, headline=f"h{n}", dateline_city="c", body="b",
                dateline_date=datetime.date(2023, 1, 1), status="published",
                published_at=timezone.now())
        for n in range(9)
    )  # fmt: skip
    monkeypatch.setattr(views.ListPaginator, "max_pages", 3)
    paginator = views.ListPaginator(Article.objects.published().for_list(), 2)
    assert paginator.count == 6 and paginator.num_pages == 3
    assert paginator.get_page(9).number == 3


def test_it_still_finds_drafts_by_their_text_and_live_stories_through_the_index(
    django_capture_on_commit_callbacks,
):
    from khabar.search.desk import desk_search
    from khabar.test import make_article

    with django_capture_on_commit_callbacks(execute=True):
        draft = make_article(publish=False, headline="مسودة عن الموانئ")
        live = make_article(headline="خبر عن الموانئ")
        embargoed = make_article(
            headline="خبر محظور عن الموانئ", embargo_until=timezone.now() + datetime.timedelta(1)
        )
        make_article(headline="خبر آخر")
    found, _dups = desk_search(Article.objects.all(), "الموانئ")
    assert set(found) == {draft, live, embargoed}


def test_it_ranks_the_most_read_from_the_windows_reads_not_the_archive(archive, settings):
    from django.db import connection as conn
    from django.test.utils import CaptureQueriesContext

    from khabar.analytics import counter
    from khabar.analytics.models import HourlyReads

    settings.REDIS_URL = ""
    read = list(Article.objects.published().filter(lang="ar").values_list("pk", flat=True)[:30])
    hour = counter.window_start()
    HourlyReads.objects.bulk_create(
        [HourlyReads(article_id=pk, hour=hour, count=n + 1) for n, pk in enumerate(read)]
    )
    maintenance.optimize(conn.connection, analyze=True)  # as the app keeps statistics current
    with CaptureQueriesContext(conn) as queries:
        top = counter.BatchedCounter().top(lang="ar", section_id=None, limit=5)
    assert [s.pk for s in top] == read[::-1][:5]
    for query in queries.captured_queries:
        text = _plan_of(query["sql"])
        # Not every live story of the edition: the reads of the window (the worker prunes
        # older hours), then the stories by their ids.
        assert "SCAN articles_article" not in text, text
        assert "article_lang" not in text and "article_live" not in text, text


def test_it_pages_the_desk_by_ids_from_the_index_then_fetches_the_page(archive):
    from khabar.articles.paging import DeskPaginator

    stories = Article.objects.order_by("-published_at", "-pk")
    paginator = DeskPaginator(stories, 100)
    with CaptureQueriesContext(connection) as queries:
        page = paginator.page(paginator.num_pages)
        listed = [(story.pk, story.section.slug) for story in page.object_list]
    assert [pk for pk, _slug in listed] == list(
        stories.values_list("pk", flat=True)[(paginator.num_pages - 1) * 100 :][:100]
    )
    ids = [q["sql"] for q in queries.captured_queries if "OFFSET" in q["sql"]]
    assert len(ids) == 1 and ids[0].startswith('SELECT "articles_article"."id" AS "pk" FROM'), ids
    text = _plan_of(ids[0])
    # The page's ids read from the (published_at, id) index alone, in order; then the
    # hundred stories by id, and their sections.
    assert "USING COVERING INDEX article_published_idx" in text, text
    assert "USE TEMP B-TREE" not in text, text
    assert len(queries.captured_queries) == 4  # the capped count, ids, stories, sections
