"""Issue 6: bounded thread pages, one ordered query, cached API pages, few queries per post."""

from __future__ import annotations

import pytest
from django.core.cache import cache, caches
from django.db import connection
from django.test.utils import CaptureQueriesContext

from khabar.comments import actions, conf, tree
from khabar.comments.models import Comment, Thread
from khabar.comments.tree import Viewer
from khabar.test import make_article, make_section

pytestmark = pytest.mark.django_db
URL = "/api/v1/comments"


@pytest.fixture(autouse=True)
def _fresh_caches():
    cache.clear()
    caches["fragments"].clear()


@pytest.fixture
def section():
    return make_section(comment_policy="post")


@pytest.fixture
def small_pages(monkeypatch):
    monkeypatch.setattr(conf, "PAGE_SIZE", 3)
    monkeypatch.setattr(conf, "REPLIES_PER_PAGE", 4)
    monkeypatch.setattr(conf, "MAX_PER_PAGE", 10)


def post(article, text, parent=None):
    return actions.post_comment(
        article.thread_key,
        acting_user=None,
        author="قارئ",
        text=text,
        parent_id=parent.pk if parent else None,
    ).comment


def grow(article, roots, replies):
    """``roots`` top-level comments, each with ``replies`` replies (some nested)."""
    for r in range(roots):
        root = post(article, f"أصل {r}")
        parent = root
        for n in range(replies):
            parent = post(article, f"رد {r}-{n}", parent if n % 3 == 2 else root)


def read(article, **kwargs):
    return tree.read_page(Thread.objects.get(key=article.thread_key), viewer=Viewer(), **kwargs)


def texts(nodes):
    return [node.comment.text for node in nodes]


def test_it_bounds_a_page_by_comments_in_all_and_continues_on_the_next(section, monkeypatch):
    monkeypatch.setattr(conf, "PAGE_SIZE", 3)
    monkeypatch.setattr(conf, "REPLIES_PER_PAGE", 10)
    monkeypatch.setattr(conf, "MAX_PER_PAGE", 5)
    story = make_article(section=section)
    a = post(story, "أأ")
    for n in range(6):
        post(story, f"أ{n}", a)
    b = post(story, "بب")
    post(story, "ب0", b)
    first = read(story)
    assert texts(first) == ["أأ", "أ0", "أ1", "أ2", "أ3"]
    assert first.roots[0].more_after and first.next_offset == 1
    rest = tree.read_replies(a, viewer=Viewer(), after=first.roots[0].more_after)
    assert texts(rest.walk())[1:] == ["أ4", "أ5"]
    second = read(story, offset=first.next_offset)
    assert texts(second) == ["بب", "ب0"] and second.next_offset is None


def test_it_gives_a_top_level_comment_that_does_not_fit_a_more_link(section, monkeypatch):
    monkeypatch.setattr(conf, "PAGE_SIZE", 3)
    monkeypatch.setattr(conf, "MAX_PER_PAGE", 3)
    story = make_article(section=section)
    a = post(story, "أأ")
    post(story, "أ0", a)
    b = post(story, "بب")
    post(story, "ب0", b)
    post(story, "ب1", b)
    page = read(story)
    assert texts(page) == ["أأ", "أ0", "بب"]
    assert page.roots[1].more_after == b.path and page.next_offset is None
    assert texts(tree.read_replies(b, viewer=Viewer(), after=b.path).walk())[1:] == ["ب0", "ب1"]


def test_it_reads_the_same_rows_for_the_first_page_of_a_thread_25_times_bigger(
    section, small_pages
):
    small = make_article(section=section)
    big = make_article(section=section)
    grow(small, 4, 3)
    grow(big, 25, 12)
    assert Comment.objects.filter(thread__key=big.thread_key).count() == 325
    pages = {}
    for story in (small, big):
        thread = Thread.objects.get(key=story.thread_key)
        with CaptureQueriesContext(connection) as queries:
            pages[story.pk] = tree.read_page(thread, viewer=Viewer())
        pages[story.pk].queries = len(queries)
    one, other = pages[small.pk], pages[big.pk]
    assert one.queries == other.queries == 2
    # The page holds at most MAX_PER_PAGE comments; the query returns one more, at most.
    assert len(list(one)) == len(list(other)) == 10
    assert one.rows_read == other.rows_read == 11


def test_it_renders_the_story_page_of_a_big_thread_with_the_same_queries_and_rows(
    client, section, small_pages
):
    small = make_article(section=section)
    big = make_article(section=section)
    grow(small, 4, 3)
    grow(big, 25, 12)
    seen = {}
    for story in (small, big):
        with CaptureQueriesContext(connection) as queries:
            page = client.get(story.get_absolute_url()).content.decode()
        seen[story.pk] = (len(queries), page.count('class="comment comment--d'))
    assert seen[small.pk] == seen[big.pk]
    assert seen[big.pk][1] == 10


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's query plan")
def test_it_finds_a_page_through_the_top_level_and_root_indexes(section):
    story = make_article(section=section)
    grow(story, 3, 2)
    thread = Thread.objects.get(key=story.thread_key)
    for viewer in (Viewer(), Viewer(tokens={1: "x" * 20})):
        with CaptureQueriesContext(connection) as queries:
            tree.read_page(thread, viewer=viewer)
        page_query = queries.captured_queries[0]["sql"]
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN QUERY PLAN " + page_query)
            plan = "\n".join(str(row[-1]) for row in cursor.fetchall())
        assert "comment_top_level_idx" in plan and "comment_root_idx (root_id=?)" in plan, plan
        # Not every approved comment of the site, nor the whole thread.
        assert "comment_queue_idx" not in plan and "SCAN comments_comment" not in plan, plan
        assert "sqlite_autoindex_comments_comment_1" not in plan, plan
